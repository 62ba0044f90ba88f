// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Protocol v1.1 in the engine (docs/protocol.md §10): what is offered, v1 bytes for a v1
// server, outgoing frames coalesced into one SendFrame within the bounds and in order,
// incoming batches handled frame by frame, a bad frame in a batch a protocol error (1002),
// and no message lost or reordered across a resume while batching.
#include "batch_helpers.h"

#include <QtTest/QtTest>

using namespace EngineTest;

Q_DECLARE_METATYPE(Tether::Protocol::CodecKind)

namespace {

Options withCodec(P::CodecKind codec)
{
    Options o = baseOptions();
    o.codec = codec;
    return o;
}

// Connected over v1.1 with `o`.
void connectV11(Harness &h, const QString &sid = QStringLiteral("s1"), std::optional<quint64> maxFrame = {})
{
    h.version = P::Version::V1_1;
    h->open(h.now);
    h.pump();
    h.opened();
    h.takeSent();
    P::Welcome w = h.welcome(sid);
    w.maxFrame = maxFrame;
    h.serverFrame(w);
}

} // namespace

class tst_EngineBatch : public QObject
{
    Q_OBJECT
private slots:
    void codecs_data();
    void offersV11BeforeV1_data() { codecs_data(); }
    void offersV11BeforeV1();
    void v1ServerGetsOneFramePerMessage_data() { codecs_data(); }
    void v1ServerGetsOneFramePerMessage();
    void v11CoalescesOneTurn_data() { codecs_data(); }
    void v11CoalescesOneTurn();
    void batchSplitAtTheSizeBound_data() { codecs_data(); }
    void batchSplitAtTheSizeBound();
    void batchIsTheV1FramesJoined_data() { codecs_data(); }
    void batchIsTheV1FramesJoined();
    void batchDueOnceBatchBytesWait();
    void batchWithinServerMaxFrame();
    void oversizedFrameGoesAlone();
    void nonFrameActionEndsTheBatch();
    void incomingBatchHandledInOrder_data() { codecs_data(); }
    void incomingBatchHandledInOrder();
    void welcomeAndNackInOneBatch();
    void badFrameInBatchIsProtocolError_data();
    void badFrameInBatchIsProtocolError();
    void resumeWhileBatchingLosesNothing_data();
    void resumeWhileBatchingLosesNothing();
    void v11RefusedWhenNotOffered();
    void v11MessagesAreBinary_data() { codecs_data(); }
    void v11MessagesAreBinary();
    void recycledBufferCarriesTheNextFrame_data() { codecs_data(); }
    void recycledBufferCarriesTheNextFrame();
    void largeFramesAlternateBetweenTwoSpares_data() { codecs_data(); }
    void largeFramesAlternateBetweenTwoSpares();
};

void tst_EngineBatch::codecs_data()
{
    QTest::addColumn<P::CodecKind>("codec");
    QTest::addRow("json") << P::CodecKind::Json;
    QTest::addRow("cbor") << P::CodecKind::Cbor;
}

void tst_EngineBatch::offersV11BeforeV1()
{
    QFETCH(P::CodecKind, codec);
    Harness h(withCodec(codec));
    h->open(h.now);
    h.pump();
    const QByteArray v1 = codec == P::CodecKind::Json ? "tether.v1.json" : "tether.v1.cbor";
    const QByteArray v11 = codec == P::CodecKind::Json ? "tether.v1.1.json" : "tether.v1.1.cbor";
    QCOMPARE(h.actionsOf<OpenSocket>().back().subprotocols, (QList<QByteArray>{v11, v1}));

    Options only1 = withCodec(codec);
    only1.maxProtocol = P::Version::V1;
    Harness h1(only1);
    h1->open(h1.now);
    h1.pump();
    QCOMPARE(h1.actionsOf<OpenSocket>().back().subprotocols, QList<QByteArray>{v1});
}

void tst_EngineBatch::v1ServerGetsOneFramePerMessage()
{
    QFETCH(P::CodecKind, codec);
    Harness h(withCodec(codec));  // h.version stays V1: the server picked tether.v1.*
    h.connect();
    const size_t from = h.actions.size();
    sendMany(h, 10);
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("in")));
    h.advance(milliseconds(100));  // the ack goes out
    const auto frames = framesSince(h, from);
    QCOMPARE(frames.size(), size_t(11));
    for (const SendFrame &f : frames) {
        // Exactly one v1 frame per message: the v1 decoder takes each whole.
        QVERIFY2(h.codec->decode(f.bytes).ok(), f.bytes.constData());
        QCOMPARE(f.binary, codec == P::CodecKind::Cbor);
    }
}

void tst_EngineBatch::v11CoalescesOneTurn()
{
    QFETCH(P::CodecKind, codec);
    Options o = withCodec(codec);
    o.batchBytes = 16 * 1024;  // room for all 100
    Harness h(o);
    connectV11(h);
    const size_t from = h.actions.size();
    sendMany(h, 100);
    const auto frames = framesSince(h, from);
    QCOMPARE(frames.size(), size_t(1));
    QVERIFY(frames[0].binary);  // §10.2: v1.1 messages are binary, JSON too
    QCOMPARE(seqsOf(h.takeSent()), range(1, 100));  // all of them, in order
    h.serverFrame(P::Ack{100});
    QCOMPARE(h.countEvents<Delivered>(), 100);
}

void tst_EngineBatch::batchSplitAtTheSizeBound()
{
    QFETCH(P::CodecKind, codec);
    Options o = withCodec(codec);
    o.batchBytes = 1024;
    Harness h(o);
    connectV11(h);
    const size_t from = h.actions.size();
    sendMany(h, 200, 40);
    const auto frames = framesSince(h, from);
    QVERIFY2(frames.size() >= 2, qPrintable(QString::number(frames.size())));
    for (size_t i = 0; i < frames.size(); ++i) {
        QVERIFY(frames[i].bytes.size() <= 1024);
        if (i + 1 < frames.size())  // every batch but the last is full: no room for one more
            QVERIFY(frames[i].bytes.size() > 1024 - 120);
    }
    QCOMPARE(seqsOf(h.takeSent()), range(1, 200));
}

// Connection::batchDue(): the caller writes a full batch at once instead of at the end of
// its turn. Due once batchBytes of messages were queued since pollAction() last ran dry,
// and only when they may leave (v1.1, connected, transport ready); polling resets it.
void tst_EngineBatch::batchDueOnceBatchBytesWait()
{
    Options o = withCodec(P::CodecKind::Cbor);
    o.batchBytes = 1000;
    const auto sendOne = [](Harness &h) {
        SendOptions so;
        so.id = QStringLiteral("id-of-ten");  // 10 + 90 payload bytes: 100 a message
        QVERIFY(h->sendBytes(h.now, QByteArray(91, 'x'), so).ok());
    };

    Harness offline(o);
    for (int i = 0; i < 20; ++i)
        sendOne(offline);
    QVERIFY(!offline->batchDue());  // nothing may leave: it waits for the connection

    Harness v1(o);
    v1.connect();
    for (int i = 0; i < 20; ++i)
        sendOne(v1);
    QVERIFY(!v1->batchDue());  // v1 writes each frame as it comes anyway

    Harness h(o);
    connectV11(h);
    h.pump();
    for (int i = 0; i < 9; ++i)
        sendOne(h);
    QVERIFY(!h->batchDue());
    sendOne(h);
    QVERIFY(h->batchDue());   // 1000 bytes wait
    h->setTransportReady(false);
    QVERIFY(!h->batchDue());  // backpressure: they wait in the outbox
    h->setTransportReady(true);
    QVERIFY(h->batchDue());
    const size_t from = h.actions.size();
    h.pump();
    QVERIFY(!h->batchDue());  // polled dry
    QCOMPARE(seqsOf(h.takeSent()), range(1, 10));
    QVERIFY(!framesSince(h, from).empty());
    for (int i = 0; i < 10; ++i)
        sendOne(h);
    QVERIFY(h->batchDue());   // counted again from the last poll
}

// The same sends over v1 and over v1.1: every batch is v1 frames joined by the codec's
// separator, byte for byte and in order, whichever way the engine built it: written in
// place into the batch, cut back out when its envelope tipped the batch over its bound
// (sent next), or built apart because its payload alone could never fit.
void tst_EngineBatch::batchIsTheV1FramesJoined()
{
    QFETCH(P::CodecKind, codec);
    const auto sendMixed = [](Harness &h) {
        const int sizes[] = {8, 300, 900, 40, 640, 1};
        for (int i = 0; i < 60; ++i) {
            SendOptions so;
            so.id = QStringLiteral("m-%1").arg(i);
            QVERIFY(h->send(h.now, QCborValue(QString(sizes[i % 6], QLatin1Char('x'))), so).ok());
        }
        h.pump();
    };
    Options o = withCodec(codec);
    o.batchBytes = 700;
    Harness v1(o);
    v1.connect();
    size_t from = v1.actions.size();
    sendMixed(v1);
    const auto single = framesSince(v1, from);
    QCOMPARE(single.size(), size_t(60));

    Options o11 = withCodec(codec);
    o11.batchBytes = 700;
    Harness v11(o11);
    connectV11(v11);
    from = v11.actions.size();
    sendMixed(v11);
    const auto batches = framesSince(v11, from);
    QVERIFY(batches.size() > 1 && batches.size() < 60);
    size_t next = 0;
    for (const SendFrame &batch : batches) {
        QByteArray joined;
        while (next < single.size() && (joined.isEmpty() || joined.size() < batch.bytes.size())) {
            P::appendBatchSeparator(codec, joined);
            joined.append(single[next++].bytes);
        }
        QCOMPARE(batch.bytes, joined);  // whole v1 frames, none split or reordered
        QVERIFY(batch.bytes.size() <= 700 || joined.size() == single[next - 1].bytes.size());
    }
    QCOMPARE(next, single.size());
}

void tst_EngineBatch::batchWithinServerMaxFrame()
{
    Harness h;
    connectV11(h, QStringLiteral("s1"), 300);
    const size_t from = h.actions.size();
    sendMany(h, 50);
    for (const SendFrame &f : framesSince(h, from))
        QVERIFY(f.bytes.size() <= 300);
    QCOMPARE(seqsOf(h.takeSent()), range(1, 50));
}

void tst_EngineBatch::oversizedFrameGoesAlone()
{
    Options o = baseOptions();
    o.batchBytes = 512;
    Harness h(o);
    connectV11(h);
    const size_t from = h.actions.size();
    QVERIFY(h->send(h.now, text("small")).ok());
    QVERIFY(h->send(h.now, QCborValue(QString(2000, QLatin1Char('y')))).ok());
    QVERIFY(h->send(h.now, text("small again")).ok());
    h.pump();
    const auto frames = framesSince(h, from);
    QCOMPARE(frames.size(), size_t(3));  // the big one cannot share: alone, between the others
    QVERIFY(frames[1].bytes.size() > 2000);
    QCOMPARE(seqsOf(h.takeSent()), range(1, 3));
}

void tst_EngineBatch::nonFrameActionEndsTheBatch()
{
    Harness h;
    connectV11(h);
    const size_t from = h.actions.size();
    QVERIFY(h->send(h.now, text("one")).ok());
    QVERIFY(h->send(h.now, text("two")).ok());
    h->close(h.now);
    h.pump();
    // Both messages, in one batch, before the close: the close keeps its place.
    ptrdiff_t frameAt = -1, closeAt = -1;
    for (size_t i = from; i < h.actions.size(); ++i) {
        if (std::holds_alternative<SendFrame>(h.actions[i]) && frameAt < 0)
            frameAt = ptrdiff_t(i);
        if (std::holds_alternative<CloseSocket>(h.actions[i]))
            closeAt = ptrdiff_t(i);
    }
    QVERIFY(closeAt >= 0);
    QVERIFY(frameAt < 0 || frameAt < closeAt);
}

void tst_EngineBatch::incomingBatchHandledInOrder()
{
    QFETCH(P::CodecKind, codec);
    Harness h(withCodec(codec));
    connectV11(h);
    sendMany(h, 2);
    const RequestResult req = h->request(h.now, QStringLiteral("time"));
    h.pump();
    h.takeSent();
    P::Res res;
    res.id = req.id;
    res.result = QCborValue(42);
    h.serverBatch({P::Ack{2}, serverMsg(1, QStringLiteral("m1"), text("a")), serverMsg(2, QStringLiteral("m2"), text("b")),
                   serverMsg(std::nullopt, QString(), text("c")), res});
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(h.countEvents<Delivered>(), 2);
    const auto received = h.eventsOf<MessageReceived>();
    QCOMPARE(received.size(), size_t(3));
    QCOMPARE(received[0].payload, text("a"));
    QCOMPARE(received[1].payload, text("b"));
    QCOMPARE(received[2].payload, text("c"));
    QCOMPARE(h.eventsOf<RequestFinished>().at(0).result, QCborValue(42));
    h.advance(milliseconds(100));
    const auto acks = h.takeSentOf<P::Ack>();
    QVERIFY(!acks.empty());
    QCOMPARE(acks.back().seq, quint64(2));
}

void tst_EngineBatch::welcomeAndNackInOneBatch()
{
    Harness h;
    connectV11(h);
    sendMany(h, 3);
    h.takeSent();
    h.closed(1006);
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    P::Welcome w = h.welcome(QStringLiteral("s1"), true, 3);
    P::Nack nack;
    nack.seq = 2;
    nack.err.code = QStringLiteral("forbidden");
    nack.err.msg = QStringLiteral("no");
    h.serverBatch({w, nack, P::Ack{3}});
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(h.countEvents<Rejected>(), 1);
    QCOMPARE(h.countEvents<Delivered>(), 2);
}

void tst_EngineBatch::badFrameInBatchIsProtocolError_data()
{
    QTest::addColumn<P::CodecKind>("codec");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("delivered");  // frames handled before the bad one
    QTest::addRow("json: bad second frame") << P::CodecKind::Json
        << QByteArray("{\"t\":\"msg\",\"seq\":1,\"d\":1}\n{\"t\":\"msg\",\"seq\":0,\"d\":2}")
        << QStringLiteral("batch frame 2: msg: field 'seq' must not be 0") << 1;
    QTest::addRow("json: LF at the end") << P::CodecKind::Json << QByteArray("{\"t\":\"msg\",\"seq\":1,\"d\":1}\n")
        << QStringLiteral("batch frame 2: empty (an LF at the start, at the end or twice in a row)") << 0;
    QTest::addRow("json: empty message") << P::CodecKind::Json << QByteArray()
        << QStringLiteral("batch: empty message") << 0;
    QTest::addRow("cbor: truncated second frame") << P::CodecKind::Cbor
        << QByteArray::fromHex("a3 61 74 63 6d 73 67 63 73 65 71 01 61 64 01 a2 61 74 63 61 63 6b 63 73 65 71")
        << QStringLiteral("batch frame 2: invalid CBOR at byte 11: unexpected end of data") << 1;
    QByteArray many;
    for (int i = 0; i <= P::kMaxBatchFrames; ++i)
        many += QByteArray::fromHex("a2 61 74 63 61 63 6b 63 73 65 71 00");
    QTest::addRow("cbor: too many frames") << P::CodecKind::Cbor << many
        << QStringLiteral("batch: more than 1024 frames") << 0;
}

void tst_EngineBatch::badFrameInBatchIsProtocolError()
{
    QFETCH(P::CodecKind, codec);
    QFETCH(QByteArray, message);
    QFETCH(QString, error);
    QFETCH(int, delivered);
    Harness h(withCodec(codec));
    connectV11(h);
    h.serverBytes(message, codec == P::CodecKind::Cbor);
    QCOMPARE(h.countEvents<MessageReceived>(), delivered);
    const auto closes = h.actionsOf<CloseSocket>();
    QCOMPARE(closes.size(), size_t(1));
    QCOMPARE(closes[0].code, 1002);
    const auto errors = h.eventsOf<ErrorOccurred>();
    QVERIFY(!errors.empty());
    QCOMPARE(errors.back().error.code, ErrorCode::ProtocolError);
    QVERIFY2(errors.back().error.message.contains(error), qPrintable(errors.back().error.message));
    QCOMPARE(h->state(), State::Reconnecting);
}

void tst_EngineBatch::resumeWhileBatchingLosesNothing_data()
{
    QTest::addColumn<bool>("resumed");
    QTest::addRow("resumed") << true;
    QTest::addRow("new session") << false;
}

void tst_EngineBatch::resumeWhileBatchingLosesNothing()
{
    QFETCH(bool, resumed);
    Options o = baseOptions();
    o.batchBytes = 600;  // several batches in flight when the link drops
    Harness h(o);
    connectV11(h);
    sendMany(h, 40);
    QCOMPARE(seqsOf(h.takeSent()), range(1, 40));
    h.serverFrame(P::Ack{12});
    h.closed(1006);
    sendMany(h, 5);  // while offline
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), resumed, resumed ? 15 : 0));
    const auto resent = h.takeSent();
    std::vector<QString> ids;
    for (const P::Frame &f : resent)
        if (auto *m = std::get_if<P::Msg>(&f))
            ids.push_back(*m->id);
    if (resumed) {
        QCOMPARE(seqsOf(resent), range(16, 45));  // 13..15 covered by welcome.rx, no gap
        QCOMPARE(ids.size(), size_t(30));
    } else {
        QCOMPARE(seqsOf(resent), range(1, 33));   // renumbered from 1, original order
    }
    h.serverFrame(P::Ack{resumed ? 45u : 33u});
    const auto out = outcomes(h);
    QCOMPARE(out.size(), 45);
    for (auto it = out.cbegin(); it != out.cend(); ++it)
        QCOMPARE(it.value(), QStringList{QStringLiteral("delivered")});
}

void tst_EngineBatch::v11RefusedWhenNotOffered()
{
    Options o = baseOptions();
    o.maxProtocol = P::Version::V1;
    Harness h(o);
    h->open(h.now);
    h.pump();
    h->handleOpened(h.now, "tether.v1.1.json");
    h.pump();
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.eventsOf<Failed>().at(0).error.code, ErrorCode::ProtocolMismatch);
}


// §10.2: on a v1.1 connection every message leaves binary (JSON too, hello included); a
// JSON batch is read from a binary or a text message alike; CBOR in a text message is
// still refused (1003).
void tst_EngineBatch::v11MessagesAreBinary()
{
    QFETCH(P::CodecKind, codec);
    Harness h(withCodec(codec));
    connectV11(h);
    sendMany(h, 3);
    const auto frames = h.actionsOf<SendFrame>();
    QVERIFY(frames.size() >= 2);  // hello, the batch
    for (const SendFrame &f : frames)
        QVERIFY(f.binary);

    const auto batchOf = [&](quint64 seq) {
        QByteArray bytes;
        h.codec->encode(P::Ack{seq}, bytes);
        P::appendBatchSeparator(codec, bytes);
        h.codec->encode(serverMsg(std::nullopt, QString(), text("x")), bytes);
        return bytes;
    };
    h.serverBytes(batchOf(1), true);
    QCOMPARE(h.countEvents<Delivered>(), 1);
    QCOMPARE(h.countEvents<MessageReceived>(), 1);
    h.serverBytes(batchOf(2), false);
    if (codec == P::CodecKind::Json) {
        QCOMPARE(h->state(), State::Connected);
        QCOMPARE(h.countEvents<Delivered>(), 2);
        QCOMPARE(h.countEvents<MessageReceived>(), 2);
    } else {
        const auto closes = h.actionsOf<CloseSocket>();
        QCOMPARE(closes.size(), size_t(1));
        QCOMPARE(closes[0].code, 1003);
        QCOMPARE(h.countEvents<Delivered>(), 1);
    }
}

// Connection::recycle(): the next data frame (here a batch) is built in the buffer handed
// back, with the same bytes a fresh buffer gets; a buffer still shared elsewhere is not
// kept (writing into it would copy it anyway).
void tst_EngineBatch::recycledBufferCarriesTheNextFrame()
{
    QFETCH(P::CodecKind, codec);
    Harness h(withCodec(codec));
    connectV11(h);
    const auto turn = [&](int count) {
        for (int i = 0; i < count; ++i)
            QVERIFY(h->send(h.now, QCborValue(QStringLiteral("payload")), {}).ok());
    };
    const auto takeFrame = [&]() -> QByteArray {
        std::optional<Action> action = h->pollAction();
        if (!action || !std::holds_alternative<SendFrame>(*action))
            return {};
        QByteArray bytes = std::move(std::get<SendFrame>(*action).bytes);
        // What the frame said, kept apart (a deep copy) for takeSent() to decode.
        h.actions.push_back(SendFrame{QByteArray(bytes.constData(), bytes.size()), true});
        while (h->pollEvent()) {}
        return bytes;
    };
    turn(3);
    QByteArray first = takeFrame();
    QVERIFY(!first.isEmpty());
    QCOMPARE(seqsOf(h.takeSent()), range(1, 3));
    const char *storage = first.constData();
    h->recycle(std::move(first));

    turn(3);
    QByteArray second = takeFrame();
    QCOMPARE(second.constData(), storage);  // built in the recycled buffer
    QCOMPARE(seqsOf(h.takeSent()), range(4, 6));

    const QByteArray stillShared = second;
    h->recycle(std::move(second));
    turn(2);
    const QByteArray third = takeFrame();
    QVERIFY(third.constData() != stillShared.constData());
    QCOMPARE(seqsOf(h.takeSent()), range(7, 8));
    QCOMPARE(stillShared.constData(), storage);  // untouched
}

// Messages larger than batchBytes leave one per frame: the first of a poll is built in one
// spare, the one that did not fit beside it apart, in the other. With both recycled, a
// steady stream of large messages allocates no frame buffer (the 64 KiB page faults).
void tst_EngineBatch::largeFramesAlternateBetweenTwoSpares()
{
    QFETCH(P::CodecKind, codec);
    Options o = withCodec(codec);
    o.batchBytes = 1024;
    Harness h(o);
    connectV11(h);
    const QString large(2000, u'y');
    const auto frameOf = [&](std::optional<Action> action) -> QByteArray {
        if (!action || !std::holds_alternative<SendFrame>(*action))
            return {};
        QByteArray bytes = std::move(std::get<SendFrame>(*action).bytes);
        h.actions.push_back(SendFrame{QByteArray(bytes.constData(), bytes.size()), true});
        return bytes;
    };
    for (int i = 0; i < 2; ++i)
        QVERIFY(h->sendText(h.now, large).ok());
    QByteArray first = frameOf(h->pollAction());
    QByteArray second = frameOf(h->pollAction());  // built apart, carried
    QVERIFY(!first.isEmpty() && !second.isEmpty());
    QCOMPARE(seqsOf(h.takeSent()), range(1, 2));
    const QSet<const char *> storage = {first.constData(), second.constData()};
    QCOMPARE(storage.size(), 2);
    h->recycle(std::move(first));
    h->recycle(std::move(second));

    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 2; ++i)
            QVERIFY(h->sendText(h.now, large).ok());
        QByteArray a = frameOf(h->pollAction());
        QByteArray b = frameOf(h->pollAction());
        QVERIFY2(storage.contains(a.constData()) && storage.contains(b.constData()) && a.constData() != b.constData(),
                 "a large frame was built in a fresh buffer");
        QCOMPARE(seqsOf(h.takeSent()), range(3 + 2 * round, 4 + 2 * round));
        h->recycle(std::move(a));
        h->recycle(std::move(b));
    }
    QVERIFY(!h->pollAction());
}

QTEST_GUILESS_MAIN(tst_EngineBatch)
#include "tst_engine_batch.moc"
