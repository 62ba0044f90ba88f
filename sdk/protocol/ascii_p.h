// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Internal to the SDK: narrowing ASCII text to bytes on the hot path. Not API.
//
// Why: message ids, channel names and most text payloads are ASCII, and the send path
// narrows each one from UTF-16 (or checks Latin-1 bytes) at least once per message. A
// loop over QChar costs about 15 instructions per unit (issue 18's profile: 20 % of the
// engine's instructions went to four such loops); eight units at a time with SSE2 (part
// of every x86-64 CPU) cost about one. Other targets take the scalar loop.
#pragma once

#include <QtCore/qalgorithms.h>
#include <QtCore/QString>
#include <QtCore/QStringView>
#include <QtCore/QUtf8StringView>

// GCC and Clang say SSE2 with __SSE2__; MSVC (untested, docs/platforms.md) by its target.
#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define TETHER_ASCII_SSE2 1
#include <emmintrin.h>
#endif

namespace Tether::Protocol::Detail {

enum class AsciiRule {
    Ascii,      // below 0x80: one UTF-8 byte each (CBOR text)
    JsonPlain,  // ASCII that needs no JSON escape: not a control character, '"' or '\\'
};

inline bool passes(char16_t unit, AsciiRule rule)
{
    if (unit >= 0x80)
        return false;
    return rule == AsciiRule::Ascii || (unit >= 0x20 && unit != u'"' && unit != u'\\');
}

// Copies the leading units of src[0, n) that pass `rule` to `dst`, one byte each, and
// returns how many did; `dst` has room for n bytes. n is returned when all of them pass.
inline qsizetype narrowAscii(const char16_t *src, qsizetype n, char *dst, AsciiRule rule)
{
    qsizetype i = 0;
#if defined(TETHER_ASCII_SSE2)
    // SSE2 compares 16-bit lanes as signed: flipping the top bit orders them unsigned.
    const __m128i flip = _mm_set1_epi16(short(0x8000));
    const __m128i highest = _mm_set1_epi16(short(0x7f ^ 0x8000));
    const __m128i space = _mm_set1_epi16(0x20);
    const __m128i quote = _mm_set1_epi16('"');
    const __m128i backslash = _mm_set1_epi16('\\');
    for (; i + 8 <= n; i += 8) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
        __m128i bad = _mm_cmpgt_epi16(_mm_xor_si128(v, flip), highest);
        if (rule == AsciiRule::JsonPlain) {
            bad = _mm_or_si128(bad, _mm_cmplt_epi16(v, space));
            bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi16(v, quote), _mm_cmpeq_epi16(v, backslash)));
        }
        if (_mm_movemask_epi8(bad) != 0)
            break;  // the scalar loop finds which unit
        _mm_storel_epi64(reinterpret_cast<__m128i *>(dst + i), _mm_packus_epi16(v, v));
    }
#endif
    for (; i < n && passes(src[i], rule); ++i)
        dst[i] = char(src[i]);
    return i;
}

inline qsizetype narrowAscii(QStringView text, char *dst, AsciiRule rule)
{
    return narrowAscii(text.utf16(), text.size(), dst, rule);
}

// As above for bytes (Latin-1 or UTF-8: their bytes below 0x80 are the same ASCII).
inline qsizetype narrowAscii(const char *src, qsizetype n, char *dst, AsciiRule rule)
{
    qsizetype i = 0;
#if defined(TETHER_ASCII_SSE2)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
        // A byte from 0x80 has its top bit set: negative, so below 0x20 when compared signed.
        __m128i bad = v;
        if (rule == AsciiRule::JsonPlain) {
            bad = _mm_or_si128(bad, _mm_cmplt_epi8(v, space));
            bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        }
        if (_mm_movemask_epi8(bad) != 0)
            break;
        _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), v);
    }
#endif
    for (; i < n && passes(char16_t(uchar(src[i])), rule); ++i)
        dst[i] = src[i];
    return i;
}

inline qsizetype narrowAscii(QLatin1StringView text, char *dst, AsciiRule rule)
{
    return narrowAscii(text.data(), text.size(), dst, rule);
}

inline qsizetype narrowAscii(QUtf8StringView text, char *dst, AsciiRule rule)
{
    return narrowAscii(text.data(), text.size(), dst, rule);
}

// How many leading bytes of src[0, n) are ASCII (below 0x80): the run a UTF-8 validator
// may skip.
inline qsizetype asciiPrefixLength(const char *src, qsizetype n)
{
    qsizetype i = 0;
#if defined(TETHER_ASCII_SSE2)
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
        if (_mm_movemask_epi8(v) != 0)
            break;
    }
#endif
    while (i < n && uchar(src[i]) < 0x80)
        ++i;
    return i;
}

// How many leading bytes of src[0, n) a JSON string reader may pass over without a look:
// not '"', '\\' or a control character, and, while `stopAtNonAscii`, below 0x80 (so the
// reader learns that the string needs a UTF-8 check). Sixteen bytes at a time.
inline qsizetype plainJsonStringBytes(const char *src, qsizetype n, bool stopAtNonAscii)
{
    qsizetype i = 0;
#if defined(TETHER_ASCII_SSE2)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i controlMax = _mm_set1_epi8(0x1f);
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
        // Signed, a byte from 0x80 is below 0x20 too; unsigned (min == v), controls only.
        const __m128i low = stopAtNonAscii ? _mm_cmplt_epi8(v, space)
                                           : _mm_cmpeq_epi8(_mm_min_epu8(v, controlMax), v);
        const __m128i stop = _mm_or_si128(low, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        if (const int bits = _mm_movemask_epi8(stop))
            return i + qCountTrailingZeroBits(quint32(bits));
    }
#endif
    for (; i < n; ++i) {
        const uchar c = uchar(src[i]);
        if (c == '"' || c == '\\' || c < 0x20 || (stopAtNonAscii && c >= 0x80))
            break;
    }
    return i;
}

} // namespace Tether::Protocol::Detail
