# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT

# Doxygen INPUT_FILTER for Tether's public headers (used by build-docs.sh).
#
# The house style documents the API with plain `//` comments (STYLE.md: public headers say
# what a call returns and how it fails); Doxygen reads only `///`, `/** */` and `///<`.
# This filter turns the house comments into Doxygen ones without changing line numbers
# (so Doxygen's warnings point at the real lines):
#   - a block of `//` lines directly above a declaration documents it (`///`);
#   - a block followed by a blank line, a preprocessor line, an access specifier or a
#     closing brace is a file or section comment and stays as it is, as do `// ---`
#     section rulers;
#   - `code;  // text` documents the member on that line (`///<`), and comment lines
#     aligned under such a trailing comment continue it;
#   - a block above a run of overloads (declarations of one function with no blank line
#     or comment between them) documents all of them: the others get `///< \overload`.
# Comments inside string literals are left alone (a line whose code part has a quote).

function is_boundary(text) {
    return text ~ /^[ \t]*$/ || text ~ /^[ \t]*#/ || text ~ /^[ \t]*}/ \
        || text ~ /^[ \t]*(public|private|protected)( Q_SLOTS| slots)?[ \t]*:/ \
        || text ~ /^[ \t]*(Q_SIGNALS|signals)[ \t]*:/
}

# A documenting block and the declarations after it, held until the run ends.
function flush_run(    i, declarations, overloads, name, first_name, starts_declaration) {
    declarations = 0
    overloads = 1
    starts_declaration = 1
    for (i = n_doc + 1; i <= n_run; i++) {
        # A body ({ at the end, a brace line, an inline { ...; }), not a `= {}` default;
        # or a comment of its own: not a plain list of declarations.
        if (run[i] ~ /\{[ \t]*$/ || run[i] ~ /^[ \t]*[{}]/ || run[i] ~ /\{[^}]*;/ || run[i] ~ /\/\//)
            overloads = 0
        if (starts_declaration) {
            name = ""
            if (match(run[i], /[A-Za-z_~][A-Za-z0-9_]*[ \t]*\(/))
                name = substr(run[i], RSTART, RLENGTH - 1)
            sub(/[ \t]+$/, "", name)
            if (name == "" || (declarations > 0 && name != first_name))
                overloads = 0
            if (declarations == 0)
                first_name = name
            declarations++
        }
        starts_declaration = run[i] ~ /;[ \t]*$/
    }
    if (overloads && declarations > 1) {
        # The block documents every overload: Doxygen's \overload says so on the others.
        declarations = 0
        for (i = n_doc + 1; i <= n_run; i++) {
            if (run[i] ~ /;[ \t]*$/ && declarations++ > 0)
                run[i] = run[i] " ///< \\overload"
        }
    }
    for (i = 1; i <= n_run; i++)
        print run[i]
    n_run = 0
    n_doc = 0
    in_run = 0
}

# The pending `//` block, now that the line after it (next_line) is known.
function flush_block(next_line,    i) {
    if (n_block == 0)
        return
    if (is_boundary(next_line)) {
        for (i = 1; i <= n_block; i++)
            print block[i]
    } else {
        for (i = 1; i <= n_block; i++) {
            sub(/\/\//, "///", block[i])
            run[++n_run] = block[i]
        }
        n_doc = n_run
        in_run = 1
    }
    n_block = 0
}

{
    line = $0
    comment_only = line ~ /^[ \t]*\/\// && line !~ /^[ \t]*\/\/\//

    if (in_run && (comment_only || is_boundary(line)))
        flush_run()

    if (comment_only) {
        column = index(line, "//")
        if (trailing_column > 0 && column == trailing_column && n_block == 0 && !in_run) {
            # Continuation of the trailing comment of the line above.
            sub(/\/\//, "///<", line)
            print line
            next
        }
        trailing_column = 0
        if (line ~ /^[ \t]*\/\/ ---/) {
            flush_block("")
            print line
            next
        }
        block[++n_block] = line
        next
    }

    flush_block(line)
    trailing_column = 0
    at = index(line, " //")
    if (at > 0 && line !~ /\/\/\//) {
        code = substr(line, 1, at)
        if (code !~ /"/ && code ~ /[^ \t]/) {
            trailing_column = at + 1
            line = substr(line, 1, at) "///<" substr(line, at + 3)
        }
    }
    if (in_run) {
        run[++n_run] = line
        next
    }
    print line
}

END {
    flush_block("")
    flush_run()
}
