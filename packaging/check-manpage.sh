#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check-manpage.sh PAGE BINARY [SUBCOMMAND]... — a man page says what the program does:
# the long options in the page's OPTIONS section are exactly those `BINARY --help` (and
# `BINARY SUBCOMMAND --help` for each SUBCOMMAND) mention, no fewer and no more. Both
# sides are read as a person reads them: the page rendered by man(1), the help as
# printed. Also fails on any warning of man/groff about the page (what lintian reports).
set -euo pipefail

page=${1:?usage: check-manpage.sh PAGE BINARY [SUBCOMMAND]...}
binary=${2:?usage: check-manpage.sh PAGE BINARY [SUBCOMMAND]...}
shift 2
command -v man >/dev/null || { echo "check-manpage: man is missing (packaging/install-deps.sh installs man-db)" >&2; exit 1; }
[ -f "$page" ] || { echo "check-manpage: no such page: $page" >&2; exit 1; }

long_options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }

help=$(QT_QPA_PLATFORM=offscreen "$binary" --help 2>/dev/null)
for sub in "$@"; do
    help+=$'\n'$(QT_QPA_PLATFORM=offscreen "$binary" "$sub" --help 2>/dev/null)
done
in_help=$(long_options <<<"$help")
[ -n "$in_help" ] || { echo "check-manpage: FAIL: $binary --help lists no option" >&2; exit 1; }

warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null || true)
rendered=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -E ascii -l -P cat "$page" 2>/dev/null)
# The OPTIONS section: from its heading to the next unindented heading.
in_page=$(awk '/^OPTIONS$/ { on = 1; next } /^[A-Z][A-Z ]*$/ { on = 0 } on' <<<"$rendered" | long_options)

failures=0
if [ -n "$warnings" ]; then
    echo "check-manpage: FAIL: man warns about $page:" >&2
    sed 's/^/  /' <<<"$warnings" >&2
    failures=$((failures + 1))
fi
missing=$(comm -23 <(echo "$in_help") <(echo "$in_page"))
extra=$(comm -13 <(echo "$in_help") <(echo "$in_page"))
if [ -n "$missing" ]; then
    echo "check-manpage: FAIL: $(basename "$page") does not document:" $missing >&2
    failures=$((failures + 1))
fi
if [ -n "$extra" ]; then
    echo "check-manpage: FAIL: $(basename "$page") documents options $(basename "$binary") --help does not have:" $extra >&2
    failures=$((failures + 1))
fi
[ $failures -eq 0 ] || exit 1
echo "check-manpage: OK, $(basename "$page") documents the $(wc -l <<<"$in_help") options of $(basename "$binary")"
