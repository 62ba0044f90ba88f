#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# The README's test command: installs what it needs, builds, and runs every test.
# Stages (TETHER_CI_STAGES="fuzz clang static ci packages" is the default; each prints
# its time, "== ... took"):
#   1. fuzz     the libFuzzer targets: both decoders and the engine, TETHER_FUZZ_SECONDS
#               each (default 60)
#   2. clang    everything but the benchmarks built by clang 14 with warnings as errors,
#               AddressSanitizer + UBSan (asan preset): the clang build. EVERY test that
#               build has but QML (unit, server, integration and soak, cluster, CLI and
#               demos) runs here, once, under the sanitizers, slow timers scaled
#               (TETHER_TEST_TIME_SCALE=3). QML stays in the ci stage: tst_qml's 20 000
#               message flood fails under ASan (its push request ends in an error; not
#               understood yet), and QML is mostly Qt's uninstrumented code
#   3. static   BUILD_SHARED_LIBS=OFF (static preset): only the SDK, the QML module with its
#               static plugin, and tests/static, which links them and runs headless
#   4. ci       the shared GCC build (ci preset, warnings as errors): everything; its tests
#               are only what the clang stage cannot run (ctest preset ci-unsanitized-only:
#               packaging, ABI, docs, man pages, the benchmarks' smoke runs, QML), so no test
#               runs twice; without the clang stage, every test (preset ci). Last, so
#               ctest's summary line closes the output
#   tsan     (opt-in: TETHER_CI_STAGES="... tsan") ThreadSanitizer (tsan preset, GCC): the
#               store's threads (tst_store, tst_client_storage, bench_store --smoke) and
#               12 clients on 4 threads (tst_client_threads); not in the default list: a
#               build of its own (about 4-6 min), for the threaded components
#   5. packages between the ci build and its ctest: the .debs installed in a clean Debian
#               bookworm root and consumers built there (packaging/test-packages.sh;
#               about 11-13 min, most of it debootstrap and apt-get in the root)
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
    echo "== clang 14 build (-Werror) of everything; every test it has under asan + ubsan"
    cmake --preset asan >/dev/null
    cmake --build --preset asan -j "$jobs"
    ctest --preset asan -j "$jobs"
    took clang "$t"
fi

if [[ "$stages" == *" tsan "* ]]; then
    t=$SECONDS
    echo "== tsan: the store's threads and clients on several threads under ThreadSanitizer"
    cmake --preset tsan >/dev/null
    cmake --build --preset tsan -j "$jobs" --target tst_store tst_client_storage bench_store tst_client_threads tether-server
    ctest --preset tsan -j "$jobs"
    took tsan "$t"
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
    if [[ "$stages" == *" clang "* ]]; then
        ctest --preset ci-unsanitized-only -j "$jobs"
    else
        ctest --preset ci -j "$jobs"
    fi
    took ci "$t"
fi
took "the whole run" "$started"
