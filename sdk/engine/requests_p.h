// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the request table (docs/protocol.md §5). Not public API.
//
// Rules:
// - req.id is unique among pending requests: ids come from a counter that never repeats.
// - Exactly one RequestFinished per accepted request: its `res`, its timeout (Timeout), the
//   loss of the connection that carried it (ConnectionLost, unless retryable), cancel or
//   close() (Closed). A res whose id is not pending on *this* connection is ignored (and
//   logged): a request is never answered on a later connection.
// - A request made while offline waits (in call order) and is sent after the next welcome;
//   its timeout counts from the call. A retryable request that lost its connection is sent
//   again after the next welcome, with the same id.
// - Cost per operation does not grow with the number pending: a hash table by id, a FIFO
//   of waiting ids, and timeouts in a DeadlineQueue (FIFO per distinct timeout).
//
// - The codec may change between connections (Connection::setOptions()): reencode()
//   rewrites every pending frame for the new codec, ids and order unchanged; a request
//   the new codec cannot carry (bytes in JSON) ends with NotSupported.
//
// Theory of operation: the frame is encoded once at request() time and kept; "sending" is
// handing those bytes to the caller. Finished ids are erased from the hash at once; the
// waiting FIFO and the deadline queue skip ids no longer pending when they meet them.
#pragma once

#include "sink_p.h"
#include "timers_p.h"

#include <protocol/codec.h>

#include <QtCore/QByteArray>

#include <deque>
#include <functional>
#include <unordered_map>

namespace Tether::Engine {

enum class RequestKind { Call, Subscribe, Unsubscribe };

struct PendingRequest {
    QByteArray frame;          // encoded req/sub/unsub
    bool binary = false;
    bool retryable = false;
    bool internal = false;     // made by the engine (re-subscribe): no RequestFinished event
    RequestKind kind = RequestKind::Call;
    QString channel;           // Subscribe/Unsubscribe
    quint64 connection = 0;    // the connection it was sent on; 0 = waiting
};

class Requests {
public:
    explicit Requests(Sink &sink) : m_sink(sink) {}

    // Called for every request that ends, before its RequestFinished event is queued.
    std::function<void(quint64 id, const PendingRequest &, const std::optional<Error> &)> onFinished;

    quint64 nextId() { return m_nextId++; }
    // `timeout` <= 0: none.
    void add(TimePoint now, quint64 id, PendingRequest request, Duration timeout);
    bool isPending(quint64 id) const { return m_pending.count(id) != 0; }

    // Frames to send now, in call order, marking them sent on `connection`.
    template <typename Fn>
    void sendWaiting(quint64 connection, Fn &&send)
    {
        while (!m_waiting.empty()) {
            const quint64 id = m_waiting.front();
            m_waiting.pop_front();
            auto it = m_pending.find(id);
            if (it == m_pending.end() || it->second.connection != 0)
                continue;
            it->second.connection = connection;
            ++m_sink.stats.requestsSent;
            send(id, it->second);
        }
    }

    // Ends the request: emits RequestFinished (unless internal) and returns what it was, or
    // nullopt when `id` is not pending. `onConnection` != 0: only if sent on that connection.
    std::optional<PendingRequest> finish(quint64 id, QCborValue result, std::optional<Error> error,
                                         quint64 onConnection = 0);

    // The connection `connection` died: retryable requests wait again, the others fail
    // with ConnectionLost.
    void connectionLost(quint64 connection);
    // Everything fails with `error` (close()).
    void failAll(const Error &error);
    // The codec changed while no socket is open: see the rules.
    void reencode(const Protocol::Codec &from, const Protocol::Codec &to);

    void expireDue(TimePoint now);
    std::optional<TimePoint> nextDeadline() const { return m_deadlines.earliest(); }
    qsizetype size() const { return qsizetype(m_pending.size()); }

private:
    Sink &m_sink;
    quint64 m_nextId = 1;
    std::unordered_map<quint64, PendingRequest> m_pending;
    std::deque<quint64> m_waiting;
    DeadlineQueue<quint64> m_deadlines;
};

} // namespace Tether::Engine
