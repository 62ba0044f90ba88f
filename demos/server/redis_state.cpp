// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "redis_state.h"

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#include <hiredis/hiredis.h>
#include <protocol/codec.h>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>

#include <set>
#include <unordered_map>

namespace TetherServer {

using namespace Tether::Protocol;

namespace {

constexpr std::int64_t kHeartbeatMs = 1000;
constexpr std::int64_t kHeartbeatTtlMs = 3 * kHeartbeatMs;
// Bounds on what is read back: a value past them was not written by a tether-server.
constexpr size_t kMaxStoredValue = size_t(64) << 20;
constexpr size_t kMaxFieldText = 256;

std::string number(std::uint64_t n) { return std::to_string(n); }

// The error a session write gets when another node owns the session now.
constexpr const char *kFenced = "TETHERFENCED session owned by another node";

// Publication numbers in a stream stay below this (kAnnounceScript starts a new stream
// past it): exact in a Lua number, and far from overflowing when added to.
constexpr std::uint64_t kMaxPublicationNumber = 100000000000000ULL;

// Largest number of publications (per channel) or deliveries (per session) in one
// script call: bounds the script's run time and its argument count.
constexpr size_t kMaxBatch = 256;

// The publications of one channel in one loop turn, in one call. The epoch names this
// incarnation of the stream: a stream (or epoch) that is missing when a publication
// arrives (never made, deleted, expired, lost with an AOF) starts a new one, so a position
// in the old one cannot be mistaken for one in the new. One script: the check, the XADD
// and the PUBLISH (which carries the entry's id and the epoch) cannot interleave with
// another node's, so every node sees the stream's order. Every key of the channel gets
// --channel-ttl again.
// Layout (README.md, "Keys"): the publications of a call that go into the stream are ONE
// entry (a run of them: a CBOR array), whose id is 0-N, N being the number of the run's
// last publication in this stream (they are numbered 1, 2, ... with no gap). A
// publication's position is the plain stream id 0-n of its number n: positions compare
// as before, XRANGE from a position finds the entry holding it, MINID trims by count.
// Per call Redis runs one XADD whatever the number of publications (one each cost ~6 µs
// of Redis CPU, script and AOF included: docs/benchmarks.md, "Cluster").
// A stream whose last id is not 0-N (none, emptied, written by someone else) is deleted
// and starts a new epoch.
// KEYS: stream, epoch. ARGV: new epoch, publications kept, pub/sub channel, TTL, then per
// run three values: its count ('' when it is not for the stream), its length in bytes
// (text), its value (CBOR array of stream entries [id, d, unixMs, peer], or of fan-out
// records [node, fromPeer, id, ch, d, reliable] when not for the stream).
// Publishes "EPOCH" then per run " ID LEN CBOR" (ID '-' when not in the stream): the
// node builds the bytes, the script only joins them, no string made per publication.
const char *const kAnnounceScript =
    "local epoch = redis.call('GET', KEYS[2]) "
    "local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1] "
    "local last = top and tonumber(string.match(top[1], '^0%-(%d+)$')) "
    "if not last or last >= 1e14 then "
    "redis.call('DEL', KEYS[1]) last = 0 epoch = false end "
    "if not epoch then epoch = ARGV[1] redis.call('SET', KEYS[2], epoch) end "
    "local out = {epoch} "
    "local stream = false "
    "for i = 5, #ARGV, 3 do "
    "local id = '-' "
    "if ARGV[i] ~= '' then "
    "last = last + tonumber(ARGV[i]) id = '0-' .. last stream = true "
    "redis.call('XADD', KEYS[1], id, 'p', ARGV[i + 2]) end "
    "out[#out + 1] = id out[#out + 1] = ARGV[i + 1] out[#out + 1] = ARGV[i + 2] end "
    "if stream and last > tonumber(ARGV[2]) then "
    "redis.call('XTRIM', KEYS[1], 'MINID', '~', '0-' .. (last - tonumber(ARGV[2]) + 1)) end "
    "redis.call('PEXPIRE', KEYS[1], ARGV[4]) "
    "redis.call('PEXPIRE', KEYS[2], ARGV[4]) "
    "redis.call('PUBLISH', ARGV[3], table.concat(out, ' ')) "
    "return 1";

// The deliveries owed to one session in one loop turn, in one call. One script, so that a
// node dying mid-write (its last bytes cut off by the kill) cannot leave the position past
// an entry whose owed copy never landed: the resume would skip it in the stream and not
// find it owed either. And only while this node owns the session (`node`): once another
// node loaded it, a late write of ours would give a seq it does not know, or move its
// position. The owed set is a sorted set by seq: trimmed by seq on ack, a re-added seq a
// no-op.
// KEYS: session hash, owed set, positions. ARGV: node, TTL, outSeq, N, then N pairs
// (seq, owed entry), then pairs (channel, position).
const std::string kDeliverScript =
    "if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return redis.error_reply('" + std::string(kFenced)
    + "') end "
      "local last = 4 + 2 * tonumber(ARGV[4]) "
      "redis.call('ZADD', KEYS[2], unpack(ARGV, 5, last)) "
      "redis.call('PEXPIRE', KEYS[2], ARGV[2]) "
      "redis.call('HSET', KEYS[1], 'outSeq', ARGV[3]) "
      "if #ARGV > last then "
      "redis.call('HSET', KEYS[3], unpack(ARGV, last + 1, #ARGV)) "
      "redis.call('PEXPIRE', KEYS[3], ARGV[2]) end "
      "return 1";

// The claim of a session by the node loading it (fencing, README.md): when the hash's
// `user` is the hello's, `node` becomes this node and the claim generation `gen` (the
// fence token of its presence writes) goes up; returns the previous owner and `gen`.
// KEYS: session hash. ARGV: user, node.
const char *const kClaimScript =
    "local user = redis.call('HGET', KEYS[1], 'user') "
    "if user == false or user ~= ARGV[1] then return false end "
    "local previous = redis.call('HGET', KEYS[1], 'node') "
    "redis.call('HSET', KEYS[1], 'node', ARGV[2]) "
    "return {previous or '', redis.call('HINCRBY', KEYS[1], 'gen', 1)}";

// A member's presence on a channel, fenced (README.md, "Fencing"): presence lives in the
// channel's keys (another hash slot than the session's), so the fence is the session's claim
// generation, remembered per peer in `:fence`: a write older than the last one taken for the
// peer comes from a copy that lost the session (frozen, cut off) and is refused. The event
// (join/leave) is published by the same call, so a refused write announces nothing.
// KEYS: presence (join order), members, fence. ARGV: peer, generation, 'join' | 'leave' |
// 'release', unixMs, member value, TTL, pub/sub channel, fan-out message ('' = none).
// 'release': leave only if this generation wrote the member last, quietly refused if not.
const std::string kPresenceScript =
    "local last = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0') "
    "local gen = tonumber(ARGV[2]) "
    "if last > gen or (ARGV[3] == 'release' and last ~= gen) then "
    "return redis.error_reply('" + std::string(kFenced) + " (presence generation ' .. last .. ')') end "
    "if ARGV[3] == 'join' then "
    "redis.call('ZADD', KEYS[1], 'NX', ARGV[4], ARGV[1]) "
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[5]) "
    "redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) "
    "for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end "
    "else "
    "redis.call('ZREM', KEYS[1], ARGV[1]) "
    "redis.call('HDEL', KEYS[2], ARGV[1]) "
    "redis.call('HDEL', KEYS[3], ARGV[1]) end "
    "if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[7], ARGV[8]) end "
    "return 1";

// Every Done of a batch learns its one reply.
void finishAll(const std::vector<StateStore::Done> &dones, const redisReply *reply)
{
    const bool durable = reply && reply->type != REDIS_REPLY_ERROR;
    for (const StateStore::Done &done : dones) {
        if (done)
            done(durable);
    }
}

// ... and when the session is gone from Redis (expired, deleted, lost with a Redis).
constexpr const char *kGone = "TETHERGONE session not in Redis";

bool replyStartsWith(const redisReply *reply, const std::string &prefix)
{
    return reply && reply->type == REDIS_REPLY_ERROR && size_t(reply->len) >= prefix.size()
           && std::equal(prefix.begin(), prefix.end(), reply->str);
}
bool isFenced(const redisReply *reply) { return replyStartsWith(reply, "TETHERFENCED"); }
bool isGone(const redisReply *reply) { return replyStartsWith(reply, "TETHERGONE"); }

// The keys of a session, in the order the fenced script gets them (KEYS[1..5]).
const char *const kSessionSuffixes[] = {"", ":out", ":nacks", ":subs", ":pos"};

// Runs a session's writes of one loop turn only while `node` names this node: a node that
// lost the session (another node claimed it while this one was frozen, cut off, or not
// told yet) has its late writes refused here, atomically with the check.
// KEYS: the session's keys (kSessionSuffixes). ARGV: node, then per command its word
// count, name, key index (1..5) and arguments.
const std::string kSessionWriteScript =
        "local owner = redis.call('HGET', KEYS[1], 'node') "
        "if owner == false then return redis.error_reply('" + std::string(kGone) + "') end "
        "if owner ~= ARGV[1] then return redis.error_reply('" + std::string(kFenced) + "') end "
        "local i = 2 "
        "while i <= #ARGV do "
        "local n = tonumber(ARGV[i]) "
        "local command = {ARGV[i + 1], KEYS[tonumber(ARGV[i + 2])]} "
        "for j = 3, n do command[j] = ARGV[i + j] end "
        "redis.call(unpack(command)) "
        "i = i + n + 1 "
        "end "
        "return 1";

// While attached the keys outlive a refresh period by a whole --session-ttl, so a session
// of a node that died is kept at least --session-ttl after its last refresh.
std::int64_t attachedTtl(const Options &o) { return o.sessionTtlMs + o.sessionTtlMs / 2 + 1000; }

// CBOR written straight into a string, for the values written on every publication and
// delivery: QCborArray::toCbor goes through a QBuffer and costs several times more. The
// bytes are plain CBOR (RFC 8949), read back with QCborValue::fromCbor like the rest.
class CborOut {
public:
    explicit CborOut(std::string &out) : m_out(out) {}
    CborOut &array(size_t n) { return head(4, n); }
    CborOut &text(const QString &s)
    {
        // Ids and peers are ASCII: written as they are, no UTF-8 conversion (an allocation).
        const QChar *chars = s.constData();
        const qsizetype n = s.size();
        qsizetype ascii = 0;
        while (ascii < n && chars[ascii].unicode() < 0x80)
            ++ascii;
        if (ascii == n) {
            head(3, size_t(n));
            for (qsizetype i = 0; i < n; ++i)
                m_out += char(chars[i].unicode());
            return *this;
        }
        const QByteArray utf8 = s.toUtf8();
        head(3, size_t(utf8.size()));
        m_out.append(utf8.constData(), size_t(utf8.size()));
        return *this;
    }
    CborOut &integer(qint64 v) { return v >= 0 ? head(0, std::uint64_t(v)) : head(1, std::uint64_t(-(v + 1))); }
    CborOut &boolean(bool b)
    {
        m_out += char(b ? 0xf5 : 0xf4);
        return *this;
    }
    // A publication's d: its CBOR encoding, made once per publication (Publication::encoded).
    CborOut &value(const Publication &body)
    {
        const QByteArrayView bytes = body.encoded(Tether::Protocol::cborCodec());
        m_out.append(bytes.constData(), size_t(bytes.size()));
        return *this;
    }

private:
    CborOut &head(unsigned major, std::uint64_t n)
    {
        const char type = char(major << 5);
        if (n < 24) {
            m_out += char(type | char(n));
        } else {
            int bytes = n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffffffu ? 4 : 8;
            m_out += char(type | char(bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27));
            for (int i = bytes - 1; i >= 0; --i)
                m_out += char((n >> (8 * i)) & 0xff);
        }
        return *this;
    }
    std::string &m_out;
};

std::string cbor(const QCborArray &array)
{
    const QByteArray bytes = array.toCborValue().toCbor();
    return std::string(bytes.constData(), size_t(bytes.size()));
}

// The content of the key's Redis Cluster hash tag (the whole key when it has none).
std::string hashTag(const std::string &key)
{
    const auto open = key.find('{');
    if (open != std::string::npos) {
        const auto close = key.find('}', open + 1);
        if (close != std::string::npos && close > open + 1)
            return key.substr(open + 1, close - open - 1);
    }
    return key;
}

bool parseUnsigned(const std::string &text, std::uint64_t &out)
{
    if (text.empty() || text.size() > 20)
        return false;
    std::uint64_t value = 0;
    for (const char ch : text) {
        if (ch < '0' || ch > '9')
            return false;
        const std::uint64_t next = value * 10 + std::uint64_t(ch - '0');
        if (next / 10 != value)
            return false;
        value = next;
    }
    out = value;
    return true;
}

bool isSid(const QString &sid)
{
    if (sid.size() != 32)
        return false;
    for (const QChar ch : sid) {
        if (!((ch >= u'0' && ch <= u'9') || (ch >= u'a' && ch <= u'f')))
            return false;
    }
    return true;
}

std::optional<QCborArray> decodeArray(const redisReply *item, qsizetype size)
{
    if (!item || item->type != REDIS_REPLY_STRING || size_t(item->len) > kMaxStoredValue)
        return std::nullopt;
    QCborParserError error;
    const QCborValue value = QCborValue::fromCbor(QByteArray(item->str, qsizetype(item->len)), &error);
    if (error.error != QCborError::NoError || !value.isArray())
        return std::nullopt;
    QCborArray array = value.toArray();
    if (array.size() != size)
        return std::nullopt;
    return array;
}

QString text(const std::string &utf8) { return QString::fromUtf8(utf8.data(), qsizetype(utf8.size())); }

// The channel name in a fan-out pub/sub channel "tether:{c:CH}:pub", nullopt for others.
std::optional<std::string> fanOutChannel(const std::string &channel)
{
    static const std::string prefix = "tether:{c:", suffix = "}:pub";
    if (channel.size() <= prefix.size() + suffix.size() || channel.compare(0, prefix.size(), prefix) != 0
        || channel.compare(channel.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    return channel.substr(prefix.size(), channel.size() - prefix.size() - suffix.size());
}

struct LoadJob {
    QString sid;
    bool unavailable = false;
    QString malformed;   // why the stored session was rejected, empty if fine
    std::unique_ptr<Session> session = std::make_unique<Session>();
    QString owner;
    bool claimed = false;
    QString previousOwner;   // the node that held it before the claim
    std::uint64_t fence = 1; // the claim generation
    bool missing = false;
    std::uint64_t outSeq = 0;

    void reject(const QString &why)
    {
        if (malformed.isEmpty())
            malformed = why;
    }
};

} // namespace

RedisState::RedisState(const Options &options, Redis &redis, TimerQueue &timers)
    : m_options(options),
      m_redis(redis),
      m_timers(timers),
      m_node(QString::fromStdString(options.nodeId)),
      m_nodeChannel(nodeKey(options.nodeId)),
      m_announceScript(redis.addScript(kAnnounceScript)),
      m_deliverScript(redis.addScript(kDeliverScript)),
      m_claimScript(redis.addScript(kClaimScript)),
      m_sessionWriteScript(redis.addScript(kSessionWriteScript)),
      m_presenceScript(redis.addScript(kPresenceScript))
{
    m_redis.setMessageHandler(
        [this](size_t shard, const std::string &channel, const std::string &payload) { onMessage(shard, channel, payload); });
    m_redis.setStateHandler([this](size_t shard, bool up) {
        if (up) {   // at once, not at the next beat: the node is alive as soon as it can say so
            beat(shard);
        } else {    // their markers may never come back
            releaseBarriers(shard);
            flushBatches();   // no writable callback will come: they fail now
        }
    });
    m_redis.setResubscribedHandler([this](size_t, const std::string &channel) {
        if (const auto name = fanOutChannel(channel); name && m_onGap)
            m_onGap(text(*name));
    });
    m_redis.setFlushHandler([this] { flushBatches(); });
}

void RedisState::beat(size_t shard)
{
    m_redis.command(shard, {"SET", m_nodeChannel, number(std::uint64_t(Metrics::unixMs())), "PX",
                            number(std::uint64_t(kHeartbeatTtlMs))});
}

void RedisState::start()
{
    for (size_t shard = 0; shard < m_redis.shardCount(); ++shard)
        m_redis.subscribe(shard, m_nodeChannel);
    heartbeat();
    refreshFollowed();
}

void RedisState::heartbeat()
{
    // Presence entries and session owners name a node; this key says it is alive.
    for (size_t shard = 0; shard < m_redis.shardCount(); ++shard) {
        if (m_redis.up(shard))
            beat(shard);
    }
    m_timers.schedule(steadyNowMs() + kHeartbeatMs, [this] { heartbeat(); });
}

void RedisState::onMessage(size_t, const std::string &channel, const std::string &payload)
{
    if (const auto name = fanOutChannel(channel)) {
        onPublication(*name, payload);
        return;
    }
    if (channel != m_nodeChannel)
        return;
    static const std::string sync = "sync ";
    if (payload.compare(0, sync.size(), sync) == 0) {
        std::uint64_t token = 0;
        if (!parseUnsigned(payload.substr(sync.size()), token))
            return;
        const auto it = m_barriers.find(token);
        if (it == m_barriers.end())
            return;
        std::function<void()> then = std::move(it->second.second);
        m_barriers.erase(it);
        then();
        return;
    }
    static const std::string take = "take ";
    if (payload.compare(0, take.size(), take) == 0) {
        const QString sid = text(payload.substr(take.size()));
        if (isSid(sid) && m_onTakeover)
            m_onTakeover(sid);
        return;
    }
    TS_WARN("redis: unexpected message on %s (%zu bytes), ignored", channel.c_str(), payload.size());
}

namespace {
// One publication of a fan-out message: its stream id and entry [id, d, unixMs, peer], or
// "-" and its CBOR [node, fromPeer, id, ch, d, reliable] when it is not in the stream.
struct Record {
    std::string_view id;
    std::string_view message;
};

// "EPOCH" then per publication " ID LEN CBOR" (kAnnounceScript). Anyone can PUBLISH:
// checked like any stored value, all or nothing.
bool parseFanOut(std::string_view payload, std::string_view &epoch, std::vector<Record> &records)
{
    if (payload.size() > kMaxStoredValue)
        return false;
    size_t at = payload.find(' ');
    if (at == std::string_view::npos || at == 0 || at > kMaxFieldText)
        return false;
    epoch = payload.substr(0, at);
    while (at < payload.size()) {
        // at: the space before a record
        const size_t idEnd = payload.find(' ', at + 1);
        const size_t lenEnd = idEnd == std::string_view::npos ? idEnd : payload.find(' ', idEnd + 1);
        if (lenEnd == std::string_view::npos || idEnd == at + 1 || idEnd - at - 1 > kMaxFieldText)
            return false;
        std::uint64_t length = 0;
        if (!parseUnsigned(std::string(payload.substr(idEnd + 1, lenEnd - idEnd - 1)), length)
            || length > payload.size() - lenEnd - 1)
            return false;
        records.push_back(Record{payload.substr(at + 1, idEnd - at - 1), payload.substr(lenEnd + 1, size_t(length))});
        at = lenEnd + 1 + size_t(length);
        if (at < payload.size() && payload[at] != ' ')
            return false;
    }
    return !records.empty();
}
} // namespace

namespace {
// The items of a run (kAnnounceScript): a CBOR array of at least one.
std::optional<QCborArray> decodeRunItems(std::string_view bytes)
{
    if (bytes.size() > kMaxStoredValue)
        return std::nullopt;
    QCborParserError error;
    const QCborValue value = QCborValue::fromCbor(QByteArray(bytes.data(), qsizetype(bytes.size())), &error);
    if (error.error != QCborError::NoError || !value.isArray() || value.toArray().isEmpty())
        return std::nullopt;
    return value.toArray();
}

// A stream entry's id 0-N: N is the number of the last publication it holds.
bool parseEntryId(const std::string &id, StreamPos &last)
{
    return StreamPos::parseId(id, last) && last.ms == 0 && last.seq > 0;
}

using Positioned = std::vector<std::pair<StreamPos, HistoryEntry>>;

// The publications of the stream entry `last` (its id) holding `items` [id, d, unixMs,
// peer], numbered up to last.seq with no gap; appended to `out` only if all are well formed.
// `ch`: the channel their bodies name, when known.
bool decodeStreamRun(const QCborArray &items, const StreamPos &last, Positioned &out, const QString &ch = QString())
{
    const auto count = std::uint64_t(items.size());
    if (last.seq < count)
        return false;
    const size_t before = out.size();
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QCborArray fields = items.at(i).toArray();
        if (!items.at(i).isArray() || fields.size() != 4 || !fields.at(0).isString() || fields.at(0).toString().isEmpty()
            || !fields.at(2).isInteger() || !fields.at(3).isString()) {
            out.resize(before);
            return false;
        }
        auto body = std::make_shared<Publication>();
        body->id = fields.at(0).toString();
        body->d = fields.at(1);
        body->ch = ch;
        StreamPos pos;
        pos.seq = last.seq - count + 1 + std::uint64_t(i);
        pos.epoch = last.epoch;
        out.emplace_back(pos, HistoryEntry{std::move(body), fields.at(2).toInteger(), fields.at(3).toString()});
    }
    return true;
}
} // namespace

void RedisState::onPublication(const std::string &name, const std::string &payload)
{
    std::string_view epoch;
    std::vector<Record> records;
    const QString ch = text(name);
    struct Parsed {
        PublicationPtr body;
        QString fromPeer;
        bool reliable = false;
        std::optional<StreamPos> pos;
    };
    std::vector<Parsed> parsed;
    bool ok = parseFanOut(payload, epoch, records);
    for (size_t i = 0; ok && i < records.size(); ++i) {
        const std::optional<QCborArray> items = decodeRunItems(records[i].message);
        ok = items.has_value();
        if (ok && records[i].id != "-") {
            // A stream entry: reliable publications [id, d, unixMs, peer] from `peer`.
            StreamPos last;
            Positioned run;
            ok = epoch != "-" && parseEntryId(std::string(records[i].id), last);
            last.epoch = std::string(epoch);
            ok = ok && decodeStreamRun(*items, last, run, ch);
            for (auto &[pos, entry] : run)
                parsed.push_back(Parsed{std::move(entry.body), entry.peer, true, pos});
            continue;
        }
        for (qsizetype j = 0; ok && j < items->size(); ++j) {
            // [node, fromPeer, id, ch, d, reliable]
            const QCborArray fields = items->at(j).toArray();
            ok = items->at(j).isArray() && fields.size() == 6 && fields.at(0).isString() && fields.at(1).isString()
                 && fields.at(2).isString() && fields.at(3).isString() && fields.at(3).toString() == ch
                 && fields.at(5).isBool() && !(fields.at(5).toBool() && fields.at(2).toString().isEmpty());
            auto body = std::make_shared<Publication>();
            body->ch = ch;
            body->id = fields.at(2).toString();
            body->d = fields.at(4);
            parsed.push_back(Parsed{std::move(body), fields.at(1).toString(), fields.at(5).toBool(), std::nullopt});
        }
    }
    if (!ok) {
        TS_ERROR("redis: malformed publication on tether:{c:%s}:pub (%zu bytes), ignored", name.c_str(), payload.size());
        return;
    }
    if (!m_onRemote)
        return;
    for (Parsed &one : parsed)
        m_onRemote(ch, one.fromPeer, std::move(one.body), one.reliable, one.pos);
}

void RedisState::follow(const QString &ch, bool on)
{
    const std::string channel = channelKey(ch) + ":pub";
    if (on) {
        m_redis.subscribe(shardOf(channel), channel);
        if (m_followed.insert(ch).second)
            touchChannel(ch);
    } else {
        m_redis.unsubscribe(shardOf(channel), channel);
        m_followed.erase(ch);
    }
}

void RedisState::touchChannel(const QString &ch)
{
    // A channel in use keeps its keys: --channel-ttl from now (missing keys stay missing).
    const std::string key = channelKey(ch);
    const std::string ttl = number(std::uint64_t(m_options.channelTtlMs));
    for (const char *suffix : {":h", ":epoch", ":presence", ":members"})
        send(key, {"PEXPIRE", key + suffix, ttl});
}

void RedisState::refreshFollowed()
{
    // While a node has subscribers on a channel (attached or detached, which may resume),
    // the channel is in use even if nobody publishes.
    for (const QString &ch : m_followed)
        touchChannel(ch);
    m_timers.schedule(steadyNowMs() + std::max<std::int64_t>(100, m_options.channelTtlMs / 3), [this] { refreshFollowed(); });
}

void RedisState::whenFollowing(const QString &ch, std::function<void()> then)
{
    const std::string channel = channelKey(ch) + ":pub";
    m_redis.whenSubscribed(shardOf(channel), channel, std::move(then));
}

bool RedisState::following(const QString &ch) const
{
    const std::string channel = channelKey(ch) + ":pub";
    return m_redis.subscribed(shardOf(channel), channel);
}

void RedisState::barrier(const QString &ch, std::function<void()> then)
{
    // Published to ourselves on the channel's shard, from the connection that publishes
    // everything else: Redis hands it to our subscriber connection after every message
    // published before it.
    const std::string channel = channelKey(ch) + ":pub";
    const size_t shard = shardOf(channel);
    if (!m_redis.up(shard)) {
        then();
        return;
    }
    const std::uint64_t token = m_nextBarrier++;
    m_barriers.emplace(token, std::make_pair(shard, std::move(then)));
    send(channel, {"PUBLISH", m_nodeChannel, "sync " + number(token)}, [this, token](redisReply *reply) {
        if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
            return;   // on its way back
        const auto it = m_barriers.find(token);
        if (it == m_barriers.end())
            return;
        std::function<void()> then = std::move(it->second.second);
        m_barriers.erase(it);
        then();
    });
    // Bounded: a marker lost with the subscriber connection must not hold a `sub` forever.
    m_timers.schedule(steadyNowMs() + Redis::kReplyTimeoutMs, [this, token] {
        const auto it = m_barriers.find(token);
        if (it == m_barriers.end())
            return;
        std::function<void()> then = std::move(it->second.second);
        m_barriers.erase(it);
        then();
    });
}

void RedisState::releaseBarriers(std::optional<size_t> shard)
{
    std::vector<std::function<void()>> ready;
    for (auto it = m_barriers.begin(); it != m_barriers.end();) {
        if (!shard || it->second.first == *shard) {
            ready.push_back(std::move(it->second.second));
            it = m_barriers.erase(it);
        } else {
            ++it;
        }
    }
    for (auto &then : ready)
        then();
}

void RedisState::fanOutRecord(std::string &out, const QString &ch, const QString &fromPeer, const Publication &body,
                              bool reliable) const
{
    // [node, fromPeer, id, ch, d, reliable]
    CborOut(out).array(6).text(m_node).text(fromPeer).text(body.id).text(ch).value(body).boolean(reliable);
}

std::string RedisState::fanOutMessage(const QString &ch, const QString &fromPeer, const Publication &body, bool reliable) const
{
    // One publication without a stream entry, as issue(ChannelBatch) publishes it: a run
    // of one.
    std::string record;
    CborOut(record).array(1);
    fanOutRecord(record, ch, fromPeer, body, reliable);
    return "- - " + number(record.size()) + " " + record;
}

void RedisState::announce(const QString &ch, const QString &fromPeer, const Publication &body, bool reliable,
                          const HistoryEntry *history, Done done)
{
    // Joins the channel's batch of this loop turn (one script call, flushBatches()).
    const auto &[key, tag] = m_channelNames.of(ch, [](const QString &name) { return channelKey(name); });
    auto it = m_channelBatches.find(tag);
    if (it != m_channelBatches.end() && it->second.dones.size() >= kMaxBatch) {
        flushTag(tag);
        it = m_channelBatches.end();
    }
    bool issueNow = false;
    if (it == m_channelBatches.end()) {
        it = m_channelBatches.emplace(tag, ChannelBatch{}).first;
        it->second.key = key;
        ++m_inFlight;                                     // one write on its way
        issueNow = !m_redis.requestFlush(shardOf(key));   // the shard is down: fails at once
    }
    ChannelBatch &batch = it->second;
    // The stream entry [id, d, unixMs, peer] is also what the fan-out carries (reliable,
    // from `peer`); without one, the message [node, fromPeer, id, ch, d, reliable]. A
    // publication of the other kind than the last one starts a new run (the order stays).
    const bool stream = history != nullptr;
    if (batch.runs.empty() || batch.runs.back().stream != stream)
        batch.runs.push_back(Run{stream, 0, {}});
    Run &run = batch.runs.back();
    ++run.count;
    if (history)
        CborOut(run.items).array(4).text(history->body->id).value(*history->body).integer(history->unixMs).text(history->peer);
    else
        fanOutRecord(run.items, ch, fromPeer, body, reliable);
    batch.history = batch.history || history;
    batch.dones.push_back(std::move(done));
    if (issueNow)
        flushTag(tag);
}

void RedisState::positionAdvanced(const Session &s, const QString &ch, const StreamPos &pos)
{
    fenced(s, {"HSET", ":pos", ch.toStdString(), pos.id() + " " + pos.epoch});
    fenced(s, {"PEXPIRE", ":pos", number(std::uint64_t(s.detached ? m_options.sessionTtlMs : attachedTtl(m_options)))});
}

void RedisState::positionDropped(const Session &s, const QString &ch)
{
    fenced(s, {"HDEL", ":pos", ch.toStdString()});
}

namespace {
// A stream entry as XRANGE returns it: [0-N, ["p", CBOR array of [id, d, unixMs, peer]]]
// (kAnnounceScript); its publications are appended to `out`. `last`: its id.
bool decodeStreamEntry(const redisReply *item, StreamPos &last, Positioned &out)
{
    if (!item || item->type != REDIS_REPLY_ARRAY || item->elements != 2)
        return false;
    std::string id;
    if (!replyString(item->element[0], id) || !parseEntryId(id, last))
        return false;
    const redisReply *fields = item->element[1];
    if (!fields || fields->type != REDIS_REPLY_ARRAY || fields->elements != 2 || !fields->element[1]
        || fields->element[1]->type != REDIS_REPLY_STRING)
        return false;
    const std::optional<QCborArray> items = decodeRunItems(std::string_view(fields->element[1]->str, fields->element[1]->len));
    return items && decodeStreamRun(*items, last, out);
}

// The id of the stream entry an XRANGE/XREVRANGE reply item is (for the tail).
bool streamEntryId(const redisReply *item, StreamPos &last)
{
    std::string id;
    return item && item->type == REDIS_REPLY_ARRAY && item->elements >= 1 && replyString(item->element[0], id)
           && parseEntryId(id, last);
}
} // namespace

void RedisState::readTail(const QString &ch, TailDone done)
{
    const std::string key = channelKey(ch);
    auto tail = std::make_shared<std::optional<StreamPos>>();
    send(key, {"XREVRANGE", key + ":h", "+", "-", "COUNT", "1"}, [tail, key](redisReply *reply) {
        if (!reply || reply->type != REDIS_REPLY_ARRAY)
            return;
        StreamPos pos;
        if (reply->elements == 1 && !streamEntryId(reply->element[0], pos)) {
            TS_ERROR("redis: the last entry of %s:h is malformed", key.c_str());
            return;
        }
        *tail = pos;   // its last publication
    });
    send(key, {"GET", key + ":epoch"}, [tail, done = std::move(done)](redisReply *reply) {
        std::string epoch;
        if (!*tail || !reply || (reply->type != REDIS_REPLY_NIL && !replyString(reply, epoch)) || epoch.size() > kMaxFieldText) {
            done(std::nullopt);
            return;
        }
        if ((*tail)->ms == 0 && (*tail)->seq == 0)
            epoch.clear();   // no stream: whatever epoch comes next is the one
        (*tail)->epoch = epoch;
        done(*tail);
    });
}

void RedisState::readSince(const QString &ch, const StreamPos &pos, int limit, std::function<void(Recovered)> done)
{
    const std::string key = channelKey(ch);
    const bool fromStart = pos.epoch.empty() || (pos.ms == 0 && pos.seq == 0);
    // Publications are numbered with no gap (kAnnounceScript), so what comes after `pos` is
    // publications from + 1 on (from = 0: the stream had none when the position was
    // taken). Read: the entries holding from .. from + limit (bounded: at most one entry's
    // worth more), and whether any entry holds a later one (then more than `limit` came).
    const std::uint64_t from = fromStart ? 0 : pos.seq;
    const std::uint64_t end = from + std::uint64_t(limit);
    auto result = std::make_shared<Recovered>();
    if (from > kMaxPublicationNumber) {   // never written by a node (kAnnounceScript)
        result->lost = true;
        done(std::move(*result));
        return;
    }
    send(key, {"XRANGE", key + ":h", "0-" + number(std::max<std::uint64_t>(from, 1)), "0-" + number(end)},
         [result, from, fromStart, key](redisReply *reply) {
             if (!reply || reply->type == REDIS_REPLY_ERROR) {
                 result->failed = true;
                 return;
             }
             if (reply->type != REDIS_REPLY_ARRAY) {
                 result->lost = true;
                 return;
             }
             Positioned all;
             std::uint64_t next = 0;   // the number the next entry must start with
             for (size_t i = 0; i < reply->elements; ++i) {
                 StreamPos last;
                 const size_t before = all.size();
                 if (!decodeStreamEntry(reply->element[i], last, all)) {
                     TS_ERROR("redis: entry %zu of %s:h is malformed", i, key.c_str());
                     result->lost = true;   // its publications cannot be told
                     return;
                 }
                 const std::uint64_t first = all[before].first.seq;
                 if (next ? first != next : first > from + (fromStart ? 1 : 0)) {
                     if (next)
                         TS_ERROR("redis: %s:h has a gap before entry %zu", key.c_str(), i);
                     result->lost = true;   // trimmed (or a gap someone else made)
                     return;
                 }
                 next = last.seq + 1;
             }
             if (!fromStart && next == 0) {
                 result->lost = true;   // the position is gone (trimmed, stream deleted)
                 return;
             }
             for (auto &[at, entry] : all) {
                 if (at.seq > from)
                     result->entries.emplace_back(at, std::move(entry));
             }
         });
    send(key, {"XRANGE", key + ":h", "0-" + number(end + 1), "+", "COUNT", "1"}, [result, key](redisReply *reply) {
        if (!reply || reply->type == REDIS_REPLY_ERROR)
            result->failed = true;
        else if (reply->type != REDIS_REPLY_ARRAY || reply->elements > 0)
            result->lost = true;   // more than `limit` came after the position
    });
    send(key, {"GET", key + ":epoch"}, [result, pos, fromStart, done = std::move(done)](redisReply *reply) {
        std::string epoch;
        if (!reply || reply->type == REDIS_REPLY_ERROR)
            result->failed = true;
        else if (reply->type != REDIS_REPLY_NIL && !replyString(reply, epoch))
            result->lost = true;
        if (!fromStart && epoch != pos.epoch)
            result->lost = true;
        for (auto &[at, entry] : result->entries)
            at.epoch = epoch;
        done(std::move(*result));
    });
}

void RedisState::writePresence(const std::string &key, const std::string &peer, const std::string &generation,
                               const char *what, std::string member, std::string message, Redis::Callback then)
{
    script(key, m_presenceScript, {key + ":presence", key + ":members", key + ":fence"},
           {peer, generation, what, number(std::uint64_t(Metrics::unixMs())), std::move(member),
            number(std::uint64_t(m_options.channelTtlMs)), key + ":pub", std::move(message)},
           std::move(then));
}

void RedisState::presenceChanged(const QString &ch, const Session &s, Presence change, const Publication *event)
{
    // One call: the fence, the write (ZADD NX: a resume elsewhere keeps the member's place
    // in the join order) and the event.
    const std::string key = channelKey(ch);
    const char *what = change == Presence::Join ? "join" : change == Presence::Leave ? "leave" : "release";
    std::string message;
    if (event)
        message = fanOutMessage(ch, s.peer, *event, true);
    writePresence(key, s.peer.toStdString(), number(s.fence), what,
                  change == Presence::Join ? cbor(QCborArray{s.user, m_node}) : std::string(), std::move(message),
                  [this, sid = s.sid, peer = s.peer, ch, what, change](redisReply *reply) {
                      if (!isFenced(reply))
                          return;
                      if (change == Presence::Release) {
                          TS_DEBUG("redis: presence of %s on %s is the new owner's, left as it is", qPrintable(peer),
                                   qPrintable(ch));
                          return;
                      }
                      TS_WARN("redis: session %s: presence %s on %s refused, a newer owner of the session wrote it "
                              "(stale copy)",
                              qPrintable(peer), what, qPrintable(ch));
                      if (m_onTakeover)
                          m_onTakeover(sid);
                  });
}

bool RedisState::readHistory(const QString &ch, int limit, Entries done)
{
    if (limit <= 0) {
        done(QCborArray());
        return true;
    }
    // The last entry says the number N of the last publication; the entries holding
    // N - limit + 1 .. N are then read (one more round trip, unless the last entry holds
    // them all): never more than `limit` + one entry's worth, however many each holds.
    const std::string key = channelKey(ch) + ":h";
    const auto answer = [key, limit](const redisReply *reply, const Entries &done) {
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            done(std::nullopt);
            return;
        }
        QCborArray oldestFirst;
        if (reply->type != REDIS_REPLY_ARRAY) {
            TS_ERROR("redis: %s is not a stream, history ignored", key.c_str());
            done(oldestFirst);
            return;
        }
        std::vector<Positioned> newestFirst;
        size_t count = 0;
        for (size_t i = 0; i < reply->elements && count < size_t(limit); ++i) {
            StreamPos last;
            Positioned entries;
            if (!decodeStreamEntry(reply->element[i], last, entries)) {
                TS_ERROR("redis: history entry %zu of %s is malformed, skipped", i, key.c_str());
                continue;
            }
            count += entries.size();
            newestFirst.push_back(std::move(entries));
        }
        size_t skip = count > size_t(limit) ? count - size_t(limit) : 0;   // the oldest ones past `limit`
        for (size_t i = newestFirst.size(); i-- > 0;) {
            for (const auto &[pos, entry] : newestFirst[i]) {
                if (skip) {
                    --skip;
                    continue;
                }
                oldestFirst.append(historyValue(entry));
            }
        }
        done(oldestFirst);
    };
    send(key, {"XREVRANGE", key, "+", "-", "COUNT", "1"}, [this, key, limit, answer, done = std::move(done)](redisReply *reply) {
        StreamPos last;
        Positioned entries;
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0
            || (decodeStreamEntry(reply->element[0], last, entries) && entries.size() >= size_t(limit))) {
            answer(reply, done);
            return;
        }
        if (!streamEntryId(reply->element[0], last)) {
            TS_ERROR("redis: the last entry of %s is malformed, history ignored", key.c_str());
            done(QCborArray());
            return;
        }
        const std::uint64_t first = last.seq > std::uint64_t(limit) ? last.seq - std::uint64_t(limit) + 1 : 1;
        send(key, {"XREVRANGE", key, "+", "0-" + number(first)}, [answer, done](redisReply *all) { answer(all, done); });
    });
    return true;
}

bool RedisState::readPresence(const QString &ch, Entries done)
{
    struct Job {
        std::vector<std::string> order;                         // peers, join order
        std::vector<std::pair<std::string, QCborArray>> members; // peer -> [user, node]
        std::unordered_map<std::string, std::string> fences;    // peer -> generation
        bool failed = false;
    };
    auto job = std::make_shared<Job>();
    const std::string key = channelKey(ch);
    // The generations first: a member healed away below is removed only if nobody wrote it
    // since (a resume elsewhere re-joins it with a newer one).
    send(key, {"HGETALL", key + ":fence"}, [job](redisReply *reply) {
        for (size_t i = 0; reply && reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2) {
            std::string peer, generation;
            if (replyString(reply->element[i], peer) && replyString(reply->element[i + 1], generation)
                && generation.size() <= 20)
                job->fences[peer] = generation;
        }
    });
    send(key, {"ZRANGE", key + ":presence", "0", number(std::uint64_t(m_options.maxSessions))}, [job, key](redisReply *reply) {
        if (!reply || reply->type != REDIS_REPLY_ARRAY) {
            job->failed = !reply || reply->type == REDIS_REPLY_ERROR;
            return;
        }
        for (size_t i = 0; i < reply->elements; ++i) {
            std::string peer;
            if (replyString(reply->element[i], peer) && peer.size() <= kMaxFieldText)
                job->order.push_back(peer);
        }
    });
    send(key, {"HGETALL", key + ":members"}, [this, job, key, done = std::move(done)](redisReply *reply) {
        if (!reply || job->failed) {
            done(std::nullopt);
            return;
        }
        std::unordered_map<std::string, QCborArray> byPeer;
        for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i + 1 < reply->elements; i += 2) {
            std::string peer;
            const auto value = decodeArray(reply->element[i + 1], 2);
            if (!replyString(reply->element[i], peer) || !value || !value->at(0).isString() || !value->at(1).isString()) {
                TS_ERROR("redis: presence member %zu of %s:members is malformed, skipped", i / 2, key.c_str());
                continue;
            }
            byPeer[peer] = *value;
        }
        std::set<std::string> nodes;
        for (const std::string &peer : job->order) {
            if (const auto it = byPeer.find(peer); it != byPeer.end()) {
                job->members.emplace_back(peer, it->second);
                nodes.insert(it->second.at(1).toString().toStdString());
            }
        }
        // Members of a node whose heartbeat key expired are gone with it: filtered out
        // here and removed, so presence heals by itself after a node dies.
        auto alive = std::make_shared<std::set<std::string>>();
        auto remaining = std::make_shared<size_t>(nodes.size());
        auto finish = [this, job, key, alive, done]() {
            QCborArray result;
            for (const auto &[peer, value] : job->members) {
                if (!alive->count(value.at(1).toString().toStdString())) {
                    const auto fence = job->fences.find(peer);
                    writePresence(key, peer, fence == job->fences.end() ? "0" : fence->second, "release", {}, {},
                                  [](redisReply *) {});
                    continue;
                }
                QCborMap member;
                member.insert(QStringLiteral("peer"), text(peer));
                if (!value.at(0).toString().isEmpty())
                    member.insert(QStringLiteral("user"), value.at(0));
                result.append(member);
            }
            done(result);
        };
        if (nodes.empty()) {
            finish();
            return;
        }
        for (const std::string &node : nodes) {
            send(key, {"EXISTS", nodeKey(node)}, [node, alive, remaining, finish](redisReply *r) {
                long long n = 0;
                // Unknown (no reply) counts as alive: never drop members on a failed read.
                if (!r || (replyInteger(r, n) && n > 0))
                    alive->insert(node);
                if (--*remaining == 0)
                    finish();
            });
        }
    });
    return true;
}

size_t RedisState::shardOf(const std::string &key) const { return m_redis.shardFor(hashTag(key)); }

bool RedisState::writesOrdered(const QString &sid, const QString &ch) const
{
    return m_redis.shardCount() <= 1 || shardOf(sessionKey(sid)) == shardOf(channelKey(ch));
}

const std::pair<std::string, std::string> &RedisState::LastKey::of(const QString &name, std::string (*keyOf)(const QString &))
{
    if (!m_valid || name != m_name) {
        m_name = name;
        m_value.first = keyOf(name);
        m_value.second = hashTag(m_value.first);
        m_valid = true;
    }
    return m_value;
}

void RedisState::send(const std::string &routingKey, std::vector<std::string> args, Redis::Callback callback)
{
    // A channel's or a session's commands reach Redis in the order of the calls: its
    // batch (if any) goes first.
    if (!m_channelBatches.empty() || !m_sessionBatches.empty())
        flushTag(hashTag(routingKey));
    ++m_inFlight;
    m_redis.command(shardOf(routingKey), std::move(args), [this, callback = std::move(callback)](redisReply *reply) {
        --m_inFlight;
        if (reply && reply->type == REDIS_REPLY_ERROR && !isFenced(reply))
            TS_WARN("redis: command failed: %.*s", int(std::min<size_t>(reply->len, 200)), reply->str);
        if (callback)
            callback(reply);
    });
}

void RedisState::script(const std::string &routingKey, const Redis::Script &script, std::vector<std::string> keys,
                        std::vector<std::string> args, Redis::Callback callback, bool retry)
{
    if (!m_channelBatches.empty() || !m_sessionBatches.empty())
        flushTag(hashTag(routingKey));
    ++m_inFlight;
    m_redis.evalScript(shardOf(routingKey), script, std::move(keys), std::move(args), [this, callback = std::move(callback)](redisReply *reply) {
        --m_inFlight;
        if (reply && reply->type == REDIS_REPLY_ERROR && !isFenced(reply))
            TS_WARN("redis: script failed: %.*s", int(std::min<size_t>(reply->len, 200)), reply->str);
        if (callback)
            callback(reply);
    }, retry);
}

void RedisState::expireSession(const Session &s, std::int64_t ttlMs)
{
    const std::string ttl = number(std::uint64_t(ttlMs));
    for (const char *suffix : kSessionSuffixes)
        fenced(s, {"PEXPIRE", suffix, ttl});
}

void RedisState::fenced(const Session &s, std::vector<std::string> command, Done done)
{
    SessionBatch &batch = sessionBatch(s);
    size_t index = 0;
    while (index < std::size(kSessionSuffixes) && command[1] != kSessionSuffixes[index])
        ++index;
    batch.writes.push_back(number(command.size()));
    batch.writes.push_back(std::move(command[0]));
    batch.writes.push_back(number(index + 1));
    for (size_t i = 2; i < command.size(); ++i)
        batch.writes.push_back(std::move(command[i]));
    if (done)
        batch.inRxDones.push_back(std::move(done));
    if (!batch.flushRequested)   // the shard is down: fails at once
        flushTag(batch.tag);
}

void RedisState::confirmOwner(const QString &sid, std::function<void(Ownership)> done)
{
    const std::string key = sessionKey(sid);
    send(key, {"HGET", key, "node"}, [this, done = std::move(done)](redisReply *reply) {
        std::string owner;
        if (!reply || reply->type == REDIS_REPLY_ERROR)
            done(Ownership::Unavailable);
        else
            done(replyString(reply, owner) && owner == m_options.nodeId ? Ownership::Owned : Ownership::NotOwned);
    });
}


void RedisState::sessionCreated(const Session &s)
{
    const std::string key = sessionKey(s.sid);
    send(key, {"HSET", key, "user", s.user.toStdString(), "peer", s.peer.toStdString(), "inRx", "0", "outSeq", "0",
               "node", m_options.nodeId, "gen", number(s.fence)});
    send(key, {"PEXPIRE", key, number(std::uint64_t(attachedTtl(m_options)))});
}

void RedisState::sessionAttached(const Session &s, const QString &previousNode)
{
    // `node` is this node's already (the load claimed it, or confirmOwner saw it): the
    // writes below are fenced like every other.
    const std::string key = sessionKey(s.sid);
    expireSession(s, attachedTtl(m_options));
    if (!previousNode.isEmpty() && previousNode != m_node)
        send(key, {"PUBLISH", nodeKey(previousNode.toStdString()), "take " + s.sid.toStdString()});
}

void RedisState::sessionDetached(const Session &s) { expireSession(s, m_options.sessionTtlMs); }

void RedisState::sessionForgotten(const Session &s)
{
    // The hash last: the fence reads it.
    for (const char *suffix : {":out", ":nacks", ":subs", ":pos", ""})
        fenced(s, {"DEL", suffix});
}

void RedisState::nackRemembered(const Session &s, const Nack &nack)
{
    fenced(s, {"RPUSH", ":nacks", cbor(QCborArray{qint64(nack.seq), nack.err.code, nack.err.msg})});
    fenced(s, {"LTRIM", ":nacks", "-" + number(kNackMemory), "-1"});
    fenced(s, {"PEXPIRE", ":nacks", number(std::uint64_t(s.detached ? m_options.sessionTtlMs : attachedTtl(m_options)))});
}

RedisState::SessionBatch &RedisState::sessionBatch(const Session &s)
{
    const auto &[key, tag] = m_sessionNames.of(s.sid, [](const QString &sid) { return sessionKey(sid); });
    auto it = m_sessionBatches.find(tag);
    if (it != m_sessionBatches.end()
        && (it->second.dones.size() + it->second.inRxDones.size() >= kMaxBatch || it->second.writes.size() >= 8 * kMaxBatch)) {
        flushTag(tag);
        it = m_sessionBatches.end();
    }
    if (it == m_sessionBatches.end()) {
        it = m_sessionBatches.emplace(tag, SessionBatch{}).first;
        it->second.key = key;
        it->second.tag = tag;
        it->second.sid = s.sid;
        ++m_inFlight;   // one write on its way
        it->second.flushRequested = m_redis.requestFlush(shardOf(key));
    }
    return it->second;
}

void RedisState::outboundQueued(const Session &s, const OutboundMessage &m, const StreamPos *pos, Done done)
{
    // Joins the session's batch of this loop turn (one script call, flushBatches()).
    SessionBatch &batch = sessionBatch(s);
    batch.ttl = number(std::uint64_t(s.detached ? m_options.sessionTtlMs : attachedTtl(m_options)));
    batch.outSeq = number(m.seq);
    batch.owed.push_back(number(m.seq));
    // [seq, id, ch, d]
    CborOut(batch.owed.emplace_back()).array(4).integer(qint64(m.seq)).text(m.body->id).text(m.body->ch).value(*m.body);
    if (pos)
        batch.positions[m.body->ch.toStdString()] = pos->id() + " " + pos->epoch;   // the last one counts
    batch.dones.push_back(std::move(done));
    if (!batch.flushRequested)   // the shard is down: fails at once
        flushTag(batch.tag);
}

void RedisState::inboundAccepted(const Session &s, std::uint64_t rx, Done done)
{
    // The loop turn's highest inRx of the session is the one written: one HSET for all.
    SessionBatch &batch = sessionBatch(s);
    batch.inRx = std::max(batch.inRx.value_or(0), rx);
    batch.inRxDones.push_back(std::move(done));
    if (!batch.flushRequested)
        flushTag(batch.tag);
}

void RedisState::flushBatches()
{
    // Issuing a batch may queue nothing new (its callbacks run on replies), so one pass.
    std::unordered_map<std::string, ChannelBatch> channels;
    std::unordered_map<std::string, SessionBatch> sessions;
    channels.swap(m_channelBatches);
    sessions.swap(m_sessionBatches);
    for (auto &[tag, batch] : channels)
        issue(std::move(batch));
    for (auto &[tag, batch] : sessions)
        issue(std::move(batch));
}

void RedisState::flushTag(const std::string &tag)
{
    if (const auto it = m_channelBatches.find(tag); it != m_channelBatches.end()) {
        ChannelBatch batch = std::move(it->second);
        m_channelBatches.erase(it);
        issue(std::move(batch));
    }
    if (const auto it = m_sessionBatches.find(tag); it != m_sessionBatches.end()) {
        SessionBatch batch = std::move(it->second);
        m_sessionBatches.erase(it);
        issue(std::move(batch));
    }
}

void RedisState::issue(ChannelBatch batch)
{
    --m_inFlight;   // counted again by the command
    const std::string channel = batch.key + ":pub";
    auto finish = [dones = std::move(batch.dones)](redisReply *reply) { finishAll(dones, reply); };
    // Each run's value: the CBOR array of its items.
    std::vector<std::string> values;
    values.reserve(batch.runs.size());
    for (Run &run : batch.runs) {
        std::string &value = values.emplace_back();
        value.reserve(run.items.size() + 9);
        CborOut(value).array(run.count);
        value += run.items;
        run.items = std::string();
    }
    if (!batch.history) {
        // Nothing for the stream: the PUBLISH alone, in the same format.
        std::string message = "-";
        for (const std::string &value : values) {
            message += " - ";
            message += number(value.size());
            message += ' ';
            message += value;
        }
        send(channel, {"PUBLISH", channel, std::move(message)}, std::move(finish));
        return;
    }
    std::vector<std::string> args;
    args.reserve(4 + 3 * values.size());
    args.push_back(m_options.nodeId + "-" + number(std::uint64_t(Metrics::unixMs())) + "-" + randomHex(4));
    args.push_back(number(std::uint64_t(std::max(1, streamLength(m_options)))));
    args.push_back(channel);
    args.push_back(number(std::uint64_t(m_options.channelTtlMs)));
    for (size_t i = 0; i < values.size(); ++i) {
        args.push_back(batch.runs[i].stream ? number(batch.runs[i].count) : std::string());
        args.push_back(number(values[i].size()));
        args.push_back(std::move(values[i]));
    }
    script(batch.key, m_announceScript, {batch.key + ":h", batch.key + ":epoch"}, std::move(args), std::move(finish));
}

void RedisState::issue(SessionBatch batch)
{
    --m_inFlight;
    if (batch.inRx || !batch.writes.empty()) {
        std::vector<std::string> keys;
        for (const char *suffix : kSessionSuffixes)
            keys.push_back(batch.key + suffix);
        std::vector<std::string> args{m_options.nodeId};
        if (batch.inRx) {
            for (const char *word : {"4", "HSET", "1", "inRx"})
                args.emplace_back(word);
            args.push_back(number(*batch.inRx));
        }
        for (std::string &word : batch.writes)
            args.push_back(std::move(word));
        script(batch.key, m_sessionWriteScript, keys, args,
               [this, sid = batch.sid, dones = std::move(batch.inRxDones)](redisReply *reply) {
                   if (isFenced(reply) || isGone(reply)) {
                       // Never silent: the write did not happen, the client must not think it did.
                       TS_WARN("redis: session %s: write refused, %s; closing its connection here", qPrintable(sid),
                               isFenced(reply) ? "another node owns it now (stale owner)" : "it is gone from Redis");
                       if (const auto &handler = isFenced(reply) ? m_onTakeover : m_onGone)
                           handler(sid);
                   }
                   finishAll(dones, reply);
               });
    }
    if (batch.dones.empty())
        return;
    std::vector<std::string> args;
    args.reserve(4 + batch.owed.size() + 2 * batch.positions.size());
    args.push_back(m_options.nodeId);
    args.push_back(batch.ttl);
    args.push_back(batch.outSeq);
    args.push_back(number(batch.owed.size() / 2));
    for (std::string &owed : batch.owed)
        args.push_back(std::move(owed));
    for (auto &[ch, pos] : batch.positions) {
        args.push_back(ch);
        args.push_back(std::move(pos));
    }
    const std::string &key = batch.key;
    script(key, m_deliverScript, {key, key + ":out", key + ":pos"}, std::move(args),
           [this, sid = batch.sid, dones = std::move(batch.dones)](redisReply *reply) {
               if (isFenced(reply)) {
                   TS_INFO("redis: session %s belongs to another node now, letting go of it", qPrintable(sid));
                   if (m_onTakeover)
                       m_onTakeover(sid);
               }
               finishAll(dones, reply);
           });
}

void RedisState::acknowledged(const Session &s, std::uint64_t upTo)
{
    // By seq, not by count: idempotent, and right even if a write in between failed.
    fenced(s, {"ZREMRANGEBYSCORE", ":out", "-inf", number(upTo)});
}

void RedisState::subscriptionChanged(const Session &s, const QString &ch, bool subscribed)
{
    fenced(s, {subscribed ? "SADD" : "SREM", ":subs", ch.toStdString()});
    if (subscribed)
        fenced(s, {"PEXPIRE", ":subs", number(std::uint64_t(attachedTtl(m_options)))});
}

void RedisState::refreshAttached(const std::vector<const Session *> &attached)
{
    for (const Session *s : attached)
        expireSession(*s, attachedTtl(m_options));
}

void RedisState::loadSession(const QString &sid, const QString &user, LoadDone done)
{
    if (!isSid(sid)) {
        done(Loaded{});
        return;
    }
    // (The claim below is issued after the pending writes of a copy this node dropped:
    // script() sends the session's batch first.)
    const std::string key = sessionKey(sid);
    auto job = std::make_shared<LoadJob>();
    job->sid = sid;
    job->session->sid = sid;

    // The claim comes first, in the same pipeline as the reads: from it on the previous
    // owner's writes are refused (outboundQueued), so the reads below see everything it
    // wrote that will ever count, and nothing lands behind them. Another user's session
    // is not claimed (it will not be resumed here).
    // Not repeated after NOSCRIPT: a claim landing behind the reads would fence nothing.
    // The load reports unavailable instead, the client comes back (script loaded by then).
    script(key, m_claimScript, {key}, {user.toStdString(), m_options.nodeId}, [job](redisReply *reply) {
        if (replyIsNoScript(reply)) {
            job->unavailable = true;
            return;
        }
        if (!reply) {
            job->unavailable = true;
            return;
        }
        if (reply->type == REDIS_REPLY_ERROR) {   // e.g. `gen` is not a number
            job->reject(QStringLiteral("the claim failed: %1").arg(QString::fromUtf8(reply->str, qsizetype(std::min<size_t>(reply->len, 200)))));
            return;
        }
        std::string previous;
        long long generation = 0;
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && replyString(reply->element[0], previous)
            && previous.size() <= kMaxFieldText && replyInteger(reply->element[1], generation) && generation > 0) {
            job->claimed = true;
            job->previousOwner = text(previous);
            job->fence = std::uint64_t(generation);
        }
    }, false);

    send(key, {"HGETALL", key}, [job](redisReply *reply) {
        if (!reply) {
            job->unavailable = true;
            return;
        }
        if (reply->type != REDIS_REPLY_ARRAY) {
            job->reject(QStringLiteral("the session hash is not a hash"));
            return;
        }
        if (reply->elements == 0) {
            job->missing = true;
            return;
        }
        bool haveInRx = false, haveOutSeq = false, havePeer = false;
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            std::string field, value;
            if (!replyString(reply->element[i], field) || !replyString(reply->element[i + 1], value)
                || value.size() > kMaxFieldText) {
                job->reject(QStringLiteral("a field is not a short string"));
                return;
            }
            if (field == "user") {
                job->session->user = text(value);
            } else if (field == "peer") {
                job->session->peer = text(value);
                havePeer = !value.empty();
            } else if (field == "node") {
                job->owner = text(value);
            } else if (field == "inRx") {
                haveInRx = parseUnsigned(value, job->session->inRx);
            } else if (field == "outSeq") {
                haveOutSeq = parseUnsigned(value, job->outSeq);
            }
        }
        if (!haveInRx || !haveOutSeq || !havePeer)
            job->reject(QStringLiteral("inRx, outSeq or peer missing or not a number"));
    });
    // One more than the buffer may hold: a longer list was not written by a node.
    send(key, {"ZRANGE", key + ":out", "0", number(std::uint64_t(m_options.sessionBuffer))}, [this, job](redisReply *reply) {
        if (!reply) {
            job->unavailable = true;
            return;
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements > size_t(m_options.sessionBuffer)) {
            job->reject(QStringLiteral("the owed set is not a sorted set of at most --session-buffer entries"));
            return;
        }
        std::uint64_t last = 0;
        for (size_t i = 0; i < reply->elements; ++i) {
            const auto entry = decodeArray(reply->element[i], 4);
            if (!entry || !entry->at(0).isInteger() || entry->at(0).toInteger() <= 0 || !entry->at(1).isString()
                || entry->at(1).toString().isEmpty() || !entry->at(2).isString()) {
                job->reject(QStringLiteral("owed message %1 is malformed").arg(i));
                return;
            }
            const auto seq = std::uint64_t(entry->at(0).toInteger());
            if (seq <= last) {
                job->reject(QStringLiteral("owed messages out of order"));
                return;
            }
            last = seq;
            auto body = std::make_shared<Publication>();
            body->id = entry->at(1).toString();
            body->ch = entry->at(2).toString();
            body->d = entry->at(3);
            job->session->unacked.push_back(OutboundMessage{seq, std::move(body)});
        }
    });
    send(key, {"LRANGE", key + ":nacks", "0", number(kNackMemory)}, [job](redisReply *reply) {
        if (!reply) {
            job->unavailable = true;
            return;
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements > kNackMemory) {
            job->reject(QStringLiteral("the nack list is too long"));
            return;
        }
        for (size_t i = 0; i < reply->elements; ++i) {
            const auto entry = decodeArray(reply->element[i], 3);
            if (!entry || !entry->at(0).isInteger() || entry->at(0).toInteger() <= 0 || !entry->at(1).isString()
                || !entry->at(2).isString()) {
                job->reject(QStringLiteral("nack %1 is malformed").arg(i));
                return;
            }
            Nack nack;
            nack.seq = std::uint64_t(entry->at(0).toInteger());
            nack.err.code = entry->at(1).toString();
            nack.err.msg = entry->at(2).toString();
            job->session->nacks.push_back(std::move(nack));
        }
    });
    send(key, {"HGETALL", key + ":pos"}, [this, job](redisReply *reply) {
        if (!reply) {
            job->unavailable = true;
            return;
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements > 2 * size_t(m_options.maxChannels)) {
            job->reject(QStringLiteral("the positions are not a hash"));
            return;
        }
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            std::string ch, value;
            StreamPos pos;
            const auto space = replyString(reply->element[i + 1], value) ? value.find(' ') : std::string::npos;
            if (!replyString(reply->element[i], ch) || !ChannelRegistry::isValidName(text(ch)) || space == std::string::npos
                || value.size() > kMaxFieldText || !StreamPos::parseId(value.substr(0, space), pos)) {
                job->reject(QStringLiteral("position %1 is malformed").arg(i / 2));
                return;
            }
            pos.epoch = value.substr(space + 1);
            job->session->positions[text(ch)] = pos;
        }
    });
    // Replies of one shard arrive in order: this last one completes the job.
    send(key, {"SMEMBERS", key + ":subs"}, [this, job, done = std::move(done)](redisReply *reply) {
        Loaded loaded;
        if (!reply || job->unavailable) {
            loaded.outcome = Loaded::Outcome::Unavailable;
            done(std::move(loaded));
            return;
        }
        if (job->missing) {
            done(std::move(loaded));
            return;
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements > size_t(m_options.maxChannels))
            job->reject(QStringLiteral("the subscription set is not a set"));
        for (size_t i = 0; job->malformed.isEmpty() && i < reply->elements; ++i) {
            std::string ch;
            if (!replyString(reply->element[i], ch) || ch.size() > 800 || !ChannelRegistry::isValidName(text(ch)))
                job->reject(QStringLiteral("subscription %1 is not a channel name").arg(i));
            else
                job->session->channels.insert(text(ch));
        }
        Session &s = *job->session;
        if (job->malformed.isEmpty()) {
            if (!s.unacked.empty() && s.unacked.back().seq > job->outSeq)
                job->reject(QStringLiteral("an owed message is above outSeq"));
            if (!s.nacks.empty() && s.nacks.back().seq > s.inRx)
                job->reject(QStringLiteral("a nack is above inRx"));
        }
        if (!job->malformed.isEmpty()) {
            TS_ERROR("redis: session %s in %s is malformed (%s): not resumed, a new session is made",
                     qPrintable(job->sid), sessionKey(job->sid).c_str(), qPrintable(job->malformed));
            done(std::move(loaded));
            return;
        }
        s.outSeq = job->outSeq;
        s.fence = job->fence;
        s.durableSeq = job->outSeq;
        s.durableRx = s.inRx;
        loaded.outcome = Loaded::Outcome::Found;
        loaded.ownerNode = job->claimed ? job->previousOwner : job->owner;
        loaded.session = std::move(job->session);
        done(std::move(loaded));
    });
}

} // namespace TetherServer
