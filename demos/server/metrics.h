// Counters of the server and the METRICS value shared by the `metrics` channel and the
// `stats` method (field list in README.md). Rates are over the last metrics interval.
//
// The same numbers are also rendered in the Prometheus text format for `GET /metrics`
// (server.cpp). Names and types there are a public contract (dashboards and alerts are
// written against them): README.md lists them; rename nothing, only add.
#pragma once

#include <QtCore/QCborMap>

#include <cstdint>
#include <string>

namespace TetherServer {

struct Counters {
    std::uint64_t msgsIn = 0;
    std::uint64_t msgsOut = 0;
    std::uint64_t bytesIn = 0;
    std::uint64_t bytesOut = 0;
    // Sessions resumed (hello.sid found, here or loaded from Redis) and taken over (an
    // older connection closed with 4409, on this node).
    std::uint64_t resumes = 0;
    std::uint64_t takeovers = 0;
    // Redis mode: replies received, their summed wait (µs), failed or error replies.
    std::uint64_t redisReplies = 0;
    std::uint64_t redisReplyMicros = 0;
    std::uint64_t redisErrors = 0;
    // Scripts loaded again after a NOSCRIPT reply (Redis lost its script cache).
    std::uint64_t redisScriptReloads = 0;
};

struct Gauges {
    std::uint64_t connections = 0;
    std::uint64_t sessions = 0;
    std::uint64_t sessionsDetached = 0;
    std::uint64_t channels = 0;
};

class Metrics {
public:
    explicit Metrics(std::int64_t nowMs);
    ~Metrics();
    Metrics(const Metrics &) = delete;
    Metrics &operator=(const Metrics &) = delete;

    Counters counters;

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
