#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# check-install.sh BUILD PREFIX — installs the build tree into PREFIX (wiped first) and
# checks the installed tree is the SDK users expect:
#   - public headers only (no _p.h, no .in), with the generated version.h;
#   - libtether.so -> libtether.so.<soversion> -> libtether.so.<version>, SONAME set;
#   - the CMake package (config, version file, targets) and no build-tree path in it;
#   - the QML module (qmldir, plugin, qmltypes) under <qmldir>/Tether when built;
#   - the tools that were built, runnable from the prefix (RUNPATH relative to them).
# Environment (set by ctest, packaging/checks.cmake): TETHER_VERSION, TETHER_SOVERSION,
# TETHER_LIBDIR, TETHER_QMLDIR, TETHER_HAS_QML, TETHER_TOOLS, CMAKE_COMMAND.
set -euo pipefail

build=$(cd "${1:?usage: check-install.sh BUILD PREFIX}" && pwd)
prefix=${2:?usage: check-install.sh BUILD PREFIX}
: "${TETHER_VERSION:?}" "${TETHER_SOVERSION:?}" "${TETHER_LIBDIR:?}" "${TETHER_QMLDIR:?}"
cmake=${CMAKE_COMMAND:-cmake}

rm -rf "$prefix"
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
"$cmake" --install "$build" --prefix "$prefix" >"$prefix.install.log" || {
    cat "$prefix.install.log" >&2; exit 1; }

failures=0
fail() { echo "check-install: FAIL: $*" >&2; failures=$((failures + 1)); }
expect_file() { [ -f "$prefix/$1" ] || fail "missing $1"; }

echo "check-install: installed into $prefix:"
(cd "$prefix" && find . -mindepth 1 \( -type f -o -type l \) | sort | sed 's|^\./|  |')

# --- headers
inc=include/Tether
for h in global.h client.h version.h Client; do
    expect_file "$inc/$h"
done
private=$(cd "$prefix" && find include \( -name '*_p.h' -o -name '*.in' \) | sort)
[ -z "$private" ] || fail "private or template headers installed: $private"
grep -q "TETHER_VERSION_STRING \"$TETHER_VERSION\"" "$prefix/$inc/version.h" \
    || fail "$inc/version.h does not say version $TETHER_VERSION"
# Every public header may include only Qt, the standard library and other public headers.
for h in "$prefix/$inc"/*; do
    while read -r included; do
        case $included in
            Tether/*) [ -f "$prefix/include/$included" ] || fail "$(basename "$h") includes $included, which is not installed" ;;
        esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' "$h")
done

# --- the shared library, its SONAME and links
lib=$TETHER_LIBDIR/libtether.so
expect_file "$lib.$TETHER_VERSION"
[ "$(readlink "$prefix/$lib" || true)" = "libtether.so.$TETHER_SOVERSION" ] \
    || fail "$lib is not a link to libtether.so.$TETHER_SOVERSION"
[ "$(readlink "$prefix/$lib.$TETHER_SOVERSION" || true)" = "libtether.so.$TETHER_VERSION" ] \
    || fail "$lib.$TETHER_SOVERSION is not a link to libtether.so.$TETHER_VERSION"
soname=$(readelf -d "$prefix/$lib.$TETHER_VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libtether.so.$TETHER_SOVERSION" ] || fail "SONAME is '$soname'"

# --- the CMake package
cmakedir=$TETHER_LIBDIR/cmake/Tether
for f in TetherConfig.cmake TetherConfigVersion.cmake TetherSdkTargets.cmake; do
    expect_file "$cmakedir/$f"
done
# Relocatable: nothing installed may point back into the build or source tree.
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if grep -rIl -e "$build" -e "$source_dir/sdk" -e "$source_dir/qml" "$prefix" 2>/dev/null; then
    fail "installed text files above mention the build or source tree"
fi
while IFS= read -r -d '' elf; do
    runpath=$(readelf -d "$elf" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p')
    case $runpath in
        *"$build"*|*"$source_dir"*) fail "$elf has a build-tree RUNPATH: $runpath" ;;
    esac
done < <(find "$prefix" -type f \( -name '*.so*' -o -path '*/bin/*' \) -print0)

# --- the QML module
if [ "${TETHER_HAS_QML:-OFF}" = ON ]; then
    qml=$TETHER_QMLDIR/Tether
    expect_file "$qml/qmldir"
    grep -q '^module Tether$' "$prefix/$qml/qmldir" || fail "$qml/qmldir does not declare module Tether"
    typeinfo=$(sed -n 's/^typeinfo \(.*\)/\1/p' "$prefix/$qml/qmldir")
    [ -n "$typeinfo" ] && expect_file "$qml/$typeinfo" || fail "$qml/qmldir names no typeinfo"
    # The QML module's version is the library's major.minor (qml/CMakeLists.txt); Qt
    # exports the types at <major>.0, the version they were added in.
    qml_versions=$(grep -o '"Tether/[A-Za-z]* [0-9.]*"' "$prefix/$qml/$typeinfo" 2>/dev/null \
        | sed 's/.* \([0-9]*\)\.[0-9]*"/\1/' | sort -u | tr '\n' ' ')
    [ "$qml_versions" = "${TETHER_SOVERSION%%.*} " ] \
        || fail "QML types exported with major version(s) '$qml_versions', not the library's ${TETHER_SOVERSION%%.*}"
    plugin=$(sed -n 's/^\(optional \)\?plugin \([^ ]*\).*/\2/p' "$prefix/$qml/qmldir")
    if [ -n "$plugin" ]; then expect_file "$qml/lib$plugin.so"; else fail "$qml/qmldir names no plugin"; fi
    expect_file "$cmakedir/TetherQmlTargets.cmake"
    expect_file "$TETHER_LIBDIR/libtetherqml.so.$TETHER_SOVERSION"
    # The QML types' C++ headers, self-contained in what is installed.
    for h in qmlglobal.h qmlclient.h qmlchannel.h qmlmessagemodel.h qmloptions.h; do
        expect_file "include/TetherQml/$h"
        while read -r included; do
            case $included in
                Tether/*) [ -f "$prefix/include/$included" ] || fail "TetherQml/$h includes $included, which is not installed" ;;
                qml*.h) [ -f "$prefix/include/TetherQml/$included" ] || fail "TetherQml/$h includes $included, which is not installed" ;;
            esac
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' "$prefix/include/TetherQml/$h")
    done
fi

# --- tools: installed and runnable from the prefix alone
for tool in ${TETHER_TOOLS:-}; do
    expect_file "bin/$tool"
    if [ -x "$prefix/bin/$tool" ]; then
        out=$(env -u LD_LIBRARY_PATH "$prefix/bin/$tool" --help 2>&1) \
            || fail "bin/$tool --help failed: $out"
    fi
done
if [[ " ${TETHER_TOOLS:-} " == *" tether-cli "* ]]; then
    version=$(env -u LD_LIBRARY_PATH "$prefix/bin/tether-cli" --version 2>&1 || true)
    [[ $version == *"$TETHER_VERSION"* ]] || fail "tether-cli --version says '$version', expected $TETHER_VERSION"
fi

if [ $failures -gt 0 ]; then
    echo "check-install: $failures failure(s)" >&2
    exit 1
fi
echo "check-install: OK"
