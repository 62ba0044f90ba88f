// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Protocol v1.1 batches (docs/protocol.md §10): the subprotocol table, the examples of the
// docs decoded and re-encoded as written, every rejected batch with its error, and the
// limits (frame count, a frame's own v1 limits inside a batch).
#include "protocol/batch.h"

#include "doc_blocks.h"

#include <QtCore/QCborValue>
#include <QtTest/QtTest>

using namespace Tether::Protocol;
using namespace DocExamples;

Q_DECLARE_METATYPE(Tether::Protocol::CodecKind)

namespace {

struct ReadOutcome {
    QList<Frame> frames;
    QString error;
};

ReadOutcome readAll(const Codec &codec, QByteArrayView message)
{
    ReadOutcome outcome;
    BatchReader reader(codec, message);
    while (!reader.atEnd()) {
        DecodeResult result = reader.next();
        if (!result.ok()) {
            outcome.error = result.error;
            break;
        }
        outcome.frames.append(std::move(*result.frame));
    }
    return outcome;
}

QByteArray writeAll(const Codec &codec, const QList<Frame> &frames)
{
    QByteArray message;
    for (const Frame &frame : frames) {
        appendBatchSeparator(codec.kind(), message);
        if (!codec.encode(frame, message))
            return QByteArray("<unencodable>");
    }
    return message;
}

QByteArray acks(const Codec &codec, int count)
{
    QList<Frame> frames;
    for (int i = 1; i <= count; ++i)
        frames.append(Ack{quint64(i)});
    return writeAll(codec, frames);
}

} // namespace

class TestBatch : public QObject
{
    Q_OBJECT
private slots:
    void subprotocolNames();
    void docsBatchExamples_data();
    void docsBatchExamples();
    void docsRejectedBatches_data();
    void docsRejectedBatches();
    void maxFramesAccepted_data();
    void maxFramesAccepted();
    void tooManyFrames_data();
    void tooManyFrames();
    void frameLimitsHoldInsideABatch_data();
    void frameLimitsHoldInsideABatch();
    void readPastTheEndIsAnError();
};

void TestBatch::subprotocolNames()
{
    QCOMPARE(parseSubprotocol("tether.v1.json")->version, Version::V1);
    QCOMPARE(parseSubprotocol("tether.v1.json")->codec, CodecKind::Json);
    QCOMPARE(parseSubprotocol("tether.v1.cbor")->codec, CodecKind::Cbor);
    QCOMPARE(parseSubprotocol("tether.v1.1.json")->version, Version::V1_1);
    QCOMPARE(parseSubprotocol("tether.v1.1.json")->codec, CodecKind::Json);
    QCOMPARE(parseSubprotocol("tether.v1.1.cbor")->version, Version::V1_1);
    QCOMPARE(parseSubprotocol("tether.v1.1.cbor")->codec, CodecKind::Cbor);
    QVERIFY(!parseSubprotocol("tether.v1.1.JSON"));
    QVERIFY(!parseSubprotocol("tether.v1.2.json"));
    QVERIFY(!parseSubprotocol(""));
    QCOMPARE(subprotocolName(CodecKind::Cbor, Version::V1_1), kCborSubprotocolV11);
    QCOMPARE(subprotocolName(CodecKind::Json, Version::V1), kJsonSubprotocol);
    // The v1 registry is unchanged: a v1.1 name is not a v1 codec.
    QCOMPARE(codecForSubprotocol("tether.v1.1.cbor"), nullptr);
}

void TestBatch::docsBatchExamples_data()
{
    // A ```json-batch block (one frame per line), a ```cbor-batch-diag block (one frame's
    // diagnostic notation per line) and a ```cbor-batch-hex block (the whole message).
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QList<QByteArray>>("diag");
    QTest::addColumn<QByteArray>("cbor");
    QByteArray json;
    QList<QByteArray> diag;
    int examples = 0;
    for (const DocBlock &block : docBlocks()) {
        if (block.lang == "json-batch") {
            json = joined(block.lines);
        } else if (block.lang == "cbor-batch-diag") {
            diag = block.lines;
        } else if (block.lang == "cbor-batch-hex") {
            QTest::addRow("protocol.md line %d", block.line) << json << diag << QByteArray::fromHex(joined(block.lines));
            json.clear();
            diag.clear();
            ++examples;
        }
    }
    QVERIFY2(examples >= 3, qPrintable(protocolDocPath() + QLatin1StringView(" lost its batch examples")));
}

void TestBatch::docsBatchExamples()
{
    QFETCH(QByteArray, json);
    QFETCH(QList<QByteArray>, diag);
    QFETCH(QByteArray, cbor);
    QVERIFY2(!json.isEmpty() && !diag.isEmpty(), "every cbor-batch-hex follows a json-batch and a cbor-batch-diag");

    const ReadOutcome fromJson = readAll(jsonCodec(), json);
    QVERIFY2(fromJson.error.isEmpty(), qPrintable(fromJson.error));
    const ReadOutcome fromCbor = readAll(cborCodec(), cbor);
    QVERIFY2(fromCbor.error.isEmpty(), qPrintable(fromCbor.error));
    QCOMPARE(fromJson.frames.size(), diag.size());
    QCOMPARE(fromCbor.frames.size(), diag.size());
    for (int i = 0; i < diag.size(); ++i) {
        QVERIFY2(fromJson.frames[i] == fromCbor.frames[i], qPrintable(QString::number(i)));
        QByteArray one;
        QVERIFY(cborCodec().encode(fromCbor.frames[i], one));
        QCOMPARE(QCborValue::fromCbor(one).toDiagnosticNotation(), QString::fromUtf8(diag[i]));
    }
    // Canonical both ways: writing the frames back gives the message as documented.
    QCOMPARE(writeAll(jsonCodec(), fromJson.frames), json);
    QCOMPARE(writeAll(cborCodec(), fromCbor.frames).toHex(' '), cbor.toHex(' '));
    // A batch of one is the v1 frame.
    if (diag.size() == 1) {
        QVERIFY(jsonCodec().decode(json).ok());
        QVERIFY(cborCodec().decode(cbor).ok());
    }
}

void TestBatch::docsRejectedBatches_data()
{
    // ```json-batch-rejected: the message's lines, then the error. ```cbor-batch-rejected:
    // the message in hex, then the error.
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QString>("error");
    int examples = 0;
    for (const DocBlock &block : docBlocks()) {
        const bool json = block.lang == "json-batch-rejected";
        if ((!json && block.lang != "cbor-batch-rejected") || block.lines.size() < 2)
            continue;
        const QList<QByteArray> input = block.lines.first(block.lines.size() - 1);
        QTest::addRow("protocol.md line %d", block.line) << (json ? CodecKind::Json : CodecKind::Cbor)
            << (json ? joined(input) : QByteArray::fromHex(joined(input)))
            << QString::fromUtf8(block.lines.last());
        ++examples;
    }
    QVERIFY2(examples >= 5, "docs/protocol.md §10.4 lost its rejected batches");
}

void TestBatch::docsRejectedBatches()
{
    QFETCH(CodecKind, kind);
    QFETCH(QByteArray, message);
    QFETCH(QString, error);
    const ReadOutcome outcome = readAll(codecFor(kind), message);
    QCOMPARE(outcome.error, error);
}

void TestBatch::maxFramesAccepted_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addRow("json") << CodecKind::Json;
    QTest::addRow("cbor") << CodecKind::Cbor;
}

void TestBatch::maxFramesAccepted()
{
    QFETCH(CodecKind, kind);
    const ReadOutcome outcome = readAll(codecFor(kind), acks(codecFor(kind), kMaxBatchFrames));
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
    QCOMPARE(outcome.frames.size(), kMaxBatchFrames);
    for (int i = 0; i < kMaxBatchFrames; ++i)
        QCOMPARE(std::get<Ack>(outcome.frames[i]).seq, quint64(i + 1));  // in order
}

void TestBatch::tooManyFrames_data() { maxFramesAccepted_data(); }

void TestBatch::tooManyFrames()
{
    QFETCH(CodecKind, kind);
    const ReadOutcome outcome = readAll(codecFor(kind), acks(codecFor(kind), kMaxBatchFrames + 1));
    QCOMPARE(outcome.error, QStringLiteral("batch: more than 1024 frames"));
    QCOMPARE(outcome.frames.size(), kMaxBatchFrames);
}

void TestBatch::frameLimitsHoldInsideABatch_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QString>("error");
    const QByteArray deepJson = "{\"t\":\"msg\",\"d\":" + QByteArray(kMaxDepth, '[') + QByteArray(kMaxDepth, ']') + "}";
    QTest::addRow("json: nesting over the limit in frame 2")
        << CodecKind::Json << QByteArray("{\"t\":\"ack\",\"seq\":1}\n") + deepJson
        << QStringLiteral("batch frame 2: invalid JSON at byte 78: nesting deeper than kMaxDepth (64) levels");
    QByteArray deepCbor = QByteArray::fromHex("a2 61 74 63 6d 73 67 61 64") + QByteArray(kMaxDepth, char(0x81)) + QByteArray(1, char(0x01));
    QTest::addRow("cbor: nesting over the limit in frame 2")
        << CodecKind::Cbor << QByteArray::fromHex("a2 61 74 63 61 63 6b 63 73 65 71 01") + deepCbor
        << QStringLiteral("batch frame 2: invalid CBOR at byte 72: nesting deeper than kMaxDepth (64) levels");
    QTest::addRow("cbor: a length beyond the message")
        << CodecKind::Cbor << QByteArray::fromHex("a2 61 74 63 61 63 6b 63 73 65 71 01 a2 61 74 7a 7f ff ff ff")
        << QStringLiteral("batch frame 2: invalid CBOR at byte 3: unexpected end of data");
    QTest::addRow("json: invalid UTF-8 in frame 3")
        << CodecKind::Json << QByteArray("{\"t\":\"ack\",\"seq\":1}\n{\"t\":\"ack\",\"seq\":2}\n{\"t\":\"msg\",\"d\":\"\xff\"}")
        << QStringLiteral("batch frame 3: invalid JSON at byte 17: invalid UTF-8 in a string");
}

void TestBatch::frameLimitsHoldInsideABatch()
{
    QFETCH(CodecKind, kind);
    QFETCH(QByteArray, message);
    QFETCH(QString, error);
    const ReadOutcome outcome = readAll(codecFor(kind), message);
    QCOMPARE(outcome.error, error);
}

void TestBatch::readPastTheEndIsAnError()
{
    BatchReader reader(jsonCodec(), "{\"t\":\"ack\",\"seq\":1}");
    QVERIFY(reader.next().ok());
    QVERIFY(reader.atEnd());
    QCOMPARE(reader.count(), 1);
    QVERIFY(!reader.next().ok());
}

QTEST_GUILESS_MAIN(TestBatch)
#include "tst_batch.moc"
