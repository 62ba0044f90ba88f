# SPDX-License-Identifier: MIT
# CPack post-build script (CPACK_POST_BUILD_SCRIPTS, cpack.cmake): a package holding a
# shared library in the linker's path gets an ldconfig trigger, as Debian policy asks
# (lintian: lacks-ldconfig-trigger), instead of the postinst/postrm that call ldconfig
# which CPack writes (lintian: maintscript-calls-ldconfig). CPack has no option for it, so
# the .deb is unpacked, fixed and packed again; its files are untouched.
find_program(_dpkg_deb dpkg-deb REQUIRED)
foreach(deb IN LISTS CPACK_PACKAGE_FILES)
    set(tree "${deb}.tree")
    file(REMOVE_RECURSE "${tree}")
    execute_process(COMMAND ${_dpkg_deb} -R "${deb}" "${tree}" COMMAND_ERROR_IS_FATAL ANY)
    if(NOT EXISTS "${tree}/DEBIAN/shlibs")
        file(REMOVE_RECURSE "${tree}")
        continue()
    endif()
    foreach(script postinst postrm)
        if(EXISTS "${tree}/DEBIAN/${script}")
            file(READ "${tree}/DEBIAN/${script}" body)
            # Only CPack's own script (`ldconfig` and nothing else) is replaced.
            string(REGEX REPLACE "#[^\n]*\n|set -e\n|if \\[ \"\\$1\" = \"configure\" \\]; then\n|if \\[ \"\\$1\" = \"remove\" \\]; then\n|fi\n|ldconfig\n|[ \t\n]" "" rest "${body}")
            if(NOT rest STREQUAL "")
                message(FATAL_ERROR "${deb}: unexpected ${script}:\n${body}")
            endif()
            file(REMOVE "${tree}/DEBIAN/${script}")
        endif()
    endforeach()
    file(WRITE "${tree}/DEBIAN/triggers" "activate-noawait ldconfig\n")
    file(CHMOD "${tree}/DEBIAN/triggers" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    execute_process(COMMAND ${_dpkg_deb} --root-owner-group -b "${tree}" "${deb}"
        OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
    file(REMOVE_RECURSE "${tree}")
endforeach()
