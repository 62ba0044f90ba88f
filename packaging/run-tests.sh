#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# The README's test command: installs what it needs, builds, and runs every test.
#   1. fuzz    the libFuzzer targets on the decoders (TETHER_FUZZ_SECONDS each, default 60)
#   2. clang   everything but the benchmarks built by clang 14 with warnings as errors,
#              AddressSanitizer + UBSan (asan preset): the clang build of issue 16; the
#              unit, server and integration tests run under the sanitizers
#   3. static  BUILD_SHARED_LIBS=OFF (static preset): only the SDK, the QML module with its
#              static plugin, and tests/static, which links them and runs headless
#   4. ci      the shared GCC build (ci preset, warnings as errors): everything, every test
#              (packaging, .deb, ABI, QML, benchmarks' smoke runs included), last so
#              ctest's summary line closes the output; between its build and its ctest,
#              the packages stage: the .debs installed in a clean Debian bookworm root and
#              consumers built there (packaging/test-packages.sh)
#
# Cold figures (empty ccache: a fresh CCACHE_DIR), measured by branch release-build on the
# shared 2-core development machine while ~7 other builds ran (load average 11-17), so
# several times slower than the CI machine; the CI run before issue 16 (fuzz, asan on
# tests-unit + tests-server, ci) took 22 min cold there.
#   static: 64 build steps (SDK, engine, protocol, QML module + plugin, consumer):
#           29 min 47 s wall cold under that load; 25 s after one QML file changed;
#           its 2 tests 0.9 s. By its share of the compile units (~60 of ~320 in `ci`),
#           about 2-3 min cold on the CI machine.
#   clang:  316 build steps (the asan stage before issue 16 built 196: tests-unit +
#           tests-server); not measured to the end here (this machine could not finish
#           it in the time). Estimate: +120 steps at -O0 (~4-5 min) and the integration
#           tests under ASan (~4-6 min) on top of the old asan stage.
# Estimated total on the CI machine: 22 min + clang's extra 8-11 min + static 2-3 min,
# about 32-36 min of the 45 min budget. TETHER_CI_STAGES="fuzz clang static ci packages" (the default)
# selects stages; each stage prints its time ("== ... took").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash packaging/install-deps.sh
jobs=$(nproc)
stages=" ${TETHER_CI_STAGES:-fuzz clang static ci packages} "
started=$SECONDS
took() { echo "== $1 took $(( (SECONDS - $2) / 60 )) min $(( (SECONDS - $2) % 60 )) s"; }

if [[ "$stages" == *" fuzz "* ]] && [ -d tests/fuzz ]; then
    t=$SECONDS
    echo "== fuzz: ${TETHER_FUZZ_SECONDS:-60} s per target (two decoders, the engine)"
    cmake --preset fuzz >/dev/null
    cmake --build --preset fuzz -j "$jobs" --target fuzz_json_decode fuzz_cbor_decode fuzz_engine
    bash tests/fuzz/run.sh build/fuzz "${TETHER_FUZZ_SECONDS:-60}"
    took fuzz "$t"
fi

if [[ "$stages" == *" clang "* ]]; then
    t=$SECONDS
    echo "== clang 14 build (-Werror), unit, server and integration tests under asan + ubsan"
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs"
    ctest --preset asan -j "$jobs"
    took clang "$t"
fi

if [[ "$stages" == *" static "* ]]; then
    t=$SECONDS
    echo "== static build: SDK + QML module (static plugin) + the static consumer"
    cmake --preset static >/dev/null
    cmake --build --preset static -j "$jobs" --target tether-static-consumer
    ctest --preset static
    took static "$t"
fi

if [[ "$stages" == *" ci "* ]]; then
    t=$SECONDS
    echo "== all tests (ci preset, GCC, shared)"
    cmake --preset ci >/dev/null
    cmake --build --preset ci -j "$jobs"
    took "ci build" "$t"
    if [[ "$stages" == *" packages "* ]]; then
        p=$SECONDS
        echo "== packages: the ci build's .debs in a clean Debian bookworm root (packaging/test-packages.sh)"
        bash packaging/test-packages.sh build/ci
        took packages "$p"
    fi
    ctest --preset ci -j "$jobs"
    took ci "$t"
fi
took "the whole run" "$started"
