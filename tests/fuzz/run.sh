#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Runs each fuzzer (the two decoders, then the engine) for <seconds> on a temporary copy of
# its seed corpus (the repo is never written). Fails on any crash, leak, timeout, sanitizer report or contract
# violation; the input that triggered it is kept under <build-dir>/fuzz-artifacts/.
#   usage: tests/fuzz/run.sh <build-dir> <seconds>     (build: cmake --preset fuzz)
set -euo pipefail

build=${1:?usage: run.sh <build-dir> <seconds>}
seconds=${2:?usage: run.sh <build-dir> <seconds>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(cd "$build" && pwd)
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

status=0
for codec in json cbor engine; do
    bin="$build/tests/fuzz/fuzz_${codec}_decode"
    [ "$codec" = engine ] && bin="$build/tests/fuzz/fuzz_engine"
    if [ ! -x "$bin" ]; then
        echo "fuzz: $bin not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
        exit 1
    fi
    mkdir -p "$work/$codec"
    cp "$here/corpus/$codec/"* "$work/$codec/"
    dict=()
    [ -f "$here/$codec.dict" ] && dict=(-dict="$here/$codec.dict")
    echo "== fuzz $codec for ${seconds}s ($(ls "$work/$codec" | wc -l) seeds)"
    set +e
    # -rss_limit_mb and -malloc_limit_mb turn unbounded allocation into a failure.
    "$bin" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=512 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$codec-" "$work/$codec" >"$work/$codec.log" 2>&1
    rc=$?
    set -e
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$codec.log" || true
    if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|contract violated' "$work/$codec.log"; then
        echo "fuzz: $codec FAILED (exit $rc); log tail:" >&2
        tail -n 60 "$work/$codec.log" >&2
        status=1
    else
        echo "fuzz: $codec OK"
    fi
done
exit $status
