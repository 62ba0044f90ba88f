// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (docs/protocol.md §10.5) between Tether::Client and tether-server,
// real sockets, both codecs: with Client::setCompression(true) against a compressing server
// the +deflate name is picked and a burst of chat messages travels compressed in both
// directions (the sender's bytes out and the subscriber's bytes in at most half those of
// the same burst against a server with --compression off), every message delivered once,
// in order; against the server with --compression off the same client speaks plain v1.1
// and everything works as without compression; a client without compression (the default)
// gets plain v1.1 from the compressing server.
#include "client_harness.h"

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

void tst_ClientCompression::offByDefault()
{
    Client client(m_server.url(), fastOptions(Codec::Cbor));
    QVERIFY(!client.compression());
    QCOMPARE(client.compressionThreshold(), 1024);
    client.open();
    QVERIFY(waitUntil([&] { return client.state() == State::Connected; }, kWaitMs));
    QCOMPARE(client.subprotocol(), QStringLiteral("tether.v1.1.cbor"));
    QSignalSpy errors(&client, &Client::errorOccurred);
    client.setCompressionThreshold(-1);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(client.compressionThreshold(), 1024);
}

QTEST_GUILESS_MAIN(tst_ClientCompression)
#include "tst_client_compression.moc"
