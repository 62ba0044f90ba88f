// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The inbound window: in-order delivery, duplicates acked but not delivered, gaps as
// protocol errors, ack batching (<= 50 ms, at once at 64), the recent-id window across a
// lost session, hello.rx.
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

class tst_EngineInbound : public QObject {
    Q_OBJECT
private slots:
    void deliversInOrderOnce();
    void duplicatesAckedNotDelivered();
    void gapIsProtocolError();
    void ackBatching_data();
    void ackBatching();
    void unreliableNeverAcked();
    void crossSessionDuplicatesSuppressedById();
    void recentIdWindowIsBounded();
    void helloCarriesRx();
    void publicationsCarryChannel();
};

void tst_EngineInbound::deliversInOrderOnce()
{
    Harness h;
    h.connect();
    for (quint64 s = 1; s <= 5; ++s)
        h.serverFrame(serverMsg(s, QStringLiteral("m%1").arg(s), QCborValue(qint64(s))));
    const auto got = h.eventsOf<MessageReceived>();
    QCOMPARE(int(got.size()), 5);
    for (int i = 0; i < 5; ++i) {
        QCOMPARE(got[size_t(i)].payload, QCborValue(qint64(i + 1)));
        QCOMPARE(got[size_t(i)].id, QStringLiteral("m%1").arg(i + 1));
        QVERIFY(got[size_t(i)].reliable);
    }
    QCOMPARE(int(h->stats().received), 5);
}

void tst_EngineInbound::duplicatesAckedNotDelivered()
{
    Harness h;
    h.connect();
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("a")));
    h.serverFrame(serverMsg(2, QStringLiteral("b"), text("b")));
    h.advance(milliseconds(50));
    QCOMPARE(h.takeSentOf<P::Ack>().back().seq, quint64(2));
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("a")));  // a resend: our ack was lost
    QCOMPARE(h.countEvents<MessageReceived>(), 2);
    QCOMPARE(int(h->stats().duplicatesSuppressed), 1);
    h.advance(milliseconds(50));
    const auto acks = h.takeSentOf<P::Ack>();
    QCOMPARE(int(acks.size()), 1);  // acknowledged again so the server stops resending
    QCOMPARE(acks.front().seq, quint64(2));
}

void tst_EngineInbound::gapIsProtocolError()
{
    Harness h;
    h.connect();
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("a")));
    h.serverFrame(serverMsg(3, QStringLiteral("c"), text("c")));
    QCOMPARE(h.countEvents<MessageReceived>(), 1);
    QCOMPARE(h->state(), State::Reconnecting);
    QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.code, ErrorCode::ProtocolError);
    QCOMPARE(h.actionsOf<CloseSocket>().back().code, 1002);
}

void tst_EngineInbound::ackBatching_data()
{
    QTest::addColumn<int>("messages");
    QTest::addColumn<int>("acksAtOnce");  // acks sent before any time passes
    QTest::addRow("1 message: delayed") << 1 << 0;
    QTest::addRow("63 messages: delayed") << 63 << 0;
    QTest::addRow("64 messages: at once") << 64 << 1;
    QTest::addRow("130 messages: two at once") << 130 << 2;
}

void tst_EngineInbound::ackBatching()
{
    QFETCH(int, messages);
    QFETCH(int, acksAtOnce);
    Harness h;
    h.connect();
    for (int i = 1; i <= messages; ++i)
        h.serverFrame(serverMsg(quint64(i), QString(), QCborValue(i)));
    auto acks = h.takeSentOf<P::Ack>();
    QCOMPARE(int(acks.size()), acksAtOnce);
    for (int i = 0; i < acksAtOnce; ++i)
        QCOMPARE(acks[size_t(i)].seq, quint64(64 * (i + 1)));
    const bool rest = messages % 64 != 0;
    h.advance(milliseconds(49));
    QVERIFY(h.takeSentOf<P::Ack>().empty());
    h.advance(milliseconds(1));
    acks = h.takeSentOf<P::Ack>();
    QCOMPARE(int(acks.size()), rest ? 1 : 0);
    if (rest)
        QCOMPARE(acks.front().seq, quint64(messages));
}

void tst_EngineInbound::unreliableNeverAcked()
{
    Harness h;
    h.connect();
    h.serverFrame(serverMsg(std::nullopt, QStringLiteral("u"), text("u")));
    h.advance(milliseconds(1000));
    QVERIFY(h.takeSentOf<P::Ack>().empty());
    QCOMPARE(h.countEvents<MessageReceived>(), 1);
    QVERIFY(!h.eventsOf<MessageReceived>().front().reliable);
}

void tst_EngineInbound::crossSessionDuplicatesSuppressedById()
{
    Harness h;
    h.connect();
    h.serverFrame(serverMsg(1, QStringLiteral("a"), text("a")));
    h.serverFrame(serverMsg(2, QStringLiteral("b"), text("b")));
    h.dropAndReopen();
    h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));
    // The server lost the session and resends b with a new seq, same id, then c.
    h.serverFrame(serverMsg(1, QStringLiteral("b"), text("b")));
    h.serverFrame(serverMsg(2, QStringLiteral("c"), text("c")));
    QStringList ids;
    for (const auto &m : h.eventsOf<MessageReceived>())
        ids.append(m.id);
    QCOMPARE(ids, (QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}));
    QCOMPARE(int(h->stats().duplicatesSuppressed), 1);
    h.advance(milliseconds(50));
    QCOMPARE(h.takeSentOf<P::Ack>().back().seq, quint64(2));  // the duplicate is acked too
}

void tst_EngineInbound::recentIdWindowIsBounded()
{
    Options o = baseOptions();
    o.recentIdWindow = 4;
    Harness h(o);
    h.connect();
    for (quint64 s = 1; s <= 6; ++s)
        h.serverFrame(serverMsg(s, QStringLiteral("id%1").arg(s), QCborValue(qint64(s))));
    h.dropAndReopen();
    h.serverFrame(h.welcome(QStringLiteral("s2")));
    h.serverFrame(serverMsg(1, QStringLiteral("id1"), text("old, forgotten")));  // outside the window
    h.serverFrame(serverMsg(2, QStringLiteral("id6"), text("recent")));          // inside
    QCOMPARE(h.countEvents<MessageReceived>(), 7);
    QCOMPARE(h.eventsOf<MessageReceived>().back().id, QStringLiteral("id1"));
}

void tst_EngineInbound::helloCarriesRx()
{
    Harness h;
    h.connect();
    for (quint64 s = 1; s <= 3; ++s)
        h.serverFrame(serverMsg(s, QString(), QCborValue(qint64(s))));
    h.dropAndReopen();
    const auto hello = h.takeSentOf<P::Hello>();
    QCOMPARE(*hello.back().rx, quint64(3));
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    h.serverFrame(serverMsg(3, QString(), QCborValue(3)));  // resent: duplicate
    h.serverFrame(serverMsg(4, QString(), QCborValue(4)));
    QCOMPARE(h.countEvents<MessageReceived>(), 4);
}

void tst_EngineInbound::publicationsCarryChannel()
{
    Harness h;
    h.connect();
    h.serverFrame(serverMsg(1, QStringLiteral("p"), text("42"), QStringLiteral("metrics")));
    QCOMPARE(h.eventsOf<MessageReceived>().front().channel, QStringLiteral("metrics"));
}

QTEST_GUILESS_MAIN(tst_EngineInbound)
#include "tst_engine_inbound.moc"
