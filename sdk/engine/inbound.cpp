// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "inbound_p.h"

#include <algorithm>

namespace Tether::Engine {

void RecentIds::insert(const QString &id)
{
    if (m_capacity <= 0 || m_set.contains(id))
        return;
    if (qsizetype(m_order.size()) >= m_capacity) {
        m_set.remove(m_order.front());
        m_order.pop_front();
    }
    m_set.insert(id);
    m_order.push_back(id);
}

void RecentIds::setCapacity(qsizetype capacity)
{
    m_capacity = capacity;
    while (!m_order.empty() && qsizetype(m_order.size()) > std::max<qsizetype>(0, capacity)) {
        m_set.remove(m_order.front());
        m_order.pop_front();
    }
}

QStringList RecentIds::ids() const
{
    QStringList out;
    out.reserve(qsizetype(m_order.size()));
    for (const QString &id : m_order)
        out.append(id);
    return out;
}

void Inbound::restoreIds(const QStringList &oldestFirst)
{
    for (const QString &id : oldestFirst)
        m_recent.insert(id);
}

Inbound::Verdict Inbound::accept(TimePoint now, quint64 seq, const QString &id, TimerTable &timers)
{
    if (seq > m_delivered + 1)
        return Verdict::Gap;
    Verdict verdict;
    if (seq <= m_delivered) {
        verdict = Verdict::Duplicate;  // already delivered in this session; the ack may have been lost
    } else {
        m_delivered = seq;
        if (!id.isEmpty() && m_recent.contains(id)) {
            verdict = Verdict::DuplicateId;  // a copy from a lost session, same id
        } else {
            if (!id.isEmpty())
                m_recent.insert(id);
            verdict = Verdict::Deliver;
        }
    }
    ++m_unacked;
    if (!m_owed)
        m_owedSince = now;
    m_owed = true;
    timers.setEarlier(Timer::AckDelay, now + m_options.ackDelay);
    return verdict;
}

std::optional<quint64> Inbound::takeAck(TimerTable &timers)
{
    timers.clear(Timer::AckDelay);
    if (!m_owed)
        return std::nullopt;
    m_owed = false;
    m_unacked = 0;
    return m_delivered;
}

void Inbound::reconfigure(TimePoint now, TimerTable &timers)
{
    m_recent.setCapacity(m_options.recentIdWindow);
    if (m_owed)
        timers.set(Timer::AckDelay, std::max(now, m_owedSince + m_options.ackDelay));
}

void Inbound::connectionLost(TimerTable &timers)
{
    timers.clear(Timer::AckDelay);
    m_owed = false;
    m_unacked = 0;
}

} // namespace Tether::Engine
