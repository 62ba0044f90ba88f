// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "session_p.h"

namespace Tether::Engine {

void Session::fillHello(Protocol::Hello &hello)
{
    m_askedResume = !m_sid.isEmpty();
    if (!m_askedResume)
        return;
    hello.sid = m_sid;
    hello.rx = m_inbound.delivered();
    hello.ak = m_outbox.highestAck();
}

Session::WelcomeVerdict Session::welcome(const Protocol::Welcome &welcome)
{
    WelcomeVerdict v;
    if (welcome.resumed) {
        v.verdict = Verdict::Refused;
        if (!m_askedResume || welcome.sid != m_sid) {
            v.error = QStringLiteral("welcome resumes a session the client did not ask for");
            return v;
        }
        if (welcome.rx > m_outbox.highestSent() && !m_storeMayLag) {
            v.error = QStringLiteral("welcome.rx %1 beyond the highest seq sent (%2)")
                          .arg(welcome.rx).arg(m_outbox.highestSent());
            return v;
        }
        if (welcome.rx < m_outbox.highestAck()) {
            v.error = QStringLiteral("welcome.rx %1 below a seq the server acknowledged (%2)")
                          .arg(welcome.rx).arg(m_outbox.highestAck());
            return v;
        }
        m_outbox.skipTo(welcome.rx);  // no-op unless the store lagged the wire
        m_outbox.cover(welcome.rx);
        m_storeMayLag = false;
        v.verdict = Verdict::Resumed;
        return v;
    }
    v.sessionLost = !m_sid.isEmpty();
    m_storeMayLag = false;
    m_inboundMayLag = false;  // a new session starts at 1: nothing can lag
    m_outbox.newSession();
    m_inbound.newSession();
    m_sid = welcome.sid;
    m_journal.sessionChanged();
    return v;
}

void Session::welcomed(TimePoint now)
{
    if (m_outbox.settling())
        m_timers.set(Timer::ResumeSettle, now + kResumeSettle);
}

bool Session::acceptInboundJump(quint64 seq)
{
    if (!m_inboundMayLag || seq == 0)
        return false;
    m_inboundMayLag = false;
    m_inbound.restorePosition(seq - 1);
    m_journal.sessionChanged();
    return true;
}

void Session::frameArrived(bool isNack)
{
    if (m_outbox.settling() && !isNack) {
        m_timers.clear(Timer::ResumeSettle);
        m_outbox.settle();
    }
}

void Session::pongArrived()
{
    if (m_outbox.settling()) {
        m_timers.clear(Timer::ResumeSettle);
        m_outbox.settle();
    }
}

void Session::end(bool keepOutbox)
{
    m_outbox.closeAll(keepOutbox);
    // 1000 tells the server the app is done with the session: the next open() starts anew.
    m_outbox.newSession();
    m_inbound.newSession();
    m_sid.clear();
    m_storeMayLag = false;
    m_inboundMayLag = false;
    m_journal.sessionChanged();
}

void Session::restore(const StoredSession &stored, bool resume)
{
    if (resume && !stored.sid.isEmpty()) {
        m_sid = stored.sid;
        m_inbound.restorePosition(stored.inboundRx);
        m_outbox.restoreNumbering(stored.nextSeq, stored.highestAck);
        m_storeMayLag = true;
        m_inboundMayLag = true;
    } else {
        // Nothing to resume: the first welcome starts a session and renumbers (the
        // messages that were on the wire with a passed TTL end Expired there, as usual).
        m_sid.clear();
        m_outbox.restoreNumbering(1, 0);
    }
    m_journal.sessionChanged();
}

StoredSession Session::stored() const
{
    StoredSession s;
    s.sid = m_sid;
    s.inboundRx = m_inbound.delivered();
    s.highestAck = m_outbox.highestAck();
    s.nextSeq = m_outbox.nextSeq();
    return s;
}

} // namespace Tether::Engine
