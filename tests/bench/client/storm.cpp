// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Reconnect storm: many clients in this one process, connected through FaultProxy (which
// only counts: every TCP connection it accepts is one connection attempt), then the server
// is stopped, stays down for `downMs`, and starts again on the same port.
//
// What counts (docs/benchmarks.md): attempts per 100 ms window over the reconnect wave, the
// windows from the one holding the first attempt after the stop to the one in which the
// last client is Connected again, every window in between counted, empty or not. The
// windows before the first attempt (the clients have not yet seen the close) hold no
// attempt by construction and are left out; nothing after the last client is back exists.
// Also shown, not the target: the same from the server's ready line (the load the restarted
// server itself sees; refused attempts before it never reach a server).
#include "scenarios.h"

#include <fault_proxy.h>
#include <loop_thread.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QTimer>

#include <atomic>
#include <memory>
#include <mutex>

#include <algorithm>
#include <cmath>

#include <sys/resource.h>

namespace Bench {

namespace {

using Tether::Testing::FaultProxy;
using Tether::Testing::LoopThread;

constexpr qint64 kWindowMs = 100;
constexpr int kTimeoutMs = 120000;

// Each client holds a socket here and the proxy two: lift the soft fd limit to the hard one.
void raiseFileLimit(int needed)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= rlim_t(needed))
        return;
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, rlim_t(needed));
    setrlimit(RLIMIT_NOFILE, &limit);
}

// FaultProxy on a thread of its own, recording when it accepts each connection. It stands
// in for the network in front of the server: on the clients' thread its 2 000 sockets
// would add to the work that delays the clients' timers (1 000 closes take that thread
// 0.4-0.7 s), and it would count an attempt only when that thread gets round to accepting
// it, so both would bunch attempts that real clients, each on its own device, spread.
class CountingProxy
{
public:
    ~CountingProxy()
    {
        m_thread.run([this] { m_proxy.reset(); });
    }

    bool start(const QString &host, quint16 port)
    {
        bool ok = false;
        m_thread.run([&] {
            m_proxy = std::make_unique<FaultProxy>();
            QObject::connect(m_proxy.get(), &FaultProxy::connectionAccepted, m_proxy.get(), [this] {
                const auto now = std::chrono::steady_clock::now();
                const std::lock_guard<std::mutex> lock(m_mutex);
                m_accepted.push_back(now);
            });
            ok = m_proxy->start(host, port);
            m_url = m_proxy->url();
            m_error = m_proxy->errorString();
        });
        return ok;
    }
    QUrl url() const { return m_url; }
    QString errorString() const { return m_error; }
    // Accept times in ms since `origin`, for those at or after it.
    std::vector<qint64> acceptedSince(std::chrono::steady_clock::time_point origin)
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        std::vector<qint64> out;
        for (const auto &t : m_accepted)
            if (t >= origin)
                out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(t - origin).count());
        return out;
    }

private:
    LoopThread m_thread;
    std::unique_ptr<FaultProxy> m_proxy;  // lives on m_thread
    QUrl m_url;
    QString m_error;
    std::mutex m_mutex;
    std::vector<std::chrono::steady_clock::time_point> m_accepted;
};

// Attempts per window over [fromMs, toMs] (ms from the stop), the grid anchored at fromMs.
struct Span {
    std::vector<int> perWindow;
    qint64 attempts = 0;
    int peak() const { return perWindow.empty() ? 0 : *std::max_element(perWindow.begin(), perWindow.end()); }
    double mean() const { return perWindow.empty() ? 0 : double(attempts) / double(perWindow.size()); }
    double peakToMean() const { return mean() > 0 ? peak() / mean() : 0; }
};

Span span(const std::vector<qint64> &attemptsAt, qint64 fromMs, qint64 toMs)
{
    Span s;
    s.perWindow.assign(size_t((toMs - fromMs) / kWindowMs + 1), 0);
    for (qint64 t : attemptsAt) {
        if (t >= fromMs && t <= toMs) {
            ++s.perWindow[size_t((t - fromMs) / kWindowMs)];
            ++s.attempts;
        }
    }
    return s;
}

struct StormResult {
    bool ok = false;
    std::vector<qint64> attemptsAt;  // ms from the stop
    qint64 firstAttempt = 0;
    qint64 readyAt = 0;              // the server's ready line
    qint64 mostBack = 0;             // 99 % of the clients Connected again
    qint64 allBack = 0;
    double clientCpuS = 0;           // this process, from the stop until all are back
    Span wave() const { return span(attemptsAt, firstAttempt, allBack); }
    Span fromReady() const { return span(attemptsAt, readyAt, allBack); }
};

// The clients, spread over `threads` event loops of this one process (1 000 clients on one
// loop turn the drop into a queue: the loop needs 0.4-0.7 s to handle 1 000 closes, and the
// timers that fall due meanwhile all fire at its end, a bunch no fleet of separate devices
// has). Everything the main thread reads is atomic; each Client lives on its thread.
class ClientFleet
{
public:
    ClientFleet(int count, int threads)
        : m_connects(size_t(count)), m_backAt(size_t(count)), m_groups(size_t(std::max(1, threads)))
    {
        for (auto &g : m_groups)
            g.thread = std::make_unique<LoopThread>();
        for (auto &n : m_connects)
            n = 0;
        for (auto &t : m_backAt)
            t = -1;
    }
    ~ClientFleet()
    {
        onEachThread([](std::vector<std::unique_ptr<Tether::Client>> &clients) {
            for (auto &c : clients)
                c->close();
            clients.clear();
        });
    }

    void open(const QUrl &url, const Tether::ClientOptions &options)
    {
        const int count = int(m_connects.size()), threads = int(m_groups.size());
        for (int t = 0; t < threads; ++t) {
            Group &g = m_groups[size_t(t)];
            g.thread->run([&, t] {
                for (int i = t; i < count; i += threads) {
                    g.clients.push_back(std::make_unique<Tether::Client>(url, options));
                    Tether::Client *c = g.clients.back().get();
                    QObject::connect(c, &Tether::Client::stateChanged, c, [this](Tether::State s) {
                        // Connected is entered and left only through this signal, on this thread.
                        if (s == Tether::State::Connected)
                            ++m_connectedNow;
                    });
                    QObject::connect(c, &Tether::Client::disconnected, c, [this] { --m_connectedNow; });
                    QObject::connect(c, &Tether::Client::connected, c, [this, i] {
                        if (++m_connects[size_t(i)] == 2) {
                            m_backAt[size_t(i)] = msSinceStop();
                            ++m_back;
                        }
                    });
                    c->open();
                }
            });
        }
    }

    int connectedNow() const { return m_connectedNow; }
    bool allBack() const { return m_back == int(m_connects.size()) && m_connectedNow == int(m_connects.size()); }
    void markStop() { m_stopAt = std::chrono::steady_clock::now().time_since_epoch().count(); }
    std::vector<qint64> backAt() const { return {m_backAt.begin(), m_backAt.end()}; }

private:
    struct Group {
        std::unique_ptr<LoopThread> thread;
        std::vector<std::unique_ptr<Tether::Client>> clients;  // made, used and destroyed on `thread`
    };
    template <typename F>
    void onEachThread(F f)
    {
        for (auto &g : m_groups)
            g.thread->run([&] { f(g.clients); });
    }
    qint64 msSinceStop() const
    {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        return qint64(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::duration(now - m_stopAt.load())).count());
    }

    std::vector<std::atomic<int>> m_connects;   // connected() per client
    std::vector<std::atomic<qint64>> m_backAt;  // its second connected(), ms from the stop
    std::vector<Group> m_groups;
    std::atomic<int> m_connectedNow{0};
    std::atomic<int> m_back{0};
    std::atomic<std::chrono::steady_clock::rep> m_stopAt{0};
};

StormResult runStorm(ServerProcess &server, int clientCount, int threads, int downMs,
                     const Tether::ClientOptions &options)
{
    CountingProxy proxy;
    if (!proxy.start(server.host(), server.port())) {
        fail(QStringLiteral("storm: proxy: %1").arg(proxy.errorString()));
        return {};
    }
    ClientFleet fleet(clientCount, threads);
    // The waits below check atomics the client threads update: wake this loop to look.
    QTimer tick;
    tick.start(5);
    fleet.open(proxy.url(), options);
    if (!waitFor([&] { return fleet.connectedNow() == clientCount; }, kTimeoutMs)) {
        fail(QStringLiteral("storm: only %1 of %2 clients connected").arg(fleet.connectedNow()).arg(clientCount));
        return {};
    }
    // Every client's attempt counter resets after a stable period (10 s by default): the
    // drop below must start a fresh outage, as a server restart does for a settled fleet.
    spinFor(int(options.backoff.stablePeriod.count()) + 200);

    StormResult r;
    QElapsedTimer clock;
    clock.start();
    const auto stopAt = std::chrono::steady_clock::now();
    fleet.markStop();
    const Usage before = Usage::now(0);
    server.stop();
    spinFor(downMs);
    if (!server.start(server.port())) {
        fail(QStringLiteral("storm: the server did not restart: %1").arg(server.errorString()));
        return {};
    }
    r.readyAt = clock.elapsed();
    const bool back = waitFor([&] { return fleet.allBack(); }, kTimeoutMs);
    r.attemptsAt = proxy.acceptedSince(stopAt);
    if (!back || r.attemptsAt.empty()) {
        fail(QStringLiteral("storm: %1 of %2 clients back after %3 ms").arg(fleet.connectedNow()).arg(clientCount).arg(kTimeoutMs));
        return {};
    }
    r.ok = true;
    r.clientCpuS = (Usage::now(0) - before).cpuS;
    r.firstAttempt = *std::min_element(r.attemptsAt.begin(), r.attemptsAt.end());
    std::vector<qint64> backAt = fleet.backAt();
    std::sort(backAt.begin(), backAt.end());
    r.allBack = backAt.back();
    r.mostBack = backAt[size_t(std::max(0, int(std::ceil(0.99 * clientCount)) - 1))];
    return r;
}

QString joined(const std::vector<int> &counts)
{
    QStringList out;
    for (int n : counts)
        out << QString::number(n);
    return out.join(u' ');
}

} // namespace

void storm(const Settings &settings, ServerProcess &server)
{
    const int clientCount = settings.stormClients;
    const int downMs = settings.smoke ? 100 : settings.stormDownMs;
    const int threads = std::max(1, std::min(settings.stormThreads, clientCount));
    raiseFileLimit(3 * clientCount + 256);

    Tether::ClientOptions jitter;
    jitter.heartbeat.interval = std::chrono::milliseconds(60000);  // no ping traffic in the way
    if (settings.smoke) {
        // Only that it works: keep the waits short.
        jitter.backoff.initialJitter = std::chrono::milliseconds(100);
        jitter.backoff.initialDelay = std::chrono::milliseconds(50);
        jitter.backoff.maxDelay = std::chrono::milliseconds(200);
        jitter.backoff.stablePeriod = std::chrono::milliseconds(100);
    }
    Tether::ClientOptions noJitter = jitter;
    noJitter.backoff.jitter = Tether::JitterMode::None;
    noJitter.backoff.initialJitter = std::chrono::milliseconds(0);

    Table table(QStringLiteral("Reconnect storm: %1 clients on %2 threads, server down %3 ms, attempts per 100 ms")
                    .arg(clientCount).arg(threads).arg(downMs),
                {QStringLiteral("backoff"), QStringLiteral("trial"), QStringLiteral("attempts"),
                 QStringLiteral("per client"), QStringLiteral("first attempt (ms from stop)"),
                 QStringLiteral("ready (ms from stop)"), QStringLiteral("wave windows"), QStringLiteral("peak"),
                 QStringLiteral("mean"), QStringLiteral("peak/mean (wave)"), QStringLiteral("peak/mean (from ready)"),
                 QStringLiteral("99 % back (ms from ready)"), QStringLiteral("all back (ms from ready)"),
                 QStringLiteral("client CPU s"), QStringLiteral("target: wave peak <= 2x mean")},
                QStringLiteral("lrrrrrrrrrrrrrl"));
    struct Row {
        QString name;
        Tether::ClientOptions options;
        bool target;
    };
    const QList<Row> rows = {
        {settings.smoke ? QStringLiteral("smoke: full jitter, short delays") : QStringLiteral("defaults (full jitter, initialJitter 1 s)"), jitter, true},
        {QStringLiteral("no jitter (JitterMode::None, initialJitter 0)"), noJitter, false},
    };
    for (const Row &row : rows) {
        std::vector<double> ratios;
        for (int trial = 1; trial <= settings.trials; ++trial) {
            const StormResult r = runStorm(server, clientCount, threads, downMs, row.options);
            if (!r.ok)
                return;
            const Span wave = r.wave(), fromReady = r.fromReady();
            ratios.push_back(wave.peakToMean());
            table.addRow({row.name, QString::number(trial), integer(double(wave.attempts)),
                          fixed(double(wave.attempts) / clientCount, 2), integer(double(r.firstAttempt)),
                          integer(double(r.readyAt)), QString::number(wave.perWindow.size()),
                          QString::number(wave.peak()), fixed(wave.mean(), 1), ratio(wave.peakToMean()),
                          ratio(fromReady.peakToMean()), integer(double(r.mostBack - r.readyAt)),
                          integer(double(r.allBack - r.readyAt)), fixed(r.clientCpuS, 1),
                          row.target ? verdict(wave.peakToMean() <= 2.0) : QStringLiteral("-")});
            table.addNote(QStringLiteral("%1, trial %2: attempts per 100 ms from the first attempt (%3 ms after the "
                                         "stop; the server was ready in window %4): %5")
                              .arg(row.name).arg(trial).arg(r.firstAttempt)
                              .arg((r.readyAt - r.firstAttempt) / kWindowMs + 1).arg(joined(wave.perWindow)));
        }
        if (ratios.size() > 1)
            table.addNote(QStringLiteral("%1: wave peak/mean over %2 trials: median %3, worst %4")
                              .arg(row.name).arg(ratios.size()).arg(ratio(median(ratios)))
                              .arg(ratio(*std::max_element(ratios.begin(), ratios.end()))));
    }
    table.print();
}

} // namespace Bench
