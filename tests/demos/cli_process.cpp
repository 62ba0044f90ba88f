// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "cli_process.h"

#include "wait.h"

#include <QtCore/QJsonDocument>

namespace TetherDemosTest {

using Tether::Testing::waitUntil;

CliProcess::CliProcess()
{
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, [this] { collect(); });
    QObject::connect(&m_process, &QProcess::readyReadStandardError, [this] { collect(); });
}

CliProcess::~CliProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString CliProcess::binaryPath()
{
    return QStringLiteral(TETHER_CLI_BINARY);
}

bool CliProcess::start(const QStringList &args)
{
    m_process.start(binaryPath(), args);
    return m_process.waitForStarted(10000);
}

void CliProcess::write(const QByteArray &bytes)
{
    m_process.write(bytes);
}

void CliProcess::closeStdin()
{
    m_process.closeWriteChannel();
}

void CliProcess::terminate()
{
    m_process.terminate();
}

qint64 CliProcess::pid() const
{
    return m_process.processId();
}

bool CliProcess::waitFinished(int timeoutMs)
{
    const bool done = waitUntil([this] { return m_process.state() == QProcess::NotRunning; }, timeoutMs);
    collect();
    return done;
}

int CliProcess::exitCode() const
{
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

bool CliProcess::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

void CliProcess::collect()
{
    m_stdout += m_process.readAllStandardOutput();
    m_stderr += m_process.readAllStandardError();
}

static QList<QByteArray> completeLines(const QByteArray &text)
{
    QList<QByteArray> lines = text.split('\n');
    lines.removeLast();  // after the last '\n': empty, or a line still being written
    return lines;
}

QList<QByteArray> CliProcess::stdoutLines()
{
    collect();
    return completeLines(m_stdout);
}

QList<QByteArray> CliProcess::stderrLines()
{
    collect();
    return completeLines(m_stderr);
}

QByteArray CliProcess::stderrText()
{
    collect();
    return m_stderr;
}

QList<QJsonObject> CliProcess::events()
{
    QList<QJsonObject> result;
    for (const QByteArray &line : stderrLines()) {
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (doc.isObject())
            result.append(doc.object());
    }
    return result;
}

int CliProcess::countEvents(const QString &name)
{
    // Cheaper than parsing every line: the tests poll this while thousands arrive.
    const QByteArray needle = QByteArray("\"event\":\"") + name.toUtf8() + '"';
    collect();
    return int(m_stderr.count(needle));
}

bool CliProcess::waitForEvent(const QString &name, int timeoutMs, int count)
{
    return waitUntil([&] { return countEvents(name) >= count; }, timeoutMs);
}

} // namespace TetherDemosTest
