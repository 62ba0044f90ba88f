// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Scenarios 1 and 2: reliable messages through one node (memory vs Redis), fan-out over
// 1-3 nodes sharing one Redis, and the delivery latency across nodes.
#include "scenarios.h"

#include "cluster_common.h"

#include <bench_common.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QTimer>

#include <algorithm>
#include <vector>

namespace ClusterBench {

using Tether::Testing::RedisProcess;
using Tether::Testing::ServerProcess;

namespace {

// A redis-server for a Redis-mode row (none otherwise); false, reported, when it does not
// start.
bool startRedisIf(bool redisMode, std::unique_ptr<RedisProcess> &redis)
{
    if (!redisMode)
        return true;
    redis = std::make_unique<RedisProcess>();
    if (redis->start())
        return true;
    Bench::fail(QStringLiteral("redis-server did not start: ") + redis->errorString());
    return false;
}

// What the machine spent while a counter moved: wall time, the nodes' CPU, Redis's.
struct Window {
    double seconds = 0;
    double count = 0;
    double nodeCpuS = 0;
    double clientCpuS = 0;   // this process: the load generator must not be the limit
    RedisSample redisBefore, redisAfter;
};

template <typename Counter>
Window measure(const std::vector<ServerProcess *> &nodes, const RedisProcess *redis, Counter counter)
{
    // Warm-up: the first windows filled and drained, so the counts are in steady state.
    Bench::spinFor(g_settings.smoke ? 300 : 1000);
    Window w;
    const auto nodeCpu = [&] {
        double sum = 0;
        for (ServerProcess *n : nodes)
            sum += processCpuSeconds(n->pid());
        return sum;
    };
    if (redis)
        w.redisBefore = RedisSample::take(*redis);
    const double start = double(counter());
    const double cpuStart = nodeCpu();
    const double clientStart = Bench::Usage::now(0).cpuS;
    QElapsedTimer timer;
    timer.start();
    Bench::spinFor(int(g_settings.seconds * 1000));
    w.count = double(counter()) - start;
    w.nodeCpuS = nodeCpu() - cpuStart;
    w.clientCpuS = Bench::Usage::now(0).cpuS - clientStart;
    w.seconds = double(timer.nsecsElapsed()) / 1e9;
    if (redis)
        w.redisAfter = RedisSample::take(*redis);
    return w;
}

QString share(double cpuS, double seconds) { return QStringLiteral("%1 %").arg(Bench::integer(100 * cpuS / seconds)); }

// ------------------------------------------------------------------ 1. reliable msgs, one node

// `connections` sessions each keep `window` reliable msgs unacked; with `channel` each msg
// is a publication on a channel of its own connection (no subscribers: the cost is the
// write path, XADD included), else a msg to the server.
bool reliableRow(Bench::Table &table, bool redisMode, bool channel, double &memoryRate)
{
    std::unique_ptr<RedisProcess> redis;
    if (!startRedisIf(redisMode, redis))
        return false;
    auto node = startNode(redis ? redis->url() : QString(), QStringLiteral("n1"));
    if (!node)
        return false;
    const int connections = g_settings.connections;
    const quint64 window = 2048, batch = 256;
    std::vector<std::unique_ptr<JsonPeer>> peers;
    std::vector<quint64> sent(size_t(connections), 0), acked(size_t(connections), 0);
    std::vector<QByteArray> frames;
    qsizetype seqOffset = 0, idOffset = 0, frameSize = 0;
    for (int c = 0; c < connections; ++c) {
        peers.push_back(std::make_unique<JsonPeer>());
        peers.back()->onAck = [&acked, c](quint64 seq) { acked[size_t(c)] = std::max(acked[size_t(c)], seq); };
        if (!peers.back()->open(node->port())) {
            Bench::fail(QStringLiteral("reliable: connection %1 did not open").arg(c));
            return false;
        }
        // One batch of frames built once; only seq and id are rewritten per send.
        QByteArray body = "{\"t\":\"msg\",\"seq\":";
        seqOffset = body.size();
        body.append(12, ' ');
        body.append(",\"id\":\"m");
        idOffset = body.size();
        body.append(12, '0');
        body.append('"');
        if (channel)
            body.append(",\"ch\":\"bench-" + QByteArray::number(c) + '"');
        body.append(",\"d\":\"" + QByteArray(64, 'x') + "\"}");
        QByteArray one;
        FastClient::appendFrame(one, 1, body);
        const qsizetype header = one.size() - body.size();
        seqOffset += header;
        idOffset += header;
        frameSize = one.size();
        frames.push_back(one.repeated(qsizetype(batch)));
    }
    QTimer pump;
    QObject::connect(&pump, &QTimer::timeout, [&] {
        for (int c = 0; c < connections; ++c) {
            quint64 &s = sent[size_t(c)];
            QByteArray &f = frames[size_t(c)];
            while (s - acked[size_t(c)] < window) {
                char *frame = f.data();
                for (quint64 i = 0; i < batch; ++i, frame += frameSize) {
                    ++s;
                    writeDigits(frame + seqOffset, 12, s, ' ');
                    writeDigits(frame + idOffset, 12, s, '0');
                }
                peers[size_t(c)]->client.send(f);
            }
        }
    });
    pump.start(0);
    // The node's own view of Redis: mean wait from a command's send to its reply (read
    // around the measurement, warm-up included).
    const auto waitSum = [&] { return nodeMetric(node->port(), "tether_redis_reply_wait_seconds_sum"); };
    const auto waitCount = [&] { return nodeMetric(node->port(), "tether_redis_reply_wait_seconds_count"); };
    const auto ackedNow = [&] {
        quint64 sum = 0;
        for (quint64 a : acked)
            sum += a;
        return sum;
    };
    // The node's replies count the commands it sent; Redis's own total also counts the
    // commands run inside its scripts (EVAL).
    const double sum0 = redis ? waitSum() : 0, count0 = redis ? waitCount() : 0;
    const double acked0 = double(ackedNow());
    const Window w = measure({node.get()}, redis.get(), [&] {
        quint64 sum = 0;
        for (quint64 a : acked)
            sum += a;
        return sum;
    });
    const double count1 = redis ? waitCount() : 0;
    if (redis)
        printCommandStats(*redis, channel ? QStringLiteral("reliable publications") : QStringLiteral("reliable msgs"));
    const double waitMeanUs = redis ? 1e6 * (waitSum() - sum0) / std::max(1.0, count1 - count0) : -1;
    const double nodeCommandsPerMsg = (count1 - count0) / std::max(1.0, double(ackedNow()) - acked0);
    pump.stop();
    if (w.count <= 0) {
        Bench::fail(QStringLiteral("reliable: no ack while measuring (%1)").arg(QLatin1StringView(redisMode ? "redis" : "memory")));
        return false;
    }
    const double rate = w.count / w.seconds;
    if (!redisMode)
        memoryRate = rate;
    const double nodeShare = w.nodeCpuS / w.seconds;
    QString cmds = QStringLiteral("-"), reads = QStringLiteral("-"), redisCpu = QStringLiteral("-");
    if (redis) {
        // The INFO of the second sample is counted; 1 command out of hundreds of thousands.
        cmds = Bench::fixed((w.redisAfter.commands - w.redisBefore.commands - 1) / w.count, 2);
        reads = Bench::fixed((w.redisAfter.reads - w.redisBefore.reads - 1) / w.count, 3);
        redisCpu = share(w.redisAfter.cpuS - w.redisBefore.cpuS, w.seconds);
    }
    table.addRow({redisMode ? QStringLiteral("Redis") : QStringLiteral("memory"),
                  channel ? QStringLiteral("publication (ch, no subscriber)") : QStringLiteral("msg to the server"),
                  Bench::integer(rate), share(w.nodeCpuS, w.seconds),
                  Bench::fixed(1e6 * w.nodeCpuS / w.count, 2),
                  nodeShare > 0.01 ? Bench::integer(rate / nodeShare) : QStringLiteral("-"), redisCpu,
                  share(w.clientCpuS, w.seconds), redis ? Bench::fixed(nodeCommandsPerMsg, 2) : QStringLiteral("-"), cmds, reads,
                  redis ? Bench::integer(waitMeanUs) : QStringLiteral("-"),
                  redisMode && memoryRate > 0 ? Bench::ratio(rate / memoryRate) : QStringLiteral("-")});
    return true;
}

// ------------------------------------------------------------------ 2. fan-out over nodes

bool fanoutRow(Bench::Table &table, int nodeCount, bool redisMode)
{
    std::unique_ptr<RedisProcess> redis;
    if (!startRedisIf(redisMode, redis))
        return false;
    std::vector<std::unique_ptr<ServerProcess>> nodes;
    std::vector<ServerProcess *> nodePtrs;
    for (int i = 0; i < nodeCount; ++i) {
        nodes.push_back(startNode(redis ? redis->url() : QString(), QStringLiteral("n%1").arg(i + 1)));
        if (!nodes.back())
            return false;
        nodePtrs.push_back(nodes.back().get());
    }
    const int subscribers = g_settings.subscribers;
    std::vector<std::unique_ptr<JsonPeer>> subs;
    quint64 deliveries = 0;
    for (int i = 0; i < subscribers; ++i) {
        subs.push_back(std::make_unique<JsonPeer>());
        subs.back()->onMsg = [&deliveries](const char *, qsizetype) { ++deliveries; };
        if (!subs.back()->open(nodes[size_t(i % nodeCount)]->port(), "fan")) {
            Bench::fail(QStringLiteral("fan-out: subscriber %1 did not subscribe").arg(i));
            return false;
        }
    }
    std::vector<std::unique_ptr<JsonPeer>> pubs;
    for (int i = 0; i < nodeCount; ++i) {
        pubs.push_back(std::make_unique<JsonPeer>());
        if (!pubs.back()->open(nodes[size_t(i)]->port())) {
            Bench::fail(QStringLiteral("fan-out: publisher %1 did not open").arg(i));
            return false;
        }
    }
    QTimer ackTimer;   // acks the tails (< 64) so the owed buffers drain
    QObject::connect(&ackTimer, &QTimer::timeout, [&] {
        for (auto &s : subs)
            s->ackNow();
    });
    ackTimer.start(20);
    std::vector<quint64> published(size_t(nodeCount), 0);
    quint64 total = 0;
    const quint64 ahead = redisMode ? 200 : 1000;
    const QByteArray d(64, 'x');
    QTimer pump;
    QObject::connect(&pump, &QTimer::timeout, [&] {
        // Every subscriber gets every publication, so its seq counts what reached it: stay
        // a bounded number of publications ahead of the slowest (sessions buffer 10 000
        // unacked). In Redis mode the bound is smaller (about half a second of work at
        // the measured rates): a backlog of several seconds would be drained partly
        // inside the measuring window, partly not, and skew the per-delivery counts.
        quint64 slowest = ~quint64(0);
        for (auto &s : subs)
            slowest = std::min(slowest, s->lastSeq);
        for (int p = 0; total < slowest + ahead; p = (p + 1) % nodeCount) {
            QByteArray frames;
            for (int i = 0; i < 10; ++i) {
                const QByteArray n = QByteArray::number(++published[size_t(p)]);
                FastClient::appendFrame(frames, 1,
                                        "{\"t\":\"msg\",\"seq\":" + n + ",\"id\":\"p" + QByteArray::number(p) + '-' + n
                                            + "\",\"ch\":\"fan\",\"d\":\"" + d + "\"}");
            }
            total += 10;
            pubs[size_t(p)]->client.send(frames);
        }
    });
    pump.start(0);
    const auto nodeReplies = [&] {
        double sum = 0;
        for (ServerProcess *n : nodePtrs)
            sum += nodeMetric(n->port(), "tether_redis_replies_total");
        return sum;
    };
    const double replies0 = redis ? nodeReplies() : 0, deliveries0 = double(deliveries);
    const Window w = measure(nodePtrs, redis.get(), [&] { return deliveries; });
    const double nodeCommands = redis ? (nodeReplies() - replies0) / std::max(1.0, double(deliveries) - deliveries0) : 0;
    if (redis)
        printCommandStats(*redis, QStringLiteral("fan-out, %1 node(s)").arg(nodeCount));
    pump.stop();
    ackTimer.stop();
    if (w.count <= 0) {
        Bench::fail(QStringLiteral("fan-out: nothing delivered with %1 node(s)").arg(nodeCount));
        return false;
    }
    const double rate = w.count / w.seconds;
    const double nodeShare = w.nodeCpuS / w.seconds;
    QString cmds = QStringLiteral("-"), reads = QStringLiteral("-"), redisCpu = QStringLiteral("-");
    if (redis) {
        cmds = Bench::fixed((w.redisAfter.commands - w.redisBefore.commands - 1) / w.count, 2);
        reads = Bench::fixed((w.redisAfter.reads - w.redisBefore.reads - 1) / w.count, 3);
        redisCpu = share(w.redisAfter.cpuS - w.redisBefore.cpuS, w.seconds);
    }
    table.addRow({redisMode ? QStringLiteral("Redis") : QStringLiteral("memory (reference)"), QString::number(nodeCount),
                  QStringLiteral("%1 (%2 per node)").arg(subscribers).arg(subscribers / nodeCount),
                  Bench::integer(rate), share(w.nodeCpuS, w.seconds),
                  nodeShare > 0.01 ? Bench::integer(rate / nodeShare) : QStringLiteral("-"), redisCpu,
                  share(w.clientCpuS, w.seconds), redis ? Bench::fixed(nodeCommands, 2) : QStringLiteral("-"), cmds, reads});
    return true;
}

// ------------------------------------------------------------------ 2b. latency across nodes

// Publications at 1 000/s on node A, one subscriber on A and one on B; the payload is the
// send time in ns on this process's clock. Returns false when a sample set is empty.
bool latencyRows(Bench::Table &table, bool redisMode)
{
    std::unique_ptr<RedisProcess> redis;
    if (!startRedisIf(redisMode, redis))
        return false;
    auto a = startNode(redis ? redis->url() : QString(), QStringLiteral("a"));
    auto b = redisMode ? startNode(redis->url(), QStringLiteral("b")) : nullptr;
    if (!a || (redisMode && !b))
        return false;
    QElapsedTimer clock;
    clock.start();
    std::vector<double> samples[2];
    JsonPeer subs[2];
    for (int i = 0; i < (redisMode ? 2 : 1); ++i) {
        subs[i].onMsg = [&clock, &samples, i](const char *p, qsizetype n) {
            const quint64 at = jsonNumber(p, n, "\"d\":\"");
            samples[i].push_back(double(clock.nsecsElapsed() - qint64(at)) / 1000.0);
        };
        if (!subs[i].open((i == 0 ? a : b)->port(), "lat")) {
            Bench::fail(QStringLiteral("latency: subscriber did not subscribe"));
            return false;
        }
    }
    JsonPeer pub;
    if (!pub.open(a->port()))
        return false;
    const int total = g_settings.smoke ? 200 : 5000;
    int published = 0;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const QByteArray n = QByteArray::number(++published);
        pub.client.send(FastClient::textFrame("{\"t\":\"msg\",\"seq\":" + n + ",\"id\":\"l" + n + "\",\"ch\":\"lat\",\"d\":\""
                                  + QByteArray::number(clock.nsecsElapsed()) + "\"}"));
        if (published >= total)
            ticker.stop();
    });
    QTimer ackTimer;
    QObject::connect(&ackTimer, &QTimer::timeout, [&] {
        subs[0].ackNow();
        subs[1].ackNow();
    });
    ackTimer.start(20);
    ticker.start(1);
    const int wanted = redisMode ? 2 : 1;
    spinUntil([&] { return int(samples[0].size()) >= total && (wanted < 2 || int(samples[1].size()) >= total); },
              total + 20000);
    const char *paths[2] = {redisMode ? "Redis: publisher and subscriber on node A" : "memory: one node (reference)",
                            "Redis: publisher on node A, subscriber on node B"};
    for (int i = 0; i < wanted; ++i) {
        if (int(samples[i].size()) < total) {
            Bench::fail(QStringLiteral("latency: %1 of %2 received (%3)").arg(samples[i].size()).arg(total).arg(QLatin1StringView(paths[i])));
            return false;
        }
        std::vector<double> &s = samples[i];
        const double p50 = Bench::percentile(s, 0.50), p99 = Bench::percentile(s, 0.99);
        table.addRow({QString::fromLatin1(paths[i]), QString::number(total), Bench::integer(p50), Bench::integer(p99)});
    }
    return true;
}

} // namespace

void runLoad(const QString &part)
{
    const auto want = [&](const char *name) { return part.isEmpty() || part == QLatin1StringView(name); };
    Bench::Table reliable(
        QStringLiteral("1. Reliable msgs accepted+acked through one node, %1 connections x window 2 048, JSON, d = 64 B")
            .arg(g_settings.connections),
        {QStringLiteral("mode"), QStringLiteral("message"), QStringLiteral("msgs/s (wall)"), QStringLiteral("node CPU"),
         QStringLiteral("node CPU µs/msg"), QStringLiteral("per node core"), QStringLiteral("Redis CPU"),
         QStringLiteral("client CPU"), QStringLiteral("node cmds/msg"), QStringLiteral("Redis cmds run/msg"), QStringLiteral("Redis reads/msg"),
         QStringLiteral("Redis wait µs (mean)"), QStringLiteral("vs memory")},
        QStringLiteral("llrrrrrrrrrrr"));
    for (bool channel : {false, true}) {
        if (!want("reliable"))
            break;
        double memoryRate = 0;
        reliableRow(reliable, false, channel, memoryRate);
        reliableRow(reliable, true, channel, memoryRate);
    }
    if (want("reliable"))
        reliable.print();

    Bench::Table fanout(QStringLiteral("2. Fan-out: one channel, reliable publications (1 publisher per node, at most 1 000 (memory) / 200 (Redis) publications ahead of the slowest subscriber), JSON, d = 64 B"),
                        {QStringLiteral("mode"), QStringLiteral("nodes"), QStringLiteral("subscribers"),
                         QStringLiteral("deliveries/s (wall)"), QStringLiteral("nodes CPU (sum)"),
                         QStringLiteral("per node core"), QStringLiteral("Redis CPU"), QStringLiteral("client CPU"),
                         QStringLiteral("node cmds/delivery"), QStringLiteral("Redis cmds run/delivery"),
                         QStringLiteral("Redis reads/delivery")},
                        QStringLiteral("lrlrrrrrrrr"));
    if (want("fanout")) {
        fanoutRow(fanout, 1, false);
        for (int n = 1; n <= 3; ++n)
            fanoutRow(fanout, n, true);
        fanout.print();
    }

    Bench::Table latency(QStringLiteral("2b. Delivery latency, publish -> receive, 1 000 publications/s, no other load"),
                         {QStringLiteral("path"), QStringLiteral("samples"), QStringLiteral("p50 µs"), QStringLiteral("p99 µs")},
                         QStringLiteral("lrrr"));
    if (want("latency")) {
        latencyRows(latency, false);
        latencyRows(latency, true);
        latency.print();
    }
}

} // namespace ClusterBench
