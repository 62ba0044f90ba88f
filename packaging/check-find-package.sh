#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# check-find-package.sh PREFIX WORKDIR — the contract of the installed CMake package, one
# configure of tests/consumer/find-package per row: which requests find Tether (and which
# targets and variables they get) and which are refused (wrong major.minor, unknown or
# missing component). Environment (ctest): TETHER_VERSION, TETHER_HAS_QML, CMAKE_COMMAND.
set -euo pipefail

prefix=$(cd "${1:?usage: check-find-package.sh PREFIX WORKDIR}" && pwd)
work=${2:?}
: "${TETHER_VERSION:?}"
cmake=${CMAKE_COMMAND:-cmake}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IFS=. read -r major minor patch <<<"$TETHER_VERSION"
qml_dir=$(find "$prefix" -path '*/qt6/qml' -type d | head -n 1)

# request | expected summary line (a regex)
rows=(
    "$major.$minor REQUIRED COMPONENTS Sdk|found=1 version=$TETHER_VERSION targets=Tether::Sdk qml_import_path=\$"
    "$TETHER_VERSION|found=1 version=$TETHER_VERSION targets=Tether::Sdk qml_import_path=\$"
    "$major.$minor.$((patch + 1))|found=0"
    "$major.$((minor + 1))|found=0"
    "$((major + 1)).0|found=0"
    "$major.$minor COMPONENTS Sdk Bogus|found=0"
    "$major.$minor COMPONENTS Sdk OPTIONAL_COMPONENTS Bogus|found=1 version=$TETHER_VERSION targets=Tether::Sdk"
)
if [ "${TETHER_HAS_QML:-OFF}" = ON ]; then
    rows+=("$major.$minor REQUIRED COMPONENTS Sdk Qml|found=1 version=$TETHER_VERSION targets=Tether::Sdk;Tether::Qml qml_import_path=$qml_dir\$")
else
    rows+=("$major.$minor COMPONENTS Sdk Qml|found=0")
fi

failures=0
# One build directory for all rows: the compiler checks are made once.
rm -rf "$work"
for row in "${rows[@]}"; do
    request=${row%%|*}
    expected=${row#*|}
    output=$("$cmake" -S "$source_dir/tests/consumer/find-package" -B "$work" \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        "-DTETHER_REQUEST=$request" 2>&1 || true)
    summary=$(sed -n 's/.*find-package: //p' <<<"$output")
    if [[ $summary =~ ^$expected ]]; then
        echo "ok   find_package(Tether $request) -> $summary"
    else
        echo "FAIL find_package(Tether $request) -> '$summary', expected /$expected/" >&2
        tail -n 20 <<<"$output" >&2
        failures=$((failures + 1))
    fi
done
rm -rf "$work"
[ $failures -eq 0 ] || { echo "check-find-package: $failures failure(s)" >&2; exit 1; }
echo "check-find-package: OK (${#rows[@]} requests)"
