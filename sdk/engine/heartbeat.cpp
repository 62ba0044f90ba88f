#include "heartbeat_p.h"

#include <chrono>

namespace Tether::Engine {

void HeartbeatMonitor::start(TimePoint now, Duration interval, Duration timeout, TimerTable &timers)
{
    m_interval = interval;
    m_timeout = timeout;
    m_pingSentAt.reset();
    timers.clear(Timer::Liveness);
    if (m_interval.count() > 0)
        timers.set(Timer::Ping, now + m_interval);
    else
        timers.clear(Timer::Ping);
}

void HeartbeatMonitor::stop(TimerTable &timers)
{
    m_pingSentAt.reset();
    timers.clear(Timer::Ping);
    timers.clear(Timer::Liveness);
}

void HeartbeatMonitor::pingSent(TimePoint now, TimerTable &timers)
{
    if (!m_pingSentAt)
        m_pingSentAt = now;
    if (m_timeout.count() > 0)
        timers.setEarlier(Timer::Liveness, now + m_timeout);
    if (m_interval.count() > 0)
        timers.set(Timer::Ping, now + m_interval);
}

void HeartbeatMonitor::probeSent(TimePoint now, Duration probeTimeout, TimerTable &timers)
{
    if (!m_pingSentAt)
        m_pingSentAt = now;
    // A probe shortens a later liveness deadline: the point is to find out quickly.
    timers.setEarlier(Timer::Liveness, now + probeTimeout);
}

std::optional<RttDuration> HeartbeatMonitor::pong(TimePoint now, TimerTable &timers)
{
    timers.clear(Timer::Liveness);
    if (!m_pingSentAt)
        return std::nullopt;
    const auto rtt = std::chrono::duration_cast<RttDuration>(now - *m_pingSentAt);
    m_pingSentAt.reset();
    return rtt;
}

} // namespace Tether::Engine
