// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The SDK's logging categories. Not public API.
//
// Silent by default: a normal run, reconnects included, prints nothing. Warnings are kept
// for what a developer must know (TLS errors, TLS verification turned off). Enable more
// with QT_LOGGING_RULES="tether.*.debug=true". Tokens and headers are never logged;
// payloads only at debug level.
#pragma once

#include <QtCore/QLoggingCategory>

namespace Tether {
Q_DECLARE_LOGGING_CATEGORY(lcClient)
Q_DECLARE_LOGGING_CATEGORY(lcTransport)
Q_DECLARE_LOGGING_CATEGORY(lcEngine)
} // namespace Tether
