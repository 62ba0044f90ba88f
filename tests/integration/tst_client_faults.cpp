// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client under real network faults (FaultProxy) and server restarts: nothing is
// lost, dead links are found in bounded time, reconnects follow the backoff.
#include "client_harness.h"

#include "fault_proxy.h"
#include "server_process.h"
#include "wait.h"

#include <QtCore/QCborMap>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QtTest>

#include <algorithm>

using namespace Tether;
using namespace Tether::Testing;
using namespace std::chrono_literals;

class tst_ClientFaults : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void resumeAfterCutLosesNothing_data();
    void resumeAfterCutLosesNothing();
    void newSessionAfterServerRestart();
    void blackholeDetectedWithinHeartbeat();
    void probeOnNetworkChangedFindsDeadLink();
    void appBecomingActiveProbesToo();
    void backoffDelaysFollowTheSchedule_data();
    void backoffDelaysFollowTheSchedule();
    void networkChangeSkipsTheBackoffWait();
    void refusedConnectionIsReportedAsRefused_data();
    void refusedConnectionIsReportedAsRefused();
    void httpErrorAnswerFailsAtOnce();
    void retryAfterIsHonoured();
    void requestTimeoutVersusConnectionLost();
    void retryableRequestSurvivesACut();

private:
    Client *newClient(const ClientOptions &options, const QUrl &url);
    ServerProcess m_server;
    FaultProxy m_proxy;
    std::vector<std::unique_ptr<Client>> m_clients;
};

void tst_ClientFaults::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY2(m_proxy.start(m_server.host(), m_server.port()), qPrintable(m_proxy.errorString()));
}

// Clients die with their test: lambdas connected in a test capture its locals.
void tst_ClientFaults::cleanup()
{
    m_clients.clear();
}

void tst_ClientFaults::init()
{
    m_proxy.clearFaults();
    if (!m_server.isRunning())
        QVERIFY2(m_server.start(m_server.port()), qPrintable(m_server.errorString()));
}

void tst_ClientFaults::cleanupTestCase()
{
    m_clients.clear();
    m_server.stop();
}

Client *tst_ClientFaults::newClient(const ClientOptions &options, const QUrl &url)
{
    m_clients.push_back(std::make_unique<Client>(url, options));
    return m_clients.back().get();
}

void tst_ClientFaults::resumeAfterCutLosesNothing_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addRow("json") << Codec::Json;
    QTest::addRow("cbor") << Codec::Cbor;
}

// A reset in the middle of traffic both ways: the session resumes, every message arrives
// exactly once and in order on both sides.
void tst_ClientFaults::resumeAfterCutLosesNothing()
{
    QFETCH(Codec, codec);
    Client *client = newClient(fastOptions(codec), m_proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));

    const int pushes = 3000;
    QCborMap params;
    params.insert(QStringLiteral("count"), pushes);
    std::unique_ptr<Reply> push(client->request(QStringLiteral("push"), QCborValue(params)));
    QStringList ids;
    for (int i = 0; i < 300; ++i) {
        ids << client->send(QCborValue(i)).id();
        if (i == 150) {
            // Cut once the server is busy pushing, so messages are in flight both ways.
            QVERIFY(waitUntil([&] { return rec.messages.size() >= 10; }, kWaitMs));
            m_proxy.cut();
        }
    }
    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
    QCOMPARE(rec.connects, (QList<bool>{false, true}));  // resumed: the server kept the session
    QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == ids.size(); }, kWaitMs));
    QVERIFY(waitUntil([&] { return rec.messages.size() >= pushes; }, kWaitMs));
    Testing::spin(100);  // nothing more may arrive
    QCOMPARE(rec.messages.size(), pushes);
    for (int i = 0; i < pushes; ++i)
        QCOMPARE(rec.messages.at(i).payload().toMap().value(QStringLiteral("n")).toInteger(), i + 1);
    QCOMPARE(rec.order, ids);
    QCOMPARE(rec.doubleOutcomes, 0);
    QCOMPARE(rec.sessionsLost, 0);
}

// The server process dies and comes back empty: a new session, sessionLost(), the queued
// messages renumbered and delivered, the channel subscribed again.
void tst_ClientFaults::newSessionAfterServerRestart()
{
    Client *client = newClient(fastOptions(), m_server.url());
    Recorder rec(client);
    client->open();
    std::unique_ptr<Reply> sub(client->subscribe(QStringLiteral("news")));
    QVERIFY(waitUntil([&] { return sub->isFinished(); }, kWaitMs));
    QVERIFY(!sub->error().isError());
    const QString firstSession = client->sessionId();

    m_server.kill();  // a crash: nothing acknowledged after this point survives
    QStringList ids;
    for (int i = 0; i < 50; ++i)
        ids << client->send(QCborValue(i)).id();
    QVERIFY(waitUntil([&] { return client->state() == State::Reconnecting; }, kWaitMs));
    QVERIFY2(m_server.start(m_server.port()), qPrintable(m_server.errorString()));

    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
    QCOMPARE(rec.connects.last(), false);
    QVERIFY(client->sessionId() != firstSession);
    QVERIFY(waitUntil([&] { return rec.sessionsLost == 1; }, kWaitMs));
    QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == ids.size(); }, kWaitMs));
    QCOMPARE(rec.order, ids);
    QCOMPARE(client->channels(), QStringList{QStringLiteral("news")});

    // The subscription was restored by the SDK: a publication from another client arrives.
    Client *publisher = newClient(fastOptions(), m_server.url());
    publisher->open();
    SendOptions o;
    o.channel = QStringLiteral("news");
    const QString id = publisher->send(QStringLiteral("extra"), o).id();
    QVERIFY(waitUntil([&] {
        for (const Message &m : std::as_const(rec.messages))
            if (m.id() == id)
                return true;
        return false;
    }, kWaitMs));
}

// A half-open link (nothing passes, no FIN, no RST) is declared dead within the heartbeat
// interval + timeout; the client reconnects and resumes.
void tst_ClientFaults::blackholeDetectedWithinHeartbeat()
{
    // The interval is the server's wish (welcome.hb) when it states one.
    ServerProcess server({QStringLiteral("--heartbeat"), QStringLiteral("400")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), server.port()));
    ClientOptions o = fastOptions();
    o.heartbeat.timeout = 400ms;
    Client *client = newClient(o, proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));

    QElapsedTimer sinceBlackhole;
    qint64 detectedAfter = -1;
    // The lambda reads locals: its connection must end with them, not with the test object
    // (the client lives on in m_clients and emits stateChanged when it is deleted; ASan:
    // stack-use-after-scope).
    QObject scope;
    connect(client, &Client::stateChanged, &scope, [&](State s) {
        if (s == State::Reconnecting && detectedAfter < 0) {
            detectedAfter = sinceBlackhole.elapsed();
            proxy.setBlackhole(false);  // let the next connection through
        }
    });
    proxy.setBlackhole(true);
    sinceBlackhole.start();
    QVERIFY(waitUntil([&] { return detectedAfter >= 0; }, kWaitMs));
    // interval + timeout = 800 ms; allow for the phase of the heartbeat and a loaded machine.
    QVERIFY2(detectedAfter <= 800 + 700, qPrintable(QString::number(detectedAfter)));
    bool heartbeatTimeout = false;
    for (const Error &e : std::as_const(rec.errors))
        heartbeatTimeout |= e.code() == Error::HeartbeatTimeout;
    QVERIFY(heartbeatTimeout);
    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
    QCOMPARE(rec.connects.last(), true);  // the server still had the session
}

// notifyNetworkChanged() probes at once: a dead link is found within the probe timeout
// (3 s by default) even with a 15 s heartbeat.
void tst_ClientFaults::probeOnNetworkChangedFindsDeadLink()
{
    ClientOptions o = fastOptions();
    QCOMPARE(o.heartbeat.interval, 15000ms);
    QCOMPARE(o.heartbeat.probeTimeout, 3000ms);
    Client *client = newClient(o, m_proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    m_proxy.setBlackhole(true);
    QElapsedTimer timer;
    timer.start();
    client->notifyNetworkChanged();
    // 3 s probe timeout; the slack is for a loaded CI machine (ctest -j), not for the SDK.
    QVERIFY(waitUntil([&] { return client->state() == State::Reconnecting; }, 3000 + 1000));
    QVERIFY2(timer.elapsed() >= 2900, qPrintable(QString::number(timer.elapsed())));  // not a guess: the probe
    m_proxy.setBlackhole(false);
    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
}

void tst_ClientFaults::appBecomingActiveProbesToo()
{
    ClientOptions o = fastOptions();
    o.heartbeat.probeTimeout = 500ms;
    Client *client = newClient(o, m_proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    m_proxy.setBlackhole(true);
    client->notifyAppStateChanged(Qt::ApplicationSuspended);  // no effect
    client->notifyAppStateChanged(Qt::ApplicationActive);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(waitUntil([&] { return client->state() == State::Reconnecting; }, 500 + 1000));
    m_proxy.setBlackhole(false);
    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
}

void tst_ClientFaults::backoffDelaysFollowTheSchedule_data()
{
    QTest::addColumn<JitterMode>("jitter");
    QTest::addRow("no jitter: exact exponential") << JitterMode::None;
    QTest::addRow("full jitter: within [0, d], one attempt per window") << JitterMode::Full;
    QTest::addRow("equal jitter: within [d/2, d]") << JitterMode::Equal;
}

// Against a refusing endpoint: reconnecting(attempt, delay) announces delays that follow
// min(max, initial * 2^(n-1)) under the jitter mode, and the next attempt really waits them.
void tst_ClientFaults::backoffDelaysFollowTheSchedule()
{
    QFETCH(JitterMode, jitter);
    ClientOptions o = fastOptions();
    o.backoff.initialDelay = 100ms;
    o.backoff.multiplier = 2.0;
    o.backoff.maxDelay = 800ms;
    o.backoff.jitter = jitter;
    QVERIFY(m_proxy.setRefuseNewConnections(true));
    Client *client = newClient(o, m_proxy.url());
    Recorder rec(client);
    QList<qint64> attemptStarts;  // Reconnecting -> Connecting transitions
    QElapsedTimer clock;
    clock.start();
    QList<qint64> announced;
    // The lambda reads locals: its connection must end with them, not with the test object
    // (the client lives on in m_clients and emits stateChanged when it is deleted; ASan:
    // stack-use-after-scope).
    QObject scope;
    connect(client, &Client::stateChanged, &scope, [&](State s) {
        if (s == State::Connecting)
            attemptStarts << clock.elapsed();
    });
    connect(client, &Client::reconnecting, &scope, [&](int, std::chrono::milliseconds) {
        announced << clock.elapsed();
    });
    client->open();
    const int attempts = 6;
    QVERIFY(waitUntil([&] { return rec.reconnects.size() >= attempts && attemptStarts.size() > attempts; }, kWaitMs));
    client->close();

    for (int i = 0; i < attempts; ++i) {
        const auto [attempt, delay] = rec.reconnects.at(i);
        QCOMPARE(attempt, i + 1);
        const qint64 cap = qMin<qint64>(800, 100LL << i);
        const qint64 d = delay.count();
        switch (jitter) {
        case JitterMode::None: QCOMPARE(d, cap); break;
        case JitterMode::Full: QVERIFY2(d >= 0 && d <= cap, qPrintable(QString::number(d))); break;
        case JitterMode::Equal: QVERIFY2(d >= cap / 2 && d <= cap, qPrintable(QString::number(d))); break;
        }
        // The attempt after the announcement waited the announced delay (timer granularity
        // and a loaded machine allowed for).
        const qint64 waited = attemptStarts.at(i + 1) - announced.at(i);
        QVERIFY2(waited >= d - 2 && waited <= d + 300,
                 qPrintable(QStringLiteral("attempt %1: announced %2 ms, waited %3 ms").arg(i + 1).arg(d).arg(waited)));
    }
    if (jitter == JitterMode::Full) {
        // Full: one attempt per window, the windows (100, 200, 400, 800, 800, ... ms) laid end
        // to end from the first failure, each attempt at the fraction of its window the first
        // delay shows (a late attempt may have skipped a window: any window's point will do).
        const double phase = double(rec.reconnects.at(0).second.count()) / 100.0;
        QList<qint64> grid;
        for (qint64 start = 0, i = 0; i < 16; start += qMin<qint64>(800, 100LL << i), ++i)
            grid << start + qint64(phase * double(qMin<qint64>(800, 100LL << i)));
        for (int i = 0; i < attempts; ++i) {
            const qint64 at = attemptStarts.at(i + 1) - announced.at(0);
            const bool onGrid = std::any_of(grid.begin(), grid.end(),
                                            [&](qint64 p) { return at >= p - 10 && at <= p + 300; });
            QVERIFY2(onGrid, qPrintable(QStringLiteral("attempt %1 at %2 ms, phase %3").arg(i + 1).arg(at).arg(phase)));
        }
    }
    QVERIFY(m_proxy.setRefuseNewConnections(false));
}

void tst_ClientFaults::networkChangeSkipsTheBackoffWait()
{
    ClientOptions o = fastOptions();
    o.backoff.initialDelay = 5000ms;
    o.backoff.maxDelay = 5000ms;
    o.backoff.jitter = JitterMode::None;
    QVERIFY(m_proxy.setRefuseNewConnections(true));
    Client *client = newClient(o, m_proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return !rec.reconnects.isEmpty(); }, kWaitMs));
    QCOMPARE(rec.reconnects.first().second, 5000ms);
    QVERIFY(m_proxy.setRefuseNewConnections(false));
    QElapsedTimer timer;
    timer.start();
    client->notifyNetworkChanged();  // "the network is back": try now
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, 2000));
    QVERIFY(timer.elapsed() < 2000);
}

void tst_ClientFaults::refusedConnectionIsReportedAsRefused_data()
{
    QTest::addColumn<QString>("scheme");
    QTest::addColumn<int>("maxAttempts");
    QTest::addRow("ws, retrying forever") << QStringLiteral("ws") << 0;
    QTest::addRow("ws, maxAttempts 2: fails after the refusals") << QStringLiteral("ws") << 2;
    // Over TLS Qt reports the error even later (after disconnected(), not yet held by it).
    QTest::addRow("wss, maxAttempts 2: fails after the refusals") << QStringLiteral("wss") << 2;
}

// Nothing listens on the port (the proxy refuses): every attempt reports ConnectionRefused
// (a Transport error, not fatal), never a generic NetworkError, and the client retries
// until it gets through, or gives up with MaxAttempts.
void tst_ClientFaults::refusedConnectionIsReportedAsRefused()
{
    QFETCH(QString, scheme);
    QFETCH(int, maxAttempts);
    ClientOptions o = fastOptions();
    o.backoff.maxAttempts = maxAttempts;
    QVERIFY(m_proxy.setRefuseNewConnections(true));
    QUrl url = m_proxy.url();
    url.setScheme(scheme);
    Client *client = newClient(o, url);
    Recorder rec(client);
    client->open();
    if (maxAttempts == 0) {
        QVERIFY(waitUntil([&] { return rec.errors.size() >= 3; }, kWaitMs));
    } else {
        QVERIFY(waitUntil([&] { return !rec.failures.isEmpty(); }, kWaitMs));
        QCOMPARE(rec.failures.first().code(), Error::MaxAttempts);
        QVERIFY(rec.failures.first().isFatal());
        QCOMPARE(rec.errors.size(), maxAttempts + 2);  // each refusal, then the failure itself
        QCOMPARE(rec.errors.last().code(), Error::MaxAttempts);
    }
    const QList<Error> errors = rec.errors;
    for (qsizetype i = 0; i < (maxAttempts == 0 ? errors.size() : errors.size() - 1); ++i) {
        const Error &e = errors.at(i);
        QVERIFY2(e.code() == Error::ConnectionRefused, qPrintable(e.toString()));
        QCOMPARE(e.kind(), Error::Transport);
        QVERIFY(!e.isFatal());
    }
    QVERIFY(rec.connects.isEmpty());
    QVERIFY(m_proxy.setRefuseNewConnections(false));
    if (maxAttempts == 0) {
        QCOMPARE(client->error().code(), Error::ConnectionRefused);
        QVERIFY(rec.failures.isEmpty());
        QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    }
}

// A load balancer with no node to offer answers the upgrade with an HTTP error and keeps the
// connection (nginx: 502 "no live upstreams", keep-alive). The attempt has failed there and
// then: the client retries after its short backoff, it does not sit out the handshake
// timeout on a connection that will never upgrade (that wait, 5 s per 502 while nginx had
// every node marked down after a kill, let a subscriber fall more than --session-buffer
// behind in tst_cluster_chaos_shards). Once the balancer has a node again, it connects.
void tst_ClientFaults::httpErrorAnswerFailsAtOnce()
{
    QTcpServer balancer;
    QVERIFY(balancer.listen(QHostAddress::LocalHost, 0));
    bool upstreamBack = false;
    int answered = 0;
    std::vector<std::unique_ptr<QTcpSocket>> tunnels;
    connect(&balancer, &QTcpServer::newConnection, &balancer, [&] {
        while (QTcpSocket *client = balancer.nextPendingConnection()) {
            if (upstreamBack) {
                // A plain TCP tunnel to the real server from now on.
                auto upstream = std::make_unique<QTcpSocket>();
                QTcpSocket *to = upstream.get();
                connect(client, &QTcpSocket::readyRead, to, [client, to] { to->write(client->readAll()); });
                connect(to, &QTcpSocket::readyRead, client, [client, to] { client->write(to->readAll()); });
                connect(to, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
                connect(client, &QTcpSocket::disconnected, to, &QTcpSocket::disconnectFromHost);
                to->connectToHost(m_server.host(), m_server.port());
                tunnels.push_back(std::move(upstream));
                continue;
            }
            connect(client, &QTcpSocket::readyRead, client, [client, &answered] {
                if (!client->readAll().contains("\r\n\r\n"))
                    return;
                ++answered;
                client->write("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
                              "Connection: keep-alive\r\n\r\n");   // and the connection stays
            });
        }
    });
    ClientOptions o = fastOptions();
    o.handshakeTimeout = 10s;
    Client *client = newClient(o, QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(balancer.serverPort())));
    Recorder rec(client);
    QElapsedTimer clock;
    clock.start();
    client->open();
    // Three failed attempts well within one handshake timeout.
    QVERIFY2(waitUntil([&] { return rec.errors.size() >= 3; }, 3000),
             qPrintable(QStringLiteral("%1 errors after %2 ms").arg(rec.errors.size()).arg(clock.elapsed())));
    QVERIFY(clock.elapsed() < 3000);
    QVERIFY(answered >= 3);
    for (const Error &e : std::as_const(rec.errors)) {
        QVERIFY2(e.code() != Error::HandshakeTimeout, qPrintable(e.toString()));
        QCOMPARE(e.kind(), Error::Transport);
        QVERIFY(!e.isFatal());
    }
    QVERIFY(rec.failures.isEmpty());
    upstreamBack = true;
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
}

// A server that is full says `error{server_full, retryAfter: 1000}` + 1013: the next
// attempt waits at least that long.
void tst_ClientFaults::retryAfterIsHonoured()
{
    ServerProcess full({QStringLiteral("--max-connections"), QStringLiteral("1")});
    QVERIFY2(full.start(), qPrintable(full.errorString()));
    Client *first = newClient(fastOptions(), full.url());
    Recorder firstRec(first);
    first->open();
    QVERIFY(waitUntil([&] { return firstRec.connectedCount(1); }, kWaitMs));

    Client *second = newClient(fastOptions(), full.url());
    Recorder rec(second);
    second->open();
    QVERIFY(waitUntil([&] { return !rec.reconnects.isEmpty(); }, kWaitMs));
    QVERIFY2(rec.reconnects.first().second >= 1000ms,
             qPrintable(QString::number(rec.reconnects.first().second.count())));
    first->close();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
}

// Three different endings for a request: its own timeout, the connection dropping under it,
// and (marked retryable) surviving the drop.
void tst_ClientFaults::requestTimeoutVersusConnectionLost()
{
    Client *client = newClient(fastOptions(), m_proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));

    QCborMap slow;
    slow.insert(QStringLiteral("ms"), 3000);
    RequestOptions shortTimeout;
    shortTimeout.timeout = 300ms;
    QElapsedTimer timer;
    timer.start();
    std::unique_ptr<Reply> timedOut(client->request(QStringLiteral("sleep"), QCborValue(slow), shortTimeout));
    QVERIFY(waitUntil([&] { return timedOut->isFinished(); }, kWaitMs));
    QCOMPARE(timedOut->error().code(), Error::Timeout);
    QVERIFY2(timer.elapsed() >= 290 && timer.elapsed() < 1500, qPrintable(QString::number(timer.elapsed())));

    std::unique_ptr<Reply> lost(client->request(QStringLiteral("sleep"), QCborValue(slow)));
    Testing::spin(50);  // on the wire
    m_proxy.cut();
    QVERIFY(waitUntil([&] { return lost->isFinished(); }, kWaitMs));
    QCOMPARE(lost->error().code(), Error::ConnectionLost);
    QVERIFY(lost->error().code() != Error::Timeout);
}

void tst_ClientFaults::retryableRequestSurvivesACut()
{
    Client *client = newClient(fastOptions(), m_proxy.url());
    Recorder rec(client);
    client->open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    QCborMap params;
    params.insert(QStringLiteral("ms"), 300);
    RequestOptions retryable;
    retryable.retryable = true;
    std::unique_ptr<Reply> reply(client->request(QStringLiteral("sleep"), QCborValue(params), retryable));
    Testing::spin(50);
    m_proxy.cut();
    QVERIFY(waitUntil([&] { return reply->isFinished(); }, kWaitMs));
    QVERIFY2(!reply->error().isError(), qPrintable(reply->error().toString()));
    QCOMPARE(reply->result().toMap().value(QStringLiteral("ms")).toInteger(), 300);
    QVERIFY(rec.connects.size() >= 2);
}

QTEST_GUILESS_MAIN(tst_ClientFaults)
#include "tst_client_faults.moc"
