// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The core proof, against the reference server as a child process: first connect, every
// send ends delivered, requests, channels between two clients, server pushes in order.
#include "client_harness.h"

#include "server_process.h"
#include "wait.h"

#include <QtCore/QCborMap>
#include <QtCore/QFutureWatcher>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

class tst_ClientE2E : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void firstConnect_data();
    void firstConnect();
    void everySendIsDelivered_data();
    void everySendIsDelivered();
    void atMostOnceEndsSent();
    void requestEcho_data();
    void requestEcho();
    void requestServerError();
    void callFuture();
    void replyAbortIgnoresLateAnswer();
    void publicationReachesOtherSubscriber_data();
    void publicationReachesOtherSubscriber();
    void pushedMessagesArriveOnceInOrder_data();
    void pushedMessagesArriveOnceInOrder();
    void closeEndsInClosed();
    void sendWhileIdleIsQueuedThenDelivered();
    void heartbeatReportsRtt();
    void openWithoutUrlFails();
    void slotsMayCallBackIntoTheClient();

private:
    ServerProcess m_server;
};

void tst_ClientE2E::initTestCase()
{
    m_server.setExtraArgs({QStringLiteral("--heartbeat"), QStringLiteral("300")});
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void tst_ClientE2E::cleanupTestCase()
{
    m_server.stop();
}

void tst_ClientE2E::firstConnect_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addColumn<QString>("subprotocol");
    // The SDK offers v1.1 first: a v1.1 server picks it, a v1-only one (--protocol 1) v1.
    QTest::addRow("json") << Codec::Json << sdkSubprotocol(QLatin1StringView("json"));
    QTest::addRow("cbor") << Codec::Cbor << sdkSubprotocol(QLatin1StringView("cbor"));
}

void tst_ClientE2E::firstConnect()
{
    QFETCH(Codec, codec);
    QFETCH(QString, subprotocol);
    Client client(m_server.url(), fastOptions(codec));
    Recorder rec(&client);
    QCOMPARE(client.state(), State::Idle);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    QCOMPARE(rec.connects, QList<bool>{false});  // a new session
    QCOMPARE(rec.states, (QList<State>{State::Connecting, State::Connected}));
    QCOMPARE(client.subprotocol(), subprotocol);
    QVERIFY(!client.sessionId().isEmpty());
    QVERIFY(rec.errors.isEmpty());
    QCOMPARE(rec.sessionsLost, 0);
}

void tst_ClientE2E::everySendIsDelivered_data()
{
    firstConnect_data();
}

void tst_ClientE2E::everySendIsDelivered()
{
    QFETCH(Codec, codec);
    Client client(m_server.url(), fastOptions(codec));
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    QStringList ids;
    const int n = 500;
    for (int i = 0; i < n; ++i) {
        QCborMap payload;
        payload.insert(QStringLiteral("n"), i);
        const SendResult r = client.send(QCborValue(payload));
        QVERIFY2(r.isOk(), qPrintable(r.error().toString()));
        ids << r.id();
    }
    QCOMPARE(QSet<QString>(ids.cbegin(), ids.cend()).size(), n);  // ids are unique
    QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == n; }, kWaitMs));
    for (const QString &id : std::as_const(ids))
        QCOMPARE(rec.outcomes.value(id), QStringLiteral("delivered"));
    QCOMPARE(rec.doubleOutcomes, 0);
    QCOMPARE(rec.order, ids);  // acks are cumulative: delivered in send order
    QVERIFY(waitUntil([&] { return client.queueDepth() == 0; }, kWaitMs));
    const ClientStats stats = client.stats();
    QCOMPARE(stats.acked, quint64(n));
    QCOMPARE(stats.queueDepth, 0);
}

void tst_ClientE2E::atMostOnceEndsSent()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    SendOptions o;
    o.delivery = Delivery::AtMostOnce;
    const SendResult r = client.send(QStringLiteral("typing"), o);
    QVERIFY(r.isOk());
    QVERIFY(waitUntil([&] { return rec.outcomes.contains(r.id()); }, kWaitMs));
    QCOMPARE(rec.outcomes.value(r.id()), QStringLiteral("sent"));
}

void tst_ClientE2E::requestEcho_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addColumn<QCborValue>("params");
    QCborMap map;
    map.insert(QStringLiteral("a"), QCborArray{1, 2.5, QStringLiteral("x"), true, QCborValue(QCborValue::Null)});
    QTest::addRow("json map") << Codec::Json << QCborValue(map);
    QTest::addRow("cbor map") << Codec::Cbor << QCborValue(map);
    QTest::addRow("json string") << Codec::Json << QCborValue(QStringLiteral("h\u00e9llo"));
    QTest::addRow("cbor bytes") << Codec::Cbor << QCborValue(QByteArray("\x00\x01\xff", 3));
}

void tst_ClientE2E::requestEcho()
{
    QFETCH(Codec, codec);
    QFETCH(QCborValue, params);
    Client client(m_server.url(), fastOptions(codec));
    Recorder rec(&client);
    client.open();  // the request is made before the connection: it waits in the outbox
    std::unique_ptr<Reply> reply(client.request(QStringLiteral("echo"), params));
    QVERIFY(reply);
    QSignalSpy finished(reply.get(), &Reply::finished);
    QVERIFY(!reply->isFinished());
    QVERIFY(waitUntil([&] { return reply->isFinished(); }, kWaitMs));
    QCOMPARE(finished.size(), 1);
    QVERIFY2(!reply->error().isError(), qPrintable(reply->error().toString()));
    QCOMPARE(reply->result(), params);
    QCOMPARE(reply->method(), QStringLiteral("echo"));
}

void tst_ClientE2E::requestServerError()
{
    Client client(m_server.url(), fastOptions());
    client.open();
    QCborMap params;
    params.insert(QStringLiteral("code"), QStringLiteral("boom"));
    params.insert(QStringLiteral("msg"), QStringLiteral("as asked"));
    params.insert(QStringLiteral("data"), 7);
    std::unique_ptr<Reply> reply(client.request(QStringLiteral("fail"), QCborValue(params)));
    QSignalSpy errors(reply.get(), &Reply::errorOccurred);
    QVERIFY(waitUntil([&] { return reply->isFinished(); }, kWaitMs));
    QCOMPARE(errors.size(), 1);
    QCOMPARE(reply->error().code(), Error::Rejected);
    QCOMPARE(reply->error().serverCode(), QStringLiteral("boom"));
    QCOMPARE(reply->error().message(), QStringLiteral("as asked"));
    QCOMPARE(reply->error().data(), QCborValue(7));
    QVERIFY(reply->result().isUndefined());

    std::unique_ptr<Reply> unknown(client.request(QStringLiteral("no.such.method")));
    QVERIFY(waitUntil([&] { return unknown->isFinished(); }, kWaitMs));
    QCOMPARE(unknown->error().serverCode(), QStringLiteral("unknown_method"));
}

void tst_ClientE2E::callFuture()
{
    Client client(m_server.url(), fastOptions());
    client.open();
    QFuture<QCborValue> ok = client.call(QStringLiteral("echo"), QVariant(QStringLiteral("hi")));
    Error failure;
    QFuture<QCborValue> bad = client.call(QStringLiteral("fail"))
        .onFailed([&failure](const RequestError &e) { failure = e.error(); return QCborValue(); });
    QVERIFY(waitUntil([&] { return ok.isFinished() && bad.isFinished(); }, kWaitMs));
    QCOMPARE(ok.result(), QCborValue(QStringLiteral("hi")));
    QCOMPARE(failure.code(), Error::Rejected);
}

void tst_ClientE2E::replyAbortIgnoresLateAnswer()
{
    Client client(m_server.url(), fastOptions());
    client.open();
    QCborMap params;
    params.insert(QStringLiteral("ms"), 200);
    std::unique_ptr<Reply> reply(client.request(QStringLiteral("sleep"), QCborValue(params)));
    QSignalSpy finished(reply.get(), &Reply::finished);
    reply->abort();
    QCOMPARE(finished.size(), 1);
    QCOMPARE(reply->error().code(), Error::Aborted);
    // The answer arrives later and changes nothing; the client keeps working.
    std::unique_ptr<Reply> after(client.request(QStringLiteral("sleep"), QCborValue(params)));
    QVERIFY(waitUntil([&] { return after->isFinished(); }, kWaitMs));
    QVERIFY(!after->error().isError());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(reply->error().code(), Error::Aborted);
}

void tst_ClientE2E::publicationReachesOtherSubscriber_data()
{
    firstConnect_data();
}

void tst_ClientE2E::publicationReachesOtherSubscriber()
{
    QFETCH(Codec, codec);
    Client alice(m_server.url(), fastOptions(codec));
    Client bob(m_server.url(), fastOptions(codec));
    Recorder bobRec(&bob);
    alice.open();
    bob.open();
    const QString channel = QStringLiteral("room-%1").arg(int(codec));
    std::unique_ptr<Reply> sub(bob.subscribe(channel));
    QVERIFY(waitUntil([&] { return sub->isFinished(); }, kWaitMs));
    QVERIFY2(!sub->error().isError(), qPrintable(sub->error().toString()));
    QCOMPARE(bob.channels(), QStringList{channel});

    SendOptions o;
    o.channel = channel;
    const SendResult r = alice.send(QJsonObject{{QStringLiteral("text"), QStringLiteral("hello bob")}}, o);
    QVERIFY(r.isOk());
    QVERIFY(waitUntil([&] {
        for (const Message &m : std::as_const(bobRec.messages))
            if (m.id() == r.id())
                return true;
        return false;
    }, kWaitMs));
    for (const Message &m : std::as_const(bobRec.messages)) {
        if (m.id() != r.id())
            continue;  // presence events
        QCOMPARE(m.channel(), channel);
        QVERIFY(m.isReliable());
        QCOMPARE(m.toJson().toObject().value(QStringLiteral("text")).toString(), QStringLiteral("hello bob"));
    }

    std::unique_ptr<Reply> unsub(bob.unsubscribe(channel));
    QVERIFY(waitUntil([&] { return unsub->isFinished(); }, kWaitMs));
    QVERIFY(!unsub->error().isError());
    QVERIFY(bob.channels().isEmpty());
}

void tst_ClientE2E::pushedMessagesArriveOnceInOrder_data()
{
    firstConnect_data();
}

void tst_ClientE2E::pushedMessagesArriveOnceInOrder()
{
    QFETCH(Codec, codec);
    Client client(m_server.url(), fastOptions(codec));
    Recorder rec(&client);
    client.open();
    const int n = 2000;
    QCborMap params;
    params.insert(QStringLiteral("count"), n);
    std::unique_ptr<Reply> push(client.request(QStringLiteral("push"), QCborValue(params)));
    QVERIFY(waitUntil([&] { return rec.messages.size() >= n; }, kWaitMs));
    QVERIFY(waitUntil([&] { return push->isFinished(); }, kWaitMs));
    QCOMPARE(rec.messages.size(), n);
    for (int i = 0; i < n; ++i) {
        QCOMPARE(rec.messages.at(i).payload().toMap().value(QStringLiteral("n")).toInteger(), i + 1);
        QVERIFY(rec.messages.at(i).isReliable());
    }
    QCOMPARE(client.stats().received, quint64(n));
}

void tst_ClientE2E::closeEndsInClosed()
{
    ClientOptions o = fastOptions();
    Client client(m_server.url(), o);
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    client.close();
    QVERIFY(waitUntil([&] { return client.state() == State::Closed; }, kWaitMs));
    QTRY_COMPARE_WITH_TIMEOUT(rec.disconnects.size(), 1, kWaitMs);
    QCOMPARE(rec.disconnects.first(), 1000);
    Testing::spin(300);  // no reconnect after an app close
    QCOMPARE(client.state(), State::Closed);
    QCOMPARE(rec.connects.size(), 1);
    // open() again starts over.
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
}

void tst_ClientE2E::sendWhileIdleIsQueuedThenDelivered()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    const SendResult r = client.send(QStringLiteral("early"));
    QVERIFY(r.isOk());
    QCOMPARE(client.queueDepth(), 1);
    client.open();
    QVERIFY(waitUntil([&] { return rec.outcomes.value(r.id()) == QStringLiteral("delivered"); }, kWaitMs));
    QCOMPARE(client.queueDepth(), 0);
}

void tst_ClientE2E::heartbeatReportsRtt()
{
    // The server asks for a 300 ms heartbeat (welcome.hb, see initTestCase).
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return !rec.rtts.isEmpty(); }, kWaitMs));
    QVERIFY(rec.rtts.first().count() >= 0);
    QCOMPARE(client.lastRtt(), rec.rtts.last());
    QVERIFY(client.stats().lastRttUs >= 0);
}

void tst_ClientE2E::openWithoutUrlFails()
{
    Client client;
    QSignalSpy errors(&client, &Client::errorOccurred);
    client.open();
    QCOMPARE(errors.size(), 1);
    QCOMPARE(client.error().code(), Error::NoUrl);
    QCOMPARE(client.state(), State::Idle);
}

// A slot connected to the client's signals may send, request and close: the facade finishes
// the batch it was dispatching and then performs what the slot asked for.
void tst_ClientE2E::slotsMayCallBackIntoTheClient()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    QStringList answers;
    bool requested = false;
    connect(&client, &Client::messageReceived, &client, [&](const Message &m) {
        answers << client.send(QJsonObject{{QStringLiteral("re"), m.payload().toMap().value(QStringLiteral("n")).toInteger()}}).id();
    });
    connect(&client, &Client::connected, &client, [&] {
        if (requested)
            return;
        requested = true;
        QCborMap params;
        params.insert(QStringLiteral("count"), 50);
        client.request(QStringLiteral("push"), QCborValue(params))->setAutoDelete(true);
    });
    client.open();
    QVERIFY(waitUntil([&] { return answers.size() == 50 && rec.count(QStringLiteral("delivered")) == 50; }, kWaitMs));
    QCOMPARE(rec.order, answers);
    connect(&client, &Client::delivered, &client, [&] { client.close(); });
    client.send(QStringLiteral("last"));
    QVERIFY(waitUntil([&] { return client.state() == State::Closed; }, kWaitMs));
}

QTEST_GUILESS_MAIN(tst_ClientE2E)
#include "tst_client_e2e.moc"
