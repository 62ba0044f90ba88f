// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Soak: two clients exchange reliable publications both ways for a bounded time while a
// FaultProxy injects a random fault every 0.5-3 s on one client's link and the server is
// restarted once. A ledger in the spirit of Jepsen's total-queue checker records every
// send (attempted -> delivered/rejected/dropped) and every delivery on the other side, and
// checks, from the apps' point of view: lost = 0, unexpected = 0, duplicates = 0, order
// kept per direction, every send ended exactly once, every request finished, queues drained.
//
// Duration: TETHER_SOAK_SECONDS (default 45 s of traffic, ~60 s in all); seed:
// TETHER_SOAK_SEED (printed, so a failing run can be replayed).
#include "client_harness.h"

#include "fault_proxy.h"
#include "server_process.h"
#include "wait.h"

#include <QtCore/QCborMap>
#include <QtCore/QRandomGenerator>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;
using namespace std::chrono_literals;

namespace {

// One direction of traffic: what the sender attempted and how each send ended, what the
// receiver got.
struct Ledger {
    explicit Ledger(const QString &name) : name(name) {}
    QString name;
    QHash<QString, qint64> attempted;     // id -> sequence number in the payload
    QHash<QString, QString> ended;        // id -> delivered/rejected/dropped
    int doubleEnds = 0;
    QSet<QString> received;
    int duplicates = 0;
    int unexpected = 0;
    int outOfOrder = 0;
    qint64 lastReceived = -1;
    qint64 next = 0;

    void attach(Client *sender, Client *receiver, const QString &channel)
    {
        auto end = [this](const QString &id, const QString &how) {
            if (!attempted.contains(id))
                return;  // not this direction's (e.g. a direct message)
            if (ended.contains(id))
                ++doubleEnds;
            ended.insert(id, how);
        };
        QObject::connect(sender, &Client::delivered, sender, [end](const QString &id) { end(id, QStringLiteral("delivered")); });
        QObject::connect(sender, &Client::rejected, sender, [end](const QString &id, const Error &) { end(id, QStringLiteral("rejected")); });
        QObject::connect(sender, &Client::dropped, sender, [end](const QString &id, DropReason) { end(id, QStringLiteral("dropped")); });
        QObject::connect(receiver, &Client::messageReceived, receiver, [this, channel](const Message &m) {
            if (m.channel() != channel || m.payload().toMap().contains(QStringLiteral("presence")))
                return;
            if (!attempted.contains(m.id())) {
                ++unexpected;
                return;
            }
            if (received.contains(m.id())) {
                ++duplicates;
                return;
            }
            received.insert(m.id());
            const qint64 n = attempted.value(m.id());
            if (n <= lastReceived)
                ++outOfOrder;
            lastReceived = n;
        });
    }
    int count(const QString &how) const
    {
        int c = 0;
        for (const QString &e : ended)
            c += e == how;
        return c;
    }
    // Delivered (acknowledged by the server) but never received by the other side.
    int lost() const
    {
        int c = 0;
        for (auto it = ended.cbegin(); it != ended.cend(); ++it)
            c += it.value() == QStringLiteral("delivered") && !received.contains(it.key());
        return c;
    }
    bool drained() const { return ended.size() == attempted.size() && lost() == 0; }
};

} // namespace

class tst_ClientSoak : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void soak();
};

void tst_ClientSoak::soak()
{
    const int seconds = qEnvironmentVariableIsSet("TETHER_SOAK_SECONDS")
        ? qEnvironmentVariableIntValue("TETHER_SOAK_SECONDS") : 45;
    const quint32 seed = qEnvironmentVariableIsSet("TETHER_SOAK_SEED")
        ? quint32(qEnvironmentVariableIntValue("TETHER_SOAK_SEED")) : QRandomGenerator::global()->generate();
    qInfo("soak: %d s of traffic, seed %u (TETHER_SOAK_SEED to replay)", seconds, seed);
    QRandomGenerator random(seed);

    // The server asks for a 500 ms heartbeat so a blackhole is found in about a second
    // (scaled in slow builds: under ASan on a loaded machine a 500 ms timeout also fires on
    // a healthy link, and every extra reconnect fails the requests in flight).
    const int heartbeatMs = Testing::scaledMs(500);
    ServerProcess server({QStringLiteral("--heartbeat"), QString::number(heartbeatMs)});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const quint16 port = server.port();
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), port));

    ClientOptions o = fastOptions(Codec::Cbor);
    o.heartbeat.timeout = std::chrono::milliseconds(heartbeatMs);
    Client faulty(proxy.url(), o);   // through the proxy: every fault hits it
    Client steady(server.url(), fastOptions(Codec::Json));  // direct: only the restart hits it
    Recorder faultyRec(&faulty);
    Recorder steadyRec(&steady);
    Ledger up(QStringLiteral("faulty -> steady"));
    Ledger down(QStringLiteral("steady -> faulty"));
    const QString upChannel = QStringLiteral("soak.up");
    const QString downChannel = QStringLiteral("soak.down");
    up.attach(&faulty, &steady, upChannel);
    down.attach(&steady, &faulty, downChannel);
    faulty.open();
    steady.open();

    // Both subscribed before traffic starts: publications reach only current subscribers.
    auto bothSubscribed = [&] {
        std::unique_ptr<Reply> a(steady.request(QStringLiteral("presence"), QCborValue(QCborMap{{QStringLiteral("ch"), upChannel}})));
        std::unique_ptr<Reply> b(steady.request(QStringLiteral("presence"), QCborValue(QCborMap{{QStringLiteral("ch"), downChannel}})));
        if (!waitUntil([&] { return a->isFinished() && b->isFinished(); }, kWaitMs))
            return false;
        return a->result().toMap().value(QStringLiteral("members")).toArray().size() == 1
            && b->result().toMap().value(QStringLiteral("members")).toArray().size() == 1;
    };
    std::unique_ptr<Reply> subUp(steady.subscribe(upChannel));
    std::unique_ptr<Reply> subDown(faulty.subscribe(downChannel));
    QVERIFY(waitUntil([&] { return subUp->isFinished() && subDown->isFinished(); }, kWaitMs));
    QVERIFY(!subUp->error().isError() && !subDown->error().isError());

    // Traffic: every 10 ms each side catches up with a schedule that reaches the target (plus
    // 15%) by the end of the traffic time, so late timer ticks on a loaded machine or the
    // pause around the restart do not leave the run short.
    const int targetEachWay = qMax(20000, seconds * 450);
    QElapsedTimer clock;
    qint64 pausedMs = 0;
    bool paused = false;
    int refused = 0;
    auto publish = [&](Client &from, Ledger &ledger, const QString &channel) {
        const double activeFraction = double(clock.elapsed() - pausedMs) / (seconds * 1000.0);
        const qint64 due = qMin<qint64>(qint64(targetEachWay * 1.15 * activeFraction) - ledger.next, 200);
        SendOptions so;
        so.channel = channel;
        for (qint64 i = 0; i < due; ++i) {
            QCborMap payload;
            payload.insert(QStringLiteral("n"), ledger.next);
            const SendResult r = from.send(QCborValue(payload), so);
            if (!r.isOk()) {
                ++refused;  // QueueFull while a long fault lasts: not attempted, retried later
                return;
            }
            ledger.attempted.insert(r.id(), ledger.next++);
        }
    };
    QTimer traffic;
    traffic.setInterval(10);
    connect(&traffic, &QTimer::timeout, this, [&] {
        if (paused)
            return;
        publish(faulty, up, upChannel);
        publish(steady, down, downChannel);
    });

    // Requests from the faulty side: each must finish exactly once (result or error).
    int requestsMade = 0, requestsOk = 0, requestsFailed = 0, requestsWrong = 0;
    QTimer requests;
    requests.setInterval(50);
    connect(&requests, &QTimer::timeout, this, [&] {
        if (paused)
            return;
        const int n = requestsMade++;
        Reply *reply = faulty.request(QStringLiteral("echo"), QCborValue(n));
        reply->setAutoDelete(true);
        connect(reply, &Reply::finished, this, [&, reply, n] {
            if (reply->error().isError())
                ++requestsFailed;
            else if (reply->result() == QCborValue(n))
                ++requestsOk;
            else
                ++requestsWrong;
        });
    });

    // Faults, every 0.5-3 s, on the faulty client's link.
    QMap<QString, int> faults;
    QTimer faultTimer;
    faultTimer.setSingleShot(true);
    std::function<void()> injectFault = [&] {
        if (!paused) {
            switch (random.bounded(5)) {
            case 0:
                proxy.cut();
                ++faults[QStringLiteral("cut (RST)")];
                break;
            case 1:
                proxy.closeAll();
                ++faults[QStringLiteral("clean close")];
                break;
            case 2:
                proxy.setBlackhole(true);
                QTimer::singleShot(1500, &proxy, [&] { proxy.setBlackhole(false); });
                ++faults[QStringLiteral("blackhole 1.5 s")];
                break;
            case 3:
                proxy.setDelay(FaultProxy::Direction::Both, 100);
                QTimer::singleShot(1000, &proxy, [&] { proxy.setDelay(FaultProxy::Direction::Both, 0); });
                ++faults[QStringLiteral("delay 100 ms for 1 s")];
                break;
            default:
                proxy.cut();
                proxy.setRefuseNewConnections(true);
                QTimer::singleShot(500, &proxy, [&] { proxy.setRefuseNewConnections(false); });
                ++faults[QStringLiteral("cut + refuse 0.5 s")];
                break;
            }
        }
        faultTimer.start(500 + int(random.bounded(2500)));
    };
    connect(&faultTimer, &QTimer::timeout, this, injectFault);

    clock.start();
    traffic.start();
    requests.start();
    faultTimer.start(500);

    // First half.
    Testing::spin(seconds * 1000 / 2);

    // The server restart: traffic paused and drained first, so that what the crash throws
    // away is only what the server held, never something an app was told was delivered.
    paused = true;
    QElapsedTimer pause;
    pause.start();
    proxy.clearFaults();
    QVERIFY2(waitUntil([&] { return up.drained() && down.drained(); }, 30000),
             qPrintable(QStringLiteral("before restart: up %1/%2 ended, down %3/%4 ended")
                            .arg(up.ended.size()).arg(up.attempted.size()).arg(down.ended.size()).arg(down.attempted.size())));
    server.kill();
    // Sent while the server is down: queued, renumbered in the new session, delivered.
    QStringList whileDown;
    for (int i = 0; i < 100; ++i)
        whileDown << faulty.send(QCborValue(i)).id();
    QVERIFY2(server.start(port), qPrintable(server.errorString()));
    QVERIFY(waitUntil([&] { return faulty.state() == State::Connected && steady.state() == State::Connected; }, kWaitMs));
    QVERIFY(waitUntil(bothSubscribed, kWaitMs));  // channels restored by the SDK
    QVERIFY(waitUntil([&] {
        for (const QString &id : std::as_const(whileDown))
            if (faultyRec.outcomes.value(id) != QStringLiteral("delivered"))
                return false;
        return true;
    }, kWaitMs));
    pausedMs = pause.elapsed();
    paused = false;

    // Second half.
    Testing::spin(qMax(0, int(seconds * 1000 + pausedMs - clock.elapsed())));
    traffic.stop();
    requests.stop();
    faultTimer.stop();
    proxy.clearFaults();
    proxy.setBlackhole(false);

    // Drain: every send ends, everything delivered is received, every request finishes.
    QVERIFY2(waitUntil([&] { return up.drained() && down.drained() && requestsOk + requestsFailed + requestsWrong == requestsMade; }, 60000),
             qPrintable(QStringLiteral("drain: up %1/%2 ended, %3 lost; down %4/%5 ended, %6 lost; requests %7/%8")
                            .arg(up.ended.size()).arg(up.attempted.size()).arg(up.lost())
                            .arg(down.ended.size()).arg(down.attempted.size()).arg(down.lost())
                            .arg(requestsOk + requestsFailed + requestsWrong).arg(requestsMade)));
    QVERIFY(waitUntil([&] { return faulty.queueDepth() == 0 && steady.queueDepth() == 0; }, kWaitMs));

    int faultCount = 0;
    for (auto it = faults.cbegin(); it != faults.cend(); ++it) {
        qInfo("soak: fault %-22s x %d", qPrintable(it.key()), it.value());
        faultCount += it.value();
    }
    for (const Ledger *l : {&up, &down}) {
        qInfo("soak: %s: attempted %lld, delivered %d, rejected %d, dropped %d, received %lld, "
              "lost %d, unexpected %d, duplicates %d, out of order %d, ended twice %d",
              qPrintable(l->name), qint64(l->attempted.size()), l->count(QStringLiteral("delivered")),
              l->count(QStringLiteral("rejected")), l->count(QStringLiteral("dropped")),
              qint64(l->received.size()), l->lost(), l->unexpected, l->duplicates, l->outOfOrder, l->doubleEnds);
    }
    const ClientStats fs = faulty.stats();
    qInfo("soak: %d faults + 1 server restart in %.1f s; faulty client: %llu reconnects, %llu retransmitted, "
          "%llu duplicates suppressed, %llu sessions lost; requests %d ok, %d failed (connection lost/timeout), "
          "%d wrong; %d sends refused (QueueFull) during faults",
          faultCount, clock.elapsed() / 1000.0, fs.reconnects, fs.retransmitted, fs.duplicatesSuppressed,
          fs.sessionsLost, requestsOk, requestsFailed, requestsWrong, refused);

    QVERIFY(faultCount >= seconds / 3);
    for (const Ledger *l : {&up, &down}) {
        QVERIFY2(l->attempted.size() >= 20000, qPrintable(l->name));
        QCOMPARE(l->lost(), 0);
        QCOMPARE(l->unexpected, 0);
        QCOMPARE(l->duplicates, 0);
        QCOMPARE(l->outOfOrder, 0);
        QCOMPARE(l->doubleEnds, 0);
        QCOMPARE(l->ended.size(), l->attempted.size());
        QCOMPARE(l->count(QStringLiteral("delivered")), int(l->attempted.size()));  // nothing refused by the server
    }
    QCOMPARE(requestsWrong, 0);
    QCOMPARE(requestsOk + requestsFailed, requestsMade);
    // Most requests succeed despite a fault every 0.5-3 s. How many is a matter of speed:
    // a cut fails every request in flight, and in a slow build (ASan, a loaded machine)
    // more of them are in flight behind the retransmitted backlog (seen: 159 of 393 ok at
    // scale 3), so the share asked for shrinks with the time scale. That each request ends
    // exactly once and never with a wrong result (above) holds at any speed.
    QVERIFY2(requestsOk > requestsMade / (2 * Testing::timeScale()),
             qPrintable(QStringLiteral("%1 of %2 requests ok").arg(requestsOk).arg(requestsMade)));
    QCOMPARE(faultyRec.sessionsLost, 1);
    QCOMPARE(steadyRec.sessionsLost, 1);
    QCOMPARE(faultyRec.doubleOutcomes, 0);
    QCOMPARE(steadyRec.doubleOutcomes, 0);
}

QTEST_GUILESS_MAIN(tst_ClientSoak)
#include "tst_client_soak.moc"
