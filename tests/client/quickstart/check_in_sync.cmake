# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT

# Fails unless DOC (docs/quickstart.md) contains SRC (the quickstart program) verbatim,
# apart from the file's SPDX licence lines (docs/licensing.md), which the doc leaves out.
file(READ "${DOC}" doc)
file(READ "${SRC}" src)
string(REGEX REPLACE "^(// SPDX-[^\n]*\n)+\n?" "" src "${src}")
string(FIND "${doc}" "${src}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${DOC} does not contain ${SRC} verbatim: copy the program into the doc")
endif()
