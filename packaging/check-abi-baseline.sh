#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-abi-baseline.sh — the ABI gate of libtether.so (abigail-tools).
#
#   check-abi-baseline.sh --lib LIB --headers DIR... [--baseline FILE] [--previous FILE]
#   check-abi-baseline.sh --current ABI.xml ...      (an ABI dumped before: tests)
#   check-abi-baseline.sh --lib LIB --headers DIR... --update
#
# The public ABI of LIB (abidw: exported functions and variables, and the types of the
# public headers they reach; test-only exports dropped by abi/test-exports.suppr) is
# compared with the committed baseline (abi/libtether.abi.gz) by abidiff:
#   - no change, or only additions            -> OK (additions are compatible);
#   - anything removed or changed, same SONAME -> FAIL: an incompatible change needs a
#     SONAME bump (project(Tether VERSION) minor in 0.x, major after 1.0) and the
#     baseline refreshed (--update) in the same commit;
#   - another SONAME than the baseline's       -> FAIL until the baseline is refreshed
#     (--update) in the commit that bumps it.
# --previous FILE (the baseline of the previous commit; --previous-git REV takes it from
# git, e.g. HEAD~1, the first parent, also of a merge) closes the other door: a baseline refreshed over
# an incompatible change must carry a new SONAME.
# --update writes the baseline (gzip -9n) and abi/libtether.symbols (the exported
# symbols, demangled, for reviewers).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib= current= previous= previous_rev= update=0
baseline=$here/abi/libtether.abi.gz
suppressions=$here/abi/test-exports.suppr
headers=()
while [ $# -gt 0 ]; do
    case $1 in
        --lib) lib=$2; shift 2 ;;
        --headers) headers+=("$2"); shift 2 ;;
        --current) current=$2; shift 2 ;;
        --baseline) baseline=$2; shift 2 ;;
        --previous) previous=$2; shift 2 ;;
        --previous-git) previous_rev=$2; shift 2 ;;
        --update) update=1; shift ;;
        *) echo "check-abi-baseline: unknown argument $1" >&2; exit 2 ;;
    esac
done
for tool in abidw abidiff; do
    command -v $tool >/dev/null || { echo "check-abi-baseline: $tool is missing (packaging/install-deps.sh installs abigail-tools)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$current" ]; then
    [ -f "$lib" ] || { echo "check-abi-baseline: no library: $lib" >&2; exit 2; }
    [ ${#headers[@]} -gt 0 ] || { echo "check-abi-baseline: --headers DIR is required with --lib" >&2; exit 2; }
    hd=()
    for dir in "${headers[@]}"; do hd+=(--headers-dir "$dir"); done
    echo "check-abi-baseline: abidw $lib"
    abidw --no-show-locs --no-comp-dir-path --no-corpus-path --drop-private-types \
        --suppressions "$suppressions" "${hd[@]}" --out-file "$work/current.abi" "$lib"
    current=$work/current.abi
fi

soname_of() { sed -n "1s/.*soname='\([^']*\)'.*/\1/p" "$1"; }
unpack() {  # FILE.gz|FILE -> plain file in $work
    local out=$work/$2
    case $1 in *.gz) gzip -dc "$1" >"$out" ;; *) cp "$1" "$out" ;; esac
    echo "$out"
}

if [ $update -eq 1 ]; then
    gzip -9nc "$current" >"$baseline"
    if [ -n "$lib" ]; then
        nm -D --defined-only "$lib" | awk 'NF == 3 { print $3 }' | c++filt \
            | grep -v -E '^(typeinfo|vtable|typeinfo name) for |Tether::(Convert|Testing|Store|Transport|transportErrorCode)' \
            | sort -u >"$here/abi/libtether.symbols"
    fi
    echo "check-abi-baseline: baseline written: $baseline ($(soname_of "$current"))"
    exit 0
fi

# compare OLD NEW LABEL: prints abidiff's report; sets $verdict to same | compatible |
# incompatible.
compare() {
    local status=0 report
    report=$(abidiff --suppressions "$suppressions" --no-show-locs "$1" "$2" 2>&1) || status=$?
    if [ $((status & 3)) -ne 0 ]; then
        echo "check-abi-baseline: abidiff failed ($status) on $3:" >&2
        echo "$report" >&2
        exit 1
    fi
    if [ $status -eq 0 ]; then
        verdict=same
        return
    fi
    echo "$report" | sed 's/^/  | /'
    # abidiff flags removed symbols as incompatible (8); a changed function or type is
    # only "a change" (4) to it, but breaks callers all the same: only additions pass.
    if [ $((status & 8)) -ne 0 ] || grep -Eq '([1-9][0-9]* Removed|[1-9][0-9]* Changed)' <<<"$report"; then
        verdict=incompatible
    else
        verdict=compatible
    fi
}

[ -f "$baseline" ] || { echo "check-abi-baseline: FAIL: no baseline $baseline (create it with --update)" >&2; exit 1; }
base=$(unpack "$baseline" baseline.abi)
status=0

compare "$base" "$current" "baseline -> this build"
base_soname=$(soname_of "$base")
soname=$(soname_of "$current")
echo "check-abi-baseline: baseline $base_soname, this build $soname: $verdict"
if [ "$soname" != "$base_soname" ]; then
    echo "check-abi-baseline: FAIL: the SONAME changed ($base_soname -> $soname): refresh the baseline in the same commit (packaging/check-abi-baseline.sh --lib ... --update)" >&2
    status=1
elif [ "$verdict" = incompatible ]; then
    echo "check-abi-baseline: FAIL: incompatible ABI change with the same SONAME $soname: bump the version (SONAME) and refresh the baseline in the same commit, or keep the ABI (see above)" >&2
    status=1
elif [ "$verdict" = compatible ]; then
    echo "check-abi-baseline: compatible additions (refresh the baseline with --update when releasing)"
fi

if [ -n "$previous_rev" ]; then
    path=packaging/abi/libtether.abi.gz
    if git -C "$here/.." show "$previous_rev:$path" >"$work/previous.abi.gz" 2>/dev/null; then
        previous=$work/previous.abi.gz
    else
        echo "check-abi-baseline: $previous_rev has no $path (it comes with this commit, or no git history): nothing to compare the baseline with"
    fi
fi
if [ -n "$previous" ]; then
    prev=$(unpack "$previous" previous.abi)
    if cmp -s "$prev" "$base"; then
        echo "check-abi-baseline: baseline unchanged since the previous commit"
    else
        compare "$prev" "$base" "previous baseline -> baseline"
        prev_soname=$(soname_of "$prev")
        echo "check-abi-baseline: baseline rewritten in this commit ($prev_soname -> $base_soname): $verdict"
        if [ "$verdict" = incompatible ] && [ "$prev_soname" = "$base_soname" ]; then
            echo "check-abi-baseline: FAIL: the baseline was refreshed over an incompatible change without a SONAME bump ($base_soname)" >&2
            status=1
        fi
    fi
fi
[ $status -eq 0 ] && echo "check-abi-baseline: OK"
exit $status
