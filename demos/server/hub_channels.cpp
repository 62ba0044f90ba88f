// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Hub, part 2: channels — sub/unsub, fan-out, presence, history, the metrics publisher.
#include "hub.h"

#include "clock.h"
#include "log.h"

#include <algorithm>
#include <map>

namespace TetherServer {

using namespace Tether::Protocol;

namespace {
QCborMap channelResult(const QString &ch)
{
    QCborMap result;
    result.insert(QStringLiteral("ch"), ch);
    return result;
}
} // namespace

void Hub::onSub(Connection &c, Session &s, const Sub &sub)
{
    switch (m_channels.subscribeAccess(sub.ch, s.user)) {
    case Access::BadName:
        replyError(c, sub.id, QStringLiteral("bad_channel"), QStringLiteral("channel name must be 1..200 characters"));
        return;
    case Access::Forbidden:
        replyError(c, sub.id, QStringLiteral("forbidden"), QStringLiteral("no right to subscribe to '%1'").arg(sub.ch));
        return;
    case Access::Allowed:
    case Access::ReadOnly:
        break;
    }
    if (m_options.maxSubscriptions > 0 && s.channels.size() >= size_t(m_options.maxSubscriptions)
        && !s.channels.count(sub.ch)) {
        replyError(c, sub.id, QStringLiteral("too_many_subscriptions"),
                   QStringLiteral("at most %1 channels per session").arg(m_options.maxSubscriptions));
        return;
    }
    Channel *channel = m_channels.findOrCreate(sub.ch);
    if (!channel) {
        replyError(c, sub.id, QStringLiteral("too_many_channels"), QStringLiteral("the server holds too many channels"));
        return;
    }
    const bool joined = m_channels.subscribe(*channel, s);
    const bool added = s.channels.insert(sub.ch).second;
    if (m_immediate) {
        reply(c, sub.id, channelResult(sub.ch));
        if (joined)
            publishPresence(*channel, s, true);
        return;
    }
    if (added)
        m_state->subscriptionChanged(s, sub.ch, true);
    if (joined)
        s.pendingChannels.insert(sub.ch);
    // The res says "from now on you get the publications": sent once the node's pub/sub
    // subscription is confirmed and the session's stream position is known (a resume
    // recovers what comes after it).
    const std::uint64_t connectionId = c.id();
    const std::uint64_t requestId = sub.id;
    const QString ch = sub.ch;
    const QString sid = s.sid;
    // Stream entries are told apart by position (any after the tail read is delivered,
    // once); the rest by the barrier: what was announced before it is not for this sub.
    m_state->whenFollowing(ch, [this, connectionId, requestId, ch, sid, joined] {
        // Not followed yet (pub/sub down): what comes after the tail until it is is read
        // from the stream (catchUp), by the gap handler or below.
        const bool live = m_state->following(ch);
        m_state->readTail(ch, [this, connectionId, requestId, ch, sid, joined, live](std::optional<StreamPos> tail) {
            m_state->barrier(ch, [this, connectionId, requestId, ch, sid, joined, tail, live] {
                Session *session = m_sessions.find(sid);
                if (!session || !session->channels.count(ch))
                    return;
                session->pendingChannels.erase(ch);
                if (tail && !session->positions.count(ch)) {
                    session->positions[ch] = *tail;
                    m_state->positionAdvanced(*session, ch, *tail);
                    if (!live)
                        catchUp(ch, sid);
                }
                if (Connection *conn = connectionById(connectionId); conn && conn->session == session)
                    reply(*conn, requestId, channelResult(ch));
                if (joined) {
                    if (Channel *channel = m_channels.find(ch))
                        publishPresence(*channel, *session, true);
                }
            });
        });
    });
}

void Hub::onUnsub(Connection &c, Session &s, const Unsub &unsub)
{
    if (!ChannelRegistry::isValidName(unsub.ch)) {
        replyError(c, unsub.id, QStringLiteral("bad_channel"), QStringLiteral("channel name must be 1..200 characters"));
        return;
    }
    if (s.channels.erase(unsub.ch) && !m_immediate) {
        m_state->subscriptionChanged(s, unsub.ch, false);
        if (s.positions.erase(unsub.ch))
            m_state->positionDropped(s, unsub.ch);
        s.pendingChannels.erase(unsub.ch);
    }
    reply(c, unsub.id, channelResult(unsub.ch));
    if (Channel *channel = m_channels.find(unsub.ch)) {
        if (m_channels.unsubscribe(*channel, s))
            publishPresence(*channel, s, false);
        m_channels.collect(*channel);
    }
}

void Hub::leaveAllChannels(Session &s)
{
    const std::set<QString> names = std::move(s.channels);
    s.channels.clear();
    for (const QString &name : names) {
        if (Channel *channel = m_channels.find(name)) {
            if (m_channels.unsubscribe(*channel, s))
                publishPresence(*channel, s, false);
            m_channels.collect(*channel);
        }
    }
}

void Hub::publish(Session *publisher, const Msg &msg, bool reliable)
{
    const QString &name = *msg.ch;
    if (!reliable && m_channels.publishAccess(name, publisher ? publisher->user : QString()) != Access::Allowed)
        return;   // at-most-once: dropped silently (reliable ones were checked and nacked by onMsg)
    if (!m_immediate) {
        // Every node, this one included, delivers it from the fan-out (state.h, announce).
        auto body = std::make_shared<Publication>();
        body->id = msg.id && !msg.id->isEmpty() ? *msg.id : (reliable ? nextServerId() : QString());
        body->ch = name;
        body->d = msg.d;
        const QString fromPeer = publisher ? publisher->peer : QString();
        const HistoryEntry entry{body, Metrics::unixMs(), fromPeer};
        // The publisher's ack waits for the stream entry too (AckLatch), and so does its
        // stored inRx when the channel is on another shard (Session::publicationsLanding).
        std::shared_ptr<AckLatch> latch = m_ackLatch;
        const bool gated = publisher && reliable && !m_state->writesOrdered(publisher->sid, name);
        if (gated)
            publisher->publicationsLanding.emplace_back(publisher->inRx, Session::Landing::Pending);
        m_state->announce(name, fromPeer, *body, reliable, reliable && m_channels.historyLimit() > 0 ? &entry : nullptr,
                          [this, latch, gated, sid = publisher ? publisher->sid : QString(),
                           seq = publisher ? publisher->inRx : 0](bool durable) {
                              if (latch && !durable)
                                  latch->durable = false;
                              if (gated)
                                  publicationLanded(sid, seq, durable);
                          });
        return;
    }
    Channel *channel = reliable && m_channels.historyLimit() > 0 ? m_channels.findOrCreate(name)
                                                                 : m_channels.find(name);
    if (!channel)
        return;

    auto body = std::make_shared<Publication>();
    body->id = msg.id && !msg.id->isEmpty() ? *msg.id : (reliable ? nextServerId() : QString());
    body->ch = name;
    body->d = msg.d;
    if (reliable)
        m_channels.remember(*channel, HistoryEntry{body, Metrics::unixMs(), publisher ? publisher->peer : QString()});

    for (Session *subscriber : channel->subscribers) {
        if (subscriber == publisher)
            continue;   // never echoed to its sender (docs/protocol.md §6)
        if (reliable) {
            deliverReliable(*subscriber, body);
        } else if (Connection *c = subscriber->connection; c && c->phase == Connection::Phase::Open) {
            sendMessage(*c, std::nullopt, *body);
        }
    }
    m_channels.collect(*channel);
}

void Hub::onRemotePublication(const QString &ch, const QString &fromPeer, const PublicationPtr &body, bool reliable,
                              const std::optional<StreamPos> &pos)
{
    Channel *channel = m_channels.find(ch);
    TS_DEBUG("fan-out on %s: id %s from %s, %s, %zu local subscribers", qPrintable(ch), qPrintable(body->id),
             qPrintable(fromPeer), reliable ? "reliable" : "at-most-once", channel ? channel->subscribers.size() : 0);
    if (!channel)
        return;
    for (Session *subscriber : channel->subscribers) {
        if (subscriber->peer == fromPeer)
            continue;   // never echoed to its sender
        if (!pos && !subscriber->pendingChannels.empty() && subscriber->pendingChannels.count(ch))
            continue;   // announced before this session's sub (Hub::onSub)
        if (!reliable) {
            if (Connection *c = subscriber->connection; c && c->phase == Connection::Phase::Open)
                sendMessage(*c, std::nullopt, *body);
            continue;
        }
        if (pos && subscriber->holding()) {
            subscriber->backlog.push_back(Session::Held{ch, *pos, body});
            continue;
        }
        if (pos && !advancePosition(*subscriber, ch, *pos))
            continue;   // delivered already (by the recovery read)
        deliverReliable(*subscriber, body, pos ? &*pos : nullptr);
    }
    dropOverflowed();
}

void Hub::catchUp(const QString &ch, const QString &onlySid)
{
    Channel *channel = m_channels.find(ch);
    if (!channel)
        return;
    // One read per distinct position: a node's subscribers of a channel are mostly at the
    // same entry. Each session then takes what comes after its own position.
    using Copies = std::vector<std::pair<QString, std::uint64_t>>;   // sid, Session::copy
    std::map<std::pair<std::string, std::string>, std::pair<StreamPos, Copies>> byPosition;
    for (Session *s : channel->subscribers) {
        if (!onlySid.isEmpty() && s->sid != onlySid)
            continue;
        const auto at = s->positions.find(ch);
        if (at == s->positions.end())
            continue;   // its `sub` is being answered: onSub catches it up from the tail it reads
        auto &group = byPosition[{at->second.id(), at->second.epoch}];
        group.first = at->second;
        group.second.emplace_back(s->sid, s->copy);
        ++s->catchingUp;
    }
    if (byPosition.empty())
        return;
    TS_INFO("channel %s: fan-out to this node was interrupted, reading what was published meanwhile (%zu position(s))",
            qPrintable(ch), byPosition.size());
    const int limit = std::max(1, streamLength(m_options));
    for (auto &entry : byPosition) {
        auto &[from, sids] = entry.second;
        m_state->readSince(ch, from, limit, [this, ch, sids = std::move(sids)](StateStore::Recovered recovered) {
            for (const auto &[sid, copy] : sids) {
                Session *s = m_sessions.find(sid, copy);
                if (!s)
                    continue;   // dropped meanwhile (a copy loaded since waits for its own reads)
                --s->catchingUp;
                if (recovered.failed) {
                    evictSession(sid);   // unknown what it missed: it comes back and resumes
                    continue;
                }
                if (recovered.lost) {
                    loseHistory(*s, ch);
                    continue;
                }
                for (const auto &[pos, missed] : recovered.entries) {
                    if (missed.peer == s->peer)
                        continue;   // its own publication
                    auto body = std::make_shared<Publication>(*missed.body);
                    body->ch = ch;
                    s->backlog.push_back(Session::Held{ch, pos, std::move(body)});
                }
                if (!s->holding())
                    drainBacklog(*s);
            }
            dropOverflowed();
        });
    }
}

bool Hub::advancePosition(Session &s, const QString &ch, const StreamPos &pos)
{
    // Live fan-out and recovery after a resume may both bring an entry: the position says
    // which were delivered already.
    StreamPos &at = s.positions[ch];
    if (at.epoch == pos.epoch && !at.before(pos))
        return false;
    at = pos;
    return true;
}

void Hub::publishPresence(Channel &channel, Session &subject, bool joined)
{
    if (m_shuttingDown || (channel.subscribers.empty() && m_immediate))
        return;   // in Redis mode other nodes may have subscribers
    QCborMap d;
    d.insert(QStringLiteral("presence"), joined ? QStringLiteral("join") : QStringLiteral("leave"));
    d.insert(QStringLiteral("peer"), subject.peer);
    if (!subject.user.isEmpty())
        d.insert(QStringLiteral("user"), subject.user);
    auto body = std::make_shared<Publication>();
    body->id = nextServerId();
    body->ch = channel.name;
    body->d = d;
    if (!m_immediate) {
        m_state->presenceChanged(channel.name, subject,
                                 joined ? StateStore::Presence::Join : StateStore::Presence::Leave, body.get());
        return;
    }
    for (Session *subscriber : channel.subscribers) {
        if (subscriber != &subject)
            deliverReliable(*subscriber, body);
    }
}

void Hub::publishMetrics()
{
    const QString name = QStringLiteral("metrics");
    Channel *channel = m_channels.findOrCreate(name);
    if (!channel)
        return;
    auto body = std::make_shared<Publication>();
    body->id = nextServerId();
    body->ch = name;
    body->d = statsValue(steadyNowMs());
    m_channels.remember(*channel, HistoryEntry{body, Metrics::unixMs(), QString()});
    for (Session *subscriber : channel->subscribers) {
        if (Connection *c = subscriber->connection; c && c->phase == Connection::Phase::Open)
            sendMessage(*c, std::nullopt, *body);
    }
}

} // namespace TetherServer
