// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// ClusterRedis: redis-server as a child process of a cluster test, with the shipped
// packaging/cluster/redis.conf (AOF, appendfsync everysec) in a temporary data directory,
// on a free loopback port. Private to tests/cluster: the Redis-mode work adds a shared
// RedisProcess to tests/support; once it lands, this one should give way to it.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QTemporaryDir>

#include <memory>

namespace Tether::Testing {

class ClusterRedis
{
public:
    static constexpr int kStartTimeoutMs = 10000;

    ClusterRedis();
    ~ClusterRedis();  // stop()s a running server and removes its data
    ClusterRedis(const ClusterRedis &) = delete;
    ClusterRedis &operator=(const ClusterRedis &) = delete;

    static QString binaryPath();   // redis-server from PATH or /usr/bin; empty if absent

    // Starts on `port` (0 = a free one) and waits until it answers PING. The data directory
    // is kept across restarts (the AOF is what a restart recovers from).
    bool start(quint16 port = 0);
    // SIGTERM (Redis fsyncs its AOF and exits), waits, kills when it does not exit.
    bool stop(int timeoutMs = 10000);
    void kill();                    // SIGKILL: a crash
    bool restart();                 // stop() + start() on the same port and data

    bool isRunning() const;
    quint16 port() const { return m_port; }
    QString url() const;            // redis://127.0.0.1:port
    QString errorString() const { return m_error; }
    QByteArray log() const;         // what it wrote (last 64 KiB)

private:
    bool answersPing(int timeoutMs);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_log;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace Tether::Testing
