// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// JWT tokens in `hello.token` (RFC 7519), verified with libjwt (Debian's libjwt-dev).
//
// Rules:
// - Only the algorithms the server has a key for are accepted: HS256 with
//   --jwt-hs256-secret-file, RS256 with --jwt-rs256-public-key. The algorithm is read from
//   the header and checked BEFORE libjwt sees the token, so `none`, another algorithm, or
//   an HS256 token "signed" with the RSA public key (algorithm confusion) never verify.
// - Claims: `exp` required (integer seconds), `nbf` optional, `sub` required (the user,
//   1..128 printable ASCII characters), `aud` required and matching when --jwt-audience is
//   set (a string, or an array containing it). Clock skew allowance: kJwtLeewaySeconds.
// - The reason of a refusal is returned for the error frame and the log; never the token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace TetherServer {

inline constexpr std::int64_t kJwtLeewaySeconds = 30;

enum class JwtCheck {
    Valid,
    Malformed,       // not three base64url parts, header/payload not JSON, a claim of the wrong type
    WrongAlgorithm,  // `none`, an algorithm without a configured key, or an unknown one
    BadSignature,    // the signature does not verify with the configured key
    Expired,         // `exp` (+ leeway) is past
    NotYetValid,     // `nbf` (- leeway) is in the future
    WrongAudience,   // --jwt-audience set and `aud` missing or not matching
    NoSubject,       // no usable `sub`
};

// Human-readable, for the error frame's msg and the log (never contains the token).
const char *jwtCheckText(JwtCheck check);

class JwtVerifier
{
public:
    // Keys as loaded from the files (see loadJwtKeys() in options.cpp). Empty: that
    // algorithm is refused.
    JwtVerifier(std::string hs256Secret, std::string rs256PublicKeyPem, std::string audience);

    bool enabled() const { return !m_hs256Secret.empty() || !m_rs256PublicKey.empty(); }

    // On Valid, `user` receives the `sub` claim.
    JwtCheck check(std::string_view token, std::int64_t nowUnixSeconds, std::string &user) const;

    // True when `token` is shaped as a JWT: its first part decodes to a JSON object. Lets
    // the server accept JWTs beside its own `user.expiry.signature` tokens.
    static bool looksLikeJwt(std::string_view token);

private:
    std::string m_hs256Secret;
    std::string m_rs256PublicKey;
    std::string m_audience;
};

// True when `pem` holds a public key OpenSSL can read (checked at startup).
bool isReadablePublicKey(const std::string &pem);

} // namespace TetherServer
