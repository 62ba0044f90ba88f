// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Heartbeats (docs/protocol.md §7): ping cadence, welcome.hb, the liveness timeout, any frame as
// a sign of life, RTT, probes on network/app signals, and time-jump detection.
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

class tst_EngineHeartbeat : public QObject {
    Q_OBJECT
private slots:
    void pingCadence_data();
    void pingCadence();
    void silenceAfterPingIsDeath();
    void anyFrameIsSignOfLife();
    void pongReportsRtt();
    void probeFindsDeadLink_data();
    void probeFindsDeadLink();
    void probeAnsweredKeepsLink();
    void timeJumpProbes();
    void noPingsWhileNotConnected();
};

void tst_EngineHeartbeat::pingCadence_data()
{
    QTest::addColumn<int>("welcomeHb");  // 0 = absent
    QTest::addColumn<qint64>("interval");
    QTest::addRow("default 15 s") << 0 << qint64(15'000);
    QTest::addRow("welcome.hb 5 s") << 5'000 << qint64(5'000);
    QTest::addRow("welcome.hb 40 s") << 40'000 << qint64(40'000);
}

void tst_EngineHeartbeat::pingCadence()
{
    QFETCH(int, welcomeHb);
    QFETCH(qint64, interval);
    Harness h;
    h->open(h.now);
    h.opened();
    P::Welcome w = h.welcome();
    if (welcomeHb)
        w.hb = quint64(welcomeHb);
    h.serverFrame(w);
    for (int i = 1; i <= 3; ++i) {
        h.advance(milliseconds(interval - 1));
        QCOMPARE(h.countActions<SendPing>(), i - 1);
        h.advance(milliseconds(1));
        QCOMPARE(h.countActions<SendPing>(), i);
        h->handlePong(h.now);  // answered at once
        h.pump();
    }
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineHeartbeat::silenceAfterPingIsDeath()
{
    Harness h;
    h.connect();
    h.advance(milliseconds(15'000));
    QCOMPARE(h.countActions<SendPing>(), 1);
    h.advance(milliseconds(9'999));
    QCOMPARE(h->state(), State::Connected);
    h.advance(milliseconds(1));
    QCOMPARE(h->state(), State::Reconnecting);
    QCOMPARE(h.countActions<AbortSocket>(), 1);
    QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.code, ErrorCode::HeartbeatTimeout);
    QCOMPARE(h.eventsOf<Disconnected>().back().code, 1006);
}

void tst_EngineHeartbeat::anyFrameIsSignOfLife()
{
    Harness h;
    h.connect();
    h.advance(milliseconds(15'000));  // ping
    h.advance(milliseconds(5'000));
    h.serverFrame(serverMsg(std::nullopt, QString(), text("hi")));  // no pong, but a frame
    h.advance(milliseconds(9'000));
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineHeartbeat::pongReportsRtt()
{
    Harness h;
    h.connect();
    h.advance(milliseconds(15'000));
    h.advance(milliseconds(42));
    h->handlePong(h.now);
    h.pump();
    const auto beats = h.eventsOf<Heartbeat>();
    QCOMPARE(int(beats.size()), 1);
    QCOMPARE(beats.front().rtt, RttDuration(42'000));
    QCOMPARE(*h->lastRtt(), RttDuration(42'000));
    QCOMPARE(*h->stats().lastRtt, RttDuration(42'000));
}

void tst_EngineHeartbeat::probeFindsDeadLink_data()
{
    QTest::addColumn<bool>("appResumed");
    QTest::addRow("network changed") << false;
    QTest::addRow("app resumed") << true;
}

void tst_EngineHeartbeat::probeFindsDeadLink()
{
    QFETCH(bool, appResumed);
    Harness h;
    h.connect();
    h.advance(milliseconds(1'000));
    if (appResumed)
        h->notifyAppResumed(h.now);
    else
        h->notifyNetworkChanged(h.now);
    h.pump();
    QCOMPARE(h.countActions<SendPing>(), 1);  // at once, not at the next interval
    h.advance(milliseconds(2'999));
    QCOMPARE(h->state(), State::Connected);
    h.advance(milliseconds(1));
    QCOMPARE(h->state(), State::Reconnecting);  // found within the 3 s probe timeout
}

void tst_EngineHeartbeat::probeAnsweredKeepsLink()
{
    Harness h;
    h.connect();
    h->notifyNetworkChanged(h.now);
    h.advance(milliseconds(100));
    h->handlePong(h.now);
    h.advance(milliseconds(14'000));
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(h.countEvents<Heartbeat>(), 1);
}

void tst_EngineHeartbeat::timeJumpProbes()
{
    Harness h;
    h.connect();
    h.advance(milliseconds(1'000));
    // The machine slept for an hour: the next call is far past every deadline.
    h.now += std::chrono::hours(1);
    h->handleTimeout(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Connected);  // not declared dead on stale timers...
    QVERIFY(h.countActions<SendPing>() >= 1);  // ...but probed at once
    h.advance(milliseconds(3'000));
    QCOMPARE(h->state(), State::Reconnecting);  // and dead 3 s later without an answer
}

void tst_EngineHeartbeat::noPingsWhileNotConnected()
{
    Harness h;
    h->open(h.now);
    h.opened();
    h.advance(milliseconds(9'000));  // waiting for welcome
    h->notifyNetworkChanged(h.now);
    h.pump();
    QCOMPARE(h.countActions<SendPing>(), 0);
}

QTEST_GUILESS_MAIN(tst_EngineHeartbeat)
#include "tst_engine_heartbeat.moc"
