// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "frames.h"

#include <zlib.h>

#include <QtCore/QCborArray>
#include <QtCore/QCborStreamReader>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

#include <cmath>

namespace Tether::Testing {

bool testingV11()
{
    static const bool v11 = qEnvironmentVariable("TETHER_TEST_PROTOCOL") == QLatin1StringView("1.1");
    return v11;
}

QString subprotocolName(Codec codec)
{
    return subprotocolName(codec, testingV11());
}

QString subprotocolName(Codec codec, bool v11)
{
    if (v11)
        return codec == Codec::Json ? QStringLiteral("tether.v1.1.json") : QStringLiteral("tether.v1.1.cbor");
    return codec == Codec::Json ? QStringLiteral("tether.v1.json") : QStringLiteral("tether.v1.cbor");
}

QString deflateSubprotocolName(Codec codec)
{
    return subprotocolName(codec, true) + QLatin1StringView("+deflate");
}

std::optional<Codec> codecFromSubprotocol(const QString &subprotocol)
{
    for (const Codec codec : {Codec::Json, Codec::Cbor}) {
        if (subprotocol == subprotocolName(codec, false) || subprotocol == subprotocolName(codec, true)
            || subprotocol == deflateSubprotocolName(codec))
            return codec;
    }
    return std::nullopt;
}

bool isV11Subprotocol(const QString &subprotocol)
{
    for (const Codec codec : {Codec::Json, Codec::Cbor}) {
        if (subprotocol == subprotocolName(codec, true) || subprotocol == deflateSubprotocolName(codec))
            return true;
    }
    return false;
}

struct DeflateStream::State {
    z_stream z{};
};

DeflateStream::DeflateStream(int windowBits) : d(new State)
{
    deflateInit2(&d->z, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

DeflateStream::~DeflateStream()
{
    deflateEnd(&d->z);
    delete d;
}

QByteArray DeflateStream::message(const QByteArray &batch)
{
    QByteArray piece;
    d->z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(batch.constData()));
    d->z.avail_in = uInt(batch.size());
    char chunk[16384];
    do {   // zlib.h: call again while the output buffer comes back full
        d->z.next_out = reinterpret_cast<Bytef *>(chunk);
        d->z.avail_out = sizeof chunk;
        if (deflate(&d->z, Z_SYNC_FLUSH) == Z_STREAM_ERROR)
            return {};
        piece.append(chunk, qsizetype(sizeof chunk - d->z.avail_out));
    } while (d->z.avail_out == 0);
    if (!piece.endsWith(QByteArrayView("\x00\x00\xff\xff", 4)))
        return {};
    piece.chop(4);
    const quint32 n = quint32(batch.size());
    QByteArray message;
    message.append(char(0xff)).append(char(n >> 24)).append(char(n >> 16)).append(char(n >> 8)).append(char(n));
    return message + piece;
}

QByteArray DeflateStream::completeStream(const QByteArray &batch)
{
    uLongf size = compressBound(uLong(batch.size()));
    QByteArray stream(qsizetype(size), Qt::Uninitialized);
    if (compress2(reinterpret_cast<Bytef *>(stream.data()), &size, reinterpret_cast<const Bytef *>(batch.constData()),
                  uLong(batch.size()), 6) != Z_OK)
        return {};
    stream.truncate(qsizetype(size));
    const quint32 n = quint32(batch.size());
    QByteArray message;
    message.append(char(0xff)).append(char(n >> 24)).append(char(n >> 16)).append(char(n >> 8)).append(char(n));
    return message + stream;
}

struct InflateStream::State {
    z_stream z{};
};

InflateStream::InflateStream() : d(new State)
{
    inflateInit2(&d->z, 0);   // the window of the sender's zlib header
}

InflateStream::~InflateStream()
{
    inflateEnd(&d->z);
    delete d;
}

std::optional<QByteArray> InflateStream::message(const QByteArray &message)
{
    if (message.size() < 5 || quint8(message[0]) != 0xff)
        return std::nullopt;
    const auto byte = [&](int i) { return quint32(quint8(message[i])); };
    const quint32 n = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
    if (n == 0 || n > (64u << 20))
        return std::nullopt;
    // The piece, then the 00 00 FF FF the sender left out; exactly n bytes must come out.
    QByteArray input = message.sliced(5);
    input.append(QByteArrayView("\x00\x00\xff\xff", 4));
    QByteArray batch(qsizetype(n) + 1, Qt::Uninitialized);
    d->z.next_in = reinterpret_cast<Bytef *>(input.data());
    d->z.avail_in = uInt(input.size());
    d->z.next_out = reinterpret_cast<Bytef *>(batch.data());
    d->z.avail_out = uInt(batch.size());
    const int rc = inflate(&d->z, Z_SYNC_FLUSH);
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || d->z.avail_in != 0 || d->z.avail_out != 1)
        return std::nullopt;
    batch.chop(1);
    return batch;
}

QList<QByteArray> splitBatch(const QByteArray &message, Codec codec)
{
    QList<QByteArray> frames;
    if (codec == Codec::Json) {
        frames = message.split('\n');
        for (const QByteArray &frame : std::as_const(frames)) {
            if (frame.isEmpty())
                return {};
        }
        return frames;
    }
    // QCborStreamReader stops after one top-level item: one reader per frame.
    qint64 start = 0;
    while (start < message.size()) {
        QCborStreamReader reader(message.constData() + start, message.size() - start);
        if (!reader.next())
            return {};
        const qint64 length = reader.currentOffset();
        frames.append(message.mid(start, length));
        start += length;
    }
    return frames;
}

QByteArray joinBatch(const QList<QByteArray> &frames, Codec codec)
{
    return frames.join(codec == Codec::Json ? QByteArrayView("\n") : QByteArrayView());
}

const char *codecName(Codec codec)
{
    return codec == Codec::Json ? "json" : "cbor";
}

QByteArray encodeFrame(const QCborMap &frame, Codec codec)
{
    if (codec == Codec::Json)
        return QJsonDocument(frame.toJsonObject()).toJson(QJsonDocument::Compact);
    return QCborValue(frame).toCbor();
}

std::optional<QCborMap> decodeFrame(QByteArrayView bytes, bool binary, QString *error)
{
    auto fail = [error](const QString &why) -> std::optional<QCborMap> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    if (!binary) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes.toByteArray(), &parseError);
        if (parseError.error != QJsonParseError::NoError)
            return fail(QStringLiteral("invalid JSON: ") + parseError.errorString());
        if (!doc.isObject())
            return fail(QStringLiteral("JSON frame is not an object"));
        return QCborMap::fromJsonObject(doc.object());
    }
    QCborStreamReader reader(bytes.toByteArray());
    const QCborValue value = QCborValue::fromCbor(reader);
    if (reader.lastError() != QCborError::NoError)
        return fail(QStringLiteral("invalid CBOR: ") + reader.lastError().toString());
    if (reader.currentOffset() != bytes.size())
        return fail(QStringLiteral("CBOR frame has trailing bytes"));
    if (!value.isMap())
        return fail(QStringLiteral("CBOR frame is not a map"));
    return value.toMap();
}

std::optional<quint64> uintField(const QCborMap &frame, QLatin1StringView key)
{
    const QCborValue v = frame.value(key);
    if (v.isInteger() && v.toInteger() >= 0)
        return quint64(v.toInteger());
    if (v.isDouble()) {
        // A JSON number may arrive as a double; accept it only when it is integral.
        const double d = v.toDouble();
        if (d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)
            return quint64(d);
    }
    return std::nullopt;
}

std::optional<QString> stringField(const QCborMap &frame, QLatin1StringView key)
{
    const QCborValue v = frame.value(key);
    if (!v.isString())
        return std::nullopt;
    return v.toString();
}

std::optional<bool> boolField(const QCborMap &frame, QLatin1StringView key)
{
    const QCborValue v = frame.value(key);
    if (!v.isBool())
        return std::nullopt;
    return v.toBool();
}

QString frameType(const QCborMap &frame)
{
    return stringField(frame, QLatin1StringView("t")).value_or(QString());
}

QByteArray describe(const QCborMap &frame)
{
    QByteArray text = QJsonDocument(frame.toJsonObject()).toJson(QJsonDocument::Compact);
    constexpr qsizetype kMax = 400;
    if (text.size() > kMax) {
        text.truncate(kMax);
        text += "...";
    }
    return text;
}

HelloFields resumeHello(const QString &sid, quint64 rx, std::optional<quint64> ak)
{
    HelloFields fields;
    fields.sid = sid;
    fields.rx = rx;
    fields.ak = ak;
    return fields;
}

QByteArray describe(const QCborValue &value)
{
    if (value.isMap())
        return describe(value.toMap());
    return describe(QCborMap{{QStringLiteral("value"), value}});
}

bool equivalent(const QCborValue &a, const QCborValue &b)
{
    const bool aNumber = a.isInteger() || a.isDouble();
    const bool bNumber = b.isInteger() || b.isDouble();
    if (aNumber && bNumber) {
        if (a.isInteger() && b.isInteger())
            return a.toInteger() == b.toInteger();
        return a.toDouble() == b.toDouble();
    }
    if (a.isMap() && b.isMap()) {
        const QCborMap ma = a.toMap();
        const QCborMap mb = b.toMap();
        if (ma.size() != mb.size())
            return false;
        for (auto it = ma.cbegin(); it != ma.cend(); ++it) {
            if (!mb.contains(it.key()) || !equivalent(it.value(), mb.value(it.key())))
                return false;
        }
        return true;
    }
    if (a.isArray() && b.isArray()) {
        const QCborArray aa = a.toArray();
        const QCborArray ab = b.toArray();
        if (aa.size() != ab.size())
            return false;
        for (qsizetype i = 0; i < aa.size(); ++i)
            if (!equivalent(aa.at(i), ab.at(i)))
                return false;
        return true;
    }
    return a == b;
}

QCborMap helloFrame(const HelloFields &fields)
{
    QCborMap m{{QStringLiteral("t"), QStringLiteral("hello")}, {QStringLiteral("v"), 1}};
    if (fields.sid)
        m.insert(QStringLiteral("sid"), *fields.sid);
    if (fields.rx)
        m.insert(QStringLiteral("rx"), qint64(*fields.rx));
    if (fields.ak)
        m.insert(QStringLiteral("ak"), qint64(*fields.ak));
    if (fields.token)
        m.insert(QStringLiteral("token"), *fields.token);
    if (fields.agent)
        m.insert(QStringLiteral("agent"), *fields.agent);
    return m;
}

QCborMap msgFrame(std::optional<quint64> seq, const QCborValue &d, const QString &id,
                  const QString &ch)
{
    QCborMap m{{QStringLiteral("t"), QStringLiteral("msg")}, {QStringLiteral("d"), d}};
    if (seq)
        m.insert(QStringLiteral("seq"), qint64(*seq));
    if (!id.isEmpty())
        m.insert(QStringLiteral("id"), id);
    if (!ch.isEmpty())
        m.insert(QStringLiteral("ch"), ch);
    return m;
}

QCborMap ackFrame(quint64 seq)
{
    return {{QStringLiteral("t"), QStringLiteral("ack")}, {QStringLiteral("seq"), qint64(seq)}};
}

QCborMap reqFrame(quint64 id, const QString &method, const std::optional<QCborValue> &d)
{
    QCborMap m{{QStringLiteral("t"), QStringLiteral("req")},
               {QStringLiteral("id"), qint64(id)},
               {QStringLiteral("m"), method}};
    if (d)
        m.insert(QStringLiteral("d"), *d);
    return m;
}

QCborMap subFrame(quint64 id, const QString &ch)
{
    return {{QStringLiteral("t"), QStringLiteral("sub")},
            {QStringLiteral("id"), qint64(id)},
            {QStringLiteral("ch"), ch}};
}

QCborMap unsubFrame(quint64 id, const QString &ch)
{
    return {{QStringLiteral("t"), QStringLiteral("unsub")},
            {QStringLiteral("id"), qint64(id)},
            {QStringLiteral("ch"), ch}};
}

} // namespace Tether::Testing
