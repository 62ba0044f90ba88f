// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Redis connections of a node in Redis mode, driven by the lws event loop.
//
// Theory of operation:
// - One shard per --redis URL. Each shard has two hiredis *async* contexts: `cmd` for
//   commands, `sub` for pub/sub (a subscribed connection accepts nothing else).
// - A context's socket is handed to lws as a foreign file descriptor (a dup() of it,
//   adopted as LWS_ADOPT_RAW_FILE_DESC on a listen-less vhost of our own): lws polls it
//   with every other socket, in the same poll(). Readable → redisAsyncHandleRead (which runs
//   the reply callbacks); hiredis asking to write → lws_callback_on_writable, and the
//   writable callback → redisAsyncHandleWrite. So the loop never blocks on Redis.
// - Batching is a consequence: every command issued while lws runs the callbacks of one
//   poll() turn is only appended to hiredis' output buffer; the writable callback comes in
//   the next turn and sends them all with one write(). Replies arrive in order, each one
//   runs its callback.
// - A shard is "up" once its `cmd` context has connected and SELECTed its database.
//   Losing it (EOF, error, or a reply overdue by kReplyTimeoutMs) fails every pending
//   callback with nullptr, marks the shard down (logged once), and reconnects every
//   kReconnectMs until it succeeds (logged once more).
// - Keys carry a Redis Cluster hash tag `{...}`; shardFor(tag) hashes the tag's content
//   (CRC16 like Redis Cluster, then modulo the shard count), so with several --redis
//   instances a session's keys, or a channel's, all live on one shard.
// - Lua scripts are registered once (addScript) and called by their SHA1 (EVALSHA): the
//   text is sent to Redis only by SCRIPT LOAD, pipelined behind the SELECT of every new
//   `cmd` connection. A NOSCRIPT reply (SCRIPT FLUSH, or a Redis that lost its script cache
//   without our connection noticing) loads the script again and repeats the call once, so
//   nothing is lost; the repeated call runs after the commands pipelined behind the first.
// - A flush handler runs right before a `cmd` connection writes its buffer: callers that
//   gather work over a loop turn (one script call per channel or per session) issue it
//   there, and requestFlush() asks for that writable callback.
#pragma once

#include "options.h"
#include "timer_queue.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct lws;
struct lws_context;
struct lws_vhost;
struct redisAsyncContext;
struct redisReply;

namespace TetherServer {

struct Counters;

class Redis {
public:
    // A Lua script, called by SHA1 (EVALSHA); made by addScript, valid as long as the Redis.
    class Script {
    public:
        const std::string &source() const { return m_source; }
        const std::string &sha1() const { return m_sha1; }

    private:
        friend class Redis;
        explicit Script(std::string source);
        std::string m_source;
        std::string m_sha1;
    };

    // The reply, or nullptr when the command failed for lack of a connection.
    using Callback = std::function<void(redisReply *reply)>;
    // A pub/sub message: channel, payload.
    using MessageHandler = std::function<void(size_t shard, const std::string &channel, const std::string &payload)>;
    // A shard went down (false) or came back (true).
    using StateHandler = std::function<void(size_t shard, bool up)>;
    // A channel's subscription is confirmed again after an interruption (the subscriber
    // connection was lost, or it was subscribed while that connection was down): what was
    // published on it meanwhile never reached us.
    using ResubscribedHandler = std::function<void(size_t shard, const std::string &channel)>;

    static constexpr std::int64_t kReconnectMs = 500;
    static constexpr std::int64_t kReplyTimeoutMs = 3000;

    Redis(std::vector<Options::RedisEndpoint> endpoints, TimerQueue &timers);
    ~Redis();

    // Creates the listen-less vhost and starts connecting every shard.
    bool start(lws_context *context);
    void stop();

    void setMessageHandler(MessageHandler handler) { m_onMessage = std::move(handler); }
    void setStateHandler(StateHandler handler) { m_onState = std::move(handler); }
    void setResubscribedHandler(ResubscribedHandler handler) { m_onResubscribed = std::move(handler); }
    // Runs before any `cmd` connection writes its pipelined commands (see above).
    void setFlushHandler(std::function<void()> handler) { m_onFlush = std::move(handler); }
    // The metrics counters (`redis*`) updated as replies arrive; none by default.
    void setCounters(Counters *counters) { m_counters = counters; }

    size_t shardCount() const { return m_shards.size(); }
    size_t shardFor(std::string_view tag) const;
    bool up(size_t shard) const;
    bool allUp() const;

    // Queues one command (sent with the rest of this loop turn's commands). With the shard
    // down, `callback` runs at once with nullptr (and false is returned).
    bool command(size_t shard, std::vector<std::string> args, Callback callback = {});
    // Registers a script (loaded on every shard's connection from now on).
    const Script &addScript(std::string source);
    // EVALSHA of `script` with `keys` and `args`; NOSCRIPT is handled here (reload, one
    // retry), so `callback` sees the script's reply, or nullptr / an error like command().
    // `retry` false: the script is reloaded but the call is not repeated, `callback` gets
    // the NOSCRIPT error (for a call whose place in the pipeline matters).
    bool evalScript(size_t shard, const Script &script, std::vector<std::string> keys, std::vector<std::string> args,
                    Callback callback = {}, bool retry = true);
    // Asks for the flush handler to run before the next write on `shard` (false: the shard
    // is down; the caller then issues its work at once, where it fails).
    bool requestFlush(size_t shard);
    // Pub/sub on the shard's subscriber connection; remembered across reconnections.
    void subscribe(size_t shard, const std::string &channel);
    void unsubscribe(size_t shard, const std::string &channel);
    // Runs `then` once Redis confirmed the subscription (so a message published from now on
    // reaches us), or at once when it cannot be confirmed (link down, not subscribed).
    void whenSubscribed(size_t shard, const std::string &channel, std::function<void()> then);
    // True while Redis confirmed the subscription on the current connection.
    bool subscribed(size_t shard, const std::string &channel) const;

    // Replies received, and the summed time they waited (for metrics).
    std::uint64_t repliesReceived() const { return m_replies; }
    std::uint64_t replyWaitMicros() const { return m_replyWaitMicros; }
    std::uint64_t errors() const { return m_errors; }
    std::uint64_t scriptReloads() const { return m_scriptReloads; }

    // lws glue (called from the raw-file protocol callback).
    int handleLws(lws *wsi, int reason);

private:
    struct Shard;
    struct Link;
    struct Pending;

    void connect(Shard &shard, bool subscriber);
    void scheduleReconnect(Shard &shard, bool subscriber);
    void linkGone(Link &link);
    void setUp(Shard &shard, bool up);
    static void releaseWaiters(std::vector<std::function<void()>> waiters);
    void reportDown(Shard &shard);
    void watchdog();
    static void onReply(redisAsyncContext *ac, void *reply, void *privdata);
    static void onSubReply(redisAsyncContext *ac, void *reply, void *privdata);
    static void evAddWrite(void *privdata);
    static void evCleanup(void *privdata);
    static void evNoop(void *) {}
    void loadScripts(Link &link);
    bool commandArgv(size_t shard, int argc, const char **argv, const size_t *lens, Callback callback);
    void countReply(std::int64_t sentUs, bool error);
    void countError();

    TimerQueue &m_timers;
    std::vector<std::unique_ptr<Shard>> m_shards;
    lws_context *m_context = nullptr;
    lws_vhost *m_vhost = nullptr;
    MessageHandler m_onMessage;
    StateHandler m_onState;
    ResubscribedHandler m_onResubscribed;
    std::function<void()> m_onFlush;
    Counters *m_counters = nullptr;
    std::deque<Script> m_scripts;   // stable addresses
    bool m_stopping = false;
    bool m_flushing = false;
    std::uint64_t m_replies = 0;
    std::uint64_t m_replyWaitMicros = 0;
    std::uint64_t m_errors = 0;
    std::uint64_t m_scriptReloads = 0;
};

// Reads a reply defensively: values written by someone else must never crash the node.
bool replyIsError(const redisReply *reply);
bool replyIsNoScript(const redisReply *reply);
bool replyString(const redisReply *reply, std::string &out);
bool replyInteger(const redisReply *reply, long long &out);

} // namespace TetherServer
