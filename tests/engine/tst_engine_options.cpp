// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Connection::setOptions(): a live connection reconfigured without losing anything.
// Per option: applied at once or deferred, and when a deferred one lands; deadlines
// re-armed from the moment they count from; an outbox above a lowered bound is not
// trimmed; invalid options refused with nothing changed; a codec switch waits for an
// empty outbox and re-encodes pending requests; nothing is reset (stats, session,
// channels, outbox, attempt counters, random source).
#include "engine_harness.h"

#include <QtCore/QDebug>
#include <QtTest/QTest>

#include <cmath>
#include <limits>

using namespace EngineTest;

namespace {

using Mutation = void (*)(Options &);

// Every field but `random`, as text: "nothing changed" and "now in effect" in one compare.
QString fingerprint(const Options &o)
{
    QString s;
    QDebug d(&s);
    d << o.urls << o.headers << int(o.codec) << o.rawMode << o.rawSubprotocols << o.agent
      << o.handshakeTimeout.count() << o.backoffInitial.count() << o.backoffMultiplier
      << o.backoffMax.count() << int(o.jitter) << o.maxAttempts << o.initialRandomDelay.count()
      << o.stablePeriod.count() << o.heartbeatInterval.count() << o.heartbeatTimeout.count()
      << o.probeTimeout.count() << o.timeJumpThreshold.count() << o.maxQueuedMessages
      << o.maxQueuedBytes << int(o.overflow) << o.maxInFlight << o.maxIncomingFrame
      << o.recentIdWindow << o.ackDelay.count() << o.ackEvery
      << o.requestTimeout.count() << o.useToken << o.tokenTimeout.count() << o.maxTokenAttempts;
    return s;
}

// Steps the fake clock from deadline to deadline (as the Qt layer's timer would) until
// `happened()` holds; returns the time it did, or nullopt if not by `limit`.
template <typename Pred>
std::optional<TimePoint> stepUntil(Harness &h, TimePoint limit, Pred happened)
{
    h.pump();
    if (happened())
        return h.now;
    while (auto due = h->pollTimeout()) {
        if (*due > limit)
            break;
        h.now = std::max(h.now, *due);
        h->handleTimeout(h.now);
        h.pump();
        if (happened())
            return h.now;
    }
    return std::nullopt;
}

qint64 msSince(TimePoint from, std::optional<TimePoint> at)
{
    return at ? std::chrono::duration_cast<milliseconds>(*at - from).count() : -1;
}

OptionsResult setOptions(Harness &h, const Options &o)
{
    OptionsResult r = h->setOptions(h.now, o);
    h.pump();
    return r;
}

struct InvalidCase {
    const char *name;
    Mutation mutate;
    const char *mentions;  // the option named in the message
};

const InvalidCase kInvalid[] = {
    {"negative handshake timeout", [](Options &o) { o.handshakeTimeout = milliseconds(-1); }, "handshake timeout"},
    {"negative backoff initial", [](Options &o) { o.backoffInitial = milliseconds(-1); }, "backoff initial delay"},
    {"negative backoff max", [](Options &o) { o.backoffMax = milliseconds(-1); }, "backoff max delay"},
    {"negative initial jitter", [](Options &o) { o.initialRandomDelay = milliseconds(-1); }, "initial reconnect jitter"},
    {"negative stable period", [](Options &o) { o.stablePeriod = milliseconds(-1); }, "stable period"},
    {"negative heartbeat interval", [](Options &o) { o.heartbeatInterval = milliseconds(-15); }, "heartbeat interval"},
    {"negative heartbeat timeout", [](Options &o) { o.heartbeatTimeout = milliseconds(-1); }, "heartbeat timeout"},
    {"negative probe timeout", [](Options &o) { o.probeTimeout = milliseconds(-1); }, "probe timeout"},
    {"negative time jump threshold", [](Options &o) { o.timeJumpThreshold = milliseconds(-1); }, "time jump threshold"},
    {"negative ack delay", [](Options &o) { o.ackDelay = milliseconds(-1); }, "ack delay"},
    {"negative request timeout", [](Options &o) { o.requestTimeout = milliseconds(-1); }, "request timeout"},
    {"negative token timeout", [](Options &o) { o.tokenTimeout = milliseconds(-1); }, "token timeout"},
    {"multiplier below 1", [](Options &o) { o.backoffMultiplier = 0.5; }, "backoff multiplier"},
    {"multiplier NaN", [](Options &o) { o.backoffMultiplier = std::nan(""); }, "backoff multiplier"},
    {"multiplier infinite", [](Options &o) { o.backoffMultiplier = std::numeric_limits<double>::infinity(); }, "backoff multiplier"},
    {"negative max attempts", [](Options &o) { o.maxAttempts = -1; }, "max reconnect attempts"},
    {"zero queued messages", [](Options &o) { o.maxQueuedMessages = 0; }, "queue bound in messages"},
    {"negative queued messages", [](Options &o) { o.maxQueuedMessages = -5; }, "queue bound in messages"},
    {"zero queued bytes", [](Options &o) { o.maxQueuedBytes = 0; }, "queue bound in bytes"},
    {"zero in flight", [](Options &o) { o.maxInFlight = 0; }, "max in flight"},
    {"zero incoming frame", [](Options &o) { o.maxIncomingFrame = 0; }, "max incoming frame size"},
    {"negative recent id window", [](Options &o) { o.recentIdWindow = -1; }, "recent id window"},
    {"negative ack every", [](Options &o) { o.ackEvery = -1; }, "ack every"},
    {"negative max token attempts", [](Options &o) { o.maxTokenAttempts = -1; }, "max token attempts"},
    {"unknown jitter mode", [](Options &o) { o.jitter = JitterMode(7); }, "jitter mode"},
    {"unknown overflow policy", [](Options &o) { o.overflow = OverflowPolicy(7); }, "overflow policy"},
    {"unknown codec", [](Options &o) { o.codec = P::CodecKind(7); }, "codec"},
};

struct Change {
    const char *field;
    Mutation mutate;
    bool deferredWhileConnected;  // waits for the socket to go
};

const Change kChanges[] = {
    // Never under a socket.
    {"headers", [](Options &o) { o.headers = {{"X-Tenant", "blue"}}; }, true},
    {"agent", [](Options &o) { o.agent = QStringLiteral("other/2"); }, true},
    {"rawSubprotocols", [](Options &o) { o.rawSubprotocols = {"chat"}; }, true},
    {"maxIncomingFrame", [](Options &o) { o.maxIncomingFrame = 1024; }, true},
    {"useToken", [](Options &o) { o.useToken = true; }, true},
    // Between connections with an empty outbox.
    {"codec", [](Options &o) { o.codec = P::CodecKind::Cbor; }, true},
    {"rawMode", [](Options &o) { o.rawMode = true; }, true},
    // At once.
    {"urls", [](Options &o) { o.urls = {QUrl(QStringLiteral("ws://c.example/ws"))}; }, false},
    {"handshakeTimeout", [](Options &o) { o.handshakeTimeout = milliseconds(3000); }, false},
    {"backoffInitial", [](Options &o) { o.backoffInitial = milliseconds(100); }, false},
    {"backoffMultiplier", [](Options &o) { o.backoffMultiplier = 3.0; }, false},
    {"backoffMax", [](Options &o) { o.backoffMax = milliseconds(5000); }, false},
    {"jitter", [](Options &o) { o.jitter = JitterMode::Equal; }, false},
    {"maxAttempts", [](Options &o) { o.maxAttempts = 4; }, false},
    {"initialRandomDelay", [](Options &o) { o.initialRandomDelay = milliseconds(700); }, false},
    {"stablePeriod", [](Options &o) { o.stablePeriod = milliseconds(2000); }, false},
    {"heartbeatInterval", [](Options &o) { o.heartbeatInterval = milliseconds(5000); }, false},
    {"heartbeatTimeout", [](Options &o) { o.heartbeatTimeout = milliseconds(4000); }, false},
    {"probeTimeout", [](Options &o) { o.probeTimeout = milliseconds(1000); }, false},
    {"timeJumpThreshold", [](Options &o) { o.timeJumpThreshold = milliseconds(9000); }, false},
    {"maxQueuedMessages", [](Options &o) { o.maxQueuedMessages = 7; }, false},
    {"maxQueuedBytes", [](Options &o) { o.maxQueuedBytes = 700; }, false},
    {"overflow", [](Options &o) { o.overflow = OverflowPolicy::DropOldest; }, false},
    {"maxInFlight", [](Options &o) { o.maxInFlight = 3; }, false},
    {"recentIdWindow", [](Options &o) { o.recentIdWindow = 10; }, false},
    {"ackDelay", [](Options &o) { o.ackDelay = milliseconds(10); }, false},
    {"ackEvery", [](Options &o) { o.ackEvery = 8; }, false},
    {"requestTimeout", [](Options &o) { o.requestTimeout = milliseconds(1000); }, false},
    {"tokenTimeout", [](Options &o) { o.tokenTimeout = milliseconds(1000); }, false},
    {"maxTokenAttempts", [](Options &o) { o.maxTokenAttempts = 9; }, false},
};

} // namespace

class tst_EngineOptions : public QObject {
    Q_OBJECT
private slots:
    void invalidOptionsChangeNothing_data();
    void invalidOptionsChangeNothing();
    void boundaryValuesAccepted();
    void whenEachOptionApplies_data();
    void whenEachOptionApplies();
    void nothingIsReset();
    void randomSourceKept();
    void urlsRestartOnlyWhenChanged();

    void heartbeatIntervalRearmed_data();
    void heartbeatIntervalRearmed();
    void serverHeartbeatWins();
    void heartbeatTimeoutRearmed_data();
    void heartbeatTimeoutRearmed();
    void probeTimeoutRearmed_data();
    void probeTimeoutRearmed();
    void rearmedDeadlineIsNoTimeJump();
    void handshakeTimeoutRearmed_data();
    void handshakeTimeoutRearmed();
    void stablePeriodRearmed_data();
    void stablePeriodRearmed();
    void scheduledRetryKeepsItsDelay();
    void maxAttemptsLoweredBelowCount();
    void ackDelayRearmed_data();
    void ackDelayRearmed();
    void ackEveryLoweredFlushes();
    void recentIdWindowShrinks();
    void requestTimeoutForNewRequestsOnly();

    void maxInFlightApplies();
    void outboxAboveLoweredBound_data();
    void outboxAboveLoweredBound();

    void tokenDroppedWhilePendingConnectsNow();
    void tokenAddedWhileConnectedNextSocket();
    void codecSwitchReencodesPendingRequests();
    void codecWaitsForEmptyOutbox();
    void codecSwitchFailsUncarriableRequest();
    void rawModeSwitchFailsRequests();
};

// ---- validation ----------------------------------------------------------------------

void tst_EngineOptions::invalidOptionsChangeNothing_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < int(std::size(kInvalid)); ++i)
        QTest::addRow("%s", kInvalid[i].name) << i;
}

void tst_EngineOptions::invalidOptionsChangeNothing()
{
    QFETCH(int, index);
    const InvalidCase &c = kInvalid[index];
    Harness h;
    h.connect();
    QVERIFY(h.send(text("queued")).ok());
    h.pump();
    const QString before = fingerprint(h->options());
    const auto deadline = h->pollTimeout();
    const size_t events = h.events.size();
    const size_t actions = h.actions.size();

    Options bad = h->options();
    bad.heartbeatInterval = milliseconds(1000);  // a valid change in the same call: not applied either
    c.mutate(bad);
    const OptionsResult r = setOptions(h, bad);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, ErrorCode::InvalidArgument);
    QCOMPARE(r.error->kind, ErrorKind::Local);
    QVERIFY(!r.error->fatal);
    QVERIFY2(r.error->message.contains(QLatin1StringView(c.mentions)), qPrintable(r.error->message));
    QCOMPARE(fingerprint(h->options()), before);
    QCOMPARE(h->pollTimeout(), deadline);
    QCOMPARE(h.events.size(), events);
    QCOMPARE(h.actions.size(), actions);
    QVERIFY(h->deferredOptions().isEmpty());
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineOptions::boundaryValuesAccepted()
{
    Harness h;
    h.connect();
    Options o = h->options();
    for (Duration *d : {&o.handshakeTimeout, &o.backoffInitial, &o.backoffMax, &o.initialRandomDelay,
                        &o.stablePeriod, &o.heartbeatInterval, &o.heartbeatTimeout, &o.probeTimeout,
                        &o.timeJumpThreshold, &o.ackDelay, &o.requestTimeout, &o.tokenTimeout})
        *d = milliseconds(0);
    o.backoffMultiplier = 1.0;
    o.maxAttempts = 0;
    o.maxQueuedMessages = 1;
    o.maxQueuedBytes = 1;
    o.maxIncomingFrame = 1;
    o.recentIdWindow = 0;
    o.ackEvery = 0;
    o.maxTokenAttempts = 0;
    o.maxInFlight = 5000;  // above the protocol's 1024: capped, not refused
    const OptionsResult r = setOptions(h, o);
    QVERIFY2(r.ok(), r.error ? qPrintable(r.error->message) : "");
    QCOMPARE(h->options().maxInFlight, qsizetype(1024));
    QCOMPARE(h->state(), State::Connected);
}

// ---- which options apply when --------------------------------------------------------

void tst_EngineOptions::whenEachOptionApplies_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < int(std::size(kChanges)); ++i)
        QTest::addRow("%s", kChanges[i].field) << i;
}

void tst_EngineOptions::whenEachOptionApplies()
{
    QFETCH(int, index);
    const Change &c = kChanges[index];

    // Stopped: everything applies at once.
    {
        Harness h;
        Options next = h->options();
        c.mutate(next);
        const OptionsResult r = setOptions(h, next);
        QVERIFY(r.ok());
        QCOMPARE(r.deferred, QStringList());
        QCOMPARE(fingerprint(h->options()), fingerprint(next));
        QVERIFY(h.events.empty());
    }

    // Connected: the live ones at once, the others when the socket goes.
    Harness h;
    h.connect();
    h.clearEvents();
    const QString before = fingerprint(h->options());
    Options next = h->options();
    c.mutate(next);
    const OptionsResult r = setOptions(h, next);
    QVERIFY(r.ok());
    QVERIFY(h.events.empty());  // nothing reported, nothing dropped
    QCOMPARE(h->state(), State::Connected);
    if (!c.deferredWhileConnected) {
        QCOMPARE(r.deferred, QStringList());
        QCOMPARE(fingerprint(h->options()), fingerprint(next));
        return;
    }
    const QStringList field{QString::fromLatin1(c.field)};
    QCOMPARE(r.deferred, field);
    QCOMPARE(h->deferredOptions(), field);
    QCOMPARE(fingerprint(h->options()), before);
    h.closed(1006);
    QCOMPARE(h->deferredOptions(), QStringList());
    QCOMPARE(fingerprint(h->options()), fingerprint(next));
}

void tst_EngineOptions::nothingIsReset()
{
    Options o = baseOptions();
    o.maxInFlight = 2;
    Harness h(o);
    h.connect();
    const RequestResult sub = h->subscribe(h.now, QStringLiteral("room"));
    h.pump();
    h.serverFrame(P::Res{sub.id, QCborValue(true)});
    h.serverFrame(serverMsg(1, QStringLiteral("in-1"), text("hello")));
    h.dropAndReopen();  // one reconnect in the stats, attempt counters at 1
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    QStringList ids;
    for (int i = 0; i < 5; ++i)
        ids << h.send(QCborValue(i)).id;
    const RequestResult pending = h->request(h.now, QStringLiteral("echo"), text("x"));
    h.pump();
    QCOMPARE(h.takeSentOf<P::Msg>().size(), size_t(2));  // 2 in flight, 3 queued

    const Stats before = h->stats();
    const size_t events = h.events.size();
    Options next = h->options();
    next.heartbeatInterval = milliseconds(4000);
    next.heartbeatTimeout = milliseconds(3000);
    next.backoffInitial = milliseconds(50);
    next.maxQueuedMessages = 100;
    next.requestTimeout = milliseconds(60'000);
    next.headers = {{"X-A", "1"}};  // deferred: the socket stays
    QVERIFY(setOptions(h, next).ok());

    const Stats after = h->stats();
    QCOMPARE(after.sent, before.sent);
    QCOMPARE(after.received, before.received);
    QCOMPARE(after.reconnects, before.reconnects);
    QCOMPARE(after.requestsSent, before.requestsSent);
    QCOMPARE(after.queueDepth, qsizetype(5));
    QCOMPARE(after.inFlight, qsizetype(2));
    QCOMPARE(after.pendingRequests, before.pendingRequests);
    QCOMPARE(h->sessionId(), QStringLiteral("s1"));
    QCOMPARE(h->channels(), QStringList{QStringLiteral("room")});
    QCOMPARE(h.events.size(), events);
    QCOMPARE(h.countActions<CloseSocket>() + h.countActions<AbortSocket>(), 0);  // the socket stays

    // Everything continues: acks deliver in order, the request is answered, counters grow.
    for (quint64 seq = 1; seq <= 5; ++seq) {
        h.takeSent();
        h.serverFrame(P::Ack{seq});
    }
    h.serverFrame(P::Res{pending.id, text("x")});
    QStringList delivered;
    for (const auto &d : h.eventsOf<Delivered>())
        delivered << d.id;
    QCOMPARE(delivered, ids);
    QCOMPARE(h->stats().acked, before.acked + 5);
    QCOMPARE(h->stats().received, before.received);
    QVERIFY(h.eventsOf<RequestFinished>().back().id == pending.id);
}

void tst_EngineOptions::randomSourceKept()
{
    Harness a(baseOptions(7));
    Harness b(baseOptions(7));
    Options other = a->options();
    other.random = [] { return quint64(42); };
    other.heartbeatInterval = milliseconds(1000);
    QVERIFY(setOptions(a, other).ok());
    for (int i = 0; i < 3; ++i)
        QCOMPARE(a.send(QCborValue(i)).id, b.send(QCborValue(i)).id);
}

void tst_EngineOptions::urlsRestartOnlyWhenChanged()
{
    Harness h;  // urls a, b
    h->open(h.now);
    h.closed(1006);  // attempt on a failed: the next is b
    QVERIFY(setOptions(h, h->options()).ok());  // same list: the rotation goes on
    h.advanceTo(*h->pollTimeout());
    QCOMPARE(h.actionsOf<OpenSocket>().back().url.host(), QStringLiteral("b.example"));
    h.closed(1006);
    Options next = h->options();
    next.urls = {QUrl(QStringLiteral("ws://c.example/ws")), QUrl(QStringLiteral("ws://d.example/ws"))};
    QVERIFY(setOptions(h, next).ok());
    h.advanceTo(*h->pollTimeout());
    QCOMPARE(h.actionsOf<OpenSocket>().back().url.host(), QStringLiteral("c.example"));
}

// ---- deadlines re-armed --------------------------------------------------------------

void tst_EngineOptions::heartbeatIntervalRearmed_data()
{
    QTest::addColumn<int>("changeAt");     // ms after welcome
    QTest::addColumn<int>("interval");
    QTest::addColumn<qint64>("nextPing");  // ms after welcome; -1 = none within a minute
    QTest::addRow("longer, counted from welcome") << 5000 << 20000 << qint64(20000);
    QTest::addRow("shorter, counted from welcome") << 5000 << 8000 << qint64(8000);
    QTest::addRow("already past: due at once") << 10000 << 3000 << qint64(10000);
    QTest::addRow("counted from the last ping") << 16000 << 4000 << qint64(19000);
    QTest::addRow("zero: no more pings") << 5000 << 0 << qint64(-1);
}

void tst_EngineOptions::heartbeatIntervalRearmed()
{
    QFETCH(int, changeAt);
    QFETCH(int, interval);
    QFETCH(qint64, nextPing);
    Options o = baseOptions();
    o.heartbeatTimeout = milliseconds(0);  // only the pings matter here
    Harness h(o);
    h.connect();
    const TimePoint t0 = h.now;
    h.advanceTo(t0 + milliseconds(changeAt));
    const int pings = h.countActions<SendPing>();
    Options next = h->options();
    next.heartbeatInterval = milliseconds(interval);
    QVERIFY(setOptions(h, next).ok());
    const auto at = stepUntil(h, t0 + milliseconds(60'000), [&] { return h.countActions<SendPing>() > pings; });
    QCOMPARE(msSince(t0, at), nextPing);
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineOptions::serverHeartbeatWins()
{
    Harness h;
    h->open(h.now);
    h.opened();
    P::Welcome w = h.welcome();
    w.hb = 5000;
    h.serverFrame(w);
    const TimePoint t0 = h.now;
    Options next = h->options();
    next.heartbeatInterval = milliseconds(1000);
    QVERIFY(setOptions(h, next).ok());
    const auto at = stepUntil(h, t0 + milliseconds(60'000), [&] { return h.countActions<SendPing>() > 0; });
    QCOMPARE(msSince(t0, at), qint64(5000));  // welcome.hb, not the option
}

void tst_EngineOptions::heartbeatTimeoutRearmed_data()
{
    QTest::addColumn<int>("timeout");
    QTest::addColumn<qint64>("deadAt");  // ms after welcome; -1 = alive after a minute
    // The ping goes at 15 s (no answer); the change comes at 16 s.
    QTest::addRow("longer, from the ping") << 20000 << qint64(35000);
    QTest::addRow("shorter, from the ping") << 3000 << qint64(18000);
    QTest::addRow("already past: dead at once") << 500 << qint64(16000);
    QTest::addRow("zero: no liveness deadline") << 0 << qint64(-1);
}

void tst_EngineOptions::heartbeatTimeoutRearmed()
{
    QFETCH(int, timeout);
    QFETCH(qint64, deadAt);
    Harness h;
    h.connect();
    const TimePoint t0 = h.now;
    h.advanceTo(t0 + milliseconds(16'000));
    QCOMPARE(h.countActions<SendPing>(), 1);
    Options next = h->options();
    next.heartbeatTimeout = milliseconds(timeout);
    QVERIFY(setOptions(h, next).ok());
    const auto at = stepUntil(h, t0 + milliseconds(60'000), [&] { return h->state() != State::Connected; });
    QCOMPARE(msSince(t0, at), deadAt);
    if (at)
        QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.code, ErrorCode::HeartbeatTimeout);
}

void tst_EngineOptions::probeTimeoutRearmed_data()
{
    QTest::addColumn<int>("probeTimeout");
    QTest::addColumn<qint64>("deadAt");  // ms after welcome: probe at 1 s, change at 1.5 s
    QTest::addRow("longer, from the probe") << 5000 << qint64(6000);
    QTest::addRow("shorter, from the probe") << 1000 << qint64(2000);
    QTest::addRow("already past: dead at once") << 200 << qint64(1500);
}

void tst_EngineOptions::probeTimeoutRearmed()
{
    QFETCH(int, probeTimeout);
    QFETCH(qint64, deadAt);
    Harness h;
    h.connect();
    const TimePoint t0 = h.now;
    h.advanceTo(t0 + milliseconds(1000));
    h->notifyNetworkChanged(h.now);
    h.advanceTo(t0 + milliseconds(1500));
    Options next = h->options();
    next.probeTimeout = milliseconds(probeTimeout);
    QVERIFY(setOptions(h, next).ok());
    const auto at = stepUntil(h, t0 + milliseconds(60'000), [&] { return h->state() != State::Connected; });
    QCOMPARE(msSince(t0, at), deadAt);
}

void tst_EngineOptions::rearmedDeadlineIsNoTimeJump()
{
    // A ping re-armed into the past is due now. Were it set in the past, the next
    // handleTimeout() would look many seconds late and probe as after a sleep (liveness
    // 3 s instead of 10 s).
    Harness h;
    h.connect();
    const TimePoint t0 = h.now;
    h.advanceTo(t0 + milliseconds(14'000));
    Options next = h->options();
    next.heartbeatInterval = milliseconds(1000);
    QVERIFY(setOptions(h, next).ok());
    QCOMPARE(h->pollTimeout(), std::optional<TimePoint>(h.now));
    h.advance(milliseconds(0));
    QCOMPARE(h.countActions<SendPing>(), 1);
    h.advance(milliseconds(9'999));
    h->handlePong(h.now);  // just inside the heartbeat timeout, far past a probe's 3 s
    h.pump();
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineOptions::handshakeTimeoutRearmed_data()
{
    QTest::addColumn<bool>("socketOpened");  // false: still opening
    QTest::addColumn<int>("timeout");
    QTest::addColumn<qint64>("abortAt");     // ms after OpenSocket (change at 2 s); -1 = none
    QTest::addRow("opening, longer") << false << 15000 << qint64(15000);
    QTest::addRow("opening, shorter") << false << 5000 << qint64(5000);
    QTest::addRow("opening, already past") << false << 1000 << qint64(2000);
    QTest::addRow("waiting for welcome, shorter") << true << 3000 << qint64(3000);
    QTest::addRow("zero: none") << true << 0 << qint64(-1);
}

void tst_EngineOptions::handshakeTimeoutRearmed()
{
    QFETCH(bool, socketOpened);
    QFETCH(int, timeout);
    QFETCH(qint64, abortAt);
    Harness h;
    h->open(h.now);
    h.pump();
    const TimePoint t0 = h.now;
    if (socketOpened)
        h.opened();
    h.advanceTo(t0 + milliseconds(2000));
    Options next = h->options();
    next.handshakeTimeout = milliseconds(timeout);
    QVERIFY(setOptions(h, next).ok());
    const auto at = stepUntil(h, t0 + milliseconds(60'000), [&] { return h.countActions<AbortSocket>() > 0; });
    QCOMPARE(msSince(t0, at), abortAt);
    if (at)
        QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.code, ErrorCode::HandshakeTimeout);
}

void tst_EngineOptions::stablePeriodRearmed_data()
{
    QTest::addColumn<int>("stablePeriod");
    QTest::addColumn<int>("attemptAfterDrop");  // the Reconnecting attempt after a drop at 2.5 s
    QTest::addRow("shorter: counters reset at 2 s") << 2000 << 1;
    QTest::addRow("zero: counters reset now") << 0 << 1;
    QTest::addRow("longer: not stable yet") << 20000 << 3;
}

void tst_EngineOptions::stablePeriodRearmed()
{
    QFETCH(int, stablePeriod);
    QFETCH(int, attemptAfterDrop);
    Harness h;
    h->open(h.now);
    h.closed(1006);                  // attempt 1 failed
    h.advanceTo(*h->pollTimeout());
    h.closed(1006);                  // attempt 2 failed
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome());      // connected; stable after 10 s by default
    const TimePoint t0 = h.now;
    h.advanceTo(t0 + milliseconds(1000));
    Options next = h->options();
    next.stablePeriod = milliseconds(stablePeriod);
    QVERIFY(setOptions(h, next).ok());
    h.advanceTo(t0 + milliseconds(2500));
    h.closed(1006);
    QCOMPARE(h.eventsOf<Reconnecting>().back().attempt, attemptAfterDrop);
}

void tst_EngineOptions::scheduledRetryKeepsItsDelay()
{
    Options o = baseOptions();
    o.jitter = JitterMode::None;
    o.backoffInitial = milliseconds(1000);
    Harness h(o);
    h.connect();
    const TimePoint dropped = h.now;
    h.closed(1006);
    QCOMPARE(h.eventsOf<Reconnecting>().back().delay, Duration(1000));
    Options next = h->options();
    next.backoffInitial = milliseconds(100);
    QVERIFY(setOptions(h, next).ok());
    QCOMPARE(h->pollTimeout(), std::optional<TimePoint>(dropped + milliseconds(1000)));  // as announced
    h.advanceTo(*h->pollTimeout());
    h.closed(1006);
    QCOMPARE(h.eventsOf<Reconnecting>().back().attempt, 2);
    QCOMPARE(h.eventsOf<Reconnecting>().back().delay, Duration(200));  // 100 * 2: the new values
}

void tst_EngineOptions::maxAttemptsLoweredBelowCount()
{
    Harness h;
    h->open(h.now);
    for (int i = 0; i < 3; ++i) {
        h.closed(1006);
        h.advanceTo(*h->pollTimeout());
    }
    Options next = h->options();
    next.maxAttempts = 2;  // already 3 attempts: the next failure is the last
    QVERIFY(setOptions(h, next).ok());
    QCOMPARE(h->state(), State::Connecting);
    h.closed(1006);
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.eventsOf<Failed>().back().error.code, ErrorCode::MaxAttempts);
}

void tst_EngineOptions::ackDelayRearmed_data()
{
    QTest::addColumn<int>("ackDelay");
    QTest::addColumn<qint64>("ackAt");  // ms after the delivery (change at 10 ms)
    QTest::addRow("longer, from the delivery") << 200 << qint64(200);
    QTest::addRow("shorter, from the delivery") << 20 << qint64(20);
    QTest::addRow("already past: at once") << 5 << qint64(10);
}

void tst_EngineOptions::ackDelayRearmed()
{
    QFETCH(int, ackDelay);
    QFETCH(qint64, ackAt);
    Harness h;
    h.connect();
    h.takeSent();
    const TimePoint t0 = h.now;
    h.serverFrame(serverMsg(1, QStringLiteral("m1"), text("hi")));
    h.advanceTo(t0 + milliseconds(10));
    QVERIFY(h.takeSentOf<P::Ack>().empty());
    Options next = h->options();
    next.ackDelay = milliseconds(ackDelay);
    QVERIFY(setOptions(h, next).ok());
    std::vector<P::Ack> acks;
    const auto at = stepUntil(h, t0 + milliseconds(60'000), [&] {
        acks = h.takeSentOf<P::Ack>();
        return !acks.empty();
    });
    QCOMPARE(msSince(t0, at), ackAt);
    QCOMPARE(acks.front().seq, quint64(1));
}

void tst_EngineOptions::ackEveryLoweredFlushes()
{
    Harness h;
    h.connect();
    h.takeSent();
    for (quint64 seq = 1; seq <= 10; ++seq)
        h.serverFrame(serverMsg(seq, QStringLiteral("m%1").arg(seq), QCborValue(qint64(seq))));
    QVERIFY(h.takeSentOf<P::Ack>().empty());  // 10 < 64, within the ack delay
    Options next = h->options();
    next.ackEvery = 5;
    QVERIFY(setOptions(h, next).ok());
    const auto acks = h.takeSentOf<P::Ack>();
    QCOMPARE(acks.size(), size_t(1));
    QCOMPARE(acks.front().seq, quint64(10));
}

void tst_EngineOptions::recentIdWindowShrinks()
{
    Harness h;
    h.connect(QStringLiteral("s1"));
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("a")));
    h.serverFrame(serverMsg(2, QStringLiteral("b"), text("b")));
    h.serverFrame(serverMsg(3, QStringLiteral("c"), text("c")));
    Options next = h->options();
    next.recentIdWindow = 2;  // "a" is forgotten now, "b" and "c" remembered
    QVERIFY(setOptions(h, next).ok());
    h.dropAndReopen();
    h.serverFrame(h.welcome(QStringLiteral("s2")));  // a new session: the server resends
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("a")));
    h.serverFrame(serverMsg(2, QStringLiteral("c"), text("c")));
    QCOMPARE(h.countEvents<MessageReceived>(), 4);  // a again (forgotten); c suppressed
    QCOMPARE(h.eventsOf<MessageReceived>().back().id, QStringLiteral("a"));
    QCOMPARE(h->stats().duplicatesSuppressed, quint64(1));
}

void tst_EngineOptions::requestTimeoutForNewRequestsOnly()
{
    Harness h;  // request timeout 30 s; offline: both requests wait
    const TimePoint t0 = h.now;
    const quint64 before = h->request(h.now, QStringLiteral("a")).id;
    h.advanceTo(t0 + milliseconds(1000));
    Options next = h->options();
    next.requestTimeout = milliseconds(5000);
    QVERIFY(setOptions(h, next).ok());
    const quint64 after = h->request(h.now, QStringLiteral("b")).id;
    const auto finishedAt = [&](quint64 id) {
        return stepUntil(h, t0 + milliseconds(60'000), [&] {
            for (const auto &f : h.eventsOf<RequestFinished>())
                if (f.id == id)
                    return true;
            return false;
        });
    };
    QCOMPARE(msSince(t0, finishedAt(after)), qint64(6000));
    QCOMPARE(msSince(t0, finishedAt(before)), qint64(30000));
}

// ---- the outbox ----------------------------------------------------------------------

void tst_EngineOptions::maxInFlightApplies()
{
    Options o = baseOptions();
    o.maxInFlight = 2;
    Harness h(o);
    h.connect();
    h.takeSent();
    for (int i = 0; i < 10; ++i)
        h.send(QCborValue(i));
    QCOMPARE(h.takeSentOf<P::Msg>().size(), size_t(2));
    Options next = h->options();
    next.maxInFlight = 5;  // raised: three more go at once
    QVERIFY(setOptions(h, next).ok());
    const auto more = h.takeSentOf<P::Msg>();
    QCOMPARE(more.size(), size_t(3));
    QCOMPARE(*more.back().seq, quint64(5));
    next.maxInFlight = 1;  // lowered: nothing taken back, nothing new until below 1
    QVERIFY(setOptions(h, next).ok());
    QCOMPARE(h->stats().inFlight, qsizetype(5));
    h.serverFrame(P::Ack{4});
    QVERIFY(h.takeSentOf<P::Msg>().empty());  // 1 still in flight
    h.serverFrame(P::Ack{5});
    const auto one = h.takeSentOf<P::Msg>();
    QCOMPARE(one.size(), size_t(1));
    QCOMPARE(*one.front().seq, quint64(6));
}

void tst_EngineOptions::outboxAboveLoweredBound_data()
{
    QTest::addColumn<bool>("dropOldest");
    QTest::addColumn<bool>("byBytes");
    QTest::addRow("RejectNew, count bound") << false << false;
    QTest::addRow("DropOldest, count bound") << true << false;
    QTest::addRow("RejectNew, byte bound") << false << true;
    QTest::addRow("DropOldest, byte bound") << true << true;
}

void tst_EngineOptions::outboxAboveLoweredBound()
{
    QFETCH(bool, dropOldest);
    QFETCH(bool, byBytes);
    Harness h;  // offline: everything waits in the outbox
    QStringList ids;
    for (int i = 0; i < 10; ++i)
        ids << h.send(text("0123456789")).id;
    const qsizetype bytesEach = h->queueBytes() / 10;
    Options next = h->options();
    next.overflow = dropOldest ? OverflowPolicy::DropOldest : OverflowPolicy::RejectNew;
    if (byBytes)
        next.maxQueuedBytes = 5 * bytesEach;
    else
        next.maxQueuedMessages = 5;
    const OptionsResult r = setOptions(h, next);
    QVERIFY(r.ok());
    QVERIFY(r.queueOverBound);
    QCOMPARE(h->queueDepth(), qsizetype(10));  // not trimmed
    QVERIFY(h.events.empty());

    const SendResult extra = h.send(text("0123456789"));
    if (!dropOldest) {
        QCOMPARE(extra.error->code, ErrorCode::QueueFull);
        QCOMPARE(h->queueDepth(), qsizetype(10));
        QVERIFY(h.events.empty());
    } else {
        // The policy's usual rule against the new bound: the oldest go, each reported.
        QVERIFY(extra.ok());
        QCOMPARE(h->queueDepth(), qsizetype(5));
        const auto drops = h.eventsOf<Dropped>();
        QCOMPARE(int(drops.size()), 6);
        for (int i = 0; i < 6; ++i) {
            QCOMPARE(drops[size_t(i)].id, ids[i]);
            QCOMPARE(drops[size_t(i)].reason, DropReason::QueueFull);
        }
        ids = ids.mid(6) << extra.id;
    }
    // Whatever stayed is delivered, in order.
    h.connect();
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), ids.size());
    h.serverFrame(P::Ack{quint64(ids.size())});
    QCOMPARE(h.countEvents<Delivered>(), int(ids.size()));
    QCOMPARE(h.eventsOf<Delivered>().back().id, ids.back());
}

// ---- tokens and codecs ----------------------------------------------------------------

void tst_EngineOptions::tokenDroppedWhilePendingConnectsNow()
{
    Options o = baseOptions();
    o.useToken = true;
    Harness h(o);
    h->open(h.now);
    h.pump();
    QCOMPARE(h.countEvents<TokenRequired>(), 1);
    QCOMPARE(h.countActions<OpenSocket>(), 0);
    Options next = h->options();
    next.useToken = false;
    const OptionsResult r = setOptions(h, next);
    QCOMPARE(r.deferred, QStringList());  // no socket yet: applies now
    QCOMPARE(h.countActions<OpenSocket>(), 1);
    h.opened();
    QVERIFY(!h.takeSentOf<P::Hello>().front().token.has_value());
    h->provideToken(h.now, QStringLiteral("late"));  // the answer no one waits for: ignored
    h.pump();
    QCOMPARE(h.countActions<OpenSocket>(), 1);
    QCOMPARE(h.countEvents<ErrorOccurred>(), 0);
}

void tst_EngineOptions::tokenAddedWhileConnectedNextSocket()
{
    Harness h;
    h.connect();
    Options next = h->options();
    next.useToken = true;
    QCOMPARE(setOptions(h, next).deferred, QStringList{QStringLiteral("useToken")});
    // 4001 without a token provider would be fatal; the socket went, so the token is used.
    h.closed(4001);
    QCOMPARE(h->state(), State::Connecting);
    QCOMPARE(h.countEvents<TokenRequired>(), 1);
    h->provideToken(h.now, QStringLiteral("fresh"));
    h.opened();
    QCOMPARE(*h.takeSentOf<P::Hello>().back().token, QStringLiteral("fresh"));
}

void tst_EngineOptions::codecSwitchReencodesPendingRequests()
{
    Harness h;  // JSON, stopped: a subscription and a request wait
    const RequestResult sub = h->subscribe(h.now, QStringLiteral("room"));
    const RequestResult req = h->request(h.now, QStringLiteral("echo"), text("x"));
    h.pump();
    Options next = h->options();
    next.codec = P::CodecKind::Cbor;
    QCOMPARE(setOptions(h, next).deferred, QStringList());  // no socket, empty outbox
    QCOMPARE(h->options().codec, P::CodecKind::Cbor);
    h.codec = &P::cborCodec();
    h->open(h.now);
    h.pump();
    QCOMPARE(h.actionsOf<OpenSocket>().back().subprotocols, (QList<QByteArray>{"tether.v1.1.cbor", "tether.v1.cbor"}));
    h.opened();
    h.takeSent();
    const size_t first = h.actions.size();
    h.serverFrame(h.welcome());
    QCOMPARE(h->state(), State::Connected);
    const auto sent = h.takeSent();  // decoded with CBOR: they were re-encoded
    QCOMPARE(sent.size(), size_t(2));
    QCOMPARE(std::get<P::Sub>(sent[0]).id, sub.id);
    QCOMPARE(std::get<P::Req>(sent[1]).id, req.id);
    QVERIFY(std::get<SendFrame>(h.actions[first]).binary);
    QCOMPARE(h.countEvents<RequestFinished>(), 0);
}

void tst_EngineOptions::codecWaitsForEmptyOutbox()
{
    Harness h;
    h.connect();
    h.send(text("on the wire"));
    Options next = h->options();
    next.codec = P::CodecKind::Cbor;
    QCOMPARE(setOptions(h, next).deferred, QStringList{QStringLiteral("codec")});
    h.closed(1006);  // the socket went, but a message encoded as JSON is still queued
    QCOMPARE(h->deferredOptions(), QStringList{QStringLiteral("codec")});
    h.advanceTo(*h->pollTimeout());
    QCOMPARE(h.actionsOf<OpenSocket>().back().subprotocols, (QList<QByteArray>{"tether.v1.1.json", "tether.v1.json"}));
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    QCOMPARE(h.takeSentOf<P::Msg>().size(), size_t(1));  // resent, still JSON
    h.serverFrame(P::Ack{1});
    QCOMPARE(h.countEvents<Delivered>(), 1);
    QCOMPARE(h->deferredOptions(), QStringList{QStringLiteral("codec")});  // never under a socket
    h.closed(1006);
    QCOMPARE(h->deferredOptions(), QStringList());
    h.advanceTo(*h->pollTimeout());
    QCOMPARE(h.actionsOf<OpenSocket>().back().subprotocols, (QList<QByteArray>{"tether.v1.1.cbor", "tether.v1.cbor"}));
}

void tst_EngineOptions::codecSwitchFailsUncarriableRequest()
{
    Options o = baseOptions();
    o.codec = P::CodecKind::Cbor;
    Harness h(o);
    const RequestResult bytes = h->request(h.now, QStringLiteral("echo"), QCborValue(QByteArray("\x01\x02", 2)));
    const RequestResult plain = h->request(h.now, QStringLiteral("echo"), text("x"));
    QVERIFY(bytes.ok() && plain.ok());
    Options next = h->options();
    next.codec = P::CodecKind::Json;
    QVERIFY(setOptions(h, next).ok());
    const auto finished = h.eventsOf<RequestFinished>();
    QCOMPARE(finished.size(), size_t(1));
    QCOMPARE(finished.front().id, bytes.id);
    QCOMPARE(finished.front().error->code, ErrorCode::NotSupported);
    QCOMPARE(h->stats().pendingRequests, qsizetype(1));  // the other one survives, as JSON
    h.codec = &P::jsonCodec();
    h.connect();
    const auto reqs = h.takeSentOf<P::Req>();
    QCOMPARE(reqs.size(), size_t(1));
    QCOMPARE(reqs.front().id, plain.id);
}

void tst_EngineOptions::rawModeSwitchFailsRequests()
{
    Harness h;
    const RequestResult req = h->request(h.now, QStringLiteral("echo"));
    h.pump();
    Options next = h->options();
    next.rawMode = true;
    QCOMPARE(setOptions(h, next).deferred, QStringList());
    QCOMPARE(h.countEvents<RequestFinished>(), 1);
    QCOMPARE(h.eventsOf<RequestFinished>().front().id, req.id);
    QCOMPARE(h.eventsOf<RequestFinished>().front().error->code, ErrorCode::NotSupported);
    QCOMPARE(h->stats().pendingRequests, qsizetype(0));
}

QTEST_GUILESS_MAIN(tst_EngineOptions)
#include "tst_engine_options.moc"
