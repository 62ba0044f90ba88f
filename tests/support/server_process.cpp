// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "server_process.h"

#include "wait.h"

#include <QtCore/QRegularExpression>

#ifndef TETHER_SERVER_BINARY
#define TETHER_SERVER_BINARY ""
#endif

namespace Tether::Testing {

namespace {
constexpr qsizetype kStderrKeep = 64 * 1024;

void appendBounded(QByteArray &buffer, const QByteArray &more)
{
    buffer += more;
    if (buffer.size() > kStderrKeep)
        buffer.remove(0, buffer.size() - kStderrKeep);
}
} // namespace

bool serverSpeaksV11()
{
    static const bool v11 = qEnvironmentVariable("TETHER_TEST_SERVER_PROTOCOL") != QLatin1StringView("1");
    return v11;
}

QString sdkSubprotocol(QLatin1StringView codec)
{
    return (serverSpeaksV11() ? QLatin1StringView("tether.v1.1.") : QLatin1StringView("tether.v1.")) + codec;
}

ServerProcess::ServerProcess(QStringList extraArgs) : m_extraArgs(std::move(extraArgs)) {}

ServerProcess::~ServerProcess()
{
    if (isRunning())
        stop();
}

QString ServerProcess::binaryPath()
{
    const QString fromEnv = qEnvironmentVariable("TETHER_SERVER_BINARY");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QString::fromUtf8(TETHER_SERVER_BINARY);
}

void ServerProcess::fail(const QString &why)
{
    m_error = why;
    if (!m_stderr.isEmpty())
        m_error += QStringLiteral("\n--- server stderr ---\n") + QString::fromUtf8(m_stderr);
}

void ServerProcess::readStderr()
{
    if (m_process)
        appendBounded(m_stderr, m_process->readAllStandardError());
}

bool ServerProcess::start(quint16 port)
{
    if (isRunning()) {
        fail(QStringLiteral("start(): the server is already running"));
        return false;
    }
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        fail(QStringLiteral("no tether-server binary: build with TETHER_BUILD_DEMOS=ON or set "
                            "TETHER_SERVER_BINARY"));
        return false;
    }
    m_error.clear();
    m_stdout.clear();
    m_stderr.clear();
    m_host.clear();
    m_port = 0;

    m_process = std::make_unique<QProcess>();
    m_process->setProgram(binary);
    QStringList versionArgs;  // a v1-only server for the SDK's v1 path (frames.h)
    if (!serverSpeaksV11())
        versionArgs = {QStringLiteral("--protocol"), QStringLiteral("1")};
    m_process->setArguments(QStringList{QStringLiteral("--port"), QString::number(port)}
                            + versionArgs + m_extraArgs);
    QProcess *process = m_process.get();
    QObject::connect(process, &QProcess::readyReadStandardError, process,
                     [this] { readStderr(); });
    // After the ready line stdout must stay empty; keep reading it so a chatty server can
    // never block on a full pipe.
    QObject::connect(process, &QProcess::readyReadStandardOutput, process, [this] {
        appendBounded(m_stdout, m_process->readAllStandardOutput());
    });
    process->start();

    static const QRegularExpression ready(
        QStringLiteral("^listening on (.+):(\\d+)\\r?\\n"), QRegularExpression::MultilineOption);
    QRegularExpressionMatch match;
    const bool up = waitUntil(
        [&] {
            match = ready.match(QString::fromUtf8(m_stdout));
            return match.hasMatch() || process->state() == QProcess::NotRunning;
        },
        kStartTimeoutMs);
    if (!up || !match.hasMatch()) {
        readStderr();
        const QString why = process->state() == QProcess::NotRunning
            ? QStringLiteral("%1 exited (code %2, %3) before printing its ready line")
                  .arg(binary)
                  .arg(process->exitCode())
                  .arg(process->errorString())
            : QStringLiteral("%1 printed no ready line within %2 ms (stdout: '%3')")
                  .arg(binary)
                  .arg(kStartTimeoutMs)
                  .arg(QString::fromUtf8(m_stdout));
        fail(why);
        if (process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(kStopTimeoutMs);
        }
        return false;
    }
    m_host = match.captured(1);
    m_port = quint16(match.captured(2).toUInt());
    if (m_port == 0 || (port != 0 && m_port != port)) {
        fail(QStringLiteral("ready line names port %1, expected %2").arg(m_port).arg(port));
        stop();
        return false;
    }
    return true;
}

bool ServerProcess::stop(int timeoutMs)
{
    if (!m_process)
        return false;
    QProcess *process = m_process.get();
    bool clean = false;
    if (process->state() != QProcess::NotRunning) {
        process->terminate();  // SIGTERM
        const bool exited = waitUntil(
            [process] { return process->state() == QProcess::NotRunning; }, timeoutMs);
        if (!exited) {
            fail(QStringLiteral("the server did not exit within %1 ms of SIGTERM; killed")
                     .arg(timeoutMs));
            process->kill();
            process->waitForFinished(kStopTimeoutMs);
        } else {
            clean = process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0;
            if (!clean)
                fail(QStringLiteral("the server exited with code %1 (%2) after SIGTERM")
                         .arg(process->exitCode())
                         .arg(process->exitStatus() == QProcess::NormalExit
                                  ? QStringLiteral("normal exit")
                                  : QStringLiteral("crashed")));
        }
    }
    readStderr();
    m_exitCode = process->exitCode();
    m_exitStatus = process->exitStatus();
    return clean;
}

void ServerProcess::kill()
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    m_process->kill();
    m_process->waitForFinished(kStopTimeoutMs);
    readStderr();
    m_exitCode = m_process->exitCode();
    m_exitStatus = m_process->exitStatus();
}

bool ServerProcess::restart()
{
    const quint16 samePort = m_port;
    stop();
    return start(samePort);
}

bool ServerProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 ServerProcess::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

QUrl ServerProcess::url(const QString &path) const
{
    // QUrl splits a query given in the path argument only when parsed as a whole URL.
    return QUrl(QStringLiteral("ws://%1:%2%3").arg(m_host).arg(m_port).arg(path));
}

ServerProcess::ToolResult ServerProcess::runTool(const QStringList &args, int timeoutMs)
{
    ToolResult result;
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        result.err = "no tether-server binary";
        return result;
    }
    QProcess process;
    process.start(binary, args);
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(kStopTimeoutMs);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput().trimmed();
    result.err = process.readAllStandardError();
    return result;
}

} // namespace Tether::Testing
