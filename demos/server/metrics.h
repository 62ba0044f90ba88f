// Counters of the server and the METRICS value shared by the `metrics` channel and the
// `stats` method (field list in README.md). Rates are over the last metrics interval.
#pragma once

#include <QtCore/QCborMap>

#include <cstdint>

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
};

struct Gauges {
    std::uint64_t connections = 0;
    std::uint64_t sessions = 0;
    std::uint64_t sessionsDetached = 0;
    std::uint64_t channels = 0;
};

class Metrics {
public:
    explicit Metrics(std::int64_t nowMs) : m_startMs(nowMs), m_lastSampleMs(nowMs) {}

    Counters counters;

    // Closes the current interval (call once per metrics tick).
    void sample(std::int64_t nowMs);
    QCborMap snapshot(const Gauges &gauges, std::int64_t nowMs) const;

    static std::uint64_t residentBytes();
    static std::int64_t unixMs();

private:
    std::int64_t m_startMs;
    std::int64_t m_lastSampleMs;
    Counters m_atLastSample;
    double m_rates[4] = {0, 0, 0, 0};   // msgsIn, msgsOut, bytesIn, bytesOut per second
};

} // namespace TetherServer
