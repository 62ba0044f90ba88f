#include "metrics.h"

#include <QtCore/QString>

#include <chrono>
#include <cstdio>
#include <unistd.h>

namespace TetherServer {

void Metrics::sample(std::int64_t nowMs)
{
    const double seconds = double(nowMs - m_lastSampleMs) / 1000.0;
    if (seconds <= 0)
        return;
    m_rates[0] = double(counters.msgsIn - m_atLastSample.msgsIn) / seconds;
    m_rates[1] = double(counters.msgsOut - m_atLastSample.msgsOut) / seconds;
    m_rates[2] = double(counters.bytesIn - m_atLastSample.bytesIn) / seconds;
    m_rates[3] = double(counters.bytesOut - m_atLastSample.bytesOut) / seconds;
    m_atLastSample = counters;
    m_lastSampleMs = nowMs;
}

QCborMap Metrics::snapshot(const Gauges &g, std::int64_t nowMs) const
{
    const auto n = [](std::uint64_t v) { return QCborValue(qint64(v)); };
    QCborMap map;
    map.insert(QStringLiteral("ts"), qint64(unixMs()));
    map.insert(QStringLiteral("uptimeMs"), qint64(nowMs - m_startMs));
    map.insert(QStringLiteral("connections"), n(g.connections));
    map.insert(QStringLiteral("sessions"), n(g.sessions));
    map.insert(QStringLiteral("sessionsAttached"), n(g.sessions - g.sessionsDetached));
    map.insert(QStringLiteral("sessionsDetached"), n(g.sessionsDetached));
    map.insert(QStringLiteral("channels"), n(g.channels));
    map.insert(QStringLiteral("msgsIn"), n(counters.msgsIn));
    map.insert(QStringLiteral("msgsOut"), n(counters.msgsOut));
    map.insert(QStringLiteral("bytesIn"), n(counters.bytesIn));
    map.insert(QStringLiteral("bytesOut"), n(counters.bytesOut));
    map.insert(QStringLiteral("msgsInPerSec"), qint64(m_rates[0] + 0.5));
    map.insert(QStringLiteral("msgsOutPerSec"), qint64(m_rates[1] + 0.5));
    map.insert(QStringLiteral("bytesInPerSec"), qint64(m_rates[2] + 0.5));
    map.insert(QStringLiteral("bytesOutPerSec"), qint64(m_rates[3] + 0.5));
    map.insert(QStringLiteral("rssBytes"), n(residentBytes()));
    return map;
}

std::uint64_t Metrics::residentBytes()
{
    std::FILE *file = std::fopen("/proc/self/statm", "r");
    if (!file)
        return 0;
    unsigned long long size = 0, resident = 0;
    const int fields = std::fscanf(file, "%llu %llu", &size, &resident);
    std::fclose(file);
    if (fields != 2)
        return 0;
    return resident * std::uint64_t(sysconf(_SC_PAGESIZE));
}

std::int64_t Metrics::unixMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace TetherServer
