// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The two wire codecs of protocol v1 behind one interface.
//
// Not public API. `tether.v1.json`: one UTF-8 JSON object per text frame.
// `tether.v1.cbor`: one CBOR map per binary frame. Same fields, same meaning.
//
// Contract:
// - decode() validates everything docs/protocol.md §2 says and never throws, crashes, hangs or
//   allocates without bound (the caller has already enforced the maximum frame size; the
//   decoder bounds nesting depth itself). An error names the frame type and the field:
//   "msg: field 'seq' must be an unsigned integer".
// - encode() writes the canonical form: no optional field when absent, so
//   encode(decode(x)) round-trips. It fails only for a payload the codec cannot carry
//   (a byte string, a CBOR tag or a non-finite double in JSON; any value over kMaxDepth).
//   It also refuses, in both codecs, whatever a decoder would reject, so nothing it writes
//   can bounce: an unsigned field above kMaxUInt, a msg with seq 0, and inside a payload a
//   CBOR tag, undefined, a simple value, NaN/infinity, a non-text or duplicate map key
//   (docs/protocol.md §2.2). The error names the frame type and field, like decode's.
// - encodeValue() + encodeMsg() are the hot path: the engine encodes a payload once when
//   the app sends it and re-wraps the stored bytes in a new envelope on every
//   (re)transmission, so renumbering never re-encodes `d`.
#pragma once

#include "frames.h"

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QString>

#include <optional>

namespace Tether::Protocol {

enum class CodecKind { Json, Cbor };

inline constexpr int kMaxDepth = 64;  // nesting levels allowed inside a frame

inline constexpr QLatin1StringView kJsonSubprotocol{"tether.v1.json"};
inline constexpr QLatin1StringView kCborSubprotocol{"tether.v1.cbor"};

// What a decode builds beyond validating. A server that only acknowledges a `msg` without
// a channel never reads its payload: with `skipPlainMsgPayload` that payload is validated
// exactly as always (same errors) but no QCborValue is built for it: Msg::d stays
// undefined and Msg::payloadSkipped is set. Every other frame is decoded whole.
struct DecodeOptions {
    bool skipPlainMsgPayload = false;
};

struct DecodeResult {
    std::optional<Frame> frame;  // set on success
    QString error;               // set on failure
    bool ok() const { return frame.has_value(); }
};

// The envelope of a `msg` whose payload was encoded earlier by encodeValue().
struct MsgHeader {
    std::optional<quint64> seq;
    // Empty = absent; any encoding (the engine keeps ids as bytes). A QUtf8StringView must
    // be valid UTF-8 (the engine's stored ids are): the CBOR codec copies it unchecked.
    QAnyStringView id;
    QStringView ch;   // empty = absent
};

// Where Codec::encodeMsgAroundSeq() put the parts of a msg in its output.
struct MsgLayout {
    qsizetype seqAt = 0;      // appendMsgSeq()'s bytes go here
    qsizetype valueAt = 0;    // the encoded value (`d`) starts here
    qsizetype valueSize = 0;
};

class Codec {
public:
    virtual ~Codec() = default;

    virtual CodecKind kind() const = 0;
    virtual QLatin1StringView subprotocol() const = 0;
    // True when frames travel as binary WebSocket frames (CBOR), false for text (JSON).
    virtual bool usesBinaryFrames() const = 0;

    DecodeResult decode(QByteArrayView bytes) const { return decode(bytes, DecodeOptions()); }
    virtual DecodeResult decode(QByteArrayView bytes, const DecodeOptions &options) const = 0;

    // Appends the frame to `out`. Returns false and sets `error` when it cannot be encoded.
    virtual bool encode(const Frame &frame, QByteArray &out, QString *error = nullptr) const = 0;

    // Appends the encoding of a payload value alone.
    virtual bool encodeValue(const QCborValue &value, QByteArray &out, QString *error = nullptr) const = 0;
    // encodeValue() of a text or a byte-string payload, straight from the caller's buffer
    // (no QCborValue built). JSON cannot carry a byte string: encodeBytes() then returns
    // false with the same error encodeValue() gives.
    virtual void encodeText(QStringView text, QByteArray &out) const = 0;
    virtual bool encodeBytes(QByteArrayView bytes, QByteArray &out, QString *error = nullptr) const = 0;
    // encodeBytes() in two steps, for a caller that allocates the room itself (the outbox
    // writes a message's payload straight into its one allocation: no scratch buffer, no
    // copy): the size of the encoding of `size` bytes (0: this codec carries no byte
    // strings), then the encoding written at `at`, exactly that many bytes (returned).
    virtual qsizetype encodedBytesSize(qsizetype size) const = 0;
    virtual qsizetype writeEncodedBytes(QByteArrayView bytes, char *at) const = 0;
    // Appends a `msg` frame whose `d` is `encodedValue`, as produced by encodeValue().
    virtual void encodeMsg(const MsgHeader &header, QByteArrayView encodedValue, QByteArray &out) const = 0;
    // Appends a `msg` frame whose `d` is the byte string `bytes`, written straight from the
    // caller's buffer: the one copy a large binary payload costs per transmission (the
    // engine keeps the app's QByteArray shared instead of an encoded copy). JSON cannot
    // carry a byte string: returns false with the same error encodeValue() gives.
    virtual bool encodeMsgBytes(const MsgHeader &header, QByteArrayView bytes, QByteArray &out,
                                QString *error = nullptr) const = 0;
    // A msg that goes to many receivers, each with its own seq (tether-server's fan-out),
    // encoded once: appends encodeMsg({seq, id, ch}, encodedValue) without the seq's value,
    // which belongs at seqAt: out[.., seqAt) + writeMsgSeq(seq) + out[seqAt, ..) is what
    // encodeMsg() writes for that seq, byte for byte.
    virtual MsgLayout encodeMsgAroundSeq(QAnyStringView id, QStringView ch, QByteArrayView encodedValue,
                                         QByteArray &out) const = 0;
    // The seq's value as encodeMsg() writes it, into `out` (kMaxMsgSeqBytes of room); its length.
    static constexpr int kMaxMsgSeqBytes = 20;
    virtual int writeMsgSeq(quint64 seq, char *out) const = 0;
};

const Codec &jsonCodec();
const Codec &cborCodec();
const Codec &codecFor(CodecKind kind);
// The codec negotiated as `subprotocol`, or nullptr when it is not a Tether subprotocol.
const Codec *codecForSubprotocol(QByteArrayView subprotocol);

} // namespace Tether::Protocol
