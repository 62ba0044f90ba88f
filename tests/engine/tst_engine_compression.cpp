// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches in the engine (docs/protocol.md §10.5): the +deflate name offered
// first only when asked, nothing compressed unless the server picked it, the threshold,
// incoming compressed batches handled frame by frame, one deflate and one inflate stream
// per socket (context takeover: they live across batches and start afresh on every new
// socket, resumed or not), a bomb a 1009 close, a message that inflates wrong (truncated,
// skipped, wrong size, a stream that ends) a 1002 close, and no message lost or reordered
// across a resume while compressing.
#include "batch_helpers.h"

#include <QtTest/QtTest>

#include <set>

using namespace EngineTest;

Q_DECLARE_METATYPE(Tether::Protocol::CodecKind)

namespace {

Options compressing(P::CodecKind codec, qsizetype threshold = 256)
{
    Options o = baseOptions();
    o.codec = codec;
    o.compression = true;
    o.compressionThreshold = threshold;
    return o;
}

// Connected over the v1.1 name with (deflate) or without compression.
void connectV11(Harness &h, bool deflate, const QString &sid = QStringLiteral("s1"))
{
    h.version = P::Version::V1_1;
    h.deflate = deflate;
    h->open(h.now);
    h.pump();
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(sid));
}

// A server batch of `count` publications seq from..., plain.
QByteArray publications(const P::Codec &codec, quint64 from, int count, const QString &idPrefix = QStringLiteral("p-"))
{
    QByteArray bytes;
    for (int i = 0; i < count; ++i) {
        P::appendBatchSeparator(codec.kind(), bytes);
        codec.encode(serverMsg(from + quint64(i), idPrefix + QString::number(from + quint64(i)),
                               text("a chat line that repeats itself")),
                     bytes);
    }
    return bytes;
}

void expectClose(Harness &h, int code, const QString &error)
{
    const auto closes = h.actionsOf<CloseSocket>();
    QCOMPARE(closes.size(), size_t(1));
    QCOMPARE(closes[0].code, code);
    const auto errors = h.eventsOf<ErrorOccurred>();
    QVERIFY(!errors.empty());
    QCOMPARE(errors.back().error.code, ErrorCode::ProtocolError);
    QVERIFY2(errors.back().error.message.contains(error), qPrintable(errors.back().error.message));
    QCOMPARE(h->state(), State::Reconnecting);
}

} // namespace

class tst_EngineCompression : public QObject
{
    Q_OBJECT
private slots:
    void codecs_data();
    void offersDeflateFirstOnlyWhenAsked_data() { codecs_data(); }
    void offersDeflateFirstOnlyWhenAsked();
    void deflateRefusedWhenNotOffered();
    void serverWithoutCompressionGetsPlainBatches_data() { codecs_data(); }
    void serverWithoutCompressionGetsPlainBatches();
    void batchesFromTheThresholdAreCompressed_data() { codecs_data(); }
    void batchesFromTheThresholdAreCompressed();
    void incomingCompressedBatchHandledInOrder_data() { codecs_data(); }
    void incomingCompressedBatchHandledInOrder();
    void outgoingContextSurvivesAcrossBatches_data() { codecs_data(); }
    void outgoingContextSurvivesAcrossBatches();
    void incomingContextSurvivesAcrossMessages_data() { codecs_data(); }
    void incomingContextSurvivesAcrossMessages();
    void contextsStartAfreshOnEachSocket_data() { resumeWhileCompressingLosesNothing_data(); }
    void contextsStartAfreshOnEachSocket();
    void badCompressedMessageClosesTheConnection_data();
    void badCompressedMessageClosesTheConnection();
    void compressedMessageWithoutDeflateIsAnError_data() { codecs_data(); }
    void compressedMessageWithoutDeflateIsAnError();
    void resumeWhileCompressingLosesNothing_data();
    void resumeWhileCompressingLosesNothing();
};

void tst_EngineCompression::codecs_data()
{
    QTest::addColumn<P::CodecKind>("codec");
    QTest::addRow("json") << P::CodecKind::Json;
    QTest::addRow("cbor") << P::CodecKind::Cbor;
}

void tst_EngineCompression::offersDeflateFirstOnlyWhenAsked()
{
    QFETCH(P::CodecKind, codec);
    const QByteArray name = codec == P::CodecKind::Json ? "json" : "cbor";
    Harness h(compressing(codec));
    h->open(h.now);
    h.pump();
    QCOMPARE(h.actionsOf<OpenSocket>().back().subprotocols,
             (QList<QByteArray>{"tether.v1.1." + name + "+deflate", "tether.v1.1." + name, "tether.v1." + name}));

    Options off = compressing(codec);
    off.compression = false;   // the default: exactly the v1.1 offer
    Harness plain(off);
    plain->open(plain.now);
    plain.pump();
    QCOMPARE(plain.actionsOf<OpenSocket>().back().subprotocols,
             (QList<QByteArray>{"tether.v1.1." + name, "tether.v1." + name}));
    QVERIFY(!baseOptions().compression);

    Options v1 = compressing(codec);
    v1.maxProtocol = P::Version::V1;   // compression is a v1.1 feature
    Harness only1(v1);
    only1->open(only1.now);
    only1.pump();
    QCOMPARE(only1.actionsOf<OpenSocket>().back().subprotocols, QList<QByteArray>{"tether.v1." + name});
}

void tst_EngineCompression::deflateRefusedWhenNotOffered()
{
    Options o = baseOptions();   // compression off
    Harness plain(o);
    plain->open(plain.now);
    plain.pump();
    plain->handleOpened(plain.now, "tether.v1.1.json+deflate");
    plain.pump();
    QCOMPARE(plain->state(), State::Failed);
    QCOMPARE(plain.eventsOf<Failed>().at(0).error.code, ErrorCode::ProtocolMismatch);
}

void tst_EngineCompression::serverWithoutCompressionGetsPlainBatches()
{
    // Offered, not picked (a v1.1 server without compression): the bytes of a client
    // without compression, however large the batches.
    QFETCH(P::CodecKind, codec);
    Harness h(compressing(codec, 0));
    connectV11(h, false);
    QVERIFY(!h->stats().compressedSent);
    const size_t from = h.actions.size();
    sendMany(h, 200, 40);
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("in")));
    h.advance(milliseconds(100));
    for (const SendFrame &f : framesSince(h, from)) {
        QVERIFY(!P::isCompressedMessage(f.bytes));
        QVERIFY(f.binary);  // v1.1: binary for both codecs (§10.2)
    }
    QCOMPARE(seqsOf(h.takeSent()), range(1, 200));
    QCOMPARE(h->stats().compressedSent, quint64(0));
}

void tst_EngineCompression::batchesFromTheThresholdAreCompressed()
{
    QFETCH(P::CodecKind, codec);
    Options o = compressing(codec, 1024);
    o.batchBytes = 16 * 1024;  // the 100 frames below in one batch
    Harness h(o);
    connectV11(h, true);
    // One small frame: under the threshold, plain (binary for both codecs, §10.2).
    size_t from = h.actions.size();
    sendMany(h, 1);
    auto frames = framesSince(h, from);
    QCOMPARE(frames.size(), size_t(1));
    QVERIFY(!P::isCompressedMessage(frames[0].bytes));
    QVERIFY(frames[0].binary);
    QVERIFY(frames[0].bytes.size() < 1024);
    // One turn of 100 frames: one compressed binary message, smaller, all frames in order.
    from = h.actions.size();
    sendMany(h, 100, 40);
    frames = framesSince(h, from);
    QCOMPARE(frames.size(), size_t(1));
    QVERIFY(frames[0].binary);
    QVERIFY(P::isCompressedMessage(frames[0].bytes));
    const P::InflatedBatch plain = P::BatchInflater().inflate(frames[0].bytes, 1 << 20);   // the socket's first
    QVERIFY2(plain.ok(), qPrintable(plain.error));
    QVERIFY(plain.batch.size() >= 1024);
    QVERIFY(frames[0].bytes.size() * 3 < plain.batch.size());
    QCOMPARE(seqsOf(h.takeSent()), range(1, 101));
    QCOMPARE(h->stats().compressedSent, quint64(1));
    h.serverFrame(P::Ack{101});
    QCOMPARE(h.countEvents<Delivered>(), 101);
}

void tst_EngineCompression::incomingCompressedBatchHandledInOrder()
{
    QFETCH(P::CodecKind, codec);
    Harness h(compressing(codec));
    connectV11(h, true);
    const QByteArray compressed = h.serverCompressed(publications(*h.codec, 1, 50));
    QVERIFY(!compressed.isEmpty());
    h.serverBytes(compressed, true);
    const auto received = h.eventsOf<MessageReceived>();
    QCOMPARE(received.size(), size_t(50));
    for (size_t i = 0; i < received.size(); ++i)
        QCOMPARE(received[i].id, QStringLiteral("p-%1").arg(i + 1));
    QCOMPARE(h->stats().compressedReceived, quint64(1));
    // A plain batch on the same connection is still fine (the sender's choice), and does
    // not disturb the stream: the next compressed one reads on.
    h.serverBytes(publications(*h.codec, 51, 2), codec == P::CodecKind::Cbor);
    QCOMPARE(h.countEvents<MessageReceived>(), 52);
    h.serverBytes(h.serverCompressed(publications(*h.codec, 53, 3)), true);
    QCOMPARE(h.countEvents<MessageReceived>(), 55);
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineCompression::outgoingContextSurvivesAcrossBatches()
{
    // Threshold 0: every batch, one message per turn, goes through the socket's one deflate
    // stream. The later ones refer to the earlier ones: much smaller than the first, and
    // only the socket's one inflate stream, fed every message in order, reads them.
    QFETCH(P::CodecKind, codec);
    Harness h(compressing(codec, 0));
    connectV11(h, true);
    std::vector<SendFrame> wire;
    for (int i = 0; i < 20; ++i) {
        const size_t from = h.actions.size();
        sendMany(h, 1, 60);
        const auto frames = framesSince(h, from);
        QCOMPARE(frames.size(), size_t(1));
        QVERIFY(frames[0].binary);
        QVERIFY(P::isCompressedMessage(frames[0].bytes));
        wire.push_back(frames[0]);
    }
    QCOMPARE(seqsOf(h.takeSent()), range(1, 20));   // takeSent(): one inflater, in order
    QCOMPARE(h->stats().compressedSent, quint64(21));   // the hello too
    // The server's side: the hello and the 20 in order through one inflater. The last one
    // alone on a fresh stream would be much larger.
    P::BatchInflater server;
    QVERIFY(server.inflate(framesSince(h, 0).front().bytes, 1 << 20).ok());   // the hello
    QByteArray last;
    for (const SendFrame &f : wire) {
        const P::InflatedBatch in = server.inflate(f.bytes, 1 << 20);
        QVERIFY2(in.ok(), qPrintable(in.error));
        last = in.batch;
    }
    const qsizetype alone = P::BatchDeflater().compress(last).size();
    QVERIFY2(wire.back().bytes.size() * 4 < alone * 3,
             qPrintable(QStringLiteral("with context %1 bytes, alone %2").arg(wire.back().bytes.size()).arg(alone)));
    // Without the first message, a fresh stream cannot read the second.
    P::BatchInflater fresh;
    QVERIFY(!fresh.inflate(wire[1].bytes, 1 << 20).ok());
}

void tst_EngineCompression::incomingContextSurvivesAcrossMessages()
{
    // The server's stream refers back across messages; the engine's one inflate stream
    // follows it. A message the engine did not see (skipped) leaves it unable to read the
    // next one: 1002, nothing delivered from it.
    QFETCH(P::CodecKind, codec);
    Harness h(compressing(codec));
    connectV11(h, true);
    qsizetype first = 0, last = 0;
    for (quint64 seq = 1; seq <= 10; ++seq) {
        const QByteArray message = h.serverCompressed(publications(*h.codec, seq, 1));
        (seq == 1 ? first : last) = message.size();
        h.serverBytes(message, true);
    }
    QCOMPARE(h.countEvents<MessageReceived>(), 10);
    QCOMPARE(h->stats().compressedReceived, quint64(10));
    QVERIFY(last * 2 < first);
    (void)h.serverCompressed(publications(*h.codec, 11, 1));   // lost on the way
    h.serverBytes(h.serverCompressed(publications(*h.codec, 12, 1)), true);
    QCOMPARE(h.countEvents<MessageReceived>(), 10);
    const auto closes = h.actionsOf<CloseSocket>();
    QCOMPARE(closes.size(), size_t(1));
    QCOMPARE(closes[0].code, 1002);
    QCOMPARE(h->state(), State::Reconnecting);
}

void tst_EngineCompression::contextsStartAfreshOnEachSocket()
{
    // Both directions warm on the first socket; on the next one (resumed or not) the
    // engine's first compressed batch is the start of a new zlib stream (a fresh inflater
    // reads it), and it reads the server's new stream from its start.
    QFETCH(P::CodecKind, codec);
    QFETCH(bool, resumed);
    Harness h(compressing(codec, 0));
    connectV11(h, true);
    sendMany(h, 5, 60);
    h.serverBytes(h.serverCompressed(publications(*h.codec, 1, 3)), true);
    h.serverBytes(h.serverCompressed(publications(*h.codec, 4, 3)), true);
    QCOMPARE(h.countEvents<MessageReceived>(), 6);
    h.takeSent();
    h.closed(1006);
    h.advanceTo(*h->pollTimeout());
    const size_t from = h.actions.size();
    h.opened();   // the harness's server deflater starts afresh too
    const auto hello = framesSince(h, from);
    QCOMPARE(hello.size(), size_t(1));
    QVERIFY2(P::BatchInflater().inflate(hello[0].bytes, 1 << 20).ok(), "the new socket's first batch starts a stream");
    h.serverBatch({h.welcome(QStringLiteral("s1"), resumed, resumed ? 5 : 0)});
    // A new session numbers from 1 again (and new ids, or they would be duplicates).
    h.serverBytes(h.serverCompressed(publications(*h.codec, resumed ? 7 : 1, 3, QStringLiteral("q-"))), true);
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(h.countEvents<MessageReceived>(), 9);
    if (!resumed)
        QCOMPARE(seqsOf(h.takeSent()), range(1, 5));   // resent on the new stream, readable
}

void tst_EngineCompression::badCompressedMessageClosesTheConnection_data()
{
    QTest::addColumn<P::CodecKind>("codec");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("error");
    const QByteArray ack = "{\"t\":\"ack\",\"seq\":1}";
    const QByteArray plain = QByteArray(ack + '\n').repeated(40).chopped(1);
    const QByteArray good = P::BatchDeflater().compress(plain);   // a socket's first message
    // The old draft's form: a complete zlib stream (it ends) instead of a flushed piece.
    QByteArray ended = good.first(5);
    ended += qCompress(plain).sliced(4);
    for (const P::CodecKind codec : {P::CodecKind::Json, P::CodecKind::Cbor}) {
        const char *name = codec == P::CodecKind::Json ? "json" : "cbor";
        // 16 MiB + 1 claimed: over maxIncomingFrame (16 MiB), nothing inflated.
        QTest::addRow("%s: bomb", name) << codec << QByteArray::fromHex("ff01000001789c030000000001") << 1009
            << QStringLiteral("inflates to 16777217 bytes, over the limit of 16777216");
        QTest::addRow("%s: truncated", name) << codec << good.chopped(1) << 1002
            << QStringLiteral("cut short (it does not end on a flush point)");
        QByteArray longer = good;
        longer[4] = char(longer[4] + 1);
        QTest::addRow("%s: one byte short of its claim", name) << codec << longer << 1002
            << QStringLiteral("inflates to 799 bytes, not the 800 its header says");
        QTest::addRow("%s: a stream that ends", name) << codec << ended << 1002
            << QStringLiteral("its deflate stream ends (a connection's stream never does)");
        QByteArray noHeader = good;
        noHeader[5] = char(0x7b);   // not a zlib header: the stream's first bytes are its header
        QTest::addRow("%s: no zlib header", name) << codec << noHeader << 1002 << QStringLiteral("invalid deflate data");
    }
    // The inflated bytes are read by the batch reader: a CBOR connection cannot read JSON.
    QTest::addRow("cbor: inflates to JSON") << P::CodecKind::Cbor << good << 1002 << QStringLiteral("batch frame 1:");
}

void tst_EngineCompression::badCompressedMessageClosesTheConnection()
{
    QFETCH(P::CodecKind, codec);
    QFETCH(QByteArray, message);
    QFETCH(int, code);
    QFETCH(QString, error);
    Harness h(compressing(codec));
    connectV11(h, true);
    h.serverBytes(message, true);
    QCOMPARE(h.countEvents<MessageReceived>(), 0);
    expectClose(h, code, error);
}

void tst_EngineCompression::compressedMessageWithoutDeflateIsAnError()
{
    // The server picked plain v1.1: a compressed message is a v1.1 error as before, read
    // as a batch (v1.1 JSON may come binary, §10.2): 0xFF starts neither JSON nor a CBOR map.
    QFETCH(P::CodecKind, codec);
    Harness h(compressing(codec));
    connectV11(h, false);
    h.serverBytes(P::BatchDeflater().compress(publications(*h.codec, 1, 50)), true);
    QCOMPARE(h.countEvents<MessageReceived>(), 0);
    expectClose(h, 1002, QStringLiteral("batch frame 1:"));
}

void tst_EngineCompression::resumeWhileCompressingLosesNothing_data()
{
    QTest::addColumn<P::CodecKind>("codec");
    QTest::addColumn<bool>("resumed");
    for (const P::CodecKind codec : {P::CodecKind::Json, P::CodecKind::Cbor}) {
        const char *name = codec == P::CodecKind::Json ? "json" : "cbor";
        QTest::addRow("%s, resumed", name) << codec << true;
        QTest::addRow("%s, new session", name) << codec << false;
    }
}

void tst_EngineCompression::resumeWhileCompressingLosesNothing()
{
    // Several compressed batches in flight when the link drops, more sent offline; after
    // the welcome every unacknowledged message leaves again (compressed), once, in order,
    // and each ends in exactly one outcome. Incoming compressed batches on either side of
    // the drop are delivered once, in order.
    QFETCH(P::CodecKind, codec);
    QFETCH(bool, resumed);
    Options o = compressing(codec, 200);
    o.batchBytes = 1200;
    Harness h(o);
    connectV11(h, true);
    sendMany(h, 80, 30);
    QCOMPARE(seqsOf(h.takeSent()), range(1, 80));
    QVERIFY(h->stats().compressedSent >= 2);
    h.serverBytes(h.serverCompressed(publications(*h.codec, 1, 20)), true);
    h.serverFrame(P::Ack{12});
    h.closed(1006);
    sendMany(h, 5, 30);   // while offline
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    const quint64 compressedBefore = h->stats().compressedSent;
    h.serverBatch({h.welcome(QStringLiteral("s1"), resumed, resumed ? 15 : 0)});
    const auto resent = h.takeSent();
    QVERIFY(h->stats().compressedSent > compressedBefore);   // the resent batches compressed too
    std::vector<QString> ids;
    for (const P::Frame &f : resent)
        if (auto *m = std::get_if<P::Msg>(&f))
            ids.push_back(*m->id);
    if (resumed) {
        QCOMPARE(seqsOf(resent), range(16, 85));   // 13..15 covered by welcome.rx, no gap
        QCOMPARE(ids.size(), size_t(70));
        // The server replays what we did not ack (publications 11..20 say), then more.
        h.serverBytes(h.serverCompressed(publications(*h.codec, 11, 20)), true);   // the new socket's stream
    } else {
        QCOMPARE(seqsOf(resent), range(1, 73));    // renumbered from 1, original order
        h.serverBytes(h.serverCompressed(publications(*h.codec, 1, 30)), true);
    }
    std::set<QString> ids2(ids.begin(), ids.end());
    QCOMPARE(ids2.size(), ids.size());   // each once
    h.serverFrame(P::Ack{resumed ? 85u : 73u});
    const auto out = outcomes(h);
    QCOMPARE(out.size(), 85);
    for (auto it = out.cbegin(); it != out.cend(); ++it)
        QCOMPARE(it.value(), QStringList{QStringLiteral("delivered")});
    // Incoming: p-1..p-30 delivered exactly once, in order (replays suppressed as duplicates).
    const auto received = h.eventsOf<MessageReceived>();
    QCOMPARE(received.size(), size_t(30));
    for (size_t i = 0; i < received.size(); ++i)
        QCOMPARE(received[i].id, QStringLiteral("p-%1").arg(i + 1));
    QCOMPARE(h->state(), State::Connected);
}

QTEST_GUILESS_MAIN(tst_EngineCompression)
#include "tst_engine_compression.moc"
