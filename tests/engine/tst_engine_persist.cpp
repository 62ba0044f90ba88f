// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Persistence (issue 13, engine half; rules in sdk/engine/persist.h, journal_p.h and
// session_p.h): the journal's batches (timing, size, PowerSafe, cancel-out, seq updates),
// Persisted exactly once and before the outcome, the degraded mode after a store error,
// restore() and its refusals, and crash round trips: an engine is dropped at arbitrary
// points, a new one is restored from a fake store built only from the batches that were
// applied, and every message ends once against a fake server. No sockets, no sleeps.
#include "engine_harness.h"

#include <QtCore/QSet>
#include <QtTest/QTest>

#include <map>

using namespace EngineTest;

namespace {

// The server side of docs/protocol.md §3-§4, enough for these tests: sessions with resume,
// contiguous seqs, acks, subscriptions answered. It survives the client's death.
struct FakeServer {
    QString sid;
    quint64 rx = 0;
    int sessions = 0;
    bool ack = true;
    QStringList received;          // client message ids accepted (a new seq each)
    QStringList violations;
    QStringList subscribed;
    bool owe = false;              // an ack is owed (withheld while !ack)

    // Answers what the client sent until it sends nothing more.
    void serve(Harness &h)
    {
        for (int round = 0; round < 1000; ++round) {
            std::vector<P::Frame> frames = h.takeSent();
            if (frames.empty() && !(owe && ack && h->state() == State::Connected))
                return;
            for (P::Frame &f : frames) {
                if (auto *hello = std::get_if<P::Hello>(&f)) {
                    P::Welcome w;
                    if (hello->sid && !sid.isEmpty() && *hello->sid == sid) {
                        w.sid = sid;
                        w.resumed = true;
                        w.rx = rx;
                    } else {
                        sid = QStringLiteral("srv-%1").arg(++sessions);
                        rx = 0;
                        w.sid = sid;
                    }
                    owe = false;  // a new connection: acks are owed on it afresh
                    h.serverFrame(w);
                } else if (auto *msg = std::get_if<P::Msg>(&f)) {
                    if (!msg->seq) {
                        received.append(msg->id.value_or(QString()));
                        continue;
                    }
                    if (*msg->seq == rx + 1) {
                        ++rx;
                        received.append(msg->id.value_or(QString()));
                    } else if (*msg->seq > rx + 1) {
                        violations.append(QStringLiteral("gap: seq %1 after %2").arg(*msg->seq).arg(rx));
                    }
                    owe = true;
                } else if (auto *sub = std::get_if<P::Sub>(&f)) {
                    subscribed.append(sub->ch);
                    h.serverFrame(P::Res{sub->id, QCborValue(true)});
                }
            }
            if (owe && ack && h->state() == State::Connected) {
                owe = false;
                h.serverFrame(P::Ack{rx});
            }
        }
    }
};

Options persistOptions(Durability d = Durability::CrashSafe, P::CodecKind codec = P::CodecKind::Json,
                       quint64 seed = 1)
{
    Options o = baseOptions(seed);
    o.durability = d;
    o.codec = codec;
    o.heartbeatInterval = Duration(0);
    return o;
}

// Batches polled since `from`, in order.
std::vector<PersistBatch> batchesFrom(const Harness &h, size_t &from)
{
    std::vector<PersistBatch> out;
    for (; from < h.actions.size(); ++from)
        if (auto *b = std::get_if<PersistBatch>(&h.actions[from]))
            out.push_back(*b);
    return out;
}

// Applies every new batch to the store and reports it durable.
void persistAll(Harness &h, FakeStore &store, size_t &from)
{
    for (int round = 0; round < 100; ++round) {
        h.pump();
        const std::vector<PersistBatch> batches = batchesFrom(h, from);
        if (batches.empty())
            return;
        for (const PersistBatch &b : batches) {
            store.apply(b);
            h->handlePersisted(h.now, b.number, std::nullopt);
        }
    }
}

QStringList idsOf(const std::vector<StoredMessage> &ms)
{
    QStringList out;
    for (const auto &m : ms)
        out.append(m.id);
    return out;
}

SendOptions withId(const QString &id, std::optional<Durability> d = std::nullopt)
{
    SendOptions o;
    o.id = id;
    o.durability = d;
    return o;
}

// The link drops and the engine reconnects: its hello is sent (the journal's timer may
// come first, so step until the attempt starts).
void reopen(Harness &h)
{
    h.closed(1006);
    while (h->state() != State::Connecting) {
        const auto due = h->pollTimeout();
        if (!due)
            break;
        h.advanceTo(*due);
    }
    h.opened();
}

template <typename T>
int indexOfEvent(const Harness &h, const QString &id)
{
    for (size_t i = 0; i < h.events.size(); ++i)
        if (auto *e = std::get_if<T>(&h.events[i]); e && e->id == id)
            return int(i);
    return -1;
}

} // namespace

class tst_EnginePersist : public QObject {
    Q_OBJECT
private slots:
    void memoryDurabilityDoesNothing();
    void memoryOverrideIsNeverJournaled();
    void batchDueAfterInterval();
    void batchAtMaxChanges();
    void powerSafeForcesSyncBatch();
    void powerSafeSendsBeforeAPollShareABatch();
    void closeFlushesAtOnce();
    void ttlDeadlineIsStored();
    void putThenRemovedCancelsOut();
    void seqOfPendingPutUpdatesThePut();
    void seqOfWrittenRowGoesToSeqs();
    void newSessionResetsWrittenSeqs();
    void sessionChannelsAndIdsAreJournaled();
    void persistedOnceBeforeOutcome();
    void persistedNeverAfterOutcome();
    void storeErrorDegrades();
    void restoreRefusals_data();
    void restoreRefusals();
    void restoreResumesSession();
    void restoreAcceptsRxBeyondRestoredSeqs();
    void rxBeyondWithoutRestoreIsProtocolError();
    void restoreAcceptsInboundJump();
    void restoreOtherEndpointStartsNewSession();
    void restoreExpiredTtl();
    void restoreTranscodes();
    void restoreRestoresIdWindowAndChannels();
    void restoreQueuedMessagesForTheApp();
    void crashRoundTrips_data();
    void crashRoundTrips();
    void optionsValidated();
};

void tst_EnginePersist::memoryDurabilityDoesNothing()
{
    Harness h(persistOptions(Durability::Memory));
    h.connect();
    h.send(text("a"));
    h.serverFrame(serverMsg(1, QStringLiteral("in-1"), text("x")));
    h->subscribe(h.now, QStringLiteral("room"));
    h.advance(milliseconds(1000));
    QCOMPARE(h.countActions<PersistBatch>(), 0);
    QCOMPARE(h.countEvents<Persisted>(), 0);
    QCOMPARE(h->stats().persisted, quint64(0));
}

void tst_EnginePersist::memoryOverrideIsNeverJournaled()
{
    Harness h(persistOptions(Durability::CrashSafe));
    h.send(text("kept"), withId(QStringLiteral("kept")));
    h.send(text("volatile"), withId(QStringLiteral("volatile"), Durability::Memory));
    h.advance(milliseconds(10));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(idsOf(batches[0].put), QStringList{QStringLiteral("kept")});

    // The reverse: a Memory client engages for one CrashSafe message.
    Harness m(persistOptions(Durability::Memory));
    m.send(text("a"));
    m.send(text("b"), withId(QStringLiteral("b"), Durability::CrashSafe));
    m.advance(milliseconds(10));
    const auto mb = m.actionsOf<PersistBatch>();
    QCOMPARE(mb.size(), size_t(1));
    QCOMPARE(idsOf(mb[0].put), QStringList{QStringLiteral("b")});
}

void tst_EnginePersist::batchDueAfterInterval()
{
    Options o = persistOptions();
    o.persistInterval = milliseconds(5);
    Harness h(o);
    const TimePoint first = h.now;
    h.send(text("1"), withId(QStringLiteral("m1")));
    h.advance(milliseconds(2));
    h.send(text("2"), withId(QStringLiteral("m2")));
    QCOMPARE(h->pollTimeout(), std::optional<TimePoint>(first + milliseconds(5)));  // from the FIRST change
    h.advanceTo(first + milliseconds(4));
    QCOMPARE(h.countActions<PersistBatch>(), 0);
    h.advanceTo(first + milliseconds(5));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(batches[0].number, quint64(1));
    QCOMPARE(idsOf(batches[0].put), (QStringList{QStringLiteral("m1"), QStringLiteral("m2")}));
    QVERIFY(batches[0].put[0].serial < batches[0].put[1].serial);
    QCOMPARE(batches[0].put[0].durability, Durability::CrashSafe);
    QVERIFY(batches[0].put[0].has(StoredMessage::Reliable));
    QVERIFY(!batches[0].sync);
    // Payload: the bytes encoded at send() time.
    QByteArray expected;
    h.codec->encodeValue(text("1"), expected);
    QCOMPARE(batches[0].put[0].payload, expected);
    // Nothing pending: no wake-up for the journal.
    QCOMPARE(h->pollTimeout(), std::nullopt);
}

void tst_EnginePersist::batchAtMaxChanges()
{
    Options o = persistOptions();
    o.persistMaxChanges = 4;
    Harness h(o);
    for (int i = 0; i < 3; ++i)
        h.send(text("x"));
    QCOMPARE(h.countActions<PersistBatch>(), 0);
    h.send(text("x"));  // the 4th change: due at once, no time passes
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(batches[0].put.size(), size_t(4));
    QCOMPARE(h->pollTimeout(), std::nullopt);
}

void tst_EnginePersist::powerSafeForcesSyncBatch()
{
    Harness h(persistOptions());
    h.send(text("a"), withId(QStringLiteral("a")));
    QCOMPARE(h.countActions<PersistBatch>(), 0);
    h.send(text("b"), withId(QStringLiteral("b"), Durability::PowerSafe));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QVERIFY(batches[0].sync);
    QCOMPARE(idsOf(batches[0].put), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QCOMPARE(batches[0].put[1].durability, Durability::PowerSafe);
    // A PowerSafe client: every message is a sync batch.
    Harness p(persistOptions(Durability::PowerSafe));
    p.send(text("c"));
    QCOMPARE(p.countActions<PersistBatch>(), 1);
    QVERIFY(p.actionsOf<PersistBatch>()[0].sync);
}

void tst_EnginePersist::powerSafeSendsBeforeAPollShareABatch()
{
    Harness h(persistOptions(Durability::PowerSafe));
    for (int i = 0; i < 5; ++i)
        QVERIFY(h->send(h.now, text("x")).ok());  // the caller polls once, after all five
    h.pump();
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(batches[0].put.size(), size_t(5));
    QVERIFY(batches[0].sync);
}

void tst_EnginePersist::closeFlushesAtOnce()
{
    Harness h(persistOptions());
    h.connect();
    h.send(text("a"), withId(QStringLiteral("a")));
    FakeStore store;
    size_t from = 0;
    h.advance(milliseconds(10));
    persistAll(h, store, from);
    QCOMPARE(store.rows.size(), size_t(1));
    h->close(h.now);  // drops it (Closed) and ends the session: due now, not in 5 ms
    h.pump();
    QCOMPARE(h->pollTimeout(), std::optional<TimePoint>(h.now));
    h.advanceTo(h.now);
    persistAll(h, store, from);
    QVERIFY(store.rows.empty());
    QCOMPARE(store.session.sid, QString());
    QCOMPARE(store.session.nextSeq, quint64(1));
}

void tst_EnginePersist::ttlDeadlineIsStored()
{
    Harness h(persistOptions());
    SendOptions o;
    o.ttl = milliseconds(700);
    o.channel = QStringLiteral("room");
    h.send(text("a"), o);
    h.advance(milliseconds(10));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(batches[0].put[0].deadline, std::optional<TimePoint>(TimePoint(std::chrono::seconds(1000)) + milliseconds(700)));
    QCOMPARE(batches[0].put[0].channel, QStringLiteral("room"));
}

void tst_EnginePersist::putThenRemovedCancelsOut()
{
    Harness h(persistOptions());
    h.connect();
    h.send(text("fast"), withId(QStringLiteral("fast")));
    QCOMPARE(h.takeSentOf<P::Msg>().size(), size_t(1));
    h.serverFrame(P::Ack{1});
    QCOMPARE(outcomes(h).value(QStringLiteral("fast")), QStringList{QStringLiteral("delivered")});
    h.advance(milliseconds(10));
    for (const PersistBatch &b : h.actionsOf<PersistBatch>()) {
        QVERIFY(!idsOf(b.put).contains(QStringLiteral("fast")));
        QVERIFY(b.removed.empty());
    }
    QCOMPARE(h.countEvents<Persisted>(), 0);
    // Coalescing inside a batch cancels out the same way.
    SendOptions k;
    k.coalescingKey = QStringLiteral("k");
    h.closed(1006);  // offline: the first stays queued
    k.id = QStringLiteral("old");
    h.send(text("1"), k);
    k.id = QStringLiteral("new");
    h.send(text("2"), k);
    size_t from = h.actions.size();
    h.advance(milliseconds(10));
    const auto batches = batchesFrom(h, from);
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(idsOf(batches[0].put), QStringList{QStringLiteral("new")});
    QCOMPARE(batches[0].put[0].coalescingKey, QStringLiteral("k"));
    QVERIFY(batches[0].removed.empty());
}

void tst_EnginePersist::seqOfPendingPutUpdatesThePut()
{
    Harness h(persistOptions());
    h.connect();
    h.send(text("a"), withId(QStringLiteral("a")));
    QCOMPARE(h.takeSentOf<P::Msg>().size(), size_t(1));  // seq 1 given before the batch
    h.advance(milliseconds(10));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    QCOMPARE(batches[0].put.size(), size_t(1));
    QCOMPARE(batches[0].put[0].seq, quint64(1));
    QVERIFY(batches[0].put[0].has(StoredMessage::EverSent));
    QVERIFY(batches[0].seqs.empty());
    QVERIFY(batches[0].session);
    QCOMPARE(batches[0].session->sid, QStringLiteral("s1"));
    QCOMPARE(batches[0].session->nextSeq, quint64(2));
}

void tst_EnginePersist::seqOfWrittenRowGoesToSeqs()
{
    Harness h(persistOptions());
    h.send(text("a"), withId(QStringLiteral("a")));  // offline
    h.advance(milliseconds(10));
    QCOMPARE(h.countActions<PersistBatch>(), 1);
    QCOMPARE(h.actionsOf<PersistBatch>()[0].put[0].seq, quint64(0));
    h.connect();
    QCOMPARE(h.takeSentOf<P::Msg>().size(), size_t(1));
    size_t from = 0;
    batchesFrom(h, from);
    h.advance(milliseconds(10));
    const auto batches = batchesFrom(h, from);
    QCOMPARE(batches.size(), size_t(1));
    QVERIFY(batches[0].put.empty());
    QCOMPARE(batches[0].seqs.size(), size_t(1));
    QCOMPARE(batches[0].seqs[0].second, quint64(1));
    // Its ack: removed, and the session's highest ack.
    h.serverFrame(P::Ack{1});
    h.advance(milliseconds(10));
    const auto after = batchesFrom(h, from);
    QCOMPARE(after.size(), size_t(1));
    QCOMPARE(after[0].removed.size(), size_t(1));
    QCOMPARE(after[0].removed[0], batches[0].seqs[0].first);
    QVERIFY(after[0].session);
    QCOMPARE(after[0].session->highestAck, quint64(1));
}

void tst_EnginePersist::newSessionResetsWrittenSeqs()
{
    Harness h(persistOptions());
    h.connect();
    h.send(text("a"), withId(QStringLiteral("a")));
    h.takeSent();
    FakeStore store;
    size_t from = 0;
    h.advance(milliseconds(10));
    persistAll(h, store, from);
    QCOMPARE(store.rows.begin()->second.seq, quint64(1));
    // The session is lost: renumbered; the row's seq is 0 again until it is sent.
    reopen(h);
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s2")));
    h.advance(milliseconds(10));
    persistAll(h, store, from);
    QCOMPARE(store.session.sid, QStringLiteral("s2"));
    QCOMPARE(store.rows.begin()->second.seq, quint64(1));  // renumbered and sent again as 1
    QCOMPARE(store.session.nextSeq, quint64(2));
    QVERIFY(store.violations.isEmpty());
}

void tst_EnginePersist::sessionChannelsAndIdsAreJournaled()
{
    Options o = persistOptions();
    o.recentIdWindow = 3;
    Harness h(o);
    h.connect();
    h->subscribe(h.now, QStringLiteral("room"));
    h.pump();
    for (quint64 i = 1; i <= 5; ++i)
        h.serverFrame(serverMsg(i, QStringLiteral("in-%1").arg(i), text("x")));
    FakeStore store;
    size_t from = 0;
    h.advance(milliseconds(10));
    persistAll(h, store, from);
    QCOMPARE(store.session.sid, QStringLiteral("s1"));
    QCOMPARE(store.session.inboundRx, quint64(5));
    QCOMPARE(store.channels, QStringList{QStringLiteral("room")});
    QCOMPARE(store.recentIds, (QStringList{QStringLiteral("in-3"), QStringLiteral("in-4"), QStringLiteral("in-5")}));
    h->unsubscribe(h.now, QStringLiteral("room"));
    h.advance(milliseconds(10));
    persistAll(h, store, from);
    QCOMPARE(store.channels, QStringList());
}

void tst_EnginePersist::persistedOnceBeforeOutcome()
{
    Harness h(persistOptions());
    h.send(text("a"), withId(QStringLiteral("a")));
    h.advance(milliseconds(10));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    h->handlePersisted(h.now, batches[0].number, std::nullopt);
    h.pump();
    QCOMPARE(h.countEvents<Persisted>(), 1);
    h->handlePersisted(h.now, batches[0].number, std::nullopt);  // twice: ignored
    h->handlePersisted(h.now, 99, std::nullopt);                 // unknown: ignored
    h.pump();
    QCOMPARE(h.countEvents<Persisted>(), 1);
    h.connect();
    h.takeSent();
    h.serverFrame(P::Ack{1});
    QVERIFY(indexOfEvent<Persisted>(h, QStringLiteral("a")) >= 0);
    QVERIFY(indexOfEvent<Persisted>(h, QStringLiteral("a")) < indexOfEvent<Delivered>(h, QStringLiteral("a")));
    QCOMPARE(h->stats().persisted, quint64(1));
}

void tst_EnginePersist::persistedNeverAfterOutcome()
{
    Harness h(persistOptions());
    h.connect();
    h.send(text("a"), withId(QStringLiteral("a")));
    h.advance(milliseconds(10));  // written (seq 1 in the row)
    h.takeSent();
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    h.serverFrame(P::Ack{1});      // delivered before the store answers
    h->handlePersisted(h.now, batches[0].number, std::nullopt);
    h.pump();
    QCOMPARE(h.countEvents<Persisted>(), 0);
    QCOMPARE(h.countEvents<Delivered>(), 1);
}

void tst_EnginePersist::storeErrorDegrades()
{
    Harness h(persistOptions());
    h.send(text("a"), withId(QStringLiteral("a")));
    h.advance(milliseconds(10));
    const auto batches = h.actionsOf<PersistBatch>();
    QCOMPARE(batches.size(), size_t(1));
    const QueuedMessage before = h->queuedMessages().at(0);
    Error storeError = Error::make(ErrorKind::Local, ErrorCode::StorageError, QStringLiteral("disk full"));
    h->handlePersisted(h.now, batches[0].number, storeError);
    h.pump();
    const auto errors = h.eventsOf<ErrorOccurred>();
    QCOMPARE(errors.size(), size_t(1));
    QCOMPARE(errors[0].error.code, ErrorCode::StorageError);
    QCOMPARE(errors[0].error.message, QStringLiteral("disk full"));
    QVERIFY(!errors[0].error.fatal);
    QVERIFY(h->stats().storageDegraded);
    QCOMPARE(h.countEvents<Persisted>(), 0);
    QCOMPARE(h->state(), State::Idle);
    QCOMPARE(h->queueDepth(), 1);
    QCOMPARE(before.id, QStringLiteral("a"));
    // Keeps working in memory: no more batches, messages still delivered.
    h.send(text("b"), withId(QStringLiteral("b"), Durability::PowerSafe));
    h.connect();
    h.takeSent();
    h.serverFrame(P::Ack{2});
    h.advance(milliseconds(100));
    QCOMPARE(h.countActions<PersistBatch>(), 1);
    QCOMPARE(h.countEvents<Delivered>(), 2);
    h->handlePersisted(h.now, 2, storeError);  // later failures: already reported
    h.pump();
    QCOMPARE(h.countEvents<ErrorOccurred>(), 1);
    // Restoring into a degraded client is refused.
    QVERIFY(!h->restore(h.now, Snapshot{}).ok());
}

void tst_EnginePersist::restoreRefusals_data()
{
    QTest::addColumn<int>("kind");
    QTest::addRow("after open()") << 0;
    QTest::addRow("after close() (Closed, not Idle)") << 1;
    QTest::addRow("twice") << 2;
    QTest::addRow("outbox not empty") << 3;
    QTest::addRow("serials out of order") << 4;
    QTest::addRow("message without id") << 5;
    QTest::addRow("store already failed") << 6;
}

void tst_EnginePersist::restoreRefusals()
{
    QFETCH(int, kind);
    Harness h(persistOptions());
    Snapshot s;
    StoredMessage m;
    m.serial = 5;
    m.id = QStringLiteral("m");
    m.flags = StoredMessage::Reliable;
    h.codec->encodeValue(text("x"), m.payload);
    s.messages.push_back(m);
    switch (kind) {
    case 0: h->open(h.now); break;
    case 1: h->open(h.now); h->close(h.now); break;
    case 2: QVERIFY(h->restore(h.now, Snapshot{}).ok()); break;
    case 3: h.send(text("a")); break;
    case 4: s.messages.push_back(m); break;
    case 5: s.messages[0].id.clear(); break;
    case 6:
        h.send(text("a"));
        h.advance(milliseconds(10));
        h->handlePersisted(h.now, 1, Error::make(ErrorKind::Local, ErrorCode::StorageError, QStringLiteral("ro")));
        h->close(h.now, true);  // not Idle any more either way: check the degraded refusal first
        break;
    }
    h.pump();
    const qsizetype depth = h->queueDepth();
    const RestoreResult r = h->restore(h.now, s);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, ErrorCode::InvalidArgument);
    QCOMPARE(r.count, qsizetype(0));
    QCOMPARE(h->queueDepth(), depth);
}

void tst_EnginePersist::restoreResumesSession()
{
    FakeServer server;
    FakeStore store;
    size_t from = 0;
    Harness a(persistOptions());
    a->open(a.now);
    a.opened();
    server.serve(a);
    server.ack = false;
    a.send(text("1"), withId(QStringLiteral("m1")));
    a.send(text("2"), withId(QStringLiteral("m2")));
    server.serve(a);  // received, not acked
    a.advance(milliseconds(10));
    persistAll(a, store, from);
    QCOMPARE(store.rows.size(), size_t(2));
    QCOMPARE(store.session.nextSeq, quint64(3));
    // Killed. The next process:
    Harness b(persistOptions(Durability::CrashSafe, P::CodecKind::Json, 2));
    const RestoreResult r = b->restore(b.now, store.snapshot(P::CodecKind::Json));
    QVERIFY(r.ok());
    QCOMPARE(r.count, qsizetype(2));
    QCOMPARE(b->queueDepth(), 2);
    QCOMPARE(b->sessionId(), server.sid);
    b->open(b.now);
    b.opened();
    const auto hello = b.actionsOf<SendFrame>();
    QCOMPARE(hello.size(), size_t(1));
    const auto helloFrames = b.takeSentOf<P::Hello>();
    QCOMPARE(helloFrames.size(), size_t(1));
    QCOMPARE(helloFrames[0].sid, std::optional<QString>(server.sid));
    server.ack = true;
    b.serverFrame(P::Welcome{server.sid, true, server.rx, {}, {}, {}});
    b.advance(milliseconds(2000));  // settle
    QCOMPARE(b.countEvents<SessionLost>(), 0);
    QCOMPARE(outcomes(b).value(QStringLiteral("m1")), QStringList{QStringLiteral("delivered")});
    QCOMPARE(outcomes(b).value(QStringLiteral("m2")), QStringList{QStringLiteral("delivered")});
    QCOMPARE(server.received, (QStringList{QStringLiteral("m1"), QStringLiteral("m2")}));  // not sent again
    // New messages continue above the restored serials and seqs.
    b.send(text("3"), withId(QStringLiteral("m3")));
    const auto msgs = b.takeSentOf<P::Msg>();
    QCOMPARE(msgs.size(), size_t(1));
    QCOMPARE(msgs[0].seq, std::optional<quint64>(3));
    size_t bfrom = 0;
    b.advance(milliseconds(10));
    const auto batches = batchesFrom(b, bfrom);
    QVERIFY(!batches.empty());
    quint64 maxRestored = store.rows.rbegin()->first;
    bool found = false;
    for (const auto &batch : batches)
        for (const auto &m : batch.put)
            if (m.id == QStringLiteral("m3")) {
                QVERIFY(m.serial > maxRestored);
                found = true;
            }
    QVERIFY(found);
    QCOMPARE(b.countEvents<Persisted>(), 0);  // restored messages were durable already
}

void tst_EnginePersist::restoreAcceptsRxBeyondRestoredSeqs()
{
    // The store lags the wire: the puts were written with seq 0, then the messages went out
    // (seqs 1..3, accepted by the server) and the process died before that batch was stored.
    FakeServer server;
    FakeStore store;
    size_t from = 0;
    Harness a(persistOptions());
    a->open(a.now);
    a.opened();
    server.serve(a);
    a.closed(1006);  // offline: the puts are written before any seq
    for (int i = 1; i <= 3; ++i)
        a.send(text("x"), withId(QStringLiteral("m%1").arg(i)));
    a.advance(milliseconds(10));
    persistAll(a, store, from);
    QCOMPARE(store.rows.size(), size_t(3));
    a.advance(milliseconds(10'000));  // the reconnect
    a.opened();
    server.ack = false;
    server.serve(a);
    QCOMPARE(server.rx, quint64(3));
    QCOMPARE(store.rows.begin()->second.seq, quint64(0));  // the store never heard of seqs 1..3
    // Killed now (nothing more applied). The next process resumes:
    Harness b(persistOptions(Durability::CrashSafe, P::CodecKind::Json, 2));
    QVERIFY(b->restore(b.now, store.snapshot(P::CodecKind::Json)).ok());
    b->open(b.now);
    b.opened();
    server.ack = true;
    server.serve(b);  // welcome resumed, rx 3: beyond every restored seq
    b.advance(milliseconds(2000));
    server.serve(b);
    QCOMPARE(b.countEvents<ErrorOccurred>(), 0);
    QCOMPARE(b->state(), State::Connected);
    QCOMPARE(b.countEvents<SessionLost>(), 0);
    QVERIFY(server.violations.isEmpty());
    // Sent again above rx (duplicates by id, never lost), each delivered once.
    QCOMPARE(server.received, (QStringList{QStringLiteral("m1"), QStringLiteral("m2"), QStringLiteral("m3"),
                                           QStringLiteral("m1"), QStringLiteral("m2"), QStringLiteral("m3")}));
    for (int i = 1; i <= 3; ++i)
        QCOMPARE(outcomes(b).value(QStringLiteral("m%1").arg(i)), QStringList{QStringLiteral("delivered")});
    b.send(text("x"), withId(QStringLiteral("m4")));
    const auto msgs = b.takeSentOf<P::Msg>();
    QCOMPARE(msgs.size(), size_t(1));
    QCOMPARE(msgs[0].seq, std::optional<quint64>(7));
    // Restored seqs <= rx are covered (not sent again) when the store did know them.
    FakeStore store2;
    store2.session = {QStringLiteral("srv-x"), 0, 0, 3};
    StoredMessage m;
    m.serial = 1;
    m.id = QStringLiteral("known");
    m.seq = 2;
    m.flags = StoredMessage::Reliable | StoredMessage::EverSent;
    P::jsonCodec().encodeValue(text("k"), m.payload);
    store2.rows[1] = m;
    Harness c(persistOptions(Durability::CrashSafe, P::CodecKind::Json, 3));
    QVERIFY(c->restore(c.now, store2.snapshot(P::CodecKind::Json)).ok());
    c->open(c.now);
    c.opened();
    c.takeSent();
    c.serverFrame(P::Welcome{QStringLiteral("srv-x"), true, 5, {}, {}, {}});
    QVERIFY(c.takeSentOf<P::Msg>().empty());
    c.serverFrame(P::Ack{5});
    QCOMPARE(outcomes(c).value(QStringLiteral("known")), QStringList{QStringLiteral("delivered")});
    c.send(text("n"));
    const auto next = c.takeSentOf<P::Msg>();
    QCOMPARE(next.size(), size_t(1));
    QCOMPARE(next[0].seq, std::optional<quint64>(6));
}

void tst_EnginePersist::rxBeyondWithoutRestoreIsProtocolError()
{
    // The exception is for the first welcome after restore() only.
    Harness h(persistOptions());
    h.connect();
    h.send(text("a"));
    h.takeSent();
    reopen(h);
    QCOMPARE(h.takeSentOf<P::Hello>().size(), size_t(1));
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 5));
    const auto errors = h.eventsOf<ErrorOccurred>();
    QCOMPARE(errors.size(), size_t(1));
    QCOMPARE(errors[0].error.code, ErrorCode::ProtocolError);
}

void tst_EnginePersist::restoreAcceptsInboundJump()
{
    // The old process delivered and acknowledged server seqs 4 and 5, then died before
    // the store had the new position: the server (which forgot 4 and 5) goes on at 6.
    FakeStore store;
    store.session = {QStringLiteral("s1"), 3, 0, 1};
    Harness h(persistOptions());
    QVERIFY(h->restore(h.now, store.snapshot(P::CodecKind::Json)).ok());
    h->open(h.now);
    h.opened();
    const auto hello = h.takeSentOf<P::Hello>();
    QCOMPARE(hello.size(), size_t(1));
    QCOMPARE(hello[0].rx, std::optional<quint64>(3));
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    h.serverFrame(serverMsg(6, QStringLiteral("six"), text("6")));
    h.serverFrame(serverMsg(7, QStringLiteral("seven"), text("7")));
    QCOMPARE(h.countEvents<ErrorOccurred>(), 0);
    QCOMPARE(h.countEvents<MessageReceived>(), 2);
    h.advance(milliseconds(100));
    const auto acks = h.takeSentOf<P::Ack>();
    QVERIFY(!acks.empty());
    QCOMPARE(acks.back().seq, quint64(7));
    // Only the first one may jump: a later gap is a protocol error as always.
    h.serverFrame(serverMsg(9, QStringLiteral("nine"), text("9")));
    const auto errors = h.eventsOf<ErrorOccurred>();
    QCOMPARE(errors.size(), size_t(1));
    QCOMPARE(errors[0].error.code, ErrorCode::ProtocolError);
    // Without a restore the same jump is a gap.
    Harness plain(persistOptions());
    plain.connect();
    plain.serverFrame(serverMsg(3, QStringLiteral("three"), text("3")));
    QCOMPARE(plain.countEvents<ErrorOccurred>(), 1);
}

void tst_EnginePersist::restoreOtherEndpointStartsNewSession()
{
    FakeStore store;
    store.session = {QStringLiteral("old"), 7, 2, 5};
    store.channels = {QStringLiteral("room")};
    for (quint64 i = 1; i <= 2; ++i) {
        StoredMessage m;
        m.serial = i * 10;
        m.id = QStringLiteral("m%1").arg(i);
        m.seq = i + 2;
        m.flags = StoredMessage::Reliable | StoredMessage::EverSent;
        P::jsonCodec().encodeValue(text("x"), m.payload);
        store.rows[m.serial] = m;
    }
    Harness h(persistOptions());
    QVERIFY(h->restore(h.now, store.snapshot(P::CodecKind::Json, false, false)).ok());
    QCOMPARE(h->sessionId(), QString());
    FakeServer server;
    server.sid = QStringLiteral("old");  // even if the server has it: not resumed
    h->open(h.now);
    h.opened();
    const auto hello = h.takeSentOf<P::Hello>();
    QCOMPARE(hello.size(), size_t(1));
    QVERIFY(!hello[0].sid);
    h.serverFrame(h.welcome(QStringLiteral("fresh")));
    server.sid = QStringLiteral("fresh");
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(msgs.size(), size_t(2));
    QCOMPARE(msgs[0].seq, std::optional<quint64>(1));
    QCOMPARE(msgs[1].seq, std::optional<quint64>(2));
    QCOMPARE(msgs[0].id, std::optional<QString>(QStringLiteral("m1")));
    QCOMPARE(h.countEvents<SessionLost>(), 0);
    const auto subs = h.actionsOf<SendFrame>();
    bool subscribed = false;
    for (const SendFrame &f : subs) {
        auto d = h.codec->decode(f.bytes);
        if (d.ok())
            if (auto *s = std::get_if<P::Sub>(&*d.frame))
                subscribed = subscribed || s->ch == QStringLiteral("room");
    }
    QVERIFY(subscribed);
    QCOMPARE(h->channels(), QStringList{QStringLiteral("room")});
}

void tst_EnginePersist::restoreExpiredTtl()
{
    const TimePoint now{std::chrono::seconds(1000)};
    FakeStore store;
    store.session = {QStringLiteral("s1"), 0, 0, 2};
    const auto add = [&](quint64 serial, const char *id, quint64 seq, std::optional<TimePoint> deadline) {
        StoredMessage m;
        m.serial = serial;
        m.id = QString::fromLatin1(id);
        m.seq = seq;
        m.deadline = deadline;
        m.flags = StoredMessage::Reliable | (seq ? StoredMessage::EverSent : 0);
        P::jsonCodec().encodeValue(text("x"), m.payload);
        store.rows[serial] = m;
    };
    add(1, "on-wire-passed", 1, now - milliseconds(1));  // on the wire: waits for its ack
    add(2, "queued-passed", 0, now - milliseconds(1));   // never sent: Expired
    add(3, "queued-later", 0, now + milliseconds(500));  // Expired at its deadline
    add(4, "no-ttl", 0, std::nullopt);
    Harness h(persistOptions());
    const RestoreResult r = h->restore(h.now, store.snapshot(P::CodecKind::Json));
    QVERIFY(r.ok());
    QCOMPARE(r.count, qsizetype(4));
    h.pump();
    QCOMPARE(outcomes(h).value(QStringLiteral("queued-passed")), QStringList{QStringLiteral("dropped:Expired")});
    QCOMPARE(outcomes(h).size(), 1);
    h.advance(milliseconds(500));
    QCOMPARE(outcomes(h).value(QStringLiteral("queued-later")), QStringList{QStringLiteral("dropped:Expired")});
    // The on-wire one is Delivered on a resume that covers it...
    h->open(h.now);
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 1));
    h.advance(milliseconds(2000));
    QCOMPARE(outcomes(h).value(QStringLiteral("on-wire-passed")), QStringList{QStringLiteral("delivered")});
    // ...and Expired on a new session (TtlPassed), before renumbering.
    Harness n(persistOptions());
    QVERIFY(n->restore(n.now, store.snapshot(P::CodecKind::Json)).ok());
    n->open(n.now);
    n.opened();
    n.takeSent();
    n.serverFrame(n.welcome(QStringLiteral("s9")));
    QCOMPARE(outcomes(n).value(QStringLiteral("on-wire-passed")), QStringList{QStringLiteral("dropped:Expired")});
    const auto msgs = n.takeSentOf<P::Msg>();
    QCOMPARE(msgs.size(), size_t(2));  // queued-later's TTL has not run out in this process yet
    QCOMPARE(msgs[0].id, std::optional<QString>(QStringLiteral("queued-later")));
    QCOMPARE(msgs[0].seq, std::optional<quint64>(1));
    QCOMPARE(msgs[1].id, std::optional<QString>(QStringLiteral("no-ttl")));
    QCOMPARE(msgs[1].seq, std::optional<quint64>(2));
    n.advance(milliseconds(500));
    // The drops were journaled as removals of the stored rows.
    size_t from = 0;
    n.advance(milliseconds(10));
    QSet<quint64> removed;
    for (const auto &b : batchesFrom(n, from))
        for (quint64 s : b.removed)
            removed.insert(s);
    QVERIFY(removed.contains(1) && removed.contains(2));
    QVERIFY(!removed.contains(3) && !removed.contains(4));  // on the wire now: wait for their acks
}

void tst_EnginePersist::restoreTranscodes()
{
    QCborMap map;
    map.insert(QStringLiteral("k"), 42);
    FakeStore store;
    store.session = {};
    const auto add = [&](quint64 serial, const QString &id, const QCborValue &v, const P::Codec &c) {
        StoredMessage m;
        m.serial = serial;
        m.id = id;
        m.flags = StoredMessage::Reliable;
        QVERIFY(c.encodeValue(v, m.payload));
        store.rows[serial] = m;
    };
    // JSON store -> CBOR client.
    add(1, QStringLiteral("map"), map, P::jsonCodec());
    Harness c(persistOptions(Durability::CrashSafe, P::CodecKind::Cbor));
    QVERIFY(c->restore(c.now, store.snapshot(P::CodecKind::Json)).ok());
    QCOMPARE(c->queuedMessages().at(0).payload, QCborValue(map));
    c.connect();
    const auto sent = c.takeSentOf<P::Msg>();
    QCOMPARE(sent.size(), size_t(1));
    QCOMPARE(sent[0].d, QCborValue(map));
    // The row is written again whole in the client's codec.
    size_t from = 0;
    c.advance(milliseconds(10));
    const auto batches = batchesFrom(c, from);
    QVERIFY(!batches.empty());
    QCOMPARE(batches[0].put.size(), size_t(1));
    QByteArray cbor;
    P::cborCodec().encodeValue(map, cbor);
    QCOMPARE(batches[0].put[0].payload, cbor);

    // CBOR store -> JSON client: a byte string cannot go: Rejected(NotSupported), row removed.
    store.rows.clear();
    add(1, QStringLiteral("bytes"), QCborValue(QByteArray("\x01\x02", 2)), P::cborCodec());
    add(2, QStringLiteral("text"), text("ok"), P::cborCodec());
    Harness j(persistOptions(Durability::CrashSafe, P::CodecKind::Json));
    const RestoreResult r = j->restore(j.now, store.snapshot(P::CodecKind::Cbor));
    QVERIFY(r.ok());
    QCOMPARE(r.count, qsizetype(1));
    j.pump();
    const auto rejected = j.eventsOf<Rejected>();
    QCOMPARE(rejected.size(), size_t(1));
    QCOMPARE(rejected[0].id, QStringLiteral("bytes"));
    QCOMPARE(rejected[0].error.code, ErrorCode::NotSupported);
    size_t jfrom = 0;
    j.advance(milliseconds(10));
    const auto jb = batchesFrom(j, jfrom);
    QVERIFY(!jb.empty());
    QCOMPARE(jb[0].removed, std::vector<quint64>{1});
    j.connect();
    const auto jsent = j.takeSentOf<P::Msg>();
    QCOMPARE(jsent.size(), size_t(1));
    QCOMPARE(jsent[0].d, text("ok"));

    // Raw-mode store -> envelope client: no session resumed, the message goes out.
    store.rows.clear();
    store.session = {QStringLiteral("raw?"), 0, 0, 1};
    StoredMessage raw;
    raw.serial = 1;
    raw.id = QStringLiteral("raw");
    raw.flags = StoredMessage::Binary;
    raw.payload = QByteArray("\x05\x06", 2);
    store.rows[1] = raw;
    Harness e(persistOptions(Durability::CrashSafe, P::CodecKind::Cbor));
    QVERIFY(e->restore(e.now, store.snapshot(P::CodecKind::Json, true)).ok());
    QCOMPARE(e->sessionId(), QString());
    QCOMPARE(e->queuedMessages().at(0).payload, QCborValue(QByteArray("\x05\x06", 2)));
}

void tst_EnginePersist::restoreRestoresIdWindowAndChannels()
{
    FakeStore store;
    store.session = {QStringLiteral("s1"), 4, 0, 1};
    store.recentIds = {QStringLiteral("seen-1"), QStringLiteral("seen-2")};
    store.channels = {QStringLiteral("a"), QStringLiteral("b")};
    Harness h(persistOptions());
    QVERIFY(h->restore(h.now, store.snapshot(P::CodecKind::Json)).ok());
    QCOMPARE(h->channels(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    h->open(h.now);
    h.opened();
    const auto hello = h.takeSentOf<P::Hello>();
    QCOMPARE(hello.size(), size_t(1));
    QCOMPARE(hello[0].rx, std::optional<quint64>(4));
    // The server lost the session: a new one; the window still suppresses old ids.
    h.serverFrame(h.welcome(QStringLiteral("s2")));
    QCOMPARE(h.countEvents<SessionLost>(), 1);
    h.serverFrame(serverMsg(1, QStringLiteral("seen-2"), text("again")));
    h.serverFrame(serverMsg(2, QStringLiteral("new"), text("fresh")));
    const auto received = h.eventsOf<MessageReceived>();
    QCOMPARE(received.size(), size_t(1));
    QCOMPARE(received[0].id, QStringLiteral("new"));
    QCOMPARE(h->stats().duplicatesSuppressed, quint64(1));
    // Re-subscribed after the new session.
    QStringList subs;
    for (const SendFrame &f : h.actionsOf<SendFrame>()) {
        auto d = h.codec->decode(f.bytes);
        if (d.ok())
            if (auto *s = std::get_if<P::Sub>(&*d.frame))
                subs.append(s->ch);
    }
    QCOMPARE(subs, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
}

void tst_EnginePersist::restoreQueuedMessagesForTheApp()
{
    FakeStore store;
    StoredMessage m;
    m.serial = 3;
    m.id = QStringLiteral("q");
    m.channel = QStringLiteral("room");
    m.flags = StoredMessage::Reliable;
    P::cborCodec().encodeValue(text("hello"), m.payload);
    store.rows[3] = m;
    StoredMessage big;
    big.serial = 4;
    big.id = QStringLiteral("big");
    big.flags = StoredMessage::Reliable | StoredMessage::Shared;
    big.payload = QByteArray(4096, 'z');
    store.rows[4] = big;
    Harness h(persistOptions(Durability::CrashSafe, P::CodecKind::Cbor));
    QVERIFY(h->restore(h.now, store.snapshot(P::CodecKind::Cbor)).ok());
    const auto queued = h->queuedMessages();
    QCOMPARE(queued.size(), size_t(2));
    QCOMPARE(queued[0].id, QStringLiteral("q"));
    QCOMPARE(queued[0].channel, QStringLiteral("room"));
    QCOMPARE(queued[0].payload, text("hello"));
    QCOMPARE(queued[1].payload, QCborValue(QByteArray(4096, 'z')));
    QCOMPARE(h->queueDepth(), 2);
    QCOMPARE(h->queueBytes(), m.payload.size() + 4096);
    h.connect();
    const auto sent = h.takeSentOf<P::Msg>();
    QCOMPARE(sent.size(), size_t(2));
    QCOMPARE(sent[0].ch, std::optional<QString>(QStringLiteral("room")));
    QCOMPARE(sent[1].d, QCborValue(QByteArray(4096, 'z')));
}

void tst_EnginePersist::crashRoundTrips_data()
{
    QTest::addColumn<quint64>("seed");
    for (quint64 seed = 1; seed <= 300; ++seed)
        QTest::addRow("seed %llu", qulonglong(seed)) << seed;
}

// A process sends, the store applies a prefix of the batches (it may lag), the link drops
// now and then; the process is killed at a random point; the next one restores from what
// was applied (sometimes killed again) and runs until everything ended. Then: every
// message persisted (or restored) ends in exactly one outcome in the process that
// restored it last, or had its outcome before its removal was stored; every persisted
// message that was not dropped reached the server; the server saw no gap.
void tst_EnginePersist::crashRoundTrips()
{
    QFETCH(quint64, seed);
    std::mt19937_64 rng(seed);
    const P::CodecKind codec = seed % 2 ? P::CodecKind::Cbor : P::CodecKind::Json;
    FakeServer server;
    FakeStore store;
    QSet<QString> persisted;            // reported Persisted by some process
    QHash<QString, QStringList> ended;  // outcomes, all processes
    QSet<QString> withTtl;
    QSet<QString> atMostOnce;           // Sent = handed to a transport that may die with the process
    int nextId = 0;
    const int lives = 1 + int(rng() % 3);
    for (int life = 0; life < lives; ++life) {
        const bool last = life == lives - 1;
        Options o = persistOptions(rng() % 4 == 0 ? Durability::PowerSafe : Durability::CrashSafe, codec,
                                   seed * 31 + quint64(life));
        o.persistMaxChanges = 1 + qsizetype(rng() % 16);
        o.maxInFlight = 1 + qsizetype(rng() % 4);
        Harness h(o);
        h.now = TimePoint(std::chrono::seconds(1000 + life * 1000));
        // Time passes; a reconnect attempt's socket opens at once (a no-op otherwise).
        const auto tick = [&h](Duration d) {
            h.advance(d);
            if (h->state() == State::Connecting)
                h.opened();
        };
        QSet<QString> restoredIds;
        if (life > 0) {
            const Snapshot s = store.snapshot(codec);
            for (const auto &m : s.messages)
                restoredIds.insert(m.id);
            if (qEnvironmentVariableIsSet("PERSIST_DEBUG")) {
                qDebug() << "life" << life << "session" << s.session.sid << s.session.inboundRx << s.session.highestAck
                         << s.session.nextSeq << "server" << server.sid << server.rx;
                for (const auto &m : s.messages)
                    qDebug() << "  restore" << m.serial << m.id << m.seq;
            }
            const RestoreResult r = h->restore(h.now, s);
            QVERIFY(r.ok());
            QCOMPARE(r.count, qsizetype(s.messages.size()));
        }
        size_t from = 0;
        std::vector<PersistBatch> unapplied;
        store.newConnection();
        h->open(h.now);
        h.pump();
        h.opened();
        const int steps = last ? 60 : 5 + int(rng() % 60);
        for (int step = 0; step < steps; ++step) {
            switch (rng() % 8) {
            case 0: case 1: case 2: {
                SendOptions so;
                so.id = QStringLiteral("m%1").arg(++nextId);
                if (rng() % 8 == 0) {
                    so.ttl = milliseconds(1 + rng() % 50);
                    withTtl.insert(so.id);
                }
                if (rng() % 6 == 0)
                    so.channel = QStringLiteral("c%1").arg(rng() % 3);
                if (rng() % 8 == 0) {
                    so.delivery = Delivery::AtMostOnce;
                    atMostOnce.insert(so.id);
                }
                h.send(text("payload"), so);
                break;
            }
            case 3:
                server.ack = rng() % 3 != 0;
                server.serve(h);
                break;
            case 4: {
                // The store applies a prefix of what is waiting (it lags).
                h.pump();
                for (auto &b : batchesFrom(h, from))
                    unapplied.push_back(std::move(b));
                const size_t n = rng() % (unapplied.size() + 1);
                for (size_t i = 0; i < n; ++i) {
                    store.apply(unapplied[i]);
                    h->handlePersisted(h.now, unapplied[i].number, std::nullopt);
                }
                unapplied.erase(unapplied.begin(), unapplied.begin() + qsizetype(n));
                h.pump();
                break;
            }
            case 5:
                tick(milliseconds(rng() % 20));
                break;
            case 6:
                if (h->state() == State::Connected && rng() % 3 == 0) {
                    h.closed(1006);
                    tick(std::chrono::ceil<Duration>(*h->pollTimeout() - h.now));
                }
                break;
            default:
                tick(milliseconds(1));
                server.serve(h);
                break;
            }
        }
        if (last) {
            // Heal: the server acks, the store keeps up, time passes until all ended.
            server.ack = true;
            for (int round = 0; round < 200 && h->queueDepth() > 0; ++round) {
                server.serve(h);
                tick(milliseconds(200));
                server.serve(h);
                for (auto &b : batchesFrom(h, from))
                    unapplied.push_back(std::move(b));
                for (const auto &b : unapplied) {
                    store.apply(b);
                    h->handlePersisted(h.now, b.number, std::nullopt);
                }
                unapplied.clear();
                if (h->state() == State::Reconnecting) {
                    h->open(h.now);
                    h.pump();
                    h.opened();
                }
            }
            if (qEnvironmentVariableIsSet("PERSIST_DEBUG") && h->queueDepth() > 0) {
                qDebug() << "state" << stateName(h->state()) << "sid" << h->sessionId() << "server" << server.sid << server.rx
                         << "restored" << restoredIds.size();
                for (const auto &e : h.eventsOf<ErrorOccurred>())
                    qDebug() << "error" << e.error.message;
                for (const auto &q : h->queuedMessages())
                    qDebug() << "queued" << q.id;
            }
            QCOMPARE(h->queueDepth(), 0);
            // The last removals reach the store.
            h.advance(milliseconds(200));
            for (auto &b : batchesFrom(h, from))
                unapplied.push_back(std::move(b));
            for (const auto &b : unapplied) {
                store.apply(b);
                h->handlePersisted(h.now, b.number, std::nullopt);
            }
        }
        h.pump();
        for (const Persisted &p : h.eventsOf<Persisted>()) {
            QVERIFY2(!restoredIds.contains(p.id), qPrintable(p.id));  // restored: no second Persisted
            persisted.insert(p.id);
        }
        const auto out = outcomes(h);
        for (auto it = out.cbegin(); it != out.cend(); ++it) {
            QVERIFY2(it.value().size() == 1, qPrintable(it.key() + QLatin1Char(' ') + it.value().join(u',')));
            ended[it.key()].append(it.value());
            const int p = indexOfEvent<Persisted>(h, it.key());
            if (p >= 0) {
                const int e = std::max({indexOfEvent<Delivered>(h, it.key()), indexOfEvent<Dropped>(h, it.key()),
                                        indexOfEvent<Rejected>(h, it.key()), indexOfEvent<Sent>(h, it.key())});
                QVERIFY2(p < e, qPrintable(it.key()));
            }
        }
        // Every restored message ends in this process or is stored again for the next one.
        if (last)
            for (const QString &id : restoredIds)
                QVERIFY2(out.contains(id), qPrintable(id));
        QVERIFY2(store.violations.isEmpty(), qPrintable(store.violations.join(u';')));
        // Killed: batches not applied are lost with the process.
    }
    QVERIFY2(server.violations.isEmpty(), qPrintable(server.violations.join(u';')));
    if (qEnvironmentVariableIsSet("PERSIST_DEBUG"))
        for (const auto &[serial, m] : store.rows)
            qDebug() << "left" << serial << m.id << m.seq << ended.value(m.id) << persisted.contains(m.id);
    QCOMPARE(store.rows.size(), size_t(0));
    const QSet<QString> atServer(server.received.cbegin(), server.received.cend());
    for (const QString &id : std::as_const(persisted)) {
        QVERIFY2(ended.contains(id), qPrintable(QStringLiteral("persisted, never ended: ") + id));
        const QStringList &o = ended[id];
        if (o.contains(QStringLiteral("delivered")))
            QVERIFY2(atServer.contains(id), qPrintable(id));
        if (!withTtl.contains(id) && !atMostOnce.contains(id))
            QVERIFY2(atServer.contains(id), qPrintable(QStringLiteral("persisted and lost: ") + id));
    }
    for (auto it = ended.cbegin(); it != ended.cend(); ++it) {
        // Twice only when a process ended it and its removal was not stored before the kill:
        // then the next process restored and ended it again (the same verdict class).
        for (const QString &o : it.value())
            if (o == QStringLiteral("delivered"))
                QVERIFY2(atServer.contains(it.key()), qPrintable(it.key()));
    }
}

void tst_EnginePersist::optionsValidated()
{
    Options o = persistOptions();
    o.persistInterval = milliseconds(-1);
    QVERIFY(validateOptions(o));
    o = persistOptions();
    o.persistMaxChanges = 0;
    QVERIFY(validateOptions(o));
    o = persistOptions();
    o.durability = static_cast<Durability>(7);
    QVERIFY(validateOptions(o));
    QVERIFY(!validateOptions(persistOptions()));
    Harness h(persistOptions(Durability::Memory));
    SendOptions bad;
    bad.durability = static_cast<Durability>(9);
    const SendResult r = h.send(text("x"), bad);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, ErrorCode::InvalidArgument);
    // setOptions(): durability from the next send.
    Options on = persistOptions(Durability::CrashSafe);
    QVERIFY(h->setOptions(h.now, on).ok());
    h.send(text("y"), withId(QStringLiteral("y")));
    h.advance(milliseconds(10));
    QCOMPARE(h.countActions<PersistBatch>(), 1);
    QCOMPARE(idsOf(h.actionsOf<PersistBatch>()[0].put), QStringList{QStringLiteral("y")});
}

QTEST_GUILESS_MAIN(tst_EnginePersist)
#include "tst_engine_persist.moc"
