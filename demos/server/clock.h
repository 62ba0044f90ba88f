// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The server's monotonic clocks in milliseconds.
//
// steadyNowMs() is exact and is what timers are scheduled with. coarseNowMs() is the
// kernel's tick-granular clock (a few ms): it is for per-message bookkeeping (last
// activity, rate buckets), where reading the exact clock per frame costs measurable CPU.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace TetherServer {

inline std::int64_t steadyNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

inline std::int64_t coarseNowMs()
{
    timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
        return steadyNowMs();
    return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

} // namespace TetherServer
