#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# run-consumer.sh KIND PREFIX WORKDIR — builds tests/consumer/KIND (sdk | qml) against the
# Tether installed in PREFIX only (KIND pkgconfig: tests/consumer/sdk/main.cpp built with
# `pkg-config --cflags --libs tether` and nothing else, no CMake; qmake: the same through
# qmake's PKGCONFIG; simpleclient, subscriptions, quickchat: the examples of examples/, the
# last two headless with --check), starts PREFIX/bin/tether-server on a free port and runs
# the consumer against it. Bounded: the server must be ready within 10 s, the consumer
# gives up by itself after 20 s, and the server is always stopped.
# WORKDIR keeps the consumer's build between runs (incremental, a few seconds).
# Environment (ctest, packaging/checks.cmake): CMAKE_COMMAND, CMAKE_GENERATOR,
# CMAKE_CXX_COMPILER.
set -euo pipefail

kind=${1:?usage: run-consumer.sh sdk|qml|pkgconfig|qmake|simpleclient|subscriptions|quickchat PREFIX WORKDIR}
prefix=$(cd "${2:?}" && pwd)
work=${3:?}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
project=$source_dir/tests/consumer/$kind
exe_args=()
cmake=${CMAKE_COMMAND:-cmake}
case $kind in
    sdk) exes=(tether-consumer) ;;
    simpleclient) exes=(simpleclient); project=$source_dir/examples/simpleclient ;;
    subscriptions|quickchat) exes=("$kind"); project=$source_dir/examples/$kind; exe_args=(--check) ;;
    qml) exes=(tether-consumer-qml tether-consumer-qml-linked) ;;
    pkgconfig|qmake) project=$source_dir/tests/consumer/sdk; exes=(tether-consumer-$kind) ;;
    *) echo "run-consumer: unknown consumer $kind" >&2; exit 2 ;;
esac

# The consumer must see the installed prefix and the system, never this source or build
# tree: CMAKE_PREFIX_PATH is the prefix alone, and no package registry is consulted.
generator=()
[ -n "${CMAKE_GENERATOR:-}" ] && generator=(-G "$CMAKE_GENERATOR")
compiler=()
[ -n "${CMAKE_CXX_COMPILER:-}" ] && compiler=(-DCMAKE_CXX_COMPILER="$CMAKE_CXX_COMPILER")
build_with_pkgconfig() {
    # tether.pc of the prefix, and only it (the system's pkg-config path stays for Qt).
    local pcdir
    pcdir=$(dirname "$(find "$prefix" -name tether.pc -path '*/pkgconfig/*' | head -n 1)")
    [ -f "$pcdir/tether.pc" ] || { echo "run-consumer: FAIL: no tether.pc in $prefix" >&2; exit 1; }
    export PKG_CONFIG_PATH=$pcdir
    local flags version libdir
    flags=$(pkg-config --cflags --libs tether)
    version=$(pkg-config --modversion tether)
    libdir=$(pkg-config --variable=libdir tether)
    echo "== pkg-config --cflags --libs tether: $flags"
    # The SDK does not use Qt WebSockets: nothing of it may reach an application.
    if grep -qi websockets <<<"$flags"; then
        echo "run-consumer: FAIL: tether.pc brings Qt WebSockets: $flags" >&2; exit 1
    fi
    rm -rf "$work"; mkdir -p "$work"
    if [ "$kind" = pkgconfig ]; then
        # shellcheck disable=SC2086 # the flags are words
        ${CXX:-c++} -std=c++17 -Wall -Wextra -Werror -o "$work/tether-consumer-pkgconfig" \
            "$project/main.cpp" -DCONSUMER_PACKAGE_VERSION="\"$version\"" \
            $flags -Wl,-rpath,"$libdir"
    else
        local qmake
        qmake=$(command -v qmake6 || echo /usr/lib/qt6/bin/qmake)
        cat >"$work/consumer.pro" <<EOF
TEMPLATE = app
TARGET = tether-consumer-qmake
CONFIG += console c++17 link_pkgconfig warn_on
CONFIG -= app_bundle
QT = core network
PKGCONFIG += tether
SOURCES += $project/main.cpp
DEFINES += CONSUMER_PACKAGE_VERSION=\\\\\\"$version\\\\\\"
QMAKE_RPATHDIR += $libdir
QMAKE_CXXFLAGS += -Werror
EOF
        (cd "$work" && "$qmake" consumer.pro && make -s)
    fi
}

if [ "$kind" = pkgconfig ] || [ "$kind" = qmake ]; then
    build_with_pkgconfig
elif [ -f "$work/CMakeCache.txt" ] && ! grep -q "^CMAKE_PREFIX_PATH:.*=$prefix\$" "$work/CMakeCache.txt"; then
    rm -rf "$work"
fi
if [ "$kind" != pkgconfig ] && [ "$kind" != qmake ]; then
    echo "== configure $project against $prefix"
    "$cmake" -S "$project" -B "$work" "${generator[@]}" "${compiler[@]}" \
        -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_COMPILE_WARNING_AS_ERROR=ON
    # The package must have come from the prefix.
    grep -q "^Tether_DIR:PATH=$prefix/" "$work/CMakeCache.txt" || {
        echo "run-consumer: FAIL: Tether was not found in $prefix:" >&2
        grep '^Tether_DIR' "$work/CMakeCache.txt" >&2
        exit 1
    }
    echo "== build"
    "$cmake" --build "$work"
fi

server_out=$(mktemp)
server_err=$(mktemp)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -f "$server_out" "$server_err"
}
trap cleanup EXIT

# Everything runs from the prefix: no LD_LIBRARY_PATH, the binaries' RUNPATHs must do.
unset LD_LIBRARY_PATH
"$prefix/bin/tether-server" --port 0 >"$server_out" 2>"$server_err" &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$server_out")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "run-consumer: FAIL: tether-server from $prefix did not start:" >&2
    cat "$server_err" >&2
    exit 1
fi

for exe in "${exes[@]}"; do
    echo "== run $exe ws://127.0.0.1:$port"
    status=0
    # GUI examples run headless (offscreen platform, software Qt Quick).
    QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software \
        timeout 60 "$work/$exe" "ws://127.0.0.1:$port" "${exe_args[@]+"${exe_args[@]}"}" || status=$?
    if [ $status -ne 0 ]; then
        echo "run-consumer: FAIL: $exe exited with $status; server stderr:" >&2
        tail -n 50 "$server_err" >&2
        exit $status
    fi
done
