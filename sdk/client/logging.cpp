// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "logging_p.h"

namespace Tether {
Q_LOGGING_CATEGORY(lcClient, "tether.client", QtWarningMsg)
Q_LOGGING_CATEGORY(lcTransport, "tether.transport", QtWarningMsg)
Q_LOGGING_CATEGORY(lcEngine, "tether.engine", QtWarningMsg)
} // namespace Tether
