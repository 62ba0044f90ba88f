// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include <Tether/version.h>

namespace Tether {
const char *version() noexcept { return TETHER_VERSION_STRING; }
const char *agent() noexcept { return "tether-cpp/" TETHER_VERSION_STRING; }
} // namespace Tether
