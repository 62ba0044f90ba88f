// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client's outbox policies, limits, modes and auth, through the public API and
// against the reference server: overflow, coalescing, TTL, close, oversize frames, raw
// mode, ProtocolMismatch, token provider (4001 refresh, 4401 failure, a JWT expiring
// mid-connection).
#include "client_harness.h"

#include "server_process.h"
#include "test_tokens.h"
#include "wait.h"

#include <QtCore/QCborMap>
#include <QtCore/QDateTime>
#include <QtCore/QTemporaryDir>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;
using namespace std::chrono_literals;

namespace {
const QString kSecret = QStringLiteral("integration-secret");

QString makeToken(int ttlSeconds, const QString &user = QStringLiteral("alice"))
{
    const ServerProcess::ToolResult r = ServerProcess::runTool(
        {QStringLiteral("token"), QStringLiteral("--user"), user, QStringLiteral("--ttl"),
         QString::number(ttlSeconds), QStringLiteral("--secret"), kSecret});
    return r.exitCode == 0 ? QString::fromUtf8(r.out) : QString();
}
} // namespace

class tst_ClientPolicies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void rejectNewRefusesWhenFull();
    void dropOldestReportsTheVictim();
    void byteBoundCountsToo();
    void coalescingKeepsTheLatest();
    void ttlExpiresUnsentMessages();
    void closeDropsQueuedUnlessKept_data();
    void closeDropsQueuedUnlessKept();
    void oversizeSendFailsLocallyAndTheConnectionStays();
    void bytesNeedCborWithJson();
    void rawModeAgainstRawEcho();
    void rawModeRefusesRequestsAndChannels();
    void protocolMismatchIsPermanent();
    void tokenProviderIsAskedBeforeConnecting();
    void expiredTokenIsRefreshed();
    void jwtExpiringMidConnectionIsRefreshedAndResumed();
    void unauthorizedFailsWithoutRetry();
    void nackIsReportedRejected();

private:
    ServerProcess m_server;
};

void tst_ClientPolicies::initTestCase()
{
    m_server.setExtraArgs({QStringLiteral("--readonly"), QStringLiteral("news.*")});
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
}

void tst_ClientPolicies::cleanupTestCase()
{
    m_server.stop();
}

void tst_ClientPolicies::rejectNewRefusesWhenFull()
{
    ClientOptions o = fastOptions();
    o.queue.maxMessages = 3;
    Client client(m_server.url(), o);  // not opened: everything waits in the outbox
    Recorder rec(&client);
    for (int i = 0; i < 3; ++i)
        QVERIFY(client.send(QCborValue(i)).isOk());
    const SendResult refused = client.send(QCborValue(3));
    QVERIFY(!refused.isOk());
    QCOMPARE(refused.error().code(), Error::QueueFull);
    QCOMPARE(refused.error().kind(), Error::Local);
    QCOMPARE(client.queueDepth(), 3);
    client.open();
    QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == 3; }, kWaitMs));
    QCOMPARE(rec.outcomes.size(), 3);  // the refused one never produces a signal
}

void tst_ClientPolicies::dropOldestReportsTheVictim()
{
    ClientOptions o = fastOptions();
    o.queue.maxMessages = 3;
    o.queue.overflow = OverflowPolicy::DropOldest;
    Client client(m_server.url(), o);
    Recorder rec(&client);
    QStringList ids;
    for (int i = 0; i < 5; ++i) {
        const SendResult r = client.send(QCborValue(i));
        QVERIFY(r.isOk());
        ids << r.id();
    }
    QCOMPARE(client.queueDepth(), 3);
    QCOMPARE(rec.drops.value(ids[0]), DropReason::QueueFull);
    QCOMPARE(rec.drops.value(ids[1]), DropReason::QueueFull);
    QCOMPARE(rec.drops.size(), 2);
    client.open();
    QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == 3; }, kWaitMs));
    QCOMPARE(rec.order, ids);  // two drops, then the three survivors delivered in order
    QCOMPARE(client.stats().droppedQueueFull, 2u);
}

void tst_ClientPolicies::byteBoundCountsToo()
{
    ClientOptions o = fastOptions();
    o.queue.maxBytes = 1000;
    Client client(m_server.url(), o);
    QVERIFY(client.send(QString(600, u'a')).isOk());
    const SendResult r = client.send(QString(600, u'b'));
    QCOMPARE(r.error().code(), Error::QueueFull);
}

void tst_ClientPolicies::coalescingKeepsTheLatest()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    SendOptions cursor;
    cursor.coalescingKey = QStringLiteral("cursor");
    const QString first = client.send(QCborValue(1), cursor).id();
    const QString second = client.send(QCborValue(2), cursor).id();
    const QString other = client.send(QCborValue(3)).id();
    QCOMPARE(rec.drops.value(first), DropReason::Superseded);
    QCOMPARE(client.queueDepth(), 2);
    client.open();
    QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == 2; }, kWaitMs));
    QCOMPARE(rec.outcomes.value(second), QStringLiteral("delivered"));
    QCOMPARE(rec.outcomes.value(other), QStringLiteral("delivered"));
    QCOMPARE(client.stats().droppedSuperseded, 1u);
}

void tst_ClientPolicies::ttlExpiresUnsentMessages()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    SendOptions shortLived;
    shortLived.ttl = 150ms;
    const QString id = client.send(QStringLiteral("stale soon"), shortLived).id();
    const QString keeper = client.send(QStringLiteral("no ttl")).id();
    QElapsedTimer timer;
    timer.start();
    QVERIFY(waitUntil([&] { return rec.drops.contains(id); }, kWaitMs));
    QCOMPARE(rec.drops.value(id), DropReason::Expired);
    QVERIFY2(timer.elapsed() >= 140 && timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(client.queueDepth(), 1);
    client.open();
    QVERIFY(waitUntil([&] { return rec.outcomes.value(keeper) == QStringLiteral("delivered"); }, kWaitMs));
}

void tst_ClientPolicies::closeDropsQueuedUnlessKept_data()
{
    QTest::addColumn<bool>("keep");
    QTest::addRow("dropped(Closed)") << false;
    QTest::addRow("kept for the next open()") << true;
}

void tst_ClientPolicies::closeDropsQueuedUnlessKept()
{
    QFETCH(bool, keep);
    ClientOptions o = fastOptions();
    o.queue.keepOnClose = keep;
    Client client(QUrl(QStringLiteral("ws://127.0.0.1:1/")), o);  // nothing listens there
    Recorder rec(&client);
    client.open();
    const QString id = client.send(QStringLiteral("pending")).id();
    std::unique_ptr<Reply> reply(client.request(QStringLiteral("echo")));
    client.close();
    QCOMPARE(client.state(), State::Closed);
    QVERIFY(waitUntil([&] { return reply->isFinished(); }, kWaitMs));
    QCOMPARE(reply->error().code(), Error::ClientClosed);  // requests never survive close()
    if (keep) {
        QVERIFY(rec.outcomes.isEmpty());
        QCOMPARE(client.queueDepth(), 1);
        client.setUrl(m_server.url());
        client.open();
        QVERIFY(waitUntil([&] { return rec.outcomes.value(id) == QStringLiteral("delivered"); }, kWaitMs));
    } else {
        QCOMPARE(rec.drops.value(id), DropReason::Closed);
        QCOMPARE(client.queueDepth(), 0);
    }
}

// The reference server announces maxFrame = 1 MiB by default.
void tst_ClientPolicies::oversizeSendFailsLocallyAndTheConnectionStays()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    const SendResult big = client.send(QString(2 * 1024 * 1024, u'x'));
    QVERIFY(!big.isOk());
    QCOMPARE(big.error().code(), Error::FrameTooLarge);
    std::unique_ptr<Reply> bigRequest(client.request(QStringLiteral("echo"), QCborValue(QString(2 * 1024 * 1024, u'y'))));
    QVERIFY(waitUntil([&] { return bigRequest->isFinished(); }, kWaitMs));
    QCOMPARE(bigRequest->error().code(), Error::FrameTooLarge);
    const SendResult small = client.send(QStringLiteral("still here"));
    QVERIFY(waitUntil([&] { return rec.outcomes.value(small.id()) == QStringLiteral("delivered"); }, kWaitMs));
    QCOMPARE(rec.connects.size(), 1);  // never reconnected
    QCOMPARE(client.state(), State::Connected);
}

void tst_ClientPolicies::bytesNeedCborWithJson()
{
    Client json(m_server.url(), fastOptions(Codec::Json));
    const SendResult r = json.send(QByteArray("\x01\x02", 2));
    QVERIFY(!r.isOk());
    QCOMPARE(r.error().code(), Error::NotSupported);
    Client cbor(m_server.url(), fastOptions(Codec::Cbor));
    QVERIFY(cbor.send(QByteArray("\x01\x02", 2)).isOk());
}

void tst_ClientPolicies::rawModeAgainstRawEcho()
{
    ClientOptions o = fastOptions();
    o.rawMode = true;
    Client client(m_server.url(QStringLiteral("/raw")), o);
    Recorder rec(&client);
    // Queued while offline, sent after connecting (at-most-once).
    const SendResult text = client.send(QStringLiteral("hello raw"));
    QVERIFY2(text.isOk(), qPrintable(text.error().toString()));
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    const SendResult binary = client.send(QByteArray("\x00\xfe", 2));
    QVERIFY(binary.isOk());
    QVERIFY(waitUntil([&] { return rec.messages.size() == 2; }, kWaitMs));
    QCOMPARE(rec.messages.at(0).payload(), QCborValue(QStringLiteral("hello raw")));
    QVERIFY(!rec.messages.at(0).isBinary());
    QCOMPARE(rec.messages.at(1).toByteArray(), QByteArray("\x00\xfe", 2));
    QVERIFY(rec.messages.at(1).isBinary());
    QVERIFY(!rec.messages.at(0).isReliable());
    QCOMPARE(rec.outcomes.value(text.id()), QStringLiteral("sent"));
    QCOMPARE(rec.outcomes.value(binary.id()), QStringLiteral("sent"));
}

void tst_ClientPolicies::rawModeRefusesRequestsAndChannels()
{
    ClientOptions o = fastOptions();
    o.rawMode = true;
    Client client(m_server.url(QStringLiteral("/raw")), o);
    std::unique_ptr<Reply> request(client.request(QStringLiteral("echo")));
    QVERIFY(!request->isFinished());  // finished() comes asynchronously, never inside the call
    std::unique_ptr<Reply> sub(client.subscribe(QStringLiteral("x")));
    QVERIFY(waitUntil([&] { return request->isFinished() && sub->isFinished(); }, kWaitMs));
    QCOMPARE(request->error().code(), Error::NotSupported);
    QCOMPARE(sub->error().code(), Error::NotSupported);
    // Only strings and bytes can be frames.
    QCOMPARE(client.send(QJsonObject{{QStringLiteral("k"), 1}}).error().code(), Error::NotSupported);
    // No envelope, no channels: a publication is refused rather than sent unrouted.
    SendOptions onChannel;
    onChannel.channel = QStringLiteral("x");
    QCOMPARE(client.send(QStringLiteral("text"), onChannel).error().code(), Error::NotSupported);
    QCOMPARE(client.queueDepth(), 0);
}

// A plain WebSocket server (Qt's, in process) that picks no subprotocol: not a Tether server.
void tst_ClientPolicies::protocolMismatchIsPermanent()
{
    QWebSocketServer plain(QStringLiteral("plain"), QWebSocketServer::NonSecureMode);
    QVERIFY(plain.listen(QHostAddress::LocalHost, 0));
    int accepted = 0;
    connect(&plain, &QWebSocketServer::newConnection, this, [&] {
        while (QWebSocket *socket = plain.nextPendingConnection()) {
            ++accepted;
            socket->setParent(&plain);
        }
    });
    Client client(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(plain.serverPort())), fastOptions());
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return client.state() == State::Failed; }, kWaitMs));
    QCOMPARE(rec.failures.size(), 1);
    QCOMPARE(rec.failures.first().code(), Error::ProtocolMismatch);
    QVERIFY(rec.failures.first().isFatal());
    QCOMPARE(client.error().code(), Error::ProtocolMismatch);
    Testing::spin(300);
    QCOMPARE(client.state(), State::Failed);  // no retry loop
    QVERIFY(rec.reconnects.isEmpty());
    QCOMPARE(accepted, 1);
}

void tst_ClientPolicies::tokenProviderIsAskedBeforeConnecting()
{
    ServerProcess secured({QStringLiteral("--auth-secret"), kSecret});
    QVERIFY2(secured.start(), qPrintable(secured.errorString()));
    const QString token = makeToken(600);
    QVERIFY(!token.isEmpty());
    ClientOptions o = fastOptions();
    QList<TokenReason> asked;
    o.tokenProvider = [&](TokenReason reason, const TokenReply &reply) {
        asked << reason;
        // Asynchronous answer: the provider may take its time.
        QTimer::singleShot(20, [reply, token] { reply(token, QString()); });
    };
    Client client(secured.url(), o);
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    QCOMPARE(asked, QList<TokenReason>{TokenReason::Connect});
}

void tst_ClientPolicies::expiredTokenIsRefreshed()
{
    ServerProcess secured({QStringLiteral("--auth-secret"), kSecret});
    QVERIFY2(secured.start(), qPrintable(secured.errorString()));
    const QString expired = makeToken(-60);
    const QString fresh = makeToken(600);
    ClientOptions o = fastOptions();
    QList<TokenReason> asked;
    o.tokenProvider = [&](TokenReason reason, const TokenReply &reply) {
        asked << reason;
        reply(asked.size() == 1 ? expired : fresh, QString());
    };
    Client client(secured.url(), o);
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    QCOMPARE(asked, (QList<TokenReason>{TokenReason::Connect, TokenReason::Expired}));
    bool sawExpired = false;
    for (const Error &e : std::as_const(rec.errors))
        sawExpired |= e.code() == Error::TokenExpired || e.serverCode() == QStringLiteral("token_expired");
    QVERIFY(sawExpired);
}

// The server closes a connection with 4001 when its JWT expires (no refresh frame exists):
// the client asks its provider for a new token, reconnects at once and resumes the session.
// Both directions keep flowing across it: every message sent is delivered once, every
// message published to it arrives once.
void tst_ClientPolicies::jwtExpiringMidConnectionIsRefreshedAndResumed()
{
    const QByteArray secret = "client-policies-jwt-secret-of-32-bytes-at-least";
    QTemporaryDir dir;
    QFile secretFile(dir.filePath(QStringLiteral("jwt.secret")));
    QVERIFY(secretFile.open(QIODevice::WriteOnly) && secretFile.write(secret) == secret.size());
    secretFile.close();
    ServerProcess secured({QStringLiteral("--jwt-hs256-secret-file"), secretFile.fileName(),
                           QStringLiteral("--jwt-leeway"), QStringLiteral("0")});
    QVERIFY2(secured.start(), qPrintable(secured.errorString()));
    auto jwt = [&secret](const QString &user, qint64 ttlSeconds) {
        return hs256Jwt(QJsonObject{{QStringLiteral("sub"), user},
                                    {QStringLiteral("exp"), QDateTime::currentSecsSinceEpoch() + ttlSeconds}},
                        secret);
    };

    // Alice's first token lasts 2 s, the ones after it 10 minutes.
    ClientOptions aliceOptions = fastOptions();
    QList<TokenReason> asked;
    aliceOptions.tokenProvider = [&](TokenReason reason, const TokenReply &reply) {
        asked << reason;
        reply(jwt(QStringLiteral("alice"), asked.size() == 1 ? 2 : 600), QString());
    };
    ClientOptions bobOptions = fastOptions();
    bobOptions.tokenProvider = [&](TokenReason, const TokenReply &reply) { reply(jwt(QStringLiteral("bob"), 600), QString()); };
    Client alice(secured.url(), aliceOptions);
    Client bob(secured.url(), bobOptions);
    Recorder aliceRec(&alice);
    Recorder bobRec(&bob);
    alice.open();
    bob.open();
    const QString channel = QStringLiteral("expiring");
    std::unique_ptr<Reply> aliceSub(alice.subscribe(channel));
    std::unique_ptr<Reply> bobSub(bob.subscribe(channel));
    QVERIFY(waitUntil([&] { return aliceSub->isFinished() && bobSub->isFinished(); }, kWaitMs));
    QVERIFY2(!aliceSub->error().isError() && !bobSub->error().isError(), qPrintable(aliceSub->error().toString()));

    // Both publish every 40 ms for 4 s: across the expiry at 2 s.
    SendOptions o;
    o.channel = channel;
    QStringList fromAlice, fromBob;
    QElapsedTimer clock;
    clock.start();
    QTimer pace;
    QObject::connect(&pace, &QTimer::timeout, [&] {
        const SendResult a = alice.send(QJsonObject{{QStringLiteral("n"), fromAlice.size()}}, o);
        const SendResult b = bob.send(QJsonObject{{QStringLiteral("n"), fromBob.size()}}, o);
        if (a.isOk())
            fromAlice << a.id();
        if (b.isOk())
            fromBob << b.id();
        if (clock.elapsed() >= 4000)
            pace.stop();
    });
    pace.start(40);
    QVERIFY(waitUntil([&] { return !pace.isActive(); }, 10000));
    QVERIFY(waitUntil([&] {
        return aliceRec.count(QStringLiteral("delivered")) == fromAlice.size()
               && bobRec.count(QStringLiteral("delivered")) == fromBob.size();
    }, kWaitMs));

    QCOMPARE(asked, (QList<TokenReason>{TokenReason::Connect, TokenReason::Expired}));
    QCOMPARE(aliceRec.disconnects, QList<int>{4001});
    QCOMPARE(aliceRec.connects, (QList<bool>{false, true}));  // the second one resumed
    QCOMPARE(aliceRec.sessionsLost, 0);
    QVERIFY(bobRec.disconnects.isEmpty());
    QCOMPARE(aliceRec.doubleOutcomes, 0);
    QCOMPARE(bobRec.doubleOutcomes, 0);
    QVERIFY(fromAlice.size() > 50);
    auto receivedOnce = [](const Recorder &rec, const QStringList &ids) {
        QMap<QString, int> seen;
        for (const Message &m : std::as_const(rec.messages))
            ++seen[m.id()];
        for (const QString &id : ids) {
            if (seen.value(id) != 1)
                return QStringLiteral("%1 received %2 times").arg(id).arg(seen.value(id));
        }
        return QString();
    };
    QVERIFY(waitUntil([&] { return receivedOnce(bobRec, fromAlice).isEmpty() && receivedOnce(aliceRec, fromBob).isEmpty(); },
                      kWaitMs));
    QCOMPARE(receivedOnce(bobRec, fromAlice), QString());
    QCOMPARE(receivedOnce(aliceRec, fromBob), QString());
}

void tst_ClientPolicies::unauthorizedFailsWithoutRetry()
{
    ServerProcess secured({QStringLiteral("--auth-secret"), kSecret});
    QVERIFY2(secured.start(), qPrintable(secured.errorString()));
    ClientOptions o = fastOptions();
    int asked = 0;
    o.tokenProvider = [&](TokenReason, const TokenReply &reply) {
        ++asked;
        reply(QStringLiteral("not.a.token"), QString());
    };
    Client client(secured.url(), o);
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return client.state() == State::Failed; }, kWaitMs));
    QCOMPARE(rec.failures.size(), 1);
    QCOMPARE(rec.failures.first().code(), Error::Unauthorized);
    QCOMPARE(rec.failures.first().closeCode(), 4401);
    Testing::spin(300);
    QCOMPARE(client.state(), State::Failed);
    QCOMPARE(asked, 1);
    QVERIFY(rec.connects.isEmpty());
}

// `--readonly news.*`: a reliable publication gets nack{forbidden} -> rejected(id, error).
void tst_ClientPolicies::nackIsReportedRejected()
{
    Client client(m_server.url(), fastOptions());
    Recorder rec(&client);
    client.open();
    SendOptions o;
    o.channel = QStringLiteral("news.today");
    const QString refused = client.send(QStringLiteral("breaking"), o).id();
    const QString fine = client.send(QStringLiteral("direct")).id();
    QVERIFY(waitUntil([&] { return rec.outcomes.size() == 2; }, kWaitMs));
    QCOMPARE(rec.outcomes.value(refused), QStringLiteral("rejected"));
    QCOMPARE(rec.rejections.value(refused).code(), Error::Rejected);
    QCOMPARE(rec.rejections.value(refused).serverCode(), QStringLiteral("forbidden"));
    QCOMPARE(rec.outcomes.value(fine), QStringLiteral("delivered"));
    QCOMPARE(rec.order, (QStringList{refused, fine}));
}

QTEST_GUILESS_MAIN(tst_ClientPolicies)
#include "tst_client_policies.moc"
