// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The FaultProxy proves its own faults against an in-process TCP echo server, so the
// client tests built on it can trust that "cut" is a reset, "blackhole" passes nothing, etc.
#include "fault_proxy.h"
#include "wait.h"

#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtTest/QtTest>

#include <memory>

using namespace Tether::Testing;

namespace {

constexpr int kWaitMs = 5000;

// Echoes every byte back; remembers its accepted sockets.
class EchoServer : public QObject
{
public:
    EchoServer()
    {
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = server.nextPendingConnection()) {
                sockets.append(s);
                s->setParent(this);
                connect(s, &QTcpSocket::readyRead, s, [s] { s->write(s->readAll()); });
            }
        });
        server.listen(QHostAddress::LocalHost, 0);
    }
    int openSockets() const
    {
        int n = 0;
        for (QTcpSocket *s : sockets)
            n += s->state() == QAbstractSocket::ConnectedState;
        return n;
    }
    QTcpServer server;
    QList<QTcpSocket *> sockets;
};

// A client socket that collects what it reads.
struct Client {
    Client()
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                         [this] { received += socket.readAll(); });
    }
    bool connectTo(quint16 port)
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        return waitUntil([this] { return socket.state() == QAbstractSocket::ConnectedState; },
                         kWaitMs);
    }
    bool waitReceived(qsizetype n, int ms = kWaitMs)
    {
        return waitUntil([&] { return received.size() >= n; }, ms);
    }
    bool waitDisconnected(int ms = kWaitMs)
    {
        return waitUntil([this] { return socket.state() == QAbstractSocket::UnconnectedState; },
                         ms);
    }
    QTcpSocket socket;
    QByteArray received;
};

} // namespace

class tst_FaultProxy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_echo = std::make_unique<EchoServer>();
        QVERIFY(m_echo->server.isListening());
        m_proxy = std::make_unique<FaultProxy>();
        QVERIFY2(m_proxy->start(QStringLiteral("127.0.0.1"), m_echo->server.serverPort()),
                 qPrintable(m_proxy->errorString()));
    }
    void cleanup()
    {
        m_proxy.reset();
        m_echo.reset();
    }

    void forwardsBothWaysAndCounts()
    {
        Client a, b;
        QVERIFY(a.connectTo(m_proxy->port()));
        QVERIFY(b.connectTo(m_proxy->port()));
        a.socket.write("hello through the proxy");
        QVERIFY(a.waitReceived(23));
        QCOMPARE(a.received, QByteArray("hello through the proxy"));
        QCOMPARE(m_proxy->connectionsAccepted(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(m_proxy->connectionsOpen(), 2, kWaitMs);
        QCOMPARE(m_proxy->bytesForwarded(FaultProxy::Direction::ClientToServer), 23);
        QCOMPARE(m_proxy->bytesForwarded(FaultProxy::Direction::ServerToClient), 23);
        a.socket.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(m_proxy->connectionsOpen(), 1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->openSockets(), 1, kWaitMs);
    }

    void cutResetsBothSides()
    {
        Client c;
        QVERIFY(c.connectTo(m_proxy->port()));
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->openSockets(), 1, kWaitMs);
        QSignalSpy errors(&c.socket, &QTcpSocket::errorOccurred);
        m_proxy->cut();
        QVERIFY(c.waitDisconnected());
        QVERIFY(!errors.isEmpty());  // a reset is an error, a clean close would be none
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->openSockets(), 0, kWaitMs);
        QCOMPARE(m_proxy->connectionsOpen(), 0);
    }

    void closeAllFlushesThenCloses()
    {
        Client c;
        QVERIFY(c.connectTo(m_proxy->port()));
        m_proxy->setDelay(FaultProxy::Direction::ServerToClient, 200);
        c.socket.write("in flight");
        // The echo is held 200 ms in the proxy; a clean close still delivers it first.
        QTRY_COMPARE_WITH_TIMEOUT(m_proxy->bytesReceived(FaultProxy::Direction::ServerToClient),
                                  qint64(9), kWaitMs);
        QCOMPARE(m_proxy->bytesForwarded(FaultProxy::Direction::ServerToClient), 0);
        m_proxy->closeAll();
        QVERIFY(c.waitDisconnected());
        QCOMPARE(c.received, QByteArray("in flight"));
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->openSockets(), 0, kWaitMs);
    }

    void delayAddsLatencyEachWay_data()
    {
        QTest::addColumn<int>("upMs");
        QTest::addColumn<int>("downMs");
        QTest::addRow("up 80 ms") << 80 << 0;
        QTest::addRow("down 80 ms") << 0 << 80;
        QTest::addRow("both 60 ms") << 60 << 60;
    }
    void delayAddsLatencyEachWay()
    {
        QFETCH(int, upMs);
        QFETCH(int, downMs);
        m_proxy->setDelay(FaultProxy::Direction::ClientToServer, upMs);
        m_proxy->setDelay(FaultProxy::Direction::ServerToClient, downMs);
        Client c;
        QVERIFY(c.connectTo(m_proxy->port()));
        QElapsedTimer clock;
        clock.start();
        c.socket.write("ping");
        QVERIFY(c.waitReceived(4));
        const qint64 rtt = clock.elapsed();
        QVERIFY2(rtt >= upMs + downMs, qPrintable(QString::number(rtt)));
        QVERIFY2(rtt < upMs + downMs + 1000, qPrintable(QString::number(rtt)));
    }

    void bandwidthThrottles()
    {
        constexpr qint64 kRate = 100 * 1000;  // bytes/s; the bucket allows a 5 000-byte burst
        m_proxy->setBandwidth(FaultProxy::Direction::ServerToClient, kRate);
        Client c;
        QVERIFY(c.connectTo(m_proxy->port()));
        const QByteArray payload(30000, 'x');
        QElapsedTimer clock;
        clock.start();
        c.socket.write(payload);
        QVERIFY(c.waitReceived(payload.size()));
        // (30 000 - 5 000 burst) / 100 000 B/s = 250 ms at least.
        QVERIFY2(clock.elapsed() >= 240, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(c.received, payload);
        m_proxy->setBandwidth(FaultProxy::Direction::Both, 0);
        c.received.clear();
        clock.restart();
        c.socket.write(payload);
        QVERIFY(c.waitReceived(payload.size()));
        QVERIFY2(clock.elapsed() < 240, qPrintable(QString::number(clock.elapsed())));
    }

    void blackholeKeepsLinkOpenButPassesNothing()
    {
        Client c;
        QVERIFY(c.connectTo(m_proxy->port()));
        QTRY_COMPARE_WITH_TIMEOUT(m_echo->openSockets(), 1, kWaitMs);
        m_proxy->setBlackhole(true);
        c.socket.write("lost");
        QVERIFY(!waitUntil([&] { return !c.received.isEmpty(); }, 300));
        QCOMPARE(c.socket.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(m_echo->openSockets(), 1);

        // A close does not cross a half-open link either.
        m_echo->sockets.first()->disconnectFromHost();
        spin(100);
        QCOMPARE(c.socket.state(), QAbstractSocket::ConnectedState);

        // New connections are accepted but never reach the server.
        Client late;
        QVERIFY(late.connectTo(m_proxy->port()));
        late.socket.write("nothing");
        spin(200);
        QCOMPARE(m_echo->sockets.size(), 1);
        QVERIFY(late.received.isEmpty());

        // Lifting the blackhole helps new connections only.
        m_proxy->setBlackhole(false);
        Client fresh;
        QVERIFY(fresh.connectTo(m_proxy->port()));
        fresh.socket.write("ok");
        QVERIFY(fresh.waitReceived(2));
        c.socket.write("still lost");
        QVERIFY(!waitUntil([&] { return !c.received.isEmpty(); }, 200));
    }

    void refuseNewConnections()
    {
        Client before;
        QVERIFY(before.connectTo(m_proxy->port()));
        QVERIFY(m_proxy->setRefuseNewConnections(true));
        Client refused;
        QSignalSpy errors(&refused.socket, &QTcpSocket::errorOccurred);
        refused.socket.connectToHost(QHostAddress::LocalHost, m_proxy->port());
        QVERIFY(errors.wait(kWaitMs));
        QCOMPARE(errors.first().first().value<QAbstractSocket::SocketError>(),
                 QAbstractSocket::ConnectionRefusedError);
        // Connections made before keep working.
        before.socket.write("x");
        QVERIFY(before.waitReceived(1));
        QVERIFY(m_proxy->setRefuseNewConnections(false));
        Client after;
        QVERIFY(after.connectTo(m_proxy->port()));
        QCOMPARE(m_proxy->connectionsAccepted(), 2);
    }

    void unreachableTargetResetsClient()
    {
        const quint16 deadPort = m_echo->server.serverPort();
        m_echo.reset();  // nothing listens there any more
        m_proxy->setTarget(QStringLiteral("127.0.0.1"), deadPort);
        Client c;
        QVERIFY(c.connectTo(m_proxy->port()));
        QVERIFY(c.waitDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(m_proxy->connectionsOpen(), 0, kWaitMs);
    }

private:
    std::unique_ptr<EchoServer> m_echo;
    std::unique_ptr<FaultProxy> m_proxy;
};

QTEST_GUILESS_MAIN(tst_FaultProxy)
#include "tst_fault_proxy.moc"
