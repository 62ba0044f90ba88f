// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (docs/protocol.md §10.5): the examples of the docs decoded, every
// rejected compressed message with its error, round trips in both codecs, and the limits
// (a bomb within and beyond the limit, a stream that lies about its size, truncation and
// corruption at every position).
#include "protocol/batch.h"
#include "protocol/compression.h"

#include "doc_blocks.h"

#include <QtCore/QCborValue>
#include <QtTest/QtTest>

#include <zlib.h>

using namespace Tether::Protocol;
using namespace DocExamples;

Q_DECLARE_METATYPE(Tether::Protocol::CodecKind)

namespace {

constexpr qsizetype kDocLimit = 1048576;   // the limit §10.5's rejected examples assume

QList<Frame> readAll(const Codec &codec, QByteArrayView message, QString *error)
{
    QList<Frame> frames;
    BatchReader reader(codec, message);
    while (!reader.atEnd()) {
        DecodeResult result = reader.next();
        if (!result.ok()) {
            *error = result.error;
            break;
        }
        frames.append(std::move(*result.frame));
    }
    return frames;
}

// A batch of `count` chat publications as tether-server fans them out.
QByteArray chatBatch(const Codec &codec, int count)
{
    static const char *const users[] = {"alice", "bob", "carol", "dave"};
    static const char *const texts[] = {"hello everyone", "hi!", "did you see the build?",
                                        "yes, it is green again", "lunch at noon?", "ok"};
    QByteArray message;
    for (int i = 0; i < count; ++i) {
        Msg msg;
        msg.seq = quint64(100 + i);
        msg.ch = QStringLiteral("room:general");
        QCborMap d{{QStringLiteral("type"), QStringLiteral("chat")},
                   {QStringLiteral("user"), QString::fromLatin1(users[i % 4])},
                   {QStringLiteral("text"), QString::fromLatin1(texts[i % 6])},
                   {QStringLiteral("ts"), qint64(1700000000000) + i * 937}};
        msg.d = QCborValue(d);
        appendBatchSeparator(codec.kind(), message);
        if (!codec.encode(Frame(msg), message))
            return {};
    }
    return message;
}

// `n` claimed, then a zlib stream of `plain`.
QByteArray handMade(quint32 n, QByteArrayView plain, int level = 6)
{
    uLongf size = compressBound(uLong(plain.size()));
    QByteArray stream(qsizetype(size), Qt::Uninitialized);
    if (compress2(reinterpret_cast<Bytef *>(stream.data()), &size, reinterpret_cast<const Bytef *>(plain.data()),
                  uLong(plain.size()), level) != Z_OK)
        return {};
    stream.truncate(qsizetype(size));
    QByteArray out;
    out.append(kCompressedMarker);
    out.append(char(n >> 24)).append(char(n >> 16)).append(char(n >> 8)).append(char(n));
    return out + stream;
}

} // namespace

class TestCompression : public QObject
{
    Q_OBJECT
private slots:
    void subprotocolNames();
    void markerCannotStartAPlainBatch();
    void docsExamples_data();
    void docsExamples();
    void docsRejected_data();
    void docsRejected();
    void roundTrip_data();
    void roundTrip();
    void notSmallerIsNotCompressed();
    void bombBeyondTheLimit();
    void bombWithinTheLimitIsAccepted();
    void streamLongerThanItsClaim();
    void truncatedAtEveryLength_data();
    void truncatedAtEveryLength();
    void corruptAtEveryByte_data();
    void corruptAtEveryByte();
};

void TestCompression::subprotocolNames()
{
    QCOMPARE(parseSubprotocol("tether.v1.1.json+deflate")->codec, CodecKind::Json);
    QCOMPARE(parseSubprotocol("tether.v1.1.json+deflate")->version, Version::V1_1);
    QVERIFY(parseSubprotocol("tether.v1.1.json+deflate")->deflate);
    QCOMPARE(parseSubprotocol("tether.v1.1.cbor+deflate")->codec, CodecKind::Cbor);
    QVERIFY(parseSubprotocol("tether.v1.1.cbor+deflate")->deflate);
    QVERIFY(!parseSubprotocol("tether.v1.1.cbor")->deflate);
    QVERIFY(!parseSubprotocol("tether.v1.json")->deflate);
    QVERIFY(!parseSubprotocol("tether.v1.json+deflate"));   // compression is a v1.1 feature
    QVERIFY(!parseSubprotocol("tether.v1.1.cbor+DEFLATE"));
    QCOMPARE(subprotocolName(CodecKind::Json, Version::V1_1, true), kJsonSubprotocolV11Deflate);
    QCOMPARE(subprotocolName(CodecKind::Cbor, Version::V1_1, true), kCborSubprotocolV11Deflate);
    QCOMPARE(subprotocolName(CodecKind::Cbor, Version::V1_1), kCborSubprotocolV11);
    // A v1 codec lookup does not know the names (they are batches, never v1 frames).
    QCOMPARE(codecForSubprotocol("tether.v1.1.json+deflate"), nullptr);
}

void TestCompression::markerCannotStartAPlainBatch()
{
    // JSON: 0xFF is not UTF-8 (and JSON batches travel in text messages anyway).
    QVERIFY(!QUtf8StringView(QByteArrayView("\xff")).isValidUtf8());
    // CBOR: 0xFF ("break") cannot start a frame.
    QString error;
    readAll(cborCodec(), QByteArray::fromHex("ffa261746361636b6373657101"), &error);
    QVERIFY2(error.startsWith(QLatin1StringView("batch frame 1: ")), qPrintable(error));
    // Every plain batch either codec writes starts with something else.
    QVERIFY(!isCompressedMessage(chatBatch(jsonCodec(), 3)));
    QVERIFY(!isCompressedMessage(chatBatch(cborCodec(), 3)));
    QVERIFY(!isCompressedMessage(QByteArrayView()));
}

void TestCompression::docsExamples_data()
{
    // A ```compressed-hex block, then ```compressed-json-batch (the inflated JSON lines) or
    // ```compressed-cbor-diag (the inflated frames in diagnostic notation, one per line).
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QList<QByteArray>>("expected");
    QByteArray message;
    int examples = 0;
    for (const DocBlock &block : docBlocks()) {
        if (block.lang == "compressed-hex") {
            message = QByteArray::fromHex(joined(block.lines));
        } else if (block.lang == "compressed-json-batch" || block.lang == "compressed-cbor-diag") {
            QTest::addRow("protocol.md line %d", block.line)
                << message << (block.lang == "compressed-json-batch" ? CodecKind::Json : CodecKind::Cbor)
                << block.lines;
            message.clear();
            ++examples;
        }
    }
    QVERIFY2(examples >= 2, "docs/protocol.md §10.5 lost its compressed examples");
}

void TestCompression::docsExamples()
{
    QFETCH(QByteArray, message);
    QFETCH(CodecKind, kind);
    QFETCH(QList<QByteArray>, expected);
    QVERIFY2(!message.isEmpty(), "every inflated example follows a compressed-hex block");
    QVERIFY(isCompressedMessage(message));
    const InflatedBatch inflated = decompressBatch(message, kDocLimit);
    QVERIFY2(inflated.ok(), qPrintable(inflated.error));
    QString error;
    const QList<Frame> frames = readAll(codecFor(kind), inflated.batch, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(frames.size(), expected.size());
    if (kind == CodecKind::Json) {
        QCOMPARE(inflated.batch, joined(expected));
    } else {
        for (int i = 0; i < frames.size(); ++i) {
            QByteArray one;
            QVERIFY(cborCodec().encode(frames[i], one));
            QCOMPARE(QCborValue::fromCbor(one).toDiagnosticNotation(), QString::fromUtf8(expected[i]));
        }
    }
    // Our sender writes the same bytes (zlib level 6, one shot).
    QCOMPARE(compressBatch(inflated.batch).toHex(' '), message.toHex(' '));
}

void TestCompression::docsRejected_data()
{
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QString>("error");
    int examples = 0;
    for (const DocBlock &block : docBlocks()) {
        if (block.lang != "compressed-rejected" || block.lines.size() < 2)
            continue;
        QTest::addRow("protocol.md line %d", block.line)
            << QByteArray::fromHex(joined(block.lines.first(block.lines.size() - 1)))
            << QString::fromUtf8(block.lines.last());
        ++examples;
    }
    QVERIFY2(examples >= 9, "docs/protocol.md §10.5 lost its rejected compressed messages");
}

void TestCompression::docsRejected()
{
    QFETCH(QByteArray, message);
    QFETCH(QString, error);
    const InflatedBatch inflated = decompressBatch(message, kDocLimit);
    QCOMPARE(inflated.error, error);
    QCOMPARE(inflated.tooLarge, error.contains(QLatin1StringView("over the limit")));
    QVERIFY(inflated.batch.isEmpty());
}

void TestCompression::roundTrip_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<int>("frames");
    for (const CodecKind kind : {CodecKind::Json, CodecKind::Cbor}) {
        const char *name = kind == CodecKind::Json ? "json" : "cbor";
        for (const int frames : {1, 8, 100, 1024})
            QTest::addRow("%s, %d chat frames", name, frames) << kind << frames;
    }
}

void TestCompression::roundTrip()
{
    QFETCH(CodecKind, kind);
    QFETCH(int, frames);
    const Codec &codec = codecFor(kind);
    const QByteArray plain = chatBatch(codec, frames);
    QVERIFY(!plain.isEmpty());
    const QByteArray compressed = compressBatch(plain);
    if (frames == 1) {
        // One ~120-byte frame may or may not shrink: when it does not, it stays plain.
        if (compressed.isEmpty())
            return;
    }
    QVERIFY2(!compressed.isEmpty(), "a chat batch of several frames compresses");
    QVERIFY(isCompressedMessage(compressed));
    QVERIFY(compressed.size() < plain.size());
    if (frames >= 100)
        QVERIFY2(compressed.size() * 3 <= plain.size(), qPrintable(QStringLiteral("%1 -> %2").arg(plain.size()).arg(compressed.size())));
    // Exactly the claimed size is the limit: accepted; one byte less: too large.
    InflatedBatch inflated = decompressBatch(compressed, plain.size());
    QVERIFY2(inflated.ok(), qPrintable(inflated.error));
    QCOMPARE(inflated.batch, plain);
    QString error;
    QCOMPARE(readAll(codec, inflated.batch, &error).size(), frames);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    inflated = decompressBatch(compressed, plain.size() - 1);
    QVERIFY(!inflated.ok());
    QVERIFY(inflated.tooLarge);
}

void TestCompression::notSmallerIsNotCompressed()
{
    // Incompressible bytes and a tiny frame: the sender keeps the plain batch.
    QByteArray noise(4096, Qt::Uninitialized);
    quint32 x = 12345;
    for (char &c : noise) {
        x = x * 1664525u + 1013904223u;
        c = char(x >> 24);
    }
    QVERIFY(compressBatch(noise).isEmpty());
    QVERIFY(compressBatch(QByteArrayView("{\"t\":\"ack\",\"seq\":1}")).isEmpty());
    QVERIFY(compressBatch(QByteArrayView()).isEmpty());
}

void TestCompression::bombBeyondTheLimit()
{
    // 64 MiB of zeros (about 64 KiB compressed): refused from its header, nothing inflated.
    const QByteArray zeros(64 << 20, '\0');
    const QByteArray bomb = compressBatch(zeros, 9);
    QVERIFY(!bomb.isEmpty());
    QVERIFY(bomb.size() < 100 * 1024);
    const InflatedBatch inflated = decompressBatch(bomb, 16 * 1024 * 1024);
    QVERIFY(inflated.tooLarge);
    QCOMPARE(inflated.error, QStringLiteral("compressed batch: inflates to 67108864 bytes, over the limit of 16777216"));
}

void TestCompression::bombWithinTheLimitIsAccepted()
{
    // Within the limit a bomb is just a large message (as an uncompressed one would be);
    // the batch reader then rejects the zeros as a frame.
    const QByteArray bomb = compressBatch(QByteArray(1 << 20, '\0'), 9);
    const InflatedBatch inflated = decompressBatch(bomb, 1 << 20);
    QVERIFY2(inflated.ok(), qPrintable(inflated.error));
    QCOMPARE(inflated.batch.size(), 1 << 20);
    QString error;
    readAll(cborCodec(), inflated.batch, &error);
    QVERIFY(!error.isEmpty());
}

void TestCompression::streamLongerThanItsClaim()
{
    // The header claims 1000 bytes, the stream holds 16 MiB of zeros: the receiver stops
    // after 1000 bytes of output (its buffer never grows past the claim).
    const QByteArray liar = handMade(1000, QByteArray(16 << 20, '\0'), 9);
    QVERIFY(liar.size() < 64 * 1024);
    const InflatedBatch inflated = decompressBatch(liar, 16 << 20);
    QCOMPARE(inflated.error, QStringLiteral("compressed batch: inflates to more than the 1000 bytes its header says"));
    QVERIFY(!inflated.tooLarge);
}

void TestCompression::truncatedAtEveryLength_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::newRow("json") << CodecKind::Json;
    QTest::newRow("cbor") << CodecKind::Cbor;
}

void TestCompression::truncatedAtEveryLength()
{
    QFETCH(CodecKind, kind);
    const QByteArray compressed = compressBatch(chatBatch(codecFor(kind), 20));
    QVERIFY(!compressed.isEmpty());
    for (qsizetype length = 0; length < compressed.size(); ++length) {
        const InflatedBatch inflated = decompressBatch(compressed.first(length), kDocLimit);
        QVERIFY2(!inflated.ok(), qPrintable(QStringLiteral("cut at %1 accepted").arg(length)));
        QVERIFY(!inflated.tooLarge);
    }
}

void TestCompression::corruptAtEveryByte_data() { truncatedAtEveryLength_data(); }

void TestCompression::corruptAtEveryByte()
{
    // Any one byte of the stream changed: the Adler-32 (or the deflate structure, or the
    // length) catches it; never a silently different batch. (A flip in the padding bits
    // after the last deflate block changes nothing: that batch is the original.)
    QFETCH(CodecKind, kind);
    const QByteArray plain = chatBatch(codecFor(kind), 20);
    const QByteArray compressed = compressBatch(plain);
    for (qsizetype at = 1; at < compressed.size(); ++at) {
        for (const char flip : {char(0x01), char(0x80)}) {
            QByteArray bad = compressed;
            bad[at] = char(bad[at] ^ flip);
            const InflatedBatch inflated = decompressBatch(bad, kDocLimit);
            QVERIFY2(!inflated.ok() || inflated.batch == plain, qPrintable(QStringLiteral("byte %1 ^ %2 gave another batch").arg(at).arg(int(quint8(flip)))));
        }
    }
}

QTEST_APPLESS_MAIN(TestCompression)
#include "tst_compression.moc"
