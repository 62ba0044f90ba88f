// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Redis mode (issue 14; demos/server/README.md, "Redis mode"): real redis-server child
// processes (RedisProcess: AOF, temporary directory, free loopback port) and real
// tether-server nodes sharing them. Sessions resume on another node after a SIGKILL,
// takeover across nodes (4409), acks only after Redis has the write, node and Redis
// restarts lose nothing, Redis down → temporary refusal with retryAfter then recovery,
// garbage in the keys is rejected without a crash, two shards; scripts survive a SCRIPT
// FLUSH, channel keys expire when unused (and the epoch tells), /metrics counters are live.
#include "conformance.h"
#include "redis_process.h"

#include <csignal>
#include <tuple>
#include <QtNetwork/QTcpSocket>

using namespace Conformance;

namespace {

constexpr int kWaitMs = 5000;

QString sidOf(const QCborMap &welcome) { return stringField(welcome, QLatin1StringView("sid")).value_or(QString()); }

QStringList nodeArgs(const QStringList &redisUrls, const QString &node, const QStringList &more = {})
{
    QStringList args;
    for (const QString &url : redisUrls)
        args << QStringLiteral("--redis") << url;
    args << QStringLiteral("--node-id") << node << QStringLiteral("--log-level") << QStringLiteral("info");
    return args + more;
}

// `count` reliable server messages via `push`, collected in order.
QString pushAndCollect(RawClient &c, int count, QList<QCborMap> *msgs)
{
    const std::optional<QCborMap> res = c.request(QStringLiteral("push"), QCborMap{{QStringLiteral("count"), count}}, kWaitMs);
    if (const QString why = expectResult(res); !why.isEmpty())
        return QStringLiteral("push: ") + why;
    for (int i = 0; i < count; ++i) {
        const std::optional<QCborMap> msg = c.waitForType(QStringLiteral("msg"), kWaitMs);
        if (!msg)
            return QStringLiteral("pushed msg %1 of %2 missing: %3").arg(i + 1).arg(count).arg(c.errorString());
        msgs->append(*msg);
    }
    return {};
}

// The resumed stream: welcome said resumed, then msgs from seq `from` to `to` with the ids
// first seen in `original`.
QString expectRetransmission(RawClient &c, const QList<QCborMap> &original, int from, int to)
{
    for (int seq = from; seq <= to; ++seq) {
        const std::optional<QCborMap> again = c.waitForType(QStringLiteral("msg"), kWaitMs);
        if (!again)
            return QStringLiteral("seq %1 not retransmitted: %2").arg(seq).arg(c.errorString());
        if (uintField(*again, QLatin1StringView("seq")) != quint64(seq))
            return QStringLiteral("expected seq %1, got %2").arg(seq).arg(QString::fromUtf8(describe(*again)));
        if (stringField(*again, QLatin1StringView("id")) != stringField(original[seq - 1], QLatin1StringView("id")))
            return QStringLiteral("seq %1 came back with another id").arg(seq);
    }
    return {};
}

// Sends a hello and expects error{code, retryAfter} then close `closeCode`.
QString expectRefusal(RawClient &c, const QUrl &url, const QString &code, int closeCode, const HelloFields &hello = {})
{
    if (!c.openTether(url, Codec::Json))
        return QStringLiteral("connect: ") + c.errorString();
    c.sendFrame(helloFrame(hello));
    const std::optional<QCborMap> error = c.waitForType(QStringLiteral("error"), kWaitMs);
    if (!error)
        return QStringLiteral("no error frame: ") + c.errorString();
    if (stringField(*error, QLatin1StringView("code")) != code)
        return QStringLiteral("error %1, expected %2").arg(QString::fromUtf8(describe(*error)), code);
    if (!uintField(*error, QLatin1StringView("retryAfter")))
        return QStringLiteral("no retryAfter in ") + QString::fromUtf8(describe(*error));
    return expectClose(c, closeCode, kWaitMs);
}

// Everything Redis holds for a session (but its TTLs), to see that a refused write changed
// nothing.
QByteArray sessionDump(const RedisProcess &redis, const QString &sid)
{
    const QString key = QStringLiteral("tether:{s:%1}").arg(sid);
    QByteArray dump;
    for (const QStringList &read : {QStringList{QStringLiteral("HGETALL"), key},
                                    QStringList{QStringLiteral("ZRANGE"), key + QStringLiteral(":out"), QStringLiteral("0"), QStringLiteral("-1")},
                                    QStringList{QStringLiteral("LRANGE"), key + QStringLiteral(":nacks"), QStringLiteral("0"), QStringLiteral("-1")},
                                    QStringList{QStringLiteral("SORT"), key + QStringLiteral(":subs"), QStringLiteral("ALPHA")},
                                    QStringList{QStringLiteral("HGETALL"), key + QStringLiteral(":pos")}})
        dump += read.join(QLatin1Char(' ')).toUtf8() + ":\n" + redis.cli(read) + "\n";
    return dump;
}

// One sample of the node's GET /metrics (-1 when absent or unreachable).
double metric(const ServerProcess &node, const QByteArray &name)
{
    QTcpSocket socket;
    socket.connectToHost(node.host(), node.port());
    if (!socket.waitForConnected(kWaitMs))
        return -1;
    socket.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    QByteArray response;
    QElapsedTimer clock;
    clock.start();
    // The last family of the exposition ends the body.
    while (!response.contains("\ntether_resident_memory_bytes ") && clock.elapsed() < kWaitMs) {
        if (socket.waitForReadyRead(100))
            response += socket.readAll();
        else if (socket.state() != QAbstractSocket::ConnectedState)
            break;
    }
    for (const QByteArray &line : response.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).trimmed().toDouble();
    }
    return -1;
}

// A subscriber of `ch` whose session is left detached on `node`, which is then killed:
// what is published next is owed to it from the stream only. `welcome`: its session.
QString orphanSubscriber(ServerProcess &node, const QString &ch, QCborMap *welcome)
{
    RawClient x;
    if (const QString why = openSession(x, node.url(), Codec::Json, welcome); !why.isEmpty())
        return why;
    if (const QString why = subscribe(x, ch); !why.isEmpty())
        return why;
    x.abort();
    if (!x.expectSilence(100))
        return QStringLiteral("the dropped connection heard something");
    node.kill();
    return {};
}

// Cuts every node's pub/sub link to `redis` (CLIENT KILL TYPE pubsub): a `take` published
// meanwhile is lost to a node that cannot reconnect yet (frozen). Returns once `running`
// (which can) is linked again: it refuses sessions until then.
QString cutPubSubLinks(const RedisProcess &redis, const ServerProcess &running)
{
    redis.cli({QStringLiteral("CLIENT"), QStringLiteral("KILL"), QStringLiteral("TYPE"), QStringLiteral("pubsub")});
    if (!waitUntil([&] { return running.stderrTail().contains("reachable again"); }, kWaitMs))
        return QStringLiteral("no reconnection: ") + QString::fromUtf8(running.stderrTail());
    return {};
}

// One Redis and two nodes on it, "a" and "b" (both with `more`): most tests here.
struct TwoNodes {
    RedisProcess redis;
    ServerProcess a, b;
    // Starts them; the error, empty when all are up.
    QString start(const QStringList &more = {})
    {
        if (!redis.start())
            return redis.errorString();
        a.setExtraArgs(nodeArgs({redis.url()}, QStringLiteral("a"), more));
        b.setExtraArgs(nodeArgs({redis.url()}, QStringLiteral("b"), more));
        if (!a.start())
            return a.errorString();
        return b.start() ? QString() : b.errorString();
    }
};

// TwoNodes where `y` (on b) published "y0" on "room" (publication 1 of its stream), then a
// subscriber of "room" was left detached on a, which is killed (orphanSubscriber):
// `welcome` is its session, its position publication 1.
struct OrphanOnA : TwoNodes {
    RawClient y;
    QCborMap welcome;
    QString room = QStringLiteral("room");

    QString startAndOrphan()
    {
        if (const QString why = start(); !why.isEmpty())
            return why;
        if (const QString why = openSession(y, b.url(), Codec::Json); !why.isEmpty())
            return why;
        if (const QString why = sendReliable(y, 1, QCborValue(0), room, QStringLiteral("y0")); !why.isEmpty())
            return why;
        return orphanSubscriber(a, room, &welcome);
    }
    // For a structured binding: auto [redis, b, y, room, welcome] = nodes.parts();
    auto parts() { return std::tie(redis, b, y, room, welcome); }
};

QByteArray pttl(const RedisProcess &redis, const QString &key) { return redis.cli({QStringLiteral("PTTL"), key}); }

// How many publications channel `ch`'s stream has numbered (README.md, "Keys": a stream
// entry holds a run of them, its id 0-N names the last one): "N", empty without a stream.
QByteArray publicationsIn(const RedisProcess &redis, const QString &ch)
{
    const QByteArray out = redis.cli({QStringLiteral("XREVRANGE"), QStringLiteral("tether:{c:%1}:h").arg(ch), QStringLiteral("+"),
                                      QStringLiteral("-"), QStringLiteral("COUNT"), QStringLiteral("1")});
    const QByteArray id = out.left(out.indexOf('\n'));
    return id.startsWith("0-") ? id.mid(2) : QByteArray();
}

// Runs a command whose arguments are Lua expressions, so binary values can be written
// (redis-cli's arguments are text): e.g. luaCall(redis, "PUBLISH", key, {"'x' .. string.char(128)"}).
QByteArray luaCall(const RedisProcess &redis, const QString &command, const QString &key, const QStringList &args)
{
    return redis.cli({QStringLiteral("EVAL"),
                      QStringLiteral("return redis.call('%1', KEYS[1], %2)").arg(command, args.join(QLatin1String(", "))),
                      QStringLiteral("1"), key});
}

} // namespace

class tst_ServerRedis : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // Redis mode needs a redis-server: its absence is a missing install step, a failure.
        QVERIFY2(RedisProcess::available(), "redis-server / redis-cli not installed (packaging/install-deps.sh)");
    }

    // A session made on node A resumes on node B after A is SIGKILLed: inbound position,
    // every owed message (same seq, same id), and numbering continues.
    void resumeOnAnotherNodeAfterKill()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        ServerProcess &a = nodes.a, &b = nodes.b;

        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Json, &welcome));
        QCOMPARE(boolField(welcome, QLatin1StringView("resumed")), false);
        for (quint64 seq = 1; seq <= 3; ++seq)
            CHECK_OK(sendReliable(c1, seq, QCborValue(qint64(seq))));
        QList<QCborMap> pushed;
        CHECK_OK(pushAndCollect(c1, 5, &pushed));
        c1.sendFrame(ackFrame(2));
        QVERIFY(c1.expectSilence(100));   // the ack reaches Redis before the kill
        a.kill();

        RawClient c2;
        QCborMap resumed;
        CHECK_OK(openSession(c2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 2)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(sidOf(resumed), sidOf(welcome));
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(3));
        CHECK_OK(expectRetransmission(c2, pushed, 3, 5));
        CHECK_OK(sendReliable(c2, 4, QCborValue(4)));
        // The server stream continues after 5 on the new node.
        QList<QCborMap> more;
        CHECK_OK(pushAndCollect(c2, 1, &more));
        QCOMPARE(uintField(more[0], QLatin1StringView("seq")), quint64(6));
        QVERIFY(stringField(more[0], QLatin1StringView("id")) != stringField(pushed[0], QLatin1StringView("id")));
    }

    // A session attached on A is resumed on B: A's connection gets session_taken + 4409.
    void takeoverAcrossNodes()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        ServerProcess &a = nodes.a, &b = nodes.b;

        RawClient older;
        QCborMap welcome;
        CHECK_OK(openSession(older, a.url(), Codec::Cbor, &welcome));
        CHECK_OK(sendReliable(older, 1, QCborValue(1)));

        RawClient newer;
        QCborMap resumed;
        CHECK_OK(openSession(newer, b.url(), Codec::Cbor, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
        CHECK_OK(expectErrorThenClose(older, QStringLiteral("session_taken"), 4409, kWaitMs));
        CHECK_OK(sendReliable(newer, 2, QCborValue(2)));
        QVERIFY(a.isRunning());
    }

    // The ack of a reliable publication comes only once Redis has it: the session's inRx
    // and the channel's stream entry are there when the ack arrives.
    void publicationAckedAfterRedis()
    {
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), {QStringLiteral("--ack-delay"), QStringLiteral("0")}));
        START_SERVER(a);
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, a.url(), Codec::Json, &welcome));
        CHECK_OK(sendReliable(c, 1, QCborValue(QStringLiteral("hello")), QStringLiteral("news"), QStringLiteral("pub-1")));
        const QString key = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        QCOMPARE(redis.cli({QStringLiteral("HGET"), key, QStringLiteral("inRx")}), QByteArray("1"));
        QCOMPARE(publicationsIn(redis, QStringLiteral("news")), QByteArray("1"));
        QVERIFY(!redis.cli({QStringLiteral("GET"), QStringLiteral("tether:{c:news}:epoch")}).isEmpty());
        QVERIFY(!redis.cli({QStringLiteral("GET"), QStringLiteral("tether:node:a")}).isEmpty());
        // Redis gone: a publication is not acknowledged (nothing acked can be lost); the
        // session is closed with a temporary code, to come back when Redis does.
        redis.kill();
        c.sendFrame(msgFrame(2, QCborValue(2), QStringLiteral("pub-2"), QStringLiteral("news")));
        const std::optional<QCborMap> next = c.next(kWaitMs);
        QVERIFY2(next, qPrintable(c.errorString()));
        QCOMPARE(frameType(*next), QStringLiteral("error"));
        QCOMPARE(stringField(*next, QLatin1StringView("code")).value_or(QString()), QStringLiteral("unavailable"));
        QVERIFY(uintField(*next, QLatin1StringView("retryAfter")));
        CHECK_OK(expectClose(c, 4014, kWaitMs));
    }

    // The channel's epoch changes when its stream is lost, not on every publication.
    void epochChangesWhenHistoryIsLost()
    {
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a")));
        START_SERVER(a);
        RawClient c;
        CHECK_OK(openSession(c, a.url(), Codec::Json));
        const QString ch = QStringLiteral("news");
        const QStringList epochKey{QStringLiteral("GET"), QStringLiteral("tether:{c:news}:epoch")};
        CHECK_OK(sendReliable(c, 1, QCborValue(1), ch));
        const QByteArray first = redis.cli(epochKey);
        QVERIFY(!first.isEmpty());
        CHECK_OK(sendReliable(c, 2, QCborValue(2), ch));
        QCOMPARE(redis.cli(epochKey), first);
        redis.cli({QStringLiteral("DEL"), QStringLiteral("tether:{c:news}:h")});
        CHECK_OK(sendReliable(c, 3, QCborValue(3), ch));
        const QByteArray second = redis.cli(epochKey);
        QVERIFY(!second.isEmpty());
        QVERIFY(second != first);
        QCOMPARE(publicationsIn(redis, QStringLiteral("news")), QByteArray("1"));
    }

    // One node, restarted with SIGTERM then with SIGKILL on the same port: the session
    // resumes with everything it was owed.
    void nodeRestartLosesNothing_data()
    {
        QTest::addColumn<bool>("kill");
        QTest::addRow("SIGTERM") << false;
        QTest::addRow("SIGKILL") << true;
    }
    void nodeRestartLosesNothing()
    {
        QFETCH(bool, kill);
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess node(nodeArgs({redis.url()}, QStringLiteral("solo")));
        START_SERVER(node);
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, node.url(), Codec::Json, &welcome));
        CHECK_OK(subscribe(c1, QStringLiteral("room")));
        CHECK_OK(sendReliable(c1, 1, QCborValue(1)));
        QList<QCborMap> pushed;
        CHECK_OK(pushAndCollect(c1, 4, &pushed));
        const quint16 port = node.port();
        if (kill)
            node.kill();
        else
            QVERIFY2(node.stop(), qPrintable(node.errorString()));
        QVERIFY2(node.start(port), qPrintable(node.errorString()));

        RawClient c2;
        QCborMap resumed;
        CHECK_OK(openSession(c2, node.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 1)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
        CHECK_OK(expectRetransmission(c2, pushed, 2, 4));
        // The subscription came back with the session: a publication reaches it.
        RawClient publisher;
        CHECK_OK(openSession(publisher, node.url(), Codec::Json));
        CHECK_OK(sendReliable(publisher, 1, QCborValue(QStringLiteral("after restart")), QStringLiteral("room")));
        const std::optional<QCborMap> got = nextDataMsg(c2, kWaitMs);
        QVERIFY2(got, qPrintable(c2.errorString()));
        QCOMPARE(stringField(*got, QLatin1StringView("ch")).value_or(QString()), QStringLiteral("room"));
    }

    // Redis restarted (AOF): the nodes reconnect by themselves and the session resumes on
    // a node that never held it (so it comes from what Redis replayed).
    void redisRestartLosesNothing()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        RedisProcess &redis = nodes.redis;
        ServerProcess &a = nodes.a, &b = nodes.b;
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Cbor, &welcome));
        CHECK_OK(sendReliable(c1, 1, QCborValue(1)));
        QList<QCborMap> pushed;
        CHECK_OK(pushAndCollect(c1, 3, &pushed));
        c1.abort();
        QVERIFY(c1.expectSilence(100));
        QVERIFY(redis.restart());
        QVERIFY(waitUntil([&] { return b.stderrTail().contains("reachable again"); }, 10000));

        RawClient c2;
        QCborMap resumed;
        CHECK_OK(openSession(c2, b.url(), Codec::Cbor, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
        CHECK_OK(expectRetransmission(c2, pushed, 1, 3));
        QVERIFY(b.stderrTail().contains("unreachable"));
        QVERIFY(a.isRunning());
    }

    // Redis down: new sessions refused with a temporary close and retryAfter; logged once;
    // back to normal when Redis returns.
    void redisDownRefusesThenRecovers()
    {
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess node(nodeArgs({redis.url()}, QStringLiteral("solo")));
        START_SERVER(node);
        const quint16 redisPort = redis.port();
        redis.kill();
        QVERIFY(waitUntil([&] { return node.stderrTail().contains("unreachable"); }, kWaitMs));
        for (int i = 0; i < 3; ++i) {
            RawClient refused;
            CHECK_OK(expectRefusal(refused, node.url(), QStringLiteral("unavailable"), 4014));
        }
        QCOMPARE(node.stderrTail().count("unreachable"), 1);   // logged once, not per attempt
        QVERIFY2(redis.start(redisPort), qPrintable(redis.errorString()));
        std::unique_ptr<RawClient> c;
        QCborMap welcome;
        const bool ok = waitUntil(
            [&] {
                c = std::make_unique<RawClient>();
                return openSession(*c, node.url(), Codec::Json, &welcome).isEmpty();
            },
            10000);
        QVERIFY2(ok, node.stderrTail().constData());
        CHECK_OK(sendReliable(*c, 1, QCborValue(1)));
        QVERIFY(node.isRunning());
    }

    // Messages someone else PUBLISHed on a channel's fan-out: logged and ignored whole,
    // no crash, the channel's next publication still delivered once.
    void garbageFanOutIsIgnored_data()
    {
        QTest::addColumn<QString>("payload");   // a Lua expression (binary CBOR included)
        // CBOR: 129/130 = array of 1/2, 132 = array of 4, 97 'a' = text "a", 96 = "".
        const QString entry = QStringLiteral("132, 97, 97, 1, 1, 96");   // [id "a", d 1, ts 1, peer ""]
        QTest::addRow("empty") << QStringLiteral("''");
        QTest::addRow("no record") << QStringLiteral("'epoch'");
        QTest::addRow("no length") << QStringLiteral("'e1 0-1'");
        QTest::addRow("length past the end") << QStringLiteral("'e1 0-1 999 abc'");
        QTest::addRow("length not a number") << QStringLiteral("'e1 0-1 x3 abc'");
        QTest::addRow("bytes after the record") << QStringLiteral("'e1 0-1 3 abcdef'");
        QTest::addRow("not CBOR") << QStringLiteral("'e1 0-1 3 abc'");
        QTest::addRow("bad stream id") << QStringLiteral("'e1 one 3 abc'");
        QTest::addRow("old format") << QStringLiteral("'1-0 e1 abc'");
        QTest::addRow("run not an array") << QStringLiteral("'e1 0-1 2 aX'");
        QTest::addRow("empty run") << QStringLiteral("'e1 0-1 1 ' .. string.char(128)");
        QTest::addRow("run longer than its entry number") << QStringLiteral("'e1 0-1 13 ' .. string.char(130, %1, %1)").arg(entry);
        QTest::addRow("entry id of another layout") << QStringLiteral("'e1 1700000000000-0 7 ' .. string.char(129, %1)").arg(entry);
        QTest::addRow("stream entry not 4 fields") << QStringLiteral("'e1 0-5 4 ' .. string.char(129, 129, 97, 97)");
        QTest::addRow("stream run without an epoch") << QStringLiteral("'- 0-1 7 ' .. string.char(129, %1)").arg(entry);
        QTest::addRow("fan-out record not 6 fields") << QStringLiteral("'- - 2 ' .. string.char(129, 1)");
    }
    void garbageFanOutIsIgnored()
    {
        QFETCH(QString, payload);
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a")));
        START_SERVER(a);
        RawClient x, y;
        CHECK_OK(openSession(x, a.url(), Codec::Json));
        CHECK_OK(subscribe(x, QStringLiteral("room")));
        QCOMPARE(luaCall(redis, QStringLiteral("PUBLISH"), QStringLiteral("tether:{c:room}:pub"), {payload}), QByteArray("1"));
        CHECK_OK(openSession(y, a.url(), Codec::Json));
        CHECK_OK(sendReliable(y, 1, QCborValue(1), QStringLiteral("room"), QStringLiteral("p1")));
        const std::optional<QCborMap> got = nextDataMsg(x, kWaitMs);
        QVERIFY2(got, qPrintable(x.errorString()));
        QCOMPARE(stringField(*got, QLatin1StringView("id")).value_or(QString()), QStringLiteral("p1"));
        QVERIFY(!nextDataMsg(x, 200));
        QVERIFY(a.isRunning());
        QVERIFY2(a.stderrTail().contains("malformed publication on tether:{c:room}:pub"), a.stderrTail().constData());
    }

    // Entries someone else wrote into a channel's stream: the resume reading them is not
    // resumed (logged), `history` skips or ignores them (logged), the next publication
    // goes on (a stream of another layout starts a new epoch); never a crash.
    void garbageInStreamIsRejected_data()
    {
        QTest::addColumn<QStringList>("xadd");   // XADD's arguments as Lua expressions
        QTest::addColumn<QByteArray>("logged");
        const QString entry = QStringLiteral("132, 97, 97, 1, 1, 96");   // CBOR [id "a", d 1, ts 1, peer ""]
        QTest::addRow("entry not CBOR") << QStringList{QStringLiteral("'0-1000'"), QStringLiteral("'p'"), QStringLiteral("'garbage'")}
                                        << QByteArray("entry 1 of tether:{c:room}:h is malformed");
        QTest::addRow("entry id of another layout")
            << QStringList{QStringLiteral("'*'"), QStringLiteral("'p'"), QStringLiteral("string.char(129, %1)").arg(entry)}
            << QByteArray("the last entry of tether:{c:room}:h is malformed");
        QTest::addRow("gap in the numbering")
            << QStringList{QStringLiteral("'0-1000'"), QStringLiteral("'p'"), QStringLiteral("string.char(129, %1)").arg(entry)}
            << QByteArray("tether:{c:room}:h has a gap before entry 1");
        QTest::addRow("more publications than its number")
            << QStringList{QStringLiteral("'0-2'"), QStringLiteral("'p'"), QStringLiteral("string.char(131, %1, %1, %1)").arg(entry)}
            << QByteArray("entry 1 of tether:{c:room}:h is malformed");
    }
    void garbageInStreamIsRejected()
    {
        QFETCH(QStringList, xadd);
        QFETCH(QByteArray, logged);
        OrphanOnA nodes;
        CHECK_OK(nodes.startAndOrphan());
        auto [redis, b, y, room, welcome] = nodes.parts();
        QVERIFY(!luaCall(redis, QStringLiteral("XADD"), QStringLiteral("tether:{c:room}:h"), xadd).isEmpty());

        QCborValue history;
        CHECK_OK(expectResult(y.request(QStringLiteral("history"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &history));
        QVERIFY(history.isArray());
        RawClient x2;
        QCborMap second;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &second, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(second, QLatin1StringView("resumed")), false);
        QVERIFY(b.isRunning());
        QVERIFY2(b.stderrTail().contains(logged), b.stderrTail().constData());
        CHECK_OK(sendReliable(y, 2, QCborValue(1), room, QStringLiteral("y1")));   // the stream goes on
        CHECK_OK(subscribe(x2, room));
        CHECK_OK(sendReliable(y, 3, QCborValue(2), room, QStringLiteral("y2")));
        const std::optional<QCborMap> got = nextDataMsg(x2, kWaitMs);
        QVERIFY2(got, qPrintable(x2.errorString()));
        QCOMPARE(stringField(*got, QLatin1StringView("id")).value_or(QString()), QStringLiteral("y2"));
    }

    // Values someone else wrote into a session's keys: logged, not resumed, no crash.
    void garbageInKeysIsRejected_data()
    {
        QTest::addColumn<QStringList>("damage");   // redis-cli args, %1 = the session key
        QTest::addRow("hash replaced by a string") << QStringList{QStringLiteral("SET"), QStringLiteral("%1"), QStringLiteral("x")};
        QTest::addRow("inRx not a number") << QStringList{QStringLiteral("HSET"), QStringLiteral("%1"), QStringLiteral("inRx"), QStringLiteral("12abc")};
        QTest::addRow("claim generation not a number") << QStringList{QStringLiteral("HSET"), QStringLiteral("%1"), QStringLiteral("gen"), QStringLiteral("x1")};
        QTest::addRow("owed entry not CBOR") << QStringList{QStringLiteral("ZADD"), QStringLiteral("%1:out"), QStringLiteral("1"), QStringLiteral("\xff\xfe garbage")};
        QTest::addRow("owed entry JSON") << QStringList{QStringLiteral("ZADD"), QStringLiteral("%1:out"), QStringLiteral("1"), QStringLiteral("[1,\"id\",\"ch\",4]")};
        QTest::addRow("owed set a list") << QStringList{QStringLiteral("RPUSH"), QStringLiteral("%1:out"), QStringLiteral("x")};
        QTest::addRow("nacks a hash") << QStringList{QStringLiteral("HSET"), QStringLiteral("%1:nacks"), QStringLiteral("a"), QStringLiteral("b")};
        QTest::addRow("subscription too long") << QStringList{QStringLiteral("SADD"), QStringLiteral("%1:subs"), QString(300, QLatin1Char('x'))};
    }
    void garbageInKeysIsRejected()
    {
        QFETCH(QStringList, damage);
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        RedisProcess &redis = nodes.redis;
        ServerProcess &a = nodes.a, &b = nodes.b;
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Json, &welcome));
        CHECK_OK(sendReliable(c1, 1, QCborValue(1)));
        const QString key = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        if (damage[1].startsWith(QStringLiteral("%1:")))
            redis.cli({QStringLiteral("DEL"), damage[1].arg(key)});
        for (QString &arg : damage) {
            if (arg.contains(QLatin1String("%1")))
                arg = arg.arg(key);
        }
        redis.cli(damage);

        RawClient c2;
        QCborMap second;
        CHECK_OK(openSession(c2, b.url(), Codec::Json, &second, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(second, QLatin1StringView("resumed")), false);
        QVERIFY(b.isRunning());
        QVERIFY2(b.stderrTail().contains("malformed"), b.stderrTail().constData());
        CHECK_OK(sendReliable(c2, 1, QCborValue(1)));   // the node goes on serving
    }

    // Fan-out between nodes, and history and presence read the same from either node.
    void historyAndPresenceFromEitherNode()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        ServerProcess &a = nodes.a, &b = nodes.b;
        const QString room = QStringLiteral("room");
        RawClient x, y;
        CHECK_OK(openSession(x, a.url(), Codec::Json));
        CHECK_OK(openSession(y, b.url(), Codec::Cbor));
        CHECK_OK(subscribe(x, room));
        CHECK_OK(subscribe(y, room));
        // y's join, made on b, reaches x on a.
        const std::optional<QCborMap> join = x.waitForType(QStringLiteral("msg"), kWaitMs);
        QVERIFY2(join && isPresence(*join), qPrintable(x.errorString()));
        for (int i = 1; i <= 3; ++i)
            CHECK_OK(sendReliable(y, quint64(i), QCborValue(i), room, QStringLiteral("y%1").arg(i)));
        for (int i = 1; i <= 3; ++i) {
            const std::optional<QCborMap> got = nextDataMsg(x, kWaitMs);
            QVERIFY2(got, qPrintable(x.errorString()));
            QCOMPARE(stringField(*got, QLatin1StringView("id")).value_or(QString()), QStringLiteral("y%1").arg(i));
            QVERIFY(uintField(*got, QLatin1StringView("seq")));
        }
        // x publishes on a: y (on b) gets it; x never gets its own.
        CHECK_OK(sendReliable(x, 1, QCborValue(QStringLiteral("from x")), room, QStringLiteral("x1")));
        const std::optional<QCborMap> fromX = nextDataMsg(y, kWaitMs);
        QVERIFY2(fromX, qPrintable(y.errorString()));
        QCOMPARE(stringField(*fromX, QLatin1StringView("id")).value_or(QString()), QStringLiteral("x1"));

        QCborValue historyA, historyB, presenceA, presenceB;
        CHECK_OK(expectResult(x.request(QStringLiteral("history"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &historyA));
        CHECK_OK(expectResult(y.request(QStringLiteral("history"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &historyB));
        QCOMPARE(historyA.toArray().size(), 4);
        QVERIFY(equivalent(historyA, historyB));
        QCOMPARE(historyA.toArray().at(0).toMap().value(QStringLiteral("id")).toString(), QStringLiteral("y1"));
        QCOMPARE(historyA.toArray().at(3).toMap().value(QStringLiteral("id")).toString(), QStringLiteral("x1"));
        CHECK_OK(expectResult(x.request(QStringLiteral("presence"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &presenceA));
        CHECK_OK(expectResult(y.request(QStringLiteral("presence"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &presenceB));
        QCOMPARE(presenceA.toMap().value(QStringLiteral("members")).toArray().size(), 2);
        QVERIFY(equivalent(presenceA, presenceB));
    }

    // A node dies: its members leave presence once its heartbeat key expires; what it owed
    // its subscriber is delivered by the node the subscriber resumes on.
    void nodeDeathPresenceAndOwedDeliveries()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        ServerProcess &a = nodes.a, &b = nodes.b;
        const QString room = QStringLiteral("room");
        RawClient x, y, z;
        QCborMap welcomeX;
        CHECK_OK(openSession(x, a.url(), Codec::Json, &welcomeX));
        CHECK_OK(openSession(y, b.url(), Codec::Json));
        CHECK_OK(openSession(z, a.url(), Codec::Json));
        CHECK_OK(subscribe(x, room));
        CHECK_OK(subscribe(y, room));
        CHECK_OK(subscribe(z, room));
        for (int i = 1; i <= 3; ++i)
            CHECK_OK(sendReliable(y, quint64(i), QCborValue(i), room, QStringLiteral("y%1").arg(i)));
        for (int i = 1; i <= 3; ++i)
            QVERIFY2(nextDataMsg(x, kWaitMs), qPrintable(x.errorString()));   // sent, never acked
        a.kill();
        z.abort();

        // z's session (on a, dead) leaves presence when a's heartbeat expires; x resumes
        // on b so it is present again from there.
        RawClient x2;
        QCborMap resumed;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcomeX), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QStringList ids;
        for (int i = 0; i < 3; ++i) {
            const std::optional<QCborMap> again = nextDataMsg(x2, kWaitMs);
            QVERIFY2(again, qPrintable(x2.errorString()));
            ids << stringField(*again, QLatin1StringView("id")).value_or(QString());
        }
        QCOMPARE(ids, (QStringList{QStringLiteral("y1"), QStringLiteral("y2"), QStringLiteral("y3")}));
        const bool healed = waitUntil(
            [&] {
                QCborValue presence;
                if (!expectResult(y.request(QStringLiteral("presence"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &presence).isEmpty())
                    return false;
                return presence.toMap().value(QStringLiteral("members")).toArray().size() == 2;
            },
            8000);
        QVERIFY(healed);
    }

    // Publications made while no node held a subscriber's session (detached on a node that
    // died) come back on resume from the channel's stream, after its position.
    void detachedSubscriberRecoversFromStream()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        ServerProcess &a = nodes.a, &b = nodes.b;
        const QString room = QStringLiteral("room");
        RawClient y;
        CHECK_OK(openSession(y, b.url(), Codec::Json));
        CHECK_OK(sendReliable(y, 1, QCborValue(0), room, QStringLiteral("y0")));   // before x subscribes
        QCborMap welcome;
        CHECK_OK(orphanSubscriber(a, room, &welcome));
        for (int i = 1; i <= 3; ++i)
            CHECK_OK(sendReliable(y, quint64(i + 1), QCborValue(i), room, QStringLiteral("y%1").arg(i)));

        RawClient x2;
        QCborMap resumed;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QStringList ids;
        for (int i = 0; i < 3; ++i) {
            const std::optional<QCborMap> got = nextDataMsg(x2, kWaitMs);
            QVERIFY2(got, qPrintable(x2.errorString()));
            ids << stringField(*got, QLatin1StringView("id")).value_or(QString());
        }
        QCOMPARE(ids, (QStringList{QStringLiteral("y1"), QStringLiteral("y2"), QStringLiteral("y3")}));
        QVERIFY(!nextDataMsg(x2, 200));   // y0 (before the sub) is not delivered
        // Live again: the next publication arrives once, not twice.
        CHECK_OK(sendReliable(y, 5, QCborValue(4), room, QStringLiteral("y4")));
        const std::optional<QCborMap> live = nextDataMsg(x2, kWaitMs);
        QVERIFY2(live, qPrintable(x2.errorString()));
        QCOMPARE(stringField(*live, QLatin1StringView("id")).value_or(QString()), QStringLiteral("y4"));
        QVERIFY(!nextDataMsg(x2, 300));
    }

    // One stream entry holds a run of publications (README.md, "Keys"); a position can name
    // one in the middle of it: a resume delivers only those after it, and `history` takes
    // the newest ones across entries.
    void resumeFromTheMiddleOfAnEntry()
    {
        OrphanOnA nodes;
        CHECK_OK(nodes.startAndOrphan());
        auto [redis, b, y, room, welcome] = nodes.parts();
        // Publications 2, 3, 4 as one entry, ids "b", "c", "d" (CBOR [id, d 1, ts 1, peer ""]).
        const QString run = QStringLiteral("string.char(131, 132, 97, 98, 1, 1, 96, 132, 97, 99, 1, 1, 96, 132, 97, 100, 1, 1, 96)");
        QCOMPARE(luaCall(redis, QStringLiteral("XADD"), QStringLiteral("tether:{c:room}:h"), {QStringLiteral("'0-4'"), QStringLiteral("'p'"), run}),
                 QByteArray("0-4"));
        const QByteArray epoch = redis.cli({QStringLiteral("GET"), QStringLiteral("tether:{c:room}:epoch")});
        redis.cli({QStringLiteral("HSET"), QStringLiteral("tether:{s:%1}:pos").arg(sidOf(welcome)), room,
                   QStringLiteral("0-2 ") + QString::fromUtf8(epoch)});   // "b" delivered

        // Structured bindings are captured through init-captures (C++17; clang 14 refuses them otherwise).
        const auto historyIds = [&client = y, &channel = room](int limit) {
            QCborValue history;
            const QString why = expectResult(
                client.request(QStringLiteral("history"), QCborMap{{QStringLiteral("ch"), channel}, {QStringLiteral("limit"), limit}}, kWaitMs),
                &history);
            QStringList ids{why};
            for (const QCborValue &entry : history.toArray())
                ids << entry.toMap().value(QStringLiteral("id")).toString();
            return ids.join(QLatin1Char(' ')).trimmed();
        };
        QCOMPARE(historyIds(2), QStringLiteral("c d"));
        QCOMPARE(historyIds(3), QStringLiteral("b c d"));
        QCOMPARE(historyIds(4), QStringLiteral("y0 b c d"));

        RawClient x2;
        QCborMap resumed;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QStringList ids;
        for (int i = 0; i < 2; ++i) {
            const std::optional<QCborMap> got = nextDataMsg(x2, kWaitMs);
            QVERIFY2(got, qPrintable(x2.errorString()));
            ids << stringField(*got, QLatin1StringView("id")).value_or(QString());
        }
        QCOMPARE(ids, (QStringList{QStringLiteral("c"), QStringLiteral("d")}));
        QVERIFY(!nextDataMsg(x2, 200));
        CHECK_OK(sendReliable(y, 2, QCborValue(5), room, QStringLiteral("y5")));   // publication 5, live
        const std::optional<QCborMap> live = nextDataMsg(x2, kWaitMs);
        QVERIFY2(live, qPrintable(x2.errorString()));
        QCOMPARE(stringField(*live, QLatin1StringView("id")).value_or(QString()), QStringLiteral("y5"));
        QCOMPARE(publicationsIn(redis, room), QByteArray("5"));
    }

    // A resume never overflows the session buffer by construction: what the streams hold
    // after the session's positions is counted before the welcome. Within --session-buffer
    // the session resumes and gets all of it; past it (the client was away longer than its
    // buffer covers, as in memory mode) it is a new session (resumed=false, logged), not a
    // resumed one dropped at once with 4008 by the burst.
    void resumeOwingMoreThanTheBufferIsANewSession_data()
    {
        QTest::addColumn<int>("missed");
        QTest::addColumn<bool>("resumes");
        QTest::addRow("as many as the buffer holds") << 5 << true;
        QTest::addRow("one more than the buffer holds") << 6 << false;
    }
    void resumeOwingMoreThanTheBufferIsANewSession()
    {
        QFETCH(int, missed);
        QFETCH(bool, resumes);
        TwoNodes nodes;
        CHECK_OK(nodes.start({QStringLiteral("--session-buffer"), QStringLiteral("5")}));
        ServerProcess &a = nodes.a, &b = nodes.b;
        const QString room = QStringLiteral("room");
        RawClient y;
        CHECK_OK(openSession(y, b.url(), Codec::Json));
        QCborMap welcome;
        CHECK_OK(orphanSubscriber(a, room, &welcome));
        for (int i = 1; i <= missed; ++i)
            CHECK_OK(sendReliable(y, quint64(i), QCborValue(i), room, QStringLiteral("y%1").arg(i)));

        RawClient x2;
        QCborMap second;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &second, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(second, QLatin1StringView("resumed")), resumes);
        if (!resumes) {
            QVERIFY(sidOf(second) != sidOf(welcome));
            QVERIFY2(b.stderrTail().contains("would owe 6 messages, more than --session-buffer 5"), b.stderrTail().constData());
            CHECK_OK(sendReliable(x2, 1, QCborValue(1)));   // the new session works
            return;
        }
        for (int i = 1; i <= missed; ++i) {
            const std::optional<QCborMap> got = nextDataMsg(x2, kWaitMs);
            QVERIFY2(got, qPrintable(x2.errorString()));
            QCOMPARE(stringField(*got, QLatin1StringView("id")).value_or(QString()), QStringLiteral("y%1").arg(i));
        }
        QVERIFY(x2.expectSilence(200));   // no buffer_overflow close
    }

    // The stream a subscriber's position points into is lost (new epoch): its session
    // cannot be resumed whole, the client gets resumed=false.
    void lostHistoryMeansNewSession()
    {
        OrphanOnA nodes;
        CHECK_OK(nodes.startAndOrphan());
        auto [redis, b, y, room, welcome] = nodes.parts();
        redis.cli({QStringLiteral("DEL"), QStringLiteral("tether:{c:room}:h")});
        CHECK_OK(sendReliable(y, 2, QCborValue(1), room, QStringLiteral("y1")));

        RawClient x2;
        QCborMap second;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &second, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(second, QLatin1StringView("resumed")), false);
        QVERIFY(sidOf(second) != sidOf(welcome));
        CHECK_OK(sendReliable(x2, 1, QCborValue(1)));
    }

    // Another node claimed the session (its `node` field names b) and this node was never
    // told: each kind of write it still makes for the session is refused by the fence (one
    // script with the check), logged, and its connection gets session_taken + 4409 (a close
    // or a drop has no connection left to close). Nothing of the session changes in Redis.
    void staleOwnerWritesAreRefused_data()
    {
        QTest::addColumn<QString>("write");
        for (const char *write : {"inRx", "nack", "ack", "sub", "unsub", "forget", "detach"})
            QTest::addRow("%s", write) << QString::fromLatin1(write);
    }
    void staleOwnerWritesAreRefused()
    {
        QFETCH(QString, write);
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), {QStringLiteral("--ack-delay"), QStringLiteral("0")}));
        START_SERVER(a);
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, a.url(), Codec::Json, &welcome));
        CHECK_OK(subscribe(c, QStringLiteral("room")));
        CHECK_OK(sendReliable(c, 1, QCborValue(1)));
        QList<QCborMap> pushed;
        CHECK_OK(pushAndCollect(c, 3, &pushed));
        QVERIFY(c.expectSilence(100));   // every write of a's has landed
        const QString key = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        redis.cli({QStringLiteral("HSET"), key, QStringLiteral("node"), QStringLiteral("b")});
        const QByteArray before = sessionDump(redis, sidOf(welcome));

        bool closesConnection = true;
        if (write == QLatin1String("inRx")) {
            c.sendFrame(msgFrame(2, QCborValue(2)));
        } else if (write == QLatin1String("nack")) {
            c.sendFrame(msgFrame(2, QCborValue(2), QStringLiteral("n2"), QStringLiteral("metrics")));   // read-only
        } else if (write == QLatin1String("ack")) {
            c.sendFrame(ackFrame(2));
        } else if (write == QLatin1String("sub")) {
            c.sendFrame(subFrame(7, QStringLiteral("other")));
        } else if (write == QLatin1String("unsub")) {
            c.sendFrame(unsubFrame(7, QStringLiteral("room")));
        } else if (write == QLatin1String("forget")) {
            c.close(QWebSocketProtocol::CloseCodeNormal);   // the app is done: the keys would go
            closesConnection = false;
        } else {
            c.abort();   // detached: its TTL would be shortened
            closesConnection = false;
        }
        if (closesConnection)
            CHECK_OK(expectErrorThenClose(c, QStringLiteral("session_taken"), 4409, kWaitMs));
        QVERIFY2(waitUntil([&] { return a.stderrTail().contains("write refused"); }, kWaitMs), a.stderrTail().constData());
        QCOMPARE(sessionDump(redis, sidOf(welcome)), before);
        QVERIFY(a.isRunning());
        RawClient other;   // the node goes on serving
        CHECK_OK(openSession(other, a.url(), Codec::Json));
        CHECK_OK(sendReliable(other, 1, QCborValue(1)));
    }

    // The session is taken over on b while a is frozen (SIGSTOP): what its client sent a
    // meanwhile is processed when a runs again, and those late writes must not land. With
    // the `take` a was sent lost (a's pub/sub link killed meanwhile), only the fence stops
    // them; with it pending, whichever a reads first. Either way a's client gets 4409 and
    // b's acknowledged messages stay as b wrote them.
    void frozenOwnerLosesTheSession_data()
    {
        QTest::addColumn<bool>("takeLost");
        QTest::addRow("take message lost") << true;
        QTest::addRow("take message pending") << false;
    }
    void frozenOwnerLosesTheSession()
    {
        QFETCH(bool, takeLost);
        RedisProcess redis;
        START_SERVER(redis);
        const QStringList fast{QStringLiteral("--ack-delay"), QStringLiteral("0")};
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), fast));
        ServerProcess b(nodeArgs({redis.url()}, QStringLiteral("b"), fast));
        START_SERVER(a);
        START_SERVER(b);
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Json, &welcome));
        for (quint64 seq = 1; seq <= 3; ++seq)
            CHECK_OK(sendReliable(c1, seq, QCborValue(qint64(seq))));
        QList<QCborMap> pushed;
        CHECK_OK(pushAndCollect(c1, 2, &pushed));
        QVERIFY(c1.expectSilence(100));

        QCOMPARE(::kill(pid_t(a.pid()), SIGSTOP), 0);
        // Sent to a while it is frozen: it reads them when it runs again.
        c1.sendFrame(msgFrame(4, QCborValue(QStringLiteral("late 4"))));
        c1.sendFrame(msgFrame(5, QCborValue(QStringLiteral("late 5"))));
        c1.sendFrame(ackFrame(2));
        if (takeLost)
            CHECK_OK(cutPubSubLinks(redis, b));   // b's link goes too (a, frozen, cannot reconnect)
        RawClient c2;
        QCborMap resumed;
        CHECK_OK(openSession(c2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(3));
        CHECK_OK(expectRetransmission(c2, pushed, 1, 2));
        for (quint64 seq = 4; seq <= 6; ++seq)
            CHECK_OK(sendReliable(c2, seq, QCborValue(QStringLiteral("b %1").arg(seq))));
        const QString key = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        const QByteArray before = sessionDump(redis, sidOf(welcome));
        QCOMPARE(redis.cli({QStringLiteral("HGET"), key, QStringLiteral("inRx")}), QByteArray("6"));

        QCOMPARE(::kill(pid_t(a.pid()), SIGCONT), 0);
        CHECK_OK(expectErrorThenClose(c1, QStringLiteral("session_taken"), 4409, kWaitMs));
        if (takeLost)
            QVERIFY2(waitUntil([&] { return a.stderrTail().contains("write refused"); }, kWaitMs), a.stderrTail().constData());
        QVERIFY(c2.expectSilence(300));   // a's late writes would have landed by now
        QCOMPARE(sessionDump(redis, sidOf(welcome)), before);
        // b goes on: the next message and the next push continue b's numbering.
        CHECK_OK(sendReliable(c2, 7, QCborValue(7)));
        QList<QCborMap> more;
        CHECK_OK(pushAndCollect(c2, 1, &more));
        QCOMPARE(uintField(more[0], QLatin1StringView("seq")), quint64(3));
        QCOMPARE(redis.cli({QStringLiteral("HGET"), key, QStringLiteral("inRx")}), QByteArray("7"));
        QVERIFY(a.isRunning());
    }

    // Presence is fenced like the session's own keys, with the session's claim generation
    // (presence lives on the channel's keys, another hash slot): a frozen a (its `take` lost
    // with its pub/sub link) processes its client's late `unsub` once it runs again, after b
    // resumed the session and joined it again. a's leave is refused and logged, and the
    // member stays, as b wrote it; without the fence it would vanish from the channel's
    // presence while the session lives on b.
    void stalePresenceWriteIsRefused()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start({QStringLiteral("--ack-delay"), QStringLiteral("0")}));
        RedisProcess &redis = nodes.redis;
        ServerProcess &a = nodes.a, &b = nodes.b;
        const QString room = QStringLiteral("room");
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Json, &welcome));
        CHECK_OK(subscribe(c1, room));
        QVERIFY(c1.expectSilence(100));
        const QString sessionKey = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        const QByteArray peer = redis.cli({QStringLiteral("HGET"), sessionKey, QStringLiteral("peer")});
        const QString members = QStringLiteral("tether:{c:room}:members");
        QVERIFY(!peer.isEmpty());
        QVERIFY(!redis.cli({QStringLiteral("HGET"), members, QString::fromUtf8(peer)}).isEmpty());

        QCOMPARE(::kill(pid_t(a.pid()), SIGSTOP), 0);
        c1.sendFrame(unsubFrame(7, room));   // read by a when it runs again
        CHECK_OK(cutPubSubLinks(redis, b));
        RawClient c2;
        QCborMap resumed;
        CHECK_OK(openSession(c2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        const QByteArray before = redis.cli({QStringLiteral("HGET"), members, QString::fromUtf8(peer)});
        QVERIFY(waitUntil([&] { return redis.cli({QStringLiteral("HGET"), QStringLiteral("tether:{c:room}:fence"),
                                                  QString::fromUtf8(peer)}) == "2"; }, kWaitMs));

        QCOMPARE(::kill(pid_t(a.pid()), SIGCONT), 0);
        CHECK_OK(expectErrorThenClose(c1, QStringLiteral("session_taken"), 4409, kWaitMs));
        QVERIFY2(waitUntil([&] { return a.stderrTail().contains("presence leave on room refused"); }, kWaitMs),
                 a.stderrTail().constData());
        QCOMPARE(redis.cli({QStringLiteral("HGET"), members, QString::fromUtf8(peer)}), before);
        QVERIFY(!redis.cli({QStringLiteral("ZSCORE"), QStringLiteral("tether:{c:room}:presence"), QString::fromUtf8(peer)}).isEmpty());
        QCborValue presence;
        CHECK_OK(expectResult(c2.request(QStringLiteral("presence"), QCborMap{{QStringLiteral("ch"), room}}, kWaitMs), &presence));
        QCOMPARE(presence.toMap().value(QStringLiteral("members")).toArray().size(), 1);
        QVERIFY(a.isRunning());
    }

    // A node resuming a session it still holds in memory asks Redis first: claimed by
    // another node meanwhile (a never heard), a's copy is stale and is not what the client
    // gets; a loads the session afresh (the other node's writes included) and claims it back.
    void sameNodeResumeChecksTheClaim()
    {
        RedisProcess redis;
        START_SERVER(redis);
        const QStringList fast{QStringLiteral("--ack-delay"), QStringLiteral("0")};
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), fast));
        START_SERVER(a);
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Json, &welcome));
        CHECK_OK(sendReliable(c1, 1, QCborValue(1)));
        c1.abort();   // detached on a, held in a's memory
        QVERIFY(c1.expectSilence(100));
        // Another node claimed it and received 2..4, and a never got the `take` (lost with
        // a pub/sub link): what such a node leaves in Redis.
        const QString key = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        redis.cli({QStringLiteral("HSET"), key, QStringLiteral("node"), QStringLiteral("b"), QStringLiteral("inRx"), QStringLiteral("4")});

        RawClient c3;
        QCborMap back;
        CHECK_OK(openSession(c3, a.url(), Codec::Json, &back, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(back, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(back, QLatin1StringView("rx")), quint64(4));   // not a's stale 1
        QVERIFY2(a.stderrTail().contains("stale"), a.stderrTail().constData());
        QCOMPARE(redis.cli({QStringLiteral("HGET"), key, QStringLiteral("node")}), QByteArray("a"));
        CHECK_OK(sendReliable(c3, 5, QCborValue(5)));
    }

    // a's pub/sub link is cut (CLIENT KILL TYPE pubsub, while a is frozen so that it cannot
    // reconnect before the publications) while b publishes reliable messages: once a
    // subscribes again it reads them from the stream after x's position and delivers each
    // once, in order. When the stream no longer has them (trimmed, new epoch), x's session
    // ends with history_lost (4010) and its next hello gets resumed=false: never a gap.
    void pubSubInterruptionLosesNothing_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addRow("link killed") << QString();
        QTest::addRow("stream trimmed") << QStringLiteral("trim");
        QTest::addRow("new epoch") << QStringLiteral("epoch");
    }
    void pubSubInterruptionLosesNothing()
    {
        QFETCH(QString, damage);
        RedisProcess redis;
        START_SERVER(redis);
        const QStringList fast{QStringLiteral("--ack-delay"), QStringLiteral("0")};
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), fast));
        ServerProcess b(nodeArgs({redis.url()}, QStringLiteral("b"), fast));
        START_SERVER(a);
        START_SERVER(b);
        const QString room = QStringLiteral("room");
        const QString stream = QStringLiteral("tether:{c:room}:h");
        RawClient x, y;
        QCborMap welcome;
        CHECK_OK(openSession(x, a.url(), Codec::Json, &welcome));
        CHECK_OK(subscribe(x, room));
        CHECK_OK(openSession(y, b.url(), Codec::Json));
        quint64 ySeq = 0;
        const auto publish = [&](int n) { return sendReliable(y, ++ySeq, QCborValue(n), room, QStringLiteral("y%1").arg(n)); };
        const auto expectIds = [&](int from, int to) -> QString {
            for (int n = from; n <= to; ++n) {
                const std::optional<QCborMap> got = nextDataMsg(x, kWaitMs);
                if (!got)
                    return QStringLiteral("y%1 missing: %2").arg(n).arg(x.errorString());
                const QString id = stringField(*got, QLatin1StringView("id")).value_or(QString());
                if (id != QStringLiteral("y%1").arg(n))
                    return QStringLiteral("expected y%1, got %2").arg(n).arg(id);
            }
            return {};
        };
        for (int n = 1; n <= 3; ++n)
            CHECK_OK(publish(n));
        CHECK_OK(expectIds(1, 3));

        QCOMPARE(::kill(pid_t(a.pid()), SIGSTOP), 0);
        redis.cli({QStringLiteral("CLIENT"), QStringLiteral("KILL"), QStringLiteral("TYPE"), QStringLiteral("pubsub")});
        if (damage == QLatin1String("epoch"))
            redis.cli({QStringLiteral("DEL"), stream});
        for (int n = 4; n <= 13; ++n)
            CHECK_OK(publish(n));
        if (damage == QLatin1String("trim"))
            redis.cli({QStringLiteral("XTRIM"), stream, QStringLiteral("MAXLEN"), QStringLiteral("0")});
        QCOMPARE(::kill(pid_t(a.pid()), SIGCONT), 0);

        if (!damage.isEmpty()) {
            CHECK_OK(expectErrorThenClose(x, QStringLiteral("history_lost"), 4010, 3 * kWaitMs));
            RawClient x2;
            QCborMap second;
            CHECK_OK(openSession(x2, a.url(), Codec::Json, &second, resumeHello(sidOf(welcome), 0)));
            QCOMPARE(boolField(second, QLatin1StringView("resumed")), false);   // the client's sessionLost
            return;
        }
        CHECK_OK(expectIds(4, 13));
        QVERIFY2(a.stderrTail().contains("interrupted"), a.stderrTail().constData());
        CHECK_OK(publish(14));   // live again, once
        CHECK_OK(expectIds(14, 14));
        QVERIFY(!nextDataMsg(x, 300));
    }

    // Two shards, the session's keys on one and the channel's on the other: the session's
    // stored inRx never passes a publication whose stream entry has not landed (else a node
    // dying then would leave a welcome.rx covering a publication that was never written,
    // and the client would drop it). The channel's shard is paused (CLIENT PAUSE) while a
    // publication and a plain message behind it arrive: neither is acked, inRx stays put.
    void publicationOnAnotherShardHoldsInRx()
    {
        RedisProcess r1, r2;
        QVERIFY2(r1.start(), qPrintable(r1.errorString()));
        QVERIFY2(r2.start(), qPrintable(r2.errorString()));
        ServerProcess a(nodeArgs({r1.url(), r2.url()}, QStringLiteral("a"), {QStringLiteral("--ack-delay"), QStringLiteral("0")}));
        START_SERVER(a);
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, a.url(), Codec::Json, &welcome));
        CHECK_OK(sendReliable(c, 1, QCborValue(1)));
        const QString key = QStringLiteral("tether:{s:%1}").arg(sidOf(welcome));
        const bool onFirst = r1.cli({QStringLiteral("EXISTS"), key}) == "1";
        RedisProcess &sessionShard = onFirst ? r1 : r2;
        RedisProcess &channelShard = onFirst ? r2 : r1;
        // CRC16 of the hash tag mod 2: "c:chaos" is shard 0 (r1), "c:chaos-2" shard 1 (r2).
        const QString ch = onFirst ? QStringLiteral("chaos-2") : QStringLiteral("chaos");

        channelShard.cli({QStringLiteral("CLIENT"), QStringLiteral("PAUSE"), QStringLiteral("1500")});
        c.sendFrame(msgFrame(2, QCborValue(2), QStringLiteral("pub-2"), ch));
        c.sendFrame(msgFrame(3, QCborValue(3)));
        QVERIFY(!c.waitFor([](const QCborMap &f) { return frameType(f) == QLatin1StringView("ack")
                                                        && uintField(f, QLatin1StringView("seq")).value_or(0) >= 2; }, 500));
        QCOMPARE(sessionShard.cli({QStringLiteral("HGET"), key, QStringLiteral("inRx")}), QByteArray("1"));
        // Once the entry landed: both acked, inRx 3.
        QVERIFY2(c.waitFor([](const QCborMap &f) { return frameType(f) == QLatin1StringView("ack")
                                                        && uintField(f, QLatin1StringView("seq")).value_or(0) >= 3; }, kWaitMs),
                 qPrintable(c.errorString()));
        QCOMPARE(sessionShard.cli({QStringLiteral("HGET"), key, QStringLiteral("inRx")}), QByteArray("3"));
        QCOMPARE(publicationsIn(channelShard, ch), QByteArray("1"));
    }

    // Two shards: sessions spread over both, each resumes on the other node.
    void twoShards()
    {
        RedisProcess r1, r2;
        QVERIFY2(r1.start(), qPrintable(r1.errorString()));
        QVERIFY2(r2.start(), qPrintable(r2.errorString()));
        ServerProcess a(nodeArgs({r1.url(), r2.url()}, QStringLiteral("a")));
        ServerProcess b(nodeArgs({r1.url(), r2.url()}, QStringLiteral("b")));
        START_SERVER(a);
        START_SERVER(b);
        constexpr int kSessions = 12;
        QStringList sids;
        for (int i = 0; i < kSessions; ++i) {
            RawClient c;
            QCborMap welcome;
            CHECK_OK(openSession(c, a.url(), Codec::Json, &welcome));
            CHECK_OK(sendReliable(c, 1, QCborValue(i)));
            sids << sidOf(welcome);
            c.abort();
        }
        const auto sessionsIn = [](RedisProcess &r) {
            int n = 0;
            for (const QByteArray &line : r.cli({QStringLiteral("KEYS"), QStringLiteral("tether:{s:*}")}).split('\n'))
                n += line.isEmpty() ? 0 : 1;
            return n;
        };
        const int onFirst = sessionsIn(r1);
        const int onSecond = sessionsIn(r2);
        QVERIFY2(onFirst > 0 && onSecond > 0, qPrintable(QStringLiteral("%1 / %2").arg(onFirst).arg(onSecond)));
        a.kill();
        for (const QString &sid : sids) {
            RawClient c;
            QCborMap resumed;
            CHECK_OK(openSession(c, b.url(), Codec::Json, &resumed, resumeHello(sid, 0)));
            QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
            QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
        }
    }
    // Redis forgets its scripts (SCRIPT FLUSH; a failover to a replica would do the same):
    // the node loads them again and repeats the call. Every publication is acked, in the
    // stream once, and delivered once in order.
    void scriptCacheFlushLosesNothing()
    {
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a")));
        START_SERVER(a);
        const QString room = QStringLiteral("room");
        RawClient x, y;
        CHECK_OK(openSession(x, a.url(), Codec::Json));
        CHECK_OK(subscribe(x, room));
        CHECK_OK(openSession(y, a.url(), Codec::Json));
        CHECK_OK(sendReliable(y, 1, QCborValue(1), room, QStringLiteral("p1")));
        QCOMPARE(metric(a, "tether_redis_script_reloads_total"), 0.0);
        QCOMPARE(redis.cli({QStringLiteral("SCRIPT"), QStringLiteral("FLUSH")}), QByteArray("OK"));
        // Both in one loop turn, then one more: the retried call and the next one.
        y.sendFrame(msgFrame(2, QCborValue(2), QStringLiteral("p2"), room));
        CHECK_OK(sendReliable(y, 3, QCborValue(3), room, QStringLiteral("p3")));
        CHECK_OK(sendReliable(y, 4, QCborValue(4), room, QStringLiteral("p4")));
        QStringList ids;
        for (int i = 0; i < 4; ++i) {
            const std::optional<QCborMap> got = nextDataMsg(x, kWaitMs);
            QVERIFY2(got, qPrintable(x.errorString()));
            ids << stringField(*got, QLatin1StringView("id")).value_or(QString());
        }
        QCOMPARE(ids, (QStringList{QStringLiteral("p1"), QStringLiteral("p2"), QStringLiteral("p3"), QStringLiteral("p4")}));
        QVERIFY(!nextDataMsg(x, 200));
        QCOMPARE(publicationsIn(redis, QStringLiteral("room")), QByteArray("4"));
        QVERIFY(metric(a, "tether_redis_script_reloads_total") >= 1);
        QCOMPARE(metric(a, "tether_redis_errors_total"), 0.0);
    }

    // The claim of a resume is not repeated after NOSCRIPT (behind the reads it would fence
    // nothing): that hello is refused as temporarily unavailable, the next one resumes.
    void resumeRetriedAfterScriptFlush()
    {
        TwoNodes nodes;
        CHECK_OK(nodes.start());
        RedisProcess &redis = nodes.redis;
        ServerProcess &a = nodes.a, &b = nodes.b;
        RawClient c1;
        QCborMap welcome;
        CHECK_OK(openSession(c1, a.url(), Codec::Json, &welcome));
        CHECK_OK(sendReliable(c1, 1, QCborValue(1)));
        c1.abort();
        QVERIFY(c1.expectSilence(100));
        QCOMPARE(redis.cli({QStringLiteral("SCRIPT"), QStringLiteral("FLUSH")}), QByteArray("OK"));
        RawClient refused;
        CHECK_OK(expectRefusal(refused, b.url(), QStringLiteral("unavailable"), 4014, resumeHello(sidOf(welcome), 0)));
        RawClient c2;
        QCborMap resumed;
        CHECK_OK(openSession(c2, b.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
        CHECK_OK(sendReliable(c2, 2, QCborValue(2)));
        // Every script b calls after the flush is loaded again once it meets NOSCRIPT: the
        // claim, and since session writes are fenced by a script too, those (2 or 3 here).
        QVERIFY(metric(b, "tether_redis_script_reloads_total") >= 1);
    }

    // The tether_redis_* counters of /metrics move with the traffic, not on the metrics
    // tick (an hour here).
    void redisMetricsAreLive()
    {
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"),
                                 {QStringLiteral("--metrics-interval"), QStringLiteral("3600000")}));
        START_SERVER(a);
        RawClient c;
        CHECK_OK(openSession(c, a.url(), Codec::Json));
        const double replies = metric(a, "tether_redis_replies_total");
        const double count = metric(a, "tether_redis_reply_wait_seconds_count");
        QVERIFY2(replies > 0, "the session's writes were answered before the welcome");
        CHECK_OK(sendReliable(c, 1, QCborValue(1), QStringLiteral("news")));
        QVERIFY(metric(a, "tether_redis_replies_total") > replies);
        QVERIFY(metric(a, "tether_redis_reply_wait_seconds_count") > count);
        QCOMPARE(metric(a, "tether_redis_errors_total"), 0.0);
        redis.kill();   // the next write fails: counted at once
        c.sendFrame(msgFrame(2, QCborValue(2)));
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("unavailable"), 4014, kWaitMs));
        QVERIFY(metric(a, "tether_redis_errors_total") > 0);
    }

    // A channel's keys carry --channel-ttl, refreshed while a node follows the channel;
    // unused, they expire.
    void channelKeysExpireWhenUnused()
    {
        RedisProcess redis;
        START_SERVER(redis);
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), {QStringLiteral("--channel-ttl"), QStringLiteral("1000")}));
        START_SERVER(a);
        RawClient x, y;
        CHECK_OK(openSession(x, a.url(), Codec::Json));
        CHECK_OK(subscribe(x, QStringLiteral("busy")));
        CHECK_OK(openSession(y, a.url(), Codec::Json));
        CHECK_OK(sendReliable(y, 1, QCborValue(1), QStringLiteral("idle")));
        CHECK_OK(sendReliable(y, 2, QCborValue(2), QStringLiteral("busy")));
        QVERIFY(nextDataMsg(x, kWaitMs));
        for (const char *suffix : {":h", ":epoch"}) {
            const long long ttl = pttl(redis, QStringLiteral("tether:{c:idle}") + QLatin1StringView(suffix)).toLongLong();
            QVERIFY2(ttl > 0 && ttl <= 1000, suffix);
        }
        for (const char *suffix : {":presence", ":members"}) {
            const long long ttl = pttl(redis, QStringLiteral("tether:{c:busy}") + QLatin1StringView(suffix)).toLongLong();
            QVERIFY2(ttl > 0 && ttl <= 1000, suffix);
        }
        // Three TTLs later: the unused channel is gone, the followed one is still there.
        spin(3000);
        const auto exists = [&](const QString &key) { return redis.cli({QStringLiteral("EXISTS"), key}); };
        QCOMPARE(exists(QStringLiteral("tether:{c:idle}:h")), QByteArray("0"));
        QCOMPARE(exists(QStringLiteral("tether:{c:idle}:epoch")), QByteArray("0"));
        for (const char *suffix : {":h", ":epoch", ":presence", ":members"})
            QCOMPARE(exists(QStringLiteral("tether:{c:busy}") + QLatin1StringView(suffix)), QByteArray("1"));
        // Nobody follows it any more: it expires too.
        x.close();
        QVERIFY(x.waitClosed());
        spin(2500);
        for (const char *suffix : {":h", ":epoch", ":presence", ":members"})
            QCOMPARE(exists(QStringLiteral("tether:{c:busy}") + QLatin1StringView(suffix)), QByteArray("0"));
    }

    // History lost by expiry: the next publication starts a new epoch, and a subscriber
    // whose position was in the expired stream gets resumed=false (sessionLost), never a
    // silent gap.
    void expiredHistoryMeansNewSession()
    {
        RedisProcess redis;
        START_SERVER(redis);
        const QStringList shortTtl{QStringLiteral("--channel-ttl"), QStringLiteral("1000")};
        ServerProcess a(nodeArgs({redis.url()}, QStringLiteral("a"), shortTtl));
        ServerProcess b(nodeArgs({redis.url()}, QStringLiteral("b"), shortTtl));
        START_SERVER(a);
        START_SERVER(b);
        const QString room = QStringLiteral("room");
        const QStringList epochKey{QStringLiteral("GET"), QStringLiteral("tether:{c:room}:epoch")};
        RawClient y;
        CHECK_OK(openSession(y, b.url(), Codec::Json));
        RawClient x;
        QCborMap welcome;
        CHECK_OK(openSession(x, a.url(), Codec::Json, &welcome));
        CHECK_OK(subscribe(x, room));
        CHECK_OK(sendReliable(y, 1, QCborValue(0), room, QStringLiteral("y0")));
        QVERIFY(nextDataMsg(x, kWaitMs));
        const QByteArray first = redis.cli(epochKey);
        QVERIFY(!first.isEmpty());
        x.abort();
        QVERIFY(x.expectSilence(100));
        a.kill();   // nobody follows the channel now
        QVERIFY(waitUntil([&] { return redis.cli({QStringLiteral("EXISTS"), QStringLiteral("tether:{c:room}:h")}) == "0"; },
                          kWaitMs));
        CHECK_OK(sendReliable(y, 2, QCborValue(1), room, QStringLiteral("y1")));
        const QByteArray second = redis.cli(epochKey);
        QVERIFY(!second.isEmpty());
        QVERIFY(second != first);

        RawClient x2;
        QCborMap again;
        CHECK_OK(openSession(x2, b.url(), Codec::Json, &again, resumeHello(sidOf(welcome), 0)));
        QCOMPARE(boolField(again, QLatin1StringView("resumed")), false);
        QVERIFY(sidOf(again) != sidOf(welcome));
    }
};

QTEST_GUILESS_MAIN(tst_ServerRedis)
#include "tst_server_redis.moc"
