// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Per-session token bucket: `rate` tokens per second, at most `burst` banked.
// A session that runs dry is told how long until the next token (retryAfter) and closed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace TetherServer {

class TokenBucket {
public:
    TokenBucket() = default;
    TokenBucket(double rate, double burst, std::int64_t nowMs)
        : m_rate(rate), m_burst(burst), m_tokens(burst), m_lastMs(nowMs) {}

    bool enabled() const { return m_rate > 0; }

    // Takes one token. Returns 0 on success, else the ms until one token is available.
    std::int64_t take(std::int64_t nowMs)
    {
        if (!enabled())
            return 0;
        if (nowMs > m_lastMs) {
            m_tokens = std::min(m_burst, m_tokens + double(nowMs - m_lastMs) * m_rate / 1000.0);
            m_lastMs = nowMs;
        }
        if (m_tokens >= 1.0) {
            m_tokens -= 1.0;
            return 0;
        }
        return std::max<std::int64_t>(1, std::int64_t(std::ceil((1.0 - m_tokens) * 1000.0 / m_rate)));
    }

private:
    double m_rate = 0;
    double m_burst = 0;
    double m_tokens = 0;
    std::int64_t m_lastMs = 0;
};

} // namespace TetherServer
