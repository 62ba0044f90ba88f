#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# build-docs.sh [OUTDIR] — the API reference: Doxygen over the public headers
# (sdk/client/include/Tether/) into OUTDIR (default build/docs), HTML in OUTDIR/html.
#
# Fails on any Doxygen warning (an undocumented public member, a broken reference, a bad
# command): every public member is documented, and stays so. All warnings are in
# OUTDIR/warnings.log. The headers keep the house comment style (`//`);
# doxygen-filter.awk makes Doxygen read it (see there).
# TETHER_DOCS_EXTRA_HEADER (a file) is added to the headers: the check's own test
# (packaging_api_docs_detects_gaps) feeds it an undocumented class that must fail the build.
# TETHER_QHELPGENERATOR (Qt 6's qhelpgenerator, package qt6-documentation-tools) also makes
# OUTDIR/tether.qch: the reference as Qt Help, for Qt Creator (package tether-doc).
# The version comes from the top-level CMakeLists.txt (project(... VERSION ...)), the one
# place it is written; TETHER_VERSION (set by ctest) wins when given.
set -euo pipefail

source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$source_dir/build/docs}
command -v doxygen >/dev/null || { echo "build-docs: doxygen is missing (packaging/install-deps.sh installs it)" >&2; exit 1; }

version=${TETHER_VERSION:-$(sed -n '/^project(Tether/,/)/s/^[[:space:]]*VERSION[[:space:]]\+\([0-9.]\+\).*/\1/p' "$source_dir/CMakeLists.txt")}
[ -n "$version" ] || { echo "build-docs: no project version found in CMakeLists.txt" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/include/Tether"
out=$(cd "$out" && pwd)
# The public headers as installed: everything but _p.h, with version.h configured.
headers=$source_dir/sdk/client/include/Tether
for h in "$headers"/*; do
    case $h in *_p.h|*.in) continue ;; esac
    cp "$h" "$out/include/Tether/"
done
if [ -n "${TETHER_DOCS_EXTRA_HEADER:-}" ]; then
    cp "$TETHER_DOCS_EXTRA_HEADER" "$out/include/Tether/"
fi
IFS=. read -r major minor patch <<<"$version"
sed -e "s/@PROJECT_VERSION@/$version/" -e "s/@PROJECT_VERSION_MAJOR@/$major/" \
    -e "s/@PROJECT_VERSION_MINOR@/$minor/" -e "s/@PROJECT_VERSION_PATCH@/$patch/" \
    "$headers/version.h.in" >"$out/include/Tether/version.h"

cat >"$out/Doxyfile" <<EOF
PROJECT_NAME           = Tether
PROJECT_NUMBER         = $version
PROJECT_BRIEF          = "Reliable real-time WebSocket client SDK for Qt"
OUTPUT_DIRECTORY       = $out
INPUT                  = $source_dir/packaging/api-mainpage.md $out/include/Tether
FILE_PATTERNS          = *.h
USE_MDFILE_AS_MAINPAGE = $source_dir/packaging/api-mainpage.md
STRIP_FROM_PATH        = $out/include
STRIP_FROM_INC_PATH    = $out/include
FULL_PATH_NAMES        = YES
INPUT_FILTER           = "awk -f $source_dir/packaging/doxygen-filter.awk"
FILTER_SOURCE_FILES    = NO
MARKDOWN_SUPPORT       = YES
JAVADOC_AUTOBRIEF      = YES
EXTRACT_ALL            = NO
EXTRACT_PRIVATE        = NO
EXTRACT_STATIC         = NO
EXTRACT_LOCAL_CLASSES  = NO
HIDE_UNDOC_CLASSES     = NO
HIDE_FRIEND_COMPOUNDS  = YES
INTERNAL_DOCS          = NO
SHOW_INCLUDE_FILES     = YES
SORT_MEMBER_DOCS       = NO
ENABLE_PREPROCESSING   = YES
MACRO_EXPANSION        = YES
EXPAND_ONLY_PREDEF     = YES
SEARCH_INCLUDES        = NO
PREDEFINED             = "TETHER_EXPORT=" \\
                         "Q_OBJECT=" "Q_GADGET=" "Q_NAMESPACE=" "Q_NAMESPACE_EXPORT(x)=" \\
                         "Q_PROPERTY(x)=" "Q_ENUM(x)=" "Q_ENUM_NS(x)=" "Q_FLAG(x)=" \\
                         "Q_DECLARE_FLAGS(x,y)=" "Q_DECLARE_METATYPE(x)=" \\
                         "Q_DISABLE_COPY(x)=" "Q_DISABLE_COPY_MOVE(x)=" \\
                         "Q_INVOKABLE=" "Q_SIGNALS=signals" "Q_SLOTS=slots" \\
                         "Q_DECLARE_OPERATORS_FOR_FLAGS(x)="
QUIET                  = YES
WARNINGS               = YES
WARN_IF_UNDOCUMENTED   = YES
WARN_IF_DOC_ERROR      = YES
WARN_IF_INCOMPLETE_DOC = NO
WARN_NO_PARAMDOC       = NO
WARN_AS_ERROR          = NO
WARN_FORMAT            = "\$file:\$line: \$text"
WARN_LOGFILE           = $out/warnings.log
GENERATE_HTML          = YES
HTML_OUTPUT            = html
GENERATE_LATEX         = NO
GENERATE_TREEVIEW      = YES
SEARCHENGINE           = YES
HAVE_DOT               = NO
EOF
if [ -n "${TETHER_QHELPGENERATOR:-}" ]; then
    # Doxygen writes the help project (html/index.qhp); qhelpgenerator compiles it below.
    cat >>"$out/Doxyfile" <<EOF
GENERATE_QHP           = YES
QHP_NAMESPACE          = org.tether.sdk.${version//./}
QHP_VIRTUAL_FOLDER     = tether
QHP_CUST_FILTER_NAME   = "Tether $version"
QHP_CUST_FILTER_ATTRS  = tether $version
QHP_SECT_FILTER_ATTRS  = tether $version
EOF
fi

(cd "$out" && doxygen Doxyfile)

[ -f "$out/html/index.html" ] || { echo "build-docs: FAIL: no html/index.html" >&2; exit 1; }
# Point the warnings at the real headers rather than the copies.
sed -i -e "s|$out/include/Tether/|sdk/client/include/Tether/|" -e "s|$source_dir/||" "$out/warnings.log"

if grep -q . "$out/warnings.log"; then
    echo "build-docs: FAIL: Doxygen warned (undocumented public API or bad docs):" >&2
    sed 's/^/  /' "$out/warnings.log" >&2
    exit 1
fi
if [ -n "${TETHER_QHELPGENERATOR:-}" ]; then
    [ -x "$TETHER_QHELPGENERATOR" ] || { echo "build-docs: no qhelpgenerator at $TETHER_QHELPGENERATOR (packaging/install-deps.sh installs qt6-documentation-tools)" >&2; exit 1; }
    "$TETHER_QHELPGENERATOR" -s "$out/html/index.qhp" -o "$out/tether.qch" || {
        echo "build-docs: FAIL: qhelpgenerator could not compile html/index.qhp" >&2; exit 1; }
    # The .qhp is the input of the .qch; it is not part of the HTML reference.
    rm -f "$out/html/index.qhp"
    echo "build-docs: Qt Help: $out/tether.qch"
fi
echo "build-docs: OK, $out/html/index.html (Tether $version; no warnings)"
