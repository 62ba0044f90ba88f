// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: reconnection backoff with jitter. Not public API.
//
// Rules (issue 4, JitterMode::Full reworked for issue 6's reconnect storm):
// - The base delay of attempt n (1-based) is backoff(n) = min(max, initial * multiplier^(n-1)).
// - JitterMode::Full (default) lays the retries of one outage on back-to-back windows
//   counted from the moment the link was lost (or the first attempt failed): window 0 is
//   initialRandomDelay long after an *established* connection dropped (when that option is
//   > 0), else backoff(1); window i >= 1 is backoff(i + 1) long. The client makes one
//   attempt per window, at the same random fraction (the phase, drawn once per outage) of
//   every window. So a fleet dropped together makes the same number of attempts per second
//   all through each window, and a client's wait depends on how long the link has been down,
//   never on how earlier draws fell. (Drawing a new uniform delay after each failure, as
//   classic full jitter does, lets clients that drew short waits burn through attempts
//   during a short outage and reach 8-16 s waits after 2 s: the restart wave then has a
//   dense head and a sparse tail many seconds long. docs/benchmarks.md, reconnect storm.)
//   An attempt that outlived its window (a slow handshake) skips to the next window whose
//   phase point is still ahead. Every delay stays within [0, backoff(n)].
// - JitterMode::Equal: backoff(n)/2 + uniform [0, backoff(n)/2] after each failure;
//   JitterMode::None: exactly backoff(n). In these two modes the first retry after an
//   established connection dropped waits uniform [0, initialRandomDelay] instead, when that
//   option is > 0.
// - A server's `error.retryAfter` is a floor for the next delay only. Under Full, windows
//   whose phase point falls before the floor are skipped, so a fleet told the same floor at
//   once still arrives spread over a window rather than all at the floor.
// - The attempt counter grows with every scheduled retry and resets only when a connection
//   has stayed up for Options::stablePeriod (the connection calls reset()), so a server that
//   accepts and drops at once backs off like one that refuses (under Full, such a drop
//   starts the next window at once and keeps the phase).
// - Randomness comes from the injected RandomSource: a seeded source gives the same delays.
//
// Theory of operation: the connection calls next() when a link is lost and it will retry;
// next() increments the counter and returns the delay. The formulas are free functions so
// each is testable from a table; the class holds only the counter and the Full schedule.
#pragma once

#include "options.h"
#include "types.h"

namespace Tether::Engine {

// Uniform in [0, max] from one 64-bit random value (max in milliseconds).
Duration uniformDelay(Duration max, quint64 random);

// A uniform fraction in [0, 1) from one 64-bit random value.
double unitFraction(quint64 random);

// The base (un-jittered) delay of attempt `attempt` (>= 1).
Duration backoffBase(const Options &options, int attempt);

// The jittered delay of attempt `attempt` for one random value, for Equal and None (and
// classic per-attempt full jitter, which the engine no longer uses for Full: see above).
Duration backoffDelay(const Options &options, int attempt, quint64 random);

// JitterMode::Full: the width of window `index` (>= 0) of an outage.
Duration backoffWindow(const Options &options, int index, bool afterEstablished);

// JitterMode::Full: where in a window of `width` the attempt at `phase` (in [0, 1)) falls.
Duration phaseOffset(Duration width, double phase);

class Backoff {
public:
    explicit Backoff(const Options &options) : m_options(&options) {}

    int attempts() const { return m_attempts; }
    // Would the next retry exceed Options::maxAttempts?
    bool exhausted() const { return m_options->maxAttempts > 0 && m_attempts >= m_options->maxAttempts; }
    // Counts one more attempt and returns its delay from `now`. `afterEstablished`: the link
    // that was lost had reached Connected. `retryAfter`: the server's floor, if any.
    Duration next(TimePoint now, quint64 random, bool afterEstablished, std::optional<Duration> retryAfter);
    void reset() { m_attempts = 0; }

private:
    Duration nextWindowed(TimePoint now, quint64 random, bool first, bool afterEstablished,
                          std::optional<Duration> retryAfter);
    TimePoint phasePoint() const { return m_windowStart + phaseOffset(m_width, m_phase); }

    const Options *m_options;
    int m_attempts = 0;
    // JitterMode::Full: the current outage's schedule.
    double m_phase = 0;        // fraction of every window, drawn once per outage
    int m_window = 0;          // index of the window of the last scheduled attempt
    Duration m_width{0};       // its width
    TimePoint m_windowStart;   // where it starts
};

} // namespace Tether::Engine
