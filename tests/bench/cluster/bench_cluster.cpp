// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether_cluster_bench: tether-server in Redis mode (issue 14), printed as tables for
// docs/benchmarks.md, section "Cluster (Redis mode)". Not a test: figures never fail it;
// it exits 1 only when a scenario could not complete, 77 when redis-server or nginx is
// missing (ctest reports that as skipped).
//
//   tether_cluster_bench [--smoke] [--seconds S] [--only reliable|fanout|latency|resume] [--commandstats]
//
// Everything runs on loopback in this one run: redis-server (RedisProcess, AOF
// everysec as shipped), tether-server nodes (ServerProcess), nginx (NginxProcess) and the
// clients (FastClient for the load scenarios, the Tether SDK for the resume scenario).
#include "cluster_common.h"
#include "scenarios.h"

#include <bench_common.h>
#include <nginx_process.h>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QSysInfo>
#include <QtCore/QThread>

#include <cstdio>

namespace {

QString cpuModel()
{
    QFile cpuinfo(QStringLiteral("/proc/cpuinfo"));
    if (cpuinfo.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : cpuinfo.readAll().split('\n')) {
            if (line.startsWith("model name"))
                return QString::fromLatin1(line.mid(line.indexOf(':') + 1).trimmed());
        }
    }
    return QStringLiteral("unknown CPU");
}

void printLoad(const char *when)
{
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    std::printf("load average at %s: %.2f %.2f %.2f (%s)\n", when, load[0], load[1], load[2],
                qPrintable(QDateTime::currentDateTimeUtc().toString(Qt::ISODate)));
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("tether-server cluster (Redis mode) benchmark"));
    parser.addHelpOption();
    const QCommandLineOption smoke(QStringLiteral("smoke"), QStringLiteral("tiny counts: proves every scenario completes"));
    const QCommandLineOption seconds(QStringLiteral("seconds"), QStringLiteral("measuring time per throughput row"),
                                     QStringLiteral("s"), QStringLiteral("3"));
    const QCommandLineOption commandStats(QStringLiteral("commandstats"),
                                          QStringLiteral("print Redis INFO commandstats after each Redis row (stderr)"));
    const QCommandLineOption only(QStringLiteral("only"), QStringLiteral("one part: reliable, fanout, latency or resume"), QStringLiteral("name"));
    parser.addOptions({smoke, seconds, only, commandStats});
    parser.process(app);

    auto &s = ClusterBench::g_settings;
    s.smoke = parser.isSet(smoke);
    s.commandStats = parser.isSet(commandStats);
    s.seconds = std::max(0.2, parser.value(seconds).toDouble());
    if (s.smoke) {
        s.seconds = 0.3;
        s.subscribers = 6;
        s.resumeClients = 10;
    }
    if (!Tether::Testing::RedisProcess::available() || Tether::Testing::NginxProcess::binaryPath().isEmpty()) {
        std::fprintf(stderr, "bench: needs redis-server, redis-cli and nginx (packaging/install-deps.sh)\n");
        return 1;
    }
    std::printf("tether cluster benchmark: %s, %d cores, %s; %.1f s per throughput row%s\n", qPrintable(cpuModel()),
                QThread::idealThreadCount(), qPrintable(QSysInfo::prettyProductName()), s.seconds,
                s.smoke ? " (smoke: figures mean nothing)" : "");
    printLoad("start");
    const QString part = parser.value(only);
    if (part != QLatin1StringView("resume"))
        ClusterBench::runLoad(part);
    if (part.isEmpty() || part == QLatin1StringView("resume"))
        ClusterBench::runResume();
    std::printf("\n");
    printLoad("end");
    return Bench::failed() ? 1 : 0;
}
