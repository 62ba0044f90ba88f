# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT

# With TETHER_RELEASE_PACKAGES on, refuses the placeholder maintainer and homepage (the
# reserved .invalid domain), so packages meant for users never carry them. Included by
# debian.cmake; also runs alone (cmake -D... -P release-fields.cmake) for its ctest.
if(TETHER_RELEASE_PACKAGES)
    foreach(_field TETHER_MAINTAINER TETHER_HOMEPAGE)
        if("${${_field}}" STREQUAL "" OR "${${_field}}" MATCHES "\\.invalid([/>:]|$)")
            message(FATAL_ERROR "TETHER_RELEASE_PACKAGES: ${_field} is a placeholder "
                                "('${${_field}}'); pass -D${_field}=... with the project's real value")
        endif()
    endforeach()
endif()
