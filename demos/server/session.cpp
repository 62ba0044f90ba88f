// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "session.h"

#include "auth.h"

namespace TetherServer {

void Session::rememberNack(Tether::Protocol::Nack nack)
{
    nacks.push_back(std::move(nack));
    // Keep the nacks of the last kNackMemory seqs (at most kNackMemory entries).
    while (!nacks.empty() && nacks.front().seq + kNackMemory <= inRx)
        nacks.pop_front();
}

bool StreamPos::parseId(const std::string &text, StreamPos &out)
{
    const auto dash = text.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 >= text.size() || text.size() > 41)
        return false;
    std::uint64_t parts[2] = {0, 0};
    const std::string pieces[2] = {text.substr(0, dash), text.substr(dash + 1)};
    for (int i = 0; i < 2; ++i) {
        for (const char ch : pieces[i]) {
            if (ch < '0' || ch > '9')
                return false;
            const std::uint64_t next = parts[i] * 10 + std::uint64_t(ch - '0');
            if (next / 10 != parts[i])
                return false;
            parts[i] = next;
        }
    }
    out.ms = parts[0];
    out.seq = parts[1];
    return true;
}

size_t Session::acknowledge(std::uint64_t upTo)
{
    size_t dropped = 0;
    while (!unacked.empty() && unacked.front().seq <= upTo) {
        unacked.pop_front();
        ++dropped;
    }
    return dropped;
}

Session &SessionStore::adopt(std::unique_ptr<Session> session, double rate, double burst, std::int64_t nowMs)
{
    session->bucket = TokenBucket(rate, burst, nowMs);
    session->copy = m_nextCopy++;
    Session &ref = *session;
    const QString sid = session->sid;
    m_sessions[sid] = std::move(session);
    return ref;
}

Session &SessionStore::create(QString user, double rate, double burst, std::int64_t nowMs, const QString &peerPrefix)
{
    auto session = std::make_unique<Session>();
    QString sid;
    do {
        sid = QString::fromLatin1(randomHex(16));
    } while (m_sessions.count(sid));
    session->sid = sid;
    session->peer = peerPrefix.isEmpty() ? QStringLiteral("p%1").arg(m_nextPeer++)
                                         : QStringLiteral("p%1-%2").arg(peerPrefix).arg(m_nextPeer++);
    session->user = std::move(user);
    session->bucket = TokenBucket(rate, burst, nowMs);
    session->copy = m_nextCopy++;
    Session &ref = *session;
    m_sessions.emplace(sid, std::move(session));
    return ref;
}

Session *SessionStore::find(const QString &sid)
{
    const auto it = m_sessions.find(sid);
    return it == m_sessions.end() ? nullptr : it->second.get();
}

Session *SessionStore::find(const QString &sid, std::uint64_t copy)
{
    Session *s = find(sid);
    return s && s->copy == copy ? s : nullptr;
}

void SessionStore::erase(Session &session)
{
    markAttached(session);
    m_sessions.erase(session.sid);
}

void SessionStore::markDetached(Session &session)
{
    if (session.detached)
        return;
    session.detached = true;
    session.detachedPosition = m_detached.insert(m_detached.end(), &session);
}

void SessionStore::markAttached(Session &session)
{
    if (!session.detached)
        return;
    session.detached = false;
    m_detached.erase(session.detachedPosition);
}

Session *SessionStore::oldestDetached() const
{
    return m_detached.empty() ? nullptr : m_detached.front();
}

} // namespace TetherServer
