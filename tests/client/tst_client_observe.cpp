// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The Qt-native observation API over the fake transport and clock (issue 15): shared
// Subscription objects and their routing, per-message status, throttled statsChanged(),
// Reply::future()/Client::call() as QFuture users expect (onFailed, cancel -> abort), typed
// results (call<T>()), holders of a shared Subscription, and the network watcher
// (Client::setFollowNetwork()) driven through its test seam.
#include "facade_rig.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QFutureWatcher>
#include <QtCore/QJsonObject>
#include <QtCore/QRegularExpression>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>

using namespace FacadeTest;

namespace {

P::Msg publication(const QString &channel, const QString &id)
{
    P::Msg m;
    m.ch = channel;
    m.id = id;
    m.d = QCborValue(id);
    return m;
}

// Drop the link, wait out the backoff, open, and answer hello with `resumed`.
void reconnect(Rig &rig, bool resumed)
{
    rig.closed(1006, Error(Error::NetworkError, QStringLiteral("reset")));
    rig.advance(100ms);
    rig.opened();
    P::Welcome w;
    w.sid = resumed ? QStringLiteral("s1") : QStringLiteral("s2");
    w.resumed = resumed;
    rig.serverFrame(w);
}

QList<SubscriptionStatus> statuses(const QSignalSpy &spy)
{
    QList<SubscriptionStatus> out;
    for (const QList<QVariant> &args : spy)
        out << args.at(0).value<SubscriptionStatus>();
    return out;
}

} // namespace

class tst_ClientObserve : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void subscriptionIsSharedAndRouted();
    void subscriptionAcrossResumeAndSessionLoss_data();
    void subscriptionAcrossResumeAndSessionLoss();
    void subscriptionRefusedAndInvalid_data();
    void subscriptionRefusedAndInvalid();
    void deletedSubscriptionIsForgotten();
    void subscriptionHoldersShareIt();

    void messageStatusFollowsTheOutbox();
    void atMostOnceIsWritten();
    void outboxDrainedOnce();

    void statsChangedIsThrottled();
    void statsCarryTrafficAndTime();

    void futureDeliversTypedResults();
    void futureFailureRunsOnFailed();
    void futureCancelAbortsTheRequest();
    void callCancelAbortsTheRequest();
    void callConvertsTheResult();
    void callTypeMismatchRunsOnFailed_data();
    void callTypeMismatchRunsOnFailed();
    void typedCallServerErrorAndCancel();

    void followNetworkIsOptIn();
    void networkChangeProbesOrRetriesNow();
    void goingOfflineIsReported();
};

void tst_ClientObserve::subscriptionIsSharedAndRouted()
{
    Rig rig;
    rig.connect();
    Subscription *room = rig.client->subscription(QStringLiteral("room"));
    QVERIFY(room);
    QCOMPARE(rig.client->subscription(QStringLiteral("room")), room);  // shared
    QCOMPARE(room->channel(), QStringLiteral("room"));
    QCOMPARE(room->client(), rig.client.data());
    QCOMPARE(room->status(), SubscriptionStatus::Pending);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:sub")});  // one sub for both
    QSignalSpy status(room, &Subscription::statusChanged);
    QSignalSpy roomMessages(room, &Subscription::messageReceived);
    Subscription *other = rig.client->subscription(QStringLiteral("other"));
    QSignalSpy otherMessages(other, &Subscription::messageReceived);
    const QList<P::Sub> subs = rig.sentOf<P::Sub>();
    rig.serverFrame(result(subs.at(0).id, QCborValue(QCborValue::Null)));
    QCOMPARE(statuses(status), QList<SubscriptionStatus>{SubscriptionStatus::Subscribed});
    QCOMPARE(room->status(), SubscriptionStatus::Subscribed);
    QCOMPARE(other->status(), SubscriptionStatus::Pending);

    rig.serverFrame(publication(QStringLiteral("room"), QStringLiteral("r1")));
    rig.serverFrame(publication(QStringLiteral("other"), QStringLiteral("o1")));
    rig.serverFrame(publication(QStringLiteral("nobody"), QStringLiteral("n1")));
    QCOMPARE(roomMessages.size(), 1);
    QCOMPARE(roomMessages.at(0).at(0).value<Message>().id(), QStringLiteral("r1"));
    QCOMPARE(otherMessages.size(), 1);
    QCOMPARE(otherMessages.at(0).at(0).value<Message>().id(), QStringLiteral("o1"));
    QCOMPARE(rig.messages.size(), 3);  // Client::messageReceived still sees everything

    room->unsubscribe();
    QCOMPARE(room->status(), SubscriptionStatus::Unsubscribed);
    QCOMPARE(statuses(status).last(), SubscriptionStatus::Unsubscribed);
    QVERIFY(!rig.client->channels().contains(QStringLiteral("room")));
    runPosted();
    // subscription() subscribes again, on the same object.
    QCOMPARE(rig.client->subscription(QStringLiteral("room")), room);
    QCOMPARE(room->status(), SubscriptionStatus::Pending);
    QVERIFY(rig.client->channels().contains(QStringLiteral("room")));
}

void tst_ClientObserve::subscriptionHoldersShareIt()
{
    Rig rig;
    rig.connect();
    Subscription *room = rig.client->subscription(QStringLiteral("room"));
    room->retain();  // two views of one channel
    room->retain();
    QCOMPARE(room->holders(), 2);
    rig.serverFrame(result(rig.sentOf<P::Sub>().first().id, QCborValue(QCborValue::Null)));
    QCOMPARE(room->status(), SubscriptionStatus::Subscribed);
    rig.takeCalls();
    QSignalSpy messages(room, &Subscription::messageReceived);

    room->release();  // one view gone: the other keeps receiving
    QCOMPARE(room->holders(), 1);
    QCOMPARE(room->status(), SubscriptionStatus::Subscribed);
    QVERIFY(rig.takeCalls().isEmpty());  // no unsub
    rig.serverFrame(publication(QStringLiteral("room"), QStringLiteral("r1")));
    QCOMPARE(messages.size(), 1);

    room->release();  // the last one: unsubscribed
    QCOMPARE(room->holders(), 0);
    QCOMPARE(room->status(), SubscriptionStatus::Unsubscribed);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:unsub")});
    QVERIFY(rig.client->channels().isEmpty());

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("release\\(\\) without a holder")));
    room->release();  // unbalanced: ignored, nothing sent
    QCOMPARE(room->holders(), 0);
    QVERIFY(rig.takeCalls().isEmpty());

    room->retain();  // a holder again: subscribed again
    QCOMPARE(room->status(), SubscriptionStatus::Pending);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("frame:sub")});
}

void tst_ClientObserve::subscriptionAcrossResumeAndSessionLoss_data()
{
    QTest::addColumn<bool>("resumed");
    QTest::addColumn<QList<SubscriptionStatus>>("afterWelcome");
    QTest::addRow("resumed: Subscribed at welcome")
        << true << QList<SubscriptionStatus>{SubscriptionStatus::Pending, SubscriptionStatus::Subscribed};
    QTest::addRow("session lost: Pending until the re-subscription is confirmed")
        << false << QList<SubscriptionStatus>{SubscriptionStatus::Pending};
}

void tst_ClientObserve::subscriptionAcrossResumeAndSessionLoss()
{
    QFETCH(bool, resumed);
    QFETCH(QList<SubscriptionStatus>, afterWelcome);
    Rig rig;
    rig.connect();
    Subscription *room = rig.client->subscription(QStringLiteral("room"));
    rig.serverFrame(result(rig.sentOf<P::Sub>().first().id, QCborValue(QCborValue::Null)));
    QCOMPARE(room->status(), SubscriptionStatus::Subscribed);
    QSignalSpy status(room, &Subscription::statusChanged);
    reconnect(rig, resumed);
    QCOMPARE(statuses(status), afterWelcome);
    if (!resumed) {
        const P::Sub again = rig.sentOf<P::Sub>().last();
        QCOMPARE(rig.sentOf<P::Sub>().size(), 2);
        rig.serverFrame(result(again.id, QCborValue(QCborValue::Null)));
        QCOMPARE(room->status(), SubscriptionStatus::Subscribed);
    }
    QCOMPARE(rig.client->stats().resumes, resumed ? 1u : 0u);
    QCOMPARE(rig.client->stats().sessionsLost, resumed ? 0u : 1u);
}

void tst_ClientObserve::subscriptionRefusedAndInvalid_data()
{
    QTest::addColumn<QString>("channel");
    QTest::addColumn<bool>("rawMode");
    QTest::addColumn<Error::Code>("code");
    QTest::addRow("refused by the server") << QStringLiteral("secret") << false << Error::Rejected;
    QTest::addRow("empty name") << QString() << false << Error::InvalidArgument;
    QTest::addRow("raw mode") << QStringLiteral("room") << true << Error::NotSupported;
}

void tst_ClientObserve::subscriptionRefusedAndInvalid()
{
    QFETCH(QString, channel);
    QFETCH(bool, rawMode);
    QFETCH(Error::Code, code);
    ClientOptions o = unitOptions();
    o.rawMode = rawMode;
    Rig rig(o);
    Subscription *s = rig.client->subscription(channel);
    if (code == Error::Rejected) {
        QCOMPARE(s->status(), SubscriptionStatus::Pending);
        QSignalSpy errors(s, &Subscription::errorOccurred);
        rig.connect();
        P::Res res;
        res.id = rig.sentOf<P::Sub>().first().id;
        res.result = P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("not for you"), std::nullopt};
        rig.serverFrame(res);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).at(0).value<Error>().serverCode(), QStringLiteral("forbidden"));
        QVERIFY(rig.client->channels().isEmpty());
    }
    QCOMPARE(s->status(), SubscriptionStatus::Error);
    QCOMPARE(s->error().code(), code);
}

void tst_ClientObserve::deletedSubscriptionIsForgotten()
{
    Rig rig;
    rig.connect();
    QPointer<Subscription> first = rig.client->subscription(QStringLiteral("room"));
    rig.serverFrame(result(rig.sentOf<P::Sub>().first().id, QCborValue(QCborValue::Null)));
    delete first.data();
    rig.serverFrame(publication(QStringLiteral("room"), QStringLiteral("r1")));  // no dangling route
    QCOMPARE(rig.messages.size(), 1);
    rig.takeCalls();
    Subscription *second = rig.client->subscription(QStringLiteral("room"));
    QCOMPARE(second->status(), SubscriptionStatus::Subscribed);  // the engine's status, no new sub
    QCOMPARE(rig.takeCalls(), QStringList{});
}

void tst_ClientObserve::messageStatusFollowsTheOutbox()
{
    ClientOptions o = unitOptions();
    o.queue.maxInFlight = 1;
    Rig rig(o);
    rig.connect();
    QStringList trace;
    QObject::connect(rig.client, &Client::messageStatusChanged, rig.client,
                     [&trace](const QString &id, MessageStatus s) { trace << id + QLatin1Char(':') + enumName(s); });
    SendOptions a;
    a.id = QStringLiteral("a");
    SendOptions b;
    b.id = QStringLiteral("b");
    QVERIFY(rig.client->send(1, a));
    QVERIFY(rig.client->send(2, b));  // beyond the window: stays queued, no guess
    QCOMPARE(trace, QStringList{QStringLiteral("a:Written")});
    reconnect(rig, true);
    QCOMPARE(trace, (QStringList{QStringLiteral("a:Written"), QStringLiteral("a:Queued"), QStringLiteral("a:Written")}));
    rig.serverFrame(P::Ack{1});
    QCOMPARE(trace.mid(3), (QStringList{QStringLiteral("a:Delivered"), QStringLiteral("b:Written")}));
    P::Nack nack;
    nack.seq = 2;
    nack.err = P::ErrorObject{QStringLiteral("nope"), QStringLiteral("no"), std::nullopt};
    rig.serverFrame(nack);
    QCOMPARE(trace.last(), QStringLiteral("b:Rejected"));
}

void tst_ClientObserve::atMostOnceIsWritten()
{
    Rig rig;
    rig.connect();
    QSignalSpy status(rig.client.data(), &Client::messageStatusChanged);
    SendOptions so;
    so.delivery = Delivery::AtMostOnce;
    const SendResult r = rig.client->send(1, so);
    QCOMPARE(status.size(), 1);
    QCOMPARE(status.at(0).at(0).toString(), r.id());
    QCOMPARE(status.at(0).at(1).value<MessageStatus>(), MessageStatus::Written);
}

void tst_ClientObserve::outboxDrainedOnce()
{
    Rig rig;
    rig.connect();
    QSignalSpy drained(rig.client.data(), &Client::outboxDrained);
    rig.client->send(1);
    rig.client->send(2);
    QCOMPARE(drained.size(), 0);
    rig.serverFrame(P::Ack{1});
    QCOMPARE(drained.size(), 0);
    rig.serverFrame(P::Ack{2});
    QCOMPARE(drained.size(), 1);
}

void tst_ClientObserve::statsChangedIsThrottled()
{
    ClientOptions o = unitOptions();
    o.statsInterval = 250ms;
    o.heartbeat.interval = 0ms;       // no ping deadlines and no stable-period timer:
    o.backoff.stablePeriod = 0ms;     // the timer is the stats' alone
    Rig rig(o);
    rig.connect();
    QSignalSpy changed(rig.client.data(), &Client::statsChanged);
    for (int i = 0; i < 10; ++i)
        rig.client->send(i);
    QCOMPARE(changed.size(), 0);  // never from inside the input
    rig.advance(0ms);
    QCOMPARE(changed.size(), 1);  // the first change: at once, on the timer
    for (int i = 0; i < 10; ++i)
        rig.client->send(i);
    rig.advance(249ms);
    QCOMPARE(changed.size(), 1);  // within the interval: held back
    rig.advance(1ms);
    QCOMPARE(changed.size(), 2);  // one for all ten
    rig.advance(10s);
    QCOMPARE(changed.size(), 2);  // nothing changed: quiet
}

void tst_ClientObserve::statsCarryTrafficAndTime()
{
    Rig rig;
    rig.client->open();
    rig.advance(300ms);
    QCOMPARE(rig.client->stats().offlineMs, 300);
    QVERIFY(!rig.client->stats().connectedSince.isValid());
    rig.opened();
    rig.serverFrame(Rig::welcome());
    const ClientStats s = rig.client->stats();
    QCOMPARE(s.offlineMs, 300);
    QVERIFY(s.connectedSince.isValid());
    QVERIFY(s.bytesOut > 0);  // hello
    QVERIFY(s.bytesIn > 0);   // welcome
    rig.advance(1000ms);
    QCOMPARE(rig.client->stats().offlineMs, 300);
    QCOMPARE(rig.client->stats().minRttUs, -1);
}

void tst_ClientObserve::futureDeliversTypedResults()
{
    Rig rig;
    rig.connect();
    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("sum"), QCborValue(3)));
    QFuture<QCborValue> future = reply->future();
    rig.serverFrame(result(rig.sentOf<P::Req>().first().id, QCborValue(7)));
    QVERIFY(future.isFinished());
    QCOMPARE(future.result(), QCborValue(7));
}

void tst_ClientObserve::futureFailureRunsOnFailed()
{
    Rig rig;
    rig.connect();
    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("sum")));
    Error seen;
    bool thenRan = false;
    QFuture<void> chained = reply->future()
        .then([&thenRan](const QCborValue &) { thenRan = true; })
        .onFailed([&seen](const RequestError &e) { seen = e.error(); });
    P::Res res;
    res.id = rig.sentOf<P::Req>().first().id;
    res.result = P::ErrorObject{QStringLiteral("bad_args"), QStringLiteral("nope"), std::nullopt};
    rig.serverFrame(res);
    chained.waitForFinished();
    QVERIFY(!thenRan);
    QCOMPARE(seen.code(), Error::Rejected);
    QCOMPARE(seen.serverCode(), QStringLiteral("bad_args"));
    QCOMPARE(QString::fromUtf8(RequestError(seen).what()), seen.message());
}

void tst_ClientObserve::futureCancelAbortsTheRequest()
{
    Rig rig;
    rig.connect();
    std::unique_ptr<Reply> reply(rig.client->request(QStringLiteral("slow")));
    QFuture<QCborValue> future = reply->future();
    QCOMPARE(rig.client->stats().pendingRequests, 1);
    future.cancel();
    QTRY_VERIFY(reply->isFinished());  // the cancel reaches the Reply through the event loop
    QCOMPARE(reply->error().code(), Error::Aborted);
    QVERIFY(future.isCanceled());
    runPosted();
    QCOMPARE(rig.client->stats().pendingRequests, 0);  // the engine forgot it
    rig.serverFrame(result(rig.sentOf<P::Req>().first().id, QCborValue(1)));  // late: ignored
    QCOMPARE(reply->error().code(), Error::Aborted);
}

void tst_ClientObserve::callCancelAbortsTheRequest()
{
    Rig rig;
    rig.connect();
    QFuture<QCborValue> future = rig.client->call(QStringLiteral("slow"));
    QCOMPARE(rig.client->stats().pendingRequests, 1);
    future.cancel();
    QTRY_COMPARE(rig.client->stats().pendingRequests, 0);
}

// Answers the rig's first pending request with `value`.
static void answer(Rig &rig, const QCborValue &value)
{
    rig.serverFrame(result(rig.sentOf<P::Req>().last().id, value));
}

void tst_ClientObserve::callConvertsTheResult()
{
    Rig rig;
    rig.connect();
    QFuture<int> count = rig.client->call<int>(QStringLiteral("count"));
    answer(rig, QCborValue(42));
    QVERIFY(count.isFinished());
    QCOMPARE(count.result(), 42);

    QFuture<double> ratio = rig.client->call<double>(QStringLiteral("ratio"));
    answer(rig, QCborValue(3));  // an integer is a number
    QCOMPARE(ratio.result(), 3.0);

    QFuture<QString> name = rig.client->call<QString>(QStringLiteral("name"));
    answer(rig, QCborValue(QStringLiteral("tether")));
    QCOMPARE(name.result(), QStringLiteral("tether"));

    QFuture<QStringList> tags = rig.client->call<QStringList>(QStringLiteral("tags"));
    answer(rig, QCborArray{QStringLiteral("a"), QStringLiteral("b")});
    QCOMPARE(tags.result(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));

    QFuture<QJsonObject> object = rig.client->call<QJsonObject>(QStringLiteral("obj"));
    answer(rig, QCborMap{{QStringLiteral("k"), 1}});
    QCOMPARE(object.result().value(QStringLiteral("k")).toInt(), 1);

    QFuture<QVariantMap> map = rig.client->call<QVariantMap>(QStringLiteral("map"));
    answer(rig, QCborMap{{QStringLiteral("k"), QStringLiteral("v")}});
    QCOMPARE(map.result().value(QStringLiteral("k")).toString(), QStringLiteral("v"));

    QFuture<bool> flag = rig.client->call<bool>(QStringLiteral("flag"));
    answer(rig, QCborValue(true));
    QCOMPARE(flag.result(), true);

    QFuture<qint64> big = rig.client->call<qint64>(QStringLiteral("big"));
    answer(rig, QCborValue(qint64(1) << 40));
    QCOMPARE(big.result(), qint64(1) << 40);

    QFuture<int> fromDouble = rig.client->call<int>(QStringLiteral("json-ish"));
    answer(rig, QCborValue(7.0));  // an integral double (JSON numbers) is an integer
    QCOMPARE(fromDouble.result(), 7);

    QFuture<QCborValue> raw = rig.client->call<QCborValue>(QStringLiteral("raw"));
    answer(rig, QCborValue(QCborValue::Null));
    QVERIFY(raw.result().isNull());
    runPosted();
}

// Each a result the requested type cannot hold: onFailed runs with UnexpectedResult.
void tst_ClientObserve::callTypeMismatchRunsOnFailed_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QCborValue>("value");
    QTest::addColumn<QString>("describes");
    QTest::addRow("string for int") << "int" << QCborValue(QStringLiteral("42")) << "a string";
    QTest::addRow("fraction for int") << "int" << QCborValue(1.5) << "a number";
    QTest::addRow("out of range for int") << "int" << QCborValue(qint64(1) << 40) << "an integer";
    QTest::addRow("negative for uint") << "uint" << QCborValue(-1) << "an integer";
    QTest::addRow("null for QString") << "QString" << QCborValue(QCborValue::Null) << "null";
    QTest::addRow("number for bool") << "bool" << QCborValue(1) << "an integer";
    QTest::addRow("map for QStringList") << "QStringList" << QCborValue(QCborMap()) << "a map";
    QTest::addRow("mixed array for QStringList") << "QStringList"
        << QCborValue(QCborArray{QStringLiteral("a"), 1}) << "an array";
    QTest::addRow("array for QJsonObject") << "QJsonObject" << QCborValue(QCborArray()) << "an array";
}

void tst_ClientObserve::callTypeMismatchRunsOnFailed()
{
    QFETCH(QString, type);
    QFETCH(QCborValue, value);
    QFETCH(QString, describes);
    Rig rig;
    rig.connect();
    Error seen;
    bool thenRan = false;
    const auto failed = [&seen](const RequestError &e) { seen = e.error(); };
    const auto then = [&thenRan](const auto &) { thenRan = true; };
    QFuture<void> chained;
    if (type == QLatin1String("int"))
        chained = rig.client->call<int>(QStringLiteral("m")).then(then).onFailed(failed);
    else if (type == QLatin1String("uint"))
        chained = rig.client->call<uint>(QStringLiteral("m")).then(then).onFailed(failed);
    else if (type == QLatin1String("QString"))
        chained = rig.client->call<QString>(QStringLiteral("m")).then(then).onFailed(failed);
    else if (type == QLatin1String("bool"))
        chained = rig.client->call<bool>(QStringLiteral("m")).then(then).onFailed(failed);
    else if (type == QLatin1String("QStringList"))
        chained = rig.client->call<QStringList>(QStringLiteral("m")).then(then).onFailed(failed);
    else
        chained = rig.client->call<QJsonObject>(QStringLiteral("m")).then(then).onFailed(failed);
    answer(rig, value);
    chained.waitForFinished();
    QVERIFY(!thenRan);
    QCOMPARE(seen.code(), Error::UnexpectedResult);
    QCOMPARE(seen.kind(), Error::Local);
    QVERIFY2(seen.message().contains(describes) && seen.message().contains(type), qPrintable(seen.message()));
    runPosted();
}

void tst_ClientObserve::typedCallServerErrorAndCancel()
{
    Rig rig;
    rig.connect();
    // A server error stays the server's (not a type mismatch).
    Error seen;
    QFuture<void> chained = rig.client->call<int>(QStringLiteral("sum"))
        .then([](int) {})
        .onFailed([&seen](const RequestError &e) { seen = e.error(); });
    P::Res res;
    res.id = rig.sentOf<P::Req>().last().id;
    res.result = P::ErrorObject{QStringLiteral("bad_args"), QStringLiteral("nope"), std::nullopt};
    rig.serverFrame(res);
    chained.waitForFinished();
    QCOMPARE(seen.code(), Error::Rejected);
    QCOMPARE(seen.serverCode(), QStringLiteral("bad_args"));

    // cancel() aborts the request: the engine forgets it, a late answer changes nothing.
    QFuture<int> slow = rig.client->call<int>(QStringLiteral("slow"));
    QCOMPARE(rig.client->stats().pendingRequests, 1);
    slow.cancel();
    QTRY_COMPARE(rig.client->stats().pendingRequests, 0);
    QVERIFY(slow.isCanceled());
    answer(rig, QCborValue(1));
    QVERIFY(slow.isCanceled());

    // A Reply deleted unfinished fails its typed future with Aborted.
    Reply *reply = rig.client->request(QStringLiteral("never"));
    QFuture<int> orphan = reply->futureAs<int>();
    delete reply;
    QVERIFY(orphan.isFinished());
    try {
        orphan.result();
        QFAIL("no exception");
    } catch (const RequestError &e) {
        QCOMPARE(e.error().code(), Error::Aborted);
    }
    runPosted();
}

// Network changes as the process's watcher reports them (client_testing_p.h: the same entry
// a QNetworkInformation backend uses), so no real network has to change.
void tst_ClientObserve::followNetworkIsOptIn()
{
    Rig rig;  // not following the network by default
    QVERIFY(!rig.client->followsNetwork());
    rig.connect();
    QSignalSpy reachable(rig.client, &Client::networkReachableChanged);
    Testing::reportTransportMediumChange();
    Testing::reportReachability(QNetworkInformation::Reachability::Disconnected);
    QVERIFY(rig.takeCalls().isEmpty());  // no probe
    QVERIFY(reachable.isEmpty());
    QVERIFY(rig.client->isNetworkReachable());  // not watching: nothing known against it
    QVERIFY(rig.client->networkBackend().isEmpty());
    Testing::reportReachability(QNetworkInformation::Reachability::Online);
}

void tst_ClientObserve::networkChangeProbesOrRetriesNow()
{
    Rig rig;
    rig.client->setFollowNetwork(true);
    QVERIFY(rig.client->followsNetwork());
    rig.connect();
    // Connected: the link is probed now (dead within probeTimeout, not a heartbeat later).
    Testing::reportTransportMediumChange();
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("ping")});
    Q_EMIT rig.transport->pongReceived(QByteArray());
    rig.takeCalls();

    // Waiting to reconnect: the next attempt starts now, not after the backoff.
    rig.closed(1006, Error(Error::NetworkError, QStringLiteral("reset")));
    QCOMPARE(rig.client->state(), State::Reconnecting);
    rig.takeCalls();
    Testing::reportReachability(QNetworkInformation::Reachability::Online);
    QCOMPARE(rig.client->state(), State::Connecting);
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("open")});

    // Turned off: changes are no longer followed.
    rig.opened();
    rig.serverFrame(Rig::welcome());
    rig.takeCalls();
    rig.client->setFollowNetwork(false);
    Testing::reportTransportMediumChange();
    QVERIFY(rig.takeCalls().isEmpty());
}

void tst_ClientObserve::goingOfflineIsReported()
{
    Rig rig;
    rig.client->setFollowNetwork(true);
    rig.connect();
    QSignalSpy reachable(rig.client, &Client::networkReachableChanged);
    Testing::reportReachability(QNetworkInformation::Reachability::Disconnected);
    QCOMPARE(reachable.size(), 1);
    QCOMPARE(reachable.at(0).at(0).toBool(), false);
    QVERIFY(!rig.client->isNetworkReachable());
    QCOMPARE(rig.takeCalls(), QStringList{QStringLiteral("ping")});  // probed: is it gone?
    Testing::reportReachability(QNetworkInformation::Reachability::Disconnected);
    QCOMPARE(reachable.size(), 1);  // no change, no signal

    // Another client that opts in while offline learns it at once.
    Rig other;
    QSignalSpy otherReachable(other.client, &Client::networkReachableChanged);
    other.client->setFollowNetwork(true);
    QCOMPARE(otherReachable.size(), 1);
    QVERIFY(!other.client->isNetworkReachable());

    Testing::reportReachability(QNetworkInformation::Reachability::Online);
    QCOMPARE(reachable.size(), 2);
    QCOMPARE(reachable.at(1).at(0).toBool(), true);
    QVERIFY(rig.client->isNetworkReachable());
    QVERIFY(other.client->isNetworkReachable());
}

QTEST_GUILESS_MAIN(tst_ClientObserve)
#include "tst_client_observe.moc"
