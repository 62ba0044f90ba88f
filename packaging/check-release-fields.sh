#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# packaging_release_fields: with TETHER_RELEASE_PACKAGES on, release-fields.cmake refuses a
# placeholder maintainer or homepage (the reserved .invalid domain, or empty) and accepts
# real ones.   usage: check-release-fields.sh <release-fields.cmake>
set -u
gate=${1:?usage: check-release-fields.sh <release-fields.cmake>}
cmake_cmd=${CMAKE_COMMAND:-cmake}
status=0
# check MAINTAINER HOMEPAGE EXPECT: EXPECT is "ok", or the field the gate must name.
check() {
    local out rc
    out=$("$cmake_cmd" -DTETHER_RELEASE_PACKAGES=ON "-DTETHER_MAINTAINER=$1" "-DTETHER_HOMEPAGE=$2" -P "$gate" 2>&1)
    rc=$?
    if [ "$3" = ok ]; then
        [ $rc -eq 0 ] || { echo "FAIL: refused '$1' '$2': $out"; status=1; }
    elif [ $rc -eq 0 ] || [[ "$out" != *"$3 is a placeholder"* ]]; then
        echo "FAIL: '$1' '$2' not refused for $3 (exit $rc): $out"
        status=1
    fi
}
check "Tether maintainers <maintainers@tether.invalid>" "https://tether.example.org/" TETHER_MAINTAINER
check "Ada <ada@tether.example.org>" "https://example.invalid/tether" TETHER_HOMEPAGE
check "Ada <ada@tether.example.org>" "" TETHER_HOMEPAGE
check "Ada <ada@tether.example.org>" "https://tether.example.org/" ok
[ $status -eq 0 ] && echo "release-fields: OK"
exit $status
