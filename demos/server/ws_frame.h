// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Server-to-client WebSocket frames (RFC 6455 §5.2: unmasked), built by hand so that every
// frame queued for a connection lands in ONE contiguous buffer that is handed to lws in a
// single raw write per writable callback. lws_write() writes one frame per call and one
// frame per writable callback is the idiomatic pattern, which caps a connection at about
// 116 000 frames/s; batching is what lets the server outrun its clients. With protocol
// v1.1 the frames themselves are batched too: several protocol frames in one WebSocket frame.
#pragma once

#include <QtCore/QByteArrayView>

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>

namespace TetherServer {

enum class WsOpcode : std::uint8_t { Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

// The bytes queued for one connection. Why not std::string: it zero-fills what it grows by
// and its resize() is an out-of-line call, ~80 instructions per frame queued (of ~600 per
// fan-out delivery); grow() hands out uninitialised room the caller fills at once.
class OutBuffer
{
public:
    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    char *data() { return m_data.get(); }
    const char *data() const { return m_data.get(); }
    char &operator[](size_t at) { return m_data[at]; }
    // `n` more bytes at the end, not initialised: their address.
    char *grow(size_t n)
    {
        if (n > m_capacity - m_size)
            reserve(std::max({m_size + n, m_capacity * 2, kMinCapacity}));
        char *at = m_data.get() + m_size;
        m_size += n;
        return at;
    }
    void truncate(size_t size) { m_size = std::min(size, m_size); }
    void clear() { m_size = 0; }  // the storage stays for the next frames
    void eraseFront(size_t n)
    {
        std::memmove(m_data.get(), m_data.get() + n, m_size - n);
        m_size -= n;
    }
    // `n` bytes (uninitialised) inserted at `at`.
    void insertGap(size_t at, size_t n)
    {
        grow(n);
        std::memmove(m_data.get() + at + n, m_data.get() + at, m_size - n - at);
    }

private:
    static constexpr size_t kMinCapacity = 4096;  // a connection's first frames need no regrowth

    void reserve(size_t capacity)
    {
        auto bigger = std::make_unique<char[]>(capacity);
        if (m_size)
            std::memcpy(bigger.get(), m_data.get(), m_size);
        m_data = std::move(bigger);
        m_capacity = capacity;
    }

    std::unique_ptr<char[]> m_data;
    size_t m_size = 0;
    size_t m_capacity = 0;
};

// Bytes of the header of a frame with `size` payload bytes (RFC 6455 §5.2: the minimal
// length encoding).
inline size_t wsHeaderSize(size_t size) { return size < 126 ? 2 : size < 65536 ? 4 : 10; }

// Writes the wsHeaderSize(size) header bytes of a final (FIN) frame at `at`.
inline void writeWsHeader(char *at, WsOpcode opcode, size_t size)
{
    at[0] = char(0x80 | std::uint8_t(opcode));
    if (size < 126) {
        at[1] = char(size);
    } else if (size < 65536) {
        at[1] = char(126);
        at[2] = char((size >> 8) & 0xff);
        at[3] = char(size & 0xff);
    } else {
        at[1] = char(127);
        for (int i = 0; i < 8; ++i)
            at[2 + i] = char((std::uint64_t(size) >> (56 - 8 * i)) & 0xff);
    }
}

// One frame's payload given in pieces (a fan-out copy: the publication's bytes around its
// seq), appended one after the other.
using WsPieces = std::initializer_list<QByteArrayView>;

inline size_t wsPiecesSize(WsPieces pieces)
{
    size_t size = 0;
    for (const QByteArrayView piece : pieces)
        size += size_t(piece.size());
    return size;
}

// Copies a piece: a short one (a separator, a header, a seq's digits) without a call.
inline char *putPiece(char *at, QByteArrayView piece)
{
    const auto n = size_t(piece.size());
    if (n <= 16) {
        for (size_t i = 0; i < n; ++i)
            at[i] = piece[qsizetype(i)];
    } else {
        std::memcpy(at, piece.data(), n);
    }
    return at + n;
}

// Appends `prefix` (a header or a separator) and the pieces (`size` bytes together) with
// one grow().
inline void appendWsPieces(OutBuffer &out, QByteArrayView prefix, WsPieces pieces, size_t size)
{
    char *p = out.grow(size_t(prefix.size()) + size);
    for (const char c : prefix)  // a header or a separator: at most 10 bytes
        *p++ = c;
    for (const QByteArrayView piece : pieces)
        p = putPiece(p, piece);
}

// Appends a complete, final (FIN) frame carrying `payload` (`size` bytes) to `out`.
inline void appendWsFrame(OutBuffer &out, WsOpcode opcode, WsPieces payload, size_t size)
{
    char header[10];
    writeWsHeader(header, opcode, size);
    appendWsPieces(out, QByteArrayView(header, qsizetype(wsHeaderSize(size))), payload, size);
}

// Protocol v1.1 (docs/protocol.md §10): appends one more protocol frame (`payload`, `size`
// bytes) to the data frame that ends `out` at `frameStart` (whose payload is `payloadSize`
// bytes), after the codec's `separator` (Protocol::batchSeparator(): an LF for JSON,
// nothing for a CBOR sequence). The header grows in place when the new length needs a
// longer encoding. Returns the new payload size.
inline size_t extendWsFrame(OutBuffer &out, size_t frameStart, size_t payloadSize, WsOpcode opcode,
                            QByteArrayView separator, WsPieces payload, size_t size)
{
    const size_t grown = payloadSize + size_t(separator.size()) + size;
    const size_t oldHeader = wsHeaderSize(payloadSize);
    const size_t newHeader = wsHeaderSize(grown);
    if (newHeader != oldHeader)
        out.insertGap(frameStart + oldHeader, newHeader - oldHeader);
    writeWsHeader(&out[frameStart], opcode, grown);
    appendWsPieces(out, separator, payload, size);
    return grown;
}

} // namespace TetherServer
