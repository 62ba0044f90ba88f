// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Throughput: how many binary messages per second one connection completes, with the same
// window of 256 unconfirmed messages in all three modes:
//   raw         a plain QWebSocket on the server's raw echo (`/raw`): a message is done
//               when its echo comes back; a new one is sent per echo (the baseline);
//   raw sink    a plain QWebSocket on the server's raw sink (`/raw?sink`), one direction
//               like the Tether modes: messages are written while QWebSocket holds less
//               than a window's bytes unwritten, then a ping; done at its pong (the server
//               answers it after reading everything before it). The stricter baseline for
//               large payloads, where the echo's return traffic slows the raw client;
//   AtLeastOnce Client::send(QByteArray) (a CBOR byte string), done at delivered(id), i.e.
//               when the server's cumulative ack covers it; a new one is sent per delivered();
//   AtMostOnce  Client::send(..., AtMostOnce) in batches of 64; once the last of a batch is
//               on the socket (sent(id)), a request("echo") whose answer proves the batch
//               was read (the server answers in order); at most 4 batches are outstanding.
//   AtLeastOnce v1  as AtLeastOnce, against a second server started with `--protocol 1`
//               (a v1-only server: one WebSocket message per frame), to show what v1.1's
//               batches (docs/protocol.md §10) change in the same run.
// The Tether modes against the main server negotiate v1.1 (tether.v1.1.cbor).
// Each run opens a fresh connection (not timed) and sends `count` messages. A cell shows,
// over `runs` runs, the best wall-clock rate, the least client and server CPU per message
// and the median of minor page faults; the modes are interleaved so that the machine's
// load weighs on all of them alike.
#include "scenarios.h"

#include <QtCore/QHash>
#include <QtWebSockets/QWebSocket>

#include <algorithm>
#include <deque>
#include <functional>

namespace Bench {

namespace {

constexpr int kWindow = 256;
constexpr int kBarrierBatch = 64;
constexpr int kTimeoutMs = 180000;

enum class Mode { Raw, RawSink, AtLeastOnce, AtMostOnce, AtLeastOnceV1 };

struct Run {
    bool ok = false;
    Usage used;
};

Run runRaw(const ServerProcess &server, const QByteArray &payload, qint64 count)
{
    QWebSocket socket;
    socket.open(server.url(QStringLiteral("/raw")));
    if (!waitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 10000)) {
        fail(QStringLiteral("throughput: raw socket did not open: %1").arg(socket.errorString()));
        return {};
    }
    qint64 sent = 0, echoed = 0;
    QObject::connect(&socket, &QWebSocket::binaryMessageReceived, &socket, [&](const QByteArray &) {
        ++echoed;
        if (sent < count) {
            socket.sendBinaryMessage(payload);
            ++sent;
        }
    });
    const Usage before = Usage::now(server.pid());
    for (; sent < kWindow && sent < count; ++sent)
        socket.sendBinaryMessage(payload);
    const bool done = waitFor([&] { return echoed == count; }, kTimeoutMs);
    Run run{done, Usage::now(server.pid()) - before};
    if (!done)
        fail(QStringLiteral("throughput: raw echo returned %1 of %2").arg(echoed).arg(count));
    socket.abort();
    return run;
}

Run runRawSink(const ServerProcess &server, const QByteArray &payload, qint64 count)
{
    QWebSocket socket;
    QUrl url = server.url(QStringLiteral("/raw"));
    url.setQuery(QStringLiteral("sink"));
    socket.open(url);
    if (!waitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 10000)) {
        fail(QStringLiteral("throughput: raw sink socket did not open: %1").arg(socket.errorString()));
        return {};
    }
    const qint64 unwrittenLimit = qint64(kWindow) * payload.size();
    qint64 sent = 0;
    bool pinged = false, ponged = false;
    auto fill = [&] {
        while (sent < count && socket.bytesToWrite() < unwrittenLimit) {
            socket.sendBinaryMessage(payload);
            ++sent;
        }
        if (sent == count && !pinged) {
            socket.ping(QByteArrayLiteral("end"));
            pinged = true;
        }
    };
    QObject::connect(&socket, &QWebSocket::bytesWritten, &socket, fill);
    QObject::connect(&socket, &QWebSocket::pong, &socket, [&] { ponged = true; });
    const Usage before = Usage::now(server.pid());
    fill();
    const bool done = waitFor([&] { return ponged; }, kTimeoutMs);
    Run run{done, Usage::now(server.pid()) - before};
    if (!done)
        fail(QStringLiteral("throughput: raw sink took %1 of %2 without the final pong").arg(sent).arg(count));
    socket.abort();
    return run;
}

Tether::ClientOptions clientOptions(qint64 count)
{
    Tether::ClientOptions options;
    options.codec = Tether::Codec::Cbor;  // byte strings as they are: never base64
    options.queue.maxInFlight = kWindow;
    options.queue.maxMessages = int(std::max<qint64>(count, 10000));
    options.queue.maxBytes = qint64(1) << 30;
    return options;
}

Run runAtLeastOnce(const ServerProcess &server, const QByteArray &payload, qint64 count)
{
    Run run;
    run.ok = reliableWindow(server, clientOptions(count), payload, count, kWindow, &run.used);
    return run;
}

Run runAtMostOnce(const ServerProcess &server, const QByteArray &payload, qint64 count)
{
    auto client = connectedClient(server.url(), clientOptions(count), QStringLiteral("throughput"));
    if (!client)
        return {};
    Tether::SendOptions atMostOnce;
    atMostOnce.delivery = Tether::Delivery::AtMostOnce;
    qint64 queued = 0, confirmed = 0;
    bool refused = false;
    // The barrier is asked for once the batch's last message is on the socket (sent()): a
    // request is not ordered with messages the client still holds (backpressure). sent()
    // may come before send() returns (a full batch leaves at once), so batches are told
    // apart by counting, not by the last id.
    struct Batch {
        qint64 end;   // messages queued up to and including this batch
        qint64 size;
    };
    std::deque<Batch> batches;
    qint64 sentCount = 0;
    std::function<void()> sendBatch;
    const auto releaseBarriers = [&] {
        while (!batches.empty() && batches.front().end <= sentCount) {
            const qint64 n = batches.front().size;
            batches.pop_front();
            Tether::Reply *barrier = client->request(QStringLiteral("echo"));
            QObject::connect(barrier, &Tether::Reply::finished, client.get(), [&, barrier, n] {
                if (barrier->error().isError())
                    refused = true;
                confirmed += n;
                barrier->deleteLater();
                if (queued < count)
                    sendBatch();
            });
        }
    };
    sendBatch = [&] {
        const qint64 n = std::min<qint64>(kBarrierBatch, count - queued);
        for (qint64 i = 0; i < n; ++i) {
            if (!client->send(payload, atMostOnce))
                refused = true;
        }
        queued += n;
        batches.push_back({queued, n});
        releaseBarriers();
    };
    QObject::connect(client.get(), &Tether::Client::sent, client.get(), [&](const QString &) {
        ++sentCount;
        releaseBarriers();
    });
    QObject::connect(client.get(), &Tether::Client::dropped, client.get(), [&] { refused = true; });
    const Usage before = Usage::now(server.pid());
    while (queued < kWindow && queued < count)
        sendBatch();
    const bool done = waitFor([&] { return confirmed == count || refused; }, kTimeoutMs) && !refused;
    Run run{done, Usage::now(server.pid()) - before};
    if (!done)
        fail(QStringLiteral("throughput: AtMostOnce confirmed %1 of %2").arg(confirmed).arg(count));
    return run;
}

struct Cell {
    double perSecond = 0;      // best wall-clock rate
    double cpuUs = 1e300;      // least client CPU per message
    double serverCpuUs = 1e300;
    std::vector<double> faultsPerK;  // minor page faults per 1000 messages, per run
    std::vector<double> waitsPerK;   // voluntary context switches per 1000 messages, per run
};

QString modeKey(Mode mode)
{
    switch (mode) {
    case Mode::Raw: return QStringLiteral("raw");
    case Mode::RawSink: return QStringLiteral("sink");
    case Mode::AtLeastOnce: return QStringLiteral("atleastonce");
    case Mode::AtMostOnce: return QStringLiteral("atmostonce");
    case Mode::AtLeastOnceV1: return QStringLiteral("v1");
    }
    return {};
}

QString modeName(Mode mode)
{
    switch (mode) {
    case Mode::Raw: return QStringLiteral("raw QWebSocket echo");
    case Mode::RawSink: return QStringLiteral("raw QWebSocket sink");
    case Mode::AtLeastOnce: return QStringLiteral("Client AtLeastOnce");
    case Mode::AtMostOnce: return QStringLiteral("Client AtMostOnce");
    case Mode::AtLeastOnceV1: return QStringLiteral("Client AtLeastOnce, v1 server");
    }
    return {};
}

} // namespace

bool reliableWindow(const ServerProcess &server, const Tether::ClientOptions &options, const QByteArray &payload,
                    qint64 count, int window, Usage *used)
{
    auto client = connectedClient(server.url(), options, QStringLiteral("throughput"));
    if (!client)
        return false;
    qint64 queued = 0, delivered = 0;
    bool refused = false;
    auto sendOne = [&] {
        if (!client->send(payload))
            refused = true;
        ++queued;
    };
    QObject::connect(client.get(), &Tether::Client::delivered, client.get(), [&](const QString &) {
        ++delivered;
        if (queued < count)
            sendOne();
    });
    QObject::connect(client.get(), &Tether::Client::rejected, client.get(), [&] { refused = true; });
    QObject::connect(client.get(), &Tether::Client::dropped, client.get(), [&] { refused = true; });
    const Usage before = Usage::now(server.pid());
    while (queued < window && queued < count)
        sendOne();
    const bool done = waitFor([&] { return delivered == count || refused; }, kTimeoutMs) && !refused;
    *used = Usage::now(server.pid()) - before;
    if (!done)
        fail(QStringLiteral("AtLeastOnce delivered %1 of %2 (refused/rejected/dropped: %3)")
                 .arg(delivered).arg(count).arg(refused));
    return done;
}

void throughput(const Settings &settings, ServerProcess &server)
{
    // Issue 18's targets for AtLeastOnce (0 = none): vs the raw echo, vs the raw sink (wall
    // rates), client CPU per acknowledged message, page faults no worse than the raw sink's.
    struct Size {
        int bytes;
        qint64 count;
        double echoTarget;
        double sinkTarget;
        double cpuTargetUs;
        bool faultTarget;
    };
    const QList<Size> sizes = {
        // About a second per run: shorter runs mostly measure the scheduler on two shared cores.
        {64, settings.smoke ? 2000 : 600000, 1.5, 0.4, 0.5, false},
        {1024, settings.smoke ? 1000 : 300000, 1.0, 0, 0, false},
        {65536, settings.smoke ? 40 : 12000, 0, 1.0, 0, true},
    };
    // A v1-only server beside the main one (same arguments), for the v1 row.
    ServerProcess v1Server(serverArguments() + QStringList{QStringLiteral("--protocol"), QStringLiteral("1")});
    if (!v1Server.start()) {
        fail(QStringLiteral("throughput: the v1 server did not start: %1").arg(v1Server.errorString()));
        return;
    }
    Table table(QStringLiteral("Client throughput, binary payloads, window 256 (best of %1 runs)").arg(settings.runs),
                {QStringLiteral("payload"), QStringLiteral("mode"), QStringLiteral("msgs/s (wall)"),
                 QStringLiteral("MB/s"), QStringLiteral("vs raw (wall)"), QStringLiteral("vs raw sink (wall)"),
                 QStringLiteral("client CPU µs/msg"),
                 QStringLiteral("vs raw (CPU)"), QStringLiteral("minor faults/1k msgs"),
                 QStringLiteral("client waits/1k msgs"),
                 QStringLiteral("server CPU µs/msg"), QStringLiteral("target (AtLeastOnce)")},
                QStringLiteral("llrrrrrrrrrl"));
    QList<Mode> modes = {Mode::Raw, Mode::RawSink, Mode::AtLeastOnce, Mode::AtMostOnce, Mode::AtLeastOnceV1};
    if (!settings.mode.isEmpty())  // one mode (--mode, for a profiler): no ratio columns
        modes.removeIf([&](Mode m) { return modeKey(m) != settings.mode; });
    const qsizetype kModes = modes.size();
    const qsizetype echo = modes.indexOf(Mode::Raw), sink = modes.indexOf(Mode::RawSink);
    for (const Size &size : sizes) {
        if (settings.payloadSize != 0 && settings.payloadSize != size.bytes)
            continue;
        const QByteArray payload(size.bytes, 'x');
        std::vector<Cell> cells(size_t(kModes), Cell{});
        for (int r = 0; r < settings.runs; ++r) {
            for (qsizetype m = 0; m < kModes; ++m) {
                Run run;
                switch (modes[m]) {
                case Mode::Raw: run = runRaw(server, payload, size.count); break;
                case Mode::RawSink: run = runRawSink(server, payload, size.count); break;
                case Mode::AtLeastOnce: run = runAtLeastOnce(server, payload, size.count); break;
                case Mode::AtMostOnce: run = runAtMostOnce(server, payload, size.count); break;
                case Mode::AtLeastOnceV1: run = runAtLeastOnce(v1Server, payload, size.count); break;
                }
                if (!run.ok)
                    return;
                const double n = double(size.count);
                Cell &c = cells[m];
                c.perSecond = std::max(c.perSecond, n / run.used.wallS);
                c.cpuUs = std::min(c.cpuUs, run.used.cpuS * 1e6 / n);
                c.serverCpuUs = std::min(c.serverCpuUs, run.used.serverCpuS * 1e6 / n);
                c.faultsPerK.push_back(double(run.used.minorFaults) * 1000 / n);
                c.waitsPerK.push_back(double(run.used.waits) * 1000 / n);
            }
        }
        const QString sizeText = size.bytes >= 1024 ? QStringLiteral("%1 KiB").arg(size.bytes / 1024)
                                                    : QStringLiteral("%1 B").arg(size.bytes);
        for (qsizetype m = 0; m < kModes; ++m) {
            const Cell &c = cells[m];
            // A ratio needs its baseline in this run (absent under --mode).
            const auto against = [&](qsizetype base, double value) {
                return base < 0 ? QStringLiteral("-") : m == base ? QStringLiteral("1.00x") : ratio(value);
            };
            const double wallRatio = echo < 0 ? 0 : c.perSecond / cells[echo].perSecond;
            const double sinkRatio = sink < 0 ? 0 : c.perSecond / cells[sink].perSecond;
            const double cpuRatio = echo < 0 ? 0 : cells[echo].cpuUs / c.cpuUs;
            QStringList targets;
            if (modes[m] == Mode::AtLeastOnce) {
                if (size.echoTarget > 0 && echo >= 0)
                    targets << QStringLiteral("echo >= %1x %2").arg(size.echoTarget, 0, 'f', 1)
                                   .arg(verdict(wallRatio >= size.echoTarget));
                if (size.sinkTarget > 0 && sink >= 0)
                    targets << QStringLiteral("sink >= %1x %2").arg(size.sinkTarget, 0, 'f', 1)
                                   .arg(verdict(sinkRatio >= size.sinkTarget));
                if (size.cpuTargetUs > 0)
                    targets << QStringLiteral("CPU <= %1 µs %2").arg(size.cpuTargetUs, 0, 'f', 1)
                                   .arg(verdict(c.cpuUs <= size.cpuTargetUs));
                if (size.faultTarget && sink >= 0)
                    targets << QStringLiteral("faults <= raw sink %1")
                                   .arg(verdict(median(c.faultsPerK) <= median(cells[sink].faultsPerK)));
            }
            const QString target = targets.isEmpty() ? QStringLiteral("-") : targets.join(QStringLiteral(", "));
            table.addRow({sizeText, modeName(modes[m]), integer(c.perSecond),
                          fixed(c.perSecond * size.bytes / 1e6, 1), against(echo, wallRatio),
                          against(sink, sinkRatio), fixed(c.cpuUs, 2), against(echo, cpuRatio),
                          fixed(median(c.faultsPerK), 1), fixed(median(c.waitsPerK), 1),
                          fixed(c.serverCpuUs, 2), target});
        }
    }
    table.addNote(QStringLiteral("faults and waits: medians over the runs; waits = voluntary context switches "
                                 "(the client blocked for input), a proxy for round trips between the processes."));
    table.addNote(QStringLiteral("vs raw (CPU) = raw echo client CPU per message / this mode's: the ratio the "
                                 "client alone would reach if it had a core to itself."));
    table.addNote(QStringLiteral("targets (issue 18, AtLeastOnce over v1.1): 64 B >= 1.5x the raw echo, >= 0.4x the "
                                 "raw sink, client CPU <= 0.5 µs/msg; 1 KiB >= 1.0x the raw echo; 64 KiB >= 1.0x "
                                 "the raw sink with page faults per message no worse than the raw sink's."));
    table.print();
}

} // namespace Bench
