#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-lintian.sh DEBDIR — lintian (pedantic) over every .deb in DEBDIR. Fails on any
# error, and on any warning or pedantic tag that packaging/debian/lintian-accepted does not
# list with its reason; prints the accepted ones and the informational tags.
set -euo pipefail

debs=$(cd "${1:?usage: check-lintian.sh DEBDIR}" && pwd)
accepted_file=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/debian/lintian-accepted
command -v lintian >/dev/null || { echo "check-lintian: lintian is missing (packaging/install-deps.sh installs it)" >&2; exit 1; }
shopt -s nullglob
files=("$debs"/*.deb)
[ ${#files[@]} -gt 0 ] || { echo "check-lintian: no .deb in $debs" >&2; exit 1; }

accepted=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$accepted_file" | awk '{ print $1 }')
# lintian's own exit status says only whether it ran: the tags decide here.
report=$(lintian --pedantic --display-info --no-tag-display-limit "${files[@]}" 2>&1) || true
if grep -q '^internal error\|^Traceback\|^Cannot ' <<<"$report"; then
    echo "check-lintian: lintian did not run:" >&2
    echo "$report" >&2
    exit 1
fi

failures=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    kind=${line%%:*}
    tag=$(awk '{ print $3 }' <<<"$line")
    case $kind in
        E) echo "check-lintian: FAIL (error): $line" >&2; failures=$((failures + 1)) ;;
        W|P)
            if grep -qxF "$tag" <<<"$accepted"; then
                echo "accepted: $line"
            else
                echo "check-lintian: FAIL (not accepted): $line" >&2; failures=$((failures + 1))
            fi ;;
        *) echo "info:     $line" ;;
    esac
done < <(grep -E '^[EWPIXO]: ' <<<"$report" || true)

if [ $failures -gt 0 ]; then
    echo "check-lintian: $failures tag(s) to fix (or to accept with a reason in $accepted_file)" >&2
    exit 1
fi
echo "check-lintian: OK (${#files[@]} packages, no error, every warning accepted with its reason)"
