// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// nginx closes a proxied WebSocket on which nothing moved for proxy_read_timeout; the SDK's
// heartbeat (a ping every interval, answered by the node's pong) is what keeps an idle but
// healthy connection through it. docs/cluster.md sizes the timeout against the heartbeat:
// interval + heartbeat timeout < proxy_read_timeout. Scaled down here so the whole suite
// stays near 10 s: nginx at 1.5 s.
//   - interval 0.4 s (below nginx's timeout): the connection outlives 4 nginx timeouts;
//   - control, heartbeat off: nginx closes the idle connection after ~1.5 s;
//   - control, interval 2.5 s (above nginx's timeout): closed before the first ping.
// The controls are what make the first case able to fail: without them a proxy that never
// times out would pass it too.
#include "client_harness.h"

#include "nginx_process.h"
#include "server_process.h"
#include "wait.h"

#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;
using namespace std::chrono_literals;

namespace {

constexpr int kNginxTimeoutMs = 1500;

ClientOptions heartbeatOptions(std::chrono::milliseconds interval)
{
    ClientOptions o = fastOptions();
    o.heartbeat.interval = interval;
    o.heartbeat.timeout = 1000ms;
    return o;
}

} // namespace

class tst_ClusterHeartbeat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!NginxProcess::binaryPath().isEmpty(), "nginx is not installed (packaging/install-deps.sh)");
        // --heartbeat 0: welcome carries no hb, so the client's own interval applies (a
        // node's --heartbeat would override it). No server pings (--ping-interval off):
        // only the client's heartbeat moves anything on an idle connection.
        m_node.setExtraArgs({QStringLiteral("--heartbeat"), QStringLiteral("0")});
        QVERIFY2(m_node.start(), qPrintable(m_node.errorString()));
        m_nginx.setUpstreams({{m_node.host(), m_node.port()}});
        m_nginx.setReadTimeoutMs(kNginxTimeoutMs);
        m_nginx.setSendTimeoutMs(kNginxTimeoutMs);
        QVERIFY2(m_nginx.start(), qPrintable(m_nginx.errorString()));
    }
    void cleanupTestCase()
    {
        QVERIFY2(m_nginx.stop(), qPrintable(m_nginx.errorString()));
        QVERIFY(m_node.stop());
    }

    void heartbeatKeepsIdleConnectionUp()
    {
        Client client(m_nginx.url(), heartbeatOptions(400ms));
        Recorder rec(&client);
        client.open();
        QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
        // Idle for four of nginx's timeouts: only pings and pongs move.
        spin(4 * kNginxTimeoutMs);
        QCOMPARE(rec.disconnects, QList<int>{});
        QCOMPARE(rec.connects, QList<bool>{false});
        QCOMPARE(client.state(), State::Connected);
        // 6 s / 0.4 s = 15 pings; a loaded machine may fire a few late.
        QVERIFY2(rec.rtts.size() >= 8, qPrintable(QString::number(rec.rtts.size())));
        // Still the same, working connection.
        const QString id = client.send(QCborValue(1)).id();
        QVERIFY(waitUntil([&] { return rec.outcomes.value(id) == QStringLiteral("delivered"); }, kWaitMs));
        QCOMPARE(rec.connects.size(), 1);
    }

    void idleConnectionIsClosedByNginx_data()
    {
        QTest::addColumn<int>("intervalMs");
        QTest::addRow("heartbeat off") << 0;
        QTest::addRow("interval above nginx's timeout") << 2500;
    }
    void idleConnectionIsClosedByNginx()
    {
        QFETCH(int, intervalMs);
        Client client(m_nginx.url(), heartbeatOptions(std::chrono::milliseconds(intervalMs)));
        Recorder rec(&client);
        QElapsedTimer sinceConnected;
        qint64 droppedAfterMs = -1;
        connect(&client, &Client::connected, this, [&] { sinceConnected.start(); });
        connect(&client, &Client::disconnected, this, [&] {
            if (droppedAfterMs < 0)
                droppedAfterMs = sinceConnected.elapsed();
        });
        client.open();
        QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
        QVERIFY2(waitUntil([&] { return droppedAfterMs >= 0; }, 3 * kNginxTimeoutMs),
                 "nginx did not close the idle connection: is proxy_read_timeout applied?");
        // nginx's timer, not something else: not before its timeout, not long after.
        QVERIFY2(droppedAfterMs >= kNginxTimeoutMs - 100 && droppedAfterMs <= 2 * kNginxTimeoutMs,
                 qPrintable(QStringLiteral("dropped after %1 ms").arg(droppedAfterMs)));
        QCOMPARE(rec.rtts.size(), 0);  // no pong ever came back before the cut
        // The SDK treats it as a lost connection and reconnects by itself.
        QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
    }

private:
    ServerProcess m_node;
    NginxProcess m_nginx;
};

QTEST_GUILESS_MAIN(tst_ClusterHeartbeat)
#include "tst_cluster_heartbeat.moc"
