#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# SPDX licence lines in every source file (docs/licensing.md).
#
#   packaging/spdx.sh --check   list every file without an SPDX-License-Identifier line
#                               (and every file of a type this script does not know);
#                               exit 1 if there is one (ctest packaging_spdx)
#   packaging/spdx.sh --add     give those files the two lines, in their comment syntax;
#                               idempotent: a file that has the identifier is not touched
#
# The files are the repository's (tracked, plus new files git does not ignore), or, outside
# a git checkout, everything but build trees. A new kind of file makes --check fail as
# "unknown type" until it is added to comment_style() below: better than a silent pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly LICENSE_ID="MIT"
readonly COPYRIGHT="2026 The Tether authors"
readonly IDENTIFIER="SPDX-License-Identifier: ${LICENSE_ID}"

usage() {
    echo "usage: $0 --check | --add" >&2
    exit 2
}
[ $# -eq 1 ] || usage
case "${1:-}" in
    --check|--add) mode="$1" ;;
    *) usage ;;
esac

list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard
    else
        find . \( -path ./build -o -path './build-*' -o -path ./.git \) -prune -o -type f -print0 \
            | sed -z 's|^\./||'
    fi
}

# The comment syntax of a file: slash (//), hash (#), block (/* */), xml (<!-- -->), roff (.\"), or
# none (documentation and data that cannot hold a comment: LICENSE and README say their
# licence), or unknown.
comment_style() {
    local path="$1" name="${1##*/}"
    case "$path" in
        tests/fuzz/corpus/*) echo none; return ;;
    esac
    case "$name" in
        LICENSE|*.md|*.json|*.png|*.jpg|*.jpeg|*.gif|*.ico|*.icns|*.qch) echo none ;;
        # Generated ABI data, and Debian's own formats (the copyright file states the licence).
        *.abi.gz|*.symbols|changelog|copyright) echo none ;;
        *.1) echo roff ;;
        *.supp|*.suppr|lintian-accepted) echo hash ;;
        *.cpp|*.cc|*.c|*.h|*.hpp|*.qml|*.js|*.mjs|*.h.in|*.cpp.in|*.frag|*.vert) echo slash ;;
        CMakeLists.txt|*.cmake|*.cmake.in|*.sh|*.bash|*.py|*.awk|*.conf|*.conf.in|*.dict|qmldir) echo hash ;;
        *.desktop|*.desktop.in|*.service|*.service.in|*.pc.in|*.yml|*.yaml|*.toml|*.cfg|.gitignore) echo hash ;;
        Dockerfile|*.txt|*.default|*.install|*.links|*.1.in) echo hash ;;
        *.map|*.css|*.ld) echo block ;;
        *.qrc|*.ui|*.xml|*.svg|*.html|*.ts|*.qhp|*.qhcp) echo xml ;;
        *)
            # Extension-less public headers (include/Tether/Client) and scripts (#!).
            if [[ "$path" == */include/* ]]; then
                echo slash
            elif head -c 2 "$path" 2>/dev/null | grep -q '^#!'; then
                echo hash
            else
                echo unknown
            fi
            ;;
    esac
}

has_identifier() {
    head -n 12 "$1" | grep -q "SPDX-License-Identifier:"
}

header_lines() {
    local line
    for line in "SPDX-FileCopyrightText: ${COPYRIGHT}" "${IDENTIFIER}"; do
        case "$1" in
            slash) echo "// $line" ;;
            hash) echo "# $line" ;;
            block) echo "/* $line */" ;;
            xml) echo "<!-- $line -->" ;;
            roff) echo ".\\\" $line" ;;
        esac
    done
}

# Inserts the header: after a #! line or an <?xml ...?> declaration, else on top; a blank
# line keeps it apart from the file's own opening comment. The file keeps its mode.
add_header() {
    local path="$1" style="$2" tmp
    tmp="$(mktemp)"
    {
        local first=""
        IFS= read -r first < "$path" || true
        if [[ "$first" == '#!'* || "$first" == '<?xml'* ]]; then
            printf '%s\n' "$first"
            header_lines "$style"
            tail -n +2 "$path"
        else
            header_lines "$style"
            if [ -s "$path" ]; then
                echo
                cat "$path"
            fi
        fi
    } > "$tmp"
    cat "$tmp" > "$path"
    rm -f "$tmp"
}

# The whole run is one function called on the script's last line: bash reads a script as it
# runs it, and --add may be rewriting this very file.
main() {
    missing=0
    unknown=0
    added=0
    while IFS= read -r -d '' path; do
        [ -f "$path" ] || continue   # deleted but still in the index
        style="$(comment_style "$path")"
        case "$style" in
            none) continue ;;
            unknown)
                echo "unknown type (teach packaging/spdx.sh its comment syntax): $path"
                unknown=$((unknown + 1))
                continue
                ;;
        esac
        has_identifier "$path" && continue
        if [ "$mode" = --add ]; then
            add_header "$path" "$style"
            has_identifier "$path" || { echo "failed to add the header: $path" >&2; exit 1; }
            echo "added: $path"
            added=$((added + 1))
        else
            echo "no SPDX line: $path"
            missing=$((missing + 1))
        fi
    done < <(list_files)

    if [ "$mode" = --add ]; then
        echo "spdx: $added file(s) given the ${LICENSE_ID} header; $unknown of unknown type"
        [ "$unknown" -eq 0 ]
    else
        if [ $((missing + unknown)) -gt 0 ]; then
            echo "spdx: $missing file(s) without an SPDX line, $unknown of unknown type (fix: packaging/spdx.sh --add)"
            exit 1
        fi
        echo "spdx: every source file has its SPDX line (${LICENSE_ID})"
    fi
}

main "$@"; exit
