// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "random_p.h"

#include <QtCore/QRandomGenerator>
#include <QtCore/QString>
#include <QtCore/QtEndian>

#include <algorithm>
#include <cstring>

// Four blocks at once in SSE2 registers (every x86-64 CPU; MSVC says so by its target).
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#  define TETHER_CHACHA_SSE2 1
#  include <emmintrin.h>
#endif

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

// The 20 rounds of RFC 8439 §2.3 (ten times a column round, then a diagonal round) on
// the 16 state words, whatever a word is: one 32-bit word, or four in a vector register.
template <typename Word, typename QuarterRound>
void twentyRounds(Word *x, QuarterRound quarterRound)
{
    for (int round = 0; round < 10; ++round) {
        quarterRound(x[0], x[4], x[8], x[12]);
        quarterRound(x[1], x[5], x[9], x[13]);
        quarterRound(x[2], x[6], x[10], x[14]);
        quarterRound(x[3], x[7], x[11], x[15]);
        quarterRound(x[0], x[5], x[10], x[15]);
        quarterRound(x[1], x[6], x[11], x[12]);
        quarterRound(x[2], x[7], x[8], x[13]);
        quarterRound(x[3], x[4], x[9], x[14]);
    }
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
    twentyRounds(x.data(), quarterRound);
    for (size_t i = 0; i < x.size(); ++i)
        qToLittleEndian(quint32(x[i] + initial[i]), out + 4 * i);
}

#if defined(TETHER_CHACHA_SSE2)
namespace {

template <int Bits>
__m128i rotateLeft4(__m128i v)
{
    return _mm_or_si128(_mm_slli_epi32(v, Bits), _mm_srli_epi32(v, 32 - Bits));
}

void quarterRound4(__m128i &a, __m128i &b, __m128i &c, __m128i &d)
{
    a = _mm_add_epi32(a, b); d = rotateLeft4<16>(_mm_xor_si128(d, a));
    c = _mm_add_epi32(c, d); b = rotateLeft4<12>(_mm_xor_si128(b, c));
    a = _mm_add_epi32(a, b); d = rotateLeft4<8>(_mm_xor_si128(d, a));
    c = _mm_add_epi32(c, d); b = rotateLeft4<7>(_mm_xor_si128(b, c));
}

} // namespace
#endif

void chacha20Blocks4(const std::array<quint32, 8> &key, quint32 counter, const std::array<quint32, 3> &nonce,
                     uchar *out)
{
#if defined(TETHER_CHACHA_SSE2)
    // Word i of the four blocks in lane 0-3 of register i: the rounds are the scalar ones,
    // four blocks per instruction; only the counters differ between the lanes.
    const quint32 words[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
        counter, nonce[0], nonce[1], nonce[2]};
    __m128i initial[16];
    for (int i = 0; i < 16; ++i)
        initial[i] = _mm_set1_epi32(int(words[i]));
    initial[12] = _mm_add_epi32(initial[12], _mm_set_epi32(3, 2, 1, 0));
    __m128i x[16];
    for (int i = 0; i < 16; ++i)
        x[i] = initial[i];
    twentyRounds(x, quarterRound4);
    // Back to block order: a 4x4 transpose per group of four words (x86 is little-endian,
    // the byte order §2.3.2 serializes words in).
    for (int i = 0; i < 16; i += 4) {
        const __m128i a = _mm_add_epi32(x[i], initial[i]);
        const __m128i b = _mm_add_epi32(x[i + 1], initial[i + 1]);
        const __m128i c = _mm_add_epi32(x[i + 2], initial[i + 2]);
        const __m128i d = _mm_add_epi32(x[i + 3], initial[i + 3]);
        const __m128i ab01 = _mm_unpacklo_epi32(a, b), cd01 = _mm_unpacklo_epi32(c, d);
        const __m128i ab23 = _mm_unpackhi_epi32(a, b), cd23 = _mm_unpackhi_epi32(c, d);
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + 4 * i), _mm_unpacklo_epi64(ab01, cd01));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + 64 + 4 * i), _mm_unpackhi_epi64(ab01, cd01));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + 128 + 4 * i), _mm_unpacklo_epi64(ab23, cd23));
        _mm_storeu_si128(reinterpret_cast<__m128i *>(out + 192 + 4 * i), _mm_unpackhi_epi64(ab23, cd23));
    }
#else
    for (quint32 i = 0; i < 4; ++i)
        chacha20Block(key, counter + i, nonce, out + 64 * i);
#endif
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
    static_assert(kBlocks % 4 == 0);
    for (quint32 counter = 0; counter < kBlocks; counter += 4)
        chacha20Blocks4(g.key, counter, {0, 0, 0}, bytes + 64 * counter);
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
    std::array<uchar, 16> bits;
    qToLittleEndian(next(), bits.data());
    qToLittleEndian(next(), bits.data() + 8);
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
