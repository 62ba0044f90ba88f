// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// libFuzzer target for one decoder (TETHER_FUZZ_CODEC = json | cbor).
//
// Beyond "never crash, leak, hang or trip a sanitizer", it checks the codec's contract on
// every input the decoder accepts:
// - encode(decode(x)) succeeds, decodes to the same frame, and re-encodes to the same
//   bytes (canonical form);
// - the other codec carries the same frame unchanged (unless it is a byte string that
//   JSON cannot carry);
// - for a msg, encodeValue(d) + encodeMsg(header) gives the same bytes as encode().
// A rejected input must come with an error message.
// DecodeOptions::skipPlainMsgPayload (tether-server) accepts and rejects exactly the same
// inputs with the same errors, and gives the same frame, but for a msg without a channel:
// its d undefined and payloadSkipped set.
// The same input is also read as a protocol v1.1 batch (docs/protocol.md §10): each frame
// the reader yields must survive the same round trip, at most kMaxBatchFrames of them, and
// the frames written back as a batch must read back as the same frames.
// And as a sequence of compressed v1.1 batches, the consecutive messages of one connection
// (docs/protocol.md §10.5, one stream per direction): the input split at kMessageSeparator,
// each piece inflated in order by one BatchInflater within a 1 MiB limit (never more than
// its claimed size, which must be within the limit), each result read as a batch as above;
// after a malformed message every later one is refused too (the stream is lost). And the
// pieces compressed in order by one BatchDeflater must inflate back to themselves, in
// order, through one BatchInflater.
#include "protocol/batch.h"
#include "protocol/codec.h"
#include "protocol/compression.h"

#include <cstdio>
#include <cstdlib>

using namespace Tether::Protocol;

#define TETHER_STR2(x) #x
#define TETHER_STR(x) TETHER_STR2(x)

namespace {

const Codec &codecUnderTest()
{
    static const Codec &codec = QByteArrayView(TETHER_STR(TETHER_FUZZ_CODEC)) == QByteArrayView("json")
        ? jsonCodec() : cborCodec();
    return codec;
}

[[noreturn]] void fail(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "contract violated: %s %s\n", what, qPrintable(detail));
    std::abort();
}

void checkMsgHotPath(const Codec &codec, const Msg &msg, const QByteArray &expected)
{
    if ((msg.id && msg.id->isEmpty()) || (msg.ch && msg.ch->isEmpty()))
        return;  // MsgHeader spells "absent" as empty
    QByteArray payload;
    if (!codec.encodeValue(msg.d, payload))
        fail("encodeValue refused a decoded payload");
    MsgHeader header;
    header.seq = msg.seq;
    header.id = msg.id ? QStringView(*msg.id) : QStringView();
    header.ch = msg.ch ? QStringView(*msg.ch) : QStringView();
    QByteArray out;
    codec.encodeMsg(header, payload, out);
    if (out != expected)
        fail("encodeMsg differs from encode");
}

} // namespace

void checkSkippedPayload(const Codec &codec, QByteArrayView input, const DecodeResult &whole)
{
    DecodeOptions options;
    options.skipPlainMsgPayload = true;
    const DecodeResult skipped = codec.decode(input, options);
    if (skipped.ok() != whole.ok() || skipped.error != whole.error)
        fail("skipPlainMsgPayload changes the verdict:", skipped.error + QStringLiteral(" vs ") + whole.error);
    if (!whole.ok())
        return;
    Frame expected = *whole.frame;
    if (auto *msg = std::get_if<Msg>(&expected); msg && !msg->ch) {
        msg->d = QCborValue();
        msg->payloadSkipped = true;
    }
    if (*skipped.frame != expected)
        fail("skipPlainMsgPayload changes the frame");
}

void checkBatch(const Codec &codec, QByteArrayView input)
{
    BatchReader reader(codec, input);
    QList<Frame> frames;
    while (!reader.atEnd()) {
        DecodeResult next = reader.next();
        if (!next.ok()) {
            if (next.error.isEmpty())
                fail("batch rejected without an error");
            return;
        }
        frames.append(std::move(*next.frame));
    }
    if (frames.size() > kMaxBatchFrames)
        fail("batch longer than kMaxBatchFrames");
    QByteArray written;
    for (const Frame &frame : frames) {
        appendBatchSeparator(codec.kind(), written);
        QString error;
        if (!codec.encode(frame, written, &error))
            fail("cannot encode a frame of a batch:", error);
    }
    BatchReader again(codec, written);
    for (const Frame &frame : frames) {
        DecodeResult next = again.next();
        if (!next.ok())
            fail("re-read batch failed:", next.error);
        if (*next.frame != frame)
            fail("re-read batch frame differs");
    }
    if (!again.atEnd())
        fail("re-read batch has extra frames");
}

// Between two messages of a sequence. No compressed message starts with it (its N would
// be over any limit), so a seed is just messages joined by it.
constexpr QByteArrayView kMessageSeparator("\xff\xff\xff\xff", 4);

QList<QByteArrayView> messagesOf(QByteArrayView input)
{
    QList<QByteArrayView> pieces;
    for (;;) {
        const qsizetype at = input.indexOf(kMessageSeparator);
        if (at < 0)
            break;
        pieces.append(input.first(at));
        input = input.sliced(at + kMessageSeparator.size());
    }
    pieces.append(input);
    return pieces;
}

void checkCompressed(const Codec &codec, QByteArrayView input)
{
    constexpr qsizetype kLimit = 1 << 20;
    const QList<QByteArrayView> pieces = messagesOf(input);
    BatchInflater receiver;
    bool lost = false;
    for (const QByteArrayView piece : pieces) {
        if (!isCompressedMessage(piece))
            continue;   // a plain message: not part of the stream
        const InflatedBatch inflated = receiver.inflate(piece, kLimit);
        if (!inflated.ok()) {
            if (!inflated.error.startsWith(QLatin1StringView("compressed batch: ")))
                fail("compressed batch rejected without its error:", inflated.error);
            if (!inflated.batch.isEmpty())
                fail("a rejected compressed batch returned bytes");
            lost = lost || !inflated.tooLarge;   // too large is refused before inflating
        } else {
            if (lost)
                fail("a compressed batch read after the stream was lost");
            if (inflated.batch.isEmpty() || inflated.batch.size() > kLimit)
                fail("inflated batch empty or over the limit");
            checkBatch(codec, inflated.batch);
        }
    }
    BatchDeflater sender;
    BatchInflater back;
    for (const QByteArrayView piece : pieces) {
        const QByteArray compressed = sender.compress(piece);
        if (piece.isEmpty()) {
            if (!compressed.isEmpty())
                fail("an empty batch compressed to a message");
            continue;
        }
        if (!isCompressedMessage(compressed))
            fail("compress() refused a batch (a deflater never fails without running out of memory)");
        const InflatedBatch again = back.inflate(compressed, piece.size());
        if (!again.ok() || again.batch != piece)
            fail("a compressed piece does not inflate back to itself on the connection's stream:", again.error);
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const Codec &codec = codecUnderTest();
    checkBatch(codec, QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    checkCompressed(codec, QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    const DecodeResult result = codec.decode(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    checkSkippedPayload(codec, QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)), result);
    if (!result.ok()) {
        if (result.error.isEmpty())
            fail("rejected without an error");
        return 0;
    }
    const Frame &frame = *result.frame;

    QByteArray encoded;
    QString error;
    if (!codec.encode(frame, encoded, &error))
        fail("cannot encode a decoded frame:", error);
    const DecodeResult again = codec.decode(encoded);
    if (!again.ok())
        fail("re-decode failed:", again.error);
    if (*again.frame != frame)
        fail("re-decoded frame differs");
    QByteArray encodedAgain;
    codec.encode(*again.frame, encodedAgain);
    if (encodedAgain != encoded)
        fail("encoding is not canonical");

    const Codec &other = codec.kind() == CodecKind::Json ? cborCodec() : jsonCodec();
    QByteArray twin;
    if (other.encode(frame, twin, &error)) {
        const DecodeResult crossed = other.decode(twin);
        if (!crossed.ok())
            fail("other codec cannot decode its own encoding:", crossed.error);
        if (*crossed.frame != frame)
            fail("frame changed through the other codec");
    } else if (codec.kind() == CodecKind::Json) {
        fail("CBOR cannot encode a frame JSON accepted:", error);
    }

    if (const auto *msg = std::get_if<Msg>(&frame))
        checkMsgHotPath(codec, *msg, encoded);
    return 0;
}
