// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "nginx_process.h"

#include "wait.h"

#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QStandardPaths>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <csignal>
#include <sys/types.h>

#ifndef TETHER_NGINX_TEMPLATE
#define TETHER_NGINX_TEMPLATE ""
#endif

namespace Tether::Testing {

namespace {

constexpr qint64 kLogKeep = 64 * 1024;

// Children of `parent` (nginx's workers), from /proc: if the master has to be killed, its
// workers would otherwise outlive the test holding the port.
QList<qint64> childrenOf(qint64 parent)
{
    QList<qint64> children;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        // "pid (comm) state ppid ...": comm may hold spaces, so parse after the last ')'.
        const qsizetype close = line.lastIndexOf(')');
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == parent)
            children << pid;
    }
    return children;
}

// A port the kernel says is free now. nginx binds it a moment later; start() retries on
// the rare collision.
quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

QString timeout(int ms)
{
    return QString::number(ms) + QStringLiteral("ms");
}

} // namespace

NginxProcess::NginxProcess() = default;

NginxProcess::~NginxProcess()
{
    if (isRunning())
        stop();
}

QString NginxProcess::binaryPath()
{
    const QString fromEnv = qEnvironmentVariable("TETHER_NGINX_BINARY");
    if (!fromEnv.isEmpty())
        return fromEnv;
    const QString inPath = QStandardPaths::findExecutable(QStringLiteral("nginx"));
    if (!inPath.isEmpty())
        return inPath;
    // Debian puts it in /usr/sbin, which a non-root PATH often lacks.
    return QFile::exists(QStringLiteral("/usr/sbin/nginx")) ? QStringLiteral("/usr/sbin/nginx") : QString();
}

QString NginxProcess::templatePath()
{
    const QString fromEnv = qEnvironmentVariable("TETHER_NGINX_TEMPLATE");
    return fromEnv.isEmpty() ? QString::fromUtf8(TETHER_NGINX_TEMPLATE) : fromEnv;
}

QString NginxProcess::runtimeDir() const
{
    return m_dir ? m_dir->path() : QString();
}

void NginxProcess::fail(const QString &why)
{
    m_error = why;
    const QByteArray log = errorLog();
    if (!log.isEmpty())
        m_error += QStringLiteral("\n--- nginx error log ---\n") + QString::fromUtf8(log);
    if (m_process) {
        const QByteArray out = m_process->readAll();
        if (!out.isEmpty())
            m_error += QStringLiteral("\n--- nginx output ---\n") + QString::fromUtf8(out);
    }
}

QByteArray NginxProcess::errorLog() const
{
    if (!m_dir)
        return {};
    QFile log(m_dir->filePath(QStringLiteral("error.log")));
    if (!log.open(QIODevice::ReadOnly))
        return {};
    if (log.size() > kLogKeep)
        log.seek(log.size() - kLogKeep);
    return log.readAll();
}

bool NginxProcess::writeConfig(quint16 port)
{
    QFile in(templatePath());
    if (!in.open(QIODevice::ReadOnly)) {
        fail(QStringLiteral("cannot read the nginx config template '%1'").arg(templatePath()));
        return false;
    }
    QString config = QString::fromUtf8(in.readAll());
    QString upstreams;
    for (const auto &[host, upstreamPort] : std::as_const(m_upstreams))
        upstreams += QStringLiteral("        server %1:%2 max_fails=0;\n").arg(host).arg(upstreamPort);   // nginx.conf.in
    upstreams.chop(1);
    config.replace(QStringLiteral("@RUNTIME_DIR@"), m_dir->path());
    config.replace(QStringLiteral("@LISTEN@"), QStringLiteral("127.0.0.1:%1").arg(port));
    config.replace(QStringLiteral("@UPSTREAMS@"), upstreams);
    config.replace(QStringLiteral("@READ_TIMEOUT@"), timeout(m_readTimeoutMs));
    config.replace(QStringLiteral("@SEND_TIMEOUT@"), timeout(m_sendTimeoutMs));
    if (config.contains(QLatin1Char('@'))) {
        fail(QStringLiteral("the template has a placeholder this helper does not fill"));
        return false;
    }
    QFile out(m_dir->filePath(QStringLiteral("nginx.conf")));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate) || out.write(config.toUtf8()) < 0) {
        fail(QStringLiteral("cannot write %1").arg(out.fileName()));
        return false;
    }
    return true;
}

bool NginxProcess::waitAccepting(int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        if (!isRunning())
            return false;
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, m_port);
        if (waitUntil([&] { return probe.state() == QAbstractSocket::ConnectedState
                                || probe.state() == QAbstractSocket::UnconnectedState; }, 1000)
            && probe.state() == QAbstractSocket::ConnectedState)
            return true;
        spin(20);
    }
    return false;
}

bool NginxProcess::start(quint16 port)
{
    if (isRunning()) {
        fail(QStringLiteral("start(): nginx is already running"));
        return false;
    }
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        fail(QStringLiteral("no nginx binary (apt-get install nginx-light, or set TETHER_NGINX_BINARY)"));
        return false;
    }
    if (m_upstreams.isEmpty()) {
        fail(QStringLiteral("start(): no upstreams set"));
        return false;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        m_error.clear();
        m_dir = std::make_unique<QTemporaryDir>();
        if (!m_dir->isValid()) {
            fail(QStringLiteral("cannot create a temporary directory"));
            return false;
        }
        // When the test runs as root, nginx's worker runs as nobody and must reach its
        // temp directories in here.
        QFile::setPermissions(m_dir->path(), QFile::permissions(m_dir->path()) | QFile::ExeGroup
                                                 | QFile::ReadGroup | QFile::ExeOther | QFile::ReadOther);
        QDir(m_dir->path()).mkdir(QStringLiteral("tmp"));
        m_port = port != 0 ? port : freePort();
        if (m_port == 0 || !writeConfig(m_port)) {
            if (m_error.isEmpty())
                fail(QStringLiteral("no free port"));
            return false;
        }
        m_process = std::make_unique<QProcess>();
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->start(binary, {QStringLiteral("-p"), m_dir->path(),
                                  QStringLiteral("-e"), m_dir->filePath(QStringLiteral("error.log")),
                                  QStringLiteral("-c"), m_dir->filePath(QStringLiteral("nginx.conf"))});
        if (waitAccepting(kStartTimeoutMs))
            return true;
        const bool portTaken = errorLog().contains("Address already in use");
        fail(isRunning() ? QStringLiteral("nginx did not accept on port %1 within %2 ms").arg(m_port).arg(kStartTimeoutMs)
                         : QStringLiteral("nginx exited (code %1) before accepting on port %2")
                               .arg(m_process->exitCode()).arg(m_port));
        const QString why = m_error;
        stop();
        m_error = why;
        if (!(portTaken && port == 0))
            return false;
    }
    return false;
}

bool NginxProcess::reload()
{
    if (!isRunning()) {
        fail(QStringLiteral("reload(): nginx is not running"));
        return false;
    }
    const auto workersStarted = [this] { return errorLog().count("start worker process"); };
    const qsizetype before = workersStarted();
    if (!writeConfig(m_port))
        return false;
    ::kill(pid_t(m_process->processId()), SIGHUP);
    if (!waitUntil([&] { return workersStarted() > before; }, kStartTimeoutMs)) {
        fail(QStringLiteral("nginx started no new worker within %1 ms of SIGHUP").arg(kStartTimeoutMs));
        return false;
    }
    return true;
}

bool NginxProcess::stop(int timeoutMs)
{
    if (!m_process)
        return false;
    QProcess *process = m_process.get();
    if (process->state() == QProcess::NotRunning)
        return process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0;
    const qint64 master = process->processId();
    process->terminate();
    if (waitUntil([process] { return process->state() == QProcess::NotRunning; }, timeoutMs))
        return process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0;
    fail(QStringLiteral("nginx did not exit within %1 ms of SIGTERM; killed").arg(timeoutMs));
    const QList<qint64> workers = childrenOf(master);
    process->kill();
    for (qint64 worker : workers)
        ::kill(pid_t(worker), SIGKILL);
    process->waitForFinished(kStopTimeoutMs);
    return false;
}

bool NginxProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 NginxProcess::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

QUrl NginxProcess::url(const QString &path) const
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(m_port).arg(path));
}

} // namespace Tether::Testing
