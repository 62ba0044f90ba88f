// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the inbound window (server -> client reliable messages). Not public API.
//
// Rules (docs/protocol.md §4, issue 4):
// - Deliver each seq once, in order: seq == delivered+1 is delivered; seq <= delivered is a
//   duplicate, dropped (counted) but acknowledged again; seq > delivered+1 is a gap, a
//   protocol error (the caller reports it and reconnects). seq 0 is invalid.
// - Acks are cumulative (highest contiguous seq delivered) and batched: one is due at most
//   Options::ackDelay (50 ms) after a delivery, and at once when Options::ackEvery (64)
//   deliveries are unacknowledged.
// - Across a lost session the server resends with new seqs but the same ids: a bounded
//   window of recently delivered ids (Options::recentIdWindow, 4096) suppresses those
//   duplicates (acknowledged, counted, not delivered).
// - `delivered` is hello.rx for a resume; a new session restarts it at 0. The id window
//   survives sessions (that is its purpose).
// - New options on a live connection (reconfigure()): an owed ack is re-armed for the
//   first unacknowledged delivery + the new ackDelay; a smaller id window forgets the
//   oldest ids. The caller flushes at once when the new ackEvery is already reached.
//
// Theory of operation: accept() classifies a msg and updates the counters; the caller
// turns Deliver into a MessageReceived event and asks ackDue()/takeAck() when to send.
// The id window is a hash set plus a FIFO of the same ids: O(1) per message, bounded.
#pragma once

#include "options.h"
#include "timers_p.h"

#include <QtCore/QSet>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <deque>

namespace Tether::Engine {

class RecentIds {
public:
    explicit RecentIds(qsizetype capacity) : m_capacity(capacity) {}
    bool contains(const QString &id) const { return m_set.contains(id); }
    void insert(const QString &id);
    void setCapacity(qsizetype capacity);  // forgets the oldest ids beyond it
    qsizetype size() const { return m_set.size(); }
    QStringList ids() const;  // oldest first

private:
    qsizetype m_capacity;
    QSet<QString> m_set;
    std::deque<QString> m_order;
};

class Inbound {
public:
    explicit Inbound(const Options &options) : m_options(options), m_recent(options.recentIdWindow) {}

    enum class Verdict { Deliver, Duplicate, DuplicateId, Gap };
    // Classifies a reliable msg (seq >= 1) and, unless Gap, schedules an ack.
    Verdict accept(TimePoint now, quint64 seq, const QString &id, TimerTable &timers);
    // The ack to send now (and the timer cleared), or nullopt when none is owed.
    std::optional<quint64> takeAck(TimerTable &timers);
    bool ackOwedNow() const { return m_unacked >= m_options.ackEvery; }

    quint64 delivered() const { return m_delivered; }  // hello.rx
    void connectionLost(TimerTable &timers);            // an owed ack dies with the link
    void newSession() { m_delivered = 0; }
    // restore() (session_p.h decides when): the stored position and id window.
    void restorePosition(quint64 delivered) { m_delivered = delivered; }
    void restoreIds(const QStringList &oldestFirst);
    QStringList recentIds() const { return m_recent.ids(); }
    // The options changed (ackDelay, recentIdWindow): see the rules.
    void reconfigure(TimePoint now, TimerTable &timers);

private:
    const Options &m_options;
    RecentIds m_recent;
    quint64 m_delivered = 0;
    qsizetype m_unacked = 0;  // deliveries/duplicates since the last ack sent
    bool m_owed = false;
    TimePoint m_owedSince{};  // the first delivery the owed ack covers
};

} // namespace Tether::Engine
