// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// TETHER_AUTOTEST_EXPORT: exports an internal symbol for the unit tests, in test builds only.
// Not public API.
//
// Test builds (TETHER_BUILD_TESTS) define TETHER_AUTOTEST_EXPORTS for the SDK: tests/client
// then reaches the conversions, the transport interface and the Client's test hooks. In
// other builds these stay hidden; packaging/checks.cmake allows exactly these in the ABI check.
#pragma once

#include <Tether/global.h>

#if defined(TETHER_AUTOTEST_EXPORTS)
#  define TETHER_AUTOTEST_EXPORT TETHER_EXPORT
#else
#  define TETHER_AUTOTEST_EXPORT
#endif
