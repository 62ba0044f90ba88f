// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Unit tests of the Client facade over a fake transport and a fake clock: what reaches the
// app (signals, in order; send results; replies) and what reaches the transport (open,
// frames, ping, close, abort) for each engine output and each transport report.
//
// Deterministic: no socket, no sleep, no real timer. The fake transport records every call
// and lets the test play the server (frames made with the real codecs); the fake clock
// only moves when a test calls advance(), which fires the Client's single timer at each
// deadline it was armed for (client_testing_p.h), as the event loop would. See facade_rig.h.
#include "facade_rig.h"

#include <Tether/version.h>

#include <QtCore/QCborMap>
#include <QtCore/QJsonObject>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace FacadeTest;

class tst_ClientFacade : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void openOffersTheCodecAndSendsHello_data();
    void openOffersTheCodecAndSendsHello();
    void v11FramesOfOneTurnLeaveAsOneBatch();
    void v11FullBatchLeavesBeforeTheTurnEnds();
    void messagesWaitWhileTheSocketIsFull();
    void unsendableHeaderRefused_data();
    void unsendableHeaderRefused();
    void lifecycleSignalsInOrder_data();
    void lifecycleSignalsInOrder();
    void reconnectResumesOrStartsOver_data();
    void reconnectResumesOrStartsOver();
    void timerFollowsTheEngineDeadline();

    void sendThenAckIsDelivered_data();
    void sendThenAckIsDelivered();
    void nackIsRejected();
    void fullQueue_data();
    void fullQueue();
    void oversizeFailsLocallyAndKeepsTheConnection();
    void oversizeEnvelopeIsRejectedLater();

    void requestOutcomes_data();
    void requestOutcomes();
    void requestWaitsOfflineThenGoesOut();
    void subscribeAndUnsubscribe();
    void messagesAreDeliveredOnceAndAcked();
    void heartbeatMeasuresRttOnTheFakeClock();
    void missingPongIsADeadLink();

    void tokenReasonsComeFromTheEngine();
    void tokenAnswersCountOnce();
    void clientDeletedWhileTokenPending();

    void slotMayDeleteTheClient_data();
    void slotMayDeleteTheClient();
    void sendFromDeliveredSlot();
    void sendFromSlotTakesTheDispatchTime();
    void everySendOptionReachesTheEngine();
    void subprotocolMismatchFails_data();
    void subprotocolMismatchFails();
    void fatalTransportErrorFailsForGood();
    void transportErrorsReachTheApp_data();
    void transportErrorsReachTheApp();
    void transportErrorCodeMapping_data();
    void transportErrorCodeMapping();
    void lateTransportSignalsAreIgnored();
};

// ---- lifecycle -------------------------------------------------------------------------

void tst_ClientFacade::openOffersTheCodecAndSendsHello_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addRow("json") << Codec::Json;
    QTest::addRow("cbor") << Codec::Cbor;
}

void tst_ClientFacade::openOffersTheCodecAndSendsHello()
{
    QFETCH(Codec, codec);
    ClientOptions o = unitOptions(codec);
    o.extraHeaders = {{"X-Test", "1"}};
    o.maxIncomingFrameSize = 1234;
    Rig rig(o);
    rig.client->open();
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("open")});
    const TransportOpenRequest &request = rig.transport->calls.first().request;
    QCOMPARE(request.url, QUrl(QStringLiteral("ws://fake.example/ws")));
    // v1.1 first (docs/protocol.md §10.1), then the v1 name a v1 server picks.
    QCOMPARE(request.subprotocols, (QStringList{rig.subprotocol().replace(QLatin1StringView("v1."), QLatin1StringView("v1.1.")),
                                                rig.subprotocol()}));
    QVERIFY(request.headers == o.extraHeaders);
    QCOMPARE(request.maxIncomingFrameSize, 1234);
    QCOMPARE(rig.log, QStringList{QStringLiteral("state:Connecting")});

    rig.opened();
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:hello")});
    QCOMPARE(rig.client->subprotocol(), rig.subprotocol());
    const P::Hello hello = rig.sentOf<P::Hello>().first();
    QVERIFY(!hello.sid);
    QVERIFY(!hello.token);
    QCOMPARE(*hello.agent, QString::fromLatin1(Tether::agent()));

    rig.serverFrame(Rig::welcome());
    QCOMPARE(rig.log, (QStringList{QStringLiteral("state:Connecting"), QStringLiteral("state:Connected"),
                                   QStringLiteral("connected:new")}));
    QCOMPARE(rig.client->state(), State::Connected);
    QCOMPARE(rig.client->sessionId(), QStringLiteral("s1"));
}

// Protocol v1.1: sends of one event-loop turn wait for its end (a queued call, no timer)
// and leave as one frame; the transport sees nothing before.
void tst_ClientFacade::v11FramesOfOneTurnLeaveAsOneBatch()
{
    Rig rig;
    rig.openV11();
    QCOMPARE(rig.client->state(), State::Connected);
    QCoreApplication::sendPostedEvents();
    const qsizetype before = rig.transport->calls.size();
    for (int i = 0; i < 30; ++i)
        QVERIFY(rig.client->send(QCborValue(i)).isOk());
    QCOMPARE(rig.transport->calls.size(), before);  // nothing yet: the turn is not over
    QCoreApplication::sendPostedEvents();
    QCOMPARE(rig.transport->calls.size(), before + 1);
    const FakeTransport::Call &call = rig.transport->calls.last();
    QCOMPARE(call.kind, QStringLiteral("frame"));
    QCOMPARE(call.bytes.count('\n'), 29);  // 30 JSON frames, LF-separated
    P::BatchReader reader(P::jsonCodec(), call.bytes);
    for (int i = 0; i < 30; ++i) {
        const P::DecodeResult decoded = reader.next();
        QVERIFY2(decoded.ok(), qPrintable(decoded.error));
        QCOMPARE(std::get<P::Msg>(*decoded.frame).d, QCborValue(i));
    }
    QVERIFY(reader.atEnd());
}

// ...unless a full batch (4 KiB of messages) waits: it is framed and written out at once,
// so the server works on it while the app keeps sending; the rest still waits for the end
// of the turn. Nothing is lost or reordered between the two.
void tst_ClientFacade::v11FullBatchLeavesBeforeTheTurnEnds()
{
    Rig rig;
    rig.openV11();
    QCoreApplication::sendPostedEvents();
    const qsizetype before = rig.transport->calls.size();
    const int flushesBefore = rig.transport->flushes;
    const QString payload(200, QLatin1Char('x'));  // ~250 bytes a frame: a batch is full after ~17
    for (int i = 0; i < 40; ++i)
        QVERIFY(rig.client->send(QCborValue(payload + QString::number(i))).isOk());
    const qsizetype early = rig.transport->calls.size() - before;
    QVERIFY2(early >= 1, "a full batch waited for the end of the turn");
    QVERIFY(rig.transport->flushes > flushesBefore);  // written out, not left in the socket's buffer
    QCoreApplication::sendPostedEvents();
    QVERIFY(rig.transport->calls.size() - before > early);  // the rest at the end of the turn
    int next = 0;
    for (qsizetype c = before; c < rig.transport->calls.size(); ++c) {
        const FakeTransport::Call &call = rig.transport->calls.at(c);
        QCOMPARE(call.kind, QStringLiteral("frame"));
        QVERIFY(call.bytes.size() <= 4096);
        P::BatchReader reader(P::jsonCodec(), call.bytes);
        while (!reader.atEnd()) {
            const P::DecodeResult decoded = reader.next();
            QVERIFY2(decoded.ok(), qPrintable(decoded.error));
            const P::Msg &msg = std::get<P::Msg>(*decoded.frame);
            QCOMPARE(msg.d, QCborValue(payload + QString::number(next)));
            QCOMPARE(msg.seq, std::optional<quint64>(quint64(next + 1)));
            ++next;
        }
    }
    QCOMPARE(next, 40);
}

// Backpressure: while the socket holds more than 256 KiB unwritten, messages wait in the
// outbox (not Written, not on the transport); a request is not held; once bytesWritten()
// reports the socket drained, the held messages leave in order.
void tst_ClientFacade::unsendableHeaderRefused_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addRow("CR LF in the value") << QByteArray("X-Token") << QByteArray("a\r\nX-Evil: 1");
    QTest::addRow("LF in the value") << QByteArray("X-Token") << QByteArray("a\nb");
    QTest::addRow("NUL in the value") << QByteArray("X-Token") << QByteArray("a\0b", 3);
    QTest::addRow("space in the name") << QByteArray("X Token") << QByteArray("a");
    QTest::addRow("empty name") << QByteArray() << QByteArray("a");
}

// A header the upgrade request cannot carry as it is: refused where it enters, never written.
void tst_ClientFacade::unsendableHeaderRefused()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    ClientOptions bad = unitOptions();
    bad.extraHeaders = {{"Cookie", "c=1"}, {name, value}};
    {
        Rig rig;
        QVERIFY(!rig.client->setOptions(bad));
        QCOMPARE(rig.client->error().code(), Error::InvalidArgument);
        QVERIFY2(rig.client->error().message().contains(QStringLiteral("extraHeaders")), qPrintable(rig.client->error().message()));
        ClientOptions good = unitOptions();
        good.extraHeaders = {{"Cookie", "c=1"}, {"X-Token", "a b"}};
        QVERIFY(rig.client->setOptions(good));
    }
    Rig rig(bad);
    rig.client->open();
    QCOMPARE(rig.client->error().code(), Error::InvalidArgument);
    QVERIFY(rig.client->error().isFatal());
    QCOMPARE(rig.client->state(), State::Idle);
    QVERIFY(rig.transport->calls.isEmpty());  // nothing reached a socket
}

void tst_ClientFacade::messagesWaitWhileTheSocketIsFull()
{
    Rig rig;
    rig.connect();
    QStringList statuses;
    QObject::connect(rig.client, &Client::messageStatusChanged, rig.client,
                     [&](const QString &, MessageStatus status) { statuses << enumName(status); });
    QVERIFY(rig.client->send(QCborValue(0)).isOk());
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:msg")});

    rig.transport->unwritten = 256 * 1024 + 1;
    Q_EMIT rig.transport->bytesWritten();  // still full: nothing happens
    for (int i = 1; i <= 3; ++i)
        QVERIFY(rig.client->send(QCborValue(i)).isOk());
    QCOMPARE(rig.takeCalls(), QStringList());
    Reply *reply = rig.client->request(QStringLiteral("echo"));
    QVERIFY(reply);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:req")});
    QCOMPARE(rig.client->queueDepth(), 4);
    QCOMPARE(statuses, QStringList{QStringLiteral("Written")});

    rig.transport->unwritten = 256 * 1024;  // at the mark: may write again
    Q_EMIT rig.transport->bytesWritten();
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("frame:msg"), QStringLiteral("frame:msg"),
                                           QStringLiteral("frame:msg")}));
    const QList<P::Msg> sent = rig.sentOf<P::Msg>();
    QCOMPARE(sent.size(), 4);
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(sent[i].d, QCborValue(i));
        QCOMPARE(*sent[i].seq, quint64(i + 1));
    }
    QCOMPARE(statuses.size(), 4);
}

// How a connection ends, and what the app hears, in order.
void tst_ClientFacade::lifecycleSignalsInOrder_data()
{
    QTest::addColumn<QByteArray>("how");
    QTest::addColumn<QStringList>("calls");
    QTest::addColumn<QStringList>("heard");
    QTest::addColumn<State>("state");
    const auto l = [](std::initializer_list<const char *> items) {
        QStringList out;
        for (const char *i : items)
            out << QString::fromLatin1(i);
        return out;
    };
    QTest::addRow("server closes 1000: Closed, no retry")
        << QByteArray("close1000") << QStringList() << l({"disconnected:1000", "state:Closed"}) << State::Closed;
    QTest::addRow("link drops: reconnect after the backoff delay")
        << QByteArray("drop") << QStringList()
        << l({"disconnected:1006", "state:Reconnecting", "reconnecting:1:100ms"}) << State::Reconnecting;
    QTest::addRow("link drops, delay over: a new attempt")
        << QByteArray("dropWait") << l({"open"})
        << l({"disconnected:1006", "state:Reconnecting", "reconnecting:1:100ms", "state:Connecting"})
        << State::Connecting;
    QTest::addRow("4401: Failed, error then failed")
        << QByteArray("close4401") << QStringList()
        << l({"disconnected:4401", "state:Failed", "error:Unauthorized", "failed:Unauthorized"}) << State::Failed;
    // State first, then its effects (as for Failed): the error comes after stateChanged.
    QTest::addRow("1002: protocol error, reconnect")
        << QByteArray("close1002") << QStringList()
        << l({"disconnected:1002", "state:Reconnecting", "error:ProtocolError", "reconnecting:1:100ms"})
        << State::Reconnecting;
    QTest::addRow("app close(): close 1000 on the socket")
        << QByteArray("appClose") << l({"close:1000"}) << l({"disconnected:1000", "state:Closed"}) << State::Closed;
    QTest::addRow("app suspend(): close 1001 on the socket")
        << QByteArray("appSuspend") << l({"close:1001"}) << l({"disconnected:1001", "state:Closed"}) << State::Closed;
    QTest::addRow("bad frame: close 1002, reconnect")
        << QByteArray("garbage") << l({"close:1002"})
        << l({"disconnected:1002", "state:Reconnecting", "error:ProtocolError", "reconnecting:1:100ms"})
        << State::Reconnecting;
}

void tst_ClientFacade::lifecycleSignalsInOrder()
{
    QFETCH(QByteArray, how);
    QFETCH(QStringList, calls);
    QFETCH(QStringList, heard);
    QFETCH(State, state);
    Rig rig;
    rig.connect();
    if (how == "close1000")
        rig.closed(1000);
    else if (how == "drop" || how == "dropWait")
        rig.closed(1006, Error(Error::NetworkError, QStringLiteral("connection lost")));
    else if (how == "close4401")
        rig.closed(4401);
    else if (how == "close1002")
        rig.closed(1002);
    else if (how == "appClose")
        rig.client->close();
    else if (how == "appSuspend")
        rig.client->suspend();
    else if (how == "garbage")
        Q_EMIT rig.transport->frameReceived(QByteArrayLiteral("{not json"), false);
    if (how == "dropWait")
        rig.advance(100ms);
    QCOMPARE(rig.takeCalls(), calls);
    QCOMPARE(rig.log, heard);
    QCOMPARE(rig.client->state(), state);
    if (state == State::Failed) {
        QVERIFY(rig.client->error().isFatal());
        QCOMPARE(rig.client->error().closeCode(), 4401);
        rig.advance(600s);
        QCOMPARE(rig.takeCalls(), QStringList());  // no retry until open()
    }
}

void tst_ClientFacade::reconnectResumesOrStartsOver_data()
{
    QTest::addColumn<bool>("resumed");
    QTest::addRow("the server kept the session") << true;
    QTest::addRow("a new session") << false;
}

// After a drop the client reconnects asking for its session; the unacknowledged message is
// sent again either way; a new session is announced with sessionLost() after connected().
void tst_ClientFacade::reconnectResumesOrStartsOver()
{
    QFETCH(bool, resumed);
    Rig rig;
    rig.connect();
    SendOptions so;
    so.id = QStringLiteral("m1");
    QVERIFY(rig.client->send(QStringLiteral("x"), so).isOk());
    rig.closed(1006, Error(Error::NetworkError, QStringLiteral("reset")));
    rig.advance(100ms);
    rig.opened();
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("frame:msg"), QStringLiteral("open"),
                                           QStringLiteral("frame:hello")}));
    const P::Hello hello = rig.sentOf<P::Hello>().last();
    QCOMPARE(*hello.sid, QStringLiteral("s1"));
    rig.log.clear();
    P::Welcome w;
    w.sid = resumed ? QStringLiteral("s1") : QStringLiteral("s2");
    w.resumed = resumed;
    rig.serverFrame(w);
    QStringList expected{QStringLiteral("state:Connected"),
                         resumed ? QStringLiteral("connected:resumed") : QStringLiteral("connected:new")};
    if (!resumed)
        expected << QStringLiteral("sessionLost");
    QCOMPARE(rig.log, expected);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:msg")});
    const P::Msg again = rig.sentOf<P::Msg>().last();
    QCOMPARE(*again.id, QStringLiteral("m1"));
    QCOMPARE(*again.seq, 1u);
    QCOMPARE(rig.client->sessionId(), w.sid);
    QCOMPARE(rig.client->stats().sessionsLost, resumed ? 0u : 1u);
    QCOMPARE(rig.client->stats().retransmitted, 1u);
}

// One timer, armed for the engine's earliest deadline; an early fire changes nothing.
void tst_ClientFacade::timerFollowsTheEngineDeadline()
{
    Rig rig;
    QVERIFY(!Testing::timerDeadline(rig.client));  // idle: nothing to wait for
    rig.client->open();
    QCOMPARE(Testing::timerDeadline(rig.client), rig.now + 10s);  // handshake timeout
    rig.opened();
    P::Welcome w = Rig::welcome();
    w.hb = 2000;
    rig.serverFrame(w);
    QCOMPARE(Testing::timerDeadline(rig.client), rig.now + 2s);  // next ping (welcome.hb)
    RequestOptions ro;
    ro.timeout = 500ms;
    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("echo"), QCborValue(1), ro));
    QCOMPARE(Testing::timerDeadline(rig.client), rig.now + 500ms);  // the request's timeout
    rig.takeCalls();
    Testing::fireTimer(rig.client);  // early: a no-op
    QCOMPARE(rig.takeCalls(), QStringList());
    QVERIFY(!reply->isFinished());
    QCOMPARE(Testing::timerDeadline(rig.client), rig.now + 500ms);
    rig.serverFrame(result(rig.sentOf<P::Req>().first().id, QCborValue(1)));
    runPosted();
    QVERIFY(reply->isFinished());
    QCOMPARE(Testing::timerDeadline(rig.client), rig.now + 2s);  // back to the ping
}

// ---- sending ---------------------------------------------------------------------------

void tst_ClientFacade::sendThenAckIsDelivered_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addColumn<Delivery>("delivery");
    QTest::addRow("json, at least once") << Codec::Json << Delivery::AtLeastOnce;
    QTest::addRow("cbor, at least once") << Codec::Cbor << Delivery::AtLeastOnce;
    QTest::addRow("json, at most once") << Codec::Json << Delivery::AtMostOnce;
    QTest::addRow("cbor, at most once") << Codec::Cbor << Delivery::AtMostOnce;
}

void tst_ClientFacade::sendThenAckIsDelivered()
{
    QFETCH(Codec, codec);
    QFETCH(Delivery, delivery);
    Rig rig(unitOptions(codec));
    rig.connect();
    QSignalSpy depth(rig.client.data(), &Client::queueDepthChanged);
    SendOptions so;
    so.delivery = delivery;
    so.channel = QStringLiteral("room");
    const SendResult r = rig.client->send(QJsonObject{{QStringLiteral("text"), QStringLiteral("hi")}}, so);
    QVERIFY(r.isOk());
    QCOMPARE(r.id().size(), qsizetype(22));  // 128 random bits, base64url
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:msg")});
    const P::Msg msg = rig.sentOf<P::Msg>().first();
    QCOMPARE(*msg.id, r.id());
    QCOMPARE(*msg.ch, QStringLiteral("room"));
    QCOMPARE(msg.d.toMap().value(QStringLiteral("text")).toString(), QStringLiteral("hi"));
    if (delivery == Delivery::AtMostOnce) {
        QVERIFY(!msg.seq);
        QCOMPARE(rig.log, QStringList{QStringLiteral("sent:") + r.id()});
        QCOMPARE(rig.client->queueDepth(), 0);
        return;
    }
    QCOMPARE(*msg.seq, 1u);
    QCOMPARE(rig.client->queueDepth(), 1);
    QCOMPARE(depth.size(), 1);
    QCOMPARE(rig.log, QStringList());  // no outcome before the ack
    rig.serverFrame(P::Ack{1});
    QCOMPARE(rig.log, QStringList{QStringLiteral("delivered:") + r.id()});
    QCOMPARE(rig.client->queueDepth(), 0);
    QCOMPARE(depth.size(), 2);
    QCOMPARE(depth.last().first().toInt(), 0);
    QCOMPARE(rig.client->stats().acked, 1u);
}

void tst_ClientFacade::nackIsRejected()
{
    Rig rig;
    rig.connect();
    SendOptions so;
    so.id = QStringLiteral("m1");
    QVERIFY(rig.client->send(QStringLiteral("x"), so).isOk());
    P::Nack nack;
    nack.seq = 1;
    nack.err.code = QStringLiteral("forbidden");
    nack.err.msg = QStringLiteral("not in this room");
    nack.err.data = QCborValue(42);
    rig.serverFrame(nack);
    QCOMPARE(rig.log, QStringList{QStringLiteral("rejected:m1:Rejected")});
    const Error e = rig.rejections.first();
    QCOMPARE(e.kind(), Error::Remote);
    QCOMPARE(e.serverCode(), QStringLiteral("forbidden"));
    QCOMPARE(e.message(), QStringLiteral("not in this room"));
    QCOMPARE(e.data(), QCborValue(42));
    QVERIFY(!e.isFatal());
    QCOMPARE(rig.client->state(), State::Connected);
}

void tst_ClientFacade::fullQueue_data()
{
    QTest::addColumn<OverflowPolicy>("policy");
    QTest::addColumn<bool>("byBytes");
    QTest::addRow("reject new, by count") << OverflowPolicy::RejectNew << false;
    QTest::addRow("reject new, by bytes") << OverflowPolicy::RejectNew << true;
    QTest::addRow("drop oldest, by count") << OverflowPolicy::DropOldest << false;
}

// Offline (never opened): sends queue up to the bound, then the policy decides.
void tst_ClientFacade::fullQueue()
{
    QFETCH(OverflowPolicy, policy);
    QFETCH(bool, byBytes);
    ClientOptions o = unitOptions();
    o.queue.overflow = policy;
    if (byBytes)
        o.queue.maxBytes = 20;  // two 8-byte JSON strings fit, a third does not
    else
        o.queue.maxMessages = 2;
    Rig rig(o);
    QStringList ids;
    for (int i = 0; i < 2; ++i) {
        SendOptions so;
        so.id = QStringLiteral("m%1").arg(i);
        QVERIFY(rig.client->send(QStringLiteral("123456"), so).isOk());
        ids << so.id;
    }
    SendOptions so;
    so.id = QStringLiteral("m2");
    const SendResult third = rig.client->send(QStringLiteral("123456"), so);
    if (policy == OverflowPolicy::RejectNew) {
        QVERIFY(!third.isOk());
        QCOMPARE(third.error().code(), Error::QueueFull);
        QCOMPARE(third.error().kind(), Error::Local);
        QVERIFY(third.id().isEmpty());
        QCOMPARE(rig.client->queueDepth(), 2);
        QCOMPARE(rig.log, QStringList());
    } else {
        QVERIFY(third.isOk());
        QCOMPARE(rig.log, QStringList{QStringLiteral("dropped:m0:QueueFull")});
        QCOMPARE(rig.client->queueDepth(), 2);
    }
    QCOMPARE(rig.takeCalls(), QStringList());  // nothing opened by sending
}

// A message above the server's maxFrame fails at send() and the connection stays up.
void tst_ClientFacade::oversizeFailsLocallyAndKeepsTheConnection()
{
    Rig rig;
    rig.connect(Rig::welcome(100));
    const SendResult big = rig.client->send(QString(200, u'x'));
    QVERIFY(!big.isOk());
    QCOMPARE(big.error().code(), Error::FrameTooLarge);
    QCOMPARE(big.error().kind(), Error::Local);
    QCOMPARE(rig.takeCalls(), QStringList());  // no frame, no close
    QCOMPARE(rig.client->state(), State::Connected);
    QCOMPARE(rig.log, QStringList());
    const SendResult small = rig.client->send(QStringLiteral("ok"));
    QVERIFY(small.isOk());
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:msg")});

    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("echo"), QCborValue(QString(200, u'x'))));
    runPosted();
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->error().code(), Error::FrameTooLarge);
    QCOMPARE(rig.client->state(), State::Connected);
}

// The payload fits the bound checked at send(), the envelope does not: the message ends in
// rejected(FrameTooLarge) when it would be framed, never on the wire, and the link stays.
void tst_ClientFacade::oversizeEnvelopeIsRejectedLater()
{
    Rig rig;
    rig.client->open();
    SendOptions so;
    so.id = QStringLiteral("m1");
    QVERIFY(rig.client->send(QString(60, u'x'), so).isOk());  // queued before the welcome
    rig.opened();
    rig.log.clear();
    rig.serverFrame(Rig::welcome(80));
    QCOMPARE(rig.log, (QStringList{QStringLiteral("state:Connected"), QStringLiteral("connected:new"),
                                   QStringLiteral("rejected:m1:FrameTooLarge")}));
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("open"), QStringLiteral("frame:hello")}));
    QCOMPARE(rig.client->state(), State::Connected);
}

// ---- requests, channels, inbound ----------------------------------------------------

void tst_ClientFacade::requestOutcomes_data()
{
    QTest::addColumn<QByteArray>("how");
    QTest::addColumn<Error::Code>("code");
    QTest::addRow("result") << QByteArray("result") << Error::NoError;
    QTest::addRow("server error") << QByteArray("error") << Error::Rejected;
    QTest::addRow("timeout on the fake clock") << QByteArray("timeout") << Error::Timeout;
    QTest::addRow("abort, late answer ignored") << QByteArray("abort") << Error::Aborted;
    QTest::addRow("link lost while pending") << QByteArray("drop") << Error::ConnectionLost;
    QTest::addRow("app close() while pending") << QByteArray("close") << Error::ClientClosed;
}

void tst_ClientFacade::requestOutcomes()
{
    QFETCH(QByteArray, how);
    QFETCH(Error::Code, code);
    Rig rig;
    rig.connect();
    RequestOptions ro;
    ro.timeout = 2s;
    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("sum"), QVariant(QVariantList{1, 2}), ro));
    QSignalSpy finished(reply.get(), &Reply::finished);
    QSignalSpy failed(reply.get(), &Reply::errorOccurred);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:req")});
    const P::Req req = rig.sentOf<P::Req>().first();
    QCOMPARE(req.m, QStringLiteral("sum"));
    QCOMPARE(req.d->toArray().size(), 2);
    QVERIFY(!reply->isFinished());

    if (how == "result") {
        rig.serverFrame(result(req.id, QCborValue(3)));
    } else if (how == "error") {
        P::Res res;
        res.id = req.id;
        res.result = P::ErrorObject{QStringLiteral("bad_args"), QStringLiteral("nope"), std::nullopt};
        rig.serverFrame(res);
    } else if (how == "timeout") {
        rig.advance(1999ms);
        QVERIFY(!reply->isFinished());
        rig.advance(1ms);
    } else if (how == "abort") {
        reply->abort();
        runPosted();
        rig.serverFrame(result(req.id, QCborValue(3)));  // too late: ignored
    } else if (how == "drop") {
        rig.closed(1006, Error(Error::NetworkError, QStringLiteral("reset")));
    } else if (how == "close") {
        rig.client->close();
    }
    runPosted();
    QVERIFY(reply->isFinished());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(reply->error().code(), code);
    QCOMPARE(failed.size(), code == Error::NoError ? 0 : 1);
    if (code == Error::NoError)
        QCOMPARE(reply->result(), QCborValue(3));
    else
        QVERIFY(reply->result().isUndefined());
    if (how == "error")
        QCOMPARE(reply->error().serverCode(), QStringLiteral("bad_args"));
    QCOMPARE(rig.client->stats().pendingRequests, 0);
}

// A request made offline waits, is sent after the welcome, and its reply arrives.
void tst_ClientFacade::requestWaitsOfflineThenGoesOut()
{
    Rig rig;
    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("echo"), QJsonValue(QStringLiteral("hi"))));
    QCOMPARE(rig.takeCalls(), QStringList());
    rig.client->open();
    rig.opened();
    rig.serverFrame(Rig::welcome());
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("open"), QStringLiteral("frame:hello"),
                                           QStringLiteral("frame:req")}));
    rig.serverFrame(result(rig.sentOf<P::Req>().first().id, QCborValue(QStringLiteral("hi"))));
    QVERIFY(reply->isFinished());
    QCOMPARE(reply->result(), QCborValue(QStringLiteral("hi")));
}

void tst_ClientFacade::subscribeAndUnsubscribe()
{
    Rig rig;
    rig.connect();
    std::unique_ptr<Reply> sub(rig.client->subscribe(QStringLiteral("room")));
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:sub")});
    const P::Sub s = rig.sentOf<P::Sub>().first();
    QCOMPARE(s.ch, QStringLiteral("room"));
    QCOMPARE(rig.client->channels(), QStringList{QStringLiteral("room")});
    rig.serverFrame(result(s.id, QCborValue(QCborValue::Null)));
    QVERIFY(sub->isFinished());
    QVERIFY(!sub->error().isError());
    QCOMPARE(sub->method(), QStringLiteral("subscribe"));

    P::Msg publication;
    publication.ch = QStringLiteral("room");
    publication.id = QStringLiteral("p1");
    publication.d = QCborValue(QStringLiteral("hello room"));
    rig.serverFrame(publication);
    QCOMPARE(rig.messages.size(), 1);
    QCOMPARE(rig.messages.first().channel(), QStringLiteral("room"));
    QVERIFY(!rig.messages.first().isReliable());

    std::unique_ptr<Reply> unsub(rig.client->unsubscribe(QStringLiteral("room")));
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:unsub")});
    QCOMPARE(rig.client->channels(), QStringList());
    rig.serverFrame(result(rig.sentOf<P::Unsub>().first().id, QCborValue(QCborValue::Null)));
    QVERIFY(unsub->isFinished());

    std::unique_ptr<Reply> bad(rig.client->subscribe(QString()));
    QVERIFY(!bad->isFinished());  // never from inside the call
    runPosted();
    QCOMPARE(bad->error().code(), Error::InvalidArgument);
}

// Reliable messages reach the app once, in order, and are acknowledged by the client after
// the ack delay (no app action); unreliable ones are not acknowledged.
void tst_ClientFacade::messagesAreDeliveredOnceAndAcked()
{
    Rig rig;
    rig.connect();
    for (quint64 seq : {1, 2, 2, 1}) {  // the repeats are duplicates
        P::Msg m;
        m.seq = seq;
        m.id = QStringLiteral("r%1").arg(seq);
        m.d = QCborValue(qint64(seq));
        rig.serverFrame(m);
    }
    QCOMPARE(rig.log, (QStringList{QStringLiteral("message:r1"), QStringLiteral("message:r2")}));
    QVERIFY(rig.messages.first().isReliable());
    QCOMPARE(rig.messages.first().payload(), QCborValue(1));
    QCOMPARE(rig.client->stats().duplicatesSuppressed, 2u);
    QCOMPARE(rig.takeCalls(), QStringList());  // the ack waits for the ack delay
    rig.advance(50ms);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:ack")});
    QCOMPARE(rig.sentOf<P::Ack>().first().seq, 2u);

    P::Msg direct;
    direct.d = QCborValue(QStringLiteral("fire and forget"));
    rig.serverFrame(direct);
    rig.advance(1s);
    QCOMPARE(rig.messages.size(), 3);
    QVERIFY(!rig.messages.last().isReliable());
    QVERIFY(!rig.takeCalls().contains(QStringLiteral("frame:ack")));
}

// The fake clock makes the round trip exact: ping at welcome.hb, pong 7 ms later.
void tst_ClientFacade::heartbeatMeasuresRttOnTheFakeClock()
{
    Rig rig;
    P::Welcome w = Rig::welcome();
    w.hb = 1000;
    rig.connect(w);
    rig.advance(1000ms);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("ping")});
    rig.now += 7ms;
    Q_EMIT rig.transport->pongReceived(QByteArray());
    QCOMPARE(rig.log, QStringList{QStringLiteral("heartbeat:7000us")});
    QCOMPARE(rig.client->lastRtt(), 7000us);
    QCOMPARE(rig.client->stats().lastRttUs, 7000);
}

// No sign of life after a ping: abort, report HeartbeatTimeout, reconnect.
void tst_ClientFacade::missingPongIsADeadLink()
{
    Rig rig;
    rig.connect();
    rig.advance(15s + 10s - 1ms);  // the first ping (15 s interval), no pong yet
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("ping")});
    QCOMPARE(rig.log, QStringList());
    rig.advance(1ms);  // the 10 s heartbeat timeout
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("abort")});
    QCOMPARE(rig.log, (QStringList{QStringLiteral("disconnected:1006"), QStringLiteral("state:Reconnecting"),
                                   QStringLiteral("error:HeartbeatTimeout"), QStringLiteral("reconnecting:1:100ms")}));
    QCOMPARE(rig.errors.first().kind(), Error::TimedOut);
}

// ---- token provider --------------------------------------------------------------------

// The provider hears Connect before a connection and Expired after a 4001 — from the
// engine's TokenRequired, also on a retry after a failed refresh; a new token ends Expired.
void tst_ClientFacade::tokenReasonsComeFromTheEngine()
{
    ClientOptions o = unitOptions();
    QList<TokenReason> asked;
    QList<TokenReply> pending;
    o.tokenProvider = [&](TokenReason reason, const TokenReply &reply) {
        asked << reason;
        pending << reply;
    };
    Rig rig(o);
    rig.client->open();
    QCOMPARE(asked, QList<TokenReason>{TokenReason::Connect});
    QCOMPARE(rig.takeCalls(), QStringList());  // no socket before the token
    pending.takeFirst()(QStringLiteral("t1"), QString());
    rig.opened();
    QCOMPARE(*rig.sentOf<P::Hello>().last().token, QStringLiteral("t1"));
    rig.serverFrame(Rig::welcome());
    rig.closed(4001);
    QCOMPARE(asked.last(), TokenReason::Expired);  // at once, no backoff
    pending.takeFirst()(std::nullopt, QStringLiteral("offline"));  // the refresh fails
    QCOMPARE(rig.errors.last().code(), Error::TokenUnavailable);
    rig.advance(100ms);
    QCOMPARE(asked.size(), 3);
    QCOMPARE(asked.last(), TokenReason::Expired);  // t1 is still expired
    pending.takeFirst()(QStringLiteral("t2"), QString());
    rig.closed(1006, Error(Error::ConnectionRefused, QStringLiteral("refused")));  // t2 never used
    rig.advance(1s);
    QCOMPARE(asked.size(), 4);
    QCOMPARE(asked.last(), TokenReason::Connect);  // t2 was not refused
    pending.takeFirst()(QStringLiteral("t2"), QString());
    rig.opened();
    QCOMPARE(*rig.sentOf<P::Hello>().last().token, QStringLiteral("t2"));
}

// Only the first answer to the current question counts.
void tst_ClientFacade::tokenAnswersCountOnce()
{
    ClientOptions o = unitOptions();
    QList<TokenReply> pending;
    o.tokenProvider = [&](TokenReason, const TokenReply &reply) { pending << reply; };
    Rig rig(o);
    rig.client->open();
    QCOMPARE(pending.size(), 1);
    rig.advance(10s + 100ms);  // no answer in time: a failure, 100 ms of backoff, ask again
    QCOMPARE(rig.errors.first().code(), Error::TokenUnavailable);
    QCOMPARE(pending.size(), 2);
    pending.first()(QStringLiteral("stale"), QString());  // the first question's answer: stale
    QCOMPARE(rig.takeCalls(), QStringList());
    pending.last()(QStringLiteral("fresh"), QString());
    pending.last()(QStringLiteral("again"), QString());  // a second answer: ignored
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("open")});
    rig.opened();
    QCOMPARE(*rig.sentOf<P::Hello>().last().token, QStringLiteral("fresh"));
}

void tst_ClientFacade::clientDeletedWhileTokenPending()
{
    ClientOptions o = unitOptions();
    TokenReply pending;
    o.tokenProvider = [&](TokenReason, const TokenReply &reply) { pending = reply; };
    auto rig = std::make_unique<Rig>(o);
    rig->client->open();
    QVERIFY(pending);
    rig.reset();
    pending(QStringLiteral("late"), QString());  // must not touch the deleted client
    pending(std::nullopt, QStringLiteral("late"));
}

// ---- re-entrancy -----------------------------------------------------------------------

void tst_ClientFacade::slotMayDeleteTheClient_data()
{
    QTest::addColumn<QByteArray>("signal");
    QTest::addRow("stateChanged") << QByteArray("stateChanged");
    QTest::addRow("connected") << QByteArray("connected");
    QTest::addRow("messageReceived") << QByteArray("messageReceived");
    QTest::addRow("delivered") << QByteArray("delivered");
    QTest::addRow("disconnected") << QByteArray("disconnected");
    QTest::addRow("errorOccurred") << QByteArray("errorOccurred");
    QTest::addRow("failed") << QByteArray("failed");
}

// A slot deletes the Client from inside one of its signals: nothing more is emitted, nothing
// touches the freed client (ASan builds check the latter).
void tst_ClientFacade::slotMayDeleteTheClient()
{
    QFETCH(QByteArray, signal);
    Rig rig;
    Client *client = rig.client;
    int deletions = 0;
    const auto kill = [&] {
        if (rig.client) {
            ++deletions;
            delete rig.client.data();
        }
    };
    if (signal == "stateChanged")
        QObject::connect(client, &Client::stateChanged, kill);
    else if (signal == "connected")
        QObject::connect(client, &Client::connected, kill);
    else if (signal == "messageReceived")
        QObject::connect(client, &Client::messageReceived, kill);
    else if (signal == "delivered")
        QObject::connect(client, &Client::delivered, kill);
    else if (signal == "disconnected")
        QObject::connect(client, &Client::disconnected, kill);
    else if (signal == "errorOccurred")
        QObject::connect(client, &Client::errorOccurred, kill);
    else if (signal == "failed")
        QObject::connect(client, &Client::failed, kill);

    const auto step = [&](auto &&action) {
        if (rig.client)
            action();
    };
    step([&] { rig.client->open(); });
    step([&] { rig.opened(); });
    step([&] { rig.serverFrame(Rig::welcome()); });
    step([&] {
        SendOptions so;
        so.id = QStringLiteral("m1");
        rig.client->send(QStringLiteral("x"), so);
        P::Msg in;
        in.seq = 1;
        in.d = QCborValue(1);
        rig.serverFrame(in);
    });
    step([&] { rig.serverFrame(P::Ack{1}); });
    step([&] { rig.closed(1002); });            // errorOccurred, disconnected
    step([&] { rig.advance(1s); });
    step([&] { rig.closed(1006, Error(Error::ConnectionRefused, QStringLiteral("refused"))); });
    step([&] { rig.opened(QStringLiteral("chat")); });  // a mismatch: failed
    step([&] { rig.advance(1s); });
    step([&] { rig.opened(QStringLiteral("chat")); });
    QCOMPARE(deletions, 1);
    QVERIFY(!rig.client);
    QVERIFY(!rig.transport);  // owned by the client
    // The killing signal was the last one the app heard (the Rig's logger runs first).
    const QHash<QByteArray, QString> prefix{
        {"stateChanged", QStringLiteral("state:")}, {"connected", QStringLiteral("connected:")},
        {"messageReceived", QStringLiteral("message:")}, {"delivered", QStringLiteral("delivered:")},
        {"disconnected", QStringLiteral("disconnected:")}, {"errorOccurred", QStringLiteral("error:")},
        {"failed", QStringLiteral("failed:")}};
    QVERIFY2(rig.log.last().startsWith(prefix.value(signal)), qPrintable(rig.log.join(QStringLiteral(", "))));
    runPosted();
}

// send() from a delivered() slot: the new message goes out after the ack's processing, and
// ends delivered too; the same from messageReceived().
void tst_ClientFacade::sendFromDeliveredSlot()
{
    Rig rig;
    rig.connect();
    QStringList followUps;
    QObject::connect(rig.client, &Client::delivered, rig.client, [&](const QString &id) {
        if (followUps.size() < 2) {
            SendOptions so;
            so.id = id + QLatin1Char('+');
            const SendResult r = rig.client->send(QStringLiteral("follow-up"), so);
            QVERIFY(r.isOk());
            followUps << r.id();
        }
    });
    QObject::connect(rig.client, &Client::messageReceived, rig.client, [&](const Message &m) {
        SendOptions so;
        so.id = QStringLiteral("re:") + m.id();
        QVERIFY(rig.client->send(QStringLiteral("reply"), so).isOk());
    });
    SendOptions so;
    so.id = QStringLiteral("m1");
    QVERIFY(rig.client->send(QStringLiteral("first"), so).isOk());
    rig.serverFrame(P::Ack{1});
    QCOMPARE(followUps, QStringList{QStringLiteral("m1+")});
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("frame:msg"), QStringLiteral("frame:msg")}));
    QCOMPARE(*rig.sentOf<P::Msg>().last().id, QStringLiteral("m1+"));
    QCOMPARE(*rig.sentOf<P::Msg>().last().seq, 2u);
    rig.serverFrame(P::Ack{2});
    QCOMPARE(followUps, (QStringList{QStringLiteral("m1+"), QStringLiteral("m1++")}));
    rig.serverFrame(P::Ack{3});
    QCOMPARE(rig.log, (QStringList{QStringLiteral("delivered:m1"), QStringLiteral("delivered:m1+"),
                                   QStringLiteral("delivered:m1++")}));

    P::Msg in;
    in.id = QStringLiteral("q");
    in.d = QCborValue(1);
    rig.takeCalls();
    rig.serverFrame(in);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:msg")});
    QCOMPARE(*rig.sentOf<P::Msg>().last().id, QStringLiteral("re:q"));
    QCOMPARE(rig.client->queueDepth(), 1);
}

// A send() from a slot is stamped with the time its event was dispatched at (the clock is
// read once per dispatch, not per message: client_p.h, sendTime()); a send() anywhere else
// reads the clock. Seen through TTLs of messages held back by a full socket.
void tst_ClientFacade::sendFromSlotTakesTheDispatchTime()
{
    Rig rig;
    rig.connect();
    rig.transport->unwritten = 256 * 1024 + 1;  // backpressure: messages wait, their TTL runs
    SendOptions fifty;
    fifty.ttl = std::chrono::milliseconds(50);
    QObject::connect(rig.client, &Client::messageReceived, rig.client, [&](const Message &) {
        rig.now += std::chrono::milliseconds(30);  // the slot takes 30 ms before it sends
        SendOptions so = fifty;
        so.id = QStringLiteral("in-slot");
        QVERIFY(rig.client->send(QStringLiteral("x"), so).isOk());
    });
    P::Msg in;
    in.id = QStringLiteral("q");
    in.d = QCborValue(1);
    rig.serverFrame(in);  // dispatched at T; the slot sends at T + 30 ms, stamped T
    SendOptions so = fifty;
    so.id = QStringLiteral("outside");
    QVERIFY(rig.client->send(QStringLiteral("y"), so).isOk());  // stamped T + 30 ms
    rig.log.clear();
    rig.advance(std::chrono::milliseconds(25));  // T + 55 ms
    QCOMPARE(rig.log, QStringList{QStringLiteral("dropped:in-slot:Expired")});
    rig.advance(std::chrono::milliseconds(30));  // T + 85 ms
    QCOMPARE(rig.log, (QStringList{QStringLiteral("dropped:in-slot:Expired"), QStringLiteral("dropped:outside:Expired")}));
}

// send() maps default SendOptions to a shared constant (client.cpp,
// engineSendOptionsFor()): each field set alone must still take effect.
void tst_ClientFacade::everySendOptionReachesTheEngine()
{
    Rig rig;
    SendOptions keyed;
    keyed.coalescingKey = QStringLiteral("k");
    const QString superseded = rig.client->send(QStringLiteral("a"), keyed).id();
    QVERIFY(rig.client->send(QStringLiteral("b"), keyed).isOk());
    QCOMPARE(rig.log, QStringList{QStringLiteral("dropped:") + superseded + QStringLiteral(":Superseded")});
    rig.log.clear();
    SendOptions shortLived;
    shortLived.ttl = std::chrono::milliseconds(10);
    const QString expired = rig.client->send(QStringLiteral("c"), shortLived).id();
    rig.advance(std::chrono::milliseconds(20));
    QCOMPARE(rig.log, QStringList{QStringLiteral("dropped:") + expired + QStringLiteral(":Expired")});

    rig.connect();
    SendOptions named;
    named.id = QStringLiteral("my-id");
    SendOptions onChannel;
    onChannel.channel = QStringLiteral("room");
    SendOptions once;
    once.delivery = Delivery::AtMostOnce;
    SendOptions memoryOnly;
    memoryOnly.durability = Durability::Memory;
    QVERIFY(rig.client->send(QStringLiteral("d"), named).isOk());
    QVERIFY(rig.client->send(QStringLiteral("e"), onChannel).isOk());
    QVERIFY(rig.client->send(QStringLiteral("f"), once).isOk());
    QVERIFY(rig.client->send(QStringLiteral("g"), memoryOnly).isOk());
    QVERIFY(rig.client->send(QStringLiteral("h")).isOk());  // the defaults
    QList<P::Msg> msgs;
    for (const P::Msg &m : rig.sentOf<P::Msg>())
        if (m.d.isString() && m.d.toString() >= QStringLiteral("d"))
            msgs << m;
    QCOMPARE(msgs.size(), 5);
    QCOMPARE(*msgs[0].id, QStringLiteral("my-id"));
    QCOMPARE(msgs[1].ch, std::optional<QString>(QStringLiteral("room")));
    QVERIFY(!msgs[2].seq);  // at most once: no seq
    QVERIFY(msgs[3].seq && msgs[4].seq && !msgs[4].ch);
    QCOMPARE(msgs[4].id->size(), 22);  // a generated id
}

void tst_ClientFacade::subprotocolMismatchFails_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addColumn<QString>("picked");
    QTest::addRow("json offered, none picked") << Codec::Json << QString();
    QTest::addRow("cbor offered, json picked") << Codec::Cbor << QStringLiteral("tether.v1.json");
    QTest::addRow("json offered, cbor picked") << Codec::Json << QStringLiteral("tether.v1.cbor");
    QTest::addRow("a foreign subprotocol") << Codec::Json << QStringLiteral("chat");
}

// The server picked no (or another) Tether subprotocol: Failed(ProtocolMismatch), fatal, no
// retry, the socket closed.
void tst_ClientFacade::subprotocolMismatchFails()
{
    QFETCH(Codec, codec);
    QFETCH(QString, picked);
    Rig rig(unitOptions(codec));
    rig.client->open();
    rig.opened(picked);
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("open"), QStringLiteral("close:1000")}));
    QCOMPARE(rig.log, (QStringList{QStringLiteral("state:Connecting"), QStringLiteral("state:Failed"),
                                   QStringLiteral("error:ProtocolMismatch"), QStringLiteral("failed:ProtocolMismatch")}));
    QVERIFY(rig.failures.first().isFatal());
    QCOMPARE(rig.failures.first().kind(), Error::Remote);
    QCOMPARE(rig.client->error().code(), Error::ProtocolMismatch);
    rig.advance(600s);
    QCOMPARE(rig.takeCalls(), QStringList());
}

// A transport error marked fatal (a refused certificate, a pin mismatch: see
// transport_p.h) ends the client in Failed at once with that error: no reconnecting(), no
// second open on the transport, whatever the time.
void tst_ClientFacade::fatalTransportErrorFailsForGood()
{
    Rig rig(unitOptions());
    rig.client->open();
    rig.log.clear();
    Error tls(Error::TlsError, QStringLiteral("TLS certificate rejected: The certificate has expired"), true);
    tls.setData(QCborArray{QStringLiteral("CertificateExpired")});
    rig.closed(1006, tls);
    QCOMPARE(rig.log, (QStringList{QStringLiteral("state:Failed"), QStringLiteral("error:TlsError"),
                                   QStringLiteral("failed:TlsError")}));
    const Error failure = rig.failures.first();
    QVERIFY(failure.isFatal());
    QCOMPARE(failure.kind(), Error::Transport);
    QCOMPARE(failure.message(), tls.message());
    QCOMPARE(failure.data(), QCborValue(QCborArray{QStringLiteral("CertificateExpired")}));
    QCOMPARE(rig.client->state(), State::Failed);
    rig.takeCalls();
    rig.advance(600s);
    QCOMPARE(rig.takeCalls(), QStringList());
}

void tst_ClientFacade::transportErrorsReachTheApp_data()
{
    QTest::addColumn<Error::Code>("reported");
    QTest::addColumn<int>("maxAttempts");
    for (Error::Code code : {Error::ConnectionRefused, Error::HostNotFound, Error::TlsError, Error::NetworkError})
        QTest::addRow("%s", qPrintable(enumName(code))) << code << 0;
    QTest::addRow("refused twice, maxAttempts 1: MaxAttempts") << Error::ConnectionRefused << 1;
}

// The transport's error (the socket never opened) reaches errorOccurred() with its code,
// kind Transport, not fatal, and the client retries: the engine only knows "transport
// error", the facade refines it with what the transport said.
void tst_ClientFacade::transportErrorsReachTheApp()
{
    QFETCH(Error::Code, reported);
    QFETCH(int, maxAttempts);
    ClientOptions o = unitOptions();
    o.backoff.maxAttempts = maxAttempts;
    Rig rig(o);
    rig.client->open();
    rig.log.clear();
    rig.closed(1006, Error(reported, QStringLiteral("what the socket said")));
    QCOMPARE(rig.errors.size(), 1);
    const Error e = rig.errors.first();
    QCOMPARE(e.code(), reported);
    QCOMPARE(e.kind(), Error::Transport);
    QCOMPARE(e.message(), QStringLiteral("what the socket said"));
    QVERIFY(!e.isFatal());
    QCOMPARE(rig.client->error().code(), reported);
    // The state first, then what the drop reports (engine: apply, then act).
    QCOMPARE(rig.log, (QStringList{QStringLiteral("state:Reconnecting"), QStringLiteral("error:") + enumName(reported),
                                   QStringLiteral("reconnecting:1:100ms")}));
    rig.advance(100ms);
    QCOMPARE(rig.takeCalls(), (QStringList{QStringLiteral("open"), QStringLiteral("open")}));
    if (maxAttempts == 0)
        return;
    rig.log.clear();
    rig.closed(1006, Error(reported, QStringLiteral("what the socket said")));
    QCOMPARE(rig.log, (QStringList{QStringLiteral("error:") + enumName(reported), QStringLiteral("state:Failed"),
                                   QStringLiteral("error:MaxAttempts"), QStringLiteral("failed:MaxAttempts")}));
    const Error failure = rig.failures.first();
    QVERIFY(failure.isFatal());
    QCOMPARE(failure.kind(), Error::Local);
    QVERIFY2(failure.message().contains(QStringLiteral("what the socket said")), qPrintable(failure.message()));
}

void tst_ClientFacade::transportErrorCodeMapping_data()
{
    QTest::addColumn<QAbstractSocket::SocketError>("socketError");
    QTest::addColumn<Error::Code>("code");
    QTest::addRow("refused") << QAbstractSocket::ConnectionRefusedError << Error::ConnectionRefused;
    QTest::addRow("host not found") << QAbstractSocket::HostNotFoundError << Error::HostNotFound;
    QTest::addRow("tls handshake") << QAbstractSocket::SslHandshakeFailedError << Error::TlsError;
    QTest::addRow("tls internal") << QAbstractSocket::SslInternalError << Error::TlsError;
    QTest::addRow("tls user data") << QAbstractSocket::SslInvalidUserDataError << Error::TlsError;
    QTest::addRow("remote closed") << QAbstractSocket::RemoteHostClosedError << Error::NetworkError;
    QTest::addRow("timeout") << QAbstractSocket::SocketTimeoutError << Error::NetworkError;
    QTest::addRow("network") << QAbstractSocket::NetworkError << Error::NetworkError;
    QTest::addRow("unknown") << QAbstractSocket::UnknownSocketError << Error::NetworkError;
}

void tst_ClientFacade::transportErrorCodeMapping()
{
    QFETCH(QAbstractSocket::SocketError, socketError);
    QFETCH(Error::Code, code);
    QCOMPARE(transportErrorCode(socketError), code);
}

// After the engine let a socket go (close, abort), that socket's late reports are ignored.
void tst_ClientFacade::lateTransportSignalsAreIgnored()
{
    Rig rig;
    rig.connect();
    rig.client->close();
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("close:1000")});
    rig.log.clear();
    P::Msg m;
    m.seq = 1;
    m.d = QCborValue(1);
    rig.serverFrame(m);
    Q_EMIT rig.transport->pongReceived(QByteArray());
    rig.closed(1006, Error(Error::NetworkError, QStringLiteral("late")));
    QCOMPARE(rig.log, QStringList());
    QCOMPARE(rig.client->state(), State::Closed);
    QCOMPARE(rig.takeCalls(), QStringList());
}

QTEST_GUILESS_MAIN(tst_ClientFacade)
#include "tst_client_facade.moc"
