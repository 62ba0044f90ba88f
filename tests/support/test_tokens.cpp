// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "test_tokens.h"

#include <QtCore/QJsonDocument>
#include <QtCore/QMessageAuthenticationCode>

namespace Tether::Testing {

QByteArray base64Url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray jwtPart(const QJsonObject &object)
{
    return base64Url(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString hs256Jwt(const QJsonObject &payload, const QByteArray &secret, const QString &alg)
{
    const QByteArray input =
        jwtPart(QJsonObject{{QStringLiteral("alg"), alg}, {QStringLiteral("typ"), QStringLiteral("JWT")}}) + '.'
        + jwtPart(payload);
    return QString::fromLatin1(input + '.'
                               + base64Url(QMessageAuthenticationCode::hash(input, secret, QCryptographicHash::Sha256)));
}

} // namespace Tether::Testing
