# Fails unless DOC (docs/quickstart.md) contains SRC (the quickstart program) verbatim.
file(READ "${DOC}" doc)
file(READ "${SRC}" src)
string(FIND "${doc}" "${src}" at)
if(at EQUAL -1)
    message(FATAL_ERROR "${DOC} does not contain ${SRC} verbatim: copy the program into the doc")
endif()
