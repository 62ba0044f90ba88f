// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// All of the server's timers in one ordered table, driven by one lws_sul.
//
// Why: hello timeouts, ack delays, `sleep` replies, session expiry, pings and the metrics
// tick would otherwise be thousands of individual lws timers; here they are entries of
// a map keyed by deadline, and lws is asked to wake us only for the earliest one.
// A callback must not assume the object it refers to still exists: callbacks capture ids
// and look them up. Cancelling an unknown or fired timer is a no-op.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace TetherServer {

using TimerId = std::uint64_t;   // 0 = no timer

class TimerQueue {
public:
    using Callback = std::function<void()>;

    TimerId schedule(std::int64_t deadlineMs, Callback callback);
    void cancel(TimerId id);
    // Runs every timer whose deadline is <= nowMs, earliest first (including timers that
    // the callbacks schedule for <= nowMs).
    void runDue(std::int64_t nowMs);
    std::optional<std::int64_t> nextDeadline() const;
    size_t size() const { return m_byDeadline.size(); }

private:
    using Key = std::pair<std::int64_t, TimerId>;
    std::map<Key, Callback> m_byDeadline;
    std::unordered_map<TimerId, std::int64_t> m_deadlineOf;
    TimerId m_nextId = 1;
};

} // namespace TetherServer
