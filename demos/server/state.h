// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Where the Hub's state lives, apart from what the Hub decides (STYLE.md, last section).
//
// The Hub applies the protocol rules to its in-memory sessions and channels, then tells
// the StateStore what changed. Two implementations:
// - MemoryState: the Hub's memory *is* the state. Every call is a no-op and `immediate()`
//   is true, so the Hub takes its direct path (no callback, no allocation): in-memory mode
//   costs what it cost before the split.
// - RedisState (redis_state.h): every change is written to Redis, pipelined with the rest
//   of the loop turn; `Done` runs when Redis answered, and the Hub only then acknowledges a
//   client's message or sends a reliable message (so what was acked or sent is in Redis).
//   A session unknown to this node is loaded from Redis (resume on another node).
//
// Rule: the Hub never reads state from the store except when it loads a session; the
// store never decides (no seq, no ack, no access rule is computed here).
#pragma once

#include "channels.h"
#include "session.h"

#include <protocol/frames.h>

#include <QtCore/QCborArray>

#include <functional>
#include <optional>
#include <utility>
#include <vector>
#include <memory>

namespace TetherServer {

class StateStore {
public:
    using Done = std::function<void(bool durable)>;

    struct Loaded {
        enum class Outcome { Found, Missing, Unavailable } outcome = Outcome::Missing;
        std::unique_ptr<Session> session;   // Found: ids, positions, owed messages, subscriptions
        QString ownerNode;                  // Found: the node it was last attached to
    };
    using LoadDone = std::function<void(Loaded)>;

    virtual ~StateStore() = default;

    // True when every write is complete as the call returns (no Done ever runs).
    virtual bool immediate() const = 0;
    // False while new sessions cannot be made durable (Redis unreachable).
    virtual bool available() const = 0;
    // Writes sent and not answered yet (shutdown waits for them).
    virtual size_t inFlight() const = 0;
    // A name unique in the cluster for this node (server ids, peers are derived from it).
    virtual QString nodeId() const = 0;

    // Loads a session to attach it here. A session of `user` becomes this node's at once,
    // before it is read (Loaded::ownerNode: the node that held it): writes of the previous
    // owner that land later are refused (fencing), so what is read is what it will hold.
    virtual void loadSession(const QString &sid, const QString &user, LoadDone done) = 0;
    // A session this node holds in memory is resumed here: is it still this node's in the
    // store (another node may have claimed it meanwhile, unknown to this one)?
    enum class Ownership { Owned, NotOwned, Unavailable };
    virtual void confirmOwner(const QString &sid, std::function<void(Ownership)> done) = 0;
    virtual void sessionCreated(const Session &s) = 0;
    // `previousNode`: where it was attached before (empty, or this node): told to let go.
    virtual void sessionAttached(const Session &s, const QString &previousNode) = 0;
    virtual void sessionDetached(const Session &s) = 0;
    virtual void sessionForgotten(const Session &s) = 0;
    // The session's inbound position is `rx` now (or a duplicate was received): acknowledge
    // once `done` says durable.
    virtual void inboundAccepted(const Session &s, std::uint64_t rx, Done done) = 0;
    // True when a write of the session and one of the channel land in the order they were
    // issued (same Redis connection). Else the Hub writes the session's inRx only once the
    // publication it received on `ch` is durable (hub.cpp, publicationLanded).
    virtual bool writesOrdered(const QString &sid, const QString &ch) const = 0;
    virtual void nackRemembered(const Session &s, const Tether::Protocol::Nack &nack) = 0;
    // `pos`: the stream entry it is (m.body->ch's), recorded as the session's position in
    // the same atomic write, never before the owed entry is (recovery after a resume
    // starts after the position). Refused when another node owns the session now.
    virtual void outboundQueued(const Session &s, const OutboundMessage &m, const StreamPos *pos, Done done) = 0;
    // The client acknowledged every owed message up to seq `upTo`.
    virtual void acknowledged(const Session &s, std::uint64_t upTo) = 0;
    virtual void subscriptionChanged(const Session &s, const QString &ch, bool subscribed) = 0;
    // Keeps attached sessions alive in the store (called periodically).
    virtual void refreshAttached(const std::vector<const Session *> &attached) = 0;

    // Fan-out between nodes. A node follows a channel while it has local subscribers.
    virtual void follow(const QString &ch, bool on) = 0;
    // Runs `then` once publications on `ch` reach this node (at once if that cannot be
    // known, e.g. Redis is down).
    virtual void whenFollowing(const QString &ch, std::function<void()> then) = 0;
    // True while publications on `ch` reach this node (its subscription is confirmed). When
    // it was not, what was published meanwhile is read from the stream once it is again
    // (Hub::catchUp, told by RedisState's gap handler).
    virtual bool following(const QString &ch) const = 0;
    // Runs `then` once every publication announced on `ch` before this call reached this
    // node (a marker published behind them came back; at once if Redis is down).
    virtual void barrier(const QString &ch, std::function<void()> then) = 0;
    // Publishes on the channel for every node following it, this one included: in Redis
    // mode local subscribers are served from the fan-out too, so every node sees one order
    // per channel, and every reliable delivery carries its stream position. With
    // `history`, it is appended to the stream first (one script); `done`: durable.
    virtual void announce(const QString &ch, const QString &fromPeer, const Publication &body, bool reliable,
                          const HistoryEntry *history, Done done) = 0;
    // Stream positions of a session (recovery after a resume starts after them).
    virtual void positionAdvanced(const Session &s, const QString &ch, const StreamPos &pos) = 0;
    virtual void positionDropped(const Session &s, const QString &ch) = 0;
    // The channel stream's last entry and epoch ({0-0, ""} when there is no stream).
    using TailDone = std::function<void(std::optional<StreamPos>)>;
    virtual void readTail(const QString &ch, TailDone done) = 0;
    // The entries after `pos` (at most `limit`); `lost` when they cannot all be told: the
    // epoch changed, `pos` was trimmed away, or more than `limit` came after it.
    struct Recovered {
        bool failed = false;
        bool lost = false;
        std::vector<std::pair<StreamPos, HistoryEntry>> entries;
    };
    virtual void readSince(const QString &ch, const StreamPos &pos, int limit, std::function<void(Recovered)> done) = 0;
    // The session's presence on `ch` (Redis mode: fenced by Session::fence, with the event
    // `event` announced to every node in the same write, none when null). Release: this
    // node's copy went because another node owns the session; the member is removed only
    // if this copy wrote it last (a join its stale copy made after losing it), quietly.
    enum class Presence { Join, Leave, Release };
    virtual void presenceChanged(const QString &ch, const Session &s, Presence change, const Publication *event) = 0;
    // The `history` / `presence` method results (README.md) read from the store; false
    // when the Hub's memory is the answer (memory mode). nullopt: the store failed.
    using Entries = std::function<void(std::optional<QCborArray>)>;
    virtual bool readHistory(const QString &ch, int limit, Entries done) = 0;
    virtual bool readPresence(const QString &ch, Entries done) = 0;
};

class MemoryState final : public StateStore {
public:
    bool immediate() const override { return true; }
    bool available() const override { return true; }
    size_t inFlight() const override { return 0; }
    QString nodeId() const override { return {}; }
    void loadSession(const QString &, const QString &, LoadDone done) override { done(Loaded{}); }
    void confirmOwner(const QString &, std::function<void(Ownership)> done) override { done(Ownership::Owned); }
    void sessionCreated(const Session &) override {}
    void sessionAttached(const Session &, const QString &) override {}
    void sessionDetached(const Session &) override {}
    void sessionForgotten(const Session &) override {}
    void inboundAccepted(const Session &, std::uint64_t, Done) override {}
    bool writesOrdered(const QString &, const QString &) const override { return true; }
    void nackRemembered(const Session &, const Tether::Protocol::Nack &) override {}
    void outboundQueued(const Session &, const OutboundMessage &, const StreamPos *, Done) override {}
    void acknowledged(const Session &, std::uint64_t) override {}
    void subscriptionChanged(const Session &, const QString &, bool) override {}
    void refreshAttached(const std::vector<const Session *> &) override {}
    void follow(const QString &, bool) override {}
    void whenFollowing(const QString &, std::function<void()> then) override { then(); }
    bool following(const QString &) const override { return true; }
    void barrier(const QString &, std::function<void()> then) override { then(); }
    void announce(const QString &, const QString &, const Publication &, bool, const HistoryEntry *, Done) override {}
    void positionAdvanced(const Session &, const QString &, const StreamPos &) override {}
    void positionDropped(const Session &, const QString &) override {}
    void readTail(const QString &, TailDone done) override { done(std::nullopt); }
    void readSince(const QString &, const StreamPos &, int, std::function<void(Recovered)> done) override
    {
        done(Recovered{});
    }
    void presenceChanged(const QString &, const Session &, Presence, const Publication *) override {}
    bool readHistory(const QString &, int, Entries) override { return false; }
    bool readPresence(const QString &, Entries) override { return false; }
};

} // namespace TetherServer
