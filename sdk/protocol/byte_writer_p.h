// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Internal to sdk/protocol: appending to a QByteArray on the hot path. Not API.
//
// Why not QByteArray::append(): in Qt 6.4 every append() is an out-of-line insert() with
// its aliasing and detach checks, about 10 ns a call, and a msg envelope takes eight of
// them. And QByteArray::reserve() allocates exactly the size asked for: reserving
// "size + this frame" for each frame of a batch reallocated and copied the whole batch
// once per frame (issue 18's profile: reallocData and insert, 22 % of the engine).
#pragma once

#include "ascii_p.h"

#include <QtCore/QByteArray>
#include <QtCore/QtAlgorithms>

#include <algorithm>
#include <cstring>

namespace Tether::Protocol::Detail {

// The decimal digits of `value` (at most 20) written at `at`; their count. Two digits per
// step from a table, straight into place: a seq is written once per fan-out delivery
// (tether-server) and per msg frame (JSON), where the digit-by-digit loop into a buffer
// and its memcpy cost ~90 instructions.
inline int writeDecimal(quint64 value, char *at)
{
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    static constexpr quint64 kPow10[20] = {
        1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
        10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
        1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
        10000000000000000000u};
    // Digits from the bit length: log10(2) ~ 1233 / 4096 gives t, the count is t or t + 1.
    const int t = ((64 - qCountLeadingZeroBits(value | 1)) * 1233) >> 12;
    const int n = t + (value >= kPow10[t]) + (value == 0);
    char *p = at + n;
    while (value >= 100) {
        const auto pair = size_t(value % 100) * 2;
        value /= 100;
        *--p = kPairs[pair + 1];
        *--p = kPairs[pair];
    }
    if (value >= 10) {
        *--p = kPairs[value * 2 + 1];
        *--p = kPairs[value * 2];
    } else {
        *--p = char('0' + value);
    }
    return n;
}

// Room for `extra` more bytes, growing at least geometrically.
inline void reserveMore(QByteArray &out, qsizetype extra)
{
    const qsizetype need = out.size() + extra;
    if (need > out.capacity())
        out.reserve(std::max(need, out.capacity() * 2));
}

// out.resize(size), inline when `out` is detached and has the room: QByteArray::resize()
// is an out-of-line call of ~30 instructions, paid twice per frame written (issue 18's
// profile of 64-byte messages). The same steps as resize() takes then: size, terminator.
inline void resizeWithinCapacity(QByteArray &out, qsizetype size)
{
    QByteArray::DataPointer &d = out.data_ptr();
    if (d.needsDetach() || size > out.capacity() - d.freeSpaceAtBegin()) {
        out.resize(size);
        return;
    }
    d.size = size;
    d.data()[size] = '\0';
}

// Writes through a pointer into room for at most `most` bytes, made once; the array is
// cut to what was written when the writer goes out of scope. Nothing else may touch the
// array meanwhile.
class ByteWriter
{
public:
    ByteWriter(QByteArray &out, qsizetype most) : m_out(out)
    {
        const qsizetype start = out.size();
        reserveMore(out, most);
        resizeWithinCapacity(out, start + most);
        m_at = out.data() + start;
        m_end = m_at + most;
    }
    ~ByteWriter() { resizeWithinCapacity(m_out, m_at - m_out.constData()); }
    ByteWriter(const ByteWriter &) = delete;
    ByteWriter &operator=(const ByteWriter &) = delete;

    void put(char c)
    {
        Q_ASSERT(m_at < m_end);
        *m_at++ = c;
    }
    void put(const char *bytes, qsizetype size)
    {
        Q_ASSERT(m_end - m_at >= size);
        if (size > 0)
            std::memcpy(m_at, bytes, size_t(size));
        m_at += size;
    }
    void put(QByteArrayView bytes) { put(bytes.data(), bytes.size()); }
    template <size_t N>
    void putLiteral(const char (&text)[N]) { put(text, qsizetype(N - 1)); }
    void putDecimal(quint64 value)
    {
        Q_ASSERT(m_end - m_at >= 20);
        m_at += writeDecimal(value, m_at);
    }
    // `text` one byte per unit when every unit passes `rule` (ascii_p.h); else nothing is
    // written and false returned. Room for text.size() bytes must be left.
    template <typename Text>  // QStringView, QLatin1StringView or QUtf8StringView
    bool putNarrowed(Text text, AsciiRule rule)
    {
        Q_ASSERT(m_end - m_at >= text.size());
        return advanceIfAll(narrowAscii(text, m_at, rule), text.size());
    }

    // Counts `written` bytes the caller put at position() (within the room left).
    void advance(qsizetype written)
    {
        Q_ASSERT(m_end - m_at >= written);
        m_at += written;
    }
    // Where the next byte goes; rewind() takes back what was written since.
    char *position() const { return m_at; }
    void rewind(char *position)
    {
        Q_ASSERT(position <= m_at);
        m_at = position;
    }

private:
    bool advanceIfAll(qsizetype narrowed, qsizetype size)
    {
        if (narrowed != size)
            return false;  // nothing counted: the slow path writes it again
        m_at += size;
        return true;
    }

    QByteArray &m_out;
    char *m_at = nullptr;
    char *m_end = nullptr;
};

} // namespace Tether::Protocol::Detail
