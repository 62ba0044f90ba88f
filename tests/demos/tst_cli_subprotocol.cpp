// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli --raw --subprotocol/--header against a WebSocket server that requires a
// subprotocol (an in-test QWebSocketServer that closes every socket without "chat.v2"
// with 1002 and echoes text frames to the others, prefixed with the X-Team header it got).
#include "cli_process.h"

#include <QtTest/QTest>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>

using namespace TetherDemosTest;

namespace {
constexpr int kRunMs = 20000;
}

class tst_CliSubprotocol : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void serverRequiringASubprotocol_data();
    void serverRequiringASubprotocol();

private:
    QWebSocketServer m_server{QStringLiteral("requires chat.v2"), QWebSocketServer::NonSecureMode};
    QStringList m_refused;  // subprotocols of the sockets the server refused
};

void tst_CliSubprotocol::initTestCase()
{
    m_server.setSupportedSubprotocols({QStringLiteral("chat.v2")});
    QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
    connect(&m_server, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *socket = m_server.nextPendingConnection()) {
            connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            if (socket->subprotocol() != QLatin1StringView("chat.v2")) {
                m_refused << socket->subprotocol();
                socket->close(QWebSocketProtocol::CloseCodeProtocolError, QStringLiteral("chat.v2 required"));
                continue;
            }
            const QString team = QString::fromUtf8(socket->request().rawHeader("X-Team"));
            connect(socket, &QWebSocket::textMessageReceived, socket, [socket, team](const QString &text) {
                socket->sendTextMessage(team + QLatin1Char('/') + text);
            });
        }
    });
}

void tst_CliSubprotocol::serverRequiringASubprotocol_data()
{
    QTest::addColumn<QStringList>("extraArgs");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("echo");
    QTest::addRow("offered: accepted, header sent")
        << QStringList{QStringLiteral("--subprotocol"), QStringLiteral("chat.v1"), QStringLiteral("--subprotocol"),
                       QStringLiteral("chat.v2"), QStringLiteral("--header"), QStringLiteral("X-Team: blue")}
        << 0 << QByteArray(R"({"ch":null,"id":null,"d":"blue/hello"})");
    QTest::addRow("not offered: refused, failed for good")
        << QStringList{QStringLiteral("--max-attempts"), QStringLiteral("1")} << 3 << QByteArray();
}

void tst_CliSubprotocol::serverRequiringASubprotocol()
{
    QFETCH(QStringList, extraArgs);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, echo);
    m_refused.clear();
    CliProcess cli;
    QStringList args{QStringLiteral("ws://127.0.0.1:%1/").arg(m_server.serverPort()), QStringLiteral("--raw"),
                     QStringLiteral("--count"), QStringLiteral("1"), QStringLiteral("--events"), QStringLiteral("json")};
    QVERIFY(cli.start(args + extraArgs));
    cli.write("hello\n");
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QVERIFY2(cli.exitCode() == exitCode, cli.stderrText().constData());
    if (exitCode == 0) {
        QCOMPARE(cli.stdoutLines(), QList<QByteArray>{echo});
        QVERIFY(m_refused.isEmpty());
    } else {
        QVERIFY(cli.stdoutLines().isEmpty());
        QVERIFY(!m_refused.isEmpty());
        QCOMPARE(m_refused.first(), QString());  // nothing was offered
    }
}

QTEST_GUILESS_MAIN(tst_CliSubprotocol)
#include "tst_cli_subprotocol.moc"
