// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "channels_p.h"

namespace Tether::Engine {

void Channels::want(const QString &channel, quint64 subRequest)
{
    if (!m_desired.contains(channel))
        m_desired.append(channel);
    m_pendingSub.insert(channel, subRequest);
}

void Channels::unwant(const QString &channel)
{
    m_desired.removeAll(channel);
    m_pendingSub.remove(channel);
}

void Channels::subFinished(const QString &channel, quint64 subRequest, bool refused)
{
    const auto it = m_pendingSub.find(channel);
    if (it == m_pendingSub.end() || *it != subRequest)
        return;  // superseded by a later subscribe/unsubscribe of the same channel
    m_pendingSub.erase(it);
    if (refused)
        m_desired.removeAll(channel);
}

QStringList Channels::toRestore() const
{
    QStringList out;
    for (const QString &channel : m_desired)
        if (!m_pendingSub.contains(channel))
            out.append(channel);
    return out;
}

} // namespace Tether::Engine
