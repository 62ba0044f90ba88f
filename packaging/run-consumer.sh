#!/usr/bin/env bash
# run-consumer.sh KIND PREFIX WORKDIR — builds tests/consumer/KIND (sdk | qml), or the
# example examples/simpleclient (KIND simpleclient), against the
# Tether installed in PREFIX only, starts PREFIX/bin/tether-server on a free port and runs
# the consumer against it. Bounded: the server must be ready within 10 s, the consumer
# gives up by itself after 20 s, and the server is always stopped.
# WORKDIR keeps the consumer's build between runs (incremental, a few seconds).
# Environment (ctest, packaging/checks.cmake): CMAKE_COMMAND, CMAKE_GENERATOR,
# CMAKE_CXX_COMPILER.
set -euo pipefail

kind=${1:?usage: run-consumer.sh sdk|qml|simpleclient PREFIX WORKDIR}
prefix=$(cd "${2:?}" && pwd)
work=${3:?}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
project=$source_dir/tests/consumer/$kind
cmake=${CMAKE_COMMAND:-cmake}
case $kind in
    sdk) exes=(tether-consumer) ;;
    simpleclient) exes=(simpleclient); project=$source_dir/examples/simpleclient ;;
    qml) exes=(tether-consumer-qml tether-consumer-qml-linked) ;;
    *) echo "run-consumer: unknown consumer $kind" >&2; exit 2 ;;
esac

# The consumer must see the installed prefix and the system, never this source or build
# tree: CMAKE_PREFIX_PATH is the prefix alone, and no package registry is consulted.
generator=()
[ -n "${CMAKE_GENERATOR:-}" ] && generator=(-G "$CMAKE_GENERATOR")
compiler=()
[ -n "${CMAKE_CXX_COMPILER:-}" ] && compiler=(-DCMAKE_CXX_COMPILER="$CMAKE_CXX_COMPILER")
if [ -f "$work/CMakeCache.txt" ] && ! grep -q "^CMAKE_PREFIX_PATH:.*=$prefix\$" "$work/CMakeCache.txt"; then
    rm -rf "$work"
fi
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
    timeout 60 "$work/$exe" "ws://127.0.0.1:$port" || status=$?
    if [ $status -ne 0 ]; then
        echo "run-consumer: FAIL: $exe exited with $status; server stderr:" >&2
        tail -n 50 "$server_err" >&2
        exit $status
    fi
done
