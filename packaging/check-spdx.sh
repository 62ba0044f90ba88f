#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Tests packaging/spdx.sh itself (ctest packaging_spdx_script): in a scratch git repository
# holding one file of each comment syntax, --check must fail naming each file without its
# line and any unknown type; --add must fix them (after a #! line, a <?xml?> declaration),
# keep modes, and be idempotent; --check must then pass.
set -euo pipefail
script="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/spdx.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "check-spdx: $*" >&2; exit 1; }

mkdir -p "$work/packaging" "$work/src/include/Lib" "$work/docs"
cp "$script" "$work/packaging/spdx.sh"
cd "$work"
git init -q .
printf 'int main() { return 0; }\n' > src/main.cpp
printf 'import QtQml\nQtObject {}\n' > src/Main.qml
printf '#include <lib.h>\n' > src/include/Lib/Lib
printf 'project(x)\n' > CMakeLists.txt
printf '#!/bin/sh\necho hi\n' > run.sh && chmod 755 run.sh
printf '{ global: *; };\n' > lib.map
printf '<?xml version="1.0"?>\n<RCC/>\n' > res.qrc
printf '# Title\n' > docs/readme.md          # documentation: exempt
printf 'x\n' > odd.xyz                          # unknown type
git add -A

out="$(bash packaging/spdx.sh --check || true)"
for f in src/main.cpp src/Main.qml src/include/Lib/Lib CMakeLists.txt run.sh lib.map res.qrc; do
    grep -qx "no SPDX line: $f" <<<"$out" || fail "--check did not name $f:
$out"
done
grep -q "unknown type.*odd.xyz" <<<"$out" || fail "--check did not name the unknown type"
grep -q "docs/readme.md" <<<"$out" && fail "--check asked for a line in documentation"
bash packaging/spdx.sh --check >/dev/null && fail "--check passed with files missing their line"

git rm -q -f odd.xyz
bash packaging/spdx.sh --add >/dev/null
bash packaging/spdx.sh --check >/dev/null || fail "--check fails after --add"
[ "$(head -n 1 run.sh)" = '#!/bin/sh' ] || fail "the #! line moved"
[ -x run.sh ] || fail "run.sh lost its mode"
[ "$(head -n 1 res.qrc)" = '<?xml version="1.0"?>' ] || fail "the xml declaration moved"
grep -qx '// SPDX-License-Identifier: MIT' src/main.cpp || fail "C++ comment syntax"
grep -qx '# SPDX-License-Identifier: MIT' CMakeLists.txt || fail "CMake comment syntax"
grep -qx '/\* SPDX-License-Identifier: MIT \*/' lib.map || fail "linker script comment syntax"
grep -qx '<!-- SPDX-License-Identifier: MIT -->' res.qrc || fail "XML comment syntax"
before="$(git ls-files -z | xargs -0 sha256sum)"
bash packaging/spdx.sh --add >/dev/null
[ "$before" = "$(git ls-files -z | xargs -0 sha256sum)" ] || fail "--add is not idempotent"
echo "check-spdx: --check names what lacks a line, --add fixes it once"
