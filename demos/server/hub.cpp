// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Hub, part 1: connections, hello/welcome, sessions and the reliable streams.
// (Channels are in hub_channels.cpp, requests in methods.cpp.)
#include "hub.h"

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "redis.h"
#include "redis_state.h"

#include <libwebsockets.h>
#include <protocol/batch.h>
#include <protocol/compression.h>

#include <QtCore/QJsonValue>

#include <algorithm>
#include <map>

namespace TetherServer {

using namespace Tether::Protocol;

namespace {
constexpr std::uint32_t kAckAtOnce = 64;   // docs/protocol.md §4: ack at once at 64 owed
constexpr std::uint64_t kServerFullRetryMs = 1000;
// "Try again later". Not 1013: Qt 6.4's QWebSocket treats 1012-1014 as invalid close codes
// (it reports 1002 instead), so the temporary application range of docs/protocol.md §8 is used.
constexpr int kServerFullCloseCode = 4013;
// Redis mode, Redis unreachable: temporary (docs/protocol.md §8, 4000-4399), retry soon.
constexpr int kUnavailableCloseCode = 4014;
constexpr std::uint64_t kUnavailableRetryMs = 1000;
// Redis mode: publications a session was owed are gone from the stream (trimmed, new
// epoch) after this node's fan-out was interrupted: temporary, so the client comes back
// and learns it from resumed=false.
constexpr int kHistoryLostCloseCode = 4010;
// The token ran out (or its key was withdrawn): the client fetches a new one, reconnects.
constexpr int kTokenExpiredCloseCode = 4001;
// Frames a client may send between its hello and the end of its session's load.
constexpr size_t kMaxDeferredFrames = 1024;

bool isLoopback(const std::string &ip)
{
    return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("::ffff:127.", 0) == 0;
}

// --max-per-ip for this address (0: none); options.h says how the default reads.
int perAddressLimit(const Options &options, const std::string &ip)
{
    if (options.maxPerIp != Options::kMaxPerIpDefault)
        return options.maxPerIp;
    return isLoopback(ip) ? 0 : Options::kDefaultMaxPerIp;
}

QString latin1(const char *text) { return QString::fromLatin1(text); }

std::vector<AclRule> aclRules(const Options &options)
{
    std::vector<AclRule> rules;
    for (const auto &[pattern, users] : options.acl) {
        AclRule rule{pattern, {}};
        for (const std::string &user : users)
            rule.users.push_back(QString::fromStdString(user));
        rules.push_back(std::move(rule));
    }
    return rules;
}
} // namespace

Hub::Hub(const Options &options, TimerQueue &timers)
    : m_options(options),
      m_timers(timers),
      m_channels(options.readonly, aclRules(options), options.history, options.maxChannels),
      m_metrics(steadyNowMs()),
      m_auth(options)
{
    if (!options.redis.empty()) {
        m_redis = std::make_unique<Redis>(options.redis, timers);
        m_redis->setCounters(&m_metrics.counters);   // live in /metrics
        auto state = std::make_unique<RedisState>(options, *m_redis, timers);
        state->setTakeoverHandler([this](const QString &sid) { releaseSession(sid); });
        state->setGoneHandler([this](const QString &sid) { evictSession(sid); });
        state->setGapHandler([this](const QString &ch) { catchUp(ch); });
        state->setRemoteHandler([this](const QString &ch, const QString &fromPeer, PublicationPtr body, bool reliable,
                                       const std::optional<StreamPos> &pos) {
            onRemotePublication(ch, fromPeer, body, reliable, pos);
        });
        m_channels.setFollowHandler([this](const QString &ch, bool on) { m_state->follow(ch, on); });
        m_redisState = state.get();
        m_state = std::move(state);
        m_runId = QString::fromLatin1(randomHex(4));
        m_idPrefix = m_runId + QLatin1Char('-');
    } else {
        m_state = std::make_unique<MemoryState>();
    }
    m_immediate = m_state->immediate();
    scheduleMetricsTick();
    if (m_options.pingIntervalMs > 0)
        schedulePingTick();
    std::string error;
    if (!m_options.ledgerPath.empty() && !m_ledger.open(m_options.ledgerPath, error))
        TS_ERROR("%s", error.c_str());
}

Hub::~Hub() { stopStore(); }

bool Hub::attachLoop(lws_context *context)
{
    if (!m_redis)
        return true;
    if (!m_redis->start(context))
        return false;
    m_redisState->start();
    scheduleRefreshTick();
    return true;
}

bool Hub::storeAvailable() const { return m_state->available(); }

void Hub::stopStore()
{
    if (m_redis)
        m_redis->stop();
}

void Hub::scheduleRefreshTick()
{
    const std::int64_t period = std::max<std::int64_t>(1000, m_options.sessionTtlMs / 2);
    m_timers.schedule(steadyNowMs() + period, [this] {
        std::vector<const Session *> attached;
        for (auto &entry : m_connections) {
            if (const Session *s = entry.second->session)
                attached.push_back(s);
        }
        if (m_state->available())
            m_state->refreshAttached(attached);
        scheduleRefreshTick();
    });
}

Connection *Hub::connectionById(std::uint64_t id)
{
    const auto it = m_connections.find(id);
    return it == m_connections.end() ? nullptr : it->second.get();
}

Connection &Hub::addConnection(lws *wsi, Connection::Mode mode, const Codec *codec, std::string ip)
{
    const std::int64_t now = steadyNowMs();
    const std::uint64_t id = m_nextConnectionId++;
    auto owned = std::make_unique<Connection>(id, wsi, mode, codec, std::move(ip), now);
    Connection &c = *owned;
    m_connections.emplace(id, std::move(owned));

    const size_t sameIp = ++m_connectionsPerIp[c.ip()];
    const int perIpLimit = perAddressLimit(m_options, c.ip());
    const bool full = m_connections.size() > size_t(m_options.maxConnections)
                      || (perIpLimit > 0 && sameIp > size_t(perIpLimit));
    if (m_options.maxFrameRate > 0)
        c.frameBudget = TokenBucket(m_options.maxFrameRate, m_options.maxFrameRate, coarseNowMs());
    if (full || m_shuttingDown) {
        if (m_shuttingDown) {
            c.beginClose(1001, "server shutting down");
        } else if (mode == Connection::Mode::Tether) {
            fail(c, "server_full", QStringLiteral("too many connections"), kServerFullCloseCode, kServerFullRetryMs);
        } else {
            c.beginClose(kServerFullCloseCode, "server_full");
        }
        return c;
    }
    if (mode == Connection::Mode::Tether) {
        c.helloTimer = m_timers.schedule(now + m_options.helloTimeoutMs, [this, id] {
            Connection *conn = connectionById(id);
            if (conn && conn->phase == Connection::Phase::AwaitHello)
                fail(*conn, "hello_timeout", QStringLiteral("no hello within %1 ms").arg(m_options.helloTimeoutMs), 4400);
        });
    }
    TS_INFO("connection %llu from %s opened (%s)", static_cast<unsigned long long>(id), c.ip().c_str(),
            mode == Connection::Mode::Tether ? codec->subprotocol().data() : "raw");
    return c;
}

void Hub::onClosed(Connection &c)
{
    const std::int64_t now = steadyNowMs();
    m_timers.cancel(c.helloTimer);
    m_timers.cancel(c.ackTimer);
    m_timers.cancel(c.tokenTimer);
    if (!m_loading.empty())
        m_loading.erase(c.id());
    if (Session *s = c.session) {
        s->connection = nullptr;
        c.session = nullptr;
        if (c.peerCloseCode == 1000)
            forget(*s);   // the app is done with it (docs/protocol.md §3)
        else
            detach(*s, now);
    }
    TS_INFO("connection %llu closed (peer code %d)", static_cast<unsigned long long>(c.id()), c.peerCloseCode);
    const auto perIp = m_connectionsPerIp.find(c.ip());
    if (perIp != m_connectionsPerIp.end() && --perIp->second == 0)
        m_connectionsPerIp.erase(perIp);
    m_connections.erase(c.id());
}

void Hub::shutdown()
{
    m_shuttingDown = true;
    for (auto &entry : m_connections)
        entry.second->beginClose(1001, "server shutting down");
}

// ---------------------------------------------------------------------------- sending

QByteArray &Hub::freshScratch()
{
    // Emptied, its storage kept (QByteArray::clear() frees it: an allocation per frame sent,
    // per delivery in fan-out), unless a large frame grew it.
    if (m_scratch.capacity() > kScratchKeep)
        m_scratch = QByteArray();
    else
        m_scratch.truncate(0);
    return m_scratch;
}

void Hub::send(Connection &c, const Frame &frame)
{
    freshScratch();
    QString error;
    bool encoded = c.codec()->encode(frame, m_scratch, &error);
    if (!encoded) {
        // A result JSON cannot carry (e.g. `history` of a channel where a CBOR client
        // published a byte string, answered to a JSON client): send its RFC 8949 §6.1
        // JSON form, as fan-out does (publication.h).
        if (const auto *res = std::get_if<Res>(&frame)) {
            Res converted = *res;
            if (auto *value = std::get_if<QCborValue>(&converted.result))
                *value = QCborValue::fromJsonValue(value->toJsonValue());
            else if (auto &data = std::get<ErrorObject>(converted.result).data)
                *data = QCborValue::fromJsonValue(data->toJsonValue());
            freshScratch();
            encoded = c.codec()->encode(converted, m_scratch, &error);
        }
    }
    if (!encoded) {
        // Nothing else should get here. Never silently skip a frame: tell the client, close.
        TS_ERROR("cannot encode %s frame: %s", frameTypeName(frame).data(), qPrintable(error));
        freshScratch();
        ErrorFrame failure{QStringLiteral("internal_error"), QStringLiteral("cannot encode a frame"), {}};
        c.codec()->encode(failure, m_scratch);
        c.queueFrame(c.dataOpcode(),
                     m_scratch.constData(), size_t(m_scratch.size()));
        c.beginClose(1011, "internal_error");
        return;
    }
    countOut(size_t(m_scratch.size()));
    c.queueFrame(c.dataOpcode(), m_scratch.constData(),
                 size_t(m_scratch.size()));
}

void Hub::sendMessage(Connection &c, std::optional<std::uint64_t> seq, const Publication &body)
{
    const Codec &codec = *c.codec();
    if (seq) {  // the publication's frame around this seq: fan-out encodes nothing per copy
        const Publication::Framed &framed = body.framed(codec);
        const QByteArrayView bytes(framed.bytes);
        const qsizetype seqAt = framed.layout.seqAt;
        char digits[Codec::kMaxMsgSeqBytes];
        const int seqBytes = codec.writeMsgSeq(*seq, digits);
        const auto size = size_t(bytes.size() + seqBytes);
        countOut(size);
        c.queueFrame(c.dataOpcode(), {bytes.first(seqAt), QByteArrayView(digits, seqBytes), bytes.sliced(seqAt)}, size);
        return;
    }
    freshScratch();
    codec.encodeMsg(MsgHeader{seq, body.id, body.ch}, body.encoded(codec), m_scratch);
    countOut(size_t(m_scratch.size()));
    c.queueFrame(c.dataOpcode(), m_scratch.constData(), size_t(m_scratch.size()));
}

void Hub::fail(Connection &c, const char *code, const QString &message, int closeCode,
               std::optional<std::uint64_t> retryAfterMs)
{
    if (c.closing())
        return;
    TS_INFO("connection %llu: %s (%s), closing with %d", static_cast<unsigned long long>(c.id()), code,
            qPrintable(message), closeCode);
    if (c.codec())
        send(c, ErrorFrame{latin1(code), message, retryAfterMs});
    c.beginClose(closeCode, code);
}

// ---------------------------------------------------------------------------- input

bool Hub::admitFrame(Connection &c, std::int64_t nowMs)
{
    const std::int64_t wait = c.frameBudget.take(nowMs);
    if (wait == 0)
        return true;
    if (c.codec())
        fail(c, "rate_limited", QStringLiteral("more than %1 frames per second").arg(m_options.maxFrameRate), 4029,
             std::uint64_t(wait));
    else
        c.beginClose(4029, "rate_limited");
    return false;
}

void Hub::onOversize(Connection &c)
{
    fail(c, "frame_too_large",
         QStringLiteral("frame larger than maxFrame (%1 bytes)").arg(m_options.maxFrame), 1009);
}

void Hub::onMessage(Connection &c, const char *data, size_t size, bool binary)
{
    countIn(size);
    if (c.closing())
        return;
    switch (c.mode()) {
    case Connection::Mode::RawSink:
        return;
    case Connection::Mode::RawEcho:
        countOut(size);
        c.queueFrame(binary ? WsOpcode::Binary : WsOpcode::Text, data, size);
        return;
    case Connection::Mode::Tether:
        break;
    }
    if (!m_loading.empty()) {
        const auto loading = m_loading.find(c.id());
        if (loading != m_loading.end()) {
            if (loading->second.size() >= kMaxDeferredFrames) {
                fail(c, "rate_limited", QStringLiteral("too many frames before welcome"), 4029, 1000);
                return;
            }
            loading->second.emplace_back(std::string(data, size), binary);
            return;
        }
    }

    const Codec &codec = *c.codec();
    // docs/protocol.md §10.5: a compressed batch is inflated by the connection's stream
    // (bounded by maxFrame, as the message itself) and then read like any other; so is a
    // batch's rest set aside below.
    Tether::Protocol::InflatedBatch inflated;
    if (c.compression() && binary && Tether::Protocol::isCompressedMessage(QByteArrayView(data, qsizetype(size)))) {
        inflated = c.inflate(data, size, m_options.maxFrame);
        if (!inflated.ok()) {
            if (inflated.tooLarge)
                fail(c, "frame_too_large", inflated.error, 1009);
            else
                fail(c, "bad_frame", inflated.error, 4400);
            return;
        }
        data = inflated.batch.constData();
        size = size_t(inflated.batch.size());
        binary = codec.usesBinaryFrames();
    }
    if (!Tether::Protocol::acceptsMessageKind(codec.kind(), c.version(), binary)) {
        fail(c, "bad_frame",
             binary ? QStringLiteral("binary frame on tether.v1.json") : QStringLiteral("text frame on tether.v1.cbor"),
             4400);
        return;
    }
    // A msg without a channel is acknowledged, never read (onMsg()): its payload is
    // validated but not built, unless the ledger records it.
    DecodeOptions options;
    options.skipPlainMsgPayload = !m_ledger.isOpen();
    if (!c.batching()) {
        DecodeResult decoded = codec.decode(QByteArrayView(data, qsizetype(size)), options);
        if (!decoded.ok()) {
            fail(c, "bad_frame", decoded.error, 4400);
            return;
        }
        onFrame(c, *decoded.frame);
        return;
    }
    // Protocol v1.1 (docs/protocol.md §10): each frame of the batch as if it came alone.
    BatchReader reader(codec, QByteArrayView(data, qsizetype(size)), options);
    while (!reader.atEnd() && !c.closing()) {
        DecodeResult decoded = reader.next();
        if (!decoded.ok()) {
            fail(c, "bad_frame", decoded.error, 4400);
            return;
        }
        onFrame(c, *decoded.frame);
        if (!reader.atEnd() && !m_loading.empty()) {
            // A hello that waits for the state store: the rest of the batch waits with it.
            const auto loading = m_loading.find(c.id());
            if (loading != m_loading.end()) {
                const QByteArrayView rest = reader.rest();
                loading->second.emplace_back(std::string(rest.data(), size_t(rest.size())), binary);
                return;
            }
        }
    }
}

void Hub::onFrame(Connection &c, Frame &frame)
{
    TS_DEBUG("connection %llu <- %s", static_cast<unsigned long long>(c.id()), frameTypeName(frame).data());

    if (c.phase == Connection::Phase::AwaitHello) {
        if (const auto *hello = std::get_if<Hello>(&frame))
            onHello(c, *hello);
        else
            fail(c, "hello_required",
                 QStringLiteral("first frame must be hello, got %1").arg(frameTypeName(frame)), 4400);
        return;
    }

    if (!c.session) {   // cannot happen: a connection loses its session only while closing
        fail(c, "internal_error", QStringLiteral("connection without a session"), 1011);
        return;
    }
    Session &s = *c.session;
    const bool rateCounted = std::holds_alternative<Msg>(frame) || std::holds_alternative<Req>(frame)
                             || std::holds_alternative<Sub>(frame) || std::holds_alternative<Unsub>(frame);
    if (rateCounted) {
        if (const std::int64_t wait = s.bucket.take(c.lastReceiveMs)) {
            fail(c, "rate_limited", QStringLiteral("too many messages"), 4029, std::uint64_t(wait));
            return;
        }
    }
    std::visit(
        [&](auto &f) {
            using T = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<T, Msg>)
                onMsg(c, s, f);
            else if constexpr (std::is_same_v<T, Ack>)
                onAck(c, s, f);
            else if constexpr (std::is_same_v<T, Req>)
                onReq(c, s, f);
            else if constexpr (std::is_same_v<T, Sub>)
                onSub(c, s, f);
            else if constexpr (std::is_same_v<T, Unsub>)
                onUnsub(c, s, f);
            else
                fail(c, "unexpected_frame",
                     QStringLiteral("%1 is not expected from a client here").arg(frameTypeName(frame)), 4400);
        },
        frame);
    dropOverflowed();
}

// ---------------------------------------------------------------------------- hello

void Hub::onHello(Connection &c, const Hello &hello)
{
    const AuthVerdict verdict = m_auth.check(hello.token, Metrics::unixMs() / 1000);
    if (!verdict.accepted) {
        fail(c, verdict.errorCode, verdict.message, verdict.closeCode);
        return;
    }
    if (verdict.goodUntil > 0)
        watchToken(c, *hello.token, verdict.goodUntil);
    const QString user = verdict.user;

    Session *s = nullptr;
    if (hello.sid) {
        s = m_sessions.find(*hello.sid);
        if (s && s->user != user)
            s = nullptr;   // another user's session: not theirs to resume
    }
    if (s && m_immediate) {
        completeHello(c, *s, true, hello, m_state->nodeId());
        return;
    }
    if (!m_state->available()) {
        // Nothing could be made durable: a temporary refusal (docs/protocol.md §8), the client
        // retries after retryAfter and the node serves it once Redis is back.
        fail(c, "unavailable", QStringLiteral("state store down, retry later"), kUnavailableCloseCode,
             kUnavailableRetryMs);
        return;
    }
    if (s) {
        // Held here, but another node may have claimed it since (this node was frozen or cut
        // off and never heard of it): resumed from memory only while Redis says it is ours,
        // else this copy is stale, goes, and the session is loaded (claimed) afresh.
        const std::uint64_t id = c.id();
        m_loading[id];
        m_state->confirmOwner(*hello.sid, [this, id, hello, user](StateStore::Ownership ownership) {
            Connection *conn = stillLoading(id);
            if (!conn)
                return;
            Session *here = m_sessions.find(*hello.sid);
            if (ownership == StateStore::Ownership::Unavailable) {
                m_loading.erase(id);
                fail(*conn, "unavailable", QStringLiteral("state store down, retry later"), kUnavailableCloseCode,
                     kUnavailableRetryMs);
                return;
            }
            if (here && ownership == StateStore::Ownership::Owned) {
                completeHello(*conn, *here, true, hello, m_state->nodeId());
                replayDeferred(id);
                return;
            }
            if (here) {
                TS_WARN("session %s: claimed by another node meanwhile, this node's copy is stale: dropped, "
                        "loading it again", qPrintable(here->peer));
                releaseSession(here->sid);
            }
            loadAndResume(*conn, hello, user);
        });
        return;
    }
    if (hello.sid && !m_immediate) {
        loadAndResume(c, hello, user);
        return;
    }
    createSessionFor(c, user, hello);
}

// The token is not cut mid-connection by a check on each frame: one timer per connection
// (the TimerQueue's), at the instant hello would refuse it. No refresh frame exists
// (docs/protocol.md): 4001 is the refresh, the client reconnects with a new token and
// resumes its session.
void Hub::watchToken(Connection &c, const QString &token, std::int64_t goodUntil)
{
    c.jwt = token.toStdString();
    m_timers.cancel(c.tokenTimer);
    const std::int64_t inMs = std::max<std::int64_t>(0, goodUntil * 1000 - Metrics::unixMs());
    const std::uint64_t id = c.id();
    c.tokenTimer = m_timers.schedule(steadyNowMs() + inMs, [this, id] {
        Connection *conn = connectionById(id);
        if (!conn || conn->closing())
            return;
        conn->tokenTimer = 0;
        fail(*conn, "token_expired", QStringLiteral("token expired"), kTokenExpiredCloseCode);
    });
}

void Hub::reloadJwtKeys()
{
    if (m_options.jwtHs256SecretFile.empty() && m_options.jwtRs256PublicKeyFile.empty()) {
        TS_WARN("SIGHUP: no JWT key files to reread");
        return;
    }
    std::string error;
    if (!m_auth.reloadJwtKeys(m_options, error)) {
        TS_ERROR("SIGHUP: JWT keys not reloaded, the previous keys stay: %s", error.c_str());
        return;
    }
    const std::int64_t now = Metrics::unixMs() / 1000;
    std::vector<std::uint64_t> withdrawn;
    for (const auto &[id, conn] : m_connections) {
        if (!conn->jwt.empty() && !conn->closing()
            && !m_auth.check(QString::fromStdString(conn->jwt), now).accepted)
            withdrawn.push_back(id);
    }
    for (const std::uint64_t id : withdrawn) {
        if (Connection *conn = connectionById(id))
            fail(*conn, "token_expired", QStringLiteral("token key withdrawn"), kTokenExpiredCloseCode);
    }
    TS_WARN("SIGHUP: JWT keys reloaded; %zu connections whose token no key verifies any more closed with 4001",
            withdrawn.size());
}

Connection *Hub::stillLoading(std::uint64_t id)
{
    if (!m_loading.count(id))
        return nullptr;   // the connection is gone
    Connection *conn = connectionById(id);
    if (!conn || conn->closing()) {
        m_loading.erase(id);
        return nullptr;
    }
    return conn;
}

void Hub::loadAndResume(Connection &c, const Hello &hello, const QString &user)
{
    {
        // Maybe a session of another node (or of this node before a restart): load it.
        const std::uint64_t id = c.id();
        m_loading[id];
        const std::int64_t loadStartMs = steadyNowMs();
        m_state->loadSession(*hello.sid, user, [this, id, hello, user, loadStartMs](StateStore::Loaded loaded) {
            TS_DEBUG("connection %llu: session load answered after %lld ms: %s (previous owner %s)",
                    static_cast<unsigned long long>(id), static_cast<long long>(steadyNowMs() - loadStartMs),
                    loaded.outcome == StateStore::Loaded::Outcome::Found       ? qPrintable(loaded.session->peer)
                    : loaded.outcome == StateStore::Loaded::Outcome::Missing ? "missing"
                                                                              : "unavailable",
                    qPrintable(loaded.ownerNode));
            Connection *conn = stillLoading(id);
            if (!conn)
                return;
            switch (loaded.outcome) {
            case StateStore::Loaded::Outcome::Unavailable:
                m_loading.erase(id);
                fail(*conn, "unavailable", QStringLiteral("state store down, retry later"), kUnavailableCloseCode,
                     kUnavailableRetryMs);
                return;
            case StateStore::Loaded::Outcome::Found:
                if (loaded.session->user == user) {
                    if (Session *here = m_sessions.find(loaded.session->sid)) {   // loaded meanwhile
                        completeHello(*conn, *here, true, hello, loaded.ownerNode);
                        break;
                    }
                    Session &here = m_sessions.adopt(std::move(loaded.session), m_options.rate, m_options.burst,
                                                     steadyNowMs());
                    here.recovering = true;
                    for (const QString &name : here.channels) {
                        if (Channel *channel = m_channels.findOrCreate(name))
                            m_channels.subscribe(*channel, here);
                        // Now owned by this node (its claim generation): no event.
                        m_state->presenceChanged(name, here, StateStore::Presence::Join, nullptr);
                    }
                    const QString sid = here.sid;
                    const QString owner = loaded.ownerNode;
                    const std::int64_t startedMs = steadyNowMs();
                    recoverFromStreams(here, [this, id, hello, user, sid, owner, startedMs](bool lost, bool failed,
                                                                                            Missed missed) {
                        Connection *c2 = connectionById(id);
                        Session *s2 = m_sessions.find(sid);
                        if (!c2 || c2->closing() || !s2 || failed) {
                            m_loading.erase(id);
                            if (s2 && s2->connection && !failed && !lost && !s2->historyLostOn.isEmpty()) {
                                s2->recovering = false;
                                loseHistory(*s2, s2->historyLostOn);
                            } else if (s2 && s2->connection && !failed && !lost) {
                                // A second hello attached it meanwhile (it found this copy):
                                // resumed there, owed what was recovered.
                                deliverRecovered(*s2, missed);
                            } else if (s2) {
                                // Not resumed here after all: the copy goes (a connection
                                // that attached it meanwhile comes back), the session lives
                                // on in Redis (no presence leave, nothing erased).
                                dropLocalCopy(sid, "unavailable", QStringLiteral("state store down, retry later"),
                                              kUnavailableCloseCode, kUnavailableRetryMs);
                            }
                            if (c2 && (failed || !s2))
                                fail(*c2, "unavailable", QStringLiteral("state store down, retry later"),
                                     kUnavailableCloseCode, kUnavailableRetryMs);
                            return;
                        }
                        const size_t owed = lost ? 0 : owedOnResume(*s2, missed);
                        if (lost || !s2->historyLostOn.isEmpty() || owed > size_t(m_options.sessionBuffer)) {
                            // Publications it was owed are gone from the stream, or there are
                            // more than its buffer holds (the client was away too long: in
                            // memory mode its buffer would have overflowed meanwhile). The
                            // session cannot be resumed whole, the client starts anew
                            // (sessionLost), never resumed only to overflow at once.
                            if (owed > size_t(m_options.sessionBuffer))
                                TS_WARN("session %s: not resumed, it would owe %zu messages, more than --session-buffer %d",
                                        qPrintable(s2->peer), owed, m_options.sessionBuffer);
                            else
                                TS_INFO("session %s: history lost on a channel, not resumed", qPrintable(s2->peer));
                            forget(*s2, true);
                            createSessionFor(*c2, user, hello);
                        } else {
                            // How long the hello waited and what it brings: a resume owed more
                            // than --session-buffer overflows right here (README.md, Redis mode).
                            size_t read = 0;
                            for (const auto &[ch, entries] : missed)
                                read += entries.size();
                            TS_INFO("session %s: resumed after %lld ms of recovery: %zu entries read from the streams, "
                                    "%zu held live, outSeq %llu",
                                    qPrintable(s2->peer), static_cast<long long>(steadyNowMs() - startedMs), read,
                                    s2->backlog.size(), static_cast<unsigned long long>(s2->outSeq));
                            completeHello(*c2, *s2, true, hello, owner);
                            deliverRecovered(*s2, missed);
                        }
                        replayDeferred(id);
                    });
                    return;   // replayDeferred once recovered
                }
                createSessionFor(*conn, user, hello);
                break;
            case StateStore::Loaded::Outcome::Missing:
                createSessionFor(*conn, user, hello);
                break;
            }
            replayDeferred(id);
        });
    }
}

void Hub::recoverFromStreams(Session &s, std::function<void(bool lost, bool failed, Missed missed)> resume)
{
    struct Join {
        size_t waiting = 1;   // + one per channel read; the last one resumes
        bool lost = false;
        bool failed = false;
        bool done = false;
        Missed missed;
        std::function<void(bool, bool, Missed)> resume;
        // Per channel still in progress: waiting for this node's subscription, or its read.
        std::map<QString, const char *> pending;
    };
    auto join = std::make_shared<Join>();
    join->resume = std::move(resume);
    auto finish = [join] {
        if (--join->waiting > 0 || join->done)
            return;
        join->done = true;
        join->resume(join->lost, join->failed, std::move(join->missed));
    };
    // Bounded: a subscription that is never confirmed must not hold the hello forever
    // (the client is told to come back, as when Redis is down).
    const std::int64_t startedMs = steadyNowMs();
    m_timers.schedule(startedMs + 2 * Redis::kReplyTimeoutMs, [join, peer = s.peer, startedMs] {
        if (join->done)
            return;
        QStringList where;
        for (const auto &[ch, step] : join->pending)
            where << ch + QStringLiteral(": ") + QLatin1String(step);
        TS_WARN("session %s: recovery not done after %lld ms (%s): not resumed here, the client comes back",
                qPrintable(peer), static_cast<long long>(steadyNowMs() - startedMs), qPrintable(where.join(QStringLiteral(", "))));
        join->done = true;
        join->resume(join->lost, true, {});
    });
    const int limit = std::max(1, streamLength(m_options));
    for (const QString &ch : s.channels) {
        const auto at = s.positions.find(ch);
        if (at == s.positions.end())
            continue;   // subscribed, position not known yet: nothing to recover from
        ++join->waiting;
        join->pending[ch] = "waiting for the subscription";
        // Read once this node follows the channel, not before: an entry added between the
        // read and the SUBSCRIBE would reach the session neither way. Everything added
        // after the read then arrives live (held in the session's backlog until now).
        m_state->whenFollowing(ch, [this, join, ch, pos = at->second, limit, finish, peer = s.peer, startedMs] {
            TS_DEBUG("session %s: %s followed after %lld ms, reading its stream", qPrintable(peer), qPrintable(ch),
                     static_cast<long long>(steadyNowMs() - startedMs));
            join->pending[ch] = "reading the stream";
            m_state->readSince(ch, pos, limit, [join, ch, finish](StateStore::Recovered recovered) {
                join->pending.erase(ch);
                join->failed = join->failed || recovered.failed;
                join->lost = join->lost || recovered.lost;
                if (!recovered.entries.empty())
                    join->missed.emplace_back(ch, std::move(recovered.entries));
                finish();
            });
        });
    }
    finish();
}

size_t Hub::owedOnResume(const Session &s, const Missed &missed) const
{
    // What deliverRecovered would deliver (each entry once, the positions decide), on top
    // of what is owed already.
    std::unordered_map<QString, StreamPos> at = s.positions;
    size_t owed = s.unacked.size();
    const auto counts = [&](const QString &ch, const StreamPos &pos) {
        if (!s.channels.count(ch))
            return false;
        StreamPos &last = at[ch];
        if (last.epoch == pos.epoch && !last.before(pos))
            return false;
        last = pos;
        return true;
    };
    for (const auto &[ch, entries] : missed) {
        for (const auto &[pos, entry] : entries)
            owed += entry.peer != s.peer && counts(ch, pos);
    }
    // In stream order per channel, as drainBacklog takes them.
    std::vector<const Session::Held *> held;
    for (const Session::Held &h : s.backlog)
        held.push_back(&h);
    std::stable_sort(held.begin(), held.end(), [](const Session::Held *a, const Session::Held *b) {
        return a->ch != b->ch ? a->ch < b->ch : a->pos.before(b->pos);
    });
    for (const Session::Held *h : held)
        owed += counts(h->ch, h->pos);
    return owed;
}

void Hub::deliverRecovered(Session &s, Missed &missed)
{
    // What the streams held when read, then what arrived live meanwhile: in stream order
    // per channel, each entry once (the position decides).
    for (auto &[ch, entries] : missed) {
        for (auto &[pos, entry] : entries) {
            if (entry.peer == s.peer || !s.channels.count(ch))
                continue;   // its own publication, or unsubscribed meanwhile
            if (!advancePosition(s, ch, pos))
                continue;
            auto body = std::make_shared<Publication>(*entry.body);
            body->ch = ch;
            deliverReliable(s, body, &pos);
        }
    }
    s.recovering = false;
    if (!s.holding())
        drainBacklog(s);
    dropOverflowed();
}

void Hub::drainBacklog(Session &s)
{
    std::vector<Session::Held> held = std::move(s.backlog);
    s.backlog.clear();
    // A catch-up read may bring entries older than live ones held before it: stream order
    // per channel first, or the newer would move the position past the older.
    std::stable_sort(held.begin(), held.end(), [](const Session::Held &a, const Session::Held &b) {
        return a.ch != b.ch ? a.ch < b.ch : a.pos.before(b.pos);
    });
    for (const Session::Held &h : held) {
        if (s.overflowed || !s.channels.count(h.ch) || !advancePosition(s, h.ch, h.pos))
            continue;
        deliverReliable(s, h.body, &h.pos);
    }
}

void Hub::replayDeferred(std::uint64_t id)
{
    const auto it = m_loading.find(id);
    if (it == m_loading.end())
        return;
    const auto frames = std::move(it->second);
    m_loading.erase(it);
    for (const auto &[bytes, binary] : frames) {
        Connection *conn = connectionById(id);
        if (!conn || conn->closing())
            return;
        onMessage(*conn, bytes.data(), bytes.size(), binary);
    }
}

void Hub::createSessionFor(Connection &c, const QString &user, const Hello &hello)
{
    if (m_sessions.size() >= size_t(m_options.maxSessions)) {
        if (Session *oldest = m_sessions.oldestDetached())
            forget(*oldest);
    }
    if (m_sessions.size() >= size_t(m_options.maxSessions)) {
        fail(c, "server_full", QStringLiteral("too many sessions"), kServerFullCloseCode, kServerFullRetryMs);
        return;
    }
    Session &s = m_sessions.create(user, m_options.rate, m_options.burst, steadyNowMs(), m_runId);
    if (!m_immediate)
        m_state->sessionCreated(s);
    completeHello(c, s, false, hello, QString());
}

void Hub::completeHello(Connection &c, Session &s, bool resumed, const Hello &hello, const QString &previousNode)
{
    if (resumed) {
        ++m_metrics.counters.resumes;
        if (Connection *old = s.connection) {
            // Takeover (docs/protocol.md §3): the older connection loses the session for good.
            old->session = nullptr;
            m_timers.cancel(old->ackTimer);
            old->ackTimer = 0;
            ++m_metrics.counters.takeovers;
            fail(*old, "session_taken", QStringLiteral("session resumed by another connection"), 4409);
        }
        m_timers.cancel(s.expiryTimer);
        s.expiryTimer = 0;
        m_sessions.markAttached(s);
        // hello.rx is the client's cumulative ack of the server stream.
        const std::uint64_t acked = std::min<std::uint64_t>(hello.rx.value_or(0), s.outSeq);
        const size_t dropped = s.acknowledge(acked);
        if (!m_immediate) {
            if (dropped)
                m_state->acknowledged(s, acked);
            m_state->sessionAttached(s, previousNode);
        }
    }

    m_timers.cancel(c.helloTimer);
    c.helloTimer = 0;
    c.phase = Connection::Phase::Open;
    c.session = &s;
    s.connection = &c;

    Welcome welcome;
    welcome.sid = s.sid;
    welcome.resumed = resumed;
    welcome.rx = ackableRx(s);
    if (m_options.heartbeatMs > 0)
        welcome.hb = std::uint64_t(m_options.heartbeatMs);
    welcome.maxFrame = std::uint64_t(m_options.maxFrame);
    welcome.ttl = std::uint64_t(m_options.sessionTtlMs);
    send(c, welcome);
    TS_INFO("connection %llu: session %s %s", static_cast<unsigned long long>(c.id()), qPrintable(s.peer),
            resumed ? "resumed" : "created");
    s.sentSeq = s.durableSeq;
    if (!resumed)
        return;

    const std::uint64_t ak = hello.ak.value_or(0);
    for (const Nack &nack : s.nacks) {
        if (nack.seq > ak && nack.seq <= welcome.rx)
            send(c, nack);
    }
    // Only what the store holds: the rest is sent when its write is confirmed.
    const std::uint64_t clientRx = hello.rx.value_or(0);
    for (const OutboundMessage &m : s.unacked) {
        if (m.seq > clientRx && m.seq <= s.durableSeq)
            sendMessage(c, m.seq, *m.body);
    }
}

void Hub::evictSession(const QString &sid)
{
    // A write of this session failed: this node's copy is ahead of Redis (an inRx or a seq
    // Redis lacks). Drop the copy and close with a temporary code; the client comes back
    // once Redis does, resumes what Redis holds and retransmits what was not acked.
    // From a timer, never at once: a failed write may report in the middle of a fan-out
    // that is walking the session's channels.
    m_evictions.push_back(sid);
    if (m_evictions.size() > 1)
        return;
    m_timers.schedule(steadyNowMs(), [this] {
        const std::vector<QString> sids = std::move(m_evictions);
        m_evictions.clear();
        for (const QString &victim : sids)
            dropLocalCopy(victim, "unavailable", QStringLiteral("state store down, retry later"), kUnavailableCloseCode,
                          kUnavailableRetryMs);
    });
}

void Hub::releaseSession(const QString &sid)
{
    if (Session *s = m_sessions.find(sid)) {
        TS_INFO("session %s: attached on another node now, letting go of it", qPrintable(s->peer));
        if (s->connection)
            ++m_metrics.counters.takeovers;
        // A join this copy made after it lost the session (it could not know) is undone;
        // what the new owner wrote stays (fenced by the claim generation), no event.
        for (const QString &name : s->channels)
            m_state->presenceChanged(name, *s, StateStore::Presence::Release, nullptr);
    }
    dropLocalCopy(sid, "session_taken", QStringLiteral("session resumed by another connection"), 4409, std::nullopt);
}

void Hub::loseHistory(Session &s, const QString &ch)
{
    if (s.recovering) {
        s.historyLostOn = ch;   // its resume ends with resumed=false
        return;
    }
    TS_WARN("session %s: publications on %s missed while the fan-out was interrupted are no longer in the stream "
            "(trimmed, or a new epoch): the session ends, its client learns it (resumed=false)",
            qPrintable(s.peer), qPrintable(ch));
    if (Connection *c = s.connection) {
        c->session = nullptr;
        s.connection = nullptr;
        m_timers.cancel(c->ackTimer);
        c->ackTimer = 0;
        fail(*c, "history_lost", QStringLiteral("publications on '%1' were lost").arg(ch), kHistoryLostCloseCode);
    }
    forget(s);
}

void Hub::dropLocalCopy(const QString &sid, const char *code, const QString &message, int closeCode,
                        std::optional<std::uint64_t> retryAfterMs)
{
    Session *s = m_sessions.find(sid);
    if (!s)
        return;
    if (Connection *old = s->connection) {
        old->session = nullptr;
        s->connection = nullptr;
        m_timers.cancel(old->ackTimer);
        old->ackTimer = 0;
        fail(*old, code, message, closeCode, retryAfterMs);
    }
    m_timers.cancel(s->expiryTimer);
    s->expiryTimer = 0;
    if (s->overflowed) {
        for (auto it = m_overflowed.begin(); it != m_overflowed.end();)
            it = *it == s ? m_overflowed.erase(it) : it + 1;
    }
    discardHeldAcks(*s);
    // It lives on, elsewhere: no presence leave, nothing erased in the store.
    for (const QString &name : s->channels) {
        if (Channel *channel = m_channels.find(name)) {
            m_channels.unsubscribe(*channel, *s);
            m_channels.collect(*channel);
        }
    }
    m_sessions.erase(*s);
}

// ---------------------------------------------------------------------------- reliable stream

void Hub::onMsg(Connection &c, Session &s, const Msg &msg)
{
    if (!msg.seq) {
        // At-most-once: never acked. A publication is forwarded the same way.
        if (msg.ch)
            publish(&s, msg, false);
        return;
    }
    const std::uint64_t seq = *msg.seq;
    if (seq == 0) {
        fail(c, "bad_frame", QStringLiteral("msg: field 'seq' must not be 0"), 4400);
        return;
    }
    if (seq <= s.inRx) {   // duplicate: dropped, still acknowledged
        acceptInbound(c, s);
        return;
    }
    if (seq != s.inRx + 1) {
        fail(c, "seq_gap", QStringLiteral("expected seq %1, got %2").arg(s.inRx + 1).arg(seq), 4400);
        return;
    }
    s.inRx = seq;
    m_ledger.record(s.sid, seq, msg);
    if (msg.ch) {
        const Access access = m_channels.publishAccess(*msg.ch, s.user);
        if (access != Access::Allowed) {
            Nack nack;
            nack.seq = seq;
            if (access == Access::BadName) {
                nack.err.code = QStringLiteral("bad_channel");
                nack.err.msg = QStringLiteral("channel name must be 1..200 characters");
            } else {
                nack.err.code = QStringLiteral("forbidden");
                nack.err.msg = access == Access::ReadOnly
                                   ? QStringLiteral("channel '%1' is read-only").arg(*msg.ch)
                                   : QStringLiteral("no right to publish on '%1'").arg(*msg.ch);
            }
            send(c, nack);   // before any ack that covers it: acks are queued later
            if (!m_immediate)
                m_state->nackRemembered(s, nack);
            s.rememberNack(std::move(nack));
        } else {
            if (!m_immediate)
                m_ackLatch = std::make_shared<AckLatch>(this, c.id(), steadyNowMs());   // publish() joins it
            publish(&s, msg, true);
        }
    }
    acceptInbound(c, s);
}

Hub::AckLatch::~AckLatch()
{
    if (durable) {
        if (Session *s = hub->m_sessions.find(sid))
            s->durableRx = std::max(s->durableRx, rx);
    }
    Connection *c = hub->connectionById(connectionId);
    if (!c)
        return;
    if (durable)
        hub->oweAck(*c, receivedMs);
    else if (c->session)
        hub->evictSession(c->session->sid);
}

void Hub::acceptInbound(Connection &c, Session &s)
{
    if (m_immediate) {
        oweAck(c);
        return;
    }
    // The ack goes out when every write this message caused is confirmed (the latch's
    // last holder is released); a failed write withholds it, the client retransmits.
    std::shared_ptr<AckLatch> latch = std::move(m_ackLatch);
    if (!latch)
        latch = std::make_shared<AckLatch>(this, c.id(), steadyNowMs());
    latch->sid = s.sid;
    latch->rx = s.inRx;
    if (!s.publicationsLanding.empty()) {
        s.heldAcks.emplace_back(s.inRx, std::move(latch));   // written by writeHeldInRx
        return;
    }
    m_state->inboundAccepted(s, s.inRx, [latch](bool durable) {
        if (!durable)
            latch->durable = false;
    });
}

void Hub::publicationLanded(const QString &sid, std::uint64_t seq, bool durable)
{
    Session *s = m_sessions.find(sid);
    if (!s)
        return;
    for (auto &[pending, landing] : s->publicationsLanding) {
        if (pending == seq) {
            landing = durable ? Session::Landing::Landed : Session::Landing::Failed;
            break;
        }
    }
    writeHeldInRx(*s);
}

void Hub::writeHeldInRx(Session &s)
{
    // Up to the first publication still on its way (or failed: then never past it; the
    // failure evicts the session and the client resends from the stored inRx).
    while (!s.publicationsLanding.empty() && s.publicationsLanding.front().second == Session::Landing::Landed)
        s.publicationsLanding.pop_front();
    const std::uint64_t safe =
        s.publicationsLanding.empty() ? s.inRx : s.publicationsLanding.front().first - 1;
    std::vector<std::shared_ptr<AckLatch>> covered;
    std::uint64_t rx = 0;
    while (!s.heldAcks.empty() && s.heldAcks.front().first <= safe) {
        rx = s.heldAcks.front().first;
        covered.push_back(std::static_pointer_cast<AckLatch>(std::move(s.heldAcks.front().second)));
        s.heldAcks.pop_front();
    }
    if (covered.empty())
        return;
    m_state->inboundAccepted(s, rx, [covered = std::move(covered)](bool durable) {
        for (const auto &latch : covered) {
            if (!durable)
                latch->durable = false;
        }
    });
}

void Hub::discardHeldAcks(Session &s)
{
    for (auto &held : s.heldAcks)
        std::static_pointer_cast<AckLatch>(held.second)->durable = false;
    s.heldAcks.clear();
    s.publicationsLanding.clear();
}

void Hub::oweAck(Connection &c, std::int64_t receivedMs)
{
    if (++c.acksOwed >= kAckAtOnce) {
        sendAckNow(c);
        return;
    }
    if (c.ackTimer == 0) {
        const std::uint64_t id = c.id();
        // The delay counts from the message's arrival: in Redis mode the wait for Redis
        // is part of it, not added to it.
        const std::int64_t from = receivedMs >= 0 ? receivedMs : steadyNowMs();
        c.ackTimer = m_timers.schedule(from + m_options.ackDelayMs, [this, id] {
            if (Connection *conn = connectionById(id)) {
                conn->ackTimer = 0;
                sendAckNow(*conn);
            }
        });
    }
}

void Hub::sendAckNow(Connection &c)
{
    m_timers.cancel(c.ackTimer);
    c.ackTimer = 0;
    c.acksOwed = 0;
    if (c.session && !c.closing())
        send(c, Ack{ackableRx(*c.session)});
}

void Hub::onAck(Connection &c, Session &s, const Ack &ack)
{
    if (ack.seq > s.outSeq) {
        fail(c, "bad_ack", QStringLiteral("ack of seq %1, last sent is %2").arg(ack.seq).arg(s.outSeq), 4400);
        return;
    }
    const size_t dropped = s.acknowledge(ack.seq);
    if (!m_immediate && dropped)
        m_state->acknowledged(s, ack.seq);
}

QString Hub::nextServerId()
{
    if (m_idPrefix.isEmpty())
        return QStringLiteral("s%1").arg(m_nextServerId++);
    return QStringLiteral("s") + m_idPrefix + QString::number(m_nextServerId++);
}

void Hub::sendDurable(Session &s)
{
    Connection *c = s.connection;
    if (!c || c->phase != Connection::Phase::Open || s.sentSeq >= s.durableSeq)
        return;
    auto it = s.unacked.end();
    while (it != s.unacked.begin() && std::prev(it)->seq > s.sentSeq)
        --it;
    for (; it != s.unacked.end() && it->seq <= s.durableSeq; ++it)
        sendMessage(*c, it->seq, *it->body);
    s.sentSeq = s.durableSeq;
}

void Hub::deliverReliable(Session &s, const PublicationPtr &body, const StreamPos *pos)
{
    if (s.overflowed)
        return;
    const std::uint64_t seq = ++s.outSeq;
    s.unacked.push_back(OutboundMessage{seq, body});
    if (s.unacked.size() > size_t(m_options.sessionBuffer)) {
        s.overflowed = true;
        m_overflowed.push_back(&s);
        return;
    }
    if (m_immediate) {
        s.durableSeq = seq;
        if (s.connection && s.connection->phase == Connection::Phase::Open)
            sendMessage(*s.connection, seq, *body);
        return;
    }
    // Sent once it is in the session's owed list in Redis: a node that dies after sending
    // cannot leave the client holding a seq that another node would give out again.
    m_state->outboundQueued(s, s.unacked.back(), pos, [this, sid = s.sid, seq](bool durable) {
        if (!durable) {
            // Never sent: a seq the client holds must be one Redis knows.
            evictSession(sid);
            return;
        }
        Session *target = m_sessions.find(sid);
        if (!target)
            return;
        target->durableSeq = std::max(target->durableSeq, seq);
        sendDurable(*target);
    });
}

void Hub::dropOverflowed()
{
    // A loop, not a range-for: forgetting a session publishes presence, which may
    // overflow further sessions.
    while (!m_overflowed.empty()) {
        Session *s = m_overflowed.back();
        m_overflowed.pop_back();
        TS_WARN("session %s: more than %d unacked messages, dropping it (%s; seqs: out %llu, durable %llu, "
                "sent %llu, oldest unacked %llu)",
                qPrintable(s->peer), m_options.sessionBuffer, s->connection ? "attached" : "detached",
                static_cast<unsigned long long>(s->outSeq), static_cast<unsigned long long>(s->durableSeq),
                static_cast<unsigned long long>(s->sentSeq),
                static_cast<unsigned long long>(s->unacked.empty() ? 0 : s->unacked.front().seq));
        if (Connection *c = s->connection) {
            c->session = nullptr;
            s->connection = nullptr;
            fail(*c, "buffer_overflow", QStringLiteral("too many unacknowledged messages"), 4008);
        }
        forget(*s);
    }
}

void Hub::detach(Session &s, std::int64_t nowMs)
{
    if (!m_immediate)
        m_state->sessionDetached(s);   // the store's TTL starts now, on any node
    if (m_shuttingDown)
        return;
    m_sessions.markDetached(s);
    const QString sid = s.sid;
    m_timers.cancel(s.expiryTimer);
    s.expiryTimer = m_timers.schedule(nowMs + m_options.sessionTtlMs, [this, sid] {
        if (Session *expired = m_sessions.find(sid)) {
            if (!expired->connection) {
                expired->expiryTimer = 0;
                TS_INFO("session %s expired", qPrintable(expired->peer));
                // In Redis the keys expire by themselves (and another node may hold the
                // session by now): only this node's copy goes.
                forget(*expired, false);
                dropOverflowed();
            }
        }
    });
}

void Hub::forget(Session &s, bool fromStore)
{
    if (!m_immediate && fromStore)
        m_state->sessionForgotten(s);
    m_timers.cancel(s.expiryTimer);
    s.expiryTimer = 0;
    if (s.overflowed) {
        for (auto it = m_overflowed.begin(); it != m_overflowed.end();) {
            it = *it == &s ? m_overflowed.erase(it) : it + 1;
        }
    }
    if (s.connection) {
        s.connection->session = nullptr;
        s.connection = nullptr;
    }
    discardHeldAcks(s);
    leaveAllChannels(s);
    m_sessions.erase(s);
}

// ---------------------------------------------------------------------------- periodic

void Hub::scheduleMetricsTick()
{
    m_timers.schedule(steadyNowMs() + m_options.metricsIntervalMs, [this] {
        m_metrics.sample(steadyNowMs());
        publishMetrics();
        dropOverflowed();
        scheduleMetricsTick();
    });
}

void Hub::schedulePingTick()
{
    m_timers.schedule(steadyNowMs() + m_options.pingIntervalMs, [this] {
        pingTick();
        schedulePingTick();
    });
}

void Hub::pingTick()
{
    // A peer is dead when a ping has gone unanswered for a whole interval; idleness alone
    // proves nothing (a late tick on a busy machine must not cut a healthy peer). Any frame
    // received after the ping, the pong included, answers it.
    const std::int64_t now = steadyNowMs();
    const std::int64_t coarseNow = coarseNowMs();
    for (auto &entry : m_connections) {
        Connection &c = *entry.second;
        if (c.closing())
            continue;
        if (c.pingSentMs && c.lastReceiveMs >= c.pingSentMs)
            c.pingSentMs = 0;
        if (c.pingSentMs) {
            if (now - c.pingSentMs >= m_options.pingIntervalMs) {
                TS_INFO("connection %llu: ping unanswered for %lld ms, dropping it",
                        static_cast<unsigned long long>(c.id()), static_cast<long long>(now - c.pingSentMs));
                c.abort();
            }
        } else if (now - c.lastReceiveMs >= m_options.pingIntervalMs) {
            // A non-empty payload: lws 4.1 does not report a zero-length pong, so an empty
            // ping would make every healthy peer look silent.
            static const char kPingPayload[] = "tether";
            c.queueFrame(WsOpcode::Ping, kPingPayload, sizeof kPingPayload - 1);
            // On the coarse clock, like lastReceiveMs, so the comparison above is fair.
            c.pingSentMs = coarseNow;
        }
    }
}

} // namespace TetherServer
