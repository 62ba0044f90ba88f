// Hub, part 2: channels — sub/unsub, fan-out, presence, history, the metrics publisher.
#include "hub.h"

#include "clock.h"
#include "log.h"

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
    Channel *channel = m_channels.findOrCreate(sub.ch);
    if (!channel) {
        replyError(c, sub.id, QStringLiteral("too_many_channels"), QStringLiteral("the server holds too many channels"));
        return;
    }
    const bool joined = m_channels.subscribe(*channel, s);
    if (s.channels.insert(sub.ch).second && !m_immediate)
        m_state->subscriptionChanged(s, sub.ch, true);
    reply(c, sub.id, channelResult(sub.ch));
    if (joined)
        publishPresence(*channel, s, true);
}

void Hub::onUnsub(Connection &c, Session &s, const Unsub &unsub)
{
    if (!ChannelRegistry::isValidName(unsub.ch)) {
        replyError(c, unsub.id, QStringLiteral("bad_channel"), QStringLiteral("channel name must be 1..200 characters"));
        return;
    }
    if (s.channels.erase(unsub.ch) && !m_immediate)
        m_state->subscriptionChanged(s, unsub.ch, false);
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
    Channel *channel = reliable && m_channels.historyLimit() > 0 ? m_channels.findOrCreate(name)
                                                                 : m_channels.find(name);
    if (!channel && m_immediate)
        return;   // in Redis mode other nodes may have subscribers

    auto body = std::make_shared<Publication>();
    body->id = msg.id && !msg.id->isEmpty() ? *msg.id : (reliable ? nextServerId() : QString());
    body->ch = name;
    body->d = msg.d;
    const QString fromPeer = publisher ? publisher->peer : QString();
    if (reliable && channel) {
        HistoryEntry entry{body, Metrics::unixMs(), fromPeer};
        if (!m_immediate && m_channels.historyLimit() > 0) {
            // The publisher's ack waits for the stream entry too (AckLatch).
            std::shared_ptr<AckLatch> latch = m_ackLatch;
            m_state->remembered(name, entry, [latch](bool durable) {
                if (latch && !durable)
                    latch->durable = false;
            });
        }
        m_channels.remember(*channel, std::move(entry));
    }
    if (!m_immediate)
        m_state->broadcast(name, fromPeer, *body, reliable);
    if (!channel)
        return;

    for (Session *subscriber : channel->subscribers) {
        if (subscriber == publisher)
            continue;   // never echoed to its sender (PROTOCOL.md §6)
        if (reliable) {
            deliverReliable(*subscriber, body);
        } else if (Connection *c = subscriber->connection; c && c->phase == Connection::Phase::Open) {
            sendMessage(*c, std::nullopt, *body);
        }
    }
    m_channels.collect(*channel);
}

void Hub::onRemotePublication(const QString &ch, const QString &fromPeer, const PublicationPtr &body, bool reliable)
{
    Channel *channel = m_channels.find(ch);
    if (!channel)
        return;
    for (Session *subscriber : channel->subscribers) {
        if (subscriber->peer == fromPeer)
            continue;
        if (reliable) {
            deliverReliable(*subscriber, body);
        } else if (Connection *c = subscriber->connection; c && c->phase == Connection::Phase::Open) {
            sendMessage(*c, std::nullopt, *body);
        }
    }
    dropOverflowed();
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
        m_state->presenceChanged(channel.name, subject, joined);
        m_state->broadcast(channel.name, subject.peer, *body, true);
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
