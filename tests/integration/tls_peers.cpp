// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "tls_peers.h"

#include "wait.h"

#include <QtCore/QProcessEnvironment>
#include <QtCore/QRegularExpression>

namespace Tether::Testing {

namespace {
constexpr int kStartTimeoutMs = 10000;
constexpr int kMaxConnectRequest = 8192;
}

OpenSslServer::~OpenSslServer()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool OpenSslServer::start(const QString &cert, const QString &key, const QStringList &extraArgs, bool legacyConfig)
{
    QStringList args{QStringLiteral("s_server"), QStringLiteral("-accept"), QStringLiteral("127.0.0.1:0"),
                     QStringLiteral("-cert"), cert, QStringLiteral("-key"), key};
    if (legacyConfig) {
        args << QStringLiteral("-cipher") << QStringLiteral("DEFAULT@SECLEVEL=0");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OPENSSL_CONF"), QStringLiteral("/dev/null"));
        m_process.setProcessEnvironment(env);
    }
    args += extraArgs;
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    // stdin stays an open pipe: s_server ends when its stdin reaches end of file.
    m_process.start(QStringLiteral("openssl"), args);
    if (!m_process.waitForStarted(kStartTimeoutMs)) {
        m_error = QStringLiteral("openssl s_server: ") + m_process.errorString();
        return false;
    }
    static const QRegularExpression accept(QStringLiteral("ACCEPT 127\\.0\\.0\\.1:(\\d+)"));
    const bool ready = waitUntil([&] {
        const QRegularExpressionMatch match = accept.match(QString::fromLatin1(output()));
        if (match.hasMatch())
            m_port = quint16(match.captured(1).toUInt());
        return m_port != 0 || m_process.state() == QProcess::NotRunning;
    }, kStartTimeoutMs);
    if (!ready || !m_port) {
        m_error = QStringLiteral("openssl s_server did not start: ") + QString::fromLatin1(m_output);
        return false;
    }
    return true;
}

QByteArray OpenSslServer::output()
{
    m_output += m_process.readAll();
    return m_output;
}

ConnectProxy::ConnectProxy()
{
    connect(&m_server, &QTcpServer::newConnection, this, &ConnectProxy::onNewConnection);
}

ConnectProxy::~ConnectProxy() = default;

bool ConnectProxy::start()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

void ConnectProxy::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        client->setParent(this);
        auto *upstream = new QTcpSocket(client);
        auto request = std::make_shared<QByteArray>();
        connect(client, &QTcpSocket::readyRead, client, [this, client, upstream, request] {
            if (upstream->state() == QAbstractSocket::ConnectedState) {
                upstream->write(client->readAll());
                return;
            }
            *request += client->readAll();
            const qsizetype end = request->indexOf("\r\n\r\n");
            if (end < 0) {
                if (request->size() > kMaxConnectRequest)
                    client->abort();
                return;
            }
            if (upstream->state() != QAbstractSocket::UnconnectedState)
                return;  // already connecting; the rest is sent once connected
            static const QRegularExpression line(QStringLiteral("^CONNECT ([^ :]+):(\\d+) HTTP/1\\.[01]\r\n"));
            const QRegularExpressionMatch match = line.match(QString::fromLatin1(*request));
            if (!match.hasMatch()) {
                client->write("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                client->disconnectFromHost();
                return;
            }
            ++m_tunnels;
            m_targets << match.captured(1) + QLatin1Char(':') + match.captured(2);
            request->remove(0, end + 4);
            connect(upstream, &QTcpSocket::connected, client, [client, upstream, request] {
                client->write("HTTP/1.1 200 Connection established\r\n\r\n");
                if (!request->isEmpty())
                    upstream->write(*request);
                request->clear();
            });
            upstream->connectToHost(match.captured(1), quint16(match.captured(2).toUInt()));
        });
        connect(upstream, &QTcpSocket::readyRead, client, [client, upstream] { client->write(upstream->readAll()); });
        connect(upstream, &QTcpSocket::disconnected, client, [client] { client->disconnectFromHost(); });
        connect(upstream, &QTcpSocket::errorOccurred, client, [client] { client->abort(); });
        connect(client, &QTcpSocket::disconnected, client, [client, upstream] {
            upstream->disconnectFromHost();
            client->deleteLater();
        });
    }
}

} // namespace Tether::Testing
