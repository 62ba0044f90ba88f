// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The Tether protocol, server side: sessions, reliable streams, requests, channels.
//
// Theory of operation: the lws glue (server.cpp) turns socket events into calls of
// addConnection / onFrame / onClosed and calls Connection::onWritable; the Hub never
// touches a socket. Everything it sends goes through Connection::queueFrame, which
// batches (see connection.h). Time comes from steadyNowMs(); deferred work (ack delay,
// hello timeout, `sleep`, session expiry) is an entry in the TimerQueue that refers to
// connections and sessions by id, so a timer outliving its object is a no-op.
//
// Rules enforced here (docs/protocol.md, and README.md for this server's choices):
// - hello first, within --hello-timeout; one hello per connection;
// - inbound seq: rx+1 delivered, <= rx dropped but acked, > rx+1 is a violation;
// - acks cumulative, after --ack-delay or at once at 64 owed; a nack precedes the ack
//   covering it; the last 1024 seqs' nacks are repeated on resume for seq in (ak, rx];
// - every reliable server msg has seq and id; unacked ones are retransmitted on resume;
// - res only on the connection that carried the req;
// - a publication reaches every other subscriber, never its sender.
#pragma once

#include "channels.h"
#include "connection.h"
#include "hello_auth.h"
#include "ledger.h"
#include "metrics.h"
#include "options.h"
#include "session.h"
#include "state.h"
#include "timer_queue.h"

#include <protocol/codec.h>
#include <protocol/frames.h>

#include <QtCore/QByteArray>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct lws_context;

namespace TetherServer {

class Redis;
class RedisState;

class Hub {
public:
    Hub(const Options &options, TimerQueue &timers);
    ~Hub();

    Connection &addConnection(lws *wsi, Connection::Mode mode, const Tether::Protocol::Codec *codec,
                              std::string ip);
    // One complete WebSocket message from the peer.
    void onMessage(Connection &connection, const char *data, size_t size, bool binary);
    // The peer's message is larger than --max-frame.
    void onOversize(Connection &connection);
    // The peer finished sending one WebSocket frame (any size, a fragment counts): charged
    // to its --max-frame-rate budget. False when that closed the connection.
    bool admitFrame(Connection &connection, std::int64_t nowMs);
    // lws is done with the connection; it is deleted here.
    void onClosed(Connection &connection);

    // Redis mode: connects to Redis through the lws loop of `context` (redis.h).
    bool attachLoop(lws_context *context);
    // Closes every connection with 1001 (server going away).
    void shutdown();
    size_t connectionCount() const { return m_connections.size(); }
    // State writes not yet confirmed (the shutdown waits for them).
    size_t stateInFlight() const { return m_state->inFlight(); }
    // False while new sessions are refused (Redis mode, Redis unreachable).
    bool storeAvailable() const;
    // Last step of the shutdown: the Redis connections are closed.
    void stopStore();
    // SIGHUP: rereads the JWT key files; connections whose token no key verifies any more
    // are closed with 4001 (their clients fetch a new token and resume).
    void reloadJwtKeys();

    void countIn(size_t bytes)
    {
        ++m_metrics.counters.msgsIn;
        m_metrics.counters.bytesIn += bytes;
    }
    void countOut(size_t bytes)
    {
        ++m_metrics.counters.msgsOut;
        m_metrics.counters.bytesOut += bytes;
    }

private:
    // One decoded frame of a message (v1: the message; v1.1: each frame of the batch).
    void onFrame(Connection &c, Tether::Protocol::Frame &frame);
    using Frame = Tether::Protocol::Frame;

    // --- sending
    void send(Connection &c, const Frame &frame);

    // Arms the connection's token deadline (an accepted JWT): 4001 at `goodUntil`.
    void watchToken(Connection &c, const QString &token, std::int64_t goodUntilUnixSeconds);
    void sendMessage(Connection &c, std::optional<std::uint64_t> seq, const Publication &body);
    void fail(Connection &c, const char *code, const QString &message, int closeCode,
              std::optional<std::uint64_t> retryAfterMs = std::nullopt);

    // --- session (hub.cpp)
    void onHello(Connection &c, const Tether::Protocol::Hello &hello);
    void completeHello(Connection &c, Session &s, bool resumed, const Tether::Protocol::Hello &hello,
                       const QString &previousNode);
    void createSessionFor(Connection &c, const QString &user, const Tether::Protocol::Hello &hello);
    // The connection whose hello waits for the store (m_loading), if it is still there.
    Connection *stillLoading(std::uint64_t id);
    // Redis mode: loads (claims) the session of hello.sid and resumes it, or makes a new one.
    void loadAndResume(Connection &c, const Tether::Protocol::Hello &hello, const QString &user);
    // Frames that arrived while the connection's session was being loaded: run them now.
    void replayDeferred(std::uint64_t connectionId);
    // Another node took the session over: let go of our copy (Redis mode).
    void releaseSession(const QString &sid);
    // A write of the session failed (Redis unreachable): forget this node's copy.
    void evictSession(const QString &sid);
    void dropLocalCopy(const QString &sid, const char *code, const QString &message, int closeCode,
                       std::optional<std::uint64_t> retryAfterMs);
    void sendDurable(Session &s);
    // Acknowledges the client's message once the store says it is durable.
    void acceptInbound(Connection &c, Session &s);
    // Redis mode, sharded: the publication of client seq `seq` landed (or failed) on its
    // channel's shard; writes the inRx it held back (Session::publicationsLanding).
    void publicationLanded(const QString &sid, std::uint64_t seq, bool durable);
    void writeHeldInRx(Session &s);
    // The session's copy goes: acks still held for it are never sent.
    void discardHeldAcks(Session &s);
    void scheduleRefreshTick();
    void onMsg(Connection &c, Session &s, const Tether::Protocol::Msg &msg);
    void onAck(Connection &c, Session &s, const Tether::Protocol::Ack &ack);
    // `receivedMs`: when the message arrived (the ack delay counts from there), -1 = now.
    void oweAck(Connection &c, std::int64_t receivedMs = -1);
    void sendAckNow(Connection &c);
    void detach(Session &s, std::int64_t nowMs);
    // fromStore: erase it from the state store too (not on expiry: the store expires it).
    void forget(Session &s, bool fromStore = true);
    // Gives `body` the session's next seq and sends it if attached. May mark the session
    // overflowed; call dropOverflowed() once the current fan-out is over.
    // `pos`: Redis mode, the stream entry it is (written with the owed entry).
    void deliverReliable(Session &s, const PublicationPtr &body, const StreamPos *pos = nullptr);
    void dropOverflowed();
    QString nextServerId();

    // --- channels (hub_channels.cpp)
    void onSub(Connection &c, Session &s, const Tether::Protocol::Sub &sub);
    void onUnsub(Connection &c, Session &s, const Tether::Protocol::Unsub &unsub);
    void publish(Session *publisher, const Tether::Protocol::Msg &msg, bool reliable);
    void publishPresence(Channel &channel, Session &subject, bool joined);
    // Redis mode: a publication another node broadcast on a channel followed here.
    void onRemotePublication(const QString &ch, const QString &fromPeer, const PublicationPtr &body, bool reliable,
                             const std::optional<StreamPos> &pos);
    // Records in memory that `pos` is delivered to `s`; false if it (or a later entry)
    // already was. The store learns it with the delivery (deliverReliable's `pos`).
    bool advancePosition(Session &s, const QString &ch, const StreamPos &pos);
    // After a session was loaded: the publications of its channels' streams it missed
    // while nobody held it. `resume(lost)` runs when all are read.
    using Missed = std::vector<std::pair<QString, std::vector<std::pair<StreamPos, HistoryEntry>>>>;
    void recoverFromStreams(Session &s, std::function<void(bool lost, bool failed, Missed missed)> resume);
    // How many messages the session would owe once what recoverFromStreams found and the
    // live backlog are delivered (a resume past --session-buffer is refused, not overflowed).
    size_t owedOnResume(const Session &s, const Missed &missed) const;
    // Delivers what recoverFromStreams found, then the live backlog; ends the recovery.
    void deliverRecovered(Session &s, Missed &missed);
    // Redis mode: the fan-out of `ch` to this node was interrupted (pub/sub reconnected, or
    // followed while it was down): every local subscriber (or only `onlySid`) gets what
    // the stream holds after its position, each entry once; when the stream lost it, the
    // session ends with history_lost (the client's next hello gets resumed=false).
    void catchUp(const QString &ch, const QString &onlySid = {});
    // The held entries, in stream order per channel, each once (the position decides).
    void drainBacklog(Session &s);
    void loseHistory(Session &s, const QString &ch);
    void leaveAllChannels(Session &s);
    void publishMetrics();

    // --- requests (methods.cpp)
    void onReq(Connection &c, Session &s, const Tether::Protocol::Req &req);
    void reply(Connection &c, std::uint64_t id, QCborValue result);
    void replyError(Connection &c, std::uint64_t id, const QString &code, const QString &message,
                    std::optional<QCborValue> data = std::nullopt);
    QCborMap statsValue(std::int64_t nowMs) const;
    // Redis mode: answers `history`/`presence` from the store (false: answer from memory).
    // `presenceOf`: wrap the entries as the presence result of that channel.
    bool answerFromStore(Connection &c, std::uint64_t requestId, const std::function<bool(StateStore::Entries)> &read,
                         const QCborValue *presenceOf);

    // --- periodic work
    void scheduleMetricsTick();
    void schedulePingTick();
    void pingTick();

    Connection *connectionById(std::uint64_t id);

    const Options &m_options;
    TimerQueue &m_timers;
    std::unique_ptr<Redis> m_redis;          // Redis mode only
    std::unique_ptr<StateStore> m_state;     // MemoryState or RedisState
    RedisState *m_redisState = nullptr;
    bool m_immediate = true;                 // m_state->immediate(), read on every message
    QString m_idPrefix;                      // Redis mode: makes server ids unique in the cluster
    // Connections whose hello waits for a session load, and the frames they sent meanwhile.
    std::unordered_map<std::uint64_t, std::vector<std::pair<std::string, bool>>> m_loading;
    SessionStore m_sessions;
    ChannelRegistry m_channels;
    Metrics m_metrics;
    HelloAuth m_auth;
    Ledger m_ledger;
    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> m_connections;
    std::unordered_map<std::string, size_t> m_connectionsPerIp;
    std::uint64_t m_nextConnectionId = 1;
    std::uint64_t m_nextServerId = 1;
    std::vector<Session *> m_overflowed;
    // Redis mode: sends the ack owed for one client message when the last write it caused
    // is confirmed (its last holder is released).
    struct AckLatch {
        AckLatch(Hub *h, std::uint64_t id, std::int64_t received) : hub(h), connectionId(id), receivedMs(received) {}
        ~AckLatch();
        Hub *hub;
        std::uint64_t connectionId;
        std::int64_t receivedMs;
        QString sid;            // the session, and its inRx once this message's writes land
        std::uint64_t rx = 0;
        bool durable = true;
    };
    // What acks and welcome.rx may say: inRx in memory mode, its durable part in Redis mode.
    std::uint64_t ackableRx(const Session &s) const { return m_immediate ? s.inRx : s.durableRx; }
    std::shared_ptr<AckLatch> m_ackLatch;   // set while onMsg publishes
    std::vector<QString> m_evictions;       // sessions whose write failed, dropped from a timer

    QString m_runId;                        // Redis mode: random, part of peers and server ids
    QByteArray m_scratch;   // the frame being encoded (freshScratch())
    static constexpr qsizetype kScratchKeep = 64 * 1024;
    QByteArray &freshScratch();
    bool m_shuttingDown = false;
};

} // namespace TetherServer
