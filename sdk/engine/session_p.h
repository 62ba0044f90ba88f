// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the session (docs/protocol.md §3-§4): one home for its rules. Not public API.
//
// Rules:
// - The session is `sid` (empty: none; the next hello asks for a new one), the inbound
//   position (Inbound::delivered(), hello.rx), the highest ack received (hello.ak) and the
//   outbound numbering (Outbox: next seq, highest seq handed out).
// - hello resumes when there is a sid: it carries sid, rx and ak; else none of them.
// - The welcome verdict:
//   * resumed = true is accepted only for the sid hello asked to resume; then every seq
//     <= welcome.rx is handled by the server: not retransmitted, reported Delivered at
//     settle time (below). welcome.rx below hello.ak (a seq the server acknowledged) is
//     impossible: a protocol error. welcome.rx above the highest seq handed out is
//     impossible too, EXCEPT on the first welcome after restore(): the store may lag the
//     wire (messages sent but not yet persisted when the process died), so the server may
//     have accepted seqs the restored outbox never heard of. Then every restored seq <= rx
//     is covered like any other, and the numbering continues at rx+1 (a restored message
//     without seq gets rx+1, ...): numbering below would make the server drop new
//     messages as duplicates of ones it already has. A restored message that was in fact
//     one of those seqs goes out again under a new seq with its id: a duplicate by id,
//     which docs/protocol.md §3 allows. If such a message's TTL runs out before it goes out
//     again it ends Dropped(Expired) as any queued message does, although the server may
//     have it from the old process in this same session: Expired keeps the meaning it has
//     after a lost session (its TTL ran out unacknowledged; it is never sent again).
//   * resumed = false: a new session. Outbound messages are renumbered from 1 (Outbox::
//     newSession(): those whose TTL ran out on the wire end Expired first), the inbound
//     position restarts at 0 (the id window stays), the new sid is kept. If there was a
//     session before, it is lost (SessionLost, channels re-subscribed by the caller).
// - The inbound side of the same lag: the old process may have acknowledged server seqs
//   (and shown them to the app) whose position the store never got, and a server forgets
//   what was acknowledged. So after restore(), until the first reliable message of the
//   resumed session arrives, that message may be above hello.rx + 1: the position jumps to
//   it instead of calling it a gap (the skipped seqs were delivered by the old process).
//   Any later gap, and any gap without a restore, is a protocol error as always.
// - Settle: the server repeats the nacks in (hello.ak, welcome.rx] right after a resumed
//   welcome, so the covered seqs are reported Delivered only at the first frame that is not
//   a nack, at a pong, or kResumeSettle after welcome (Timer::ResumeSettle), whichever
//   comes first. A lost connection cancels the wait (the next welcome covers again).
// - close() ends the session (1000: the server may forget it): sid cleared, the outbox
//   dropped or kept and renumbered, the inbound position reset. suspend() keeps it.
// - Persistence: every change of sid, positions or numbering marks the journal's session
//   row dirty; restore() brings a stored session back (or, from another endpoint, none).
//
// Theory of operation: Session owns the sid and the decisions; Outbox and Inbound keep the
// counters their hot paths need and do the numbering they are told (cover, skipTo,
// newSession), so one message costs no extra indirection.
#pragma once

#include "inbound_p.h"
#include "journal_p.h"
#include "outbox_p.h"
#include "timers_p.h"

#include <protocol/frames.h>

namespace Tether::Engine {

class Session {
public:
    Session(Outbox &outbox, Inbound &inbound, Journal &journal, TimerTable &timers)
        : m_outbox(outbox), m_inbound(inbound), m_journal(journal), m_timers(timers)
    {
    }

    const QString &sid() const { return m_sid; }

    // Fills hello's resume fields (none without a session).
    void fillHello(Protocol::Hello &hello);

    enum class Verdict { Resumed, New, Refused };
    struct WelcomeVerdict {
        Verdict verdict = Verdict::New;
        bool sessionLost = false;  // New, and there was a session before
        QString error;             // Refused: why (a protocol error)
    };
    // Judges welcome and applies it to the numbering (nothing changes when Refused).
    WelcomeVerdict welcome(const Protocol::Welcome &welcome);
    // The connection is up after a resumed welcome: start the settle wait.
    void welcomed(TimePoint now);

    // A reliable inbound msg `seq` would be a gap: true (and the position moved below it)
    // when the store may lag the acks sent before a crash (see the rules).
    bool acceptInboundJump(quint64 seq);
    void inboundArrived() { m_inboundMayLag = false; }

    // Settle triggers (see the rules).
    void frameArrived(bool isNack);
    void pongArrived();
    void settleDue() { m_outbox.settle(); }
    void connectionLost() { m_timers.clear(Timer::ResumeSettle); }

    // close(): the session ends; the outbox is dropped (Closed) unless kept.
    void end(bool keepOutbox);

    // restore(): `resume` false (another endpoint, raw mode): no session is resumed.
    void restore(const StoredSession &stored, bool resume);
    StoredSession stored() const;

    // After a resumed welcome the server repeats nacks this long at most.
    static constexpr Duration kResumeSettle{1000};

private:
    Outbox &m_outbox;
    Inbound &m_inbound;
    Journal &m_journal;
    TimerTable &m_timers;
    QString m_sid;
    bool m_askedResume = false;  // the current hello carried sid
    bool m_storeMayLag = false;  // restored, no welcome since (see the rules)
    bool m_inboundMayLag = false; // restored, no reliable inbound msg since
};

} // namespace Tether::Engine
