# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT

# Packaging checks as ctest tests, label `packaging` (included by packaging/CMakeLists.txt
# when TETHER_BUILD_TESTS is on). They reuse the main build: `cmake --install` of the
# build tree into a prefix inside the build directory, then small consumer projects
# (tests/consumer/) configured and built against that prefix only.
#
#   packaging_abi_symbols       libtether.so exports only Tether:: (check-abi.sh)
#   packaging_abi_symbols_qml   libtetherqml.so: Tether:: and its QML type registration only
#   packaging_abi_detects_leaks check-abi.sh fails on a library that leaks (QtCore)
#   packaging_install           install into <build>/packaging/prefix, inspect the tree
#   packaging_find_package      versions and components find_package accepts and refuses
#   packaging_consumer_sdk      tests/consumer/sdk against the prefix, run vs tether-server
#   packaging_consumer_qml      tests/consumer/qml: imports "Tether" from the prefix
#   packaging_consumer_pkgconfig  the sdk consumer built with `pkg-config --cflags --libs
#                               tether` alone, and packaging_consumer_qmake through qmake
#   packaging_example_simpleclient  examples/simpleclient against the prefix, run vs tether-server
#   packaging_example_subscriptions examples/subscriptions (Widgets) the same, headless, --check
#   packaging_example_quickchat     examples/quickchat (QML) the same, headless, --check
#   packaging_deb               cpack -G DEB, dpkg -c / dpkg -x / dpkg -f checks
#   packaging_lintian           lintian --pedantic on those packages: no error, every
#                               warning accepted in debian/lintian-accepted with its reason
#   packaging_lintian_detects_errors  check-lintian.sh fails on a package with an error
#   packaging_release_fields    TETHER_RELEASE_PACKAGES refuses a placeholder maintainer or
#                               homepage and accepts real ones (release-fields.cmake)
#   packaging_manpage_<program> the man page documents exactly the options of --help
#   packaging_api_docs          Doxygen over the public headers: no warning at all (every
#                               public member documented)
#   packaging_api_docs_detects_gaps  build-docs.sh fails on a header with an undocumented class
set(_pkg_dir ${CMAKE_CURRENT_SOURCE_DIR})
set(_prefix ${CMAKE_CURRENT_BINARY_DIR}/prefix)
set(_env
    "TETHER_VERSION=${PROJECT_VERSION}"
    "TETHER_SOVERSION=${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}"
    "TETHER_LIBDIR=${TETHER_INSTALL_LIBDIR}"
    "TETHER_QMLDIR=${TETHER_INSTALL_QMLDIR}"
    "TETHER_HAS_QML=${TETHER_HAS_QML}"
    "TETHER_HAS_DEMOS=${TETHER_HAS_DEMOS}"
    "TETHER_HAS_DOC=${TETHER_HAS_DOC}"
    "TETHER_MAINTAINER=${TETHER_MAINTAINER}"
    "CMAKE_COMMAND=${CMAKE_COMMAND}"
    "CMAKE_GENERATOR=${CMAKE_GENERATOR}"
    "CMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
    "QT_QPA_PLATFORM=offscreen")
set(_tools "")
foreach(tool tether-server tether-cli)
    if(TARGET ${tool})
        list(APPEND _tools ${tool})
    endif()
endforeach()
list(JOIN _tools " " _tools)
list(APPEND _env "TETHER_TOOLS=${_tools}")

function(tether_packaging_test name)
    cmake_parse_arguments(T "" "TIMEOUT" "COMMAND;FIXTURES_SETUP;FIXTURES_REQUIRED" ${ARGN})
    add_test(NAME ${name} COMMAND ${T_COMMAND})
    set_tests_properties(${name} PROPERTIES
        LABELS packaging
        TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT "${_env}")
    if(T_FIXTURES_SETUP)
        set_tests_properties(${name} PROPERTIES FIXTURES_SETUP "${T_FIXTURES_SETUP}")
    endif()
    if(T_FIXTURES_REQUIRED)
        set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${T_FIXTURES_REQUIRED}")
    endif()
endfunction()

if(NOT TARGET TetherSdk)
    return()
endif()

# Test builds export the client's internals for tests/client (TETHER_AUTOTEST_EXPORTS in
# sdk/client, see autotest_p.h): the conversion helpers, the Client's test hooks and the
# durable store (tests/client/tst_store, tests/bench/store) are allowed here, and only here.
tether_packaging_test(packaging_abi_symbols TIMEOUT 60
    COMMAND bash ${_pkg_dir}/check-abi.sh $<TARGET_FILE:TetherSdk> --allow "Tether::Convert::"
        --allow "Tether::Testing::" --allow "Tether::Store"
        --require "Tether::version()" --require "Tether::agent()"
        --require "Tether::Client::open()" --require "Tether::Client::staticMetaObject")
if(TETHER_HAS_QML)
    tether_packaging_test(packaging_abi_symbols_qml TIMEOUT 60
        COMMAND bash ${_pkg_dir}/check-abi.sh $<TARGET_FILE:TetherQml>
            --allow "qml_register_types_Tether()" --require "qml_register_types_Tether()")
endif()
# The check itself must catch leaks: a library exporting symbols outside Tether:: (QtCore)
# has to be reported as such.
tether_packaging_test(packaging_abi_detects_leaks TIMEOUT 60
    COMMAND bash ${_pkg_dir}/check-abi.sh $<TARGET_FILE:Qt6::Core>)
set_tests_properties(packaging_abi_detects_leaks PROPERTIES
    PASS_REGULAR_EXPRESSION "FAIL: [0-9]+ symbol\\(s\\) outside the public Tether API are exported")

# The ABI gate (abigail-tools): libtether.so against the committed baseline
# (abi/libtether.abi.gz), and the baseline against the previous commit's.
tether_packaging_test(packaging_abi_baseline TIMEOUT 600
    COMMAND bash ${_pkg_dir}/check-abi-baseline.sh --lib $<TARGET_FILE:TetherSdk>
        --headers ${PROJECT_SOURCE_DIR}/sdk/client/include/Tether
        --headers ${_sdk_binary_dir}/include/Tether --previous-git HEAD~1)
# The gate itself must fail on an incompatible change (made in a copy of the sources and
# built) unless the SONAME is bumped with it.
tether_packaging_test(packaging_abi_gate_detects_breaks TIMEOUT 900
    COMMAND bash ${_pkg_dir}/check-abi-gate.sh ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/abi-gate)
set_property(TEST packaging_abi_gate_detects_breaks APPEND PROPERTY ENVIRONMENT
    "TETHER_BUILD_TYPE=${CMAKE_BUILD_TYPE}" "TETHER_WERROR=${TETHER_WERROR}")

tether_packaging_test(packaging_install TIMEOUT 120
    COMMAND bash ${_pkg_dir}/check-install.sh ${PROJECT_BINARY_DIR} ${_prefix}
    FIXTURES_SETUP tether_prefix)

tether_packaging_test(packaging_find_package TIMEOUT 180
    COMMAND bash ${_pkg_dir}/check-find-package.sh ${_prefix} ${CMAKE_CURRENT_BINARY_DIR}/find-package
    FIXTURES_REQUIRED tether_prefix)

if(TARGET tether-server)
    tether_packaging_test(packaging_consumer_sdk TIMEOUT 300
        COMMAND bash ${_pkg_dir}/run-consumer.sh sdk ${_prefix}
            ${CMAKE_CURRENT_BINARY_DIR}/consumer-sdk
        FIXTURES_REQUIRED tether_prefix)
    # qmake and meson users: tether.pc (the same consumer, no CMake anywhere).
    foreach(kind pkgconfig qmake)
        tether_packaging_test(packaging_consumer_${kind} TIMEOUT 300
            COMMAND bash ${_pkg_dir}/run-consumer.sh ${kind} ${_prefix}
                ${CMAKE_CURRENT_BINARY_DIR}/consumer-${kind}
            FIXTURES_REQUIRED tether_prefix)
    endforeach()
    # examples/, each built against the installed package like an app, run headless.
    set(_examples simpleclient subscriptions)
    if(TETHER_HAS_QML)
        list(APPEND _examples quickchat)
    endif()
    foreach(example IN LISTS _examples)
        tether_packaging_test(packaging_example_${example} TIMEOUT 300
            COMMAND bash ${_pkg_dir}/run-consumer.sh ${example} ${_prefix}
                ${CMAKE_CURRENT_BINARY_DIR}/example-${example}
            FIXTURES_REQUIRED tether_prefix)
    endforeach()
    if(TETHER_HAS_QML)
        tether_packaging_test(packaging_consumer_qml TIMEOUT 300
            COMMAND bash ${_pkg_dir}/run-consumer.sh qml ${_prefix}
                ${CMAKE_CURRENT_BINARY_DIR}/consumer-qml
            FIXTURES_REQUIRED tether_prefix)
    endif()
endif()

# dpkg-dev and doxygen come from install-deps.sh: a missing tool fails these tests
# (never a silent skip).
tether_packaging_test(packaging_deb TIMEOUT 300
    COMMAND bash ${_pkg_dir}/check-deb.sh ${PROJECT_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/deb
    FIXTURES_SETUP tether_debs)
tether_packaging_test(packaging_lintian TIMEOUT 300
    COMMAND bash ${_pkg_dir}/check-lintian.sh ${CMAKE_CURRENT_BINARY_DIR}/deb
    FIXTURES_REQUIRED tether_debs)
# The lintian check itself must fail on an error: a package with a file in /etc that is not
# a conffile (lintian's file-in-etc-not-marked-as-conffile).
set(_bad_deb_tree ${CMAKE_CURRENT_BINARY_DIR}/lintian-bad/tree)
file(MAKE_DIRECTORY ${_bad_deb_tree}/DEBIAN ${_bad_deb_tree}/etc ${CMAKE_CURRENT_BINARY_DIR}/lintian-bad/debs)
file(WRITE ${_bad_deb_tree}/etc/tether-bad.conf "x=1\n")
file(WRITE ${_bad_deb_tree}/DEBIAN/control "Package: tether-bad\nVersion: 1.0-1\nArchitecture: all\nMaintainer: ${TETHER_MAINTAINER}\nDescription: broken on purpose\n lintian must report an error for it.\n")
tether_packaging_test(packaging_lintian_detects_errors TIMEOUT 120
    COMMAND bash -c "dpkg-deb --root-owner-group -b \"$0\" \"$1/tether-bad_1.0-1_all.deb\" >/dev/null && bash \"$2\" \"$1\""
        ${_bad_deb_tree} ${CMAKE_CURRENT_BINARY_DIR}/lintian-bad/debs ${_pkg_dir}/check-lintian.sh)
set_tests_properties(packaging_lintian_detects_errors PROPERTIES
    PASS_REGULAR_EXPRESSION "FAIL \\(error\\): E: tether-bad: file-in-etc-not-marked-as-conffile")

tether_packaging_test(packaging_release_fields TIMEOUT 60
    COMMAND bash ${_pkg_dir}/check-release-fields.sh ${_pkg_dir}/release-fields.cmake)
set_tests_properties(packaging_release_fields PROPERTIES PASS_REGULAR_EXPRESSION "release-fields: OK")

foreach(program tether-server tether-cli tether-chat tether-dashboard)
    if(TARGET ${program})
        set(_subcommands "")
        if(program STREQUAL "tether-server")
            set(_subcommands token)
        endif()
        tether_packaging_test(packaging_manpage_${program} TIMEOUT 60
            COMMAND bash ${_pkg_dir}/check-manpage.sh ${_pkg_dir}/debian/man/${program}.1
                $<TARGET_FILE:${program}> ${_subcommands})
    endif()
endforeach()

tether_packaging_test(packaging_api_docs TIMEOUT 120
    COMMAND bash ${_pkg_dir}/build-docs.sh ${PROJECT_BINARY_DIR}/docs)
# The docs check itself must catch a gap: the public headers plus one undocumented class
# have to fail, naming it.
set(_gap_header ${CMAKE_CURRENT_BINARY_DIR}/docs-gap/undocumentedgap.h)
file(WRITE ${_gap_header} "#pragma once\n\nnamespace Tether {\n\nclass UndocumentedGap\n{\npublic:\n    int value() const;\n};\n\n} // namespace Tether\n")
tether_packaging_test(packaging_api_docs_detects_gaps TIMEOUT 120
    COMMAND bash ${_pkg_dir}/build-docs.sh ${CMAKE_CURRENT_BINARY_DIR}/docs-gap/out)
set_property(TEST packaging_api_docs_detects_gaps APPEND PROPERTY
    ENVIRONMENT "TETHER_DOCS_EXTRA_HEADER=${_gap_header}")
set_tests_properties(packaging_api_docs_detects_gaps PROPERTIES
    PASS_REGULAR_EXPRESSION "Compound Tether::UndocumentedGap is not documented")

# Licence: every source file carries its SPDX line (docs/licensing.md); check-spdx.sh
# proves the script itself (fails on a missing line, --add fixes it, idempotent).
tether_packaging_test(packaging_spdx TIMEOUT 120
    COMMAND bash ${_pkg_dir}/spdx.sh --check)
tether_packaging_test(packaging_spdx_script TIMEOUT 120
    COMMAND bash ${_pkg_dir}/check-spdx.sh)
