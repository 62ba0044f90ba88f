// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The outbox: bounds by count and bytes with each overflow policy, coalescing keys, TTL,
// the in-flight window, acks and nacks, resume with each welcome.rx (and the nacks a
// server repeats after it), renumbering on a new session, close() with and without
// keeping the queue, frame size limits, at-most-once messages. Every send must end in
// exactly one visible outcome.
#include "engine_harness.h"

#include <QtCore/QSet>
#include <QtTest/QTest>

#include <array>

using namespace EngineTest;

namespace {

std::vector<P::Msg> sentMsgs(Harness &h) { return h.takeSentOf<P::Msg>(); }

} // namespace

class tst_EngineOutbox : public QObject {
    Q_OBJECT
private slots:
    void generatedIdsAreUniqueBase64Url();
    void idIsTheSourcesBitsInBase64Url_data();
    void idIsTheSourcesBitsInBase64Url();
    void defaultSourceVariesAll128Bits();
    void bounds_data();
    void bounds();
    void dropOldestSkipsInFlight();
    void transportNotReadyHoldsMessagesOnly_data();
    void transportNotReadyHoldsMessagesOnly();
    void outcomesCarryTheIdsSendReturned();
    void coalescingReplacesQueued();
    void coalescingDoesNotTouchSentMessage();
    void ttl_data();
    void ttl();
    void inFlightWindow();
    void ackDeliversInOrder();
    void nackRejectsAndNeverResends();
    void resume_data();
    void resume();
    void repeatedNacksAfterResume();
    void newSessionRenumbers();
    void closeDropsOrKeeps_data();
    void closeDropsOrKeeps();
    void frameTooLarge();
    void atMostOnceSentOnce();
    void payloadCodecCannotCarry();
    void everySendEndsOnce();
};

void tst_EngineOutbox::generatedIdsAreUniqueBase64Url()
{
    Harness h;
    QSet<QString> ids;
    for (int i = 0; i < 2000; ++i) {
        const auto r = h.send(QCborValue(i));
        QVERIFY(r.ok());
        QCOMPARE(r.id.size(), 22);
        for (QChar c : r.id)
            QVERIFY(c.isLetterOrNumber() || c == u'-' || c == u'_');
        ids.insert(r.id);
    }
    QCOMPARE(ids.size(), 2000);
    const auto own = h.send(text("x"), SendOptions{Delivery::AtLeastOnce, {}, QStringLiteral("my-id-1"), {}, {}, {}});
    QCOMPARE(own.id, QStringLiteral("my-id-1"));
}

// The id is exactly the two 64-bit draws of the source (least significant byte first) in
// base64url without padding: no bit is lost, whichever source the engine has.
void tst_EngineOutbox::idIsTheSourcesBitsInBase64Url_data()
{
    QTest::addColumn<quint64>("low");
    QTest::addColumn<quint64>("high");
    QTest::addColumn<QString>("id");
    QTest::addRow("bytes 0..15") << Q_UINT64_C(0x0706050403020100) << Q_UINT64_C(0x0f0e0d0c0b0a0908)
                                 << QStringLiteral("AAECAwQFBgcICQoLDA0ODw");
    QTest::addRow("all ones") << ~quint64(0) << ~quint64(0) << QStringLiteral("_____________________w");
    QTest::addRow("url alphabet - and _") << Q_UINT64_C(0xfbefbeffffffffff) << Q_UINT64_C(0x00f8e38e38e38e38)
                                          << QStringLiteral("______--7_s4juM4juP4AA");
}

void tst_EngineOutbox::idIsTheSourcesBitsInBase64Url()
{
    QFETCH(quint64, low);
    QFETCH(quint64, high);
    QFETCH(QString, id);
    Options o = baseOptions();
    auto draws = std::make_shared<std::vector<quint64>>(std::vector<quint64>{high, low});
    o.random = [draws] {
        const quint64 v = draws->back();
        draws->pop_back();
        return v;
    };
    Harness h(o);
    const auto r = h.send(text("x"));
    QVERIFY(r.ok());
    QCOMPARE(r.id, id);
    QVERIFY(draws->empty());
}

// Without an injected source the bits come from the system CSPRNG (random_p.h): every one
// of the 128 bits varies (each set in about half of 4 096 ids; 15 points off would be
// ~19 standard deviations), the ids decode back to 16 bytes, and two engines differ.
void tst_EngineOutbox::defaultSourceVariesAll128Bits()
{
    Options o = baseOptions();
    o.random = {};
    o.maxQueuedMessages = 2 * 4096;  // offline: every id stays queued
    Harness h(o);
    Harness other(o);
    constexpr int kIds = 4096;
    std::array<int, 128> setCount{};
    QSet<QString> ids;
    for (int i = 0; i < kIds; ++i) {
        const auto r = h.send(QCborValue(i));
        QVERIFY(r.ok());
        const QByteArray bits = QByteArray::fromBase64(r.id.toLatin1(), QByteArray::Base64UrlEncoding);
        QCOMPARE(bits.size(), 16);
        QCOMPARE(QString::fromLatin1(bits.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)),
                 r.id);
        for (int bit = 0; bit < 128; ++bit)
            setCount[size_t(bit)] += (uchar(bits[bit / 8]) >> (bit % 8)) & 1;
        ids.insert(r.id);
    }
    QCOMPARE(ids.size(), kIds);
    for (int bit = 0; bit < 128; ++bit)
        QVERIFY2(setCount[size_t(bit)] > kIds * 35 / 100 && setCount[size_t(bit)] < kIds * 65 / 100,
                 qPrintable(QStringLiteral("bit %1 set in %2 of %3 ids").arg(bit).arg(setCount[size_t(bit)]).arg(kIds)));
    const auto mine = h.send(text("x"));
    const auto theirs = other.send(text("x"));
    QVERIFY(mine.ok() && theirs.ok());
    QVERIFY(mine.id != theirs.id);
}

void tst_EngineOutbox::bounds_data()
{
    QTest::addColumn<int>("maxCount");
    QTest::addColumn<int>("maxBytes");
    QTest::addColumn<int>("policy");
    QTest::addColumn<int>("accepted");   // of 10 sends of 10-byte payloads ("\"12345678\"")
    QTest::addColumn<int>("droppedQueueFull");
    QTest::addRow("count bound, reject new") << 4 << 1'000'000 << int(OverflowPolicy::RejectNew) << 4 << 0;
    QTest::addRow("byte bound, reject new") << 1000 << 35 << int(OverflowPolicy::RejectNew) << 3 << 0;
    QTest::addRow("count bound, drop oldest") << 4 << 1'000'000 << int(OverflowPolicy::DropOldest) << 10 << 6;
    QTest::addRow("byte bound, drop oldest") << 1000 << 35 << int(OverflowPolicy::DropOldest) << 10 << 7;
    QTest::addRow("message larger than the byte bound") << 1000 << 5 << int(OverflowPolicy::DropOldest) << 0 << 0;
}

void tst_EngineOutbox::bounds()
{
    QFETCH(int, maxCount);
    QFETCH(int, maxBytes);
    QFETCH(int, policy);
    QFETCH(int, accepted);
    QFETCH(int, droppedQueueFull);
    Options o = baseOptions();
    o.maxQueuedMessages = maxCount;
    o.maxQueuedBytes = maxBytes;
    o.overflow = OverflowPolicy(policy);
    Harness h(o);
    int ok = 0;
    QStringList acceptedIds;
    for (int i = 0; i < 10; ++i) {
        const auto r = h.send(text("12345678"));
        if (r.ok()) {
            ++ok;
            acceptedIds.append(r.id);
        } else {
            QCOMPARE(r.error->code, ErrorCode::QueueFull);
            QCOMPARE(r.error->kind, ErrorKind::Local);
        }
    }
    QCOMPARE(ok, accepted);
    const auto dropped = h.eventsOf<Dropped>();
    QCOMPARE(int(dropped.size()), droppedQueueFull);
    for (int i = 0; i < int(dropped.size()); ++i) {
        QCOMPARE(dropped[size_t(i)].reason, DropReason::QueueFull);
        QCOMPARE(dropped[size_t(i)].id, acceptedIds.at(i));  // oldest first
    }
    QVERIFY(h->queueDepth() <= maxCount);
    QVERIFY(h->queueBytes() <= maxBytes);
    QCOMPARE(int(h->stats().dropped[size_t(DropReason::QueueFull)]), droppedQueueFull);
}

void tst_EngineOutbox::dropOldestSkipsInFlight()
{
    Options o = baseOptions();
    o.maxQueuedMessages = 3;
    o.overflow = OverflowPolicy::DropOldest;
    Harness h(o);
    h.connect();
    const auto a = h.send(text("a"));
    const auto b = h.send(text("b"));
    QCOMPARE(int(sentMsgs(h).size()), 2);  // both in flight
    h.closed(1006);                        // offline
    const auto c = h.send(text("c"));
    const auto d = h.send(text("d"));      // full: c is the oldest not on the wire
    QVERIFY(d.ok());
    const auto dropped = h.eventsOf<Dropped>();
    QCOMPARE(int(dropped.size()), 1);
    QCOMPARE(dropped.front().id, c.id);
    Q_UNUSED(a);
    Q_UNUSED(b);
}

// Backpressure (Connection::setTransportReady): messages wait in the outbox, in order and
// without a Written status; requests are not held; a new socket starts ready.
void tst_EngineOutbox::transportNotReadyHoldsMessagesOnly_data()
{
    QTest::addColumn<bool>("v11");
    QTest::addRow("v1") << false;
    QTest::addRow("v1.1 batches") << true;
}

void tst_EngineOutbox::transportNotReadyHoldsMessagesOnly()
{
    QFETCH(bool, v11);
    Options o = baseOptions();
    o.progressEvents = true;
    Harness h(o);
    if (v11)
        h.version = P::Version::V1_1;
    h.connect();
    h->setTransportReady(false);
    const auto a = h.send(text("a"));
    const auto b = h.send(text("b"));
    const RequestResult req = h->request(h.now, QStringLiteral("time"));
    QVERIFY(req.ok());
    const std::vector<P::Frame> held = h.takeSent();
    QCOMPARE(int(held.size()), 1);
    QVERIFY(std::holds_alternative<P::Req>(held[0]));
    QCOMPARE(int(h.eventsOf<MessageStatusChanged>().size()), 0);
    QCOMPARE(h->queueDepth(), 2);

    h->setTransportReady(true);
    h.pump();
    auto msgs = sentMsgs(h);
    QCOMPARE(int(msgs.size()), 2);
    QCOMPARE(*msgs[0].id, a.id);
    QCOMPARE(*msgs[1].id, b.id);
    QCOMPARE(int(h.eventsOf<MessageStatusChanged>().size()), 2);  // Written, once each

    // Not ready when the socket is lost: the next one starts ready, and the unacknowledged
    // messages are sent again on it without the caller saying so.
    h->setTransportReady(false);
    h.dropAndReopen();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    msgs = sentMsgs(h);
    QCOMPARE(int(msgs.size()), 2);
    QCOMPARE(*msgs[0].id, a.id);
}

// The outbox keeps the id strings of its newest messages (a ring as large as the in-flight
// window, 16 here): their outcomes hand out the very string send() returned, no copy built;
// an older message's id is rebuilt from its stored bytes, equal all the same. Ids that are
// not ASCII go both ways too.
void tst_EngineOutbox::outcomesCarryTheIdsSendReturned()
{
    Options o = baseOptions();
    o.maxInFlight = 16;
    Harness h(o);
    std::vector<QString> ids;
    for (int i = 0; i < 40; ++i) {  // offline: 40 queued, the ring keeps the last 16
        SendOptions so;
        if (i % 7 == 3)
            so.id = QStringLiteral("ïd-%1-✓").arg(i);
        const SendResult r = h->send(h.now, QCborValue(QString::number(i)), so);
        QVERIFY(r.ok());
        ids.push_back(r.id);
    }
    h.connect();
    quint64 acked = 0;
    while (acked < 40) {
        acked = std::min<quint64>(acked + 16, 40);
        h.takeSent();
        h.serverFrame(P::Ack{acked});
    }
    const auto delivered = h.eventsOf<Delivered>();
    QCOMPARE(int(delivered.size()), 40);
    for (int i = 0; i < 40; ++i) {
        QCOMPARE(delivered[size_t(i)].id, ids[size_t(i)]);
        const bool newest = i >= 40 - 16;
        QCOMPARE(delivered[size_t(i)].id.constData() == ids[size_t(i)].constData(), newest);
    }
}

void tst_EngineOutbox::coalescingReplacesQueued()
{
    Harness h;
    SendOptions typing;
    typing.coalescingKey = QStringLiteral("typing");
    const auto first = h.send(text("t1"), typing);
    const auto other = h.send(text("hello"));
    const auto second = h.send(text("t2"), typing);
    const auto third = h.send(text("t3"), typing);
    QCOMPARE(h->queueDepth(), 2);
    const auto dropped = h.eventsOf<Dropped>();
    QCOMPARE(int(dropped.size()), 2);
    QCOMPARE(dropped[0].id, first.id);
    QCOMPARE(dropped[0].reason, DropReason::Superseded);
    QCOMPARE(dropped[1].id, second.id);
    h.connect();
    h.pump();
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 2);
    QCOMPARE(*msgs[0].id, other.id);
    QCOMPARE(*msgs[1].id, third.id);  // latest value wins, joins the end
    QCOMPARE(msgs[1].d, text("t3"));
}

void tst_EngineOutbox::coalescingDoesNotTouchSentMessage()
{
    Harness h;
    h.connect();
    SendOptions key;
    key.coalescingKey = QStringLiteral("cursor");
    h.send(text("p1"), key);
    QCOMPARE(int(sentMsgs(h).size()), 1);
    h.send(text("p2"), key);
    QCOMPARE(int(sentMsgs(h).size()), 1);
    QCOMPARE(h.countEvents<Dropped>(), 0);
}

void tst_EngineOutbox::ttl_data()
{
    // Script: (connect if `online`), send a (ttl) and b (no ttl), wait, then `then`.
    // A message expires only while it has not been written in the current session; once
    // on the wire it waits for its ack/nack, and only a lost session drops it (Expired),
    // before the rest is renumbered.
    QTest::addColumn<bool>("online");
    QTest::addColumn<int>("ttlMs");
    QTest::addColumn<int>("waitMs");
    QTest::addColumn<QString>("then");
    QTest::addColumn<bool>("droppedBeforeThen");
    QTest::addColumn<QString>("outcomeA");
    QTest::addColumn<bool>("aSentAgain");

    const QString connect = QStringLiteral("connect"), ack = QStringLiteral("ack"), nack = QStringLiteral("nack"),
                  resume = QStringLiteral("resume"), lost = QStringLiteral("lost");
    const QString delivered = QStringLiteral("delivered"), expired = QStringLiteral("dropped:Expired");
    QTest::addRow("queued offline, ttl passes before send: dropped, never sent")
        << false << 1000 << 1000 << connect << true << expired << false;
    QTest::addRow("queued offline, sent 1 ms before its ttl: delivered")
        << false << 1000 << 999 << connect << false << delivered << true;
    QTest::addRow("in flight past ttl, then acked: delivered, no drop")
        << true << 1000 << 1000 << ack << false << delivered << false;
    QTest::addRow("in flight past ttl, then nacked: rejected, no drop")
        << true << 1000 << 1000 << nack << false << QStringLiteral("rejected") << false;
    QTest::addRow("in flight past ttl, session resumed: retransmitted, delivered")
        << true << 1000 << 1000 << resume << false << delivered << true;
    QTest::addRow("in flight past ttl, session lost: dropped before renumbering")
        << true << 1000 << 1000 << lost << false << expired << false;
    QTest::addRow("in flight, ttl passes while reconnecting, session lost: dropped")
        << true << 1000 << 0 << lost << false << expired << false;
    QTest::addRow("in flight, ttl passes while reconnecting, session resumed: delivered")
        << true << 1000 << 0 << resume << false << delivered << true;
    QTest::addRow("in flight within ttl, session lost: renumbered, delivered")
        << true << 60000 << 0 << lost << false << delivered << true;
}

void tst_EngineOutbox::ttl()
{
    QFETCH(bool, online);
    QFETCH(int, ttlMs);
    QFETCH(int, waitMs);
    QFETCH(QString, then);
    QFETCH(bool, droppedBeforeThen);
    QFETCH(QString, outcomeA);
    QFETCH(bool, aSentAgain);

    Harness h;
    if (online)
        h.connect();
    SendOptions shortLived;
    shortLived.ttl = milliseconds(ttlMs);
    const auto a = h.send(text("a"), shortLived);
    const auto b = h.send(text("b"));
    QCOMPARE(int(sentMsgs(h).size()), online ? 2 : 0);
    h.advance(milliseconds(waitMs));
    QCOMPARE(h.countEvents<Dropped>(), droppedBeforeThen ? 1 : 0);

    // The link drops; 1 s later (the first backoff wait is at most 500 ms, and every TTL
    // of 1 s has passed) the next socket opens and the engine sends its hello.
    const auto reopen = [&h] {
        const int opens = h.countActions<OpenSocket>();
        h.closed(1006);
        h.advance(milliseconds(1000));
        QCOMPARE(h.countActions<OpenSocket>(), opens + 1);
        h.opened();
        h.takeSent();  // the hello
    };
    if (then == QStringLiteral("ack")) {
        h.serverFrame(P::Ack{2});
    } else if (then == QStringLiteral("nack")) {
        P::Nack n;
        n.seq = 1;
        n.err = P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("no"), std::nullopt};
        h.serverFrame(n);
        h.serverFrame(P::Ack{2});
    } else if (then == QStringLiteral("connect")) {
        h.connect();
    } else if (then == QStringLiteral("resume")) {
        reopen();
        h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    } else if (then == QStringLiteral("lost")) {
        reopen();
        h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));
    }

    // What went on the wire after `then`: seqs contiguous from 1 (a lost session or a
    // first connection) or the same seqs again (resumed): 1..n either way.
    const auto again = sentMsgs(h);
    QStringList againIds;
    for (size_t i = 0; i < again.size(); ++i) {
        QCOMPARE(*again[i].seq, quint64(i + 1));
        againIds.append(*again[i].id);
    }
    QCOMPARE(againIds.contains(a.id), aSentAgain);
    if (!again.empty())
        h.serverFrame(P::Ack{quint64(again.size())});

    const auto out = outcomes(h);
    QCOMPARE(out.value(a.id), QStringList{outcomeA});
    QCOMPARE(out.value(b.id), QStringList{QStringLiteral("delivered")});
    QCOMPARE(h->stats().dropped[size_t(DropReason::Expired)], quint64(outcomeA == QStringLiteral("dropped:Expired")));
    QCOMPARE(h->queueDepth(), 0);
}

void tst_EngineOutbox::inFlightWindow()
{
    Options o = baseOptions();
    o.maxInFlight = 256;
    Harness h(o);
    h.connect();
    for (int i = 0; i < 300; ++i)
        h.send(QCborValue(i));
    QCOMPARE(int(sentMsgs(h).size()), 256);
    QCOMPARE(h->stats().inFlight, 256);
    h.serverFrame(P::Ack{10});
    const auto next = sentMsgs(h);
    QCOMPARE(int(next.size()), 10);
    QCOMPARE(*next.front().seq, quint64(257));
    QCOMPARE(*next.back().seq, quint64(266));
}

void tst_EngineOutbox::ackDeliversInOrder()
{
    Harness h;
    h.connect();
    QStringList ids;
    for (int i = 0; i < 5; ++i)
        ids.append(h.send(QCborValue(i)).id);
    const auto msgs = sentMsgs(h);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(*msgs[size_t(i)].seq, quint64(i + 1));
        QCOMPARE(*msgs[size_t(i)].id, ids.at(i));
        QCOMPARE(msgs[size_t(i)].d, QCborValue(i));
    }
    h.serverFrame(P::Ack{3});
    h.serverFrame(P::Ack{2});  // stale: ignored
    h.serverFrame(P::Ack{5});
    QStringList delivered;
    for (const auto &d : h.eventsOf<Delivered>())
        delivered.append(d.id);
    QCOMPARE(delivered, ids);
    QCOMPARE(int(h->stats().acked), 5);
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineOutbox::nackRejectsAndNeverResends()
{
    Harness h;
    h.connect();
    const auto a = h.send(text("a"));
    const auto b = h.send(text("b"));
    const auto c = h.send(text("c"));
    sentMsgs(h);
    P::Nack n;
    n.seq = 2;
    n.err = P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("no publish right"), QCborValue(7)};
    h.serverFrame(n);
    const auto rejected = h.eventsOf<Rejected>();
    QCOMPARE(int(rejected.size()), 1);
    QCOMPARE(rejected.front().id, b.id);
    QCOMPARE(rejected.front().error.remoteCode, QStringLiteral("forbidden"));
    QCOMPARE(rejected.front().error.kind, ErrorKind::Remote);
    QCOMPARE(rejected.front().error.data, QCborValue(7));
    // Lost before the ack: a and c are resent on resume, b never again.
    h.dropAndReopen();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 2);
    QCOMPARE(*msgs[0].id, a.id);
    QCOMPARE(*msgs[1].id, c.id);
    QCOMPARE(*msgs[1].seq, quint64(3));
    h.serverFrame(P::Ack{3});
    const auto out = outcomes(h);
    QCOMPARE(out.value(a.id), QStringList{QStringLiteral("delivered")});
    QCOMPARE(out.value(b.id), QStringList{QStringLiteral("rejected")});
    QCOMPARE(out.value(c.id), QStringList{QStringLiteral("delivered")});
}

void tst_EngineOutbox::resume_data()
{
    QTest::addColumn<int>("acked");  // ack received before the drop
    QTest::addColumn<int>("rx");     // welcome.rx on resume
    for (int acked : {0, 2})
        for (int rx = acked; rx <= 5; ++rx)
            QTest::addRow("acked %d, welcome.rx %d", acked, rx) << acked << rx;
}

void tst_EngineOutbox::resume()
{
    QFETCH(int, acked);
    QFETCH(int, rx);
    Harness h;
    h.connect();
    QStringList ids;
    for (int i = 0; i < 5; ++i)
        ids.append(h.send(QCborValue(i)).id);
    sentMsgs(h);
    if (acked)
        h.serverFrame(P::Ack{quint64(acked)});
    h.serverFrame(serverMsg(1, QStringLiteral("in1"), text("x")));
    h.dropAndReopen();
    const auto hello = h.takeSentOf<P::Hello>();
    QCOMPARE(int(hello.size()), 1);
    QCOMPARE(*hello.front().sid, QStringLiteral("s1"));
    QCOMPARE(*hello.front().rx, quint64(1));
    QCOMPARE(*hello.front().ak, quint64(acked));
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, quint64(rx)));
    QVERIFY(h.eventsOf<Connected>().back().resumed);
    QCOMPARE(h.countEvents<SessionLost>(), 0);
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 5 - rx);  // everything above rx, same seq, same id, in order
    for (int i = 0; i < int(msgs.size()); ++i) {
        QCOMPARE(*msgs[size_t(i)].seq, quint64(rx + i + 1));
        QCOMPARE(*msgs[size_t(i)].id, ids.at(rx + i));
    }
    QCOMPARE(int(h->stats().retransmitted), 5 - rx);
    h.advance(milliseconds(1000));  // settle: covered seqs are delivered
    QCOMPARE(h.countEvents<Delivered>(), rx);
    h.serverFrame(P::Ack{5});
    QCOMPARE(h.countEvents<Delivered>(), 5);
    for (const auto &list : outcomes(h))
        QCOMPARE(list.size(), 1);
}

void tst_EngineOutbox::repeatedNacksAfterResume()
{
    Harness h;
    h.connect();
    QStringList ids;
    for (int i = 0; i < 4; ++i)
        ids.append(h.send(QCborValue(i)).id);
    sentMsgs(h);
    h.serverFrame(P::Ack{1});
    h.closed(1006);  // the nack for seq 3 was lost with the link
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 4));
    P::Nack n;
    n.seq = 3;
    n.err = P::ErrorObject{QStringLiteral("denied"), QStringLiteral("no"), std::nullopt};
    h.serverFrame(n);  // repeated right after welcome
    h.serverFrame(serverMsg(std::nullopt, QString(), text("other")));  // settles the rest
    const auto out = outcomes(h);
    QCOMPARE(out.value(ids[0]), QStringList{QStringLiteral("delivered")});
    QCOMPARE(out.value(ids[1]), QStringList{QStringLiteral("delivered")});
    QCOMPARE(out.value(ids[2]), QStringList{QStringLiteral("rejected")});
    QCOMPARE(out.value(ids[3]), QStringList{QStringLiteral("delivered")});
    QVERIFY(h.takeSentOf<P::Msg>().empty());  // nothing to retransmit
}

void tst_EngineOutbox::newSessionRenumbers()
{
    Harness h;
    h.connect();
    h->subscribe(h.now, QStringLiteral("room"));
    h.pump();
    const quint64 subId = h.takeSentOf<P::Sub>().front().id;
    h.serverFrame(P::Res{subId, QCborValue(true)});
    QStringList ids;
    for (int i = 0; i < 6; ++i)
        ids.append(h.send(QCborValue(i)).id);
    sentMsgs(h);
    h.serverFrame(P::Ack{2});
    h.closed(1006);
    const auto late = h.send(text("late"));  // queued while offline
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));  // session lost
    const auto lost = h.eventsOf<SessionLost>();
    QCOMPARE(int(lost.size()), 1);
    QCOMPARE(lost.front().channels, QStringList{QStringLiteral("room")});
    QCOMPARE(h->sessionId(), QStringLiteral("s2"));
    const auto frames = h.takeSent();
    std::vector<P::Msg> msgs;
    std::vector<P::Sub> subs;
    for (const auto &f : frames) {
        if (auto *m = std::get_if<P::Msg>(&f))
            msgs.push_back(*m);
        if (auto *s = std::get_if<P::Sub>(&f))
            subs.push_back(*s);
    }
    QCOMPARE(int(subs.size()), 1);  // re-subscribed
    QCOMPARE(subs.front().ch, QStringLiteral("room"));
    QCOMPARE(int(msgs.size()), 5);  // 4 unacked + the late one, renumbered from 1
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(*msgs[size_t(i)].seq, quint64(i + 1));
        QCOMPARE(*msgs[size_t(i)].id, i < 4 ? ids.at(i + 2) : late.id);
    }
    h.serverFrame(P::Res{subs.front().id, QCborValue(true)});
    QCOMPARE(h.countEvents<RequestFinished>(), 1);  // the app's own sub only
}

void tst_EngineOutbox::closeDropsOrKeeps_data()
{
    QTest::addColumn<bool>("keep");
    QTest::addRow("close drops") << false;
    QTest::addRow("close keeps for open") << true;
}

void tst_EngineOutbox::closeDropsOrKeeps()
{
    QFETCH(bool, keep);
    Harness h;
    h.connect();
    const auto a = h.send(text("a"));  // in flight
    sentMsgs(h);
    h.closed(1006);
    const auto b = h.send(text("b"));  // queued
    h->close(h.now, keep);
    h.pump();
    const auto out = outcomes(h);
    if (!keep) {
        QCOMPARE(out.value(a.id), QStringList{QStringLiteral("dropped:Closed")});
        QCOMPARE(out.value(b.id), QStringList{QStringLiteral("dropped:Closed")});
        QCOMPARE(h->queueDepth(), 0);
        return;
    }
    QVERIFY(out.isEmpty());
    QCOMPARE(h->queueDepth(), 2);
    h->open(h.now);
    h.opened();
    const auto hello = h.takeSentOf<P::Hello>();
    QVERIFY(!hello.front().sid);  // close(1000) ended the session: a new one starts
    h.serverFrame(h.welcome(QStringLiteral("s9")));
    QCOMPARE(h.countEvents<SessionLost>(), 0);
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 2);
    QCOMPARE(*msgs[0].seq, quint64(1));
    QCOMPARE(*msgs[0].id, a.id);
    QCOMPARE(*msgs[1].id, b.id);
}

void tst_EngineOutbox::frameTooLarge()
{
    Harness h;
    h->open(h.now);
    h.opened();
    P::Welcome w = h.welcome();
    w.maxFrame = 200;
    h.serverFrame(w);
    const auto big = h.send(QCborValue(QString(500, u'x')));
    QVERIFY(!big.ok());
    QCOMPARE(big.error->code, ErrorCode::FrameTooLarge);
    QCOMPARE(big.error->kind, ErrorKind::Local);
    const auto small = h.send(text("fits"));
    QVERIFY(small.ok());
    QCOMPARE(int(sentMsgs(h).size()), 1);
    // Queued offline under a larger limit, sent under a smaller one: rejected locally,
    // the connection stays, the seq series has no hole.
    h.closed(1006);
    const auto borderline = h.send(QCborValue(QString(150, u'y')));
    const auto after = h.send(text("after"));
    QVERIFY(borderline.ok());
    h.advanceTo(*h->pollTimeout());
    h.opened();
    P::Welcome w2 = h.welcome(QStringLiteral("s1"), true, 1);
    w2.maxFrame = 100;
    h.serverFrame(w2);
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 1);
    QCOMPARE(*msgs.front().id, after.id);
    QCOMPARE(*msgs.front().seq, quint64(2));
    const auto rejected = h.eventsOf<Rejected>();
    QCOMPARE(int(rejected.size()), 1);
    QCOMPARE(rejected.front().id, borderline.id);
    QCOMPARE(rejected.front().error.code, ErrorCode::FrameTooLarge);
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineOutbox::atMostOnceSentOnce()
{
    Harness h;
    SendOptions once;
    once.delivery = Delivery::AtMostOnce;
    once.channel = QStringLiteral("cursor");
    const auto a = h.send(text("queued offline"), once);
    h.connect();
    h.pump();
    auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 1);
    QVERIFY(!msgs.front().seq);
    QCOMPARE(*msgs.front().id, a.id);
    QCOMPARE(*msgs.front().ch, QStringLiteral("cursor"));
    QCOMPARE(outcomes(h).value(a.id), QStringList{QStringLiteral("sent")});
    h.dropAndReopen();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    QVERIFY(h.takeSentOf<P::Msg>().empty());  // never retransmitted
    QCOMPARE(h->queueDepth(), 0);
}

void tst_EngineOutbox::payloadCodecCannotCarry()
{
    Harness h;  // JSON cannot carry a byte string
    const auto r = h.send(QCborValue(QByteArray("\x01\x02", 2)));
    QVERIFY(!r.ok());
    QCOMPARE(r.error->code, ErrorCode::NotSupported);
    Options o = baseOptions();
    o.codec = P::CodecKind::Cbor;
    Harness c(o);
    QVERIFY(c.send(QCborValue(QByteArray("\x01\x02", 2))).ok());
}

void tst_EngineOutbox::everySendEndsOnce()
{
    // A mixed life: acks, a nack, TTLs, coalescing, overflow, a resume, a lost session,
    // then close(): every accepted send ends in exactly one outcome.
    Options o = baseOptions(5);
    o.maxQueuedMessages = 40;
    o.overflow = OverflowPolicy::DropOldest;
    Harness h(o);
    QStringList accepted;
    std::mt19937 rng(3);
    auto sendSome = [&](int n) {
        for (int i = 0; i < n; ++i) {
            SendOptions so;
            if (rng() % 4 == 0)
                so.coalescingKey = QStringLiteral("k%1").arg(rng() % 3);
            if (rng() % 5 == 0)
                so.ttl = milliseconds(100 + rng() % 500);
            if (rng() % 6 == 0)
                so.delivery = Delivery::AtMostOnce;
            if (const auto r = h.send(QCborValue(int(rng() % 1000)), so); r.ok())
                accepted.append(r.id);
        }
    };
    sendSome(60);
    h.connect();
    sendSome(20);
    auto msgs = sentMsgs(h);
    quint64 top = 0;
    for (const auto &m : msgs)
        if (m.seq)
            top = std::max(top, *m.seq);
    P::Nack n;
    n.seq = 2;
    n.err = P::ErrorObject{QStringLiteral("no"), QStringLiteral("no"), std::nullopt};
    h.serverFrame(n);
    h.serverFrame(P::Ack{top / 2});
    h.advance(milliseconds(300));
    h.closed(1006);
    sendSome(30);
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, top / 2 + 1));
    sendSome(10);
    h.advance(milliseconds(700));
    h.closed(1011);
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));
    sendSome(10);
    h->close(h.now);
    h.pump();
    const auto out = outcomes(h);
    for (const QString &id : accepted)
        QVERIFY2(out.value(id).size() == 1, qPrintable(id + QStringLiteral(": ") + out.value(id).join(u',')));
    QCOMPARE(out.size(), accepted.size());
}

QTEST_GUILESS_MAIN(tst_EngineOutbox)
#include "tst_engine_outbox.moc"
