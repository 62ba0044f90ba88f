// The server's monotonic clock in milliseconds (deadlines, rates, timeouts).
#pragma once

#include <chrono>
#include <cstdint>

namespace TetherServer {

inline std::int64_t steadyNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace TetherServer
