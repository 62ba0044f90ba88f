// Tether engine: reconnection backoff with jitter. Not public API.
//
// Rules (issue 4):
// - The base delay of attempt n (1-based) is min(max, initial * multiplier^(n-1)).
// - Jitter: Full = uniform [0, base]; Equal = base/2 + uniform [0, base/2]; None = base.
// - The first retry after an *established* connection dropped (attempt counter at 0) waits
//   uniform [0, initialRandomDelay] instead, when that option is > 0: after a server
//   restart, a whole fleet does not come back in the same millisecond.
// - A server's `error.retryAfter` is a floor for the next delay only.
// - The attempt counter grows with every scheduled retry and resets only when a connection
//   has stayed up for Options::stablePeriod (the connection calls reset()), so a server that
//   accepts and drops at once backs off like one that refuses.
// - Randomness comes from the injected RandomSource: a seeded source gives the same delays.
//
// Theory of operation: the connection calls next() when a link is lost and it will retry;
// next() increments the counter and returns the delay. Pure arithmetic, no state besides
// the counter, so each formula is testable from a table.
#pragma once

#include "options.h"

namespace Tether::Engine {

// Uniform in [0, max] from one 64-bit random value (max in milliseconds).
Duration uniformDelay(Duration max, quint64 random);

// The base (un-jittered) delay of attempt `attempt` (>= 1).
Duration backoffBase(const Options &options, int attempt);

// The jittered delay of attempt `attempt` for one random value.
Duration backoffDelay(const Options &options, int attempt, quint64 random);

class Backoff {
public:
    explicit Backoff(const Options &options) : m_options(&options) {}

    int attempts() const { return m_attempts; }
    // Would the next retry exceed Options::maxAttempts?
    bool exhausted() const { return m_options->maxAttempts > 0 && m_attempts >= m_options->maxAttempts; }
    // Counts one more attempt and returns its delay. `afterEstablished`: the link that was
    // lost had reached Connected. `retryAfter`: the server's floor, if any.
    Duration next(quint64 random, bool afterEstablished, std::optional<Duration> retryAfter);
    void reset() { m_attempts = 0; }

private:
    const Options *m_options;
    int m_attempts = 0;
};

} // namespace Tether::Engine
