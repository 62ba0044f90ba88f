// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the persistence journal (group commit of what changed). Not public API.
//
// Rules (the contract with the store is persist.h; this file is how the engine keeps it):
// - Off until engaged: with Options::durability Memory and no message asking for more, no
//   hook does anything but test one bool (the hot path stays as it was). It engages at the
//   first non-Memory message, at construction when Options::durability is not Memory, and
//   at restore(). Once on it stays on (the session and window are journaled from then on)
//   until the store fails: then it is off for good (degraded) and forgets what was pending.
// - A batch collects changes from its first change on; it is due persistInterval later
//   (Timer::Persist), or at the next pollAction() once it holds persistMaxChanges changes
//   or a PowerSafe message (then `sync`). Puts, seqs and removals count as changes; the
//   session, the channel set and the id window are "dirty" flags read when the batch is
//   built, so a burst of acks costs one session row, not one per ack.
// - A put is only a serial here: the row is built from the outbox entry when the batch is
//   built (Outbox::takeStored()), so a seq given meanwhile is in the row, and a message
//   that ended meanwhile is simply not there (put + remove cancel out, and it is never
//   reported Persisted). After that the row is "written": its later seq changes and its
//   removal are journaled as seqs/removed.
// - Emitted batches wait for handlePersisted(number) with the serials they put; Persisted
//   is then reported for those still live. Each message is put once, so at most one
//   Persisted per message.
//
// Theory of operation: plain vectors (append-only while a batch is pending) and a hash
// from serial to the slot of its latest seq update, so a message renumbered twice in one
// batch writes one pair. Time: hooks run inside inputs whose `now` noteTime() passed in.
#pragma once

#include "options.h"
#include "persist.h"
#include "timers_p.h"

#include <QtCore/QHash>
#include <QtCore/QStringList>

#include <deque>
#include <vector>

namespace Tether::Engine {

class Journal {
public:
    Journal(const Options &options, TimerTable &timers) : m_options(options), m_timers(timers) {}

    bool active() const { return m_active; }
    bool degraded() const { return m_degraded; }
    void engage()
    {
        if (!m_degraded)
            m_active = true;
    }
    void setNow(TimePoint now) { m_now = now; }
    // close() and suspend() (after clearing the timer table): the app may be about to quit
    // or be killed in the background, so what is pending is due at once.
    void dueNow()
    {
        if (m_armed)
            m_timers.set(Timer::Persist, m_now);
    }

    // ---- changes (each a no-op when not active) ----
    void put(quint64 serial, bool sync)
    {
        if (!m_active)
            return;
        m_pending.puts.push_back(serial);
        if (sync)
            m_pending.sync = true;
        changed(1);
    }
    void seq(quint64 serial, quint64 seq);
    void removed(quint64 serial)
    {
        if (!m_active)
            return;
        m_pending.removed.push_back(serial);
        changed(1);
    }
    void sessionChanged()
    {
        if (m_active && !m_pending.session) {
            m_pending.session = true;
            changed(0);
        }
    }
    void channelsChanged()
    {
        if (m_active && !m_pending.channels) {
            m_pending.channels = true;
            changed(0);
        }
    }
    void idDelivered(const QString &id)
    {
        if (!m_active)
            return;
        m_pending.recentIds.append(id);
        // Only the newest window's worth can matter to the store.
        if (m_pending.recentIds.size() > 2 * std::max<qsizetype>(1, m_options.recentIdWindow))
            m_pending.recentIds.remove(0, m_pending.recentIds.size() - m_options.recentIdWindow);
        changed(0);
    }

    // ---- emission ----
    // A batch must be built at the next pollAction() (size or PowerSafe trigger).
    bool flushNow() const { return m_flushNow; }
    bool hasPending() const { return m_pending.any(); }
    struct Pending {
        std::vector<quint64> puts;
        std::vector<std::pair<quint64, quint64>> seqs;
        QHash<quint64, size_t> seqSlot;
        std::vector<quint64> removed;
        QStringList recentIds;
        bool session = false;
        bool channels = false;
        bool sync = false;
        qsizetype changes = 0;
        bool any() const
        {
            return !puts.empty() || !seqs.empty() || !removed.empty() || session || channels
                || !recentIds.isEmpty();
        }
    };
    // Hands over what is pending (the caller builds the PersistBatch) and disarms.
    Pending take();
    quint64 nextNumber() { return ++m_number; }
    void emitted(quint64 number, std::vector<quint64> putSerials);
    // The serials a durable batch put (nullopt: unknown number, or not active).
    std::optional<std::vector<quint64>> durable(quint64 number);
    // The store failed: off for good, nothing pending, nothing awaited.
    void fail();

private:
    void changed(qsizetype n)
    {
        if (!m_armed) {
            m_armed = true;
            m_timers.set(Timer::Persist, m_now + m_options.persistInterval);
        }
        m_pending.changes += n;
        if (m_pending.changes >= m_options.persistMaxChanges || m_pending.sync)
            m_flushNow = true;
    }

    const Options &m_options;
    TimerTable &m_timers;
    TimePoint m_now{};
    bool m_active = false;
    bool m_degraded = false;
    bool m_armed = false;
    bool m_flushNow = false;
    Pending m_pending;
    quint64 m_number = 0;
    std::deque<std::pair<quint64, std::vector<quint64>>> m_inFlight;  // emitted, not yet durable
};

} // namespace Tether::Engine
