// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RedisProcess: a real redis-server as a child process of a test, for tether-server's Redis
// mode. Never the system service: it runs in the foreground (--daemonize no) on a free
// loopback port, with its data (AOF on, no RDB snapshots) in a temporary directory that
// lives as long as this object, so restart() brings back what was written (AOF replay).
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QTemporaryDir>

#include <memory>

namespace Tether::Testing {

class RedisProcess
{
public:
    static constexpr int kStartTimeoutMs = 10000;
    static constexpr int kStopTimeoutMs = 10000;

    RedisProcess();
    ~RedisProcess();  // stops a running server
    RedisProcess(const RedisProcess &) = delete;
    RedisProcess &operator=(const RedisProcess &) = delete;

    // True when redis-server and redis-cli are on PATH.
    static bool available();

    // Starts on `port` (0 = a free one) and waits until it answers PING (AOF loaded).
    bool start(quint16 port = 0);
    // SIGTERM and wait (SIGKILL after the timeout). True for a clean exit.
    bool stop(int timeoutMs = kStopTimeoutMs);
    void kill();
    // stop() then start() on the same port and data directory.
    bool restart();
    bool isRunning() const;

    quint16 port() const { return m_port; }
    // redis://127.0.0.1:PORT[/db] for tether-server --redis.
    QString url(int db = 0) const;
    QString errorString() const { return m_error; }

    // Runs `redis-cli -p PORT --raw ARGS...` and returns its stdout (trimmed); for tests
    // that inspect or damage keys.
    QByteArray cli(const QStringList &args, int db = 0) const { return cliOn(m_port, args, db); }
    // The same against any redis-server on a loopback port (e.g. one a cluster test started).
    static QByteArray cliOn(quint16 port, const QStringList &args, int db = 0);

private:
    void fail(const QString &why);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace Tether::Testing
