// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether_client_bench: Tether::Client against raw QWebSocket, over loopback, against one
// tether-server started here as a child process (`--port 0`, limits raised for benchmarks).
// Prints Markdown tables (docs/benchmarks.md, section Client). Not a test: a slow or busy
// machine changes the figures, never the exit code. It exits non-zero only when a scenario
// could not complete (a message not delivered, a client that never reconnected).
//
//   tether_client_bench [--smoke] [--only throughput|latency|memory|recovery|storm|durable]
//                       [--runs N] [--trials N] [--clients N] [--threads N] [--down MS]
//                       [--size BYTES] [--mode raw|sink|atleastonce|atmostonce|v1]
//
// Figures beside wall time: this process's CPU time (getrusage: user + system) and minor
// page faults, and the server's CPU time (/proc/<pid>/stat), because client and server
// share the machine's cores with whatever else runs on it.
#include "scenarios.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QSysInfo>

#include <cstdio>

namespace Bench {

std::unique_ptr<Tether::Client> connectedClient(const QUrl &url, const Tether::ClientOptions &options,
                                                const QString &what)
{
    auto client = std::make_unique<Tether::Client>(url, options);
    client->open();
    if (!waitFor([&] { return client->state() == Tether::State::Connected; }, 10000)) {
        fail(QStringLiteral("%1: the client did not connect to %2 (state %3, %4)")
                 .arg(what, url.toString())
                 .arg(int(client->state()))
                 .arg(client->errorString()));
        return nullptr;
    }
    return client;
}

} // namespace Bench

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Tether::Client benchmarks against tether-server"));
    parser.addHelpOption();
    const QCommandLineOption smoke(QStringLiteral("smoke"), QStringLiteral("Tiny counts: proves it runs."));
    const QCommandLineOption only(QStringLiteral("only"), QStringLiteral("One scenario."), QStringLiteral("name"));
    const QCommandLineOption runs(QStringLiteral("runs"), QStringLiteral("Throughput runs per cell."), QStringLiteral("n"));
    const QCommandLineOption trials(QStringLiteral("trials"), QStringLiteral("Recovery and storm trials per row."), QStringLiteral("n"));
    const QCommandLineOption clients(QStringLiteral("clients"), QStringLiteral("Clients in the storm."), QStringLiteral("n"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Storm: event loops (threads) for the clients."), QStringLiteral("n"));
    const QCommandLineOption down(QStringLiteral("down"), QStringLiteral("Storm: how long the server stays down."), QStringLiteral("ms"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Throughput: one payload size (64, 1024 or 65536)."),
                                  QStringLiteral("bytes"));
    const QCommandLineOption mode(QStringLiteral("mode"),
                                  QStringLiteral("Throughput: one mode (raw, sink, atleastonce, atmostonce, v1), e.g. for a "
                                                 "profiler; the ratio columns then compare it with itself."),
                                  QStringLiteral("name"));
    const QCommandLineOption memoryChild(QStringLiteral("memory-child"), QStringLiteral("(internal)"),
                                         QStringLiteral("codec"));
    parser.addOptions({smoke, only, runs, trials, clients, threads, down, size, mode, memoryChild});
    parser.process(app);
    if (parser.isSet(memoryChild))
        return Bench::memoryChild(parser.value(memoryChild), parser.positionalArguments().value(0).toInt());

    Bench::Settings settings;
    settings.smoke = parser.isSet(smoke);
    if (settings.smoke) {
        settings.runs = 1;
        settings.trials = 1;
        settings.stormClients = 20;
    }
    if (parser.isSet(runs))
        settings.runs = qMax(1, parser.value(runs).toInt());
    if (parser.isSet(trials))
        settings.trials = qMax(1, parser.value(trials).toInt());
    if (parser.isSet(clients))
        settings.stormClients = qMax(1, parser.value(clients).toInt());
    if (parser.isSet(threads))
        settings.stormThreads = qMax(1, parser.value(threads).toInt());
    if (parser.isSet(down))
        settings.stormDownMs = qMax(0, parser.value(down).toInt());
    settings.only = parser.value(only);
    settings.payloadSize = parser.value(size).toInt();
    settings.mode = parser.value(mode);
    const QStringList modes = {QStringLiteral("raw"), QStringLiteral("sink"), QStringLiteral("atleastonce"),
                               QStringLiteral("atmostonce"), QStringLiteral("v1")};
    if (!settings.mode.isEmpty() && !modes.contains(settings.mode)) {
        std::fprintf(stderr, "unknown mode '%s' (one of: %s)\n", qPrintable(settings.mode),
                     qPrintable(modes.join(QStringLiteral(", "))));
        return 2;
    }
    const QStringList known = {QStringLiteral("memory"), QStringLiteral("throughput"), QStringLiteral("latency"),
                               QStringLiteral("recovery"), QStringLiteral("storm"), QStringLiteral("durable")};
    if (!settings.only.isEmpty() && !known.contains(settings.only)) {
        std::fprintf(stderr, "unknown scenario '%s' (one of: %s)\n", qPrintable(settings.only),
                     qPrintable(known.join(QStringLiteral(", "))));
        return 2;
    }
    auto want = [&](const char *name) { return settings.only.isEmpty() || settings.only == QLatin1StringView(name); };

    // The build's server unless the caller names another implementation of docs/protocol.md.
    if (qEnvironmentVariableIsEmpty("TETHER_SERVER_BINARY"))
        qputenv("TETHER_SERVER_BINARY", TETHER_SERVER_PATH);
    Bench::ServerProcess server(Bench::serverArguments());
    if (!server.start()) {
        std::fprintf(stderr, "bench: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    const double loadBefore = Bench::loadAverage();
    std::printf("tether_client_bench%s: %s, server %s:%u (%s), load average %.1f at start\n",
                settings.smoke ? " --smoke" : "", qPrintable(QSysInfo::prettyProductName()),
                qPrintable(server.host()), unsigned(server.port()),
                qPrintable(Bench::serverArguments().join(u' ')), loadBefore);
    std::fflush(stdout);

    if (want("memory") && !Bench::failed())
        Bench::memory(settings);
    if (want("throughput") && !Bench::failed())
        Bench::throughput(settings, server);
    if (want("latency") && !Bench::failed())
        Bench::latency(settings, server);
    if (want("recovery") && !Bench::failed())
        Bench::recovery(settings, server);
    if (want("storm") && !Bench::failed())
        Bench::storm(settings, server);
    if (want("durable") && !Bench::failed())
        Bench::durable(settings, server);

    std::printf("\nload average %.1f at start, %.1f at the end\n", loadBefore, Bench::loadAverage());
    if (!server.stop())
        Bench::fail(QStringLiteral("the server did not stop cleanly: %1").arg(server.errorString()));
    return Bench::failed() ? 1 : 0;
}
