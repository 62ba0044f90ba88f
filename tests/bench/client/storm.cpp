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
    qint64 attempts = 0;
    int windows = 0;
    double mean = 0;
    int peak = 0;
    double allBackMs = 0;  // from the server's ready line
    QString histogram;
};

StormResult runStorm(ServerProcess &server, int clientCount, int downMs, const Tether::ClientOptions &options)
{
    FaultProxy proxy;
    if (!proxy.start(server.host(), server.port())) {
        fail(QStringLiteral("storm: proxy: %1").arg(proxy.errorString()));
        return {};
    }
    std::vector<std::unique_ptr<Tether::Client>> clients;
    std::vector<int> connects(size_t(clientCount), 0);
    auto connectedNow = [&] {
        return int(std::count_if(clients.begin(), clients.end(),
                                 [](const auto &c) { return c->state() == Tether::State::Connected; }));
    };
    for (int i = 0; i < clientCount; ++i) {
        clients.push_back(std::make_unique<Tether::Client>(proxy.url(), options));
        Tether::Client *c = clients.back().get();
        QObject::connect(c, &Tether::Client::connected, c, [&, i] { ++connects[size_t(i)]; });
        c->open();
    }
    if (!waitFor([&] { return connectedNow() == clientCount; }, kTimeoutMs)) {
        fail(QStringLiteral("storm: only %1 of %2 clients connected").arg(connectedNow()).arg(clientCount));
        return {};
    }

    QElapsedTimer clock;
    clock.start();
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
    r.allBackMs = double(clock.elapsed() - readyAt);
    r.attempts = qint64(attemptsAt.size());
    if (attemptsAt.empty())
        return r;
    // Windows from the stop until the last client is back: the storm as the server sees it.
    const qint64 end = clock.elapsed();
    r.windows = int(end / kWindowMs) + 1;
    std::vector<int> perWindow(size_t(r.windows), 0);
    for (qint64 t : attemptsAt)
        ++perWindow[size_t(std::min<qint64>(t / kWindowMs, r.windows - 1))];
    r.peak = *std::max_element(perWindow.begin(), perWindow.end());
    r.mean = double(r.attempts) / r.windows;
    QStringList counts;
    for (int n : perWindow)
        counts << QString::number(n);
    r.histogram = QStringLiteral("server down %1 ms, ready at %2 ms, all back at %3 ms after the stop; attempts "
                                 "per 100 ms from the stop: %4")
                      .arg(downMs).arg(readyAt).arg(end).arg(counts.join(u' '));
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
                {QStringLiteral("backoff"), QStringLiteral("attempts"), QStringLiteral("windows"),
                 QStringLiteral("mean/window"), QStringLiteral("peak/window"), QStringLiteral("peak/mean"),
                 QStringLiteral("all back after (ms from ready)"), QStringLiteral("target (with jitter)")},
                QStringLiteral("lrrrrrrl"));
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
        const double peakToMean = r.mean > 0 ? r.peak / r.mean : 0;
        table.addRow({row.name, integer(double(r.attempts)), QString::number(r.windows), fixed(r.mean, 1),
                      QString::number(r.peak), ratio(peakToMean), integer(r.allBackMs),
                      row.target ? QStringLiteral("<= 2x ") + verdict(peakToMean <= 2.0) : QStringLiteral("-")});
        table.addNote(row.name + QStringLiteral(": ") + r.histogram);
    }
    table.print();
}

} // namespace Bench
