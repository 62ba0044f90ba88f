// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "cluster_redis.h"

#include "wait.h"

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QStandardPaths>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#ifndef TETHER_REDIS_CONF
#define TETHER_REDIS_CONF ""
#endif

namespace Tether::Testing {

ClusterRedis::ClusterRedis() = default;

ClusterRedis::~ClusterRedis()
{
    if (isRunning())
        stop();
}

QString ClusterRedis::binaryPath()
{
    const QString inPath = QStandardPaths::findExecutable(QStringLiteral("redis-server"));
    if (!inPath.isEmpty())
        return inPath;
    return QFile::exists(QStringLiteral("/usr/bin/redis-server")) ? QStringLiteral("/usr/bin/redis-server") : QString();
}

QString ClusterRedis::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1").arg(m_port);
}

QByteArray ClusterRedis::log() const
{
    return m_log.right(64 * 1024);
}

bool ClusterRedis::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

bool ClusterRedis::answersPing(int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs && isRunning()) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_port);
        if (waitUntil([&] { return socket.state() == QAbstractSocket::ConnectedState
                                || socket.state() == QAbstractSocket::UnconnectedState; }, 1000)
            && socket.state() == QAbstractSocket::ConnectedState) {
            socket.write("PING\r\n");
            // While it loads the AOF Redis answers -LOADING: not ready yet.
            if (waitUntil([&] { return socket.bytesAvailable() >= 7 || socket.state() != QAbstractSocket::ConnectedState; }, 1000)
                && socket.readAll().startsWith("+PONG"))
                return true;
        }
        spin(20);
    }
    return false;
}

bool ClusterRedis::start(quint16 port)
{
    if (isRunning()) {
        m_error = QStringLiteral("start(): already running");
        return false;
    }
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        m_error = QStringLiteral("no redis-server (apt-get install redis-server)");
        return false;
    }
    if (!m_dir) {
        m_dir = std::make_unique<QTemporaryDir>();
        QFile::remove(m_dir->filePath(QStringLiteral("redis.conf")));
        if (!QFile::copy(QString::fromUtf8(TETHER_REDIS_CONF), m_dir->filePath(QStringLiteral("redis.conf")))) {
            m_error = QStringLiteral("cannot copy %1").arg(QString::fromUtf8(TETHER_REDIS_CONF));
            return false;
        }
    }
    if (port == 0) {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        port = probe.serverPort();
    }
    m_port = port;
    m_process = std::make_unique<QProcess>();
    m_process->setWorkingDirectory(m_dir->path());
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    QObject::connect(m_process.get(), &QProcess::readyRead, m_process.get(), [this] {
        m_log += m_process->readAll();
        if (m_log.size() > 256 * 1024)
            m_log.remove(0, m_log.size() - 64 * 1024);
    });
    m_process->start(binary, {QStringLiteral("./redis.conf"), QStringLiteral("--port"), QString::number(port)});
    if (answersPing(kStartTimeoutMs))
        return true;
    m_error = QStringLiteral("redis-server did not answer PING on port %1:\n%2").arg(port).arg(QString::fromUtf8(log()));
    kill();
    return false;
}

bool ClusterRedis::stop(int timeoutMs)
{
    if (!isRunning())
        return false;
    m_process->terminate();
    if (waitUntil([this] { return !isRunning(); }, timeoutMs))
        return m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
    m_error = QStringLiteral("redis-server did not exit within %1 ms of SIGTERM; killed").arg(timeoutMs);
    kill();
    return false;
}

void ClusterRedis::kill()
{
    if (!isRunning())
        return;
    m_process->kill();
    m_process->waitForFinished(10000);
}

bool ClusterRedis::restart()
{
    stop();
    return start(m_port);
}

} // namespace Tether::Testing
