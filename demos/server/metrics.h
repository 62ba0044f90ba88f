// Counters of the server and the METRICS value shared by the `metrics` channel and the
// `stats` method (field list in README.md). Rates are over the last metrics interval.
//
// The same numbers are also rendered in the Prometheus text format for `GET /metrics`
// (server.cpp). Names and types there are a public contract (dashboards and alerts are
// written against them): README.md lists them; rename nothing, only add.
#pragma once

#include <QtCore/QCborMap>

#include <array>
#include <cstdint>
#include <string>

namespace TetherServer {

struct Counters {
    std::uint64_t msgsIn = 0;
    std::uint64_t msgsOut = 0;
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    std::uint64_t resumes = 0;      // hello resumed a known session (welcome.resumed true)
    std::uint64_t takeovers = 0;    // ... whose older connection was closed with 4409
};

struct Gauges {
    std::uint64_t connections = 0;
    std::uint64_t sessions = 0;
    std::uint64_t sessionsDetached = 0;
    std::uint64_t channels = 0;
};

// What Redis mode reports; all zero in memory mode, so a dashboard needs no second
// layout for it. A round trip is one pipelined batch written and all its replies read.
struct RedisMetrics {
    // Upper bounds of the latency histogram, in microseconds (Prometheus `le`, seconds).
    static constexpr std::array<std::uint64_t, 12> kBucketsUs = {
        100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};

    std::uint64_t shardsConnected = 0;  // gauge: shards whose connection is up now
    std::uint64_t commands = 0;         // commands sent
    std::uint64_t roundTrips = 0;       // pipelined batches completed (latency observed)
    std::uint64_t errors = 0;           // error replies, connection failures, timeouts

    // Records one round trip's latency (from the batch's write to its last reply).
    void observeRoundTrip(std::uint64_t micros);

    std::array<std::uint64_t, kBucketsUs.size()> bucketCounts{};  // not cumulative
    std::uint64_t latencySumUs = 0;
};

class Metrics {
public:
    explicit Metrics(std::int64_t nowMs);
    ~Metrics();
    Metrics(const Metrics &) = delete;
    Metrics &operator=(const Metrics &) = delete;

    Counters counters;
    RedisMetrics redis;

    // Closes the current interval (call once per metrics tick).
    void sample(std::int64_t nowMs);
    QCborMap snapshot(const Gauges &gauges, std::int64_t nowMs) const;
    // The Prometheus text exposition format (version 0.0.4) of everything above.
    std::string prometheusText(const Gauges &gauges, std::int64_t nowMs) const;

    // ### The hub owns the process's Metrics and does not expose it (nor its gauges) yet:
    // until it does (Hub::metrics(), Hub::gauges()), the HTTP side reads the live
    // instance here and the gauges as of the last snapshot() (the last metrics tick or
    // `stats` call).
    static const Metrics *live();
    Gauges lastGauges() const { return m_lastGauges; }

    static std::uint64_t residentBytes();
    static std::int64_t unixMs();

private:
    std::int64_t m_startMs;
    std::int64_t m_lastSampleMs;
    Counters m_atLastSample;
    double m_rates[4] = {0, 0, 0, 0};   // msgsIn, msgsOut, bytesIn, bytesOut per second
    mutable Gauges m_lastGauges;
};

} // namespace TetherServer
