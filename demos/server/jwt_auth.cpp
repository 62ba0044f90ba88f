// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "jwt_auth.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <QtCore/QByteArray>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <memory>

namespace TetherServer {

namespace {

constexpr size_t kMaxTokenSize = 8192;
constexpr size_t kMaxSubjectSize = 128;

std::optional<QJsonObject> jsonObjectFromBase64Url(std::string_view part)
{
    const auto decoded = QByteArray::fromBase64Encoding(
        QByteArray(part.data(), qsizetype(part.size())),
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    return document.object();
}

// An integer claim (seconds). nullopt when absent; `ok` false when present but not an integer.
std::optional<std::int64_t> secondsClaim(const QJsonObject &claims, const char *name, bool &ok)
{
    const QJsonValue value = claims.value(QLatin1StringView(name));
    if (value.isUndefined())
        return std::nullopt;
    const double number = value.toDouble(-1.0);
    if (!value.isDouble() || number != double(std::int64_t(number))) {
        ok = false;
        return std::nullopt;
    }
    return std::int64_t(number);
}

bool audienceMatches(const QJsonValue &aud, const QString &wanted)
{
    if (aud.isString())
        return aud.toString() == wanted;
    if (aud.isArray()) {
        const QJsonArray list = aud.toArray();
        for (const QJsonValue &entry : list) {
            if (entry.isString() && entry.toString() == wanted)
                return true;
        }
    }
    return false;
}

bool isUsableSubject(const QString &sub)
{
    if (sub.isEmpty() || size_t(sub.size()) > kMaxSubjectSize)
        return false;
    for (const QChar c : sub) {
        if (c.unicode() < 0x21 || c.unicode() > 0x7e)
            return false;
    }
    return true;
}

struct JwtFree {
    void operator()(jwt_t *jwt) const { jwt_free(jwt); }
};

} // namespace

const char *jwtCheckText(JwtCheck check)
{
    switch (check) {
    case JwtCheck::Valid: return "valid token";
    case JwtCheck::Malformed: return "malformed token";
    case JwtCheck::WrongAlgorithm: return "token algorithm not accepted";
    case JwtCheck::BadSignature: return "token signature invalid";
    case JwtCheck::Expired: return "token expired";
    case JwtCheck::NotYetValid: return "token not yet valid";
    case JwtCheck::WrongAudience: return "token audience not accepted";
    case JwtCheck::NoSubject: return "token has no usable subject";
    }
    return "invalid token";
}

JwtVerifier::JwtVerifier(std::string hs256Secret, std::string rs256PublicKeyPem, std::string audience)
    : m_hs256Secret(std::move(hs256Secret)), m_rs256PublicKey(std::move(rs256PublicKeyPem)),
      m_audience(std::move(audience))
{
}

bool JwtVerifier::looksLikeJwt(std::string_view token)
{
    const auto dot = token.find('.');
    return dot != std::string_view::npos && jsonObjectFromBase64Url(token.substr(0, dot)).has_value();
}

JwtCheck JwtVerifier::check(std::string_view token, std::int64_t now, std::string &user) const
{
    if (token.size() > kMaxTokenSize)
        return JwtCheck::Malformed;
    const auto firstDot = token.find('.');
    const auto secondDot = firstDot == std::string_view::npos ? firstDot : token.find('.', firstDot + 1);
    if (secondDot == std::string_view::npos || token.find('.', secondDot + 1) != std::string_view::npos)
        return JwtCheck::Malformed;
    const std::optional<QJsonObject> header = jsonObjectFromBase64Url(token.substr(0, firstDot));
    if (!header || !jsonObjectFromBase64Url(token.substr(firstDot + 1, secondDot - firstDot - 1)))
        return JwtCheck::Malformed;

    // The key decides the algorithm, never the token (RFC 8725 §3.1).
    const QString alg = header->value(QLatin1StringView("alg")).toString();
    const std::string *key = nullptr;
    jwt_alg_t expected = JWT_ALG_INVAL;
    if (alg == QLatin1StringView("HS256") && !m_hs256Secret.empty()) {
        key = &m_hs256Secret;
        expected = JWT_ALG_HS256;
    } else if (alg == QLatin1StringView("RS256") && !m_rs256PublicKey.empty()) {
        key = &m_rs256PublicKey;
        expected = JWT_ALG_RS256;
    } else {
        return JwtCheck::WrongAlgorithm;
    }
    if (secondDot + 1 == token.size())
        return JwtCheck::BadSignature;  // no signature at all

    const std::string text(token);
    jwt_t *raw = nullptr;
    const int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char *>(key->data()),
                              int(key->size()));
    std::unique_ptr<jwt_t, JwtFree> jwt(raw);
    if (rc != 0 || !jwt)
        return rc == EINVAL ? JwtCheck::BadSignature : JwtCheck::Malformed;
    if (jwt_get_alg(jwt.get()) != expected)
        return JwtCheck::WrongAlgorithm;

    // The claims as libjwt verified them.
    char *grants = jwt_get_grants_json(jwt.get(), nullptr);
    if (!grants)
        return JwtCheck::Malformed;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(grants), &parseError);
    std::free(grants);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return JwtCheck::Malformed;
    const QJsonObject claims = document.object();

    bool typesOk = true;
    const std::optional<std::int64_t> exp = secondsClaim(claims, "exp", typesOk);
    const std::optional<std::int64_t> nbf = secondsClaim(claims, "nbf", typesOk);
    if (!typesOk || !exp)
        return JwtCheck::Malformed;
    if (*exp + kJwtLeewaySeconds <= now)
        return JwtCheck::Expired;
    if (nbf && *nbf - kJwtLeewaySeconds > now)
        return JwtCheck::NotYetValid;
    if (!m_audience.empty()
        && !audienceMatches(claims.value(QLatin1StringView("aud")), QString::fromStdString(m_audience)))
        return JwtCheck::WrongAudience;
    const QString sub = claims.value(QLatin1StringView("sub")).toString();
    if (!isUsableSubject(sub))
        return JwtCheck::NoSubject;
    user = sub.toStdString();
    return JwtCheck::Valid;
}

bool isReadablePublicKey(const std::string &pem)
{
    BIO *bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
    if (!bio)
        return false;
    EVP_PKEY *key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    const bool ok = key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
    EVP_PKEY_free(key);
    return ok;
}

} // namespace TetherServer
