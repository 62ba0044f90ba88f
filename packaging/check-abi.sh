#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# check-abi.sh LIB [--allow PREFIX]... [--require SYMBOL]... — ABI hygiene of a Tether
# shared library.
#
# Lists the dynamic symbols LIB defines (nm -D --defined-only, demangled) and fails when
# one of them is not the SDK's public API:
#   - every symbol must be in namespace Tether (functions, data such as moc's
#     staticMetaObject, and the RTTI/vtables/thunks of Tether classes);
#   - the internal layers must not be exported even though they live in Tether::
#     (Tether::Engine::, Tether::Protocol::, Tether::Convert::, Tether::Qml:: private
#     helpers), except the prefixes given with --allow (test builds export the client's
#     conversion helpers on purpose, the QML backing library its registration function).
# It also fails when a --require'd symbol (the core of the public API) is missing: an
# empty or broken export list would otherwise pass. It prints the full list so a reviewer
# sees the ABI.
set -euo pipefail

lib=${1:?usage: check-abi.sh LIB [--allow PREFIX]... [--require SYMBOL]...}
shift
allowed=()
required=()
while [ $# -gt 0 ]; do
    case $1 in
        --allow) allowed+=("$2"); shift 2 ;;
        --require) required+=("$2"); shift 2 ;;
        *) echo "check-abi: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ -f "$lib" ] || { echo "check-abi: no such library: $lib" >&2; exit 1; }

# Mangled names have no spaces: take the name column, then demangle (one per line).
symbols=$(nm -D --defined-only "$lib" | awk 'NF == 3 { print $3 }' | c++filt | sort -u)
count=$(printf '%s\n' "$symbols" | grep -c . || true)
echo "check-abi: $lib exports $count symbols"

internal='^Tether::(Engine|Protocol|Convert|Detail|Testing)::'
leaks=()
while IFS= read -r sym; do
    [ -n "$sym" ] || continue
    # The entity a compiler-generated symbol is about.
    subject=$sym
    for intro in 'typeinfo name for ' 'typeinfo for ' 'vtable for ' \
                 'non-virtual thunk to ' 'virtual thunk to ' 'guard variable for '; do
        subject=${subject#"$intro"}
    done
    ok=0
    if [[ $subject == Tether::* ]]; then
        ok=1
        if [[ $subject =~ $internal ]]; then
            ok=0
        fi
    fi
    for prefix in "${allowed[@]+"${allowed[@]}"}"; do
        [[ $subject == "$prefix"* ]] && ok=1
    done
    [ $ok -eq 1 ] || leaks+=("$sym")
done <<<"$symbols"

missing=()
for symbol in "${required[@]+"${required[@]}"}"; do
    grep -qxF "$symbol" <<<"$symbols" || missing+=("$symbol")
done

printf '%s\n' "$symbols" | sed 's/^/  /'
status=0
if [ ${#leaks[@]} -gt 0 ]; then
    echo "check-abi: FAIL: ${#leaks[@]} symbol(s) outside the public Tether API are exported:" >&2
    printf '  %s\n' "${leaks[@]}" >&2
    echo "  (mark only public API TETHER_EXPORT; see packaging/libtether.map)" >&2
    status=1
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "check-abi: FAIL: public API not exported: ${missing[*]}" >&2
    status=1
fi
[ $status -eq 0 ] && echo "check-abi: OK"
exit $status
