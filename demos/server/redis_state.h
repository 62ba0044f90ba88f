// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// StateStore on Redis (README.md, "Redis mode": keys, failure modes, round trips).
//
// Every write is one or a few commands on the shard of its hash tag, queued on the
// Redis object and so pipelined with the whole loop turn (redis.h). Done callbacks run
// when the reply arrives: replies on one shard come in the order the commands were
// issued, so "the reply of the last write of a session arrived" means every earlier
// write of that session is in Redis too.
//
// Values read back (a session loaded on resume) are checked field by field and bounded;
// anything else is logged and treated as a missing session, never trusted.
#pragma once

#include "options.h"
#include "redis.h"
#include "state.h"

#include <functional>
#include <map>
#include <unordered_map>
#include <optional>
#include <set>
#include <unordered_map>

namespace TetherServer {

class RedisState final : public StateStore {
public:
    RedisState(const Options &options, Redis &redis, TimerQueue &timers);

    // A node asked us to let go of a session (it is attached there now), or a write of ours
    // was refused because another node owns it now (fencing).
    void setTakeoverHandler(std::function<void(const QString &sid)> handler) { m_onTakeover = std::move(handler); }
    // A write was refused because the session is gone from Redis (expired, deleted).
    void setGoneHandler(std::function<void(const QString &sid)> handler) { m_onGone = std::move(handler); }
    // Starts the node heartbeat and subscribes to this node's control channel.
    void start();

    bool immediate() const override { return false; }
    bool available() const override { return m_redis.allUp(); }
    size_t inFlight() const override { return m_inFlight; }
    QString nodeId() const override { return m_node; }

    void loadSession(const QString &sid, const QString &user, LoadDone done) override;
    void confirmOwner(const QString &sid, std::function<void(Ownership)> done) override;
    void sessionCreated(const Session &s) override;
    void sessionAttached(const Session &s, const QString &previousNode) override;
    void sessionDetached(const Session &s) override;
    void sessionForgotten(const Session &s) override;
    void inboundAccepted(const Session &s, std::uint64_t rx, Done done) override;
    bool writesOrdered(const QString &sid, const QString &ch) const override;
    void nackRemembered(const Session &s, const Tether::Protocol::Nack &nack) override;
    void outboundQueued(const Session &s, const OutboundMessage &m, const StreamPos *pos, Done done) override;
    void acknowledged(const Session &s, std::uint64_t upTo) override;
    void subscriptionChanged(const Session &s, const QString &ch, bool subscribed) override;
    void refreshAttached(const std::vector<const Session *> &attached) override;
    void follow(const QString &ch, bool on) override;
    void whenFollowing(const QString &ch, std::function<void()> then) override;
    bool following(const QString &ch) const override;
    void barrier(const QString &ch, std::function<void()> then) override;
    void announce(const QString &ch, const QString &fromPeer, const Publication &body, bool reliable,
                  const HistoryEntry *history, Done done) override;
    void positionAdvanced(const Session &s, const QString &ch, const StreamPos &pos) override;
    void positionDropped(const Session &s, const QString &ch) override;
    void readTail(const QString &ch, TailDone done) override;
    void readSince(const QString &ch, const StreamPos &pos, int limit, std::function<void(Recovered)> done) override;
    void presenceChanged(const QString &ch, const Session &s, Presence change, const Publication *event) override;
    bool readHistory(const QString &ch, int limit, Entries done) override;
    bool readPresence(const QString &ch, Entries done) override;

    // A publication announced on a channel this node follows (by any node, this one too).
    // `pos`: its stream position (reliable publications kept in history).
    using RemoteHandler = std::function<void(const QString &ch, const QString &fromPeer, PublicationPtr body, bool reliable,
                                             const std::optional<StreamPos> &pos)>;
    void setRemoteHandler(RemoteHandler handler) { m_onRemote = std::move(handler); }
    // The fan-out of `ch` to this node was interrupted and is back (pub/sub reconnected):
    // the publications in between must be read from the stream.
    void setGapHandler(std::function<void(const QString &ch)> handler) { m_onGap = std::move(handler); }

    // Key names (also used by the tests through README.md).
    static std::string sessionKey(const QString &sid) { return "tether:{s:" + sid.toStdString() + "}"; }
    static std::string channelKey(const QString &ch) { return "tether:{c:" + ch.toStdString() + "}"; }
    static std::string nodeKey(const std::string &node) { return "tether:node:" + node; }

private:
    size_t shardOf(const std::string &key) const;
    void send(const std::string &routingKey, std::vector<std::string> args, Redis::Callback callback = {});
    // EVALSHA of a registered script (Redis::evalScript), counted like send().
    void script(const std::string &routingKey, const Redis::Script &script, std::vector<std::string> keys,
                std::vector<std::string> args, Redis::Callback callback = {}, bool retry = true);
    void expireSession(const Session &s, std::int64_t ttlMs);
    // Session writes, fenced (README.md, "Fencing"): join the session's batch of the loop
    // turn, issued as one script that runs them only while this node owns the session.
    // `command` is [NAME, KEY SUFFIX, ARGS...] on one of the session's keys.
    void fenced(const Session &s, std::vector<std::string> command, Done done = {});
    // A publication kept out of the stream as the fan-out carries it: its record, and the
    // whole pub/sub message of that one publication.
    void fanOutRecord(std::string &out, const QString &ch, const QString &fromPeer, const Publication &body,
                      bool reliable) const;
    std::string fanOutMessage(const QString &ch, const QString &fromPeer, const Publication &body, bool reliable) const;
    // One call of the presence script (kPresenceScript) on the channel key `key`.
    void writePresence(const std::string &key, const std::string &peer, const std::string &generation, const char *what,
                       std::string member, std::string message, Redis::Callback then);
    void heartbeat();
    void beat(size_t shard);
    void onMessage(size_t shard, const std::string &channel, const std::string &payload);
    void onPublication(const std::string &name, const std::string &payload);
    void touchChannel(const QString &ch);
    void refreshFollowed();

    // Work gathered over one loop turn and issued as one script call right before the
    // commands leave for Redis (the Redis flush handler): per channel its publications
    // (XADDs + one PUBLISH carrying them all), per session its deliveries (owed entries,
    // outSeq, positions). Keyed by hash tag; a command of the same tag issued meanwhile
    // sends the batch first, so a channel's or a session's commands keep the call order.
    // A run of consecutive publications of a batch that all go into the stream (one entry),
    // or all not: the CBOR items of its array, without the array's head.
    struct Run {
        bool stream = false;
        size_t count = 0;
        std::string items;
    };
    struct ChannelBatch {
        std::string key;                    // tether:{c:CH}
        std::vector<Run> runs;
        std::vector<Done> dones;
        bool history = false;               // some publication goes into the stream
    };
    struct SessionBatch {
        std::string key;                    // tether:{s:SID}
        std::string tag;
        QString sid;
        bool flushRequested = false;        // false: the shard is down, issued at once
        std::optional<std::uint64_t> inRx;  // the highest inRx of the turn (one HSET for all)
        std::vector<std::string> writes;    // fenced(): per command its word count, name, key index, args
        std::vector<Done> inRxDones;        // and those of `writes`
        std::string ttl;
        std::string outSeq;
        std::vector<std::string> owed;      // per delivery: seq, owed entry
        std::map<std::string, std::string> positions;   // channel -> "ID EPOCH", the last one
        std::vector<Done> dones;
    };
    SessionBatch &sessionBatch(const Session &s);
    // The key and hash tag of the name used last: a loop turn mostly names the same channel
    // or session many times in a row (per publication), so they are not made each time.
    class LastKey {
    public:
        const std::pair<std::string, std::string> &of(const QString &name, std::string (*keyOf)(const QString &));

    private:
        bool m_valid = false;
        QString m_name;
        std::pair<std::string, std::string> m_value;   // key, hash tag
    };
    LastKey m_channelNames, m_sessionNames;
    void flushBatches();
    void flushTag(const std::string &tag);
    void issue(ChannelBatch batch);
    void issue(SessionBatch batch);

    const Options &m_options;
    Redis &m_redis;
    TimerQueue &m_timers;
    QString m_node;
    std::string m_nodeChannel;
    const Redis::Script &m_announceScript;
    const Redis::Script &m_deliverScript;
    const Redis::Script &m_claimScript;
    const Redis::Script &m_sessionWriteScript;
    const Redis::Script &m_presenceScript;
    size_t m_inFlight = 0;
    std::unordered_map<std::string, ChannelBatch> m_channelBatches;
    std::unordered_map<std::string, SessionBatch> m_sessionBatches;
    std::set<QString> m_followed;   // channels with subscribers on this node
    std::function<void(const QString &)> m_onTakeover;
    std::function<void(const QString &)> m_onGone;
    RemoteHandler m_onRemote;
    std::function<void(const QString &)> m_onGap;
    std::uint64_t m_nextBarrier = 1;
    std::map<std::uint64_t, std::pair<size_t, std::function<void()>>> m_barriers;   // token -> shard, then
    void releaseBarriers(std::optional<size_t> shard);
};

} // namespace TetherServer
