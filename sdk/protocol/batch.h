// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Protocol v1.1: its subprotocol names and its one addition, batches (docs/protocol.md §10).
//
// Not public API. v1.1 is v1 with one change: a WebSocket message carries one or more
// frames. JSON: the frames' UTF-8 texts separated by one LF ("\n"; a canonical JSON frame
// never contains a raw LF). CBOR: a CBOR sequence (RFC 8742), the frames' maps back to back.
// A single frame is therefore a batch of one, byte for byte the v1 frame; each frame of a
// batch is decoded by the v1 codec and obeys every v1 rule, so nothing builds a DOM of the
// batch and a peer can split it with any JSON or CBOR library.
//
// Limits: the whole message is bounded by the receiver's maximum frame size (checked by the
// caller before reading, as in v1); a batch holds at most kMaxBatchFrames frames; each frame
// obeys §2.3. An empty message, an empty JSON line, or a frame that does not decode is a
// protocol violation of the whole message: BatchReader stops at the first bad frame and its
// error says which frame it was.
#pragma once

#include "codec.h"

#include <optional>

namespace Tether::Protocol {

enum class Version { V1, V1_1 };

inline constexpr QLatin1StringView kJsonSubprotocolV11{"tether.v1.1.json"};
inline constexpr QLatin1StringView kCborSubprotocolV11{"tether.v1.1.cbor"};
// v1.1 with compressed batches (docs/protocol.md §10.5, compression.h).
inline constexpr QLatin1StringView kJsonSubprotocolV11Deflate{"tether.v1.1.json+deflate"};
inline constexpr QLatin1StringView kCborSubprotocolV11Deflate{"tether.v1.1.cbor+deflate"};

// Most frames one v1.1 message may carry.
inline constexpr int kMaxBatchFrames = 1024;

struct Subprotocol {
    CodecKind codec = CodecKind::Json;
    Version version = Version::V1;
    bool deflate = false;   // v1.1 only: batches may be compressed (compression.h)
};

// The Tether subprotocol named exactly `name` (case sensitive), or nullopt.
std::optional<Subprotocol> parseSubprotocol(QByteArrayView name);
QLatin1StringView subprotocolName(CodecKind codec, Version version, bool deflate = false);

// Reads the frames of one v1.1 message in order. next() returns each frame; after the last
// one, or after an error, atEnd() is true. An error is worded "batch frame N: <v1 error>"
// (N counts from 1) or "batch: <why>" for the message as a whole.
class BatchReader
{
public:
    BatchReader(const Codec &codec, QByteArrayView message, const DecodeOptions &options = {});

    bool atEnd() const { return m_done; }
    DecodeResult next();
    // Frames returned so far.
    int count() const { return m_count; }
    // The bytes after the frames returned so far (a caller that must set the rest aside).
    QByteArrayView rest() const { return m_rest; }

private:
    DecodeResult fail(QString error);

    const Codec &m_codec;
    DecodeOptions m_options;
    QByteArrayView m_rest;
    int m_count = 0;
    bool m_done = false;
};

// Before appending one more encoded frame to the batch `message`: the separator the codec
// needs (JSON: an LF between frames; CBOR: nothing).
void appendBatchSeparator(CodecKind codec, QByteArray &message);
// Bytes appendBatchSeparator() adds to a non-empty message.
inline qsizetype batchSeparatorSize(CodecKind codec) { return codec == CodecKind::Json ? 1 : 0; }
// The separator itself (for a writer that appends frames in place).
inline QByteArrayView batchSeparator(CodecKind codec)
{
    return codec == CodecKind::Json ? QByteArrayView("\n", 1) : QByteArrayView();
}

// §10.2, the kind of WebSocket message: a sender puts every v1.1 message in a binary one,
// both codecs; v1 follows the codec (JSON text, CBOR binary).
inline bool sendsBinary(CodecKind codec, Version version)
{
    return version == Version::V1_1 || codec == CodecKind::Cbor;
}
// ...and a receiver takes what a sender sends, plus a v1.1 JSON batch in a text message.
inline bool acceptsMessageKind(CodecKind codec, Version version, bool binary)
{
    return binary ? sendsBinary(codec, version) : codec == CodecKind::Json;
}

} // namespace Tether::Protocol
