// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Sessions (docs/protocol.md §3–§4): what survives a dropped connection.
//
// A session holds both directions of the reliable stream:
// - inbound: `inRx`, the last contiguous client seq delivered, and the nacks of the last
//   kNackMemory seqs (repeated after a resume for seq in (hello.ak, welcome.rx]);
// - outbound: `outSeq`, the last seq given to a server message, and every message not yet
//   acknowledged (`unacked`, oldest first), retransmitted on resume. It is bounded by
//   --session-buffer: past it, the session is dropped (the client gets resumed=false).
// A session is attached to at most one connection; detached, it expires after
// --session-ttl ms. `sid` is the resume credential (128 random bits, never shown to other
// clients); `peer` is its public name in presence.
#pragma once

#include "publication.h"
#include "rate_limiter.h"
#include "timer_queue.h"

#include <protocol/frames.h>

#include <QtCore/QString>

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace TetherServer {

class Connection;

inline constexpr std::uint64_t kNackMemory = 1024;

struct OutboundMessage {
    std::uint64_t seq;
    PublicationPtr body;
};

// Redis mode: a position in a channel's stream (README.md, "Redis mode"). Entry ids
// "MS-SEQ" order entries of one stream; `epoch` names the stream (a lost stream gets a new
// one, and positions of the old epoch mean nothing in the new one). Empty epoch: the
// stream did not exist yet.
struct StreamPos {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;
    std::string epoch;

    bool before(const StreamPos &other) const { return ms < other.ms || (ms == other.ms && seq < other.seq); }
    bool sameEntry(const StreamPos &other) const { return ms == other.ms && seq == other.seq; }
    std::string id() const { return std::to_string(ms) + "-" + std::to_string(seq); }
    // Parses "MS-SEQ"; false for anything else.
    static bool parseId(const std::string &text, StreamPos &out);
};

struct Session {
    QString sid;
    // This node's copy of the session: a copy dropped and loaded again is another one (a
    // read issued for the first must not count for the second).
    std::uint64_t copy = 0;
    QString peer;
    QString user;                 // empty when auth is off
    // Redis mode: the session's claim generation (README.md, "Fencing"): 1 when made, +1 each
    // time a node loads (claims) it. Presence writes carry it; the channel refuses one older
    // than the last it took for this peer (a stale copy's late write).
    std::uint64_t fence = 1;
    Connection *connection = nullptr;

    std::uint64_t inRx = 0;
    // Redis mode: the highest inRx the store confirmed. Acks and welcome.rx never go past
    // it: a client drops what is acked, so an ack of a seq whose write then dies with the
    // node would lose it, and a resume elsewhere would answer a welcome.rx below that ack
    // (which the SDK refuses).
    std::uint64_t durableRx = 0;
    std::deque<Tether::Protocol::Nack> nacks;   // ascending seq, within the last kNackMemory
    // Redis mode, sharded: client seqs whose publication went to another shard than the
    // session's, until its stream entry landed (ascending). The stored inRx never passes a
    // pending or failed one: a resume elsewhere would take that seq as received
    // (welcome.rx, the client drops it) while its publication was never written.
    enum class Landing { Pending, Landed, Failed };
    std::deque<std::pair<std::uint64_t, Landing>> publicationsLanding;
    // The acks held meanwhile (Hub::AckLatch, by the inRx they wait for), released by the
    // inRx write that covers them.
    std::deque<std::pair<std::uint64_t, std::shared_ptr<void>>> heldAcks;

    std::uint64_t outSeq = 0;
    std::deque<OutboundMessage> unacked;         // ascending seq
    // Highest seq the state store confirmed (= outSeq in memory mode), and the highest
    // sent on the current connection: a message is sent only once it is durable.
    std::uint64_t durableSeq = 0;
    std::uint64_t sentSeq = 0;
    bool overflowed = false;                     // marked during a fan-out, dropped after it

    std::set<QString> channels;
    // Redis mode: per subscribed channel, the last stream entry delivered to this session
    // (or the stream's end when it subscribed); recovery on resume starts after it.
    std::unordered_map<QString, StreamPos> positions;
    // Redis mode: channels subscribed but not answered yet; publications without a stream
    // position (presence, at-most-once) announced before the `sub` are not delivered.
    std::set<QString> pendingChannels;
    // Redis mode: loaded here, its channels' streams not read yet. Live publications with a
    // stream position wait in `backlog` meanwhile: delivered at once they would move the
    // position past entries the recovery read has still to deliver (which it would then
    // skip as already delivered).
    bool recovering = false;
    // Redis mode: catch-up reads in flight (Hub::catchUp: this node's fan-out of a channel
    // was interrupted); live entries are held meanwhile for the same reason.
    unsigned catchingUp = 0;
    // A catch-up found this channel's stream lost while the session was recovering: its
    // resume ends with resumed=false.
    QString historyLostOn;
    bool holding() const { return recovering || catchingUp > 0; }
    struct Held {
        QString ch;
        StreamPos pos;
        PublicationPtr body;
    };
    std::vector<Held> backlog;
    TokenBucket bucket;
    TimerId expiryTimer = 0;
    std::list<Session *>::iterator detachedPosition;  // valid while detached
    bool detached = false;

    void rememberNack(Tether::Protocol::Nack nack);
    // Drops unacked messages with seq <= upTo; returns how many.
    size_t acknowledge(std::uint64_t upTo);
};

class SessionStore {
public:
    // `peerPrefix`: empty in memory mode (peers p1, p2...); in Redis mode a random one, as
    // peers must be unique across the nodes.
    Session &create(QString user, double rate, double burst, std::int64_t nowMs, const QString &peerPrefix = {});
    // A session loaded from the state store (resumed here, made on another node).
    Session &adopt(std::unique_ptr<Session> session, double rate, double burst, std::int64_t nowMs);
    Session *find(const QString &sid);
    // That copy of it (Session::copy), or nullptr.
    Session *find(const QString &sid, std::uint64_t copy);
    void erase(Session &session);

    void markDetached(Session &session);
    void markAttached(Session &session);
    // The session detached the longest ago, or nullptr.
    Session *oldestDetached() const;

    size_t size() const { return m_sessions.size(); }
    size_t detachedCount() const { return m_detached.size(); }

private:
    std::unordered_map<QString, std::unique_ptr<Session>> m_sessions;
    std::list<Session *> m_detached;   // oldest first
    std::uint64_t m_nextPeer = 1;
    std::uint64_t m_nextCopy = 1;
};

} // namespace TetherServer
