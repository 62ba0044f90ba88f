// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Protocol v1.1 compressed batches (docs/protocol.md §10.5). Not public API.
//
// Negotiated by subprotocol (`tether.v1.1.<codec>+deflate`, batch.h); on such a connection
// a WebSocket message is either a plain v1.1 batch or a compressed one:
//
//   binary message = 0xFF | N (4 bytes, big endian) | zlib stream (RFC 1950) of N bytes
//
// where the N bytes are a plain v1.1 batch of the connection's codec. 0xFF cannot start a
// plain message: it is not UTF-8 (JSON travels in text messages anyway) and it is CBOR's
// "break" code, never the first byte of a data item.
//
// Rules (one home, used by the engine and tether-server):
// - the sender compresses a batch of at least its threshold, and only sends the compressed
//   form when it is smaller;
// - the receiver checks N against its maximum frame size before inflating anything (over:
//   the same "too large" error as an uncompressed frame), and inflates into a buffer that
//   grows with the output actually produced (from 4 KiB or 4x the message, doubling),
//   never beyond N: a 20-byte message claiming 16 MiB that inflates to 10 bytes costs a
//   4 KiB buffer, not 16 MiB;
// - output longer or shorter than N, a stream cut short, bad deflate data, a bad checksum,
//   bytes after the stream, N = 0: a malformed message.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QString>

namespace Tether::Protocol {

inline constexpr char kCompressedMarker = char(0xFF);
// Marker and length.
inline constexpr qsizetype kCompressedHeaderSize = 5;
// Default threshold of the SDK and tether-server (docs/benchmarks.md, "Compression").
inline constexpr qsizetype kDefaultCompressionThreshold = 1024;
// zlib level used by both; chosen from the same measurements.
inline constexpr int kCompressionLevel = 6;

inline bool isCompressedMessage(QByteArrayView message)
{
    return !message.isEmpty() && message.front() == kCompressedMarker;
}

// The compressed message for `batch`, or an empty array when it would not be smaller
// (the caller then sends `batch` as it is).
QByteArray compressBatch(QByteArrayView batch, int level = kCompressionLevel);

struct InflatedBatch {
    QByteArray batch;
    QString error;          // empty: ok
    bool tooLarge = false;  // the error is "over the limit" (1009), not "malformed"
    bool ok() const { return error.isEmpty(); }
};

// The plain batch inside the compressed `message` (isCompressedMessage()), at most
// `limit` bytes.
InflatedBatch decompressBatch(QByteArrayView message, qsizetype limit);

} // namespace Tether::Protocol
