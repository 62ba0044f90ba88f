// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <random>

namespace TetherServer {

namespace {

std::string base64Url(const unsigned char *data, size_t size)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const unsigned v = (unsigned(data[i]) << 16) | (unsigned(data[i + 1]) << 8) | data[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (size - i == 1) {
        const unsigned v = unsigned(data[i]) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
    } else if (size - i == 2) {
        const unsigned v = (unsigned(data[i]) << 16) | (unsigned(data[i + 1]) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
    }
    return out;
}

std::string signature(std::string_view secret, std::string_view signedPart)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLength = 0;
    if (!HMAC(EVP_sha256(), secret.data(), int(secret.size()),
              reinterpret_cast<const unsigned char *>(signedPart.data()), signedPart.size(), mac,
              &macLength))
        return {};
    return base64Url(mac, macLength);
}

} // namespace

bool isValidTokenUser(std::string_view user)
{
    if (user.empty() || user.size() > 64)
        return false;
    for (const char c : user) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

std::string makeToken(std::string_view secret, std::string_view user, std::int64_t expiry)
{
    if (!isValidTokenUser(user))
        return {};
    std::string signedPart(user);
    signedPart += '.';
    signedPart += std::to_string(expiry);
    return signedPart + '.' + signature(secret, signedPart);
}

TokenCheck checkToken(std::string_view secret, std::string_view token, std::int64_t now,
                      std::string &user)
{
    if (token.size() > 512)
        return TokenCheck::Invalid;
    const auto firstDot = token.find('.');
    if (firstDot == std::string_view::npos)
        return TokenCheck::Invalid;
    const auto secondDot = token.find('.', firstDot + 1);
    if (secondDot == std::string_view::npos)
        return TokenCheck::Invalid;
    const std::string_view tokenUser = token.substr(0, firstDot);
    const std::string_view expiryText = token.substr(firstDot + 1, secondDot - firstDot - 1);
    const std::string_view given = token.substr(secondDot + 1);
    if (!isValidTokenUser(tokenUser) || expiryText.empty() || expiryText.size() > 18)
        return TokenCheck::Invalid;
    std::int64_t expiry = 0;
    size_t digits = 0;
    bool negative = false;
    for (const char c : expiryText) {
        if (digits == 0 && c == '-' && !negative) {
            negative = true;
            continue;
        }
        if (c < '0' || c > '9')
            return TokenCheck::Invalid;
        expiry = expiry * 10 + (c - '0');
        ++digits;
    }
    if (digits == 0)
        return TokenCheck::Invalid;
    if (negative)
        expiry = -expiry;
    const std::string expected = signature(secret, token.substr(0, secondDot));
    if (expected.empty() || expected.size() != given.size()
        || CRYPTO_memcmp(expected.data(), given.data(), expected.size()) != 0)
        return TokenCheck::Invalid;
    // Checked after the signature so that an attacker learns nothing from a forged expiry.
    if (expiry <= now)
        return TokenCheck::Expired;
    user.assign(tokenUser);
    return TokenCheck::Valid;
}

std::string randomHex(int bytes)
{
    unsigned char buffer[64];
    if (bytes > int(sizeof buffer))
        bytes = int(sizeof buffer);
    if (RAND_bytes(buffer, bytes) != 1) {
        // Only if OpenSSL's generator failed: fall back to the OS source.
        std::random_device device;
        for (int i = 0; i < bytes; ++i)
            buffer[i] = static_cast<unsigned char>(device());
    }
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size_t(bytes) * 2);
    for (int i = 0; i < bytes; ++i) {
        out += hex[buffer[i] >> 4];
        out += hex[buffer[i] & 15];
    }
    return out;
}

} // namespace TetherServer
