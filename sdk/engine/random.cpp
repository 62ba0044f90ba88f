// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "random_p.h"

#include <QtCore/QRandomGenerator>
#include <QtCore/QString>
#include <QtCore/QtEndian>

#include <algorithm>
#include <cstring>

#if defined(__linux__) && __has_include(<sys/random.h>)
#  include <sys/random.h>
#  include <cerrno>
#  define TETHER_HAVE_GETRANDOM 1
#endif

namespace Tether::Engine {

namespace {

// Fills `words` from the operating system's CSPRNG (random_p.h says why getrandom first).
void fillFromSystem(quint64 *words, qsizetype count)
{
#if defined(TETHER_HAVE_GETRANDOM)
    auto *at = reinterpret_cast<char *>(words);
    size_t left = size_t(count) * sizeof(quint64);
    while (left > 0) {
        const ssize_t n = ::getrandom(at, left, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;  // no getrandom (ENOSYS, seccomp): Qt's source below
        at += n;
        left -= size_t(n);
    }
    if (left == 0)
        return;
#endif
    QRandomGenerator::system()->fillRange(words, count);
}

quint32 rotateLeft(quint32 value, int bits)
{
    return (value << bits) | (value >> (32 - bits));
}

void quarterRound(quint32 &a, quint32 &b, quint32 &c, quint32 &d)
{
    a += b; d ^= a; d = rotateLeft(d, 16);
    c += d; b ^= c; b = rotateLeft(b, 12);
    a += b; d ^= a; d = rotateLeft(d, 8);
    c += d; b ^= c; b = rotateLeft(b, 7);
}

} // namespace

void chacha20Block(const std::array<quint32, 8> &key, quint32 counter, const std::array<quint32, 3> &nonce,
                   uchar *out)
{
    // "expand 32-byte k", the key, the counter, the nonce (RFC 8439 §2.3).
    const std::array<quint32, 16> initial = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
        counter, nonce[0], nonce[1], nonce[2]};
    std::array<quint32, 16> x = initial;
    for (int round = 0; round < 10; ++round) {  // 20 rounds: column, then diagonal
        quarterRound(x[0], x[4], x[8], x[12]);
        quarterRound(x[1], x[5], x[9], x[13]);
        quarterRound(x[2], x[6], x[10], x[14]);
        quarterRound(x[3], x[7], x[11], x[15]);
        quarterRound(x[0], x[5], x[10], x[15]);
        quarterRound(x[1], x[6], x[11], x[12]);
        quarterRound(x[2], x[7], x[8], x[13]);
        quarterRound(x[3], x[4], x[9], x[14]);
    }
    for (size_t i = 0; i < x.size(); ++i)
        qToLittleEndian(quint32(x[i] + initial[i]), out + 4 * i);
}

void Randomness::refill()
{
    if (!m_generator) {
        m_generator = std::make_unique<Generator>();
        std::array<quint64, 4> seed;
        fillFromSystem(seed.data(), qsizetype(seed.size()));
        std::memcpy(m_generator->key.data(), seed.data(), sizeof seed);
        seed.fill(0);
    } else if (++m_generator->refills % kRefillsPerReseed == 0) {
        std::array<quint64, 4> fresh;
        fillFromSystem(fresh.data(), qsizetype(fresh.size()));
        for (size_t i = 0; i < m_generator->key.size(); ++i)
            m_generator->key[i] ^= quint32(fresh[i / 2] >> (32 * (i % 2)));
        fresh.fill(0);
    }
    Generator &g = *m_generator;
    auto *bytes = reinterpret_cast<uchar *>(g.block.data());
    constexpr quint32 kBlocks = sizeof g.block / 64;
    for (quint32 counter = 0; counter < kBlocks; ++counter)
        chacha20Block(g.key, counter, {0, 0, 0}, bytes + 64 * counter);
    // Fast key erasure: the first words are the next key, never output.
    static_assert(sizeof g.key == kKeyWords * sizeof(quint64));
    std::memcpy(g.key.data(), g.block.data(), sizeof g.key);
    std::fill_n(g.block.begin(), kKeyWords, 0);
    m_used = kKeyWords;
}

quint64 Randomness::next()
{
    if (m_injected)
        return m_injected();
    if (m_used == kBlockWords)
        refill();
    quint64 &word = m_generator->block[size_t(m_used++)];
    const quint64 value = word;
    word = 0;  // handed out: not kept
    return value;
}

QString Randomness::messageId()
{
    const quint64 halves[2] = {next(), next()};
    std::array<uchar, 16> bits;
    for (size_t i = 0; i < bits.size(); ++i)
        bits[i] = uchar(halves[i / 8] >> ((i % 8) * 8));
    return base64UrlId(bits);
}

QString base64UrlId(const std::array<uchar, 16> &bits)
{
    // Written straight into the string: one allocation per message id (a hot path),
    // instead of a base64 QByteArray and its Latin-1 copy.
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    QString id(22, Qt::Uninitialized);  // 16 bytes: 5 groups of 3 and 1 byte left, no padding
    char16_t *out = reinterpret_cast<char16_t *>(id.data());
    size_t i = 0;
    for (; i + 3 <= bits.size(); i += 3) {
        const quint32 group = quint32(bits[i]) << 16 | quint32(bits[i + 1]) << 8 | bits[i + 2];
        *out++ = char16_t(kAlphabet[group >> 18]);
        *out++ = char16_t(kAlphabet[(group >> 12) & 63]);
        *out++ = char16_t(kAlphabet[(group >> 6) & 63]);
        *out++ = char16_t(kAlphabet[group & 63]);
    }
    const quint32 last = bits[i];
    *out++ = char16_t(kAlphabet[last >> 2]);
    *out = char16_t(kAlphabet[(last & 3) << 4]);
    return id;
}

} // namespace Tether::Engine
