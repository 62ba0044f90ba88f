// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "redis.h"

#include "clock.h"
#include "log.h"
#include "metrics.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <libwebsockets.h>

#include <QtCore/QCryptographicHash>

#include <cerrno>
#include <cstring>

#include <map>
#include <set>
#include <utility>

#include <unistd.h>

namespace TetherServer {

namespace {

Redis *g_redis = nullptr;

int redisLwsCallback(lws *wsi, lws_callback_reasons reason, void *user, void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        return g_redis ? g_redis->handleLws(wsi, int(reason)) : -1;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const lws_protocols kRedisProtocols[] = {
    {"tether-redis", redisLwsCallback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

// CRC16-CCITT (XMODEM), the hash Redis Cluster applies to a key's hash tag.
std::uint16_t crc16(std::string_view data)
{
    std::uint16_t crc = 0;
    for (const char ch : data) {
        crc ^= std::uint16_t(static_cast<unsigned char>(ch)) << 8;
        for (int i = 0; i < 8; ++i)
            crc = (crc & 0x8000) ? std::uint16_t((crc << 1) ^ 0x1021) : std::uint16_t(crc << 1);
    }
    return crc;
}

bool isNoScript(const redisReply *reply)
{
    static const std::string prefix = "NOSCRIPT";
    return reply && reply->type == REDIS_REPLY_ERROR && size_t(reply->len) >= prefix.size()
           && std::equal(prefix.begin(), prefix.end(), reply->str);
}

std::int64_t nowMicros()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

} // namespace

struct Redis::Link {
    Redis *owner = nullptr;
    Shard *shard = nullptr;
    bool subscriber = false;
    redisAsyncContext *ac = nullptr;
    lws *wsi = nullptr;
    bool ready = false;
    std::deque<std::int64_t> sentAtMs;   // one per command awaiting its reply, oldest first
    TimerId retry = 0;
};

struct Redis::Shard {
    size_t index = 0;
    Options::RedisEndpoint endpoint;
    Link cmd;
    Link sub;
    bool up = false;
    bool reportedDown = false;   // the outage was logged (once)
    struct Subscription {
        bool confirmed = false;
        bool interrupted = false;   // messages may have been missed: tell once confirmed
        std::vector<std::function<void()>> waiters;
    };
    std::map<std::string, Subscription> channels;
    // Channels whose UNSUBSCRIBE is not answered yet. hiredis 0.14 forgets a channel's
    // callback when the "unsubscribe" answer arrives, even if a SUBSCRIBE was sent since:
    // that channel's messages would then be dropped silently while Redis sends them. So a
    // channel followed again meanwhile is subscribed only once that answer is in (and is
    // not confirmed by the answer to a SUBSCRIBE sent before the UNSUBSCRIBE).
    std::set<std::string> unsubscribing;
};

struct Redis::Pending {
    Link *link;
    Callback callback;
    std::int64_t sentUs;
};

Redis::Script::Script(std::string source) : m_source(std::move(source))
{
    const QByteArray digest = QCryptographicHash::hash(QByteArray::fromRawData(m_source.data(), qsizetype(m_source.size())),
                                                       QCryptographicHash::Sha1)
                                  .toHex();
    m_sha1.assign(digest.constData(), size_t(digest.size()));
}

Redis::Redis(std::vector<Options::RedisEndpoint> endpoints, TimerQueue &timers) : m_timers(timers)
{
    for (size_t i = 0; i < endpoints.size(); ++i) {
        auto shard = std::make_unique<Shard>();
        shard->index = i;
        shard->endpoint = endpoints[i];
        for (Link *link : {&shard->cmd, &shard->sub}) {
            link->owner = this;
            link->shard = shard.get();
        }
        shard->sub.subscriber = true;
        m_shards.push_back(std::move(shard));
    }
}

Redis::~Redis() { stop(); }

bool Redis::start(lws_context *context)
{
    g_redis = this;
    m_context = context;
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kRedisProtocols;
    info.vhost_name = "tether-redis";
    m_vhost = lws_create_vhost(context, &info);
    if (!m_vhost) {
        TS_ERROR("redis: cannot create the lws vhost for the Redis connections");
        return false;
    }
    for (auto &shard : m_shards) {
        connect(*shard, false);
        connect(*shard, true);
    }
    m_timers.schedule(steadyNowMs() + 500, [this] { watchdog(); });
    return true;
}

void Redis::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    for (auto &shard : m_shards) {
        for (Link *link : {&shard->cmd, &shard->sub}) {
            m_timers.cancel(link->retry);
            if (link->ac)
                redisAsyncFree(link->ac);   // pending callbacks run with nullptr
        }
    }
    m_counters = nullptr;   // the owner's metrics may go before this object
    if (g_redis == this)
        g_redis = nullptr;
}

size_t Redis::shardFor(std::string_view tag) const
{
    return m_shards.size() <= 1 ? 0 : crc16(tag) % m_shards.size();
}

bool Redis::up(size_t shard) const { return m_shards[shard]->up; }

bool Redis::allUp() const
{
    for (const auto &shard : m_shards) {
        if (!shard->up)
            return false;
    }
    return true;
}

void Redis::connect(Shard &shard, bool subscriber)
{
    Link &link = subscriber ? shard.sub : shard.cmd;
    link.retry = 0;
    if (m_stopping || link.ac)
        return;
    redisAsyncContext *ac = redisAsyncConnect(shard.endpoint.host.c_str(), shard.endpoint.port);
    if (!ac || ac->err) {
        TS_DEBUG("redis %s:%d: connect: %s", shard.endpoint.host.c_str(), shard.endpoint.port,
                 ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        if (!shard.up)
            reportDown(shard);
        else
            setUp(shard, false);
        scheduleReconnect(shard, subscriber);
        return;
    }
    link.ac = ac;
    ac->data = &link;
    ac->ev.data = &link;
    ac->ev.addRead = evNoop;     // lws always polls an adopted file for input
    ac->ev.delRead = evNoop;
    ac->ev.addWrite = evAddWrite;
    ac->ev.delWrite = evNoop;    // lws writable requests are one-shot
    ac->ev.cleanup = evCleanup;
    redisAsyncSetConnectCallback(ac, [](const redisAsyncContext *c, int status) {
        auto *l = static_cast<Link *>(c->data);
        if (status != REDIS_OK || !l->subscriber)
            return;
        // A fresh subscriber connection: subscribe again to everything the node follows.
        l->ready = true;
        for (const auto &[channel, subscription] : l->shard->channels) {
            const char *argv[2] = {"SUBSCRIBE", channel.c_str()};
            const size_t lens[2] = {9, channel.size()};
            redisAsyncCommandArgv(l->ac, onSubReply, l, 2, argv, lens);
        }
        l->owner->setUp(*l->shard, l->shard->cmd.ready);
    });

    // lws gets its own descriptor of the socket: it closes that one, hiredis closes its own.
    lws_sock_file_fd_type fd;
    fd.filefd = dup(ac->c.fd);
    lws *wsi = fd.filefd >= 0 ? lws_adopt_descriptor_vhost(m_vhost, LWS_ADOPT_RAW_FILE_DESC, fd, "tether-redis", nullptr)
                              : nullptr;
    if (!wsi) {
        if (fd.filefd >= 0)
            ::close(fd.filefd);
        TS_ERROR("redis: lws cannot adopt the Redis socket");
        redisAsyncFree(ac);   // evCleanup schedules the next attempt
        return;
    }
    link.wsi = wsi;
    lws_set_opaque_user_data(wsi, &link);
    lws_callback_on_writable(wsi);   // completes the non-blocking connect

    if (!subscriber) {
        // The link is ready once Redis answers (a restarted Redis answers LOADING until its
        // AOF is read: ask again until it answers OK).
        auto *pending = new Pending{&link, nullptr, nowMicros()};
        pending->callback = [this, &link, &shard](redisReply *reply) {
            if (!reply)
                return;
            if (reply->type == REDIS_REPLY_ERROR) {
                TS_DEBUG("redis %s:%d not ready: %.*s", shard.endpoint.host.c_str(), shard.endpoint.port,
                         int(reply->len), reply->str);
                // Not from inside hiredis: drop the link from the next timer run; the
                // reconnection asks again.
                m_timers.schedule(steadyNowMs(), [&link] {
                    if (link.ac)
                        redisAsyncFree(link.ac);
                });
                return;
            }
            link.ready = true;
            setUp(shard, shard.sub.ready);
        };
        const std::string db = std::to_string(shard.endpoint.db);
        const char *argv[2] = {"SELECT", db.c_str()};
        const size_t lens[2] = {6, db.size()};
        if (redisAsyncCommandArgv(ac, onReply, pending, 2, argv, lens) != REDIS_OK)
            delete pending;
        else
            link.sentAtMs.push_back(steadyNowMs());
        loadScripts(link);
    }
}

void Redis::loadScripts(Link &link)
{
    // Pipelined behind the SELECT: every EVALSHA sent on this connection comes after them.
    for (const Script &script : m_scripts) {
        auto *pending = new Pending{&link, nullptr, nowMicros()};
        const char *argv[3] = {"SCRIPT", "LOAD", script.source().c_str()};
        const size_t lens[3] = {6, 4, script.source().size()};
        if (redisAsyncCommandArgv(link.ac, onReply, pending, 3, argv, lens) != REDIS_OK)
            delete pending;
        else
            link.sentAtMs.push_back(steadyNowMs());
    }
}

const Redis::Script &Redis::addScript(std::string source)
{
    m_scripts.push_back(Script(std::move(source)));
    const Script &script = m_scripts.back();
    for (auto &shard : m_shards) {
        if (shard->cmd.ac && shard->cmd.ready)
            command(shard->index, {"SCRIPT", "LOAD", script.source()});
    }
    return script;
}

bool Redis::evalScript(size_t shard, const Script &script, std::vector<std::string> keys, std::vector<std::string> args,
                       Callback callback, bool retry)
{
    // Kept (moved, not copied) for a retry after NOSCRIPT: the script cache was flushed.
    struct Call {
        std::vector<std::string> keys, args;
        std::string numKeys;
    };
    auto call = std::make_shared<Call>(Call{std::move(keys), std::move(args), {}});
    call->numKeys = std::to_string(call->keys.size());
    const auto issue = [this, shard, &script, call](Callback then) {
        std::vector<const char *> argv;
        std::vector<size_t> lens;
        argv.reserve(3 + call->keys.size() + call->args.size());
        lens.reserve(argv.capacity());
        const auto add = [&](const std::string &arg) {
            argv.push_back(arg.data());
            lens.push_back(arg.size());
        };
        argv.push_back("EVALSHA");
        lens.push_back(7);
        add(script.sha1());
        add(call->numKeys);
        for (const std::string &key : call->keys)
            add(key);
        for (const std::string &arg : call->args)
            add(arg);
        return commandArgv(shard, int(argv.size()), argv.data(), lens.data(), std::move(then));
    };
    if (!m_shards[shard]->cmd.ready)
        return issue(std::move(callback));
    return issue([this, shard, &script, issue, retry, callback = std::move(callback)](redisReply *reply) mutable {
        if (!isNoScript(reply)) {
            if (callback)
                callback(reply);
            return;
        }
        ++m_scriptReloads;
        if (m_counters)
            m_counters->redisScriptReloads = m_scriptReloads;
        TS_WARN("redis %s:%d: script %.12s not loaded (SCRIPT FLUSH or a restart), loading it again",
                m_shards[shard]->endpoint.host.c_str(), m_shards[shard]->endpoint.port, script.sha1().c_str());
        command(shard, {"SCRIPT", "LOAD", script.source()});
        if (!retry) {
            if (callback)
                callback(reply);
            return;
        }
        issue(std::move(callback));   // NOSCRIPT again: an error like any other
    });
}

bool Redis::requestFlush(size_t shardIndex)
{
    Link &link = m_shards[shardIndex]->cmd;
    if (!link.ac || !link.ready || !link.wsi)
        return false;
    lws_callback_on_writable(link.wsi);
    return true;
}

void Redis::scheduleReconnect(Shard &shard, bool subscriber)
{
    if (m_stopping)
        return;
    Link &link = subscriber ? shard.sub : shard.cmd;
    if (link.retry)
        return;
    link.retry = m_timers.schedule(steadyNowMs() + kReconnectMs, [this, &shard, subscriber] { connect(shard, subscriber); });
}

void Redis::reportDown(Shard &shard)
{
    if (shard.reportedDown)
        return;
    shard.reportedDown = true;
    TS_ERROR("redis %s:%d (shard %zu) unreachable: new sessions are refused until it is back",
             shard.endpoint.host.c_str(), shard.endpoint.port, shard.index);
}

void Redis::setUp(Shard &shard, bool up)
{
    if (shard.up == up)
        return;
    shard.up = up;
    if (!up) {
        reportDown(shard);
    } else if (shard.reportedDown) {
        shard.reportedDown = false;
        TS_WARN("redis %s:%d (shard %zu) reachable again", shard.endpoint.host.c_str(), shard.endpoint.port,
                shard.index);
    } else {
        TS_INFO("redis %s:%d (shard %zu) connected", shard.endpoint.host.c_str(), shard.endpoint.port, shard.index);
    }
    if (m_onState)
        m_onState(shard.index, up);
}

void Redis::releaseWaiters(std::vector<std::function<void()>> waiters)
{
    for (auto &waiter : waiters)
        waiter();
}

void Redis::linkGone(Link &link)
{
    link.ready = false;
    link.sentAtMs.clear();
    if (link.subscriber) {
        // Nobody waits for a confirmation that cannot come; subscriptions are made again
        // (and confirmed again) on the next connection.
        link.shard->unsubscribing.clear();
        std::vector<std::function<void()>> waiters;
        for (auto &[channel, subscription] : link.shard->channels) {
            subscription.confirmed = false;
            subscription.interrupted = true;
            for (auto &waiter : subscription.waiters)
                waiters.push_back(std::move(waiter));
            subscription.waiters.clear();
        }
        releaseWaiters(std::move(waiters));
    }
    if (!m_stopping) {
        if (link.shard->up)
            setUp(*link.shard, false);
        else
            reportDown(*link.shard);   // e.g. refused before the first connection
    }
    scheduleReconnect(*link.shard, link.subscriber);
}

void Redis::watchdog()
{
    if (m_stopping)
        return;
    const std::int64_t now = steadyNowMs();
    for (auto &shard : m_shards) {
        Link &link = shard->cmd;
        if (link.ac && !link.sentAtMs.empty() && now - link.sentAtMs.front() > kReplyTimeoutMs) {
            TS_WARN("redis %s:%d: no reply for %lld ms, reconnecting", shard->endpoint.host.c_str(),
                    shard->endpoint.port, static_cast<long long>(now - link.sentAtMs.front()));
            redisAsyncFree(link.ac);
        } else if (link.ac && link.ready && link.sentAtMs.empty()) {
            command(shard->index, {"PING"});   // a silent link must still prove it is alive
        }
    }
    m_timers.schedule(now + 500, [this] { watchdog(); });
}

bool Redis::command(size_t shardIndex, std::vector<std::string> args, Callback callback)
{
    const char *argv[16];
    size_t lens[16];
    std::vector<const char *> bigArgv;
    std::vector<size_t> bigLens;
    const char **av = argv;
    size_t *al = lens;
    if (args.size() > 16) {
        bigArgv.resize(args.size());
        bigLens.resize(args.size());
        av = bigArgv.data();
        al = bigLens.data();
    }
    for (size_t i = 0; i < args.size(); ++i) {
        av[i] = args[i].data();
        al[i] = args[i].size();
    }
    return commandArgv(shardIndex, int(args.size()), av, al, std::move(callback));
}

bool Redis::commandArgv(size_t shardIndex, int argc, const char **argv, const size_t *lens, Callback callback)
{
    Link &link = m_shards[shardIndex]->cmd;
    if (!link.ac || !link.ready) {
        countError();
        if (callback)
            callback(nullptr);
        return false;
    }
    auto *pending = new Pending{&link, std::move(callback), nowMicros()};
    if (redisAsyncCommandArgv(link.ac, onReply, pending, argc, argv, lens) != REDIS_OK) {
        Callback failed = std::move(pending->callback);
        delete pending;
        countError();
        if (failed)
            failed(nullptr);
        return false;
    }
    link.sentAtMs.push_back(steadyNowMs());
    return true;
}

void Redis::subscribe(size_t shardIndex, const std::string &channel)
{
    Shard &shard = *m_shards[shardIndex];
    const auto [added, isNew] = shard.channels.emplace(channel, Shard::Subscription{});
    if (!isNew)
        return;
    Link &link = shard.sub;
    if (!link.ac || !link.ready)
        added->second.interrupted = true;   // followed from now on, heard only from the reconnection
    if (link.ac && link.ready && !shard.unsubscribing.count(channel)) {
        const char *argv[2] = {"SUBSCRIBE", channel.c_str()};
        const size_t lens[2] = {9, channel.size()};
        redisAsyncCommandArgv(link.ac, onSubReply, &link, 2, argv, lens);
    }
}

void Redis::unsubscribe(size_t shardIndex, const std::string &channel)
{
    Shard &shard = *m_shards[shardIndex];
    const auto it = shard.channels.find(channel);
    if (it == shard.channels.end())
        return;
    std::vector<std::function<void()>> waiters = std::move(it->second.waiters);
    shard.channels.erase(it);
    releaseWaiters(std::move(waiters));
    Link &link = shard.sub;
    if (link.ac && link.ready && shard.unsubscribing.insert(channel).second) {
        const char *argv[2] = {"UNSUBSCRIBE", channel.c_str()};
        const size_t lens[2] = {11, channel.size()};
        redisAsyncCommandArgv(link.ac, onSubReply, &link, 2, argv, lens);
    }
}

void Redis::whenSubscribed(size_t shardIndex, const std::string &channel, std::function<void()> then)
{
    Shard &shard = *m_shards[shardIndex];
    const auto it = shard.channels.find(channel);
    if (it == shard.channels.end() || it->second.confirmed || !shard.sub.ready) {
        then();
        return;
    }
    it->second.waiters.push_back(std::move(then));
}

bool Redis::subscribed(size_t shardIndex, const std::string &channel) const
{
    const Shard &shard = *m_shards[shardIndex];
    const auto it = shard.channels.find(channel);
    return it != shard.channels.end() && it->second.confirmed && shard.sub.ready;
}

void Redis::onReply(redisAsyncContext *, void *replyPtr, void *privdata)
{
    auto *pending = static_cast<Pending *>(privdata);
    Link &link = *pending->link;
    Redis &self = *link.owner;
    auto *reply = static_cast<redisReply *>(replyPtr);
    if (!link.sentAtMs.empty())
        link.sentAtMs.pop_front();
    if (reply) {
        // NOSCRIPT is handled (evalScript reloads and retries): counted as a reload.
        self.countReply(pending->sentUs, reply->type == REDIS_REPLY_ERROR && !isNoScript(reply));
    } else {
        self.countError();
        if (link.ready) {
            // The connection is being torn down: refuse new commands before the callbacks
            // of the pending ones run (they may issue more).
            link.ready = false;
            self.setUp(*link.shard, false);
        }
    }
    Callback callback = std::move(pending->callback);
    delete pending;
    if (callback)
        callback(reply);
}

void Redis::countReply(std::int64_t sentUs, bool error)
{
    ++m_replies;
    m_replyWaitMicros += std::uint64_t(nowMicros() - sentUs);
    if (error)
        ++m_errors;
    if (m_counters) {   // live: /metrics reads them at any time
        m_counters->redisReplies = m_replies;
        m_counters->redisReplyMicros = m_replyWaitMicros;
        m_counters->redisErrors = m_errors;
    }
}

void Redis::countError()
{
    ++m_errors;
    if (m_counters)
        m_counters->redisErrors = m_errors;
}

void Redis::onSubReply(redisAsyncContext *, void *replyPtr, void *privdata)
{
    auto *link = static_cast<Link *>(privdata);
    auto *reply = static_cast<redisReply *>(replyPtr);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
        return;
    std::string kind, channel, payload;
    if (!replyString(reply->element[0], kind))
        return;
    if (kind == "unsubscribe") {
        if (!replyString(reply->element[1], channel))
            return;
        link->shard->unsubscribing.erase(channel);
        if (link->shard->channels.count(channel) && link->ac && link->ready) {   // followed again meanwhile
            const char *argv[2] = {"SUBSCRIBE", channel.c_str()};
            const size_t lens[2] = {9, channel.size()};
            redisAsyncCommandArgv(link->ac, onSubReply, link, 2, argv, lens);
        }
        return;
    }
    if (kind == "subscribe") {
        if (!replyString(reply->element[1], channel))
            return;
        const auto it = link->shard->channels.find(channel);
        if (it == link->shard->channels.end() || link->shard->unsubscribing.count(channel))
            return;
        it->second.confirmed = true;
        const bool interrupted = std::exchange(it->second.interrupted, false);
        std::vector<std::function<void()>> waiters = std::move(it->second.waiters);
        it->second.waiters.clear();   // before running them: they may unsubscribe
        releaseWaiters(std::move(waiters));
        if (interrupted && link->owner->m_onResubscribed)
            link->owner->m_onResubscribed(link->shard->index, channel);
        return;
    }
    if (kind != "message")
        return;
    if (!replyString(reply->element[1], channel) || !replyString(reply->element[2], payload))
        return;
    if (link->owner->m_onMessage)
        link->owner->m_onMessage(link->shard->index, channel, payload);
}

void Redis::evAddWrite(void *privdata)
{
    auto *link = static_cast<Link *>(privdata);
    if (link->wsi)
        lws_callback_on_writable(link->wsi);
}

void Redis::evCleanup(void *privdata)
{
    auto *link = static_cast<Link *>(privdata);
    link->ac = nullptr;
    if (link->wsi) {
        lws_set_opaque_user_data(link->wsi, nullptr);
        lws_set_timeout(link->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        link->wsi = nullptr;
    }
    link->owner->linkGone(*link);
}

int Redis::handleLws(lws *wsi, int reason)
{
    auto *link = static_cast<Link *>(lws_get_opaque_user_data(wsi));
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (!link || !link->ac)
            return -1;
        redisAsyncHandleRead(link->ac);
        return 0;
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        if (!link || !link->ac)
            return -1;
        if (!link->subscriber && link->ready && m_onFlush && !m_flushing) {
            // The work gathered over this loop turn joins the commands about to leave.
            m_flushing = true;
            m_onFlush();
            m_flushing = false;
            if (!link->ac)
                return 0;
        }
        redisAsyncHandleWrite(link->ac);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (link) {
            lws_set_opaque_user_data(wsi, nullptr);
            link->wsi = nullptr;
            if (link->ac)
                redisAsyncFree(link->ac);
        }
        return 0;
    default:
        return 0;
    }
}

bool replyIsError(const redisReply *reply) { return !reply || reply->type == REDIS_REPLY_ERROR; }

bool replyIsNoScript(const redisReply *reply) { return isNoScript(reply); }

bool replyString(const redisReply *reply, std::string &out)
{
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS))
        return false;
    out.assign(reply->str, reply->len);
    return true;
}

bool replyInteger(const redisReply *reply, long long &out)
{
    if (!reply)
        return false;
    if (reply->type == REDIS_REPLY_INTEGER) {
        out = reply->integer;
        return true;
    }
    if (reply->type != REDIS_REPLY_STRING || reply->len == 0 || reply->len > 20)
        return false;
    char *end = nullptr;
    errno = 0;
    const std::string text(reply->str, reply->len);
    out = std::strtoll(text.c_str(), &end, 10);
    return errno == 0 && end && *end == '\0';
}

} // namespace TetherServer
