// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// What a hello's token is worth: the server's own `user.expiry.signature` tokens
// (--auth-secret, auth.h) and JWTs (--jwt-*, jwt_auth.h), side by side.
//
// Rules (README.md, "Auth"): with neither configured every hello is accepted as user "".
// With any configured a token is required. A token shaped as a JWT goes to the JWT
// verifier when one is configured; anything else to the HMAC check when --auth-secret is
// set; otherwise it is invalid. An expired token gets `token_expired` + 4001 (the client
// fetches a new one and reconnects), every other refusal `unauthorized` + 4401. An accepted
// JWT says until when it is good (`goodUntil`): the hub closes the connection then, with
// 4001 as at hello, and when a key reload (SIGHUP) leaves no key that verifies it.
#pragma once

#include "jwt_auth.h"
#include "options.h"

#include <QtCore/QString>

#include <cstdint>
#include <optional>

namespace TetherServer {

struct AuthVerdict {
    bool accepted = false;
    QString user;             // accepted: the token's user ("" without auth)
    const char *errorCode = "";  // refused: the error frame's code
    QString message;          // refused: the error frame's msg (never the token)
    int closeCode = 0;        // refused: 4401 or 4001
    std::int64_t goodUntil = 0;  // accepted JWT: unix seconds it is refused from; else 0
};

class HelloAuth
{
public:
    explicit HelloAuth(const Options &options);

    bool required() const { return !m_secret.empty() || m_jwt.enabled(); }
    AuthVerdict check(const std::optional<QString> &token, std::int64_t nowUnixSeconds) const;

    // Rereads the JWT key files named in `options` (SIGHUP). On an error (`error` says
    // which file, never a key) the keys in use stay.
    bool reloadJwtKeys(const Options &options, std::string &error);

private:
    std::string m_secret;
    JwtVerifier m_jwt;
};

} // namespace TetherServer
