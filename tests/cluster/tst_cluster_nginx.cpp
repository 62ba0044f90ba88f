// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client through nginx (the shipped packaging/cluster/nginx.conf.in) to
// tether-server nodes in memory mode: the upgrade, both codecs, reliable sends, requests,
// server pushes and publications pass through unchanged; least_conn spreads clients over
// the nodes; a node killed under a client is replaced by another one behind the same URL.
// What needs Redis (a session resuming on another node) is tst_cluster_chaos.
#include "client_harness.h"
#include "cluster_support.h"

#include "nginx_process.h"
#include "server_process.h"
#include "wait.h"

#include <QtCore/QCborMap>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

class tst_ClusterNginx : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!NginxProcess::binaryPath().isEmpty(), "nginx is not installed (packaging/install-deps.sh)");
        QVERIFY2(m_node.start(), qPrintable(m_node.errorString()));
        m_nginx.setUpstreams({{m_node.host(), m_node.port()}});
        QVERIFY2(m_nginx.start(), qPrintable(m_nginx.errorString()));
    }
    void cleanupTestCase()
    {
        QVERIFY2(m_nginx.stop(), qPrintable(m_nginx.errorString()));
        QVERIFY(m_node.stop());
    }

    void connectsThroughNginx_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QString>("subprotocol");
        QTest::addRow("json") << Codec::Json << QStringLiteral("tether.v1.1.json");
        QTest::addRow("cbor") << Codec::Cbor << QStringLiteral("tether.v1.1.cbor");
    }
    void connectsThroughNginx()
    {
        QFETCH(Codec, codec);
        QFETCH(QString, subprotocol);
        Client client(m_nginx.url(), fastOptions(codec));
        Recorder rec(&client);
        client.open();
        QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
        QCOMPARE(rec.connects, QList<bool>{false});
        // nginx passed Sec-WebSocket-Protocol both ways: the node picked the first offered name
        // (protocol v1.1 in the codec asked for).
        QCOMPARE(client.subprotocol(), subprotocol);
        QVERIFY(!client.sessionId().isEmpty());
        QVERIFY(rec.errors.isEmpty());
    }

    void everySendIsDelivered_data() { connectsThroughNginx_data(); }
    void everySendIsDelivered()
    {
        QFETCH(Codec, codec);
        Client client(m_nginx.url(), fastOptions(codec));
        Recorder rec(&client);
        client.open();
        QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
        const int n = 1000;
        QStringList ids;
        for (int i = 0; i < n; ++i) {
            QCborMap payload;
            payload.insert(QStringLiteral("n"), i);
            // Every fourth one large enough to span several nginx buffers (4/8 KiB).
            if (i % 4 == 0)
                payload.insert(QStringLiteral("pad"), QString(20000, QLatin1Char('x')));
            const SendResult r = client.send(QCborValue(payload));
            QVERIFY2(r.isOk(), qPrintable(r.error().toString()));
            ids << r.id();
        }
        QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == n; }, kWaitMs));
        QCOMPARE(rec.order, ids);
        QCOMPARE(rec.doubleOutcomes, 0);
        QCOMPARE(rec.connects.size(), 1);
    }

    void requestsAndPushesPassThrough()
    {
        Client client(m_nginx.url(), fastOptions(Codec::Cbor));
        Recorder rec(&client);
        client.open();
        QCborMap big;
        big.insert(QStringLiteral("blob"), QByteArray(200000, 'b'));
        std::unique_ptr<Reply> echo(client.request(QStringLiteral("echo"), QCborValue(big)));
        QVERIFY(waitUntil([&] { return echo->isFinished(); }, kWaitMs));
        QVERIFY2(!echo->error().isError(), qPrintable(echo->error().toString()));
        QCOMPARE(echo->result(), QCborValue(big));

        const int n = 3000;
        QCborMap params;
        params.insert(QStringLiteral("count"), n);
        std::unique_ptr<Reply> push(client.request(QStringLiteral("push"), QCborValue(params)));
        QVERIFY(waitUntil([&] { return rec.messages.size() >= n && push->isFinished(); }, kWaitMs));
        QCOMPARE(rec.messages.size(), n);
        for (int i = 0; i < n; ++i)
            QCOMPARE(rec.messages.at(i).payload().toMap().value(QStringLiteral("n")).toInteger(), i + 1);
    }

    void publicationsReachOtherSubscribers()
    {
        Client alice(m_nginx.url(), fastOptions(Codec::Json));
        Client bob(m_nginx.url(), fastOptions(Codec::Cbor));
        Recorder bobRec(&bob);
        Recorder aliceRec(&alice);
        alice.open();
        bob.open();
        std::unique_ptr<Reply> sub(bob.subscribe(QStringLiteral("through-nginx")));
        QVERIFY(waitUntil([&] { return sub->isFinished(); }, kWaitMs));
        QVERIFY(!sub->error().isError());
        SendOptions o;
        o.channel = QStringLiteral("through-nginx");
        const int n = 500;
        QStringList ids;
        for (int i = 0; i < n; ++i)
            ids << alice.send(QCborValue(i), o).id();
        const auto received = [&] {
            QStringList got;
            for (const Message &m : std::as_const(bobRec.messages))
                if (!m.id().isEmpty() && ids.contains(m.id()))
                    got << m.id();
            return got;
        };
        QVERIFY(waitUntil([&] { return aliceRec.count(QStringLiteral("delivered")) == n; }, kWaitMs));
        QVERIFY(waitUntil([&] { return received().size() >= n; }, kWaitMs));
        QCOMPARE(received(), ids);  // once each, in order
    }

    // least_conn: with equal counts nginx takes the nodes in turn, so 2k clients on two
    // fresh nodes end k and k (seen from the nodes' own /metrics).
    void leastConnSpreadsClients()
    {
        ServerProcess a, b;
        QVERIFY2(a.start(), qPrintable(a.errorString()));
        QVERIFY2(b.start(), qPrintable(b.errorString()));
        NginxProcess nginx;
        nginx.setUpstreams({{a.host(), a.port()}, {b.host(), b.port()}});
        QVERIFY2(nginx.start(), qPrintable(nginx.errorString()));
        std::vector<std::unique_ptr<Client>> clients;
        std::vector<std::unique_ptr<Recorder>> recorders;
        const int k = 4;
        for (int i = 0; i < 2 * k; ++i) {
            clients.push_back(std::make_unique<Client>(nginx.url(), fastOptions()));
            recorders.push_back(std::make_unique<Recorder>(clients.back().get()));
            clients.back()->open();
            // One at a time: least_conn compares counts as they are when a client arrives.
            QVERIFY(waitUntil([&] { return recorders.back()->connectedCount(1); }, kWaitMs));
        }
        QVERIFY(pollUntil([&] { return nodeConnections(m_nam, a) == k && nodeConnections(m_nam, b) == k; }, kWaitMs));
        QVERIFY2(nginx.stop(), qPrintable(nginx.errorString()));
    }

    // A node killed under its clients: they reconnect through the same URL and nginx sends
    // them to the live node (the dead one refuses, proxy_next_upstream tries the next).
    // Memory mode: a new session there; what was unacknowledged is sent again and ends
    // delivered, nothing is lost on the sending side.
    void killedNodeIsReplacedBehindTheSameUrl()
    {
        ServerProcess a, b;
        QVERIFY2(a.start(), qPrintable(a.errorString()));
        QVERIFY2(b.start(), qPrintable(b.errorString()));
        NginxProcess nginx;
        nginx.setUpstreams({{a.host(), a.port()}, {b.host(), b.port()}});
        QVERIFY2(nginx.start(), qPrintable(nginx.errorString()));

        Client client(nginx.url(), fastOptions());
        Recorder rec(&client);
        client.open();
        QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
        QVERIFY(pollUntil([&] { return nodeConnections(m_nam, a) + nodeConnections(m_nam, b) == 1; }, kWaitMs));
        ServerProcess &holder = nodeConnections(m_nam, a) == 1 ? a : b;
        ServerProcess &other = &holder == &a ? b : a;

        // Killed mid-stream: some acked, some in flight, the second half sent while the
        // client is reconnecting.
        const int n = 4000;
        QStringList ids;
        for (int i = 0; i < n / 2; ++i)
            ids << client.send(QCborValue(i)).id();
        QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) >= n / 8; }, kWaitMs));
        QVERIFY(rec.count(QStringLiteral("delivered")) < n / 2);
        holder.kill();
        for (int i = n / 2; i < n; ++i)
            ids << client.send(QCborValue(i)).id();
        QVERIFY(waitUntil([&] { return rec.count(QStringLiteral("delivered")) == n; }, 3 * kWaitMs));
        QCOMPARE(rec.doubleOutcomes, 0);
        for (const QString &id : std::as_const(ids))
            QCOMPARE(rec.outcomes.value(id), QStringLiteral("delivered"));
        QCOMPARE(rec.connects.size(), 2);
        QVERIFY(pollUntil([&] { return nodeConnections(m_nam, other) == 1; }, kWaitMs));
        QVERIFY2(nginx.stop(), qPrintable(nginx.errorString()));
    }

    // Plain HTTP through nginx: /metrics is not served publicly (scrape the nodes).
    void metricsAreNotProxied()
    {
        QUrl url = m_nginx.url(QStringLiteral("/metrics"));
        url.setScheme(QStringLiteral("http"));
        std::unique_ptr<QNetworkReply> reply(m_nam.get(QNetworkRequest(url)));
        QVERIFY(waitUntil([&] { return reply->isFinished(); }, kWaitMs));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
        QVERIFY(!reply->readAll().contains("tether_connections"));
    }

private:
    ServerProcess m_node;
    NginxProcess m_nginx;
    QNetworkAccessManager m_nam;
};

QTEST_GUILESS_MAIN(tst_ClusterNginx)
#include "tst_cluster_nginx.moc"
