#include "metrics.h"

#include <QtCore/QString>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <unistd.h>

namespace TetherServer {

namespace {

const Metrics *g_live = nullptr;

// Appends one metric family: HELP, TYPE, then its samples (each a label set and value).
class Exposition {
public:
    explicit Exposition(std::string &out) : m_out(out) {}

    void family(const char *name, const char *type, const char *help)
    {
        m_name = name;
        m_out += "# HELP ";
        m_out += name;
        m_out += ' ';
        m_out += help;
        m_out += "\n# TYPE ";
        m_out += name;
        m_out += ' ';
        m_out += type;
        m_out += '\n';
    }
    void sample(std::uint64_t value, const char *suffix = "", const char *labels = "")
    {
        char number[32];
        std::snprintf(number, sizeof number, "%" PRIu64, value);
        line(suffix, labels, number);
    }
    void sampleDouble(double value, const char *suffix = "", const char *labels = "")
    {
        char number[32];
        std::snprintf(number, sizeof number, "%.6f", value);
        line(suffix, labels, number);
    }

private:
    void line(const char *suffix, const char *labels, const char *value)
    {
        m_out += m_name;
        m_out += suffix;
        m_out += labels;
        m_out += ' ';
        m_out += value;
        m_out += '\n';
    }

    std::string &m_out;
    const char *m_name = "";
};

} // namespace

Metrics::Metrics(std::int64_t nowMs) : m_startMs(nowMs), m_lastSampleMs(nowMs)
{
    g_live = this;
}

Metrics::~Metrics()
{
    if (g_live == this)
        g_live = nullptr;
}

const Metrics *Metrics::live()
{
    return g_live;
}

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
    m_lastGauges = g;
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

std::string Metrics::prometheusText(const Gauges &g, std::int64_t nowMs) const
{
    std::string out;
    out.reserve(4096);
    Exposition e(out);
    e.family("tether_connections", "gauge", "WebSocket connections open now (every path, /raw included).");
    e.sample(g.connections);
    e.family("tether_sessions", "gauge", "Sessions held, attached to a connection or detached (kept for resume).");
    e.sample(g.sessions - g.sessionsDetached, "", "{state=\"attached\"}");
    e.sample(g.sessionsDetached, "", "{state=\"detached\"}");
    e.family("tether_channels", "gauge", "Channels held.");
    e.sample(g.channels);
    e.family("tether_messages_in_total", "counter", "WebSocket messages received (every type and path).");
    e.sample(counters.msgsIn);
    e.family("tether_messages_out_total", "counter", "WebSocket messages sent (every type and path).");
    e.sample(counters.msgsOut);
    e.family("tether_bytes_in_total", "counter", "Payload bytes of the WebSocket messages received.");
    e.sample(counters.bytesIn);
    e.family("tether_bytes_out_total", "counter", "Payload bytes of the WebSocket messages sent.");
    e.sample(counters.bytesOut);
    e.family("tether_session_resumes_total", "counter", "hellos that resumed a known session.");
    e.sample(counters.resumes);
    e.family("tether_session_takeovers_total", "counter",
             "Resumes that closed the session's older connection with 4409.");
    e.sample(counters.takeovers);

    // Redis mode only; the families exist at 0 in memory mode, so one dashboard fits both.
    e.family("tether_redis_replies_total", "counter", "Redis replies received (Redis mode).");
    e.sample(counters.redisReplies);
    e.family("tether_redis_errors_total", "counter", "Redis error replies and failed commands (Redis mode).");
    e.sample(counters.redisErrors);
    e.family("tether_redis_script_reloads_total", "counter",
             "Scripts loaded again because Redis answered NOSCRIPT (script cache flushed or lost).");
    e.sample(counters.redisScriptReloads);
    // A summary without quantiles: rate(_sum) / rate(_count) is the mean wait for a reply.
    e.family("tether_redis_reply_wait_seconds", "summary",
             "Wait from a Redis command's send to its reply (Redis mode; pipelined commands overlap).");
    e.sampleDouble(double(counters.redisReplyMicros) / 1e6, "_sum");
    e.sample(counters.redisReplies, "_count");

    e.family("tether_uptime_seconds", "gauge", "Seconds since the server started.");
    e.sampleDouble(double(nowMs - m_startMs) / 1000.0);
    e.family("tether_resident_memory_bytes", "gauge", "Resident set size of the process.");
    e.sample(residentBytes());
    return out;
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
