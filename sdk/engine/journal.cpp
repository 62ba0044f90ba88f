// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "journal_p.h"

namespace Tether::Engine {

void Journal::seq(quint64 serial, quint64 seq)
{
    if (!m_active)
        return;
    const auto it = m_pending.seqSlot.constFind(serial);
    if (it != m_pending.seqSlot.cend()) {
        m_pending.seqs[*it].second = seq;  // renumbered again in the same batch: one pair
        return;
    }
    m_pending.seqSlot.insert(serial, m_pending.seqs.size());
    m_pending.seqs.emplace_back(serial, seq);
    changed(1);
}

Journal::Pending Journal::take()
{
    Pending out = std::move(m_pending);
    m_pending = Pending();
    m_armed = false;
    m_flushNow = false;
    m_timers.clear(Timer::Persist);
    return out;
}

void Journal::emitted(quint64 number, std::vector<quint64> putSerials)
{
    m_inFlight.emplace_back(number, std::move(putSerials));
}

std::optional<std::vector<quint64>> Journal::durable(quint64 number)
{
    if (!m_active)
        return std::nullopt;
    for (auto it = m_inFlight.begin(); it != m_inFlight.end(); ++it) {
        if (it->first == number) {
            std::vector<quint64> serials = std::move(it->second);
            m_inFlight.erase(it);
            return serials;
        }
    }
    return std::nullopt;
}

void Journal::fail()
{
    m_active = false;
    m_degraded = true;
    m_pending = Pending();
    m_armed = false;
    m_flushNow = false;
    m_timers.clear(Timer::Persist);
    m_inFlight.clear();
}

} // namespace Tether::Engine
