// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Latency: one round trip at a time (ping-pong), so each sample is the full path through
// both processes with nothing queued behind it.
//   raw      a plain QWebSocket sends 64 bytes to the server's raw echo and waits for them;
//   request  Client::request("echo", 48-byte payload) until Reply::finished() (a frame of
//            about the same size; the Reply is deleted with deleteLater() as an app would).
// The paths alternate in blocks so that the machine's load weighs on both alike; a short
// warm-up of each is discarded. Client CPU per round trip is measured over all blocks.
#include "scenarios.h"

#include <QtCore/QElapsedTimer>
#include <QtWebSockets/QWebSocket>

#include <functional>

namespace Bench {

namespace {

constexpr int kBlocks = 10;
constexpr int kTimeoutMs = 120000;

struct Path {
    QString name;
    // Runs `n` round trips one after the other, appending each in µs; false on failure.
    std::function<bool(int n, std::vector<double> &samples)> roundTrips;
    std::vector<double> samples;
    Usage used;
};

bool rawRoundTrips(QWebSocket &socket, int n, std::vector<double> &samples)
{
    const QByteArray payload(64, 'x');
    QElapsedTimer clock;
    int left = n;
    const auto c = QObject::connect(&socket, &QWebSocket::binaryMessageReceived, &socket, [&](const QByteArray &) {
        samples.push_back(double(clock.nsecsElapsed()) / 1e3);
        if (--left > 0) {
            clock.start();
            socket.sendBinaryMessage(payload);
        }
    });
    clock.start();
    socket.sendBinaryMessage(payload);
    const bool ok = waitFor([&] { return left == 0; }, kTimeoutMs);
    QObject::disconnect(c);
    return ok;
}

bool requestRoundTrips(Tether::Client &client, const QCborValue &params, int n, std::vector<double> &samples)
{
    QElapsedTimer clock;
    int left = n;
    bool failed = false;
    std::function<void()> next = [&] {
        clock.start();
        Tether::Reply *reply = client.request(QStringLiteral("echo"), params);
        QObject::connect(reply, &Tether::Reply::finished, &client, [&, reply] {
            samples.push_back(double(clock.nsecsElapsed()) / 1e3);
            failed = failed || reply->error().isError() || reply->result() != params;
            reply->deleteLater();
            if (--left > 0 && !failed)
                next();
        });
    };
    next();
    return waitFor([&] { return left == 0 || failed; }, kTimeoutMs) && !failed;
}

} // namespace

void latency(const Settings &settings, ServerProcess &server)
{
    const int total = settings.smoke ? 200 : 20000;
    const int warmUp = settings.smoke ? 20 : 500;

    QWebSocket raw;
    raw.open(server.url(QStringLiteral("/raw")));
    if (!waitFor([&] { return raw.state() == QAbstractSocket::ConnectedState; }, 10000)) {
        fail(QStringLiteral("latency: raw socket did not open"));
        return;
    }
    Tether::ClientOptions cborOptions;
    cborOptions.codec = Tether::Codec::Cbor;
    Tether::ClientOptions jsonOptions;
    jsonOptions.codec = Tether::Codec::Json;
    auto cbor = connectedClient(server.url(), cborOptions, QStringLiteral("latency"));
    auto json = connectedClient(server.url(), jsonOptions, QStringLiteral("latency"));
    if (!cbor || !json)
        return;
    const QCborValue bytes(QByteArray(48, 'x'));
    const QCborValue text(QString(48, u'x'));

    QList<Path> paths = {
        {QStringLiteral("raw QWebSocket ping-pong, 64 B binary"),
         [&](int n, std::vector<double> &s) { return rawRoundTrips(raw, n, s); }, {}, {}},
        {QStringLiteral("request(\"echo\"), CBOR, 48 B byte string"),
         [&](int n, std::vector<double> &s) { return requestRoundTrips(*cbor, bytes, n, s); }, {}, {}},
        {QStringLiteral("request(\"echo\"), JSON, 48-char string"),
         [&](int n, std::vector<double> &s) { return requestRoundTrips(*json, text, n, s); }, {}, {}},
    };
    for (Path &path : paths) {
        std::vector<double> discarded;
        if (!path.roundTrips(warmUp, discarded)) {
            fail(QStringLiteral("latency: warm-up failed: %1").arg(path.name));
            return;
        }
    }
    for (int block = 0; block < kBlocks; ++block) {
        for (Path &path : paths) {
            const Usage before = Usage::now(server.pid());
            const bool ok = path.roundTrips(total / kBlocks, path.samples);
            const Usage used = Usage::now(server.pid()) - before;
            path.used.wallS += used.wallS;
            path.used.cpuS += used.cpuS;
            path.used.serverCpuS += used.serverCpuS;
            if (!ok) {
                fail(QStringLiteral("latency: round trips failed: %1").arg(path.name));
                return;
            }
        }
    }

    Table table(QStringLiteral("Client latency, one round trip at a time (%1 each)").arg(integer(total)),
                {QStringLiteral("path"), QStringLiteral("p50 µs"), QStringLiteral("p99 µs"),
                 QStringLiteral("p99.9 µs"), QStringLiteral("client CPU µs/round trip"),
                 QStringLiteral("server CPU µs/round trip"), QStringLiteral("target")},
                QStringLiteral("lrrrrrl"));
    const double rawP50 = percentile(paths[0].samples, 0.5);
    const double rawP99 = percentile(paths[0].samples, 0.99);
    for (qsizetype i = 0; i < paths.size(); ++i) {
        Path &path = paths[i];
        const double p50 = percentile(path.samples, 0.5);
        const double p99 = percentile(path.samples, 0.99);
        const double p999 = percentile(path.samples, 0.999);
        const double n = double(path.samples.size());
        QString target = QStringLiteral("-");
        if (i > 0) {
            target = QStringLiteral("p50 <= raw + 10 µs: %1 (+%2 µs); p99 <= 1.3x raw: %3 (%4)")
                         .arg(verdict(p50 <= rawP50 + 10), fixed(p50 - rawP50, 1), verdict(p99 <= 1.3 * rawP99),
                              ratio(p99 / rawP99));
        }
        table.addRow({path.name, fixed(p50, 1), fixed(p99, 1), fixed(p999, 1), fixed(path.used.cpuS * 1e6 / n, 1),
                      fixed(path.used.serverCpuS * 1e6 / n, 1), target});
    }
    table.print();
}

} // namespace Bench
