// Tether engine: heartbeats, probes and time-jump detection (PROTOCOL.md §7). Not public API.
//
// Rules:
// - While connected, a ping is due every interval (Options::heartbeatInterval, or
//   welcome.hb when the server gave one). The transport sends it; the engine is told of
//   the pong and reports the round trip.
// - After a ping, something must arrive within the timeout (Options::heartbeatTimeout):
//   any frame or pong counts as a sign of life. Nothing => the link is dead (abort,
//   reconnect).
// - A probe (network changed, app resumed, or a time jump: a call arriving more than
//   Options::timeJumpThreshold after the deadline the engine asked for, i.e. the machine
//   slept) pings at once and shortens the liveness deadline to Options::probeTimeout, so a
//   stale link after sleep is found in seconds, not minutes.
//
// Theory of operation: two timer slots. Ping holds the next ping; Liveness holds the
// deadline by which a sign of life must arrive (set by a ping or a probe, cleared by any
// sign of life). The RTT is measured from the oldest unanswered ping.
#pragma once

#include "timers_p.h"

namespace Tether::Engine {

class HeartbeatMonitor {
public:
    void start(TimePoint now, Duration interval, Duration timeout, TimerTable &timers);
    void stop(TimerTable &timers);
    // A frame or pong arrived.
    void signOfLife(TimerTable &timers) { timers.clear(Timer::Liveness); }
    // The Ping timer fired: the caller sends a ping.
    void pingSent(TimePoint now, TimerTable &timers);
    // A probe: the caller sends a ping; the link is dead if silent for `probeTimeout`.
    void probeSent(TimePoint now, Duration probeTimeout, TimerTable &timers);
    // Returns the RTT of the ping this pong answers, if one was outstanding.
    std::optional<RttDuration> pong(TimePoint now, TimerTable &timers);

private:
    Duration m_interval{0};
    Duration m_timeout{0};
    std::optional<TimePoint> m_pingSentAt;
};

} // namespace Tether::Engine
