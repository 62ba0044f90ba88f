#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-abi-gate.sh SOURCE WORK — proves the ABI gate (check-abi-baseline.sh) catches an
# incompatible change, and lets it through only with a SONAME bump:
#   1. a copy of SOURCE in WORK/src gets a change that compiles unchanged for every caller
#      but breaks the ABI (Tether::agent() gains a defaulted parameter, so its mangled
#      name changes); TetherSdk is built there, configured as the build under test
#      (CMAKE_BUILD_TYPE, TETHER_WERROR, CMAKE_CXX_COMPILER from the environment, so
#      ccache serves every unchanged file) -> the gate must FAIL;
#   2. the same ABI with the SONAME bumped and the baseline refreshed in the same
#      commit -> the gate must PASS;
#   3. the baseline refreshed over the change without a bump -> the gate must FAIL.
set -euo pipefail

source_dir=$(cd "${1:?usage: check-abi-gate.sh SOURCE WORK}" && pwd)
work=${2:?usage: check-abi-gate.sh SOURCE WORK}
gate=$source_dir/packaging/check-abi-baseline.sh
baseline=$source_dir/packaging/abi/libtether.abi.gz
cmake=${CMAKE_COMMAND:-cmake}

rm -rf "$work"
mkdir -p "$work/src"
work=$(cd "$work" && pwd)
src=$work/src
# The sources only: no build trees, no git.
for entry in CMakeLists.txt CMakePresets.json sdk qml demos tests packaging docs; do
    [ -e "$source_dir/$entry" ] && cp -r "$source_dir/$entry" "$src/"
done
rm -rf "$src/build"

# The deliberate incompatible change.
sed -i 's/TETHER_EXPORT const char \*agent() noexcept;/TETHER_EXPORT const char *agent(int flavour = 0) noexcept;/' \
    "$src/sdk/client/include/Tether/version.h.in"
sed -i 's/const char \*agent() noexcept {/const char *agent(int) noexcept {/' "$src/sdk/client/version.cpp"
grep -q 'agent(int flavour = 0)' "$src/sdk/client/include/Tether/version.h.in" \
    && grep -q 'agent(int) noexcept' "$src/sdk/client/version.cpp" \
    || { echo "check-abi-gate: the change did not apply (version.h.in/version.cpp changed?)" >&2; exit 1; }

generator=()
[ -n "${CMAKE_GENERATOR:-}" ] && generator=(-G "$CMAKE_GENERATOR")
compiler=()
[ -n "${CMAKE_CXX_COMPILER:-}" ] && compiler=(-DCMAKE_CXX_COMPILER="$CMAKE_CXX_COMPILER")
echo "== build TetherSdk with the change"
"$cmake" -S "$src" -B "$src/build/gate" "${generator[@]}" "${compiler[@]}" \
    -DCMAKE_BUILD_TYPE="${TETHER_BUILD_TYPE:-RelWithDebInfo}" \
    -DTETHER_WERROR="${TETHER_WERROR:-OFF}" -DTETHER_BUILD_DOCS=OFF >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log" >&2; exit 1; }
"$cmake" --build "$src/build/gate" --target TetherSdk >"$work/build.log" 2>&1 \
    || { tail -n 50 "$work/build.log" >&2; exit 1; }
lib=$(find "$src/build/gate/sdk/client" -name 'libtether.so.*.*.*' | head -n 1)
headers=(--headers "$src/sdk/client/include/Tether" --headers "$src/build/gate/sdk/client/include/Tether")

failures=0
expect() {  # EXPECTED(pass|fail) WHAT -- gate arguments...
    local expected=$1 what=$2 status=0
    shift 3
    echo "== $what (expected: $expected)"
    bash "$gate" "$@" >"$work/gate.log" 2>&1 || status=$?
    sed 's/^/  /' "$work/gate.log"
    if { [ "$expected" = pass ] && [ $status -ne 0 ]; } || { [ "$expected" = fail ] && [ $status -ne 1 ]; }; then
        echo "check-abi-gate: FAIL: $what: the gate exited $status" >&2
        failures=$((failures + 1))
    fi
}

# 1. The change against the committed baseline.
bash "$gate" --lib "$lib" "${headers[@]}" --baseline "$work/broken.abi.gz" --update >/dev/null
gzip -dc "$work/broken.abi.gz" >"$work/broken.abi"
expect fail "incompatible change, same SONAME" -- --current "$work/broken.abi" --baseline "$baseline"
grep -q 'incompatible ABI change with the same SONAME' "$work/gate.log" \
    || { echo "check-abi-gate: FAIL: the gate did not name the incompatible change" >&2; failures=$((failures + 1)); }
grep -q "Tether::agent()" "$work/gate.log" \
    || { echo "check-abi-gate: FAIL: abidiff's report does not name Tether::agent()" >&2; failures=$((failures + 1)); }

# 2. The same change in a commit that bumps the SONAME and refreshes the baseline.
old_soname=$(gzip -dc "$baseline" | sed -n "1s/.*soname='\([^']*\)'.*/\1/p")
new_soname=${old_soname%.*}.$(( ${old_soname##*.} + 1 ))
sed "1s/soname='$old_soname'/soname='$new_soname'/" "$work/broken.abi" >"$work/bumped.abi"
gzip -9nc "$work/bumped.abi" >"$work/bumped.abi.gz"
expect pass "incompatible change with the SONAME bumped ($old_soname -> $new_soname) and the baseline refreshed" \
    -- --current "$work/bumped.abi" --baseline "$work/bumped.abi.gz" --previous "$baseline"

# 3. The baseline refreshed over the change, SONAME kept.
expect fail "baseline refreshed over the change without a bump" \
    -- --current "$work/broken.abi" --baseline "$work/broken.abi.gz" --previous "$baseline"
grep -q 'refreshed over an incompatible change without a SONAME bump' "$work/gate.log" \
    || { echo "check-abi-gate: FAIL: the gate did not name the unbumped refresh" >&2; failures=$((failures + 1)); }

[ $failures -eq 0 ] || { echo "check-abi-gate: $failures failure(s)" >&2; exit 1; }
echo "check-abi-gate: OK (an incompatible change fails the gate unless the SONAME is bumped)"
