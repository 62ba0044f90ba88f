#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# check-deb.sh BUILD OUTDIR — builds the .deb packages of BUILD with CPack into OUTDIR
# and inspects them without installing anything on the system:
#   dpkg-deb -f   the control fields: names, version, exact inter-package dependencies,
#                 and system dependencies from dpkg-shlibdeps (libc6, libqt6core6, ...)
#   dpkg -c       the contents list of each package (printed; checked for strays)
#   dpkg -x       all packages unpacked together into a scratch root: the files each
#                 one must hold, under /usr, and SONAME/links of the library
# Environment (ctest): TETHER_VERSION, TETHER_SOVERSION, TETHER_HAS_QML, TETHER_TOOLS,
# TETHER_HAS_DEMOS, TETHER_HAS_DOC.
set -euo pipefail

build=$(cd "${1:?usage: check-deb.sh BUILD OUTDIR}" && pwd)
out=${2:?usage: check-deb.sh BUILD OUTDIR}
: "${TETHER_VERSION:?}" "${TETHER_SOVERSION:?}"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps dpkg-architecture systemd-analyze desktop-file-validate; do
    command -v "$tool" >/dev/null || { echo "check-deb: $tool is missing (packaging/install-deps.sh installs it)" >&2; exit 1; }
done
cpack_bin=$(dirname "${CMAKE_COMMAND:-$(command -v cmake)}")/cpack
[ -x "$cpack_bin" ] || cpack_bin=cpack

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
"$cpack_bin" --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 || {
    cat "$out/cpack.log" >&2; exit 1; }

arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb_version=$TETHER_VERSION-1
runtime=libtether$TETHER_SOVERSION
failures=0
fail() { echo "check-deb: FAIL: $*" >&2; failures=$((failures + 1)); }

packages=("$runtime" libtether-dev)
[ "${TETHER_HAS_QML:-OFF}" = ON ] && packages+=(qml6-module-tether)
[ -n "${TETHER_TOOLS:-}" ] && packages+=(tether-tools)
[ "${TETHER_HAS_DEMOS:-OFF}" = ON ] && packages+=(tether-demos)
[ "${TETHER_HAS_DOC:-OFF}" = ON ] && packages+=(tether-doc)

root=$out/root
mkdir -p "$root"
for pkg in "${packages[@]}"; do
    deb=$out/${pkg}_${deb_version}_${arch}.deb
    [ "$pkg" = tether-doc ] && deb=$out/${pkg}_${deb_version}_all.deb
    if [ ! -f "$deb" ]; then
        fail "no $(basename "$deb") (built: $(cd "$out" && ls ./*.deb 2>/dev/null | tr '\n' ' '))"
        continue
    fi
    echo "== $pkg"
    dpkg-deb -f "$deb" Package Version Architecture Depends Section | sed 's/^/  /'
    echo "  contents:"
    dpkg -c "$deb" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print "    " $0 }' | grep -v '/$' || true
    [ "$(dpkg-deb -f "$deb" Version)" = "$deb_version" ] || fail "$pkg: version is not $deb_version"
    # Nothing outside /usr (but the service's unit and defaults), nothing from the build tree.
    if dpkg -c "$deb" | awk '{ print $6 }' | grep -v '^\./usr/' | grep -v '^\./$' \
        | grep -v -x -e './etc/' -e './etc/default/' -e './etc/default/tether-server' \
            -e './lib/' -e './lib/systemd/' -e './lib/systemd/system/' \
            -e './lib/systemd/system/tether-server.service'; then
        fail "$pkg installs files outside /usr (above)"
    fi
    [ "$(dpkg-deb -f "$deb" Maintainer)" = "${TETHER_MAINTAINER:-}" ] || fail "$pkg: Maintainer is '$(dpkg-deb -f "$deb" Maintainer)'"
    [ -n "$(dpkg-deb -f "$deb" Homepage)" ] || fail "$pkg: no Homepage"
    # Every package: machine-readable copyright, Debian changelog, upstream changelog.
    listing=$(dpkg -c "$deb")
    for f in copyright changelog.Debian.gz changelog.gz; do
        grep -q " \./usr/share/doc/$pkg/$f\$" <<<"$listing" || fail "$pkg: no /usr/share/doc/$pkg/$f"
    done
    dpkg -x "$deb" "$root"
    head -n 1 "$root/usr/share/doc/$pkg/copyright" 2>/dev/null \
        | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
        || fail "$pkg: copyright is not in the machine-readable format"
    changelog_version=$(zcat "$root/usr/share/doc/$pkg/changelog.Debian.gz" 2>/dev/null | sed -n '1s/^tether (\([^)]*\)).*/\1/p')
    [ "$changelog_version" = "$deb_version" ] || fail "$pkg: changelog.Debian.gz starts with '$changelog_version', not $deb_version"
done

depends() { dpkg-deb -f "$out/${1}_${deb_version}_${arch}.deb" Depends 2>/dev/null || true; }
expect_depends() {  # PACKAGE REGEX WHY
    depends "$1" | grep -Eq "$2" || fail "$1 does not depend on $2 ($3): Depends: $(depends "$1")"
}
expect_file() {  # PATH (in the scratch root)
    [ -e "$root/$1" ] || fail "missing /$1"
}

lib=usr/lib/$multiarch
# The runtime library: real file + SONAME link, no .so dev link, dependencies from shlibdeps.
expect_file "$lib/libtether.so.$TETHER_VERSION"
[ "$(readlink "$root/$lib/libtether.so.$TETHER_SOVERSION" || true)" = "libtether.so.$TETHER_VERSION" ] \
    || fail "/$lib/libtether.so.$TETHER_SOVERSION is not a link to libtether.so.$TETHER_VERSION"
soname=$(readelf -d "$root/$lib/libtether.so.$TETHER_VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libtether.so.$TETHER_SOVERSION" ] || fail "SONAME is '$soname'"
dpkg -c "$out/${runtime}_${deb_version}_${arch}.deb" | grep -q 'libtether\.so -> ' \
    && fail "$runtime holds the libtether.so development link (belongs to libtether-dev)"
expect_depends "$runtime" 'libc6' 'shlibdeps'
expect_depends "$runtime" 'libqt6core6' 'shlibdeps'
depends "$runtime" | grep -q 'libqt6websockets6' \
    && fail "$runtime depends on libqt6websockets6 (the SDK speaks RFC 6455 over QtNetwork itself)"
expect_depends "$runtime" 'libsqlite3-0' 'shlibdeps: the durable store'
dpkg-deb -I "$out/${runtime}_${deb_version}_${arch}.deb" shlibs >/dev/null 2>&1 \
    || fail "$runtime has no shlibs control file"

# The development package: headers, the .so link, the CMake package.
expect_file "usr/include/Tether/client.h"
expect_file "usr/include/Tether/Client"
expect_file "usr/include/Tether/version.h"
expect_file "usr/include/TetherQml/qmlclient.h"
[ -z "$(find "$root/usr/include" -name '*_p.h')" ] || fail "private headers in libtether-dev"
[ "$(readlink "$root/$lib/libtether.so" || true)" = "libtether.so.$TETHER_SOVERSION" ] \
    || fail "/$lib/libtether.so is not a link to libtether.so.$TETHER_SOVERSION"
expect_file "$lib/cmake/Tether/TetherConfig.cmake"
expect_file "$lib/cmake/Tether/TetherConfigVersion.cmake"
expect_file "$lib/cmake/Tether/TetherSdkTargets.cmake"
expect_file "$lib/pkgconfig/tether.pc"
expect_depends libtether-dev "$runtime \(= $deb_version\)" 'exact version'
depends libtether-dev | grep -q 'qt6-websockets-dev' && fail "libtether-dev depends on qt6-websockets-dev (the SDK does not use Qt WebSockets)"

if [ "${TETHER_HAS_QML:-OFF}" = ON ]; then
    # Debian's Qt looks for QML modules in /usr/lib/<multiarch>/qt6/qml.
    qml=$lib/qt6/qml/Tether
    expect_file "$qml/qmldir"
    typeinfo=$(sed -n 's/^typeinfo \(.*\)/\1/p' "$root/$qml/qmldir" 2>/dev/null || true)
    [ -n "$typeinfo" ] && expect_file "$qml/$typeinfo" || fail "$qml/qmldir names no typeinfo"
    plugin=$(sed -n 's/^\(optional \)\?plugin \([^ ]*\).*/\2/p' "$root/$qml/qmldir" 2>/dev/null || true)
    if [ -n "$plugin" ]; then expect_file "$qml/lib$plugin.so"; else fail "$qml/qmldir names no plugin"; fi
    expect_file "$lib/libtetherqml.so.$TETHER_SOVERSION"
    expect_file "$lib/cmake/Tether/TetherQmlTargets.cmake"
    expect_depends qml6-module-tether "$runtime \(= $deb_version\)" 'exact version'
    expect_depends qml6-module-tether 'libqt6qml6' 'shlibdeps'
fi

if [ -n "${TETHER_TOOLS:-}" ]; then
    for tool in $TETHER_TOOLS; do
        expect_file "usr/bin/$tool"
    done
    [[ " $TETHER_TOOLS " == *" tether-server "* ]] && expect_depends tether-tools 'libwebsockets' 'shlibdeps'
    expect_depends tether-tools "$runtime \(= $deb_version\)" 'exact version'
    for tool in $TETHER_TOOLS; do
        expect_file "usr/share/man/man1/$tool.1.gz"
    done
    if [[ " $TETHER_TOOLS " == *" tether-server "* ]]; then
        expect_file lib/systemd/system/tether-server.service
        expect_file etc/default/tether-server
        dpkg-deb -I "$out/tether-tools_${deb_version}_${arch}.deb" conffiles 2>/dev/null \
            | grep -qx /etc/default/tether-server || fail "tether-tools: /etc/default/tether-server is not a conffile"
        # The unit as systemd reads it; a copy whose ExecStart names the unpacked binary,
        # since tether-server is not installed on this system.
        unit_dir=$(mktemp -d)
        sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" \
            "$root/lib/systemd/system/tether-server.service" >"$unit_dir/tether-server.service"
        if ! verify=$(systemd-analyze verify --man=no "$unit_dir/tether-server.service" 2>&1) \
                || [ -n "$verify" ]; then
            fail "tether-server.service: systemd-analyze verify: $verify"
        fi
        rm -rf "$unit_dir"
        for directive in DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict \
                EnvironmentFile=-/etc/default/tether-server; do
            grep -qx "$directive" "$root/lib/systemd/system/tether-server.service" \
                || fail "tether-server.service lacks $directive"
        done
    fi
fi

if [ "${TETHER_HAS_DEMOS:-OFF}" = ON ]; then
    for demo in tether-chat tether-dashboard; do
        expect_file "usr/bin/$demo"
        expect_file "usr/share/man/man1/$demo.1.gz"
        expect_file "usr/share/applications/$demo.desktop"
        expect_file "usr/share/icons/hicolor/scalable/apps/$demo.svg"
        [ -f "$root/usr/share/applications/$demo.desktop" ] \
            && { desktop-file-validate "$root/usr/share/applications/$demo.desktop" || fail "$demo.desktop is not valid"; }
    done
    expect_depends tether-demos "qml6-module-tether \(= $deb_version\)" 'the dashboard imports Tether'
    expect_depends tether-demos 'qml6-module-qtquick' 'the dashboard imports QtQuick'
    expect_depends tether-demos 'libqt6widgets6' 'shlibdeps: the chat'
fi

if [ "${TETHER_HAS_DOC:-OFF}" = ON ]; then
    expect_file usr/share/doc/tether-doc/html/index.html
    expect_file usr/share/doc/tether-doc/html/classTether_1_1Client.html
    expect_file usr/share/qt6/doc/tether.qch
    [ "$(dpkg-deb -f "$out/tether-doc_${deb_version}_all.deb" Architecture)" = all ] || fail "tether-doc is not Architecture: all"
    # A .qch is an SQLite database that Qt Help opens: it must list the Client page.
    if [ -f "$root/usr/share/qt6/doc/tether.qch" ]; then
        file -b "$root/usr/share/qt6/doc/tether.qch" | grep -q SQLite || fail "tether.qch is not a Qt Help (SQLite) file"
    fi
fi

if [ $failures -gt 0 ]; then
    echo "check-deb: $failures failure(s)" >&2
    exit 1
fi
echo "check-deb: OK (${#packages[@]} packages in $out)"
