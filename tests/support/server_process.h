// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// ServerProcess: the reference server (`tether-server`) as a child process of a test.
//
// start() launches the binary with `--port 0` (or a fixed port) plus the test's extra
// arguments and waits, bounded, for the one stdout line `listening on <host>:<port>`.
// stderr is captured (last 64 KiB) so a failing test can show what the server said.
// stop() sends SIGTERM and waits; only when the server does not exit in time is it killed.
// restart() brings it back on the same port (clients reconnect to the same URL).
//
// The binary is the build's `tether-server` (path compiled in by CMake); the environment
// variable TETHER_SERVER_BINARY overrides it, so the suites can run against another
// implementation of docs/protocol.md.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <memory>

namespace Tether::Testing {

// False when TETHER_TEST_SERVER_PROTOCOL=1: every ServerProcess then runs with
// `--protocol 1` (a v1-only server), so client suites test the SDK's v1 path.
bool serverSpeaksV11();
// The subprotocol the SDK gets from such a server: "tether.v1.1.<codec>", or
// "tether.v1.<codec>" from a v1-only one. `codec` is "json" or "cbor".
QString sdkSubprotocol(QLatin1StringView codec);

class ServerProcess
{
public:
    // Bound for start() and stop(): generous for ASan builds on a loaded machine.
    static constexpr int kStartTimeoutMs = 10000;
    static constexpr int kStopTimeoutMs = 10000;

    explicit ServerProcess(QStringList extraArgs = {});
    ~ServerProcess();  // stop()s a running server
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    // The server binary this process runs; empty when the build has none.
    static QString binaryPath();

    // Arguments added after `--port N` (e.g. {"--readonly", "news.*"}); used by the next
    // start().
    void setExtraArgs(const QStringList &args) { m_extraArgs = args; }
    QStringList extraArgs() const { return m_extraArgs; }

    // Starts the server on `port` (0 = a free port picked by the server) and waits for its
    // ready line. False on failure: errorString() says why (with the server's stderr).
    bool start(quint16 port = 0);
    // SIGTERM, then waits up to timeoutMs for the exit; SIGKILL when it does not exit.
    // True when the server exited by itself with status 0.
    bool stop(int timeoutMs = kStopTimeoutMs);
    // SIGKILL now (a crash, as far as clients can tell).
    void kill();
    // stop() (whatever its result) then start() on the same port.
    bool restart();

    bool isRunning() const;
    qint64 pid() const;
    // Exit code and status of the last run that ended.
    int exitCode() const { return m_exitCode; }
    QProcess::ExitStatus exitStatus() const { return m_exitStatus; }

    QString host() const { return m_host; }
    quint16 port() const { return m_port; }
    // ws://host:port<path>; path must start with '/'. May carry a query ("/raw?sink").
    QUrl url(const QString &path = QStringLiteral("/")) const;

    QString errorString() const { return m_error; }
    // What the server wrote to stderr so far (the last 64 KiB), for failure messages.
    QByteArray stderrTail() const { return m_stderr; }

    // Runs the server binary once with `args` (e.g. {"token", "--user", "u", ...}) and
    // waits up to timeoutMs: `finished` false means it was killed; `exitCode` is -1 when it
    // crashed; `out` is stdout trimmed, `err` stderr.
    struct ToolResult {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
        bool finished = false;
    };
    static ToolResult runTool(const QStringList &args, int timeoutMs = kStartTimeoutMs);

private:
    void readStderr();
    void fail(const QString &why);

    QStringList m_extraArgs;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QString m_host;
    quint16 m_port = 0;
    QString m_error;
    int m_exitCode = -1;
    QProcess::ExitStatus m_exitStatus = QProcess::NormalExit;
};

} // namespace Tether::Testing
