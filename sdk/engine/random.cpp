// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "random_p.h"

#include <QtCore/QString>
#include <QtCore/QRandomGenerator>

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

} // namespace

quint64 Randomness::next()
{
    if (m_injected)
        return m_injected();
    if (m_used == kBlockWords) {
        if (!m_block)
            m_block = std::make_unique<std::array<quint64, kBlockWords>>();
        fillFromSystem(m_block->data(), kBlockWords);
        m_used = 0;
    }
    return (*m_block)[size_t(m_used++)];
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
