#include "backoff_p.h"

#include <algorithm>
#include <cmath>

namespace Tether::Engine {

Duration uniformDelay(Duration max, quint64 random)
{
    if (max.count() <= 0)
        return Duration{0};
    const auto span = static_cast<quint64>(max.count()) + 1;
    return Duration{static_cast<Duration::rep>(random % span)};
}

Duration backoffBase(const Options &options, int attempt)
{
    const double initial = double(std::max<Duration::rep>(0, options.backoffInitial.count()));
    const double cap = double(std::max<Duration::rep>(0, options.backoffMax.count()));
    const double multiplier = std::max(1.0, options.backoffMultiplier);
    // pow() of a large exponent overflows to inf; min() with the cap keeps it finite.
    const double raw = initial * std::pow(multiplier, double(std::max(0, attempt - 1)));
    const double capped = std::isfinite(raw) ? std::min(raw, cap) : cap;
    return Duration{static_cast<Duration::rep>(capped)};
}

Duration backoffDelay(const Options &options, int attempt, quint64 random)
{
    const Duration base = backoffBase(options, attempt);
    switch (options.jitter) {
    case JitterMode::Full:
        return uniformDelay(base, random);
    case JitterMode::Equal:
        return base / 2 + uniformDelay(base - base / 2, random);
    case JitterMode::None:
        return base;
    }
    return base;
}

Duration Backoff::next(quint64 random, bool afterEstablished, std::optional<Duration> retryAfter)
{
    const bool first = m_attempts == 0;
    ++m_attempts;
    Duration delay = (first && afterEstablished && m_options->initialRandomDelay.count() > 0)
            ? uniformDelay(m_options->initialRandomDelay, random)
            : backoffDelay(*m_options, m_attempts, random);
    if (retryAfter && *retryAfter > delay)
        delay = *retryAfter;
    return delay;
}

} // namespace Tether::Engine
