// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "redis_process.h"

#include "wait.h"

#include <QtCore/QStandardPaths>
#include <QtNetwork/QTcpServer>

namespace Tether::Testing {

namespace {
quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}
} // namespace

RedisProcess::RedisProcess() = default;

RedisProcess::~RedisProcess()
{
    if (isRunning())
        stop();
}

bool RedisProcess::available()
{
    return !QStandardPaths::findExecutable(QStringLiteral("redis-server")).isEmpty()
        && !QStandardPaths::findExecutable(QStringLiteral("redis-cli")).isEmpty();
}

void RedisProcess::fail(const QString &why)
{
    m_error = why;
    if (m_process)
        m_error += QStringLiteral("\n--- redis output ---\n") + QString::fromUtf8(m_process->readAll());
}

bool RedisProcess::isRunning() const { return m_process && m_process->state() != QProcess::NotRunning; }

QString RedisProcess::url(int db) const
{
    return QStringLiteral("redis://127.0.0.1:%1").arg(m_port) + (db ? QStringLiteral("/%1").arg(db) : QString());
}

bool RedisProcess::start(quint16 port)
{
    if (isRunning()) {
        fail(QStringLiteral("start(): already running"));
        return false;
    }
    if (!m_dir) {
        m_dir = std::make_unique<QTemporaryDir>();
        if (!m_dir->isValid()) {
            fail(QStringLiteral("no temporary directory"));
            return false;
        }
    }
    m_port = port ? port : freeLoopbackPort();
    m_error.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setProgram(QStringLiteral("redis-server"));
    m_process->setArguments({QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
                             QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                             QStringLiteral("--appendonly"), QStringLiteral("yes"), QStringLiteral("--appendfsync"),
                             QStringLiteral("everysec"), QStringLiteral("--dir"), m_dir->path(),
                             QStringLiteral("--daemonize"), QStringLiteral("no"), QStringLiteral("--loglevel"),
                             QStringLiteral("warning")});
    m_process->start();
    const bool up = waitUntil(
        [this] {
            if (!isRunning())
                return true;
            return cli({QStringLiteral("PING")}) == "PONG";
        },
        kStartTimeoutMs);
    if (!up || !isRunning()) {
        fail(QStringLiteral("redis-server on port %1 did not answer PING").arg(m_port));
        kill();
        return false;
    }
    return true;
}

bool RedisProcess::stop(int timeoutMs)
{
    if (!isRunning())
        return false;
    m_process->terminate();
    if (!waitUntil([this] { return !isRunning(); }, timeoutMs)) {
        m_process->kill();
        m_process->waitForFinished(kStopTimeoutMs);
        return false;
    }
    return m_process->exitStatus() == QProcess::NormalExit && m_process->exitCode() == 0;
}

void RedisProcess::kill()
{
    if (!isRunning())
        return;
    m_process->kill();
    m_process->waitForFinished(kStopTimeoutMs);
}

bool RedisProcess::restart()
{
    stop();
    return start(m_port);
}

QByteArray RedisProcess::cliOn(quint16 port, const QStringList &args, int db)
{
    QProcess process;
    QStringList all{QStringLiteral("-p"), QString::number(port), QStringLiteral("--raw")};
    if (db)
        all << QStringLiteral("-n") << QString::number(db);
    process.start(QStringLiteral("redis-cli"), all + args);
    if (!process.waitForFinished(5000)) {
        process.kill();
        process.waitForFinished(1000);
        return {};
    }
    return process.readAllStandardOutput().trimmed();
}

} // namespace Tether::Testing
