// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Plumbing of the cluster benchmark: a node (tether-server child) with its CPU time and
// /metrics, Redis counters read over redis-cli, and a JSON Tether peer on FastClient.
#pragma once

#include <redis_process.h>
#include <server_process.h>

#include "fast_client.h"

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <functional>
#include <memory>

namespace ClusterBench {

struct Settings {
    bool smoke = false;
    double seconds = 3.0;   // measuring time per throughput row
    int connections = 4;    // scenario 1: publishing connections
    int subscribers = 60;   // scenario 2: total over the nodes
    int resumeClients = 100;
    bool commandStats = false;   // print Redis INFO commandstats after each Redis row
};
extern Settings g_settings;

// CPU time (user + system) of a process so far, in seconds; 0 when it is gone.
double processCpuSeconds(qint64 pid);

// tether-server --port 0 with the benchmark limits, in Redis mode when `redisUrl` is set.
std::unique_ptr<Tether::Testing::ServerProcess> startNode(const QString &redisUrl, const QString &nodeId);

// One value of a node's /metrics (a plain `name value` line); -1 when unreadable.
double nodeMetric(quint16 port, const QByteArray &name);

// Counters of one redis-server, from INFO (the INFO call itself adds 1 command and 1 read).
struct RedisSample {
    qint64 pid = 0;
    double commands = 0;   // total_commands_processed
    double reads = 0;      // total_reads_processed: socket reads, i.e. pipelined batches received
    double cpuS = 0;       // /proc/<pid>/stat user + system
    static RedisSample take(const Tether::Testing::RedisProcess &redis);
};
// With --commandstats: Redis's per-command calls and µs since it started, on stderr.
void printCommandStats(const Tether::Testing::RedisProcess &redis, const QString &row);

// The number after `"key":` in a JSON frame; 0 if none.
quint64 jsonNumber(const char *frame, qsizetype size, QByteArrayView key);
// Writes `value` right-aligned into `width` characters at `at`, padded with `pad`.
void writeDigits(char *at, int width, quint64 value, char pad);

// A JSON Tether session on a FastClient (no SDK: the client must cost less than the
// server). open() does hello and optionally sub, synchronously; then onMsg/onAck fire.
struct JsonPeer {
    std::function<void(const char *, qsizetype)> onMsg;
    std::function<void(quint64)> onAck;
    bool welcomed = false;
    bool answered = false;
    quint64 lastSeq = 0;    // of the last server msg (sessions number deliveries 1, 2, ...)
    quint64 ackedSeq = 0;
    FastClient client;

    JsonPeer();
    bool open(quint16 port, const char *channel = nullptr);
    // Acks what was received; by 64 from onMsg, the rest from a timer.
    void ackNow();
};

bool spinUntil(const std::function<bool()> &done, int timeoutMs);

} // namespace ClusterBench
