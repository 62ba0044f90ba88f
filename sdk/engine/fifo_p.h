// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the queue behind the Sink's events and actions. Not public API.
//
// Why not std::deque: the engine fills and drains its queues once per message (a Delivered
// per ack, a frame per send), and a deque allocates and frees a block every few elements
// of this size. This queue keeps its storage: it is emptied in place when drained, so a
// steady stream costs no allocation at all. Storage above kKeepCapacity elements (a burst:
// thousands of Dropped events after a long outage) is released when drained.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace Tether::Engine {

template <typename T>
class Fifo {
public:
    static constexpr std::size_t kKeepCapacity = 1024;
    static constexpr std::size_t kCompactFrom = 64;

    bool empty() const { return m_head == m_items.size(); }
    std::size_t size() const { return m_items.size() - m_head; }
    T &front() { return m_items[m_head]; }
    // For tests: elements held (popped ones not yet given back included), and the capacity.
    std::size_t storage() const { return m_items.size(); }
    std::size_t capacity() const { return m_items.capacity(); }

    void push_back(T &&item) { m_items.push_back(std::move(item)); }

    // Removes the front element, which the caller has moved from or no longer needs.
    void pop_front()
    {
        ++m_head;
        if (m_head != m_items.size()) {
            // A consumer that never drains the queue still gets the space back: the popped
            // prefix goes once it is half of the storage (amortised O(1) per element).
            if (m_head >= kCompactFrom && m_head * 2 >= m_items.size()) {
                m_items.erase(m_items.begin(), m_items.begin() + std::ptrdiff_t(m_head));
                m_head = 0;
            }
            return;
        }
        m_head = 0;
        if (m_items.capacity() > kKeepCapacity)
            std::vector<T>().swap(m_items);
        else
            m_items.clear();
    }

private:
    std::vector<T> m_items;
    std::size_t m_head = 0;  // elements before it were popped (moved from)
};

} // namespace Tether::Engine
