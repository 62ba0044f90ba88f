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
//   AtMostOnce  Client::send(..., AtMostOnce) in batches of 64, each followed by a
//               request("echo") whose answer proves the batch was read (the server answers
//               in order); at most 4 batches are outstanding.
// Each run opens a fresh connection (not timed) and sends `count` messages. A cell shows,
// over `runs` runs, the best wall-clock rate, the least client and server CPU per message
// and the median of minor page faults; the modes are interleaved so that the machine's
// load weighs on all of them alike.
#include "scenarios.h"

#include <QtWebSockets/QWebSocket>

#include <algorithm>
#include <functional>

namespace Bench {

namespace {

constexpr int kWindow = 256;
constexpr int kBarrierBatch = 64;
constexpr int kTimeoutMs = 180000;

enum class Mode { Raw, RawSink, AtLeastOnce, AtMostOnce };

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
    std::function<void()> sendBatch = [&] {
        const qint64 n = std::min<qint64>(kBarrierBatch, count - queued);
        for (qint64 i = 0; i < n; ++i) {
            if (!client->send(payload, atMostOnce))
                refused = true;
        }
        queued += n;
        Tether::Reply *barrier = client->request(QStringLiteral("echo"));
        QObject::connect(barrier, &Tether::Reply::finished, client.get(), [&, barrier, n] {
            if (barrier->error().isError())
                refused = true;
            confirmed += n;
            barrier->deleteLater();
            if (queued < count)
                sendBatch();
        });
    };
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

QString modeName(Mode mode)
{
    switch (mode) {
    case Mode::Raw: return QStringLiteral("raw QWebSocket echo");
    case Mode::RawSink: return QStringLiteral("raw QWebSocket sink");
    case Mode::AtLeastOnce: return QStringLiteral("Client AtLeastOnce");
    case Mode::AtMostOnce: return QStringLiteral("Client AtMostOnce");
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
    struct Size {
        int bytes;
        qint64 count;
        double target;
        QString targetText;
    };
    const QList<Size> sizes = {
        // About a second per run: shorter runs mostly measure the scheduler on two shared cores.
        {64, settings.smoke ? 2000 : 600000, 0.25, QStringLiteral(">= 0.25x (stretch 0.33x)")},
        {1024, settings.smoke ? 1000 : 300000, 0.5, QStringLiteral(">= 0.5x")},
        {65536, settings.smoke ? 40 : 12000, 0.9, QStringLiteral(">= 0.9x")},
    };
    Table table(QStringLiteral("Client throughput, binary payloads, window 256 (best of %1 runs)").arg(settings.runs),
                {QStringLiteral("payload"), QStringLiteral("mode"), QStringLiteral("msgs/s (wall)"),
                 QStringLiteral("MB/s"), QStringLiteral("vs raw (wall)"), QStringLiteral("vs raw sink (wall)"),
                 QStringLiteral("client CPU µs/msg"),
                 QStringLiteral("vs raw (CPU)"), QStringLiteral("minor faults/1k msgs"),
                 QStringLiteral("client waits/1k msgs"),
                 QStringLiteral("server CPU µs/msg"), QStringLiteral("target (AtLeastOnce)")},
                QStringLiteral("llrrrrrrrrrl"));
    const QList<Mode> modes = {Mode::Raw, Mode::RawSink, Mode::AtLeastOnce, Mode::AtMostOnce};
    constexpr int kModes = 4;
    for (const Size &size : sizes) {
        if (settings.payloadSize != 0 && settings.payloadSize != size.bytes)
            continue;
        const QByteArray payload(size.bytes, 'x');
        Cell cells[kModes];
        for (int r = 0; r < settings.runs; ++r) {
            for (int m = 0; m < kModes; ++m) {
                Run run;
                switch (modes[m]) {
                case Mode::Raw: run = runRaw(server, payload, size.count); break;
                case Mode::RawSink: run = runRawSink(server, payload, size.count); break;
                case Mode::AtLeastOnce: run = runAtLeastOnce(server, payload, size.count); break;
                case Mode::AtMostOnce: run = runAtMostOnce(server, payload, size.count); break;
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
        for (int m = 0; m < kModes; ++m) {
            const Cell &c = cells[m];
            const double wallRatio = c.perSecond / cells[0].perSecond;
            const double sinkRatio = c.perSecond / cells[1].perSecond;
            const double cpuRatio = cells[0].cpuUs / c.cpuUs;
            QString target = QStringLiteral("-");
            if (modes[m] == Mode::AtLeastOnce)
                target = size.targetText + QStringLiteral(": echo ") + verdict(wallRatio >= size.target)
                         + QStringLiteral(", sink ") + verdict(sinkRatio >= size.target);
            table.addRow({sizeText, modeName(modes[m]), integer(c.perSecond),
                          fixed(c.perSecond * size.bytes / 1e6, 1),
                          m == 0 ? QStringLiteral("1.00x") : ratio(wallRatio),
                          m == 1 ? QStringLiteral("1.00x") : ratio(sinkRatio), fixed(c.cpuUs, 2),
                          m == 0 ? QStringLiteral("1.00x") : ratio(cpuRatio), fixed(median(c.faultsPerK), 1),
                          fixed(median(c.waitsPerK), 1),
                          fixed(c.serverCpuUs, 2), target});
        }
    }
    table.addNote(QStringLiteral("faults and waits: medians over the runs; waits = voluntary context switches "
                                 "(the client blocked for input), a proxy for round trips between the processes."));
    table.addNote(QStringLiteral("vs raw (CPU) = raw echo client CPU per message / this mode's: the ratio the "
                                 "client alone would reach if it had a core to itself."));
    table.addNote(QStringLiteral("target: the issue sets it against the raw echo; the verdict is also given "
                                 "against the raw sink, which sends in one direction only like the Tether modes."));
    table.print();
}

} // namespace Bench
