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
#include <cstdint>
#include <string>

namespace TetherServer {

enum class WsOpcode : std::uint8_t { Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

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

// Appends a complete, final (FIN) frame carrying `payload` to `out`.
inline void appendWsFrame(std::string &out, WsOpcode opcode, const char *payload, size_t size)
{
    char header[10];
    writeWsHeader(header, opcode, size);
    out.append(header, wsHeaderSize(size));
    out.append(payload, size);
}

// Protocol v1.1 (docs/protocol.md §10): appends one more protocol frame to the data frame
// that ends `out` at `frameStart` (whose payload is `payloadSize` bytes), after the
// codec's `separator` (Protocol::batchSeparator(): an LF for JSON, nothing for a CBOR
// sequence). The header grows in place when the new length needs a longer encoding.
// Returns the new payload size.
inline size_t extendWsFrame(std::string &out, size_t frameStart, size_t payloadSize, WsOpcode opcode,
                            QByteArrayView separator, const char *payload, size_t size)
{
    const size_t grown = payloadSize + size_t(separator.size()) + size;
    const size_t oldHeader = wsHeaderSize(payloadSize);
    const size_t newHeader = wsHeaderSize(grown);
    if (newHeader != oldHeader)
        out.insert(frameStart + oldHeader, newHeader - oldHeader, '\0');
    writeWsHeader(&out[frameStart], opcode, grown);
    out.append(separator.data(), size_t(separator.size()));
    out.append(payload, size);
    return grown;
}

} // namespace TetherServer
