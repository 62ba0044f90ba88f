// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "hello_auth.h"

#include "auth.h"

namespace TetherServer {

namespace {

AuthVerdict refused(const char *code, const QString &message, int closeCode)
{
    AuthVerdict verdict;
    verdict.errorCode = code;
    verdict.message = message;
    verdict.closeCode = closeCode;
    return verdict;
}

AuthVerdict accepted(const std::string &user, std::int64_t goodUntil = 0)
{
    AuthVerdict verdict;
    verdict.accepted = true;
    verdict.user = QString::fromStdString(user);
    verdict.goodUntil = goodUntil;
    return verdict;
}

constexpr int kUnauthorizedClose = 4401;
constexpr int kTokenExpiredClose = 4001;

} // namespace

HelloAuth::HelloAuth(const Options &options)
    : m_secret(options.authSecret),
      m_jwt(options.jwtKeys, options.jwtPolicy)
{
}

bool HelloAuth::reloadJwtKeys(const Options &options, std::string &error)
{
    JwtKeys keys;
    if (!loadJwtKeys(options.jwtHs256SecretFile, options.jwtRs256PublicKeyFile, keys, error))
        return false;
    m_jwt.setKeys(std::move(keys));
    return true;
}

AuthVerdict HelloAuth::check(const std::optional<QString> &token, std::int64_t now) const
{
    if (!required())
        return accepted({});
    if (!token || token->isEmpty())
        return refused("unauthorized", QStringLiteral("a token is required"), kUnauthorizedClose);
    const std::string text = token->toStdString();
    std::string user;
    if (m_jwt.enabled() && JwtVerifier::looksLikeJwt(text)) {
        JwtIdentity identity;
        const JwtCheck check = m_jwt.check(text, now, identity);
        if (check == JwtCheck::Valid)
            return accepted(identity.user, identity.goodUntil);
        if (check == JwtCheck::Expired)
            return refused("token_expired", QString::fromLatin1(jwtCheckText(check)), kTokenExpiredClose);
        return refused("unauthorized", QString::fromLatin1(jwtCheckText(check)), kUnauthorizedClose);
    }
    if (m_secret.empty())
        return refused("unauthorized", QStringLiteral("malformed token"), kUnauthorizedClose);
    switch (checkToken(m_secret, text, now, user)) {
    case TokenCheck::Invalid:
        return refused("unauthorized", QStringLiteral("invalid token"), kUnauthorizedClose);
    case TokenCheck::Expired:
        return refused("token_expired", QStringLiteral("token expired"), kTokenExpiredClose);
    case TokenCheck::Valid:
        break;
    }
    return accepted(user);
}

} // namespace TetherServer
