# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT

# CPack: Debian packages, one per install component (included by packaging/CMakeLists.txt).
#
#   libtether<so>        Runtime       libtether.so.<soversion>            (Debian library
#                                      package naming: the SONAME is libtether.so.0.1)
#   qml6-module-tether   Qml           the QML module: libtetherqml.so.<soversion>, plugin,
#                                      qmldir, qmltypes (Debian's qml6-module-* naming)
#   libtether-dev        Development   headers, .so links, CMake package
#   tether-tools         Tools         tether-server (+ systemd unit, /etc/default), tether-cli
#   tether-demos         Demos         tether-chat, tether-dashboard (+ .desktop, icons)
#   tether-doc           Doc           the API reference: HTML and Qt Help (.qch)
# Every package has man pages where it has programs, and /usr/share/doc/<package>/
# {copyright, changelog.Debian.gz, changelog.gz} (debian.cmake).
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
set(TETHER_DEB_DEMOS tether-demos)
set(TETHER_DEB_DOC tether-doc)

set(CPACK_PACKAGE_NAME tether)
set(CPACK_PACKAGE_VENDOR "Tether project")
set(CPACK_PACKAGE_CONTACT "${TETHER_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${TETHER_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Empty: CPack would put it first in every package's Description, while each package's
# description starts with its own synopsis line.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_HOMEPAGE_URL "${TETHER_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${TETHER_HOMEPAGE}")
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
# Control files (conffiles, shlibs) with the modes dpkg and lintian expect.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
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
Keeps an application connected to a real-time server over WebSocket and
delivers its messages reliably: reconnection with backoff, heartbeats,
request/response, at-least-once delivery with acknowledgements, channels and
an offline outbox.")

set(CPACK_DEBIAN_QML_PACKAGE_NAME ${TETHER_DEB_QML})
set(CPACK_DEBIAN_QML_PACKAGE_DEPENDS "${TETHER_DEB_RUNTIME} ${_exact}")
set(CPACK_DEBIAN_QML_DESCRIPTION
    "Tether: reliable real-time WebSocket client SDK for Qt (QML module)
The QML module Tether: Client, Channel and MessageModel types usable from
QML without C++ glue.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME ${TETHER_DEB_DEV})
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
# The CMake package finds Qt6 Core/Network (Sdk) and Gui/Qml (Qml) itself.
set(_dev_depends "${TETHER_DEB_RUNTIME} ${_exact}, qt6-base-dev (>= 6.4)")
if(TETHER_HAS_QML)
    string(APPEND _dev_depends ", ${TETHER_DEB_QML} ${_exact}, qt6-declarative-dev (>= 6.4)")
endif()
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS "${_dev_depends}")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "Tether: reliable real-time WebSocket client SDK for Qt (development files)
Public headers, the CMake package (find_package(Tether 0.1 REQUIRED
COMPONENTS Sdk Qml) gives Tether::Sdk and Tether::Qml) and tether.pc for
pkg-config (qmake, meson).")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME ${TETHER_DEB_TOOLS})
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${TETHER_DEB_RUNTIME} ${_exact}")
set(CPACK_DEBIAN_TOOLS_PACKAGE_CONTROL_EXTRA "${CMAKE_CURRENT_BINARY_DIR}/debian/tools/conffiles")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION
    "Tether: reference server and command-line client
tether-server, the reference server of the Tether protocol (libwebsockets),
with a hardened systemd unit (not enabled on install; options in
/etc/default/tether-server), and tether-cli, a terminal client with
reconnection, queueing and requests.")

# The demos load the QML modules they import at run time: no shared-library dependency
# tells dpkg-shlibdeps about them.
set(CPACK_DEBIAN_DEMOS_PACKAGE_NAME ${TETHER_DEB_DEMOS})
set(CPACK_DEBIAN_DEMOS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_DEMOS_PACKAGE_DEPENDS
    "${TETHER_DEB_RUNTIME} ${_exact}, ${TETHER_DEB_QML} ${_exact}, qml6-module-qtquick, qml6-module-qtquick-window")
set(CPACK_DEBIAN_DEMOS_PACKAGE_RECOMMENDS "${TETHER_DEB_TOOLS}")
set(CPACK_DEBIAN_DEMOS_DESCRIPTION
    "Tether: demo applications
tether-chat, a desktop chat (Qt Widgets: rooms, presence, delivery ticks,
offline queue), and tether-dashboard, a live QML dashboard of the metrics of
a tether-server.")

set(CPACK_DEBIAN_DOC_PACKAGE_NAME ${TETHER_DEB_DOC})
set(CPACK_DEBIAN_DOC_PACKAGE_SECTION doc)
set(CPACK_DEBIAN_DOC_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DOC_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DOC_DESCRIPTION
    "Tether: reliable real-time WebSocket client SDK for Qt (API reference)
The reference of the public C++ API in HTML (/usr/share/doc/tether-doc/html)
and as Qt Help for Qt Creator (/usr/share/qt6/doc/tether.qch).")

set(CPACK_COMPONENTS_ALL Runtime Development Tools)
if(TETHER_HAS_QML)
    list(INSERT CPACK_COMPONENTS_ALL 1 Qml)
endif()
if(TETHER_HAS_DEMOS AND TETHER_HAS_QML)
    list(APPEND CPACK_COMPONENTS_ALL Demos)
endif()
if(TETHER_HAS_DOC)
    list(APPEND CPACK_COMPONENTS_ALL Doc)
endif()
foreach(component Runtime Qml Development Tools Demos Doc)
    if(component IN_LIST CPACK_COMPONENTS_ALL)
        string(TOUPPER ${component} _upper)
        tether_debian_docs(${component} ${CPACK_DEBIAN_${_upper}_PACKAGE_NAME})
    endif()
endforeach()

# Library packages: an ldconfig trigger instead of CPack's ldconfig maintainer scripts.
set(CPACK_POST_BUILD_SCRIPTS "${CMAKE_CURRENT_SOURCE_DIR}/deb-ldconfig-trigger.cmake")

include(CPack)
