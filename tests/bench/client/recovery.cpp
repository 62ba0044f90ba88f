// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Recovery: how long the app waits after the link comes back.
//   server restart  a connected client has reliable messages in flight; the server is
//                   stopped (SIGTERM: close 1001), more messages are sent while it is down,
//                   and it starts again on the same port after `downMs`. Measured from the
//                   server's ready line: until connected() and until every message is
//                   delivered (the outbox flushed; the session is new, so it was resent).
//   blackhole       a connected client goes through FaultProxy, whose link turns silent
//                   (half-open) while messages are in flight; the app calls
//                   notifyNetworkChanged() at once. Measured from that call: until
//                   disconnected() (dead link detected by the probe ping), until connected()
//                   again, and until every message is delivered.
// Every trial checks that each message ended delivered exactly once.
#include "scenarios.h"

#include <fault_proxy.h>

#include <QtCore/QElapsedTimer>

#include <algorithm>
#include <optional>

namespace Bench {

namespace {

using Tether::Testing::FaultProxy;

constexpr int kTimeoutMs = 60000;

// Counts deliveries and flags any other outcome.
struct Ledger {
    qint64 sent = 0;
    qint64 delivered = 0;
    bool lost = false;

    void attach(Tether::Client &client)
    {
        QObject::connect(&client, &Tether::Client::delivered, &client, [this] { ++delivered; });
        QObject::connect(&client, &Tether::Client::rejected, &client, [this] { lost = true; });
        QObject::connect(&client, &Tether::Client::dropped, &client, [this] { lost = true; });
    }
    void send(Tether::Client &client, int n)
    {
        const QByteArray payload(64, 'x');
        for (int i = 0; i < n; ++i) {
            if (!client.send(payload))
                lost = true;
            ++sent;
        }
    }
    bool flushed(const Tether::Client &client) const { return delivered == sent && client.queueDepth() == 0; }
};

struct Trial {
    double detectMs = 0;     // blackhole: until disconnected()
    double connectedMs = 0;  // until connected() again
    double flushedMs = 0;    // until every message delivered
    bool resumed = false;
};

QString medianMax(std::vector<double> values)
{
    if (values.empty())
        return QStringLiteral("-");
    const double top = *std::max_element(values.begin(), values.end());
    return QStringLiteral("%1 / %2").arg(integer(median(values)), integer(top));
}

// Waits until the client is connected again (`connects` > 0) and then until every message
// is delivered, noting both times from `clock`; closes the client. False after fail().
bool waitBack(Tether::Client &client, const Ledger &ledger, const int &connects, const QElapsedTimer &clock,
              Trial &trial, const QString &after)
{
    if (!waitFor([&] { return connects > 0; }, kTimeoutMs)) {
        fail(QStringLiteral("recovery: no reconnect within %1 ms of %2").arg(kTimeoutMs).arg(after));
        return false;
    }
    trial.connectedMs = double(clock.nsecsElapsed()) / 1e6;
    if (!waitFor([&] { return ledger.flushed(client) || ledger.lost; }, kTimeoutMs) || ledger.lost) {
        fail(QStringLiteral("recovery: after %1, %2 of %3 delivered").arg(after).arg(ledger.delivered).arg(ledger.sent));
        return false;
    }
    trial.flushedMs = double(clock.nsecsElapsed()) / 1e6;
    client.close();
    return true;
}

std::optional<Trial> restartTrial(ServerProcess &server, const Tether::ClientOptions &options, int messages,
                                  int downMs)
{
    auto client = connectedClient(server.url(), options, QStringLiteral("recovery (restart)"));
    if (!client)
        return std::nullopt;
    Ledger ledger;
    ledger.attach(*client);
    int connects = 0;
    QObject::connect(client.get(), &Tether::Client::connected, client.get(), [&] { ++connects; });

    ledger.send(*client, messages);  // in flight when the server goes away
    server.stop();
    ledger.send(*client, messages);  // queued while it is down
    spinFor(downMs);
    if (!server.start(server.port())) {
        fail(QStringLiteral("recovery: the server did not restart: %1").arg(server.errorString()));
        return std::nullopt;
    }
    QElapsedTimer clock;
    clock.start();
    Trial trial;
    if (!waitBack(*client, ledger, connects, clock, trial, QStringLiteral("a restart")))
        return std::nullopt;
    return trial;
}

std::optional<Trial> blackholeTrial(ServerProcess &server, const Tether::ClientOptions &options, int messages)
{
    FaultProxy proxy;
    if (!proxy.start(server.host(), server.port())) {
        fail(QStringLiteral("recovery: proxy: %1").arg(proxy.errorString()));
        return std::nullopt;
    }
    auto client = connectedClient(proxy.url(), options, QStringLiteral("recovery (blackhole)"));
    if (!client)
        return std::nullopt;
    Ledger ledger;
    ledger.attach(*client);
    bool down = false;
    int connects = 0;
    Trial trial;
    QElapsedTimer clock;
    QObject::connect(client.get(), &Tether::Client::disconnected, client.get(), [&] {
        if (!down)
            trial.detectMs = double(clock.nsecsElapsed()) / 1e6;
        down = true;
    });
    QObject::connect(client.get(), &Tether::Client::connected, client.get(), [&](bool resumed) {
        ++connects;
        trial.resumed = resumed;
    });

    // The current connection turns silent; connections made from now on pass again.
    proxy.setBlackhole(true);
    proxy.setBlackhole(false);
    ledger.send(*client, messages);  // lost in the blackhole: resent after the resume
    clock.start();
    client->notifyNetworkChanged();
    if (!waitBack(*client, ledger, connects, clock, trial, QStringLiteral("a blackhole")))
        return std::nullopt;
    return trial;
}

} // namespace

void recovery(const Settings &settings, ServerProcess &server)
{
    const int messages = settings.smoke ? 200 : 5000;
    const int downMs = settings.smoke ? 50 : 1000;

    Tether::ClientOptions defaults;
    defaults.codec = Tether::Codec::Cbor;
    defaults.queue.maxMessages = 4 * messages;
    Tether::ClientOptions quick = defaults;
    quick.backoff.initialJitter = std::chrono::milliseconds(0);
    quick.backoff.initialDelay = std::chrono::milliseconds(100);
    quick.backoff.maxDelay = std::chrono::milliseconds(1000);
    if (settings.smoke) {
        // Only that it works: keep the waits short.
        defaults.backoff.initialJitter = std::chrono::milliseconds(50);
        defaults.backoff.initialDelay = std::chrono::milliseconds(50);
        defaults.heartbeat.probeTimeout = std::chrono::milliseconds(300);
        quick.heartbeat.probeTimeout = std::chrono::milliseconds(300);
    }
    struct Row {
        QString options;
        Tether::ClientOptions client;
    };
    const QList<Row> rows = {
        {settings.smoke ? QStringLiteral("smoke (short waits)") : QStringLiteral("defaults"), defaults},
        {QStringLiteral("initialJitter 0, initialDelay 100 ms, maxDelay 1 s"), quick},
    };

    Table table(QStringLiteral("Client recovery (median / max of %1 trials, ms)").arg(settings.trials),
                {QStringLiteral("event"), QStringLiteral("client options"), QStringLiteral("messages"),
                 QStringLiteral("dead link detected"), QStringLiteral("connected again"),
                 QStringLiteral("outbox flushed"), QStringLiteral("session")},
                QStringLiteral("llrrrrl"));
    for (const Row &row : rows) {
        std::vector<double> connected, flushed;
        for (int t = 0; t < settings.trials; ++t) {
            const std::optional<Trial> trial = restartTrial(server, row.client, messages, downMs);
            if (!trial)
                return;
            connected.push_back(trial->connectedMs);
            flushed.push_back(trial->flushedMs);
        }
        table.addRow({QStringLiteral("server restart (down %1 ms), from its ready line").arg(downMs), row.options,
                      integer(2 * messages), QStringLiteral("-"), medianMax(connected), medianMax(flushed),
                      QStringLiteral("new (resent)")});
    }
    for (const Row &row : rows) {
        std::vector<double> detected, connected, flushed;
        bool allResumed = true;
        for (int t = 0; t < settings.trials; ++t) {
            const std::optional<Trial> trial = blackholeTrial(server, row.client, messages);
            if (!trial)
                return;
            detected.push_back(trial->detectMs);
            connected.push_back(trial->connectedMs);
            flushed.push_back(trial->flushedMs);
            allResumed = allResumed && trial->resumed;
        }
        table.addRow({QStringLiteral("blackhole + notifyNetworkChanged(), from the call"), row.options,
                      integer(messages), medianMax(detected), medianMax(connected), medianMax(flushed),
                      allResumed ? QStringLiteral("resumed") : QStringLiteral("not always resumed")});
    }
    table.addNote(QStringLiteral("probe timeout %1 ms (HeartbeatOptions::probeTimeout). Defaults: initialJitter "
                                 "1 s, initialDelay 500 ms, full jitter, maxDelay 30 s.")
                      .arg(defaults.heartbeat.probeTimeout.count()));
    table.print();
}

} // namespace Bench
