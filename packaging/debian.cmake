# SPDX-License-Identifier: MIT
# What the Debian packages ship besides the build's own targets (included by
# packaging/CMakeLists.txt before cpack.cmake): the API reference (tether-doc), the demos'
# desktop integration (tether-demos), man pages, the service of tether-server, and the
# copyright and changelogs every package carries. Sources are in packaging/debian/.
#
# Files only a Debian system wants (/lib/systemd, /etc/default, /usr/share/doc/<package>)
# are EXCLUDE_FROM_ALL: CPack installs them with their component, while a plain
# `cmake --install --prefix ~/opt/tether` never writes outside its prefix.
set(_debian_src ${CMAKE_CURRENT_SOURCE_DIR}/debian)
set(_debian_bin ${CMAKE_CURRENT_BINARY_DIR}/debian)
set(TETHER_COMPONENT_DOC Doc)       # tether-doc: HTML + Qt Help reference
set(TETHER_COMPONENT_DEMOS Demos)   # tether-demos: chat and dashboard

# The one place of the maintainer field (Debian Maintainer, changelog trailer, copyright).
set(TETHER_MAINTAINER "Tether maintainers <maintainers@tether.invalid>" CACHE STRING
    "Maintainer of the Debian packages: Name <address>")
set(TETHER_HOMEPAGE "${PROJECT_HOMEPAGE_URL}" CACHE STRING "Homepage field of the packages and tether.pc")
# The defaults are placeholders under the reserved .invalid domain until the project has a
# public address; a release build must name real ones, so packages for users never carry them.
option(TETHER_RELEASE_PACKAGES "Refuse placeholder maintainer/homepage fields (release builds)" OFF)
include(${CMAKE_CURRENT_LIST_DIR}/release-fields.cmake)

find_program(TETHER_GZIP gzip REQUIRED)
# Debian wants man pages and changelogs compressed at the highest level without a time
# stamp (gzip -9n), so that two builds of the same sources give the same package.
function(tether_gzip out in)
    add_custom_command(OUTPUT ${out}
        COMMAND ${TETHER_GZIP} -9nc ${in} > ${out}
        DEPENDS ${in} VERBATIM)
endfunction()

set(_debian_outputs "")

# --- man pages -------------------------------------------------------------------------
set(_man_pages "")
foreach(pair tether-server:Tools tether-cli:Tools tether-chat:Demos tether-dashboard:Demos)
    string(REPLACE ":" ";" pair "${pair}")
    list(GET pair 0 program)
    list(GET pair 1 component)
    if(TARGET ${program})
        tether_gzip(${_debian_bin}/man/${program}.1.gz ${_debian_src}/man/${program}.1)
        list(APPEND _debian_outputs ${_debian_bin}/man/${program}.1.gz)
        install(FILES ${_debian_bin}/man/${program}.1.gz
            DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT ${component})
    endif()
endforeach()

# --- tether-server as a service (tether-tools) -----------------------------------------
if(TARGET tether-server)
    install(FILES ${_debian_src}/tether-server.service
        DESTINATION /lib/systemd/system COMPONENT ${TETHER_COMPONENT_TOOLS} EXCLUDE_FROM_ALL)
    install(FILES ${_debian_src}/tether-server.default RENAME tether-server
        DESTINATION /etc/default COMPONENT ${TETHER_COMPONENT_TOOLS} EXCLUDE_FROM_ALL)
    # dpkg keeps an administrator's edits of a conffile across upgrades.
    file(WRITE ${_debian_bin}/tools/conffiles "/etc/default/tether-server\n")
endif()

# --- demos: programs, desktop entries, icons (tether-demos) ----------------------------
foreach(demo tether-chat tether-dashboard)
    if(TARGET ${demo})
        tether_relative_rpath(${demo} "${CMAKE_INSTALL_BINDIR}")
        install(TARGETS ${demo} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
            COMPONENT ${TETHER_COMPONENT_DEMOS})
        install(FILES ${_debian_src}/${demo}.desktop
            DESTINATION ${CMAKE_INSTALL_DATADIR}/applications COMPONENT ${TETHER_COMPONENT_DEMOS})
        install(FILES ${_debian_src}/icons/${demo}.svg
            DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
            COMPONENT ${TETHER_COMPONENT_DEMOS})
        set(TETHER_HAS_DEMOS ON)
    endif()
endforeach()

# --- the API reference (tether-doc) ----------------------------------------------------
option(TETHER_BUILD_DOCS "Build the API reference (Doxygen HTML + Qt Help .qch) with the project" ON)
if(TETHER_BUILD_DOCS AND TARGET TetherSdk)
    find_program(TETHER_DOXYGEN doxygen)
    find_program(TETHER_QHELPGENERATOR qhelpgenerator
        HINTS ${QT6_INSTALL_PREFIX}/${QT6_INSTALL_LIBEXECS} /usr/lib/qt6/libexec
        NO_DEFAULT_PATH)
    if(NOT TETHER_DOXYGEN OR NOT TETHER_QHELPGENERATOR)
        message(FATAL_ERROR "TETHER_BUILD_DOCS needs doxygen and Qt 6's qhelpgenerator "
            "(packaging/install-deps.sh installs doxygen and qt6-documentation-tools), "
            "or -DTETHER_BUILD_DOCS=OFF")
    endif()
    set(_doc_out ${CMAKE_CURRENT_BINARY_DIR}/doc)
    file(GLOB _public_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/sdk/client/include/Tether/*)
    add_custom_command(OUTPUT ${_doc_out}/html/index.html ${_doc_out}/tether.qch
        COMMAND ${CMAKE_COMMAND} -E env TETHER_VERSION=${PROJECT_VERSION}
                TETHER_QHELPGENERATOR=${TETHER_QHELPGENERATOR}
                bash ${CMAKE_CURRENT_SOURCE_DIR}/build-docs.sh ${_doc_out}
        DEPENDS ${_public_headers} ${CMAKE_CURRENT_SOURCE_DIR}/build-docs.sh
                ${CMAKE_CURRENT_SOURCE_DIR}/api-mainpage.md
                ${CMAKE_CURRENT_SOURCE_DIR}/doxygen-filter.awk
        COMMENT "API reference (Doxygen, qhelpgenerator)" VERBATIM)
    list(APPEND _debian_outputs ${_doc_out}/html/index.html ${_doc_out}/tether.qch)
    install(DIRECTORY ${_doc_out}/html/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tether-doc/html COMPONENT ${TETHER_COMPONENT_DOC})
    # Debian's Qt 6 documentation directory, where Qt Creator finds the .qch files of the
    # Qt it uses (Edit > Preferences > Help > Documentation lists it).
    install(FILES ${_doc_out}/tether.qch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/qt6/doc COMPONENT ${TETHER_COMPONENT_DOC})
    set(TETHER_HAS_DOC ON)
endif()

# --- copyright and changelogs, in /usr/share/doc/<package>/ of every package -----------
configure_file(${_debian_src}/copyright ${_debian_bin}/copyright @ONLY)
configure_file(${_debian_src}/changelog ${_debian_bin}/changelog.Debian @ONLY)
tether_gzip(${_debian_bin}/changelog.Debian.gz ${_debian_bin}/changelog.Debian)
tether_gzip(${_debian_bin}/changelog.gz ${PROJECT_SOURCE_DIR}/CHANGELOG.md)
list(APPEND _debian_outputs ${_debian_bin}/changelog.Debian.gz ${_debian_bin}/changelog.gz)
# tether_debian_docs(COMPONENT PACKAGE): called by cpack.cmake once the names are known.
function(tether_debian_docs component package)
    install(FILES ${_debian_bin}/copyright ${_debian_bin}/changelog.Debian.gz
            ${_debian_bin}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package}
        COMPONENT ${component} EXCLUDE_FROM_ALL)
endfunction()

add_custom_target(tether-debian-files ALL DEPENDS ${_debian_outputs})
