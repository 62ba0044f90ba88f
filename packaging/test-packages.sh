#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-packages.sh BUILD — the .debs of BUILD installed in a clean Debian bookworm root,
# and applications built against them there (CI stage "packages", run-tests.sh):
#   1. cpack: the packages of BUILD (as packaging_deb makes them);
#   2. debootstrap --variant=minbase bookworm into BUILD/packaging/debroot/root;
#   3. apt-get install of every package inside the root, dependencies from the mirror: the
#      Depends fields are complete, and libtether-dev does not pull qt6-websockets-dev;
#   4. tests/consumer/sdk built there with find_package(Tether) (CMake) and with
#      `pkg-config --cflags --libs tether`, tests/consumer/qml with the QML module from
#      /usr, each run against the packaged /usr/bin/tether-server.
# Downloads are cached in BUILD/packaging/debroot-cache (debootstrap's and apt's .debs), so
# a second run reads the mirror's indexes only. The root is mounted with nothing but its
# own /proc (Qt reads /proc/self/exe); it is unmounted, and checked to be, before the root
# is deleted. KEEP_ROOT=1 keeps the root for a look inside.
# Needs root (debootstrap, chroot) and the mirror of /etc/apt/sources.list*.
set -euo pipefail

build=$(cd "${1:?usage: test-packages.sh BUILD}" && pwd)
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suite=bookworm
mirror=${TETHER_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
work=$build/packaging/debroot
cache=$build/packaging/debroot-cache
root=$work/root
for tool in debootstrap chroot cpack mount umount findmnt; do
    command -v "$tool" >/dev/null || { echo "test-packages: $tool is missing (packaging/install-deps.sh installs it)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "test-packages: needs root (debootstrap, chroot)" >&2; exit 1; }

# --- the root's mounts: only its own /proc, and never a delete while anything is mounted
mounts_under_root() {  # deepest first
    findmnt -rn -o TARGET | awk -v r="$root" 'index($0, r "/") == 1 || $0 == r' | sort -r
}
unmount_root() {
    local m
    for m in $(mounts_under_root); do
        umount "$m" 2>/dev/null || umount -l "$m"
    done
    if [ -n "$(mounts_under_root)" ]; then
        echo "test-packages: still mounted under $root, not deleting it:" >&2
        mounts_under_root >&2
        return 1
    fi
}
remove_root() {
    [ -e "$root" ] || return 0
    unmount_root || return 1
    rm -rf --one-file-system "$root"
}
finish() {
    local status=$?
    # apt's downloads go back to the cache for the next run.
    if [ -d "$root/var/cache/apt/archives" ]; then
        mkdir -p "$cache/apt"
        find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -n {} "$cache/apt/" \; 2>/dev/null || true
    fi
    if [ "${KEEP_ROOT:-0}" = 1 ]; then
        unmount_root || status=1
        echo "test-packages: root kept in $root (unmounted)"
    else
        remove_root || status=1
    fi
    exit $status
}
trap finish EXIT

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
elapsed() { echo $(( $(date +%s) - $1 )); }
t0=$(date +%s)

# --- 1. packages
remove_root
rm -rf "$work"
mkdir -p "$work/debs" "$cache/debootstrap" "$cache/apt"
echo "== cpack $build"
cpack_bin=$(dirname "${CMAKE_COMMAND:-$(command -v cmake)}")/cpack
[ -x "$cpack_bin" ] || cpack_bin=cpack
"$cpack_bin" --config "$build/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log" >&2; exit 1; }
cp "$work/cpack"/*.deb "$work/debs/"
ls "$work/debs"
t_cpack=$(elapsed "$t0")

# --- 2. a clean bookworm root
t1=$(date +%s)
echo "== debootstrap --variant=minbase $suite $mirror"
# In two stages, so that dpkg skips its fsync()s from the start (force-unsafe-io: a root
# thrown away after the test needs no crash safety, and it halves dpkg's time).
debootstrap --foreign --variant=minbase --cache-dir="$cache/debootstrap" "$suite" "$root" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/tether-test-unsafe-io"
chroot "$root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
t_debootstrap=$(elapsed "$t1")

# --- 3. the packages, with their dependencies from the mirror
t2=$(date +%s)
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/proc"
mount -t proc proc "$root/proc"
cp "$cache/apt"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
mkdir -p "$root/tmp/debs"
cp "$work/debs"/*.deb "$root/tmp/debs/"
debs_in_root=()
for deb in "$work/debs"/*.deb; do debs_in_root+=("/tmp/debs/$(basename "$deb")"); done
echo "== apt-get install the packages (and a compiler, cmake, pkg-config)"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${debs_in_root[@]}" cmake g++ make pkg-config >"$work/apt.log" 2>&1 \
    || { tail -n 40 "$work/apt.log" >&2; exit 1; }
t_apt=$(elapsed "$t2")

failures=0
fail() { echo "test-packages: FAIL: $*" >&2; failures=$((failures + 1)); }
for deb in "$work/debs"/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package)
    in_root dpkg-query -W -f='${Status}\n' "$pkg" | grep -q 'install ok installed' || fail "$pkg is not installed"
done
if in_root dpkg-query -W -f='${Status}\n' qt6-websockets-dev 2>/dev/null | grep -q 'install ok installed'; then
    fail "qt6-websockets-dev was installed: libtether-dev (or another package) pulls it"
fi
in_root tether-cli --version | grep -q "$(dpkg-deb -f "$work/debs"/libtether-dev_*.deb Version | cut -d- -f1)" \
    || fail "tether-cli --version from the package"
in_root tether-server --help >/dev/null || fail "tether-server --help from the package"
[ -f "$root/lib/systemd/system/tether-server.service" ] || fail "no /lib/systemd/system/tether-server.service"
[ -f "$root/usr/share/qt6/doc/tether.qch" ] || fail "no /usr/share/qt6/doc/tether.qch"
in_root env QT_QPA_PLATFORM=offscreen tether-dashboard --help >/dev/null || fail "tether-dashboard --help from the package"

# --- 4. consumers inside the root, against /usr only
t3=$(date +%s)
mkdir -p "$root/src/packaging" "$root/src/tests"
cp "$source_dir/packaging/run-consumer.sh" "$root/src/packaging/"
cp -r "$source_dir/tests/consumer" "$root/src/tests/"
for kind in sdk pkgconfig qml; do
    echo "== consumer $kind (inside the root, Tether from /usr)"
    in_root env QT_QPA_PLATFORM=offscreen bash /src/packaging/run-consumer.sh "$kind" /usr "/tmp/consumer-$kind" \
        >"$work/consumer-$kind.log" 2>&1 || { tail -n 30 "$work/consumer-$kind.log" >&2; fail "consumer $kind"; continue; }
    grep 'tether-consumer' "$work/consumer-$kind.log" | tail -n 2
done
t_consumers=$(elapsed "$t3")

echo "test-packages: times: cpack ${t_cpack}s, debootstrap ${t_debootstrap}s, apt-get install ${t_apt}s, consumers ${t_consumers}s, total $(elapsed "$t0")s"
echo "test-packages: root size $(du -sh --one-file-system "$root" | cut -f1)"
[ $failures -eq 0 ] || { echo "test-packages: $failures failure(s)" >&2; exit 1; }
echo "test-packages: OK ($(ls "$work/debs" | wc -l) packages installed in a clean $suite root; consumers built and run there)"
