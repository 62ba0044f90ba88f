// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Auth tokens `user.expiry.signature` (HMAC-SHA256, OpenSSL).
//
// user      1..64 chars of [A-Za-z0-9_-] (no '.', so the token splits unambiguously)
// expiry    unix seconds, decimal
// signature unpadded base64url of HMAC-SHA256(secret, "user.expiry")
// The signature is compared in constant time. Tokens are never logged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace TetherServer {

enum class TokenCheck { Valid, Invalid, Expired };

bool isValidTokenUser(std::string_view user);

// Returns an empty string when `user` is not a valid token user.
std::string makeToken(std::string_view secret, std::string_view user, std::int64_t expiryUnixSeconds);

// On Valid, `user` receives the token's user.
TokenCheck checkToken(std::string_view secret, std::string_view token, std::int64_t nowUnixSeconds,
                      std::string &user);

// Cryptographically random lowercase hex string of 2*bytes characters.
std::string randomHex(int bytes);

} // namespace TetherServer
