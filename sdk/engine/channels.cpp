// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "channels_p.h"

namespace Tether::Engine {

void Channels::setStatus(const QString &channel, Entry &entry, ChannelStatus status,
                         const std::optional<Error> &error)
{
    if (entry.status == status && !error)
        return;
    entry.status = status;
    m_sink.post(ChannelStatusChanged{channel, status, error});
}

ChannelStatus Channels::status(const QString &channel) const
{
    const auto it = m_entries.constFind(channel);
    return it == m_entries.cend() ? ChannelStatus::Unsubscribed : it->status;
}

void Channels::want(const QString &channel, quint64 subRequest)
{
    if (!m_desired.contains(channel))
        m_desired.append(channel);
    Entry &entry = m_entries[channel];
    entry.pendingSub = subRequest;
    if (entry.status != ChannelStatus::Subscribed)
        setStatus(channel, entry, ChannelStatus::Pending);
}

void Channels::unwant(const QString &channel)
{
    m_desired.removeAll(channel);
    Entry &entry = m_entries[channel];
    entry.pendingSub = 0;
    entry.confirmed = false;
    setStatus(channel, entry, ChannelStatus::Unsubscribed);
    m_entries.remove(channel);  // Unsubscribed is what status() says of an unknown channel
}

void Channels::subFinished(const QString &channel, quint64 subRequest, const std::optional<Error> &error)
{
    const auto it = m_entries.find(channel);
    if (it == m_entries.end() || it->pendingSub != subRequest)
        return;  // superseded by a later subscribe/unsubscribe of the same channel
    it->pendingSub = 0;
    if (!error) {
        it->confirmed = true;
        setStatus(channel, *it, ChannelStatus::Subscribed);
        return;
    }
    if (error->code == ErrorCode::Closed)
        return;  // close(): still desired; the next (new) session subscribes it again
    it->confirmed = false;
    if (error->kind == ErrorKind::Remote)
        m_desired.removeAll(channel);
    setStatus(channel, *it, ChannelStatus::Error, error);
}

QStringList Channels::toRestore() const
{
    QStringList out;
    for (const QString &channel : m_desired)
        if (m_entries.value(channel).pendingSub == 0)
            out.append(channel);
    return out;
}

void Channels::restoring(const QString &channel, quint64 subRequest)
{
    Entry &entry = m_entries[channel];
    entry.pendingSub = subRequest;
    setStatus(channel, entry, ChannelStatus::Pending);
}

void Channels::restoreDesired(const QStringList &channels)
{
    for (const QString &channel : channels) {
        if (channel.isEmpty() || m_desired.contains(channel))
            continue;
        m_desired.append(channel);
        Entry &entry = m_entries[channel];
        entry.confirmed = true;
        setStatus(channel, entry, ChannelStatus::Pending);
    }
}

void Channels::connectionLost()
{
    for (const QString &channel : std::as_const(m_desired)) {
        Entry &entry = m_entries[channel];
        if (entry.status == ChannelStatus::Subscribed)
            setStatus(channel, entry, ChannelStatus::Pending);
    }
}

void Channels::welcomed(bool resumed)
{
    for (const QString &channel : std::as_const(m_desired)) {
        Entry &entry = m_entries[channel];
        if (!resumed)
            entry.confirmed = false;
        else if (entry.confirmed && entry.pendingSub == 0 && entry.status == ChannelStatus::Pending)
            setStatus(channel, entry, ChannelStatus::Subscribed);
    }
}

} // namespace Tether::Engine
