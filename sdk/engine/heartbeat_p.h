// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: heartbeats, probes and time-jump detection (docs/protocol.md §7). Not public API.
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
//   slept) pings at once and shortens the liveness deadline to the probe timeout, so a
//   stale link after sleep is found in seconds, not minutes.
// - The probe timeout adapts to the measured round trip like TCP's RTO (RFC 6298): before
//   any pong, Options::probeTimeout; then max(Options::probeTimeoutFloor, SRTT + 4 *
//   RTTVAR), so a dead link on a fast network is found within the floor while a slow or
//   jittery network keeps a deadline its pongs can meet (it may exceed probeTimeout).
//
// - New timing on a live connection (Connection::setOptions()) re-arms the deadlines from
//   the moments they count from: the next ping from the last ping (or the start), a
//   liveness deadline from the ping or probe that armed it. A deadline that is then in the
//   past is due at once (the next handleTimeout()).
//
// Theory of operation: two timer slots. Ping holds the next ping; Liveness holds the
// deadline by which a sign of life must arrive (set by a ping or a probe, cleared by any
// sign of life). The RTT is measured from the oldest unanswered ping. The moments the
// deadlines count from are kept so that reconfigure() can recompute them.
#pragma once

#include "timers_p.h"

namespace Tether::Engine {

class HeartbeatMonitor {
public:
    void start(TimePoint now, Duration interval, Duration timeout, TimerTable &timers);
    void stop(TimerTable &timers);
    bool running() const { return m_running; }
    // A frame or pong arrived.
    void signOfLife(TimerTable &timers) { forgetLiveness(timers); }
    // The liveness deadline no longer holds (a sign of life, or a time jump about to probe).
    void forgetLiveness(TimerTable &timers)
    {
        timers.clear(Timer::Liveness);
        m_livenessPing.reset();
        m_probeAt.reset();
    }
    // The Ping timer fired: the caller sends a ping.
    void pingSent(TimePoint now, TimerTable &timers);
    // A probe: the caller sends a ping; the link is dead if silent for `probeTimeout`.
    void probeSent(TimePoint now, Duration probeTimeout, TimerTable &timers);
    // Returns the RTT of the ping this pong answers, if one was outstanding.
    std::optional<RttDuration> pong(TimePoint now, TimerTable &timers);
    // RFC 6298's smoothed round trip (SRTT) and its mean deviation (RTTVAR), from every
    // pong since the client was created; none before the first.
    std::optional<RttDuration> smoothedRtt() const { return m_srtt; }
    std::optional<RttDuration> rttVariance() const { return m_rttvar; }
    // The probe deadline for these options (see the rules).
    Duration probeTimeout(Duration beforeSamples, Duration floor) const;
    // New interval/timeouts while running: re-arms Ping and Liveness (see the rules).
    // A deadline already past is set to `now` (due at once).
    void reconfigure(TimePoint now, Duration interval, Duration timeout, Duration probeTimeout, TimerTable &timers);

private:
    bool m_running = false;
    Duration m_interval{0};
    Duration m_timeout{0};
    TimePoint m_lastBeat{};                    // start() or the last ping: the next is due m_interval later
    std::optional<TimePoint> m_pingSentAt;     // the oldest unanswered ping (RTT)
    std::optional<TimePoint> m_livenessPing;   // the ping that armed Liveness (since the last sign of life)
    std::optional<TimePoint> m_probeAt;        // the probe that armed Liveness
    std::optional<RttDuration> m_srtt;
    std::optional<RttDuration> m_rttvar;
};

} // namespace Tether::Engine
