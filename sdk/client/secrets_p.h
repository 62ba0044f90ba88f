// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// What counts as a secret in what the SDK may print, and how it is hidden. Not public API.
//
// One home for the rule "never log tokens, header values, keys or passwords": the URL
// warning (Client::open()), the QDebug operators of ClientOptions, TlsOptions and Error.
// Pure functions, unit-tested in tests/client.
#pragma once

#include "autotest_p.h"

#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

namespace Tether::Secrets {

inline constexpr QLatin1StringView kRedacted{"<redacted>"};

// True for a name (URL query key, form field) that looks like it carries a credential:
// one of its words (split at '-', '_', '.') is token, jwt, auth, authorization, key,
// apikey, password, passwd, pwd, secret, sig, signature, credential(s), bearer or session,
// or the name contains "token", "secret" or "password" (access_token, refreshToken...).
TETHER_AUTOTEST_EXPORT bool looksSecret(QStringView name);

// The query keys of `url` that look secret, in order (empty: none).
TETHER_AUTOTEST_EXPORT QStringList secretQueryKeys(const QUrl &url);

// `url` for humans: no user info (password), and the value of every secret-looking query
// item replaced by <redacted>.
TETHER_AUTOTEST_EXPORT QString redactedUrl(const QUrl &url);

// `text` with the value of every `name=value` or JSON `"name": "value"` whose name looks
// secret, and every "Bearer xxx", replaced by <redacted> (for messages built from server
// or socket text). "name: value" is left alone: it is prose too often.
TETHER_AUTOTEST_EXPORT QString redactText(const QString &text);

} // namespace Tether::Secrets
