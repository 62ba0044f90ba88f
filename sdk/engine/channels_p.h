// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the channel registry (docs/protocol.md §6). Not public API.
//
// Rules:
// - subscribe()/unsubscribe() are requests (answered by res); the engine also keeps the
//   *desired* set: a channel joins it at subscribe() and leaves it at unsubscribe() or
//   when the server refuses the subscription (res with err).
// - On a resumed session subscriptions survive on the server: nothing to do. On a new
//   session the engine subscribes again to every desired channel (internal requests, no
//   RequestFinished; a refusal is reported as ErrorOccurred) except those with a sub
//   already pending (it will be sent on this connection anyway).
// - The app learns continuity was lost through SessionLost{channels}.
// - Status (ChannelStatus, one ChannelStatusChanged per transition, this file only):
//     subscribe()                      -> Pending (a Subscribed channel stays Subscribed)
//     its res ok                       -> Subscribed (confirmed for this session)
//     its res err (server refusal)     -> Error, and no longer desired
//     its sub timed out / not encodable -> Error, still desired (a new session retries)
//     its sub ended by close()         -> no change (Pending: a new session subscribes it)
//     unsubscribe()                    -> Unsubscribed
//     the connection lost              -> Subscribed becomes Pending (nothing flows)
//     welcome resumed                  -> Pending channels confirmed in this session and
//                                         with no sub pending become Subscribed again
//     welcome new session              -> nothing is confirmed any more; restore sends subs
//   Channels read back from a store count as confirmed (the session they were
//   journaled with had them): a resumed session shows them Subscribed.
//
// Theory of operation: an ordered list (restore order = subscribe order) plus, per
// channel, the pending sub id, whether this session confirmed it, and its status.
#pragma once

#include "sink_p.h"

#include <QtCore/QHash>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace Tether::Engine {

class Channels {
public:
    explicit Channels(Sink &sink) : m_sink(sink) {}

    void want(const QString &channel, quint64 subRequest);
    void unwant(const QString &channel);
    // A sub request ended (superseded ones are ignored): see the rules for `error`.
    void subFinished(const QString &channel, quint64 subRequest, const std::optional<Error> &error);
    QStringList desired() const { return m_desired; }
    ChannelStatus status(const QString &channel) const;
    // Channels a new session must subscribe to again (no sub pending for them).
    QStringList toRestore() const;
    void restoring(const QString &channel, quint64 subRequest);
    // The desired set read back from a store (restore()): wanted, no sub pending, so the
    // next new session subscribes to them again.
    void restoreDesired(const QStringList &channels);
    void connectionLost();
    void welcomed(bool resumed);

private:
    struct Entry {
        quint64 pendingSub = 0;
        bool confirmed = false;
        ChannelStatus status = ChannelStatus::Unsubscribed;
    };
    void setStatus(const QString &channel, Entry &entry, ChannelStatus status,
                   const std::optional<Error> &error = std::nullopt);

    Sink &m_sink;
    QStringList m_desired;
    QHash<QString, Entry> m_entries;  // desired channels, plus the last status of others
};

} // namespace Tether::Engine
