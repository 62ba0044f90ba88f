// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "requests_p.h"

#include <algorithm>
#include <vector>

namespace Tether::Engine {

void Requests::add(TimePoint now, quint64 id, PendingRequest request, Duration timeout)
{
    request.connection = 0;
    m_pending.emplace(id, std::move(request));
    m_waiting.push_back(id);
    if (timeout.count() > 0)
        m_deadlines.push(now, timeout, id);
}

std::optional<PendingRequest> Requests::finish(quint64 id, QCborValue result, std::optional<Error> error,
                                               quint64 onConnection)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end() || (onConnection != 0 && it->second.connection != onConnection))
        return std::nullopt;
    PendingRequest request = std::move(it->second);
    m_pending.erase(it);
    if (onFinished)
        onFinished(id, request, error);
    if (!request.internal)
        m_sink.post(RequestFinished{id, std::move(result), std::move(error)});
    m_deadlines.trimFronts([this](quint64 key) { return m_pending.count(key) != 0; });
    return request;
}

void Requests::connectionLost(quint64 connection)
{
    // Collect first: finish() mutates the table. Ids keep call order (ids grow).
    std::vector<quint64> lost;
    std::vector<quint64> again;
    for (auto &[id, request] : m_pending) {
        if (request.connection != connection)
            continue;
        if (request.retryable) {
            request.connection = 0;
            again.push_back(id);
        } else {
            lost.push_back(id);
        }
    }
    std::sort(lost.begin(), lost.end());
    std::sort(again.begin(), again.end());
    // Resent first, before the requests that never left: they were made earlier.
    m_waiting.insert(m_waiting.begin(), again.begin(), again.end());
    for (quint64 id : lost)
        finish(id, {}, Error::make(ErrorKind::Transport, ErrorCode::ConnectionLost,
                                   QStringLiteral("the connection was lost before the response")));
}

void Requests::failAll(const Error &error)
{
    std::vector<quint64> ids;
    ids.reserve(m_pending.size());
    for (const auto &entry : m_pending)
        ids.push_back(entry.first);
    std::sort(ids.begin(), ids.end());
    for (quint64 id : ids)
        finish(id, {}, error);
    m_waiting.clear();
    m_deadlines.clear();
}

void Requests::reencode(const Protocol::Codec &from, const Protocol::Codec &to)
{
    // Frames were written by `from`, which never writes what its decoder rejects
    // (codec.h), so decoding them back cannot fail; encoding can, for a payload `to`
    // cannot carry.
    std::vector<std::pair<quint64, QString>> failed;
    for (auto &[id, request] : m_pending) {
        const Protocol::DecodeResult decoded = from.decode(request.frame);
        QByteArray bytes;
        QString error = decoded.error;
        if (decoded.ok() && to.encode(*decoded.frame, bytes, &error)) {
            request.frame = std::move(bytes);
            request.binary = to.usesBinaryFrames();
        } else {
            failed.emplace_back(id, error);
        }
    }
    std::sort(failed.begin(), failed.end());  // the hash has no order; the events do
    for (const auto &[id, error] : failed)
        finish(id, {}, Error::make(ErrorKind::Local, ErrorCode::NotSupported,
                                   QStringLiteral("the request cannot be sent with the new codec: %1").arg(error)));
}

void Requests::expireDue(TimePoint now)
{
    std::vector<quint64> due;
    m_deadlines.popDue(now, [&](quint64 id) { due.push_back(id); });
    for (quint64 id : due) {
        if (!isPending(id))
            continue;
        ++m_sink.stats.requestsTimedOut;
        finish(id, {}, Error::make(ErrorKind::Timeout, ErrorCode::Timeout,
                                   QStringLiteral("no response within the request timeout")));
    }
}

} // namespace Tether::Engine
