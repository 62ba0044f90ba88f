// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "heartbeat_p.h"

#include <algorithm>
#include <chrono>

namespace Tether::Engine {

void HeartbeatMonitor::start(TimePoint now, Duration interval, Duration timeout, TimerTable &timers)
{
    m_running = true;
    m_interval = interval;
    m_timeout = timeout;
    m_lastBeat = now;
    m_pingSentAt.reset();
    forgetLiveness(timers);
    if (m_interval.count() > 0)
        timers.set(Timer::Ping, now + m_interval);
    else
        timers.clear(Timer::Ping);
}

void HeartbeatMonitor::stop(TimerTable &timers)
{
    m_running = false;
    m_pingSentAt.reset();
    timers.clear(Timer::Ping);
    forgetLiveness(timers);
}

void HeartbeatMonitor::pingSent(TimePoint now, TimerTable &timers)
{
    if (!m_pingSentAt)
        m_pingSentAt = now;
    if (m_timeout.count() > 0) {
        timers.setEarlier(Timer::Liveness, now + m_timeout);
        if (!m_livenessPing)
            m_livenessPing = now;
    }
    m_lastBeat = now;
    if (m_interval.count() > 0)
        timers.set(Timer::Ping, now + m_interval);
}

void HeartbeatMonitor::probeSent(TimePoint now, Duration probeTimeout, TimerTable &timers)
{
    if (!m_pingSentAt)
        m_pingSentAt = now;
    // A probe shortens a later liveness deadline: the point is to find out quickly.
    timers.setEarlier(Timer::Liveness, now + probeTimeout);
    if (!m_probeAt)
        m_probeAt = now;
}

std::optional<RttDuration> HeartbeatMonitor::pong(TimePoint now, TimerTable &timers)
{
    forgetLiveness(timers);
    if (!m_pingSentAt)
        return std::nullopt;
    const auto rtt = std::chrono::duration_cast<RttDuration>(now - *m_pingSentAt);
    m_pingSentAt.reset();
    // RFC 6298 §2: alpha = 1/8, beta = 1/4.
    if (!m_srtt) {
        m_srtt = rtt;
        m_rttvar = rtt / 2;
    } else {
        const RttDuration deviation = *m_srtt > rtt ? *m_srtt - rtt : rtt - *m_srtt;
        m_rttvar = (*m_rttvar * 3 + deviation) / 4;
        m_srtt = (*m_srtt * 7 + rtt) / 8;
    }
    return rtt;
}

Duration HeartbeatMonitor::probeTimeout(Duration beforeSamples, Duration floor) const
{
    if (!m_srtt)
        return beforeSamples;
    const RttDuration rto = *m_srtt + 4 * *m_rttvar;
    return std::max(floor, std::chrono::ceil<Duration>(rto));
}

void HeartbeatMonitor::reconfigure(TimePoint now, Duration interval, Duration timeout, Duration probeTimeout,
                                   TimerTable &timers)
{
    if (!m_running)
        return;
    m_interval = interval;
    m_timeout = timeout;
    if (m_interval.count() > 0)
        timers.set(Timer::Ping, std::max(now, m_lastBeat + m_interval));
    else
        timers.clear(Timer::Ping);
    // Liveness = the earliest of (arming ping + timeout) and (probe + probe timeout); a
    // timeout of 0 disables the ping's part, as in pingSent().
    std::optional<TimePoint> due;
    if (m_livenessPing && m_timeout.count() > 0)
        due = *m_livenessPing + m_timeout;
    if (m_probeAt && (!due || *m_probeAt + probeTimeout < *due))
        due = *m_probeAt + probeTimeout;
    if (due)
        timers.set(Timer::Liveness, std::max(now, *due));
    else
        timers.clear(Timer::Liveness);
}

} // namespace Tether::Engine
