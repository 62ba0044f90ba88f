// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Hub, part 3: requests and the built-in methods (table in README.md).
//
// Every `req` gets exactly one `res`, on the connection that carried it; `sleep` answers
// from a timer that looks the connection up by id, so a request whose connection is gone
// is never answered on a later one (docs/protocol.md §5).
#include "hub.h"

#include "clock.h"
#include "log.h"

#include <QtCore/QCborArray>

#include <cmath>

namespace TetherServer {

using namespace Tether::Protocol;

namespace {

constexpr std::int64_t kMaxSleepMs = 60000;
constexpr std::int64_t kMaxPush = 100000;

// An unsigned integer parameter (CBOR integer, or a JSON number that is integral).
std::optional<std::int64_t> uintParam(const QCborValue &value, std::int64_t max)
{
    std::int64_t n = 0;
    if (value.isInteger()) {
        n = value.toInteger();
    } else if (value.isDouble()) {
        const double d = value.toDouble();
        if (!(d >= 0 && d <= double(max)) || std::floor(d) != d)
            return std::nullopt;
        n = std::int64_t(d);
    } else {
        return std::nullopt;
    }
    if (n < 0 || n > max)
        return std::nullopt;
    return n;
}

QString key(const char *name) { return QString::fromLatin1(name); }

} // namespace

void Hub::reply(Connection &c, std::uint64_t id, QCborValue result)
{
    Res res;
    res.id = id;
    res.result = std::move(result);
    send(c, res);
}

void Hub::replyError(Connection &c, std::uint64_t id, const QString &code, const QString &message,
                     std::optional<QCborValue> data)
{
    Res res;
    res.id = id;
    res.result = ErrorObject{code, message, std::move(data)};
    send(c, res);
}

QCborMap Hub::statsValue(std::int64_t nowMs) const
{
    Gauges g;
    g.connections = m_connections.size();
    g.sessions = m_sessions.size();
    g.sessionsDetached = m_sessions.detachedCount();
    g.channels = m_channels.size();
    return m_metrics.snapshot(g, nowMs);
}

bool Hub::answerFromStore(Connection &c, std::uint64_t requestId,
                          const std::function<bool(StateStore::Entries)> &read, const QCborValue *presenceOf)
{
    if (m_immediate)
        return false;
    const std::uint64_t connectionId = c.id();
    const std::optional<QCborValue> ch = presenceOf ? std::optional<QCborValue>(*presenceOf) : std::nullopt;
    return read([this, connectionId, requestId, ch](std::optional<QCborArray> entries) {
        Connection *conn = connectionById(connectionId);
        if (!conn || conn->closing() || !conn->session)
            return;   // like `sleep`: never answered on another connection
        if (!entries) {
            replyError(*conn, requestId, key("unavailable"), QStringLiteral("state store down, retry later"));
            return;
        }
        if (!ch) {
            reply(*conn, requestId, *entries);
            return;
        }
        QCborMap result;
        result.insert(key("ch"), *ch);
        result.insert(key("members"), *entries);
        reply(*conn, requestId, result);
    });
}

void Hub::onReq(Connection &c, Session &s, const Req &req)
{
    const QCborValue params = req.d.value_or(QCborValue(QCborValue::Null));
    const QCborMap map = params.isMap() ? params.toMap() : QCborMap();
    const auto badParams = [&](const QString &why) { replyError(c, req.id, key("bad_params"), why); };

    if (req.m == QLatin1StringView("echo")) {
        reply(c, req.id, params);
    } else if (req.m == QLatin1StringView("time")) {
        QCborMap result;
        result.insert(key("ms"), qint64(Metrics::unixMs()));
        reply(c, req.id, result);
    } else if (req.m == QLatin1StringView("sleep")) {
        const auto ms = params.isMap() ? uintParam(map.value(key("ms")), kMaxSleepMs) : std::nullopt;
        if (!ms) {
            badParams(QStringLiteral("sleep expects {\"ms\": 0..%1}").arg(kMaxSleepMs));
            return;
        }
        const std::uint64_t connectionId = c.id();
        const std::uint64_t requestId = req.id;
        const std::int64_t delay = *ms;
        m_timers.schedule(steadyNowMs() + delay, [this, connectionId, requestId, delay] {
            Connection *conn = connectionById(connectionId);
            if (!conn || conn->closing() || !conn->session)
                return;   // its connection is gone: never answered elsewhere
            QCborMap result;
            result.insert(key("ms"), qint64(delay));
            reply(*conn, requestId, result);
        });
    } else if (req.m == QLatin1StringView("fail")) {
        const QCborValue code = map.value(key("code"));
        const QCborValue msg = map.value(key("msg"));
        // Absent fields take defaults; present ones must be strings, or the caller's test is
        // not testing what it thinks it is.
        if ((map.contains(key("code")) && !code.isString()) || (map.contains(key("msg")) && !msg.isString())) {
            badParams(QStringLiteral("fail expects {\"code\"?: string, \"msg\"?: string, \"data\"?: any}"));
            return;
        }
        std::optional<QCborValue> data;
        if (map.contains(key("data")))
            data = map.value(key("data"));
        replyError(c, req.id, code.isString() ? code.toString() : QStringLiteral("failed"),
                   msg.isString() ? msg.toString() : QStringLiteral("requested failure"), data);
    } else if (req.m == QLatin1StringView("history")) {
        const QCborValue ch = map.value(key("ch"));
        if (!ch.isString() || !ChannelRegistry::isValidName(ch.toString())) {
            badParams(QStringLiteral("history expects {\"ch\": string, \"limit\"?: uint}"));
            return;
        }
        if (m_channels.subscribeAccess(ch.toString(), s.user) == Access::Forbidden) {
            replyError(c, req.id, key("forbidden"), QStringLiteral("no right to read '%1'").arg(ch.toString()));
            return;
        }
        std::int64_t limit = m_channels.historyLimit();
        if (map.contains(key("limit"))) {
            const auto given = uintParam(map.value(key("limit")), std::int64_t(1) << 53);
            if (!given) {
                badParams(QStringLiteral("history: 'limit' must be an unsigned integer"));
                return;
            }
            limit = std::min<std::int64_t>(*given, limit);
        }
        if (answerFromStore(c, req.id, [&](StateStore::Entries done) {
                return m_state->readHistory(ch.toString(), int(limit), std::move(done));
            }, nullptr))
            return;
        QCborArray entries;
        if (const Channel *channel = m_channels.find(ch.toString())) {
            const size_t count = std::min(size_t(limit), channel->history.size());
            for (size_t i = channel->history.size() - count; i < channel->history.size(); ++i)
                entries.append(historyValue(channel->history[i]));
        }
        reply(c, req.id, entries);
    } else if (req.m == QLatin1StringView("presence")) {
        const QCborValue ch = map.value(key("ch"));
        if (!ch.isString() || !ChannelRegistry::isValidName(ch.toString())) {
            badParams(QStringLiteral("presence expects {\"ch\": string}"));
            return;
        }
        if (m_channels.subscribeAccess(ch.toString(), s.user) == Access::Forbidden) {
            replyError(c, req.id, key("forbidden"), QStringLiteral("no right to read '%1'").arg(ch.toString()));
            return;
        }
        if (answerFromStore(c, req.id, [&](StateStore::Entries done) {
                return m_state->readPresence(ch.toString(), std::move(done));
            }, &ch))
            return;
        QCborArray members;
        if (const Channel *channel = m_channels.find(ch.toString())) {
            for (const Session *member : channel->subscribers) {
                QCborMap entry;
                entry.insert(key("peer"), member->peer);
                if (!member->user.isEmpty())
                    entry.insert(key("user"), member->user);
                members.append(entry);
            }
        }
        QCborMap result;
        result.insert(key("ch"), ch);
        result.insert(key("members"), members);
        reply(c, req.id, result);
    } else if (req.m == QLatin1StringView("stats")) {
        reply(c, req.id, statsValue(steadyNowMs()));
    } else if (req.m == QLatin1StringView("push")) {
        const auto count = uintParam(map.value(key("count")), kMaxPush);
        const QCborValue ch = map.value(key("ch"));
        const QCborValue reliable = map.value(key("reliable"));
        if (!count || *count < 1 || (!ch.isUndefined() && !(ch.isString() && ChannelRegistry::isValidName(ch.toString())))
            || (!reliable.isUndefined() && !reliable.isBool())) {
            badParams(QStringLiteral("push expects {\"count\": 1..%1, \"ch\"?: string, \"d\"?: any, \"reliable\"?: bool}")
                          .arg(kMaxPush));
            return;
        }
        const bool isReliable = reliable.isUndefined() || reliable.toBool();
        const bool fixedPayload = map.contains(key("d"));
        PublicationPtr shared;
        if (fixedPayload) {
            auto body = std::make_shared<Publication>();
            body->ch = ch.isString() ? ch.toString() : QString();
            body->d = map.value(key("d"));
            shared = body;
        }
        for (std::int64_t i = 1; i <= *count && !s.overflowed && !c.closing(); ++i) {
            auto body = std::make_shared<Publication>();
            body->id = nextServerId();
            body->ch = ch.isString() ? ch.toString() : QString();
            if (fixedPayload) {
                body->d = shared->d;
            } else {
                QCborMap d;
                d.insert(key("n"), qint64(i));
                body->d = d;
            }
            if (isReliable)
                deliverReliable(s, body);
            else
                sendMessage(c, std::nullopt, *body);
        }
        if (!s.overflowed && !c.closing()) {
            QCborMap result;
            result.insert(key("count"), qint64(*count));
            reply(c, req.id, result);
        }
    } else {
        replyError(c, req.id, key("unknown_method"), QStringLiteral("unknown method '%1'").arg(req.m.left(100)));
    }
}

} // namespace TetherServer
