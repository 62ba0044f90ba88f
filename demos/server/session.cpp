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
    Session &ref = *session;
    m_sessions.emplace(sid, std::move(session));
    return ref;
}

Session *SessionStore::find(const QString &sid)
{
    const auto it = m_sessions.find(sid);
    return it == m_sessions.end() ? nullptr : it->second.get();
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
