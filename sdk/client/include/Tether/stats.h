// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::ClientStats: counters an app can show or export (Client::stats()).
#pragma once

#include <Tether/global.h>

#include <QtCore/QDateTime>
#include <QtCore/QObject>

#include <chrono>

namespace Tether {

// Counters since the Client was created (Client::setOptions() keeps them); gauges are
// current values.
struct TETHER_EXPORT ClientStats {
    Q_GADGET
    Q_PROPERTY(quint64 sent MEMBER sent)
    Q_PROPERTY(quint64 received MEMBER received)
    Q_PROPERTY(quint64 acked MEMBER acked)
    Q_PROPERTY(quint64 rejected MEMBER rejected)
    Q_PROPERTY(quint64 retransmitted MEMBER retransmitted)
    Q_PROPERTY(quint64 droppedQueueFull MEMBER droppedQueueFull)
    Q_PROPERTY(quint64 droppedSuperseded MEMBER droppedSuperseded)
    Q_PROPERTY(quint64 droppedExpired MEMBER droppedExpired)
    Q_PROPERTY(quint64 droppedClosed MEMBER droppedClosed)
    Q_PROPERTY(quint64 duplicatesSuppressed MEMBER duplicatesSuppressed)
    Q_PROPERTY(quint64 reconnects MEMBER reconnects)
    Q_PROPERTY(quint64 sessionsLost MEMBER sessionsLost)
    Q_PROPERTY(qint64 lastRttUs MEMBER lastRttUs)
    Q_PROPERTY(int queueDepth MEMBER queueDepth)
    Q_PROPERTY(qint64 queueBytes MEMBER queueBytes)
    Q_PROPERTY(int inFlight MEMBER inFlight)
    Q_PROPERTY(int pendingRequests MEMBER pendingRequests)
    Q_PROPERTY(quint64 persisted MEMBER persisted)
    Q_PROPERTY(bool storageActive MEMBER storageActive)
    Q_PROPERTY(quint64 bytesIn MEMBER bytesIn)
    Q_PROPERTY(quint64 bytesOut MEMBER bytesOut)
    Q_PROPERTY(quint64 resumes MEMBER resumes)
    Q_PROPERTY(QDateTime connectedSince MEMBER connectedSince)
    Q_PROPERTY(qint64 offlineMs MEMBER offlineMs)
    Q_PROPERTY(qint64 minRttUs MEMBER minRttUs)
    Q_PROPERTY(qint64 avgRttUs MEMBER avgRttUs)

public:
    quint64 sent = 0;                  // message frames written to the socket, resends included
    quint64 received = 0;              // messages delivered to the app
    quint64 acked = 0;                 // own reliable messages acknowledged (delivered())
    quint64 rejected = 0;              // own reliable messages nacked (rejected())
    quint64 retransmitted = 0;         // reliable messages written again on a later connection
    quint64 droppedQueueFull = 0;      // dropped(id, QueueFull): evicted (DropOldest)
    quint64 droppedSuperseded = 0;     // dropped(id, Superseded): replaced by its coalescing key
    quint64 droppedExpired = 0;        // dropped(id, Expired): TTL ran out (SendOptions::ttl)
    quint64 droppedClosed = 0;         // dropped(id, Closed): discarded by close()
    quint64 duplicatesSuppressed = 0;  // incoming duplicates not shown to the app
    // Connection attempts after the first one: every later socket opening counts, whether
    // it then connects or fails (a retry after a failed attempt, a reconnect after a drop,
    // an open() after close()). An attempt that ends before its socket opens (no token
    // from the token provider) does not count.
    quint64 reconnects = 0;
    quint64 sessionsLost = 0;          // sessionLost() count
    qint64 lastRttUs = -1;             // last heartbeat round trip in µs; -1 before the first
    int queueDepth = 0;                // messages queued or in flight
    qint64 queueBytes = 0;             // their payload bytes
    int inFlight = 0;                  // sent, not yet acknowledged
    int pendingRequests = 0;           // requests (subscribe/unsubscribe too) waiting or in flight
    quint64 persisted = 0;             // messages written to the store (persisted() count)
    // ClientOptions::storage is set and being written; false without storage, and after a
    // store error (the client then keeps working in memory: errorOccurred() said why)
    bool storageActive = false;
    quint64 bytesIn = 0;               // WebSocket frame bytes received (payloads, no framing)
    quint64 bytesOut = 0;              // WebSocket frame bytes written
    quint64 resumes = 0;               // connections that resumed the session (connected(true))
    QDateTime connectedSince;          // when the current connection's welcome came (UTC); invalid when not connected
    qint64 offlineMs = 0;              // time not connected since the first open(), up to now
    qint64 minRttUs = -1;              // smallest heartbeat round trip; -1 before the first
    qint64 avgRttUs = -1;              // smoothed round trip (RFC 6298 SRTT); -1 before the first
};

} // namespace Tether
