// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Protocol v1.1 compressed batches (docs/protocol.md §10.5). Not public API.
//
// Negotiated by subprotocol (`tether.v1.1.<codec>+deflate`, batch.h); on such a connection
// a WebSocket message is either a plain v1.1 batch or a compressed one:
//
//   binary message = 0xFF | N (4 bytes, big endian) | the next piece of the connection's
//                    zlib stream, ended by a sync flush whose 00 00 FF FF is left out
//
// where the N bytes are a plain v1.1 batch of the connection's codec. 0xFF cannot start a
// plain message: it never occurs in UTF-8 (a JSON batch, in a text or a binary message,
// §10.2) and it is CBOR's "break" code, never the first byte of a data item.
//
// Context takeover, as permessage-deflate (RFC 7692) does: each direction of a connection
// is ONE zlib stream that never ends. The sender keeps a BatchDeflater for the life of the
// connection, the receiver a BatchInflater; a message may refer to the bytes of the
// messages before it, so a lone 150-byte chat line shrinks as much as a large batch. A
// new connection (a reconnect, a resume) starts both afresh.
//
// Rules (one home, used by the engine and tether-server):
// - the sender compresses a batch of at least its threshold; once the deflater took a
//   batch, that batch MUST go out compressed (the receiver's stream has to see the same
//   bytes). A deflater that failed (out of memory) refuses every later batch: those leave
//   plain, which is always allowed;
// - the receiver checks N against its maximum frame size before inflating anything (over:
//   the same "too large" error as an uncompressed frame), and inflates into a buffer that
//   grows with the output actually produced (from 4 KiB or 4x the message, doubling),
//   never beyond N;
// - output longer or shorter than N, bad deflate data, a bad zlib header or one declaring
//   a window over 32 KiB, a message that does not end on a flush point, a stream that
//   ends (a final block), N = 0: a malformed message. After one, the inflater refuses
//   everything (its stream is lost; the connection closes anyway).
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QString>

#include <memory>

namespace Tether::Protocol {

inline constexpr char kCompressedMarker = char(0xFF);
// Marker and length.
inline constexpr qsizetype kCompressedHeaderSize = 5;
// Default threshold of the SDK and tether-server (docs/benchmarks.md, "Compression").
inline constexpr qsizetype kDefaultCompressionThreshold = 0;
// zlib parameters of both senders, chosen from the same measurements: level, window
// (2^kCompressionWindowBits bytes, declared in the zlib header, so it also sets what the
// peer's inflater allocates) and memLevel (hash table and block buffer).
inline constexpr int kCompressionLevel = 6;
inline constexpr int kCompressionWindowBits = 12;
inline constexpr int kCompressionMemLevel = 4;

inline bool isCompressedMessage(QByteArrayView message)
{
    return !message.isEmpty() && message.front() == kCompressedMarker;
}

// The sending half of one direction of a connection: one deflate stream for its life.
class BatchDeflater {
public:
    explicit BatchDeflater(int level = kCompressionLevel, int windowBits = kCompressionWindowBits,
                           int memLevel = kCompressionMemLevel);
    ~BatchDeflater();
    BatchDeflater(const BatchDeflater &) = delete;
    BatchDeflater &operator=(const BatchDeflater &) = delete;

    // The compressed message for `batch`, which must then be sent (the stream took it).
    // Empty when `batch` is empty or the deflater failed: send `batch` plain.
    QByteArray compress(QByteArrayView batch);
    // Bytes zlib allocated for this stream (measured through its allocator).
    qsizetype memoryBytes() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

struct InflatedBatch {
    QByteArray batch;
    QString error;          // empty: ok
    bool tooLarge = false;  // the error is "over the limit" (1009), not "malformed"
    bool ok() const { return error.isEmpty(); }
};

// The receiving half: one inflate stream for the life of the connection.
class BatchInflater {
public:
    BatchInflater();
    ~BatchInflater();
    BatchInflater(const BatchInflater &) = delete;
    BatchInflater &operator=(const BatchInflater &) = delete;

    // The plain batch inside the compressed `message` (isCompressedMessage()), the next
    // one of the connection, at most `limit` bytes.
    InflatedBatch inflate(QByteArrayView message, qsizetype limit);
    // Bytes zlib allocated so far (its window comes with the first output, sized by the
    // peer's zlib header).
    qsizetype memoryBytes() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

} // namespace Tether::Protocol
