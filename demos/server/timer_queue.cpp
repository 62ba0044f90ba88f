// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "timer_queue.h"

namespace TetherServer {

TimerId TimerQueue::schedule(std::int64_t deadlineMs, Callback callback)
{
    const TimerId id = m_nextId++;
    m_byDeadline.emplace(Key{deadlineMs, id}, std::move(callback));
    m_deadlineOf.emplace(id, deadlineMs);
    return id;
}

void TimerQueue::cancel(TimerId id)
{
    if (id == 0)
        return;
    const auto it = m_deadlineOf.find(id);
    if (it == m_deadlineOf.end())
        return;
    m_byDeadline.erase(Key{it->second, id});
    m_deadlineOf.erase(it);
}

void TimerQueue::runDue(std::int64_t nowMs)
{
    while (!m_byDeadline.empty()) {
        auto first = m_byDeadline.begin();
        if (first->first.first > nowMs)
            break;
        Callback callback = std::move(first->second);
        m_deadlineOf.erase(first->first.second);
        m_byDeadline.erase(first);
        callback();
    }
}

std::optional<std::int64_t> TimerQueue::nextDeadline() const
{
    if (m_byDeadline.empty())
        return std::nullopt;
    return m_byDeadline.begin()->first.first;
}

} // namespace TetherServer
