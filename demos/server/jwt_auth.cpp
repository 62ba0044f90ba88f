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
#include <fstream>
#include <optional>
#include <memory>
#include <sstream>

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
    case JwtCheck::WrongIssuer: return "token issuer not accepted";
    }
    return "invalid token";
}

JwtVerifier::JwtVerifier(JwtKeys keys, JwtPolicy policy) : m_keys(std::move(keys)), m_policy(std::move(policy)) {}

bool JwtVerifier::looksLikeJwt(std::string_view token)
{
    const auto dot = token.find('.');
    return dot != std::string_view::npos && jsonObjectFromBase64Url(token.substr(0, dot)).has_value();
}

JwtCheck JwtVerifier::check(std::string_view token, std::int64_t now, JwtIdentity &identity) const
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
    const std::vector<std::string> *keys = nullptr;
    jwt_alg_t expected = JWT_ALG_INVAL;
    if (alg == QLatin1StringView("HS256") && !m_keys.hs256Secrets.empty()) {
        keys = &m_keys.hs256Secrets;
        expected = JWT_ALG_HS256;
    } else if (alg == QLatin1StringView("RS256") && !m_keys.rs256PublicKeys.empty()) {
        keys = &m_keys.rs256PublicKeys;
        expected = JWT_ALG_RS256;
    } else {
        return JwtCheck::WrongAlgorithm;
    }
    if (secondDot + 1 == token.size())
        return JwtCheck::BadSignature;  // no signature at all

    // Any listed key will do (rotation: the old and the new key side by side).
    const std::string text(token);
    std::unique_ptr<jwt_t, JwtFree> jwt;
    int rc = EINVAL;
    for (const std::string &key : *keys) {
        jwt_t *raw = nullptr;
        rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char *>(key.data()), int(key.size()));
        jwt.reset(raw);
        if (rc == 0 && jwt)
            break;
        jwt.reset();
        if (rc != EINVAL)
            break;   // not a signature problem: no other key changes that
    }
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
    if (*exp + m_policy.leewaySeconds <= now)
        return JwtCheck::Expired;
    if (nbf && *nbf - m_policy.leewaySeconds > now)
        return JwtCheck::NotYetValid;
    if (!m_policy.audience.empty()
        && !audienceMatches(claims.value(QLatin1StringView("aud")), QString::fromStdString(m_policy.audience)))
        return JwtCheck::WrongAudience;
    if (!m_policy.issuer.empty()) {
        const QJsonValue iss = claims.value(QLatin1StringView("iss"));
        if (!iss.isString() || iss.toString() != QString::fromStdString(m_policy.issuer))
            return JwtCheck::WrongIssuer;
    }
    const QString sub = claims.value(QLatin1StringView("sub")).toString();
    if (!isUsableSubject(sub))
        return JwtCheck::NoSubject;
    identity.user = sub.toStdString();
    identity.goodUntil = *exp + m_policy.leewaySeconds;
    return JwtCheck::Valid;
}

namespace {

// The whole file, false when it cannot be read.
bool readWholeFile(const std::string &path, std::string &out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return !in.bad();
}

// One secret per line; a trailing '\r' (a file written on Windows) and empty lines are not
// part of any secret.
std::vector<std::string> secretLines(const std::string &text)
{
    std::vector<std::string> secrets;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty())
            secrets.push_back(std::move(line));
    }
    return secrets;
}

struct BioFree {
    void operator()(BIO *bio) const { BIO_free(bio); }
};
struct KeyFree {
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};

// Every RSA public key in the PEM text, each written back as its own PEM (libjwt takes one
// key per call). Empty when there is none, or when any key is not RSA.
std::vector<std::string> rsaPublicKeys(const std::string &pem)
{
    std::vector<std::string> keys;
    std::unique_ptr<BIO, BioFree> in(BIO_new_mem_buf(pem.data(), int(pem.size())));
    if (!in)
        return {};
    while (true) {
        std::unique_ptr<EVP_PKEY, KeyFree> key(PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr));
        if (!key)
            break;
        if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
            return {};
        std::unique_ptr<BIO, BioFree> out(BIO_new(BIO_s_mem()));
        if (!out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1)
            return {};
        char *data = nullptr;
        const long size = BIO_get_mem_data(out.get(), &data);
        keys.emplace_back(data, size_t(size));
    }
    return keys;
}

} // namespace

bool loadJwtKeys(const std::string &secretFile, const std::string &publicKeyFile, JwtKeys &keys,
                 std::string &error)
{
    JwtKeys loaded;
    std::string text;
    if (!secretFile.empty()) {
        if (!readWholeFile(secretFile, text)) {
            error = "--jwt-hs256-secret-file cannot read '" + secretFile + "'";
            return false;
        }
        loaded.hs256Secrets = secretLines(text);
        if (loaded.hs256Secrets.empty()) {
            error = "--jwt-hs256-secret-file '" + secretFile + "' holds no secret";
            return false;
        }
        for (const std::string &secret : loaded.hs256Secrets) {
            if (secret.size() < 32) {
                error = "--jwt-hs256-secret-file holds a secret of fewer than 32 bytes (RFC 7518 §3.2)";
                return false;
            }
        }
    }
    if (!publicKeyFile.empty()) {
        if (readWholeFile(publicKeyFile, text))
            loaded.rs256PublicKeys = rsaPublicKeys(text);
        if (loaded.rs256PublicKeys.empty()) {
            error = "--jwt-rs256-public-key '" + publicKeyFile + "' holds no readable RSA public key (PEM)";
            return false;
        }
    }
    keys = std::move(loaded);
    return true;
}

} // namespace TetherServer
