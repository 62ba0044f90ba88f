// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Scenario 3: resume time on another node after a SIGKILL. Real Tether::Client SDK
// clients reach node A through nginx; node B waits behind the same nginx; A is killed and
// each client's time from the kill to connected(resumed=true) is recorded.
#include "scenarios.h"

#include "cluster_common.h"

#include <bench_common.h>
#include <nginx_process.h>

#include <Tether/Client>

#include <QtCore/QElapsedTimer>

#include <algorithm>
#include <numeric>

#include <vector>

namespace ClusterBench {

using Tether::Testing::NginxProcess;
using Tether::Testing::RedisProcess;

namespace {

struct Fleet {
    struct Member {
        std::unique_ptr<Tether::Client> client;
        int connects = 0;
        bool resumed = false;
        double disconnectedMs = -1;   // from the kill
        double connectedMs = -1;
        int delivered = 0;
        int sessionsLost = 0;
    };
    std::vector<Member> members;
};

bool resumeRow(Bench::Table &table, const Tether::BackoffOptions &backoff, const QString &label)
{
    RedisProcess redis;
    if (!redis.start()) {
        Bench::fail(QStringLiteral("redis-server did not start: ") + redis.errorString());
        return false;
    }
    auto a = startNode(redis.url(), QStringLiteral("a"));
    auto b = startNode(redis.url(), QStringLiteral("b"));
    if (!a || !b)
        return false;
    // nginx sees only A while the clients connect, so every one of them is attached to A;
    // B is added (reload) before the kill, as a node that joined the pool.
    NginxProcess nginx;
    nginx.setUpstreams({{QStringLiteral("127.0.0.1"), a->port()}});
    if (!nginx.start()) {
        Bench::fail(QStringLiteral("nginx did not start: ") + nginx.errorString());
        return false;
    }
    Tether::ClientOptions options;
    options.codec = Tether::Codec::Json;
    options.backoff = backoff;
    QElapsedTimer clock;   // started at the kill
    Fleet fleet;
    const int count = g_settings.resumeClients;
    fleet.members.resize(size_t(count));
    for (Fleet::Member &m : fleet.members) {
        m.client = std::make_unique<Tether::Client>(nginx.url(), options);
        Fleet::Member *mp = &m;
        QObject::connect(m.client.get(), &Tether::Client::connected, m.client.get(), [mp, &clock](bool resumed) {
            if (++mp->connects == 2) {
                mp->resumed = resumed;
                mp->connectedMs = double(clock.nsecsElapsed()) / 1e6;
            }
        });
        QObject::connect(m.client.get(), &Tether::Client::disconnected, m.client.get(), [mp, &clock] {
            if (mp->disconnectedMs < 0 && clock.isValid())
                mp->disconnectedMs = double(clock.nsecsElapsed()) / 1e6;
        });
        QObject::connect(m.client.get(), &Tether::Client::delivered, m.client.get(), [mp] { ++mp->delivered; });
        QObject::connect(m.client.get(), &Tether::Client::sessionLost, m.client.get(), [mp] { ++mp->sessionsLost; });
        m.client->open();
    }
    const auto all = [&](const std::function<bool(const Fleet::Member &)> &pred) {
        return std::all_of(fleet.members.begin(), fleet.members.end(), pred);
    };
    if (!spinUntil([&] { return all([](const Fleet::Member &m) { return m.connects >= 1; }); }, 30000)) {
        Bench::fail(QStringLiteral("resume: not every client connected to node A"));
        return false;
    }
    // One acknowledged message each: the session is in Redis with something in it.
    for (Fleet::Member &m : fleet.members)
        if (const Tether::SendResult r = m.client->send(QString(64, u'x')); !r)
            Bench::fail(QStringLiteral("resume: send refused: ") + r.error().message());
    if (!spinUntil([&] { return all([](const Fleet::Member &m) { return m.delivered >= 1; }); }, 30000)) {
        int delivered = 0, connected = 0;
        for (const Fleet::Member &m : fleet.members) {
            delivered += m.delivered >= 1;
            connected += m.client->state() == Tether::State::Connected;
        }
        Bench::fail(QStringLiteral("resume: %1 of %2 first messages delivered (%3 connected)").arg(delivered).arg(count).arg(connected));
        return false;
    }
    const double onA = nodeMetric(a->port(), "tether_connections");
    nginx.setUpstreams({{QStringLiteral("127.0.0.1"), a->port()}, {QStringLiteral("127.0.0.1"), b->port()}});
    if (!nginx.reload()) {
        Bench::fail(QStringLiteral("resume: nginx reload failed: ") + nginx.errorString());
        return false;
    }
    Bench::spinFor(200);
    clock.start();
    a->kill();
    spinUntil([&] { return all([](const Fleet::Member &m) { return m.connects >= 2; }); }, 60000);
    std::vector<double> back, down;
    int resumed = 0, fresh = 0;
    for (const Fleet::Member &m : fleet.members) {
        if (m.connects >= 2) {
            back.push_back(m.connectedMs);
            (m.resumed ? resumed : fresh) += 1;
        }
        if (m.disconnectedMs >= 0)
            down.push_back(m.disconnectedMs);
    }
    const double onB = nodeMetric(b->port(), "tether_connections");
    const double resumesB = nodeMetric(b->port(), "tether_session_resumes_total");
    for (Fleet::Member &m : fleet.members)
        m.client->close();
    // Not a figure: a client that comes back on a new session is the Redis mode failing.
    if (back.size() < size_t(count) || resumed < count)
        Bench::fail(QStringLiteral("resume: %1 of %2 clients came back within 60 s, %3 resumed")
                        .arg(back.size()).arg(count).arg(resumed));
    table.addRow({label, QStringLiteral("%1 (node A held %2)").arg(count).arg(Bench::integer(onA)),
                  Bench::integer(Bench::percentile(down, 0.5)) + QStringLiteral(" / ") + Bench::integer(Bench::percentile(down, 0.99)),
                  Bench::integer(Bench::percentile(back, 0.5)), Bench::integer(Bench::percentile(back, 0.99)),
                  Bench::integer(back.empty() ? 0 : *std::max_element(back.begin(), back.end())),
                  QStringLiteral("%1 of %2").arg(resumed).arg(count),
                  QStringLiteral("%1 / %2").arg(fresh).arg(std::accumulate(fleet.members.begin(), fleet.members.end(), 0,
                      [](int s, const Fleet::Member &m) { return s + m.sessionsLost; })),
                  QStringLiteral("%1 conn., %2 resumes").arg(Bench::integer(onB), Bench::integer(resumesB))});
    return resumed == count;
}

} // namespace

void runResume()
{
    Bench::Table table(QStringLiteral("3. Resume on another node after SIGKILL of node A (Tether::Client through nginx, 2 nodes + Redis)"),
                       {QStringLiteral("SDK backoff"), QStringLiteral("clients"), QStringLiteral("kill -> disconnected p50 / p99 ms"),
                        QStringLiteral("kill -> resumed p50 ms"), QStringLiteral("p99 ms"), QStringLiteral("max ms"),
                        QStringLiteral("resumed"), QStringLiteral("new session / sessionLost"), QStringLiteral("node B after")},
                       QStringLiteral("lllrrrlll"));
    // Fast: the figure is then mostly detection and the resume's own work, not waiting.
    Tether::BackoffOptions fast;
    fast.initialJitter = std::chrono::milliseconds(100);
    fast.initialDelay = std::chrono::milliseconds(100);
    fast.maxDelay = std::chrono::milliseconds(1000);
    resumeRow(table, fast, QStringLiteral("initialJitter 100 ms, initialDelay 100 ms, maxDelay 1 s"));
    resumeRow(table, Tether::BackoffOptions{}, QStringLiteral("defaults: initialJitter 1 s, initialDelay 500 ms, maxDelay 30 s"));
    table.print();
}

} // namespace ClusterBench
