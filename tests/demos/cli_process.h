// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// CliProcess: tether-cli as a child process of a test, fed through its stdin pipe, with its
// stdout (received messages) and stderr (events, `--events json` when the test parses them)
// collected as lines. Every wait is bounded and keeps the event loop running, so a
// ServerProcess and a FaultProxy work in the same thread.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QList>
#include <QtCore/QProcess>
#include <QtCore/QStringList>

namespace TetherDemosTest {

class CliProcess
{
public:
    CliProcess();
    ~CliProcess();  // kills a process still running

    static QString binaryPath();

    // Starts `tether-cli args...`; stdin stays open until closeStdin().
    bool start(const QStringList &args);
    void write(const QByteArray &bytes);
    void closeStdin();
    void terminate();  // SIGTERM
    qint64 pid() const;  // 0 when not running (a test SIGKILLs it with ::kill)

    // True when it exited within timeoutMs (exitCode() is then valid).
    bool waitFinished(int timeoutMs);
    int exitCode() const;
    bool isRunning() const;

    QList<QByteArray> stdoutLines();
    QList<QByteArray> stderrLines();
    QByteArray stderrText();
    // stderr lines parsed as JSON objects (`--events json`), in order.
    QList<QJsonObject> events();
    // How many events named `name` were written so far.
    int countEvents(const QString &name);
    // Waits until an event named `name` was written `count` times.
    bool waitForEvent(const QString &name, int timeoutMs, int count = 1);

private:
    void collect();

    QProcess m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
};

} // namespace TetherDemosTest
