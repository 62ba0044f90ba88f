# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT

# CPack: Debian packages, one per install component (included by packaging/CMakeLists.txt).
#
#   libtether<so>        Runtime       libtether.so.<soversion>            (Debian library
#                                      package naming: the SONAME is libtether.so.0.1)
#   qml6-module-tether   Qml           the QML module: libtetherqml.so.<soversion>, plugin,
#                                      qmldir, qmltypes (Debian's qml6-module-* naming)
#   libtether-dev        Development   headers, .so links, CMake package
#   tether-tools         Tools         tether-server, tether-cli
#
# Dependencies on system libraries come from dpkg-shlibdeps; dependencies between these
# packages are exact-version ones (the packages of one build go together), declared here
# because dpkg-shlibdeps has no shlibs information for libraries that are not installed.
#
#   cpack --config <build>/CPackConfig.cmake -B <dir>     (packaging/check-deb.sh does this)
set(TETHER_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
set(TETHER_DEB_RUNTIME libtether${TETHER_SOVERSION})
set(TETHER_DEB_QML qml6-module-tether)
set(TETHER_DEB_DEV libtether-dev)
set(TETHER_DEB_TOOLS tether-tools)

set(CPACK_PACKAGE_NAME tether)
set(CPACK_PACKAGE_VENDOR "Tether project")
set(CPACK_PACKAGE_CONTACT "Tether maintainers <tether@example.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SOURCE_GENERATOR "")
# Debian ships stripped binaries (debug info would go to -dbgsym packages).
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)       # <name>_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps must find our own libraries (tether-cli and the QML plugin need them)
# even though they are not installed on the system: search the build tree for them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "")
foreach(target TetherSdk TetherQml)
    if(TARGET ${target})
        get_target_property(_output_dir ${target} LIBRARY_OUTPUT_DIRECTORY)
        if(NOT _output_dir)
            get_target_property(_output_dir ${target} BINARY_DIR)
        endif()
        list(APPEND CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${_output_dir}")
    endif()
endforeach()
# The library package declares its shlibs so that packages built against it get the
# right dependency from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(_exact "(= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE})")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${TETHER_DEB_RUNTIME})
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "Tether: reliable real-time WebSocket client SDK for Qt (library)
 Keeps an application connected to a real-time server over WebSocket and delivers its
 messages reliably: reconnection with backoff, heartbeats, request/response,
 at-least-once delivery with acknowledgements, channels and an offline outbox.")

set(CPACK_DEBIAN_QML_PACKAGE_NAME ${TETHER_DEB_QML})
set(CPACK_DEBIAN_QML_PACKAGE_DEPENDS "${TETHER_DEB_RUNTIME} ${_exact}")
set(CPACK_DEBIAN_QML_DESCRIPTION
    "Tether: reliable real-time WebSocket client SDK for Qt (QML module)
 The QML module \"Tether\": Client, Channel and MessageModel types usable from QML
 without C++ glue.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME ${TETHER_DEB_DEV})
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
# The CMake package finds Qt6 Core/Network/WebSockets (Sdk) and Gui/Qml (Qml) itself.
set(_dev_depends "${TETHER_DEB_RUNTIME} ${_exact}, qt6-base-dev (>= 6.4), qt6-websockets-dev (>= 6.4)")
if(TETHER_HAS_QML)
    string(APPEND _dev_depends ", ${TETHER_DEB_QML} ${_exact}, qt6-declarative-dev (>= 6.4)")
endif()
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "${_dev_depends}")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "Tether: reliable real-time WebSocket client SDK for Qt (development files)
 Public headers and the CMake package:
 find_package(Tether 0.1 REQUIRED COMPONENTS Sdk Qml) gives Tether::Sdk and Tether::Qml.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ${TETHER_DEB_TOOLS})
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${TETHER_DEB_RUNTIME} ${_exact}")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
    "Tether: reference server and command-line client
 tether-server, the reference server of the Tether protocol (libwebsockets), and
 tether-cli, a terminal client with reconnection, queueing and requests.")

set(CPACK_COMPONENTS_ALL Runtime Development Tools)
if(TETHER_HAS_QML)
    list(INSERT CPACK_COMPONENTS_ALL 1 Qml)
endif()

include(CPack)
