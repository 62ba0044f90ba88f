// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Backoff: the formula per jitter mode from a table, seeded sequences through the engine,
// the retryAfter floor, the stable-period reset, max attempts, the initial random delay;
// Full's windows laid end to end from the drop with one phase per outage, and a fleet of
// seeded engines through a server restart (the reconnect storm of docs/benchmarks.md).
#include "engine_harness.h"

#include <engine/backoff_p.h>

#include <QtTest/QTest>

#include <algorithm>
#include <set>

using namespace EngineTest;

namespace {

// Makes the engine fail `n` connection attempts in a row (refused), returning the delays
// it announced.
std::vector<qint64> failAttempts(Harness &h, int n)
{
    std::vector<qint64> delays;
    h->open(h.now);
    h.pump();
    for (int i = 0; i < n && h->state() == State::Connecting; ++i) {
        h.clearEvents();
        h->handleTransportError(h.now, u"refused");
        h.pump();
        for (const auto &r : h.eventsOf<Reconnecting>())
            delays.push_back(r.delay.count());
        if (auto due = h->pollTimeout())
            h.advanceTo(*due);
    }
    return delays;
}


// Where attempt k (0-based) of an outage falls under Full, from the drop: the windows laid
// end to end, the same phase in each. Attempts fail the instant they start.
std::vector<qint64> fullSchedule(const Options &o, double phase, bool afterEstablished, int n)
{
    std::vector<qint64> at;
    qint64 start = 0;
    for (int k = 0; k < n; ++k) {
        const Duration width = backoffWindow(o, k, afterEstablished && k == 0);
        at.push_back(start + phaseOffset(width, phase).count());
        start += width.count();
    }
    return at;
}

// The peak and the mean number of attempts per 100 ms window, over the windows from the one
// holding the first attempt to the one in which the last client is back (docs/benchmarks.md,
// reconnect storm). Times in ms from the drop.
struct Wave {
    int peak = 0;
    double mean = 0;
    qint64 allBack = 0;
    double peakToMean() const { return mean > 0 ? peak / mean : 0; }
};

Wave wave(std::vector<qint64> attempts, qint64 allBack)
{
    std::sort(attempts.begin(), attempts.end());
    const qint64 first = attempts.front() / 100, last = allBack / 100;
    std::vector<int> perWindow(size_t(last - first + 1), 0);
    for (qint64 t : attempts)
        ++perWindow[size_t(t / 100 - first)];
    Wave w;
    w.peak = *std::max_element(perWindow.begin(), perWindow.end());
    w.mean = double(attempts.size()) / double(perWindow.size());
    w.allBack = allBack;
    return w;
}

// `clients` seeded engines, each connected and stable, dropped together by a server going
// away (1001); the server accepts again `downMs` after the drop and refuses until then. The
// attempts each engine makes (times from the drop) and when the last is back.
Wave engineFleet(JitterMode mode, qint64 initialRandomDelayMs, qint64 downMs, int clients)
{
    std::vector<qint64> attempts;
    qint64 allBack = 0;
    for (int i = 0; i < clients; ++i) {
        Options o = baseOptions(quint64(1000 + i));
        o.jitter = mode;
        o.initialRandomDelay = milliseconds(initialRandomDelayMs);
        o.urls = {QUrl(QStringLiteral("ws://a.example/ws"))};
        Harness h(o);
        h.connect();
        h.advance(milliseconds(10'000));  // stable: a fresh outage
        const TimePoint drop = h.now;
        h.closed(1001);
        while (h->state() != State::Connected) {
            const int opened = h.countActions<OpenSocket>();
            h.advanceTo(*h->pollTimeout());
            if (h.countActions<OpenSocket>() == opened)
                continue;
            const qint64 t = std::chrono::duration_cast<milliseconds>(h.now - drop).count();
            attempts.push_back(t);
            if (t < downMs) {
                h->handleTransportError(h.now, u"refused");
                h.pump();
            } else {
                h.opened();
                h.serverFrame(h.welcome(QStringLiteral("s%1").arg(i)));
                allBack = std::max(allBack, t);
            }
        }
    }
    return wave(attempts, allBack);
}

// The same fleet under classic full jitter (a fresh uniform [0, backoff(n)] after each
// failure, what Full did before the reconnect-storm fix), from the formula alone.
Wave classicFleet(qint64 downMs, int clients)
{
    Options o;
    std::mt19937_64 rng(7);
    std::vector<qint64> attempts;
    qint64 allBack = 0;
    for (int i = 0; i < clients; ++i) {
        qint64 t = uniformDelay(milliseconds(1000), rng()).count();
        for (int attempt = 2;; ++attempt) {
            attempts.push_back(t);
            if (t >= downMs)
                break;
            t += backoffDelay(o, attempt, rng()).count();
        }
        allBack = std::max(allBack, t);
    }
    return wave(attempts, allBack);
}

} // namespace

class tst_EngineBackoff : public QObject {
    Q_OBJECT
private slots:
    void baseDelay_data();
    void baseDelay();
    void jitterBounds_data();
    void jitterBounds();
    void seededSequenceIsReproducible_data();
    void seededSequenceIsReproducible();
    void fullJitterSpreads();
    void retryAfterIsAFloor();
    void stablePeriodResetsAttempts_data();
    void stablePeriodResetsAttempts();
    void maxAttemptsEndsInFailed();
    void initialRandomDelayAfterDrop();
    void networkChangeCutsTheWaitShort();
    void reconnectingEventCountsAttempts();
    void windowFormulas_data();
    void windowFormulas();
    void fullWindowsAreAnchoredToTheDrop_data();
    void fullWindowsAreAnchoredToTheDrop();
    void fullSkipsWindowsASlowAttemptOutlived();
    void fullAfterALongSleepStaysOnTheGrid();
    void fullDrawsANewPhasePerOutage();
    void fullFlapStartsTheNextWindowAtTheDrop();
    void fullRetryAfterSkipsToALaterWindow();
    void fleetRestartWave_data();
    void fleetRestartWave();
};

void tst_EngineBackoff::baseDelay_data()
{
    QTest::addColumn<int>("attempt");
    QTest::addColumn<qint64>("expected");
    // initial 500, multiplier 2, max 30 000
    const qint64 expected[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (int i = 0; i < 8; ++i)
        QTest::addRow("attempt %d", i + 1) << i + 1 << expected[i];
    QTest::addRow("attempt 1000 capped, no overflow") << 1000 << qint64(30000);
}

void tst_EngineBackoff::baseDelay()
{
    QFETCH(int, attempt);
    QFETCH(qint64, expected);
    QCOMPARE(backoffBase(Options{}, attempt).count(), expected);
}

void tst_EngineBackoff::jitterBounds_data()
{
    QTest::addColumn<int>("mode");
    QTest::addColumn<int>("attempt");
    QTest::addColumn<qint64>("low");
    QTest::addColumn<qint64>("high");
    QTest::addRow("full attempt 1") << int(JitterMode::Full) << 1 << qint64(0) << qint64(500);
    QTest::addRow("full attempt 4") << int(JitterMode::Full) << 4 << qint64(0) << qint64(4000);
    QTest::addRow("equal attempt 1") << int(JitterMode::Equal) << 1 << qint64(250) << qint64(500);
    QTest::addRow("equal attempt 7") << int(JitterMode::Equal) << 7 << qint64(15000) << qint64(30000);
    QTest::addRow("none attempt 3") << int(JitterMode::None) << 3 << qint64(2000) << qint64(2000);
}

void tst_EngineBackoff::jitterBounds()
{
    QFETCH(int, mode);
    QFETCH(int, attempt);
    QFETCH(qint64, low);
    QFETCH(qint64, high);
    Options o;
    o.jitter = JitterMode(mode);
    std::mt19937_64 rng(7);
    qint64 seenLow = high, seenHigh = low;
    for (int i = 0; i < 2000; ++i) {
        const qint64 d = backoffDelay(o, attempt, rng()).count();
        QVERIFY2(d >= low && d <= high, qPrintable(QString::number(d)));
        seenLow = std::min(seenLow, d);
        seenHigh = std::max(seenHigh, d);
    }
    if (low != high)  // the range is actually used, not one corner of it
        QVERIFY(seenHigh - seenLow > (high - low) / 2);
}

void tst_EngineBackoff::seededSequenceIsReproducible_data()
{
    QTest::addColumn<int>("mode");
    QTest::addRow("full") << int(JitterMode::Full);
    QTest::addRow("equal") << int(JitterMode::Equal);
    QTest::addRow("none") << int(JitterMode::None);
}

void tst_EngineBackoff::seededSequenceIsReproducible()
{
    QFETCH(int, mode);
    const auto run = [&](quint64 seed) {
        Options o = baseOptions(seed);
        o.jitter = JitterMode(mode);
        Harness h(o);
        return failAttempts(h, 9);
    };
    const auto a = run(42);
    const auto b = run(42);
    QCOMPARE(int(a.size()), 9);
    QCOMPARE(a, b);
    // The engine's delays are exactly the formula fed by the same seeded source: for Full
    // the windowed schedule of the phase drawn from the first value (attempts fail the
    // instant they start, so each delay is the gap between two phase points).
    std::mt19937_64 rng(42);
    Options o;
    o.jitter = JitterMode(mode);
    if (JitterMode(mode) == JitterMode::Full) {
        const auto at = fullSchedule(o, unitFraction(rng()), false, 9);
        for (int i = 0; i < 9; ++i)
            QCOMPARE(a[size_t(i)], at[size_t(i)] - (i > 0 ? at[size_t(i - 1)] : 0));
        return;
    }
    for (int i = 0; i < 9; ++i)
        QCOMPARE(a[size_t(i)], backoffDelay(o, i + 1, rng()).count());
    if (JitterMode(mode) == JitterMode::None)
        QCOMPARE(a, (std::vector<qint64>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000}));
}

void tst_EngineBackoff::fullJitterSpreads()
{
    // A fleet of 200 clients dropped at once: the first retries spread over the window.
    std::vector<qint64> firsts;
    for (quint64 seed = 1; seed <= 200; ++seed) {
        Harness h(baseOptions(seed));
        firsts.push_back(failAttempts(h, 1).front());
    }
    std::sort(firsts.begin(), firsts.end());
    QVERIFY(firsts.front() < 50);
    QVERIFY(firsts.back() > 450);
    QVERIFY(firsts[100] > 150 && firsts[100] < 350);
}

void tst_EngineBackoff::retryAfterIsAFloor()
{
    Options o = baseOptions();
    o.jitter = JitterMode::None;
    Harness h(o);
    h.connect();
    P::ErrorFrame e;
    e.code = QStringLiteral("overloaded");
    e.msg = QStringLiteral("try later");
    e.retryAfter = 7000;
    h.serverFrame(e);
    h.closed(1013);
    const auto r = h.eventsOf<Reconnecting>();
    QCOMPARE(int(r.size()), 1);
    QCOMPARE(r.front().delay.count(), 7000);
    QCOMPARE(h.eventsOf<ErrorOccurred>().front().error.remoteCode, QStringLiteral("overloaded"));
    // Only the next delay: the one after is the plain formula again.
    h.advanceTo(*h->pollTimeout());
    h.clearEvents();
    h->handleTransportError(h.now, u"refused");
    h.pump();
    QCOMPARE(h.eventsOf<Reconnecting>().front().delay.count(), 1000);
}

void tst_EngineBackoff::stablePeriodResetsAttempts_data()
{
    QTest::addColumn<qint64>("upFor");
    QTest::addColumn<int>("expectedAttempt");
    QTest::addRow("dropped at once keeps counting") << qint64(0) << 4;
    QTest::addRow("dropped after 9.9 s keeps counting") << qint64(9'900) << 4;
    QTest::addRow("stable 10 s resets") << qint64(10'000) << 1;
}

void tst_EngineBackoff::stablePeriodResetsAttempts()
{
    QFETCH(qint64, upFor);
    QFETCH(int, expectedAttempt);
    Harness h;
    failAttempts(h, 3);  // attempts 1..3 used, now connecting again
    h.opened();
    h.serverFrame(h.welcome());
    QCOMPARE(h->state(), State::Connected);
    h.advance(milliseconds(upFor));
    h.clearEvents();
    h.closed(1006);
    QCOMPARE(h.eventsOf<Reconnecting>().front().attempt, expectedAttempt);
}

void tst_EngineBackoff::maxAttemptsEndsInFailed()
{
    Options o = baseOptions();
    o.maxAttempts = 3;
    Harness h(o);
    failAttempts(h, 10);
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.countActions<OpenSocket>(), 4);  // the first try + 3 retries
    const auto failed = h.eventsOf<Failed>();
    QCOMPARE(int(failed.size()), 1);
    QCOMPARE(failed.front().error.code, ErrorCode::MaxAttempts);
    QVERIFY(failed.front().error.fatal);
}

void tst_EngineBackoff::initialRandomDelayAfterDrop()
{
    std::vector<qint64> delays;
    for (quint64 seed = 1; seed <= 50; ++seed) {
        Options o = baseOptions(seed);
        o.jitter = JitterMode::None;
        o.initialRandomDelay = milliseconds(5000);
        Harness h(o);
        h.connect();
        h.advance(milliseconds(10'000));  // stable
        h.closed(1006);
        delays.push_back(h.eventsOf<Reconnecting>().front().delay.count());
        // The next retry uses the formula (attempt 2 = 1000 ms with no jitter).
        h.advanceTo(*h->pollTimeout());
        h.clearEvents();
        h->handleTransportError(h.now, u"refused");
        h.pump();
        QCOMPARE(h.eventsOf<Reconnecting>().front().delay.count(), 1000);
    }
    std::sort(delays.begin(), delays.end());
    QVERIFY(delays.front() >= 0 && delays.back() <= 5000);
    QVERIFY(delays.back() - delays.front() > 2500);  // spread, not a constant
}

void tst_EngineBackoff::networkChangeCutsTheWaitShort()
{
    Options o = baseOptions();
    o.jitter = JitterMode::None;
    o.backoffInitial = milliseconds(20'000);
    Harness h(o);
    h.connect();
    h.closed(1006);
    QCOMPARE(h->state(), State::Reconnecting);
    h->notifyNetworkChanged(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Connecting);
    QCOMPARE(h.countActions<OpenSocket>(), 2);
}

void tst_EngineBackoff::reconnectingEventCountsAttempts()
{
    Harness h;
    const auto delays = failAttempts(h, 5);
    QCOMPARE(int(delays.size()), 5);
    QCOMPARE(int(h->stats().reconnects), 5);
}

void tst_EngineBackoff::windowFormulas_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<bool>("afterEstablished");
    QTest::addColumn<qint64>("initialRandomDelay");
    QTest::addColumn<qint64>("expected");
    // initial 500, multiplier 2, max 30 000
    QTest::addRow("window 0 after a drop: initialRandomDelay") << 0 << true << qint64(1000) << qint64(1000);
    QTest::addRow("window 0 after a drop, no initialRandomDelay: backoff(1)") << 0 << true << qint64(0) << qint64(500);
    QTest::addRow("window 0 of a first connect: backoff(1)") << 0 << false << qint64(1000) << qint64(500);
    QTest::addRow("window 1: backoff(2)") << 1 << true << qint64(1000) << qint64(1000);
    QTest::addRow("window 3: backoff(4)") << 3 << false << qint64(1000) << qint64(4000);
    QTest::addRow("window 9: capped") << 9 << false << qint64(1000) << qint64(30000);
    QTest::addRow("negative index: window 0") << -3 << false << qint64(1000) << qint64(500);
}

void tst_EngineBackoff::windowFormulas()
{
    QFETCH(int, index);
    QFETCH(bool, afterEstablished);
    QFETCH(qint64, initialRandomDelay);
    QFETCH(qint64, expected);
    Options o;
    o.initialRandomDelay = milliseconds(initialRandomDelay);
    QCOMPARE(backoffWindow(o, index, afterEstablished).count(), expected);

    // The phase point: floor(phase * width), always inside the window; nothing in an empty one.
    QCOMPARE(phaseOffset(milliseconds(1000), 0.0).count(), 0);
    QCOMPARE(phaseOffset(milliseconds(1000), 0.5).count(), 500);
    QCOMPARE(phaseOffset(milliseconds(1000), unitFraction(~quint64(0))).count(), 999);
    QCOMPARE(phaseOffset(milliseconds(1000), 1.0).count(), 999);   // out of range: clamped
    QCOMPARE(phaseOffset(milliseconds(1000), -0.5).count(), 0);
    QCOMPARE(phaseOffset(milliseconds(0), 0.7).count(), 0);
    QCOMPARE(phaseOffset(milliseconds(-5), 0.7).count(), 0);
    QCOMPARE(unitFraction(0), 0.0);
    QVERIFY(unitFraction(~quint64(0)) < 1.0);
    QCOMPARE(unitFraction(quint64(1) << 63), 0.5);
}

void tst_EngineBackoff::fullWindowsAreAnchoredToTheDrop_data()
{
    QTest::addColumn<bool>("afterEstablished");
    QTest::addColumn<quint64>("seed");
    QTest::addRow("first connect refused, seed 1") << false << quint64(1);
    QTest::addRow("first connect refused, seed 2") << false << quint64(2);
    QTest::addRow("established link dropped, seed 1") << true << quint64(1);
    QTest::addRow("established link dropped, seed 3") << true << quint64(3);
}

// Attempt k falls at the same fraction of window k for every k, the windows counted from the
// drop (or the first failure), and every delay stays within [0, backoff(n)].
void tst_EngineBackoff::fullWindowsAreAnchoredToTheDrop()
{
    QFETCH(bool, afterEstablished);
    QFETCH(quint64, seed);
    Options o = baseOptions(seed);
    o.initialRandomDelay = milliseconds(1000);
    Harness h(o);
    TimePoint drop;
    if (afterEstablished) {
        h.connect();
        h.advance(milliseconds(10'000));
        drop = h.now;
        h.closed(1006);
    } else {
        h->open(h.now);
        h.pump();
        drop = h.now;
        h->handleTransportError(h.now, u"refused");
        h.pump();
    }
    std::vector<qint64> at;
    std::vector<qint64> delays;
    for (int k = 0; k < 9; ++k) {
        delays.push_back(h.eventsOf<Reconnecting>().back().delay.count());
        h.advanceTo(*h->pollTimeout());
        at.push_back(std::chrono::duration_cast<milliseconds>(h.now - drop).count());
        h->handleTransportError(h.now, u"refused");
        h.pump();
    }
    std::mt19937_64 rng(seed);
    const auto expected = fullSchedule(o, unitFraction(rng()), afterEstablished, 9);
    QCOMPARE(at, expected);
    for (int k = 0; k < 9; ++k) {
        const qint64 cap = (afterEstablished && k == 0) ? 1000 : backoffBase(o, k + 1).count();
        QVERIFY2(delays[size_t(k)] >= 0 && delays[size_t(k)] <= cap,
                 qPrintable(QStringLiteral("attempt %1: %2 ms > %3 ms").arg(k + 1).arg(delays[size_t(k)]).arg(cap)));
    }
}

// An attempt that takes longer than its window (a slow handshake) does not push the whole
// schedule back: the next attempt is at the phase point of the first window still ahead.
void tst_EngineBackoff::fullSkipsWindowsASlowAttemptOutlived()
{
    Options o = baseOptions(5);
    o.handshakeTimeout = milliseconds(2500);
    Harness h(o);
    h->open(h.now);
    h.pump();
    const TimePoint start = h.now;
    h->handleTransportError(h.now, u"refused");  // windows from here: 500, 1000, 2000, 4000, 8000
    h.pump();
    std::mt19937_64 rng(5);
    const auto grid = fullSchedule(o, unitFraction(rng()), false, 8);
    const auto sinceStart = [&] { return std::chrono::duration_cast<milliseconds>(h.now - start).count(); };
    std::vector<qint64> at;
    for (int k = 0; k < 4; ++k) {
        h.advanceTo(*h->pollTimeout());  // the attempt starts...
        at.push_back(sinceStart());
        h.opened();                      // ...the socket opens, no welcome: handshake timeout
        h.advanceTo(*h->pollTimeout());
        QCOMPARE(h->state(), State::Reconnecting);
        QVERIFY(*h->pollTimeout() >= h.now);
    }
    // Every attempt is on the grid, each later than the failure before it.
    for (qint64 t : at)
        QVERIFY2(std::find(grid.begin(), grid.end(), t) != grid.end(), qPrintable(QString::number(t)));
    QVERIFY(std::is_sorted(at.begin(), at.end()));
    QVERIFY(at.back() > at.front() + 3 * 2500);
    // ...and some windows were skipped (the handshake took longer than the early windows).
    QVERIFY(at[1] != grid[1]);
}

// A machine that slept for a day: the next attempt is one capped window away at most, still
// at the outage's phase, found without walking every missed window.
void tst_EngineBackoff::fullAfterALongSleepStaysOnTheGrid()
{
    Options o = baseOptions(9);
    Harness h(o);
    h->open(h.now);
    h.pump();
    const TimePoint start = h.now;
    h->handleTransportError(h.now, u"refused");
    h.pump();
    h.advanceTo(*h->pollTimeout());
    h.now += std::chrono::hours(24);
    h->handleTransportError(h.now, u"refused");
    h.pump();
    const qint64 delay = h.eventsOf<Reconnecting>().back().delay.count();
    QVERIFY2(delay >= 0 && delay <= 30000, qPrintable(QString::number(delay)));
    std::mt19937_64 rng(9);
    const double phase = unitFraction(rng());
    // From the first capped window (window 6: 30 s wide), the grid repeats every 30 s.
    const auto grid = fullSchedule(o, phase, false, 7);
    const qint64 point = std::chrono::duration_cast<milliseconds>(h.now - start).count() + delay;
    QCOMPARE((point - grid[6]) % 30000, 0);
}

// A stable connection resets the counter, and the next outage draws a new phase.
void tst_EngineBackoff::fullDrawsANewPhasePerOutage()
{
    Options o = baseOptions(11);
    o.initialRandomDelay = milliseconds(1000);
    Harness h(o);
    h.connect();
    std::vector<qint64> firsts;
    for (int outage = 0; outage < 4; ++outage) {
        h.advance(milliseconds(10'000));
        h.clearEvents();
        h.closed(1001);
        firsts.push_back(h.eventsOf<Reconnecting>().front().delay.count());
        QCOMPARE(h.eventsOf<Reconnecting>().front().attempt, 1);
        h.advanceTo(*h->pollTimeout());
        h.opened();
        h.serverFrame(h.welcome());
    }
    std::mt19937_64 rng(11);
    std::vector<qint64> expected;
    for (int outage = 0; outage < 4; ++outage)
        expected.push_back(phaseOffset(milliseconds(1000), unitFraction(rng())).count());
    QCOMPARE(firsts, expected);
    QVERIFY(std::set<qint64>(firsts.begin(), firsts.end()).size() == 4);
}

// A server that accepts and drops again before the connection is stable: the outage goes
// on (the counter is not reset), the next window starts at this drop, the phase is kept.
void tst_EngineBackoff::fullFlapStartsTheNextWindowAtTheDrop()
{
    Options o = baseOptions(13);
    o.initialRandomDelay = milliseconds(1000);
    Harness h(o);
    h.connect();
    h.advance(milliseconds(10'000));
    h.closed(1006);                 // attempt 1, window 0 (1000 ms)
    h.advanceTo(*h->pollTimeout());
    h->handleTransportError(h.now, u"refused");  // attempt 2, window 1 (1000 ms)
    h.pump();
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome());
    QCOMPARE(h->state(), State::Connected);
    h.advance(milliseconds(3000));  // not stable yet
    h.clearEvents();
    h.closed(1006);                 // attempt 3, window 2 (2000 ms) from now
    const auto r = h.eventsOf<Reconnecting>();
    QCOMPARE(int(r.size()), 1);
    QCOMPARE(r.front().attempt, 3);
    std::mt19937_64 rng(13);
    QCOMPARE(r.front().delay.count(), phaseOffset(milliseconds(2000), unitFraction(rng())).count());
}

// retryAfter under Full: the delay is at least the floor, and lands on the phase point of the
// first window past it, so clients told the same floor at once arrive spread, not together.
void tst_EngineBackoff::fullRetryAfterSkipsToALaterWindow()
{
    std::vector<qint64> delays;
    for (quint64 seed = 1; seed <= 100; ++seed) {
        Harness h(baseOptions(seed));
        h.connect();
        h.advance(milliseconds(10'000));
        P::ErrorFrame e;
        e.code = QStringLiteral("server_full");
        e.msg = QStringLiteral("too many connections");
        e.retryAfter = 2000;
        h.serverFrame(e);
        h.closed(4013);
        const qint64 d = h.eventsOf<Reconnecting>().front().delay.count();
        QVERIFY2(d >= 2000, qPrintable(QString::number(d)));
        // Windows from the drop: 500 (backoff(1): initialRandomDelay is 0 here), 1000, 2000,
        // 4000: the floor (2000) falls in window 2 [1500, 3500) or later.
        const auto grid = fullSchedule(h->options(), unitFraction(std::mt19937_64(seed)()), true, 6);
        QVERIFY2(std::find(grid.begin(), grid.end(), d) != grid.end(), qPrintable(QString::number(d)));
        delays.push_back(d);
        // Only the next delay: the one after is on the grid again, without the floor.
        h.advanceTo(*h->pollTimeout());
        h.clearEvents();
        h->handleTransportError(h.now, u"refused");
        h.pump();
        const qint64 after = d + h.eventsOf<Reconnecting>().front().delay.count();
        QVERIFY(std::find(grid.begin(), grid.end(), after) != grid.end());
    }
    std::sort(delays.begin(), delays.end());
    QVERIFY2(delays.back() - delays.front() > 2000, "the floor must not bunch the fleet");
    QVERIFY(std::count(delays.begin(), delays.end(), delays.front()) < 5);
}

void tst_EngineBackoff::fleetRestartWave_data()
{
    QTest::addColumn<QString>("policy");
    QTest::addColumn<qint64>("downMs");
    QTest::addColumn<double>("minPeakToMean");
    QTest::addColumn<double>("maxPeakToMean");
    QTest::addColumn<qint64>("maxAllBackMs");
    // Full (the default): flat within 2x for restarts of up to 2 s (the benchmark's), all
    // back within the window the restart ends in.
    QTest::addRow("full, server back at once") << QStringLiteral("full") << qint64(0) << 0.0 << 2.0 << qint64(1000);
    QTest::addRow("full, down 1 s") << QStringLiteral("full") << qint64(1000) << 0.0 << 2.0 << qint64(2000);
    QTest::addRow("full, down 2 s") << QStringLiteral("full") << qint64(2000) << 0.0 << 2.0 << qint64(4000);
    // Longer outages: the backoff sheds load on purpose (fewer attempts per second as the
    // outage goes on), so the wave is no longer flat; it still ends within the next window
    // (down 5 s: in window [4 s, 8 s), the clients whose point passed retry in [8 s, 16 s) at
    // a phase below 0.25, so before 10 s).
    QTest::addRow("full, down 5 s") << QStringLiteral("full") << qint64(5000) << 2.0 << 4.0 << qint64(10000);
    // The old per-attempt full jitter: a dense head during the outage and a sparse tail.
    QTest::addRow("classic full jitter, down 2 s") << QStringLiteral("classic") << qint64(2000) << 4.0 << 1e9 << qint64(1'000'000);
    // No jitter and no initial spread: everybody at the same instants.
    QTest::addRow("none, down 2 s") << QStringLiteral("none") << qint64(2000) << 5.0 << 1e9 << qint64(1'000'000);
}

// 1 000 seeded engines through a server restart, counted as the storm benchmark counts:
// attempts per 100 ms window from the first attempt until the last client is back.
void tst_EngineBackoff::fleetRestartWave()
{
    QFETCH(QString, policy);
    QFETCH(qint64, downMs);
    QFETCH(double, minPeakToMean);
    QFETCH(double, maxPeakToMean);
    QFETCH(qint64, maxAllBackMs);
    const int clients = 1000;
    // Full with the public defaults (initialJitter 1 s); None with no initial spread either.
    const Wave w = policy == QLatin1StringView("classic") ? classicFleet(downMs, clients)
            : policy == QLatin1StringView("none") ? engineFleet(JitterMode::None, 0, downMs, clients)
                                                  : engineFleet(JitterMode::Full, 1000, downMs, clients);
    const QString figures = QStringLiteral("peak %1, mean %2, peak/mean %3, all back at %4 ms")
                                .arg(w.peak).arg(w.mean, 0, 'f', 1).arg(w.peakToMean(), 0, 'f', 2).arg(w.allBack);
    qInfo("%s", qPrintable(figures));
    QVERIFY2(w.peakToMean() >= minPeakToMean && w.peakToMean() <= maxPeakToMean, qPrintable(figures));
    QVERIFY2(w.allBack <= maxAllBackMs, qPrintable(figures));
}

QTEST_GUILESS_MAIN(tst_EngineBackoff)
#include "tst_engine_backoff.moc"
