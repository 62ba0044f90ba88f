// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (docs/protocol.md §10.5, context takeover): the docs' consecutive
// messages decoded and re-encoded byte for byte, every rejected compressed message with its
// error, round trips through one connection's pair of streams in both codecs, what the
// context buys and what it demands (order, no message skipped, a lost stream stays lost),
// the windows a receiver reads and the memory it takes, and the limits (a bomb within and
// beyond the limit, a stream that lies about its size, truncation and corruption at every
// position).
#include "protocol/batch.h"
#include "protocol/compression.h"

#include "doc_blocks.h"

#include <QtCore/QCborValue>
#include <QtTest/QtTest>

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

// `n` claimed, then `stream`.
QByteArray withClaim(quint32 n, QByteArrayView stream)
{
    QByteArray out;
    out.append(kCompressedMarker);
    out.append(char(n >> 24)).append(char(n >> 16)).append(char(n >> 8)).append(char(n));
    return out + stream.toByteArray();
}

// The docs' examples of one codec, in order: they are consecutive messages of one
// connection.
struct DocExample {
    int line = 0;
    QByteArray message;
    QList<QByteArray> expected;
};

} // namespace

Q_DECLARE_METATYPE(DocExample)

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
    void contextShrinksLaterMessages_data();
    void contextShrinksLaterMessages();
    void messagesMustBeReadInOrder();
    void incompressibleBatchIsStillSentCompressed();
    void afterAnErrorTheStreamIsLost();
    void windowsUpTo32KiBAreRead_data();
    void windowsUpTo32KiBAreRead();
    void memoryPerStream();
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
    // The examples of one codec are consecutive messages of one connection (§10.5).
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QList<DocExample>>("examples");
    QList<DocExample> json, cbor;
    QByteArray message;
    int messageLine = 0;
    for (const DocBlock &block : docBlocks()) {
        if (block.lang == "compressed-hex") {
            message = QByteArray::fromHex(joined(block.lines));
            messageLine = block.line;
        } else if (block.lang == "compressed-json-batch" || block.lang == "compressed-cbor-diag") {
            (block.lang == "compressed-json-batch" ? json : cbor).append({messageLine, message, block.lines});
            message.clear();
        }
    }
    QVERIFY2(json.size() >= 2 && cbor.size() >= 2, "docs/protocol.md §10.5 lost its consecutive compressed examples");
    QTest::addRow("json connection") << CodecKind::Json << json;
    QTest::addRow("cbor connection") << CodecKind::Cbor << cbor;
}

void TestCompression::docsExamples()
{
    QFETCH(CodecKind, kind);
    QFETCH(QList<DocExample>, examples);
    BatchInflater receiver;
    BatchDeflater sender;   // ours writes the same bytes (level 6, window 4 KiB, memLevel 4)
    for (const DocExample &example : examples) {
        const QString at = QStringLiteral("protocol.md line %1").arg(example.line);
        QVERIFY2(!example.message.isEmpty(), qPrintable(at + QStringLiteral(": every inflated example follows a compressed-hex block")));
        QVERIFY(isCompressedMessage(example.message));
        const InflatedBatch inflated = receiver.inflate(example.message, kDocLimit);
        QVERIFY2(inflated.ok(), qPrintable(at + QStringLiteral(": ") + inflated.error));
        QString error;
        const QList<Frame> frames = readAll(codecFor(kind), inflated.batch, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(frames.size(), example.expected.size());
        if (kind == CodecKind::Json) {
            QCOMPARE(inflated.batch, joined(example.expected));
        } else {
            for (int i = 0; i < frames.size(); ++i) {
                QByteArray one;
                QVERIFY(cborCodec().encode(frames[i], one));
                QCOMPARE(QCborValue::fromCbor(one).toDiagnosticNotation(), QString::fromUtf8(example.expected[i]));
            }
        }
        QCOMPARE(sender.compress(inflated.batch).toHex(' '), example.message.toHex(' '));
    }
    // The second message refers to the first: alone, on a fresh stream, it does not read.
    QVERIFY(!BatchInflater().inflate(examples[1].message, kDocLimit).ok());
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
    // Each as the first compressed message of a connection.
    QFETCH(QByteArray, message);
    QFETCH(QString, error);
    const InflatedBatch inflated = BatchInflater().inflate(message, kDocLimit);
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
    // Three batches through one connection's pair of streams.
    QFETCH(CodecKind, kind);
    QFETCH(int, frames);
    const Codec &codec = codecFor(kind);
    const QByteArray plain = chatBatch(codec, frames);
    QVERIFY(!plain.isEmpty());
    BatchDeflater sender;
    BatchInflater receiver;
    for (int round = 0; round < 3; ++round) {
        const QByteArray compressed = sender.compress(plain);
        QVERIFY(isCompressedMessage(compressed));
        if (frames >= 100 || round > 0)
            QVERIFY2(compressed.size() * 3 <= plain.size(), qPrintable(QStringLiteral("%1 -> %2").arg(plain.size()).arg(compressed.size())));
        // Exactly the claimed size is the limit: accepted.
        const InflatedBatch inflated = receiver.inflate(compressed, plain.size());
        QVERIFY2(inflated.ok(), qPrintable(inflated.error));
        QCOMPARE(inflated.batch, plain);
        QString error;
        QCOMPARE(readAll(codec, inflated.batch, &error).size(), frames);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    // One byte less: too large, refused before inflating (the stream is untouched).
    const QByteArray next = sender.compress(plain);
    const InflatedBatch over = receiver.inflate(next, plain.size() - 1);
    QVERIFY(over.tooLarge);
    QCOMPARE(receiver.inflate(next, plain.size()).batch, plain);
}

void TestCompression::contextShrinksLaterMessages_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::newRow("json") << CodecKind::Json;
    QTest::newRow("cbor") << CodecKind::Cbor;
}

void TestCompression::contextShrinksLaterMessages()
{
    // One chat frame per message, as a quiet conversation sends them: from the second one
    // on, each is well under half its plain size, where alone it barely shrinks.
    QFETCH(CodecKind, kind);
    const Codec &codec = codecFor(kind);
    BatchDeflater sender;
    BatchInflater receiver;
    qint64 plainBytes = 0, wireBytes = 0, aloneBytes = 0;
    for (int i = 0; i < 24; ++i) {
        const QByteArray frame = chatBatch(codec, i + 1).sliced(chatBatch(codec, i).size() + (i > 0 ? batchSeparatorSize(kind) : 0));
        const QByteArray wire = sender.compress(frame);
        QCOMPARE(receiver.inflate(wire, kDocLimit).batch, frame);
        if (i == 0)
            continue;
        plainBytes += frame.size();
        wireBytes += wire.size();
        aloneBytes += BatchDeflater().compress(frame).size();
    }
    QVERIFY2(wireBytes * 2 < plainBytes, qPrintable(QStringLiteral("%1 -> %2").arg(plainBytes).arg(wireBytes)));
    QVERIFY2(aloneBytes * 10 > plainBytes * 8, qPrintable(QStringLiteral("alone %1 -> %2").arg(plainBytes).arg(aloneBytes)));
}

void TestCompression::messagesMustBeReadInOrder()
{
    // A receiver that misses a message, or reads two in the other order, cannot read on.
    const QByteArray a = chatBatch(jsonCodec(), 3);
    const QByteArray b = chatBatch(jsonCodec(), 4);
    BatchDeflater sender;
    const QByteArray first = sender.compress(a);
    const QByteArray second = sender.compress(b);
    const QByteArray third = sender.compress(a);
    BatchInflater skipped;
    QVERIFY(skipped.inflate(first, kDocLimit).ok());
    QVERIFY(!skipped.inflate(third, kDocLimit).ok());
    BatchInflater swapped;
    QVERIFY(!swapped.inflate(second, kDocLimit).ok());
    BatchInflater inOrder;
    for (const auto &[message, plain] : {std::pair{first, a}, std::pair{second, b}, std::pair{third, a}})
        QCOMPARE(inOrder.inflate(message, kDocLimit).batch, plain);
}

void TestCompression::incompressibleBatchIsStillSentCompressed()
{
    // The stream took it, so it leaves compressed even when larger (§10.5), and the
    // stream reads on after it.
    QByteArray noise(4096, Qt::Uninitialized);
    quint32 x = 12345;
    for (char &c : noise) {
        x = x * 1664525u + 1013904223u;
        c = char(x >> 24);
    }
    BatchDeflater sender;
    BatchInflater receiver;
    const QByteArray compressed = sender.compress(noise);
    QVERIFY(compressed.size() > noise.size());
    QCOMPARE(receiver.inflate(compressed, kDocLimit).batch, noise);
    const QByteArray ack = "{\"t\":\"ack\",\"seq\":1}";
    QCOMPARE(receiver.inflate(sender.compress(ack), kDocLimit).batch, ack);
    QVERIFY(sender.compress(QByteArrayView()).isEmpty());   // nothing to send: not a message
}

void TestCompression::afterAnErrorTheStreamIsLost()
{
    BatchDeflater sender;
    BatchInflater receiver;
    const QByteArray plain = chatBatch(jsonCodec(), 2);
    const QByteArray good = sender.compress(plain);
    QVERIFY(!receiver.inflate(good.chopped(1), kDocLimit).ok());
    const InflatedBatch after = receiver.inflate(good, kDocLimit);
    QCOMPARE(after.error, QStringLiteral("compressed batch: the connection's stream was lost at an earlier message"));
}

void TestCompression::windowsUpTo32KiBAreRead_data()
{
    QTest::addColumn<int>("windowBits");
    for (int bits = 9; bits <= 15; ++bits)
        QTest::addRow("2^%d", bits) << bits;
}

void TestCompression::windowsUpTo32KiBAreRead()
{
    // Whatever window the sender declares (up to 32 KiB), the receiver reads it, and
    // allocates that window, not more.
    QFETCH(int, windowBits);
    BatchDeflater sender(kCompressionLevel, windowBits, kCompressionMemLevel);
    BatchInflater receiver;
    const QByteArray plain = chatBatch(jsonCodec(), 300);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(receiver.inflate(sender.compress(plain), kDocLimit).batch, plain);
    QVERIFY(receiver.memoryBytes() >= (qsizetype(1) << windowBits));
    QVERIFY(receiver.memoryBytes() < (qsizetype(1) << windowBits) + 12 * 1024);
}

void TestCompression::memoryPerStream()
{
    // The figures §10.5 states, as zlib allocates them with the defaults.
    BatchDeflater sender;
    BatchInflater receiver;
    QVERIFY(receiver.inflate(sender.compress(chatBatch(jsonCodec(), 50)), kDocLimit).ok());
    QVERIFY2(sender.memoryBytes() <= 31 * 1024, qPrintable(QString::number(sender.memoryBytes())));
    QVERIFY2(receiver.memoryBytes() <= 12 * 1024, qPrintable(QString::number(receiver.memoryBytes())));
}

void TestCompression::bombBeyondTheLimit()
{
    // 64 MiB of zeros (about 64 KiB compressed): refused from its header, nothing inflated.
    const QByteArray zeros(64 << 20, '\0');
    const QByteArray bomb = BatchDeflater(9).compress(zeros);
    QVERIFY(!bomb.isEmpty());
    QVERIFY(bomb.size() < 100 * 1024);
    const InflatedBatch inflated = BatchInflater().inflate(bomb, 16 * 1024 * 1024);
    QVERIFY(inflated.tooLarge);
    QCOMPARE(inflated.error, QStringLiteral("compressed batch: inflates to 67108864 bytes, over the limit of 16777216"));
}

void TestCompression::bombWithinTheLimitIsAccepted()
{
    // Within the limit a bomb is just a large message (as an uncompressed one would be);
    // the batch reader then rejects the zeros as a frame.
    const QByteArray bomb = BatchDeflater(9).compress(QByteArray(1 << 20, '\0'));
    const InflatedBatch inflated = BatchInflater().inflate(bomb, 1 << 20);
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
    const QByteArray real = BatchDeflater(9).compress(QByteArray(16 << 20, '\0'));
    const QByteArray liar = withClaim(1000, real.sliced(kCompressedHeaderSize));
    QVERIFY(liar.size() < 64 * 1024);
    const InflatedBatch inflated = BatchInflater().inflate(liar, 16 << 20);
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
    // The second message of a connection cut at every length: never accepted.
    QFETCH(CodecKind, kind);
    BatchDeflater sender;
    const QByteArray first = sender.compress(chatBatch(codecFor(kind), 5));
    const QByteArray second = sender.compress(chatBatch(codecFor(kind), 20));
    for (qsizetype length = 0; length < second.size(); ++length) {
        BatchInflater receiver;
        QVERIFY(receiver.inflate(first, kDocLimit).ok());
        const InflatedBatch inflated = receiver.inflate(second.first(length), kDocLimit);
        QVERIFY2(!inflated.ok(), qPrintable(QStringLiteral("cut at %1 accepted").arg(length)));
        QVERIFY(!inflated.tooLarge);
    }
}

void TestCompression::corruptAtEveryByte_data() { truncatedAtEveryLength_data(); }

void TestCompression::corruptAtEveryByte()
{
    // Any one byte of the second message changed: an error, or (no checksum in a stream
    // that never ends: TCP and TLS carry that duty, as for a plain message) a batch of
    // exactly the claimed size; never more output than claimed, never a crash (the asan
    // and fuzz builds run this too). A changed length is always caught.
    QFETCH(CodecKind, kind);
    const QByteArray plain = chatBatch(codecFor(kind), 20);
    BatchDeflater sender;
    const QByteArray first = sender.compress(chatBatch(codecFor(kind), 5));
    const QByteArray second = sender.compress(plain);
    int rejected = 0;
    for (qsizetype at = 1; at < second.size(); ++at) {
        for (const char flip : {char(0x01), char(0x80)}) {
            QByteArray bad = second;
            bad[at] = char(bad[at] ^ flip);
            BatchInflater receiver;
            QVERIFY(receiver.inflate(first, kDocLimit).ok());
            const InflatedBatch inflated = receiver.inflate(bad, kDocLimit);
            if (at < kCompressedHeaderSize)
                QVERIFY2(!inflated.ok(), qPrintable(QStringLiteral("length byte %1 ^ %2 accepted").arg(at).arg(int(quint8(flip)))));
            if (inflated.ok())
                QCOMPARE(inflated.batch.size(), plain.size());
            else
                ++rejected;
        }
    }
    QVERIFY2(rejected > second.size() / 2, qPrintable(QStringLiteral("%1 of %2 flips rejected").arg(rejected).arg(2 * second.size())));
}

QTEST_APPLESS_MAIN(TestCompression)
#include "tst_compression.moc"
