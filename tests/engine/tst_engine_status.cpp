// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Channel status, message progress and the link statistics the engine reports (issue 15),
// on the fake clock: every transition of channels_p.h and outbox_p.h's progress rule.
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

namespace {

QString statusName(ChannelStatus s)
{
    switch (s) {
    case ChannelStatus::Unsubscribed: return QStringLiteral("Unsubscribed");
    case ChannelStatus::Pending: return QStringLiteral("Pending");
    case ChannelStatus::Subscribed: return QStringLiteral("Subscribed");
    case ChannelStatus::Error: return QStringLiteral("Error");
    }
    return QStringLiteral("?");
}

QString progressName(MessageStatus s)
{
    switch (s) {
    case MessageStatus::Queued: return QStringLiteral("Queued");
    case MessageStatus::Written: return QStringLiteral("Written");
    case MessageStatus::Delivered: return QStringLiteral("Delivered");
    case MessageStatus::Rejected: return QStringLiteral("Rejected");
    case MessageStatus::Dropped: return QStringLiteral("Dropped");
    case MessageStatus::Persisted: return QStringLiteral("Persisted");
    }
    return QStringLiteral("?");
}

// "a:Pending", "a:Subscribed"... since the last call.
QStringList takeChannelTrace(Harness &h)
{
    h.pump();
    QStringList out;
    for (const Event &e : h.events)
        if (const auto *c = std::get_if<ChannelStatusChanged>(&e))
            out.append(c->channel + QLatin1Char(':') + statusName(c->status));
    h.clearEvents();
    return out;
}

// Per message: its progress and outcome events in order ("Written", "Queued", "Delivered").
QStringList messageTrace(const Harness &h, const QString &id)
{
    QStringList out;
    for (const Event &e : h.events) {
        if (const auto *m = std::get_if<MessageStatusChanged>(&e); m && m->id == id)
            out.append(progressName(m->status));
        else if (const auto *d = std::get_if<Delivered>(&e); d && d->id == id)
            out.append(QStringLiteral("Delivered"));
        else if (const auto *r = std::get_if<Rejected>(&e); r && r->id == id)
            out.append(QStringLiteral("Rejected"));
        else if (const auto *x = std::get_if<Dropped>(&e); x && x->id == id)
            out.append(QStringLiteral("Dropped"));
    }
    return out;
}

const QString kA = QStringLiteral("a");

} // namespace

class tst_EngineStatus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void subscribedAcrossResume_data();
    void subscribedAcrossResume();
    void refusalIsAnErrorAndLeavesTheSet();
    void refusedResubscribeAfterSessionLoss();
    void timeoutIsAnErrorButStaysWanted();
    void unsubscribeAndClose();
    void subscribeWhileOfflineWaitsForItsAnswer();
    void rawModeHasNoChannels();

    void messageProgressBeyondTheWindow();
    void messageProgressAcrossResume();
    void atMostOnceHasNoProgressEvent();
    void progressEventsOffReportsOutcomesOnly();

    void linkStatistics();
    void adaptiveProbeTimeout_data();
    void adaptiveProbeTimeout();
    void backgroundClose_data();
    void backgroundClose();
    void backgroundCloseWinsOverADueRetry();
    void retryAtIsTheRetryDeadline();
};

void tst_EngineStatus::subscribedAcrossResume_data()
{
    QTest::addColumn<bool>("resumed");
    QTest::addColumn<QStringList>("afterWelcome");
    QTest::addColumn<QStringList>("afterRes");
    QTest::addRow("resumed: Subscribed again at welcome")
        << true << QStringList{QStringLiteral("a:Subscribed")} << QStringList{};
    QTest::addRow("new session: Pending until the re-subscription's res")
        << false << QStringList{} << QStringList{QStringLiteral("a:Subscribed")};
}

void tst_EngineStatus::subscribedAcrossResume()
{
    QFETCH(bool, resumed);
    QFETCH(QStringList, afterWelcome);
    QFETCH(QStringList, afterRes);
    Harness h;
    h.connect();
    takeChannelTrace(h);
    QCOMPARE(h->channelStatus(kA), ChannelStatus::Unsubscribed);
    const auto s = h->subscribe(h.now, kA);
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Pending")});
    h.serverFrame(P::Res{s.id, QCborValue(true)});
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Subscribed")});
    QCOMPARE(h->channelStatus(kA), ChannelStatus::Subscribed);

    h.takeSent();
    h.closed(1006);
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Pending")});
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(resumed ? QStringLiteral("s1") : QStringLiteral("s2"), resumed, 0));
    QCOMPARE(takeChannelTrace(h), afterWelcome);
    const auto subs = h.takeSentOf<P::Sub>();
    QCOMPARE(int(subs.size()), resumed ? 0 : 1);
    if (!resumed)
        h.serverFrame(P::Res{subs[0].id, QCborValue(true)});
    QCOMPARE(takeChannelTrace(h), afterRes);
    QCOMPARE(h->channelStatus(kA), ChannelStatus::Subscribed);
}

void tst_EngineStatus::refusalIsAnErrorAndLeavesTheSet()
{
    Harness h;
    h.connect();
    const auto s = h->subscribe(h.now, kA);
    takeChannelTrace(h);
    h.serverFrame(P::Res{s.id, P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("no"), std::nullopt}});
    const auto changes = h.eventsOf<ChannelStatusChanged>();
    QCOMPARE(int(changes.size()), 1);
    QCOMPARE(changes[0].status, ChannelStatus::Error);
    QVERIFY(changes[0].error);
    QCOMPARE(changes[0].error->remoteCode, QStringLiteral("forbidden"));
    QVERIFY(h->channels().isEmpty());
    QCOMPARE(h->channelStatus(kA), ChannelStatus::Error);
    h.clearEvents();
    // Subscribing again starts over.
    h->subscribe(h.now, kA);
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Pending")});
}

void tst_EngineStatus::refusedResubscribeAfterSessionLoss()
{
    Harness h;
    h.connect();
    const auto s = h->subscribe(h.now, kA);
    h.pump();
    h.serverFrame(P::Res{s.id, QCborValue(true)});
    h.takeSent();
    h.dropAndReopen();
    h.takeSent();
    takeChannelTrace(h);
    h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));
    const auto subs = h.takeSentOf<P::Sub>();
    QCOMPARE(int(subs.size()), 1);
    h.serverFrame(P::Res{subs[0].id, P::ErrorObject{QStringLiteral("gone"), QStringLiteral("no"), std::nullopt}});
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Error")});
    QVERIFY(h->channels().isEmpty());
}

void tst_EngineStatus::timeoutIsAnErrorButStaysWanted()
{
    Options o = baseOptions();
    o.requestTimeout = Duration(500);
    Harness h(o);
    h.connect();
    h->subscribe(h.now, kA);
    takeChannelTrace(h);
    h.advance(Duration(600));
    const auto changes = h.eventsOf<ChannelStatusChanged>();
    QCOMPARE(int(changes.size()), 1);
    QCOMPARE(changes[0].status, ChannelStatus::Error);
    QCOMPARE(changes[0].error->code, ErrorCode::Timeout);
    QCOMPARE(h->channels(), QStringList{kA});  // a new session subscribes it again
    h.clearEvents();
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));
    const auto subs = h.takeSentOf<P::Sub>();
    QCOMPARE(int(subs.size()), 1);
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Pending")});
}

void tst_EngineStatus::unsubscribeAndClose()
{
    Harness h;
    h.connect();
    const auto s = h->subscribe(h.now, kA);
    h.pump();
    h.serverFrame(P::Res{s.id, QCborValue(true)});
    h->subscribe(h.now, QStringLiteral("b"));
    takeChannelTrace(h);
    h->unsubscribe(h.now, QStringLiteral("b"));  // while its sub is pending
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("b:Unsubscribed")});
    h->close(h.now);
    // The pending unsub ends with Closed: nothing changes for b; a is wanted, not flowing.
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Pending")});
    QCOMPARE(h->channelStatus(kA), ChannelStatus::Pending);
    QCOMPARE(h->channelStatus(QStringLiteral("b")), ChannelStatus::Unsubscribed);
}

void tst_EngineStatus::subscribeWhileOfflineWaitsForItsAnswer()
{
    Harness h;
    h.connect();
    h.takeSent();
    h.closed(1006);
    h->subscribe(h.now, kA);  // waits in the request queue
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Pending")});
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    QCOMPARE(takeChannelTrace(h), QStringList{});  // not confirmed yet: its sub is on the wire now
    const auto subs = h.takeSentOf<P::Sub>();
    QCOMPARE(int(subs.size()), 1);
    h.serverFrame(P::Res{subs[0].id, QCborValue(true)});
    QCOMPARE(takeChannelTrace(h), QStringList{QStringLiteral("a:Subscribed")});
}

void tst_EngineStatus::rawModeHasNoChannels()
{
    Options o = baseOptions();
    o.rawMode = true;
    Harness h(o);
    QVERIFY(!h->subscribe(h.now, kA).ok());
    QCOMPARE(takeChannelTrace(h), QStringList{});
    QCOMPARE(h->channelStatus(kA), ChannelStatus::Unsubscribed);
}

void tst_EngineStatus::messageProgressBeyondTheWindow()
{
    Options o = baseOptions();
    o.maxInFlight = 2;
    Harness h(o);
    h.connect();
    h.takeSent();
    QStringList ids;
    for (int i = 0; i < 3; ++i)
        ids.append(h.send(QCborValue(i)).id);
    h.takeSent();
    QCOMPARE(messageTrace(h, ids[0]), QStringList{QStringLiteral("Written")});
    QCOMPARE(messageTrace(h, ids[1]), QStringList{QStringLiteral("Written")});
    QCOMPARE(messageTrace(h, ids[2]), QStringList{});  // outside the window: still queued
    h.serverFrame(P::Ack{1});
    h.takeSent();
    QCOMPARE(messageTrace(h, ids[0]), (QStringList{QStringLiteral("Written"), QStringLiteral("Delivered")}));
    QCOMPARE(messageTrace(h, ids[2]), QStringList{QStringLiteral("Written")});
}

void tst_EngineStatus::messageProgressAcrossResume()
{
    Harness h;
    h.connect();
    h.takeSent();
    const QString id = h.send(QCborValue(1)).id;
    h.takeSent();
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));  // the server did not get it
    h.takeSent();
    h.serverFrame(P::Ack{1});
    QCOMPARE(messageTrace(h, id), (QStringList{QStringLiteral("Written"), QStringLiteral("Queued"),
                                               QStringLiteral("Written"), QStringLiteral("Delivered")}));
    // Nothing after the outcome, even when the link drops again.
    const int before = h.countEvents<MessageStatusChanged>();
    h.closed(1006);
    QCOMPARE(h.countEvents<MessageStatusChanged>(), before);
}

void tst_EngineStatus::atMostOnceHasNoProgressEvent()
{
    Harness h;
    h.connect();
    SendOptions o;
    o.delivery = Delivery::AtMostOnce;
    const QString id = h.send(QCborValue(1), o).id;
    h.takeSent();
    QCOMPARE(messageTrace(h, id), QStringList{});
    QCOMPARE(h.countEvents<Sent>(), 1);
}

// Options::progressEvents off (the Qt layer's choice when nobody listens): no Written and
// no Queued, across a resume too, while every outcome still comes; turned on again, the
// next transmission is reported.
void tst_EngineStatus::progressEventsOffReportsOutcomesOnly()
{
    Harness h;
    h->setProgressEvents(false);
    h.connect();
    h.takeSent();
    const QString first = h.send(QCborValue(1)).id;
    const QString second = h.send(QCborValue(2)).id;
    QCOMPARE(h.takeSent().size(), 2);
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));  // resent
    QCOMPARE(h.takeSent().size(), 2);
    h.serverFrame(P::Ack{1});
    QCOMPARE(messageTrace(h, first), QStringList{QStringLiteral("Delivered")});
    QCOMPARE(messageTrace(h, second), QStringList{});
    QCOMPARE(h.countEvents<MessageStatusChanged>(), 0);

    h->setProgressEvents(true);
    const QString third = h.send(QCborValue(3)).id;
    h.takeSent();
    h.serverFrame(P::Ack{3});
    QCOMPARE(messageTrace(h, second), QStringList{QStringLiteral("Delivered")});
    QCOMPARE(messageTrace(h, third), (QStringList{QStringLiteral("Written"), QStringLiteral("Delivered")}));
}

void tst_EngineStatus::linkStatistics()
{
    Harness h;
    const TimePoint start = h.now;
    h->open(h.now);
    h.pump();
    QCOMPARE(h->stats().offlineSince, std::optional<TimePoint>(start));
    h.advance(Duration(300));
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome());
    Stats s = h->stats();
    QCOMPARE(s.offlineTotal, Duration(300));
    QVERIFY(!s.offlineSince);
    QCOMPARE(s.connectedSince, std::optional<TimePoint>(start + Duration(300)));
    QVERIFY(s.bytesIn > 0);
    QVERIFY(s.bytesOut > 0);  // the hello

    // Two pongs: min and smoothed RTT (RFC 6298: first sample, then 7/8 + 1/8).
    h->notifyNetworkChanged(h.now);
    h.pump();
    h.advance(Duration(80));
    h->handlePong(h.now);
    h->notifyNetworkChanged(h.now);
    h.pump();
    h.advance(Duration(160));
    h->handlePong(h.now);
    s = h->stats();
    QCOMPARE(s.minRtt, std::optional<RttDuration>(RttDuration(80000)));
    QCOMPARE(s.lastRtt, std::optional<RttDuration>(RttDuration(160000)));
    QCOMPARE(s.smoothedRtt, std::optional<RttDuration>(RttDuration(90000)));

    h.takeSent();
    h.closed(1006);
    const TimePoint dropped = h.now;
    QCOMPARE(h->stats().offlineSince, std::optional<TimePoint>(dropped));
    QVERIFY(!h->stats().connectedSince);
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    s = h->stats();
    QCOMPARE(s.resumes, quint64(1));
    QCOMPARE(s.offlineTotal, Duration(300) + std::chrono::duration_cast<Duration>(h.now - dropped));
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s9"), false, 0));
    QCOMPARE(h->stats().sessionsLost, quint64(1));
    QCOMPARE(h->stats().resumes, quint64(1));
}

void tst_EngineStatus::adaptiveProbeTimeout_data()
{
    QTest::addColumn<QList<int>>("rttsMs");
    QTest::addColumn<int>("answerAfterMs");  // -1: the probe is never answered (dead link)
    QTest::addColumn<int>("deadAfterMs");    // -1: the link survives
    // RFC 6298 on 20 ms pongs: SRTT + 4 RTTVAR is ~35 ms, so the floor (500 ms) rules.
    QTest::addRow("fast network, dead link found at the floor")
        << QList<int>{20, 20, 20, 20, 20} << -1 << 500;
    QTest::addRow("no round trip yet: the fixed probe timeout")
        << QList<int>{} << -1 << 3000;
    // 2.0-2.4 s pongs: SRTT 2041 ms + 4 * 570 ms = 4.32 s, above the fixed 3 s.
    QTest::addRow("slow network keeps a safe timeout")
        << QList<int>{2000, 2400, 1800, 2200} << 3500 << -1;
    QTest::addRow("slow network, dead link found at its RTO")
        << QList<int>{2000, 2400, 1800, 2200} << -1 << 4323;
}

void tst_EngineStatus::adaptiveProbeTimeout()
{
    QFETCH(QList<int>, rttsMs);
    QFETCH(int, answerAfterMs);
    QFETCH(int, deadAfterMs);
    Options o = baseOptions();
    o.heartbeatInterval = Duration(0);  // only probes ping here
    Harness h(o);
    h.connect();
    for (int rtt : rttsMs) {
        h->notifyNetworkChanged(h.now);
        h.advance(Duration(rtt));
        h->handlePong(h.now);
        h.pump();
    }
    QCOMPARE(h.countActions<AbortSocket>(), 0);
    const TimePoint probedAt = h.now;
    h->notifyNetworkChanged(h.now);
    h.pump();
    if (answerAfterMs >= 0) {
        h.advance(Duration(answerAfterMs));
        h->handlePong(h.now);
        h.advance(Duration(60'000));
        QCOMPARE(h.countActions<AbortSocket>(), 0);
        QCOMPARE(h->state(), State::Connected);
        return;
    }
    h.advance(Duration(deadAfterMs - 1));
    QCOMPARE(h.countActions<AbortSocket>(), 0);
    h.advance(Duration(1));
    QCOMPARE(h.countActions<AbortSocket>(), 1);
    QCOMPARE(std::chrono::duration_cast<Duration>(h.now - probedAt), Duration(deadAfterMs));
}

void tst_EngineStatus::backgroundClose_data()
{
    QTest::addColumn<int>("delayMs");
    QTest::addColumn<int>("activeAfterMs");  // -1: the app stays in the background
    QTest::addColumn<bool>("closedByApp");    // close() while suspended
    QTest::addColumn<bool>("suspends");
    QTest::addColumn<State>("stateAtEnd");
    QTest::addRow("never (negative delay)") << -1 << -1 << false << false << State::Connected;
    QTest::addRow("back before the delay") << 1000 << 999 << false << false << State::Connected;
    QTest::addRow("suspended, reopened when active") << 1000 << 5000 << false << true << State::Connecting;
    QTest::addRow("suspended, stays down in the background") << 1000 << -1 << false << true << State::Closed;
    QTest::addRow("suspended, then closed by the app: no reopen") << 1000 << 5000 << true << true << State::Closed;
}

void tst_EngineStatus::backgroundClose()
{
    QFETCH(int, delayMs);
    QFETCH(int, activeAfterMs);
    QFETCH(bool, closedByApp);
    QFETCH(bool, suspends);
    QFETCH(State, stateAtEnd);
    Options o = baseOptions();
    o.backgroundCloseDelay = Duration(delayMs);
    o.heartbeatInterval = Duration(0);
    Harness h(o);
    h.connect();
    h.send(text("kept"));
    h.takeSent();
    const TimePoint background = h.now;
    h->notifyAppBackground(h.now);
    h.pump();
    const int horizon = activeAfterMs >= 0 ? activeAfterMs : 60'000;
    h.advance(Duration(horizon));
    const auto closes = h.actionsOf<CloseSocket>();
    QCOMPARE(int(closes.size()), suspends ? 1 : 0);
    if (suspends) {
        QCOMPARE(closes[0].code, 1001);  // the server keeps the session
        QVERIFY(h->isSuspendedInBackground());
        QCOMPARE(h->queueDepth(), 1);     // the outbox is kept
        const auto changes = h.eventsOf<StateChanged>();
        QCOMPARE(changes.back().to, State::Closed);
        Q_UNUSED(background);
    }
    if (closedByApp) {
        h->close(h.now, true);
        h.pump();
    }
    if (activeAfterMs >= 0) {
        h->notifyAppResumed(h.now);
        h.pump();
    }
    QCOMPARE(h->state(), stateAtEnd);
    if (stateAtEnd == State::Connecting)
        QVERIFY(!h->isSuspendedInBackground());
}

// Found by fuzz_engine: a clock jump (a stopped process) past both the retry and the
// background deadline opened a socket only to abort it in the same call.
void tst_EngineStatus::backgroundCloseWinsOverADueRetry()
{
    Options o = baseOptions();
    o.backgroundCloseDelay = Duration(1000);
    o.heartbeatInterval = Duration(0);
    Harness h(o);
    h.connect();
    h->notifyAppBackground(h.now);
    h.closed(1006);
    QCOMPARE(h->state(), State::Reconnecting);
    const int opensBefore = h.countActions<OpenSocket>();
    h.now += std::chrono::hours(1);
    h->handleTimeout(h.now);
    h.pump();
    QCOMPARE(h.countActions<OpenSocket>(), opensBefore);
    QCOMPARE(h.countActions<AbortSocket>(), 0);
    QCOMPARE(h->state(), State::Closed);
    QVERIFY(h->isSuspendedInBackground());
}

void tst_EngineStatus::retryAtIsTheRetryDeadline()
{
    Harness h;
    h.connect();
    QVERIFY(!h->retryAt());
    h.closed(1006);
    const auto reconnecting = h.eventsOf<Reconnecting>();
    QCOMPARE(int(reconnecting.size()), 1);
    QCOMPARE(h->retryAt(), std::optional<TimePoint>(h.now + reconnecting[0].delay));
    h.advanceTo(*h->retryAt());
    QVERIFY(!h->retryAt());  // Connecting now
}

QTEST_GUILESS_MAIN(tst_EngineStatus)
#include "tst_engine_status.moc"
