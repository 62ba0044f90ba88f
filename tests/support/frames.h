// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Test-side view of protocol v1 frames, independent of sdk/protocol.
//
// The conformance suites must prove that the server speaks the text of docs/protocol.md, not
// merely that it agrees with our own codec, so frames here are plain QCborMaps built by
// hand (or hand-written JSON strings) and encoded with Qt's QJsonDocument / QCborValue
// only. A QCborMap carries both codecs: JSON numbers that are integral come back as
// integers, and a test reads fields through the helpers below whatever codec carried them.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QCborMap>
#include <QtCore/QCborValue>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <optional>

namespace Tether::Testing {

enum class Codec { Json, Cbor };

// The protocol version a test run speaks: "1.1" when the environment variable
// TETHER_TEST_PROTOCOL says so (the conformance suites run once per version, see
// tests/server/CMakeLists.txt), else "1".
bool testingV11();
// "tether.v1.json" / "tether.v1.cbor", or under testingV11() "tether.v1.1.json" / "tether.v1.1.cbor".
QString subprotocolName(Codec codec);
// The exact name of one version: v11 false = "tether.v1.<codec>", true = "tether.v1.1.<codec>".
QString subprotocolName(Codec codec, bool v11);
// "tether.v1.1.json+deflate" / "tether.v1.1.cbor+deflate": v1.1 with compressed batches.
QString deflateSubprotocolName(Codec codec);
// The codec a negotiated subprotocol names (any version); nullopt for anything else.
std::optional<Codec> codecFromSubprotocol(const QString &subprotocol);
// True when the negotiated subprotocol is a v1.1 name (messages may be batches).
bool isV11Subprotocol(const QString &subprotocol);

// Compressed batches (docs/protocol.md §10.5), written from the text with zlib, not with
// sdk/protocol: 0xFF, the batch's size (4 bytes, big endian), then the next piece of the
// connection's zlib stream for this direction (a sync flush, its 00 00 FF FF left out).
// One object per direction per connection, as the text says.
class DeflateStream
{
public:
    // zlib's windowBits: the tests send with 2^15, the largest a receiver must read, while
    // the SDK and tether-server send with 2^12.
    explicit DeflateStream(int windowBits = 15);
    ~DeflateStream();
    DeflateStream(const DeflateStream &) = delete;
    DeflateStream &operator=(const DeflateStream &) = delete;
    // The compressed message for `batch`, the connection's next.
    QByteArray message(const QByteArray &batch);
    // zlib's own one-shot stream (final block, Adler-32), as the first draft sent it.
    static QByteArray completeStream(const QByteArray &batch);

private:
    struct State;
    State *d;
};

class InflateStream
{
public:
    InflateStream();
    ~InflateStream();
    InflateStream(const InflateStream &) = delete;
    InflateStream &operator=(const InflateStream &) = delete;
    // The batch inside the connection's next compressed message; nullopt when it is not
    // one or does not inflate to exactly its claimed size (at most 64 MiB: the test trusts
    // its server).
    std::optional<QByteArray> message(const QByteArray &message);

private:
    struct State;
    State *d;
};

// Protocol v1.1 (docs/protocol.md §10): the frames of one message, split without decoding
// them (JSON: at each LF; CBOR: item by item with QCborStreamReader). Empty on a message
// that cannot be split (an empty piece, a truncated CBOR item).
QList<QByteArray> splitBatch(const QByteArray &message, Codec codec);
// One message of several frames, as a v1.1 peer sends it.
QByteArray joinBatch(const QList<QByteArray> &frames, Codec codec);
// "json" / "cbor", for QTest::addRow names and messages.
const char *codecName(Codec codec);

// Encodes a frame as the codec puts it on the wire: compact UTF-8 JSON text, or CBOR.
QByteArray encodeFrame(const QCborMap &frame, Codec codec);

// Decodes one frame. `binary` says which kind of WebSocket frame carried it. Fails (nullopt,
// `error` set) when the bytes are not one JSON object / CBOR map.
std::optional<QCborMap> decodeFrame(QByteArrayView bytes, bool binary, QString *error = nullptr);

// Field readers that accept what either codec produces. They return nullopt when the field
// is absent or of another type, so a test can QVERIFY the type as well as the value.
std::optional<quint64> uintField(const QCborMap &frame, QLatin1StringView key);
std::optional<QString> stringField(const QCborMap &frame, QLatin1StringView key);
std::optional<bool> boolField(const QCborMap &frame, QLatin1StringView key);
// The frame's `t`, or an empty string.
QString frameType(const QCborMap &frame);

// A short compact-JSON rendering for failure messages (byte strings shown as base64url).
QByteArray describe(const QCborMap &frame);
QByteArray describe(const QCborValue &value);

// Value equality as the protocol means it: map key order ignored (a JSON object has none)
// and an integer equal to an integral double (a JSON number is just a number).
bool equivalent(const QCborValue &a, const QCborValue &b);

// Builders for the client frames the suites send most. Optional fields left at their
// defaults are omitted, as docs/protocol.md requires (never null).
struct HelloFields {
    std::optional<QString> sid;
    std::optional<quint64> rx;
    std::optional<quint64> ak;
    std::optional<QString> token;
    std::optional<QString> agent;
};
// The fields of a hello that resumes `sid`.
HelloFields resumeHello(const QString &sid, quint64 rx, std::optional<quint64> ak = std::nullopt);
QCborMap helloFrame(const HelloFields &fields = {});
// A msg: reliable when seq is set; `id` and `ch` omitted when empty.
QCborMap msgFrame(std::optional<quint64> seq, const QCborValue &d, const QString &id = {},
                  const QString &ch = {});
QCborMap ackFrame(quint64 seq);
QCborMap reqFrame(quint64 id, const QString &method,
                  const std::optional<QCborValue> &d = std::nullopt);
QCborMap subFrame(quint64 id, const QString &ch);
QCborMap unsubFrame(quint64 id, const QString &ch);

} // namespace Tether::Testing
