// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the channel registry (PROTOCOL.md §6). Not public API.
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
//
// Theory of operation: an ordered list (restore order = subscribe order) plus the id of a
// pending sub per channel.
#pragma once

#include <QtCore/QHash>
#include <QtCore/QString>
#include <QtCore/QStringList>

namespace Tether::Engine {

class Channels {
public:
    void want(const QString &channel, quint64 subRequest);
    void unwant(const QString &channel);
    // A sub request ended: ok = subscribed, refused = the server said no (drop the wish).
    void subFinished(const QString &channel, quint64 subRequest, bool refused);
    QStringList desired() const { return m_desired; }
    // Channels a new session must subscribe to again (no sub pending for them).
    QStringList toRestore() const;
    void restoring(const QString &channel, quint64 subRequest) { m_pendingSub.insert(channel, subRequest); }
    // The desired set read back from a store (restore()): wanted, no sub pending, so the
    // next new session subscribes to them again.
    void restoreDesired(const QStringList &channels)
    {
        for (const QString &channel : channels)
            if (!channel.isEmpty() && !m_desired.contains(channel))
                m_desired.append(channel);
    }

private:
    QStringList m_desired;
    QHash<QString, quint64> m_pendingSub;
};

} // namespace Tether::Engine
