// Reconnect storm: many clients in this one process, connected through FaultProxy (which
// only counts: every TCP connection it accepts is one connection attempt), then the server
// is stopped, stays down for `downMs`, and starts again on the same port. Attempts are
// counted per 100 ms window from the stop until every client is connected again; the mean
// is over all those windows. With jitter the busiest window should hold at most
// twice the mean; the same run without jitter shows what the jitter prevents.
#include "scenarios.h"

#include <fault_proxy.h>

#include <QtCore/QElapsedTimer>

#include <algorithm>
#include <cmath>

#include <sys/resource.h>

namespace Bench {

namespace {

using Tether::Testing::FaultProxy;

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

struct StormResult {
    bool ok = false;
    // Windows from the stop until every client is back (`all`), and until 99 % are back
    // (`most`: one unlucky client deep in its backoff does not stretch the span).
    struct Span {
        int windows = 0;
        qint64 attempts = 0;
        int peak = 0;
        double mean() const { return windows > 0 ? double(attempts) / windows : 0; }
        double peakToMean() const { return mean() > 0 ? peak / mean() : 0; }
    } all, most;
    double allBackMs = 0;   // from the server's ready line
    double mostBackMs = 0;
    double clientCpuS = 0;  // this process, from the stop until all are back
    QString histogram;
};

// Attempts per 100 ms window over [0, endMs] (times in ms from the stop).
StormResult::Span span(const std::vector<qint64> &attemptsAt, qint64 endMs, std::vector<int> *perWindowOut = nullptr)
{
    StormResult::Span s;
    s.windows = int(endMs / kWindowMs) + 1;
    std::vector<int> perWindow(size_t(s.windows), 0);
    for (qint64 t : attemptsAt) {
        if (t / kWindowMs < s.windows) {
            ++perWindow[size_t(t / kWindowMs)];
            ++s.attempts;
        }
    }
    s.peak = *std::max_element(perWindow.begin(), perWindow.end());
    if (perWindowOut)
        *perWindowOut = perWindow;
    return s;
}

StormResult runStorm(ServerProcess &server, int clientCount, int downMs, const Tether::ClientOptions &options)
{
    FaultProxy proxy;
    if (!proxy.start(server.host(), server.port())) {
        fail(QStringLiteral("storm: proxy: %1").arg(proxy.errorString()));
        return {};
    }
    std::vector<std::unique_ptr<Tether::Client>> clients;
    std::vector<int> connects(size_t(clientCount), 0);
    std::vector<qint64> backAt(size_t(clientCount), -1);  // second connected(), ms from the stop
    QElapsedTimer clock;
    auto connectedNow = [&] {
        return int(std::count_if(clients.begin(), clients.end(),
                                 [](const auto &c) { return c->state() == Tether::State::Connected; }));
    };
    for (int i = 0; i < clientCount; ++i) {
        clients.push_back(std::make_unique<Tether::Client>(proxy.url(), options));
        Tether::Client *c = clients.back().get();
        QObject::connect(c, &Tether::Client::connected, c, [&, i] {
            if (++connects[size_t(i)] == 2)
                backAt[size_t(i)] = clock.elapsed();
        });
        c->open();
    }
    if (!waitFor([&] { return connectedNow() == clientCount; }, kTimeoutMs)) {
        fail(QStringLiteral("storm: only %1 of %2 clients connected").arg(connectedNow()).arg(clientCount));
        return {};
    }

    clock.start();
    const Usage before = Usage::now(0);
    std::vector<qint64> attemptsAt;
    QObject::connect(&proxy, &FaultProxy::connectionAccepted, &proxy,
                     [&] { attemptsAt.push_back(clock.elapsed()); });
    server.stop();
    spinFor(downMs);
    if (!server.start(server.port())) {
        fail(QStringLiteral("storm: the server did not restart: %1").arg(server.errorString()));
        return {};
    }
    const qint64 readyAt = clock.elapsed();
    const bool back = waitFor([&] {
        return std::all_of(connects.begin(), connects.end(), [](int n) { return n >= 2; })
            && connectedNow() == clientCount;
    }, kTimeoutMs);
    if (!back) {
        fail(QStringLiteral("storm: %1 of %2 clients back after %3 ms").arg(connectedNow()).arg(clientCount).arg(kTimeoutMs));
        return {};
    }
    StormResult r;
    r.ok = true;
    r.clientCpuS = (Usage::now(0) - before).cpuS;
    std::sort(backAt.begin(), backAt.end());
    const qint64 allBack = backAt.back();
    const qint64 mostBack = backAt[size_t(std::max(0, int(std::ceil(0.99 * clientCount)) - 1))];
    r.allBackMs = double(allBack - readyAt);
    r.mostBackMs = double(mostBack - readyAt);
    std::vector<int> perWindow;
    r.all = span(attemptsAt, allBack, &perWindow);
    r.most = span(attemptsAt, mostBack);
    QStringList counts;
    for (int n : perWindow)
        counts << QString::number(n);
    while (counts.size() > 1 && counts.last() == QLatin1StringView("0"))
        counts.removeLast();
    r.histogram = QStringLiteral("server down %1 ms, ready at %2 ms, 99 % back at %3 ms, all at %4 ms after the "
                                 "stop; attempts per 100 ms from the stop: %5")
                      .arg(downMs).arg(readyAt).arg(mostBack).arg(allBack).arg(counts.join(u' '));
    for (auto &c : clients)
        c->close();
    return r;
}

} // namespace

void storm(const Settings &settings, ServerProcess &server)
{
    const int clientCount = settings.stormClients;
    const int downMs = settings.smoke ? 100 : 2000;
    raiseFileLimit(3 * clientCount + 256);

    Tether::ClientOptions jitter;
    jitter.heartbeat.interval = std::chrono::milliseconds(60000);  // no ping traffic in the way
    if (settings.smoke) {
        // Only that it works: keep the waits short.
        jitter.backoff.initialJitter = std::chrono::milliseconds(100);
        jitter.backoff.initialDelay = std::chrono::milliseconds(50);
        jitter.backoff.maxDelay = std::chrono::milliseconds(200);
    }
    Tether::ClientOptions noJitter = jitter;
    noJitter.backoff.jitter = Tether::JitterMode::None;
    noJitter.backoff.initialJitter = std::chrono::milliseconds(0);

    Table table(QStringLiteral("Reconnect storm: %1 clients, server restarted, attempts per 100 ms").arg(clientCount),
                {QStringLiteral("backoff"), QStringLiteral("attempts"), QStringLiteral("peak/window"),
                 QStringLiteral("mean until all back"), QStringLiteral("peak/mean (all)"),
                 QStringLiteral("mean until 99 % back"), QStringLiteral("peak/mean (99 %)"),
                 QStringLiteral("99 % back (ms from ready)"), QStringLiteral("all back (ms from ready)"),
                 QStringLiteral("client CPU s"), QStringLiteral("target (with jitter): peak <= 2x mean")},
                QStringLiteral("lrrrrrrrrrl"));
    struct Row {
        QString name;
        Tether::ClientOptions options;
        bool target;
    };
    const QList<Row> rows = {
        {settings.smoke ? QStringLiteral("smoke: full jitter, short delays") : QStringLiteral("defaults: full jitter, initialJitter 1 s"), jitter, true},
        {QStringLiteral("no jitter (JitterMode::None, initialJitter 0)"), noJitter, false},
    };
    for (const Row &row : rows) {
        const StormResult r = runStorm(server, clientCount, downMs, row.options);
        if (!r.ok)
            return;
        const double strict = r.all.peakToMean(), robust = r.most.peakToMean();
        table.addRow({row.name, integer(double(r.all.attempts)), QString::number(r.all.peak), fixed(r.all.mean(), 1),
                      ratio(strict), fixed(r.most.mean(), 1), ratio(robust), integer(r.mostBackMs),
                      integer(r.allBackMs), fixed(r.clientCpuS, 1),
                      row.target ? QStringLiteral("all: %1, 99 %: %2").arg(verdict(strict <= 2.0), verdict(robust <= 2.0))
                                 : QStringLiteral("-")});
        table.addNote(row.name + QStringLiteral(": ") + r.histogram);
    }
    table.print();
}

} // namespace Bench
