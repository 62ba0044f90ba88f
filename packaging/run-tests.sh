#!/usr/bin/env bash
# The README's test command: installs what it needs, builds, and runs every test.
#   1. the libFuzzer targets on the decoders (TETHER_FUZZ_SECONDS each, default 60)
#   2. the unit tests and the reference server's conformance suites under AddressSanitizer
#      + UBSan (asan preset; the server itself is built with the sanitizers too)
#   3. the whole suite (unit + integration) with warnings as errors (ci preset), last so
#      ctest's summary line closes the output
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash packaging/install-deps.sh
jobs=$(nproc)

if [ -d tests/fuzz ]; then
    echo "== fuzz: ${TETHER_FUZZ_SECONDS:-60} s per target (two decoders, the engine)"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "$jobs" --target fuzz_json_decode fuzz_cbor_decode fuzz_engine
    bash tests/fuzz/run.sh build/fuzz "${TETHER_FUZZ_SECONDS:-60}"
fi

echo "== unit tests and server suites under asan"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs" --target tests-unit tests-server
ctest --preset asan -j "$jobs"

echo "== all tests (ci preset)"
cmake --preset ci >/dev/null
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"
