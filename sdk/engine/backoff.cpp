// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "backoff_p.h"

#include <algorithm>
#include <cmath>

namespace Tether::Engine {

namespace {
// Skipping more windows than this one by one (only a multiplier barely above 1 grows that
// slowly) jumps the rest at the current width.
constexpr int kMaxWindowSteps = 1000;
} // namespace

Duration uniformDelay(Duration max, quint64 random)
{
    if (max.count() <= 0)
        return Duration{0};
    const auto span = static_cast<quint64>(max.count()) + 1;
    return Duration{static_cast<Duration::rep>(random % span)};
}

double unitFraction(quint64 random)
{
    // The top 53 bits: every double in [0, 1) on a 2^-53 grid, equally likely.
    return double(random >> 11) * (1.0 / 9007199254740992.0);
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

Duration backoffWindow(const Options &options, int index, bool afterEstablished)
{
    if (index <= 0)
        return (afterEstablished && options.initialRandomDelay.count() > 0) ? options.initialRandomDelay
                                                                            : backoffBase(options, 1);
    return backoffBase(options, index + 1);
}

Duration phaseOffset(Duration width, double phase)
{
    if (width.count() <= 0)
        return Duration{0};
    const auto offset = static_cast<Duration::rep>(std::floor(phase * double(width.count())));
    return Duration{std::clamp<Duration::rep>(offset, 0, width.count() - 1)};
}

Duration Backoff::next(TimePoint now, quint64 random, bool afterEstablished, std::optional<Duration> retryAfter)
{
    const bool first = m_attempts == 0;
    ++m_attempts;
    if (m_options->jitter == JitterMode::Full)
        return nextWindowed(now, random, first, afterEstablished, retryAfter);
    Duration delay = (first && afterEstablished && m_options->initialRandomDelay.count() > 0)
            ? uniformDelay(m_options->initialRandomDelay, random)
            : backoffDelay(*m_options, m_attempts, random);
    if (retryAfter && *retryAfter > delay)
        delay = *retryAfter;
    return delay;
}

Duration Backoff::nextWindowed(TimePoint now, quint64 random, bool first, bool afterEstablished,
                               std::optional<Duration> retryAfter)
{
    if (first) {
        // A new outage: its windows start now, its phase is drawn once.
        m_phase = unitFraction(random);
        m_window = 0;
        m_windowStart = now;
    } else {
        // The next window: right after the last one, or, when a connection came up and
        // dropped again before it was stable, from this drop.
        m_windowStart = afterEstablished ? now : m_windowStart + m_width;
        ++m_window;
    }
    m_width = backoffWindow(*m_options, m_window, first && afterEstablished);

    const TimePoint floor = now + std::max(Duration{0}, retryAfter.value_or(Duration{0}));
    for (int steps = 0; phasePoint() < floor; ++steps) {
        const Duration nextWidth = backoffWindow(*m_options, m_window + 1, false);
        if (m_width.count() <= 0) {
            m_windowStart = floor;  // no window to spread in: at the floor
            break;
        }
        if (nextWidth == m_width || steps >= kMaxWindowSteps) {
            // Equal widths from here on (capped): jump over all the passed windows at once.
            const auto behind = std::chrono::ceil<Duration>(floor - phasePoint()).count();
            const auto windows = std::max<Duration::rep>(1, (behind + m_width.count() - 1) / m_width.count());
            m_windowStart += m_width * windows;
            m_window = int(std::min<Duration::rep>(m_window + windows, 1 << 20));
            break;
        }
        m_windowStart += m_width;
        ++m_window;
        m_width = nextWidth;
    }
    return std::max(Duration{0}, std::chrono::ceil<Duration>(phasePoint() - now));
}

} // namespace Tether::Engine
