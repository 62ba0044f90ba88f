// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// JWTs made by hand for tests (RFC 7519 compact form), independent of libjwt: the server's
// verifier is checked against them, and client tests get tokens a server accepts.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QString>

namespace Tether::Testing {

// Unpadded base64url.
QByteArray base64Url(const QByteArray &bytes);
// base64url of the compact JSON of `object`.
QByteArray jwtPart(const QJsonObject &object);
// header.payload.HMAC-SHA256(secret) with header {"alg": alg, "typ": "JWT"} (alg need not be
// HS256: a test may lie about it).
QString hs256Jwt(const QJsonObject &payload, const QByteArray &secret, const QString &alg = QStringLiteral("HS256"));

} // namespace Tether::Testing
