// Backoff: the formula per jitter mode from a table, seeded sequences through the engine,
// the retryAfter floor, the stable-period reset, max attempts, the initial random delay.
#include "engine_harness.h"

#include <engine/backoff_p.h>

#include <QtTest/QTest>

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
    // The engine's delays are exactly the formula fed by the same seeded source.
    std::mt19937_64 rng(42);
    Options o;
    o.jitter = JitterMode(mode);
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

QTEST_GUILESS_MAIN(tst_EngineBackoff)
#include "tst_engine_backoff.moc"
