// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (docs/protocol.md §10.5) between Tether::Client and tether-server,
// real sockets, both codecs: with Client::setCompression(true) against a compressing server
// the +deflate name is picked and a burst of chat messages travels compressed in both
// directions (the sender's bytes out and the subscriber's bytes in at most half those of
// the same burst against a server with --compression off), every message delivered once,
// in order; against the server with --compression off the same client speaks plain v1.1
// and everything works as without compression; a client without compression (the default)
// gets plain v1.1 from the compressing server. At chat pace (one message per event-loop
// turn, each its own compressed batch) the connection's streams carry the context from
// message to message, and a link cut in the middle (the client resumes on a new socket,
// so both sides start fresh streams) loses, repeats or garbles nothing.
#include "client_harness.h"

#include "fault_proxy.h"
#include "server_process.h"
#include "wait.h"

#include <QtCore/QCborMap>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

namespace {

struct Burst {
    QString subprotocol;
    quint64 senderBytesOut = 0;
    quint64 subscriberBytesIn = 0;
    QString failure;   // empty: every message delivered once, in order
};

// Alice sends `count` chat messages in one event-loop turn to a channel Bob subscribed to.
Burst runBurst(const QUrl &url, Codec codec, bool compression, int count)
{
    Burst result;
    Client alice(url, fastOptions(codec));
    Client bob(url, fastOptions(codec));
    alice.setCompression(compression);
    bob.setCompression(compression);
    Recorder aliceRec(&alice);
    Recorder bobRec(&bob);
    alice.open();
    bob.open();
    const QString channel = QStringLiteral("room:z-%1").arg(int(codec));
    std::unique_ptr<Reply> sub(bob.subscribe(channel));
    if (!waitUntil([&] { return sub->isFinished() && alice.state() == State::Connected; }, kWaitMs)
        || sub->error().isError()) {
        result.failure = QStringLiteral("subscribe: ") + sub->error().toString();
        return result;
    }
    result.subprotocol = alice.subprotocol();
    if (bob.subprotocol() != result.subprotocol)
        result.failure = QStringLiteral("bob negotiated %1").arg(bob.subprotocol());
    const quint64 outBefore = alice.stats().bytesOut;
    const quint64 inBefore = bob.stats().bytesIn;
    static const char *const texts[] = {"did the build go green again?", "yes, merged it an hour ago",
                                        "lunch at noon in the usual place", "the train is in a tunnel, back soon",
                                        "looks good to me, ship it"};
    QStringList ids;
    SendOptions o;
    o.channel = channel;
    for (int i = 0; i < count; ++i) {
        const QCborMap d{{QStringLiteral("type"), QStringLiteral("chat")},
                         {QStringLiteral("user"), QStringLiteral("alice")},
                         {QStringLiteral("text"), QString::fromLatin1(texts[i % 5])},
                         {QStringLiteral("n"), i}};
        const SendResult r = alice.send(QCborValue(d), o);
        if (!r.isOk()) {
            result.failure = QStringLiteral("send %1 refused").arg(i);
            return result;
        }
        ids << r.id();
    }
    const auto dataMessages = [&] {
        QList<Message> out;
        for (const Message &m : std::as_const(bobRec.messages))
            if (m.payload().toMap().value(QStringLiteral("type")).toString() == QLatin1StringView("chat"))
                out << m;
        return out;
    };
    if (!waitUntil([&] { return aliceRec.count(QStringLiteral("delivered")) == count && dataMessages().size() >= count; },
                   kWaitMs)) {
        result.failure = QStringLiteral("delivered %1, received %2 of %3")
                             .arg(aliceRec.count(QStringLiteral("delivered")))
                             .arg(dataMessages().size())
                             .arg(count);
        return result;
    }
    const QList<Message> received = dataMessages();
    if (received.size() != count)
        result.failure = QStringLiteral("%1 received for %2 sent").arg(received.size()).arg(count);
    for (int i = 0; i < received.size() && result.failure.isEmpty(); ++i) {
        if (received[i].id() != ids[i] || received[i].payload().toMap().value(QStringLiteral("n")).toInteger() != i)
            result.failure = QStringLiteral("message %1 out of order or altered").arg(i);
    }
    if (aliceRec.doubleOutcomes || !aliceRec.failures.isEmpty() || !bobRec.failures.isEmpty())
        result.failure = QStringLiteral("a double outcome or a failure");
    for (const Error &e : std::as_const(aliceRec.errors) + bobRec.errors)
        result.failure = QStringLiteral("error: ") + e.toString();
    result.senderBytesOut = alice.stats().bytesOut - outBefore;
    result.subscriberBytesIn = bob.stats().bytesIn - inBefore;
    return result;
}

struct Pace {
    quint64 senderBytesOut = 0;
    quint64 subscriberBytesIn = 0;
    QString failure;
};

// Alice sends `count` chat messages one at a time, each once Bob has the one before: every
// message its own batch, as in a quiet conversation. Numbers `from`...
Pace chatPace(Client &alice, Client &bob, const Recorder &bobRec, const QString &channel, int from, int count)
{
    static const char *const texts[] = {"morning all", "is the release build green?",
                                        "not yet, the arm64 job is still running", "ok, ping me when it's done",
                                        "I just pushed the fix for the reconnect issue", "nice, which branch?"};
    Pace result;
    const quint64 outBefore = alice.stats().bytesOut;
    const quint64 inBefore = bob.stats().bytesIn;
    SendOptions o;
    o.channel = channel;
    for (int n = from; n < from + count; ++n) {
        const QCborMap d{{QStringLiteral("type"), QStringLiteral("chat")},
                         {QStringLiteral("user"), QStringLiteral("alice")},
                         {QStringLiteral("text"), QString::fromLatin1(texts[n % 6])},
                         {QStringLiteral("n"), n}};
        if (!alice.send(QCborValue(d), o).isOk()) {
            result.failure = QStringLiteral("send %1 refused").arg(n);
            return result;
        }
        const auto arrived = [&] {
            return !bobRec.messages.isEmpty()
                && bobRec.messages.last().payload().toMap().value(QStringLiteral("n")).toInteger() == n;
        };
        if (!waitUntil(arrived, kWaitMs)) {
            result.failure = QStringLiteral("message %1 did not arrive").arg(n);
            return result;
        }
    }
    result.senderBytesOut = alice.stats().bytesOut - outBefore;
    result.subscriberBytesIn = bob.stats().bytesIn - inBefore;
    return result;
}

} // namespace

class tst_ClientCompression : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void codecs_data();
    void compressedBothWays_data() { codecs_data(); }
    void compressedBothWays();
    void serverWithoutCompression_data() { codecs_data(); }
    void serverWithoutCompression();
    void chatPaceAcrossResume_data() { codecs_data(); }
    void chatPaceAcrossResume();
    void offByDefault();

private:
    ServerProcess m_server;   // default: --compression on
    ServerProcess m_plain;    // --compression off
};

void tst_ClientCompression::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    m_plain.setExtraArgs({QStringLiteral("--compression"), QStringLiteral("off")});
    QVERIFY2(m_plain.start(), qPrintable(m_plain.errorString()));
}

void tst_ClientCompression::codecs_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addRow("json") << Codec::Json;
    QTest::addRow("cbor") << Codec::Cbor;
}

void tst_ClientCompression::compressedBothWays()
{
    QFETCH(Codec, codec);
    constexpr int kCount = 400;
    const Burst compressed = runBurst(m_server.url(), codec, true, kCount);
    QVERIFY2(compressed.failure.isEmpty(), qPrintable(compressed.failure));
    const QString name = codec == Codec::Json ? QStringLiteral("json") : QStringLiteral("cbor");
    QCOMPARE(compressed.subprotocol, QStringLiteral("tether.v1.1.%1+deflate").arg(name));
    const Burst plain = runBurst(m_plain.url(), codec, true, kCount);
    QVERIFY2(plain.failure.isEmpty(), qPrintable(plain.failure));
    QCOMPARE(plain.subprotocol, QStringLiteral("tether.v1.1.%1").arg(name));
    qInfo("%s: sender %llu -> %llu bytes (%.2fx), subscriber %llu -> %llu bytes (%.2fx)", qPrintable(name),
          plain.senderBytesOut, compressed.senderBytesOut, double(plain.senderBytesOut) / double(compressed.senderBytesOut),
          plain.subscriberBytesIn, compressed.subscriberBytesIn,
          double(plain.subscriberBytesIn) / double(compressed.subscriberBytesIn));
    // Both directions compressed: client -> server (alice's batches) and server -> client
    // (the fan-out to bob), each at most half the plain bytes.
    QVERIFY(compressed.senderBytesOut * 2 <= plain.senderBytesOut);
    QVERIFY(compressed.subscriberBytesIn * 2 <= plain.subscriberBytesIn);
}

void tst_ClientCompression::serverWithoutCompression()
{
    QFETCH(Codec, codec);
    const Burst burst = runBurst(m_plain.url(), codec, true, 50);
    QVERIFY2(burst.failure.isEmpty(), qPrintable(burst.failure));
    QCOMPARE(burst.subprotocol, codec == Codec::Json ? QStringLiteral("tether.v1.1.json") : QStringLiteral("tether.v1.1.cbor"));
}

void tst_ClientCompression::chatPaceAcrossResume()
{
    QFETCH(Codec, codec);
    const QString channel = QStringLiteral("room:pace-%1").arg(int(codec));
    // The same conversation against the server without compression: the plain bytes.
    quint64 plainOut = 0, plainIn = 0;
    {
        Client alice(m_plain.url(), fastOptions(codec));
        Client bob(m_plain.url(), fastOptions(codec));
        Recorder bobRec(&bob);
        alice.open();
        bob.open();
        std::unique_ptr<Reply> sub(bob.subscribe(channel));
        QVERIFY(waitUntil([&] { return sub->isFinished() && alice.state() == State::Connected; }, kWaitMs));
        const Pace plain = chatPace(alice, bob, bobRec, channel, 0, 30);
        QVERIFY2(plain.failure.isEmpty(), qPrintable(plain.failure));
        plainOut = plain.senderBytesOut;
        plainIn = plain.subscriberBytesIn;
    }
    // Compressed, alice through a proxy that cuts her link halfway.
    FaultProxy proxy;
    QVERIFY(proxy.start(m_server.host(), m_server.port()));
    Client alice(proxy.url(), fastOptions(codec));
    Client bob(m_server.url(), fastOptions(codec));
    alice.setCompression(true);
    bob.setCompression(true);
    Recorder aliceRec(&alice);
    Recorder bobRec(&bob);
    alice.open();
    bob.open();
    std::unique_ptr<Reply> sub(bob.subscribe(channel));
    QVERIFY(waitUntil([&] { return sub->isFinished() && aliceRec.connectedCount(1); }, kWaitMs));
    QVERIFY(alice.subprotocol().endsWith(QLatin1StringView("+deflate")));
    const Pace first = chatPace(alice, bob, bobRec, channel, 0, 30);
    QVERIFY2(first.failure.isEmpty(), qPrintable(first.failure));
    qInfo("chat pace, 30 messages: sender %llu -> %llu bytes (%.2fx), subscriber %llu -> %llu bytes (%.2fx)", plainOut,
          first.senderBytesOut, double(plainOut) / double(first.senderBytesOut), plainIn, first.subscriberBytesIn,
          double(plainIn) / double(first.subscriberBytesIn));
    // One message per batch and still at most 5/8 of the plain bytes, both ways: the
    // context (alone, a 150-byte chat frame barely shrinks).
    QVERIFY(first.senderBytesOut * 8 <= plainOut * 5);
    QVERIFY(first.subscriberBytesIn * 8 <= plainIn * 5);
    proxy.cut();
    QVERIFY(waitUntil([&] { return aliceRec.connectedCount(2); }, kWaitMs));
    QCOMPARE(aliceRec.connects.last(), true);   // resumed, on a new socket: fresh streams
    const Pace second = chatPace(alice, bob, bobRec, channel, 30, 30);
    QVERIFY2(second.failure.isEmpty(), qPrintable(second.failure));
    // Every message once, in order; nothing refused, no protocol error on either side.
    QList<qint64> ns;
    for (const Message &m : std::as_const(bobRec.messages))
        ns << m.payload().toMap().value(QStringLiteral("n")).toInteger();
    QList<qint64> expected;
    for (int n = 0; n < 60; ++n)
        expected << n;
    QCOMPARE(ns, expected);
    QVERIFY(waitUntil([&] { return aliceRec.count(QStringLiteral("delivered")) == 60; }, kWaitMs));
    QVERIFY(!aliceRec.doubleOutcomes);
    for (const Error &e : std::as_const(aliceRec.errors) + bobRec.errors)
        QVERIFY2(e.code() != Error::ProtocolError, qPrintable(e.toString()));
    QCOMPARE(bobRec.connects.size(), 1);
}

void tst_ClientCompression::offByDefault()
{
    Client client(m_server.url(), fastOptions(Codec::Cbor));
    QVERIFY(!client.compression());
    QCOMPARE(client.compressionThreshold(), 0);
    client.open();
    QVERIFY(waitUntil([&] { return client.state() == State::Connected; }, kWaitMs));
    QCOMPARE(client.subprotocol(), QStringLiteral("tether.v1.1.cbor"));
    QSignalSpy errors(&client, &Client::errorOccurred);
    client.setCompressionThreshold(-1);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(client.compressionThreshold(), 0);
}

QTEST_GUILESS_MAIN(tst_ClientCompression)
#include "tst_client_compression.moc"
