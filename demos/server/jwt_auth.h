// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// JWT tokens in `hello.token` (RFC 7519), verified with libjwt (Debian's libjwt-dev).
//
// Rules:
// - Only the algorithms the server has a key for are accepted: HS256 with
//   --jwt-hs256-secret-file, RS256 with --jwt-rs256-public-key. The algorithm is read from
//   the header and checked BEFORE libjwt sees the token, so `none`, another algorithm, or
//   an HS256 token "signed" with the RSA public key (algorithm confusion) never verify.
// - Several keys per algorithm (rotation): the secret file holds one secret per line, the
//   public key file one or more PEM keys. A token verifies if any key of its algorithm
//   verifies it. SIGHUP rereads both files (server.cpp); a connection whose token no
//   longer verifies is closed like an expired one (hub.cpp), others keep going.
// - Claims: `exp` required (integer seconds), `nbf` optional, `sub` required (the user,
//   1..128 printable ASCII characters), `aud` required and matching when --jwt-audience is
//   set (a string, or an array containing it), `iss` required and equal when --jwt-issuer
//   is set. Clock skew allowance: --jwt-leeway (default kJwtLeewaySeconds), both ways.
// - A token is good until `exp` + leeway: the server closes its connection then (hub.cpp).
// - The reason of a refusal is returned for the error frame and the log; never the token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
    WrongIssuer,     // --jwt-issuer set and `iss` missing or other
};

// The verification keys, as read from the files (loadJwtKeys).
struct JwtKeys {
    std::vector<std::string> hs256Secrets;
    std::vector<std::string> rs256PublicKeys;   // one PEM each
    bool empty() const { return hs256Secrets.empty() && rs256PublicKeys.empty(); }
};

// What the options ask of every token beside the signature.
struct JwtPolicy {
    std::string audience;   // --jwt-audience, empty: not checked
    std::string issuer;     // --jwt-issuer, empty: not checked
    std::int64_t leewaySeconds = kJwtLeewaySeconds;
};

// What a valid token says.
struct JwtIdentity {
    std::string user;              // `sub`
    std::int64_t goodUntil = 0;    // unix seconds: `exp` + leeway; refused from then on
};

// Reads the key files (either name may be empty). False with `error` (names the flag and
// the file, never a key) when a file cannot be read, a secret is shorter than 32 bytes
// (RFC 7518 §3.2) or the public key file holds no RSA public key.
bool loadJwtKeys(const std::string &secretFile, const std::string &publicKeyFile, JwtKeys &keys,
                 std::string &error);

// Human-readable, for the error frame's msg and the log (never contains the token).
const char *jwtCheckText(JwtCheck check);

class JwtVerifier
{
public:
    // An algorithm without keys is refused.
    JwtVerifier(JwtKeys keys, JwtPolicy policy);

    bool enabled() const { return !m_keys.empty(); }
    // Key rotation: later checks use `keys` (the caller keeps the old ones on a load error).
    void setKeys(JwtKeys keys) { m_keys = std::move(keys); }

    // On Valid, `identity` receives what the token says.
    JwtCheck check(std::string_view token, std::int64_t nowUnixSeconds, JwtIdentity &identity) const;

    // True when `token` is shaped as a JWT: its first part decodes to a JSON object. Lets
    // the server accept JWTs beside its own `user.expiry.signature` tokens.
    static bool looksLikeJwt(std::string_view token);

private:
    JwtKeys m_keys;
    JwtPolicy m_policy;
};

} // namespace TetherServer
