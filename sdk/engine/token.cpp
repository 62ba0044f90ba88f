// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "token_p.h"

namespace Tether::Engine {

bool TokenState::request(TimePoint now, Sink &sink, TimerTable &timers)
{
    if (m_pending)
        return false;
    m_pending = true;
    if (m_options.tokenTimeout.count() > 0)
        timers.set(Timer::Token, now + m_options.tokenTimeout);
    sink.post(TokenRequired{m_failures + 1, m_expired ? TokenReason::Expired : TokenReason::Connect});
    return true;
}

void TokenState::answered(const QString &token, TimerTable &timers)
{
    m_pending = false;
    m_expired = false;
    m_token = token;
    timers.clear(Timer::Token);
}

bool TokenState::failed(TimerTable &timers)
{
    m_pending = false;
    timers.clear(Timer::Token);
    ++m_failures;
    return m_failures >= m_options.maxTokenAttempts;
}

void TokenState::cancel(TimerTable &timers)
{
    m_pending = false;
    timers.clear(Timer::Token);
}

} // namespace Tether::Engine
