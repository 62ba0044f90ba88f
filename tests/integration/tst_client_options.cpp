// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Client::setOptions() on a live client, over real sockets against the reference server:
// nothing queued, in flight, subscribed or counted is lost, and the new values are in
// effect on the open connection (heartbeat, in-flight window, queue bounds) or at the next
// one (codec). The server runs with --heartbeat 0 so that the client's own heartbeat
// interval governs (welcome.hb would override it).
#include "client_harness.h"

#include "fault_proxy.h"
#include "server_process.h"
#include "wait.h"

#include <QtTest/QtTest>

#include <memory>
#include <vector>

using namespace Tether;
using namespace Tether::Testing;
using namespace std::chrono_literals;

namespace {
const QString kChannel = QStringLiteral("room.options");

bool receivedAll(const Recorder &rec, const QStringList &ids)
{
    QSet<QString> got;
    for (const Message &m : rec.messages)
        got.insert(m.id());
    for (const QString &id : ids)
        if (!got.contains(id))
            return false;
    return true;
}
} // namespace

class tst_ClientOptions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    void liveChangesLoseNothingAndApplyOnTheOpenSocket();
    void heartbeatTimeoutLoweredFindsABlackholeSooner();
    void loweredQueueBoundKeepsWhatIsQueued();
    void invalidOptionsChangeNothing();
    void codecChangesAtTheNextConnection();

private:
    Client *newClient(const ClientOptions &options, const QUrl &url);
    Client *connectedClient(const ClientOptions &options, const QUrl &url, Recorder **recorder = nullptr);

    ServerProcess m_server{{QStringLiteral("--heartbeat"), QStringLiteral("0")}};
    FaultProxy m_proxy;
    std::vector<std::unique_ptr<Client>> m_clients;
    std::vector<std::unique_ptr<Recorder>> m_recorders;
};

void tst_ClientOptions::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY2(m_proxy.start(m_server.host(), m_server.port()), qPrintable(m_proxy.errorString()));
}

void tst_ClientOptions::cleanupTestCase()
{
    m_server.stop();
}

// Clients die with their test: lambdas connected in a test capture its locals.
void tst_ClientOptions::cleanup()
{
    m_recorders.clear();
    m_clients.clear();
    m_proxy.clearFaults();
}

Client *tst_ClientOptions::newClient(const ClientOptions &options, const QUrl &url)
{
    m_clients.push_back(std::make_unique<Client>(url, options));
    return m_clients.back().get();
}

Client *tst_ClientOptions::connectedClient(const ClientOptions &options, const QUrl &url, Recorder **recorder)
{
    Client *client = newClient(options, url);
    m_recorders.push_back(std::make_unique<Recorder>(client));
    Recorder *rec = m_recorders.back().get();
    if (recorder)
        *recorder = rec;
    client->open();
    if (!waitUntil([&] { return rec->connectedCount(1); }, kWaitMs))
        return nullptr;
    return client;
}

// The settings-dialog case: heartbeat, window, bounds, backoff and request timeout change
// while 400 messages are queued or in flight, a request is pending and a channel is
// subscribed. Same socket, same session; every message delivered once, in order; the
// subscription and the counters go on; the new heartbeat interval runs on this socket.
void tst_ClientOptions::liveChangesLoseNothingAndApplyOnTheOpenSocket()
{
    ClientOptions o = fastOptions();
    o.queue.maxInFlight = 4;  // a burst stays mostly queued
    Recorder *rec = nullptr;
    Client *client = connectedClient(o, m_server.url(), &rec);
    QVERIFY(client);
    Client *publisher = connectedClient(fastOptions(), m_server.url());
    QVERIFY(publisher);
    std::unique_ptr<Reply> sub(client->subscribe(kChannel));
    QVERIFY(waitUntil([&] { return sub->isFinished(); }, kWaitMs));
    QVERIFY2(!sub->error().isError(), qPrintable(sub->error().toString()));
    QStringList sent;
    for (int i = 0; i < 50; ++i)  // counters above zero before the change
        sent << client->send(QCborValue(i)).id();
    QVERIFY(waitUntil([&] { return rec->count(QStringLiteral("delivered")) == 50; }, kWaitMs));
    const QString session = client->sessionId();

    for (int i = 0; i < 400; ++i)
        sent << client->send(QCborValue(1000 + i)).id();
    std::unique_ptr<Reply> echo(client->request(QStringLiteral("echo"), QCborValue(QStringLiteral("across"))));
    // v1.1 writes at the end of the event-loop turn (a call posted to the client): run just
    // that, not the sockets, so no ack can come back before the counters are read.
    QCoreApplication::sendPostedEvents(client);
    const ClientStats before = client->stats();
    QCOMPARE(before.inFlight, 4);
    QCOMPARE(before.queueDepth, 400);
    QCOMPARE(before.acked, 50u);
    QVERIFY(rec->rtts.isEmpty());  // a 15 s interval: no ping yet

    ClientOptions changed = client->options();
    changed.heartbeat.interval = 100ms;
    changed.heartbeat.timeout = 5s;
    changed.queue.maxInFlight = 64;
    changed.queue.maxMessages = 5000;
    changed.backoff.maxDelay = 500ms;
    changed.requestTimeout = 20s;
    QVERIFY(client->setOptions(changed));
    QCOMPARE(client->options().queue.maxInFlight, 64);
    QCoreApplication::sendPostedEvents(client);      // v1.1: the end of this turn's writes
    const ClientStats right = client->stats();
    QCOMPARE(right.acked, before.acked);            // not reset
    QCOMPARE(right.queueDepth, before.queueDepth);  // nothing dropped
    QVERIFY2(right.inFlight > before.inFlight, "the wider window sends at once");

    SendOptions pub;
    pub.channel = kChannel;
    QStringList published;
    for (int i = 0; i < 10; ++i)
        published << publisher->send(QCborValue(i), pub).id();

    QVERIFY(waitUntil([&] { return rec->count(QStringLiteral("delivered")) == 450; }, kWaitMs));
    QVERIFY(waitUntil([&] { return receivedAll(*rec, published); }, kWaitMs));
    QVERIFY(waitUntil([&] { return echo->isFinished(); }, kWaitMs));
    QVERIFY2(!echo->error().isError(), qPrintable(echo->error().toString()));
    QCOMPARE(echo->result(), QCborValue(QStringLiteral("across")));
    QCOMPARE(rec->order, sent);  // each once, in send order
    QCOMPARE(rec->doubleOutcomes, 0);
    QCOMPARE(rec->outcomes.size(), 450);
    QVERIFY(rec->disconnects.isEmpty());
    QCOMPARE(rec->connects.size(), 1);
    QCOMPARE(client->sessionId(), session);
    QVERIFY2(rec->errors.isEmpty(), qPrintable(rec->errors.value(0).toString()));
    QCOMPARE(client->channels(), QStringList{kChannel});

    // The 100 ms interval on the socket opened with 15 s.
    QVERIFY(waitUntil([&] { return rec->rtts.size() >= 3; }, 3000));
    const ClientStats after = client->stats();
    QCOMPARE(after.acked, 450u);
    QVERIFY(after.sent >= 450u);
    QCOMPARE(after.reconnects, 0u);
    QCOMPARE(after.retransmitted, 0u);
    QVERIFY(after.received >= quint64(published.size()));
}

// heartbeat.timeout lowered on a connected client: a half-open link is then found in about
// interval + the new timeout, not the 10 s it was opened with. Messages sent into the
// blackhole are resent after the reconnect.
void tst_ClientOptions::heartbeatTimeoutLoweredFindsABlackholeSooner()
{
    ClientOptions o = fastOptions();
    o.heartbeat.interval = 200ms;
    QCOMPARE(o.heartbeat.timeout, 10000ms);
    Recorder *rec = nullptr;
    Client *client = connectedClient(o, m_proxy.url(), &rec);
    QVERIFY(client);
    ClientOptions changed = client->options();
    changed.heartbeat.timeout = 400ms;
    QVERIFY(client->setOptions(changed));

    QElapsedTimer sinceBlackhole;
    qint64 detectedAfter = -1;
    // The lambda reads locals: its connection must end with them, not with the test object
    // (the client lives on in m_clients and emits stateChanged when it is deleted; ASan:
    // stack-use-after-scope).
    QObject scope;
    connect(client, &Client::stateChanged, &scope, [&](State s) {
        if (s == State::Reconnecting && detectedAfter < 0) {
            detectedAfter = sinceBlackhole.elapsed();
            m_proxy.setBlackhole(false);  // let the next connection through
        }
    });
    m_proxy.setBlackhole(true);
    sinceBlackhole.start();
    QStringList ids;
    for (int i = 0; i < 20; ++i)
        ids << client->send(QCborValue(i)).id();
    QVERIFY(waitUntil([&] { return detectedAfter >= 0; }, kWaitMs));
    // interval + timeout = 600 ms; the slack is for the heartbeat's phase and a loaded
    // machine, and stays far below the 10 s the socket was opened with.
    QVERIFY2(detectedAfter <= 600 + 1400, qPrintable(QString::number(detectedAfter)));
    bool heartbeatTimeout = false;
    for (const Error &e : std::as_const(rec->errors))
        heartbeatTimeout |= e.code() == Error::HeartbeatTimeout;
    QVERIFY(heartbeatTimeout);
    QVERIFY(waitUntil([&] { return rec->count(QStringLiteral("delivered")) == 20; }, kWaitMs));
    QCOMPARE(rec->order, ids);
    QCOMPARE(rec->doubleOutcomes, 0);
    QCOMPARE(rec->connects.size(), 2);
}

// Lowering the queue bound below what is queued (offline) trims nothing: RejectNew refuses
// the next send, and every queued message is delivered once the link is back.
void tst_ClientOptions::loweredQueueBoundKeepsWhatIsQueued()
{
    Recorder *rec = nullptr;
    Client *client = connectedClient(fastOptions(), m_proxy.url(), &rec);
    QVERIFY(client);
    QVERIFY(m_proxy.setRefuseNewConnections(true));
    m_proxy.cut();
    QVERIFY(waitUntil([&] { return client->state() == State::Reconnecting; }, kWaitMs));
    QStringList ids;
    for (int i = 0; i < 30; ++i)
        ids << client->send(QCborValue(i)).id();
    QCOMPARE(client->queueDepth(), 30);

    ClientOptions changed = client->options();
    changed.queue.maxMessages = 10;
    QVERIFY(client->setOptions(changed));
    QCOMPARE(client->queueDepth(), 30);
    const SendResult refused = client->send(QCborValue(99));
    QCOMPARE(refused.error().code(), Error::QueueFull);
    QVERIFY(rec->drops.isEmpty());

    QVERIFY(m_proxy.setRefuseNewConnections(false));
    QVERIFY(waitUntil([&] { return rec->count(QStringLiteral("delivered")) == 30; }, kWaitMs));
    QCOMPARE(rec->order, ids);
    QCOMPARE(rec->doubleOutcomes, 0);
    QCOMPARE(client->stats().droppedQueueFull, 0u);
    QCOMPARE(client->queueDepth(), 0);
}

// An invalid value on a connected client: false, errorOccurred(InvalidArgument, not fatal),
// nothing changed, the connection carries on.
void tst_ClientOptions::invalidOptionsChangeNothing()
{
    Recorder *rec = nullptr;
    Client *client = connectedClient(fastOptions(), m_server.url(), &rec);
    QVERIFY(client);
    ClientOptions bad = client->options();
    bad.heartbeat.interval = 100ms;  // valid, but the call is refused as a whole
    bad.heartbeat.timeout = -1ms;
    QVERIFY(!client->setOptions(bad));
    QCOMPARE(rec->errors.size(), 1);
    QCOMPARE(rec->errors.front().code(), Error::InvalidArgument);
    QVERIFY(!rec->errors.front().isFatal());
    QVERIFY2(rec->errors.front().message().contains(QLatin1StringView("heartbeat timeout")),
             qPrintable(rec->errors.front().message()));
    QCOMPARE(client->error().code(), Error::InvalidArgument);
    QCOMPARE(client->options().heartbeat.interval, 15000ms);
    QCOMPARE(client->state(), State::Connected);
    spin(500);
    QVERIFY(rec->rtts.isEmpty());  // the 100 ms interval was not applied
    const QString id = client->send(QStringLiteral("still fine")).id();
    QVERIFY(waitUntil([&] { return rec->outcomes.value(id) == QStringLiteral("delivered"); }, kWaitMs));
    QVERIFY(rec->disconnects.isEmpty());
}

// The codec never changes under an open socket: the switch comes with the next connection
// (the outbox being empty), and the subscription and the session's messages carry on.
void tst_ClientOptions::codecChangesAtTheNextConnection()
{
    Recorder *rec = nullptr;
    Client *client = connectedClient(fastOptions(), m_proxy.url(), &rec);
    QVERIFY(client);
    Client *publisher = connectedClient(fastOptions(), m_server.url());
    QVERIFY(publisher);
    std::unique_ptr<Reply> sub(client->subscribe(kChannel));
    QVERIFY(waitUntil([&] { return sub->isFinished(); }, kWaitMs));
    QCOMPARE(client->subprotocol(), sdkSubprotocol(QLatin1StringView("json")));

    ClientOptions changed = client->options();
    changed.codec = Codec::Cbor;
    QVERIFY(client->setOptions(changed));
    QCOMPARE(client->subprotocol(), sdkSubprotocol(QLatin1StringView("json")));
    QCOMPARE(client->state(), State::Connected);

    m_proxy.cut();
    QVERIFY(waitUntil([&] { return rec->connectedCount(2); }, kWaitMs));
    QCOMPARE(client->subprotocol(), sdkSubprotocol(QLatin1StringView("cbor")));
    SendOptions pub;
    pub.channel = kChannel;
    const QString published = publisher->send(QStringLiteral("after the switch"), pub).id();
    QVERIFY(waitUntil([&] { return receivedAll(*rec, {published}); }, kWaitMs));
    const QString id = client->send(QByteArray("\x00\x01", 2)).id();  // bytes: CBOR only
    QVERIFY(!id.isEmpty());
    QVERIFY(waitUntil([&] { return rec->outcomes.value(id) == QStringLiteral("delivered"); }, kWaitMs));
    QCOMPARE(rec->doubleOutcomes, 0);
}

QTEST_GUILESS_MAIN(tst_ClientOptions)
#include "tst_client_options.moc"
