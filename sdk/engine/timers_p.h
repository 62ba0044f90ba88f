// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: timers as data. Not public API.
//
// Rules:
// - The engine owns no clock and no timer objects. A fixed timer is a slot holding an
//   optional deadline; the caller's single wake-up is the minimum over all slots and the
//   deadline queues (ARCHITECTURE.md: one timer per client).
// - Per-item deadlines (request timeouts, message TTLs) live in a DeadlineQueue: cost per
//   operation must not grow with the number of items (10 000 pending cost like 10).
//
// Theory of operation: items added at `now` with the same duration expire in the order
// they were added (the clock never goes backwards), so a FIFO per distinct duration is
// an ordered structure with O(1) push and pop; the earliest deadline is the minimum over
// the few FIFO fronts (apps use a handful of distinct timeouts). Cancelling is lazy: a
// cancelled item stays in its FIFO and is skipped when it reaches the front (the owner
// says whether a key is still alive), which at worst causes one spurious wake-up.
#pragma once

#include "types.h"

#include <array>
#include <deque>
#include <map>
#include <optional>

namespace Tether::Engine {

// Connection::handleTimeout() visits the slots in this order (a dead link is handled
// before a ping on it; Persist last, so the batch holds what this call ended). Background
// first: when the app has been away long enough, a retry or handshake deadline due in the
// same call (a clock jump past both) is moot, so no socket is opened only to be aborted.
enum class Timer {
    Background,    // the app has been in the background for Options::backgroundCloseDelay
    Token,         // the app's token provider must answer by then
    Handshake,     // socket open + welcome by then
    Retry,         // backoff elapsed: next attempt
    Liveness,      // something must arrive by then (after a ping or a probe)
    Ping,          // next heartbeat ping due
    AckDelay,      // an inbound ack is due
    Stable,        // the connection has been up long enough: reset attempt counters
    ResumeSettle,  // repeated nacks after a resumed welcome have had their chance
    Persist,       // the pending persistence batch is due (journal_p.h)
};
inline constexpr int kTimerCount = 10;

class TimerTable {
public:
    void set(Timer timer, TimePoint at) { m_slots[index(timer)] = at; }
    // Sets the timer only when it is unset or later than `at`.
    void setEarlier(Timer timer, TimePoint at)
    {
        auto &slot = m_slots[index(timer)];
        if (!slot || at < *slot)
            slot = at;
    }
    void clear(Timer timer) { m_slots[index(timer)].reset(); }
    std::optional<TimePoint> get(Timer timer) const { return m_slots[index(timer)]; }
    // True (and the slot cleared) when the timer is due at `now`.
    bool take(Timer timer, TimePoint now)
    {
        auto &slot = m_slots[index(timer)];
        if (!slot || *slot > now)
            return false;
        slot.reset();
        return true;
    }
    std::optional<TimePoint> earliest() const
    {
        std::optional<TimePoint> best;
        for (const auto &slot : m_slots)
            if (slot && (!best || *slot < *best))
                best = slot;
        return best;
    }
    void clearAll() { m_slots.fill(std::nullopt); }

private:
    static constexpr int index(Timer timer) { return static_cast<int>(timer); }
    std::array<std::optional<TimePoint>, kTimerCount> m_slots{};
};

template <typename Key>
class DeadlineQueue {
public:
    void push(TimePoint now, Duration after, Key key)
    {
        m_fifos[after].push_back({now + after, key});
        ++m_size;
    }
    // Pops every item due at `now`, calling fn(key) for each (the owner ignores dead keys).
    template <typename Fn>
    void popDue(TimePoint now, Fn &&fn)
    {
        for (auto it = m_fifos.begin(); it != m_fifos.end();) {
            auto &fifo = it->second;
            while (!fifo.empty() && fifo.front().at <= now) {
                const Key key = fifo.front().key;
                fifo.pop_front();
                --m_size;
                fn(key);
            }
            it = fifo.empty() ? m_fifos.erase(it) : std::next(it);
        }
    }
    // Drops dead items from the fronts so earliest() does not wake the caller for nothing.
    template <typename IsAlive>
    void trimFronts(IsAlive &&alive)
    {
        for (auto it = m_fifos.begin(); it != m_fifos.end();) {
            auto &fifo = it->second;
            while (!fifo.empty() && !alive(fifo.front().key)) {
                fifo.pop_front();
                --m_size;
            }
            it = fifo.empty() ? m_fifos.erase(it) : std::next(it);
        }
    }
    std::optional<TimePoint> earliest() const
    {
        std::optional<TimePoint> best;
        for (const auto &[after, fifo] : m_fifos)
            if (!fifo.empty() && (!best || fifo.front().at < *best))
                best = fifo.front().at;
        return best;
    }
    qsizetype size() const { return m_size; }
    void clear()
    {
        m_fifos.clear();
        m_size = 0;
    }

private:
    struct Item {
        TimePoint at;
        Key key;
    };
    std::map<Duration, std::deque<Item>> m_fifos;
    qsizetype m_size = 0;
};

} // namespace Tether::Engine
