// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Server-to-client WebSocket frames (RFC 6455 §5.2: unmasked), built by hand so that every
// frame queued for a connection lands in ONE contiguous buffer that is handed to lws in a
// single raw write per writable callback. lws_write() writes one frame per call and one
// frame per writable callback is the idiomatic pattern, which caps a connection at about
// 116 000 frames/s; batching is what lets the server outrun its clients.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace TetherServer {

enum class WsOpcode : std::uint8_t { Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

// Appends a complete, final (FIN) frame carrying `payload` to `out`.
inline void appendWsFrame(std::string &out, WsOpcode opcode, const char *payload, size_t size)
{
    char header[10];
    size_t headerSize = 2;
    header[0] = char(0x80 | std::uint8_t(opcode));
    if (size < 126) {
        header[1] = char(size);
    } else if (size < 65536) {
        header[1] = char(126);
        header[2] = char((size >> 8) & 0xff);
        header[3] = char(size & 0xff);
        headerSize = 4;
    } else {
        header[1] = char(127);
        for (int i = 0; i < 8; ++i)
            header[2 + i] = char((std::uint64_t(size) >> (56 - 8 * i)) & 0xff);
        headerSize = 10;
    }
    out.append(header, headerSize);
    out.append(payload, size);
}

} // namespace TetherServer
