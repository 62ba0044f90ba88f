// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "chat_session.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QDateTime>
#include <QtCore/QMetaEnum>

namespace Chat {

namespace {

constexpr int kHistoryLimit = 50;
constexpr int kTickMs = 250;
constexpr auto kTypingTtl = std::chrono::milliseconds(3000);

QString field(const QCborMap &map, const char *key)
{
    return map.value(QLatin1StringView(key)).toString();
}

QString describe(const Tether::Error &error)
{
    return error.serverCode().isEmpty() ? error.message()
                                        : QStringLiteral("%1 (%2)").arg(error.message(), error.serverCode());
}

} // namespace

ChatSession::ChatSession(QObject *parent) : QObject(parent)
{
    m_clock.start();
    m_ticker.setInterval(kTickMs);
    connect(&m_ticker, &QTimer::timeout, this, &ChatSession::tick);
}

ChatSession::~ChatSession() = default;

QStringList ChatSession::rooms() const
{
    QStringList names;
    for (const auto &[name, room] : m_rooms)
        names.append(name);
    return names;
}

void ChatSession::signIn(const Settings &settings)
{
    signOut();
    m_settings = settings;
    m_welcomed = false;
    m_lastError.clear();

    Tether::ClientOptions options;
    // A chat wants people back quickly: cap the backoff at 8 s instead of 30 s.
    options.backoff.maxDelay = std::chrono::milliseconds(8000);
    options.backoff.initialJitter = std::chrono::milliseconds(300);
    if (!settings.token.isEmpty()) {
        const QString token = settings.token;
        options.tokenProvider = [token](Tether::TokenReason, const Tether::TokenReply &reply) {
            reply(token, {});
        };
    }
    options.storage = settings.storePath;
    m_client = std::make_unique<Tether::Client>(settings.url, options);
    connectClient();
    m_restored = m_client->queuedMessages();
    m_ticker.start();
    m_client->open();
    // The rooms of what an earlier run left queued: their messages must be seen.
    QStringList restoredRooms;
    for (const Tether::Message &m : std::as_const(m_restored)) {
        if (!m.channel().isEmpty() && !restoredRooms.contains(m.channel()))
            restoredRooms.append(m.channel());
    }
    for (const QString &room : std::as_const(restoredRooms))
        joinRoom(room);
    Q_EMIT connectionChanged();
}

void ChatSession::showRestored(const QString &room)
{
    RoomModel *m = model(room);
    if (!m)
        return;
    int shown = 0;
    for (auto it = m_restored.begin(); it != m_restored.end();) {
        if (it->channel() != room) {
            ++it;
            continue;
        }
        const QCborMap payload = it->payload().toMap();
        if (field(payload, "type") == u"chat") {
            Entry e = entryFromPayload(it->id(), payload, QDateTime::currentMSecsSinceEpoch());
            e.own = true;
            e.tick = Tick::Queued;
            m->append(e);
            m_ownRoomOf.insert(it->id(), room);
            ++shown;
        }
        it = m_restored.erase(it);
    }
    if (shown > 0)
        m->addNotice(shown == 1 ? tr("1 message you wrote before the chat closed, sent now")
                                : tr("%1 messages you wrote before the chat closed, sent now").arg(shown));
}

void ChatSession::signOut()
{
    if (!m_client)
        return;
    for (const auto &[name, room] : m_rooms)
        announce(name, QStringLiteral("bye"));
    m_client->close();  // signing out ends the session: queued messages are dropped, also from the store
    m_client.reset();
    m_restored.clear();
    m_rooms.clear();
    m_ownRoomOf.clear();
    m_ticker.stop();
    m_reconnectAt = -1;
    Q_EMIT roomsChanged();
    Q_EMIT connectionChanged();
}

void ChatSession::connectClient()
{
    Tether::Client *c = m_client.get();
    connect(c, &Tether::Client::connected, this, &ChatSession::onConnected);
    connect(c, &Tether::Client::sessionLost, this, &ChatSession::onSessionLost);
    connect(c, &Tether::Client::messageReceived, this, &ChatSession::onMessage);
    connect(c, &Tether::Client::stateChanged, this, [this](Tether::State state) {
        if (state != Tether::State::Connected)
            clearTyping();  // offline, nobody's typing can reach us: don't show stale news
        Q_EMIT connectionChanged();
    });
    connect(c, &Tether::Client::queueDepthChanged, this, [this] { Q_EMIT connectionChanged(); });
    connect(c, &Tether::Client::reconnecting, this, [this](int, std::chrono::milliseconds delay) {
        m_reconnectAt = now() + delay.count();
        Q_EMIT connectionChanged();
    });
    connect(c, &Tether::Client::errorOccurred, this, [this](const Tether::Error &error) {
        m_lastError = describe(error);
        Q_EMIT connectionChanged();
    });
    connect(c, &Tether::Client::failed, this, [this](const Tether::Error &error) {
        m_lastError = describe(error);
        if (!m_welcomed)
            Q_EMIT signInFailed(m_lastError);
        Q_EMIT connectionChanged();
    });
    connect(c, &Tether::Client::messageStatusChanged, this, [this](const QString &id, Tether::MessageStatus status) {
        if (status != Tether::MessageStatus::Queued && status != Tether::MessageStatus::Written)
            return;  // outcomes below carry their reason
        const Tick tick = status == Tether::MessageStatus::Written ? Tick::Sent : Tick::Queued;
        if (m_sending && !m_ownRoomOf.contains(id))
            m_earlyTicks.insert(id, tick);
        else
            setTick(id, tick);
    });
    connect(c, &Tether::Client::delivered, this, [this](const QString &id) { setTick(id, Tick::Delivered); });
    connect(c, &Tether::Client::rejected, this, [this](const QString &id, const Tether::Error &error) {
        setTick(id, Tick::Rejected, describe(error));
    });
    connect(c, &Tether::Client::dropped, this, [this](const QString &id, Tether::DropReason reason) {
        setTick(id, Tick::Dropped, QString::fromLatin1(
            QMetaEnum::fromType<Tether::DropReason>().valueToKey(int(reason))).toLower());
    });
}

void ChatSession::onConnected(bool)
{
    m_reconnectAt = -1;
    m_lastError.clear();
    for (const auto &[name, room] : m_rooms)
        startRollCall(name);
    if (!m_welcomed) {
        m_welcomed = true;
        Q_EMIT signedIn();
    }
    Q_EMIT connectionChanged();
}

void ChatSession::onSessionLost()
{
    // The server forgot us while we were away: what was published meanwhile did not reach
    // us. Mark the gap, then fill it from the rooms' history.
    for (auto &[name, room] : m_rooms) {
        const QString gap = room.model->markGap(
            tr("Connection lost for a while — fetching the messages you missed…"));
        fetchHistory(name, gap);
    }
}

void ChatSession::joinRoom(const QString &room)
{
    if (!m_client || room.trimmed().isEmpty() || isJoined(room))
        return;
    Room &r = m_rooms[room];
    r.model = std::make_unique<RoomModel>(room);
    r.members.insert(m_settings.user, now());
    Tether::Reply *reply = m_client->subscribe(room);
    reply->setAutoDelete(true);
    connect(reply, &Tether::Reply::finished, this, [this, reply, room] {
        if (reply->error().isError() && reply->error().code() != Tether::Error::ClientClosed) {
            if (RoomModel *m = model(room))
                m->addNotice(tr("Could not join %1: %2").arg(room, describe(reply->error())));
        }
    });
    showRestored(room);
    fetchHistory(room);
    if (state() == Tether::State::Connected)
        startRollCall(room);
    Q_EMIT roomsChanged();
    Q_EMIT membersChanged(room);
}

void ChatSession::leaveRoom(const QString &room)
{
    if (!m_client || !isJoined(room))
        return;
    announce(room, QStringLiteral("bye"));
    if (Tether::Reply *reply = m_client->unsubscribe(room))
        reply->setAutoDelete(true);
    for (auto it = m_ownRoomOf.begin(); it != m_ownRoomOf.end();) {
        it = it.value() == room ? m_ownRoomOf.erase(it) : std::next(it);
    }
    m_rooms.erase(room);
    Q_EMIT roomsChanged();
}

RoomModel *ChatSession::model(const QString &room) const
{
    const auto it = m_rooms.find(room);
    return it == m_rooms.end() ? nullptr : it->second.model.get();
}

QStringList ChatSession::members(const QString &room) const
{
    const auto it = m_rooms.find(room);
    return it == m_rooms.end() ? QStringList() : it->second.members.keys();
}

QStringList ChatSession::typingUsers(const QString &room) const
{
    const auto it = m_rooms.find(room);
    return it == m_rooms.end() ? QStringList() : it->second.typing.keys();
}

int ChatSession::unread(const QString &room) const
{
    const auto it = m_rooms.find(room);
    return it == m_rooms.end() ? 0 : it->second.unread;
}

void ChatSession::markRead(const QString &room)
{
    const auto it = m_rooms.find(room);
    if (it == m_rooms.end() || it->second.unread == 0)
        return;
    it->second.unread = 0;
    Q_EMIT unreadChanged(room);
}

void ChatSession::fetchHistory(const QString &room, const QString &gapId)
{
    Tether::RequestOptions options;
    options.retryable = true;  // reading history is idempotent: survive a cut
    const QCborMap params{{QStringLiteral("ch"), room}, {QStringLiteral("limit"), kHistoryLimit}};
    Tether::Reply *reply = m_client->request(QStringLiteral("history"), QCborValue(params), options);
    reply->setAutoDelete(true);
    connect(reply, &Tether::Reply::finished, this, [this, reply, room, gapId] {
        RoomModel *m = model(room);
        if (!m)
            return;  // left meanwhile
        if (reply->error().isError()) {
            if (!gapId.isEmpty())
                m->setGapText(gapId, tr("Connection lost for a while — some messages may be missing "
                                        "(history unavailable: %1)").arg(describe(reply->error())));
            return;
        }
        QList<Entry> entries;
        const QCborArray items = reply->result().toArray();
        for (const QCborValue &item : items) {
            const QCborMap record = item.toMap();
            const QCborMap payload = record.value(QStringLiteral("d")).toMap();
            if (field(payload, "type") != u"chat")
                continue;
            Entry e = entryFromPayload(field(record, "id"), payload,
                                       record.value(QStringLiteral("ts")).toInteger());
            if (e.own)
                e.tick = Tick::Delivered;  // in the history: the server has it
            entries.append(e);
        }
        const int added = m->merge(entries);
        if (!gapId.isEmpty()) {
            m->setGapText(gapId, added == 0 ? tr("Connection lost for a while — no messages were missed")
                                 : added == 1 ? tr("Connection lost for a while — 1 missed message recovered above")
                                 : tr("Connection lost for a while — %1 missed messages recovered above").arg(added));
        }
        Q_EMIT historyLoaded(room, added);
    });
}

Entry ChatSession::entryFromPayload(const QString &id, const QCborMap &payload, qint64 fallbackTs) const
{
    Entry e;
    e.id = id;
    e.user = field(payload, "user");
    e.text = field(payload, "text");
    const QCborValue ts = payload.value(QStringLiteral("ts"));
    e.ts = ts.isInteger() ? ts.toInteger() : fallbackTs;
    e.own = e.user == m_settings.user;
    return e;
}

void ChatSession::onMessage(const Tether::Message &message)
{
    const QString roomName = message.channel();
    const auto it = m_rooms.find(roomName);
    if (it == m_rooms.end())
        return;
    Room &room = it->second;
    const QCborMap payload = message.payload().toMap();
    if (payload.contains(QStringLiteral("presence"))) {
        onPresenceEvent(roomName, field(payload, "presence"));
        return;
    }
    const QString type = field(payload, "type");
    const QString user = field(payload, "user");
    if (user.isEmpty() || user == m_settings.user)
        return;  // not ours to show: we know what we sent
    const bool wasMember = room.members.contains(user);
    room.members.insert(user, now());
    bool typingChanged = false;

    if (type == u"chat") {
        typingChanged = room.typing.remove(user) > 0;
        if (room.model->append(entryFromPayload(message.id(), payload,
                                                QDateTime::currentMSecsSinceEpoch()))) {
            ++room.unread;
            Q_EMIT unreadChanged(roomName);
            Q_EMIT messageArrived(roomName);
        }
    } else if (type == u"typing") {
        room.typing.insert(user, now() + kTypingShownMs);
        typingChanged = true;
    } else if (type == u"rollcall") {
        announce(roomName, QStringLiteral("here"));
    } else if (type == u"bye") {
        room.members.remove(user);
        typingChanged = room.typing.remove(user) > 0;
        Q_EMIT membersChanged(roomName);
    }
    if (!wasMember && type != u"bye")
        Q_EMIT membersChanged(roomName);
    if (typingChanged)
        Q_EMIT this->typingChanged(roomName);
}

void ChatSession::onPresenceEvent(const QString &room, const QString &event)
{
    // Someone's connection left (or was forgotten): ask who is still here. A join needs
    // nothing: the newcomer runs its own roll call.
    if (event == u"leave")
        startRollCall(room);
}

void ChatSession::announce(const QString &room, const QString &type)
{
    if (!m_client || state() != Tether::State::Connected)
        return;  // presence chatter is worthless later: never queue it
    Tether::SendOptions options;
    options.channel = room;
    options.delivery = Tether::Delivery::AtMostOnce;
    options.coalescingKey = type + u':' + room;
    m_client->send(QCborMap{{QStringLiteral("type"), type}, {QStringLiteral("user"), m_settings.user}},
                   options);
}

void ChatSession::startRollCall(const QString &room)
{
    const auto it = m_rooms.find(room);
    if (it == m_rooms.end() || state() != Tether::State::Connected)
        return;
    it->second.rollCallStarted = now();
    it->second.members.insert(m_settings.user, now());
    announce(room, QStringLiteral("rollcall"));
}

void ChatSession::clearTyping()
{
    for (auto &[name, room] : m_rooms) {
        if (!room.typing.isEmpty()) {
            room.typing.clear();
            Q_EMIT typingChanged(name);
        }
    }
}

void ChatSession::tick()
{
    const qint64 t = now();
    for (auto &[name, room] : m_rooms) {
        bool typingChanged = false;
        for (auto it = room.typing.begin(); it != room.typing.end();) {
            if (it.value() <= t) {
                it = room.typing.erase(it);
                typingChanged = true;
            } else {
                ++it;
            }
        }
        if (typingChanged)
            Q_EMIT this->typingChanged(name);
        if (room.rollCallStarted >= 0 && t - room.rollCallStarted >= kRollCallMs) {
            bool membersChanged = false;
            for (auto it = room.members.begin(); it != room.members.end();) {
                if (it.key() != m_settings.user && it.value() < room.rollCallStarted) {
                    it = room.members.erase(it);
                    membersChanged = true;
                } else {
                    ++it;
                }
            }
            room.rollCallStarted = -1;
            if (membersChanged)
                Q_EMIT this->membersChanged(name);
        }
    }
    if (state() == Tether::State::Reconnecting)
        Q_EMIT connectionChanged();  // the countdown moves
}

QString ChatSession::sendText(const QString &room, const QString &text)
{
    RoomModel *m = model(room);
    if (!m || text.trimmed().isEmpty())
        return {};
    const qint64 ts = QDateTime::currentMSecsSinceEpoch();
    const QCborMap payload{{QStringLiteral("type"), QStringLiteral("chat")},
                           {QStringLiteral("user"), m_settings.user},
                           {QStringLiteral("text"), text.trimmed()},
                           {QStringLiteral("ts"), ts}};
    Tether::SendOptions options;
    options.channel = room;
    m_sending = true;
    m_earlyTicks.clear();
    const Tether::SendResult result = m_client->send(QCborValue(payload), options);
    m_sending = false;
    Entry e = entryFromPayload(result.id(), payload, ts);
    e.own = true;
    if (!result.isOk()) {
        e.id = QStringLiteral("local:%1").arg(ts);
        e.tick = Tick::Rejected;
        e.detail = describe(result.error());
        m->append(e);
        return {};
    }
    e.tick = m_earlyTicks.value(result.id(), Tick::Queued);
    m_earlyTicks.clear();
    m->append(e);
    m_ownRoomOf.insert(result.id(), room);
    if (auto it = m_rooms.find(room); it != m_rooms.end())
        it->second.lastTypingSent = -1;  // the next keystroke is news again
    return result.id();
}

void ChatSession::userTyping(const QString &room)
{
    const auto it = m_rooms.find(room);
    if (it == m_rooms.end() || state() != Tether::State::Connected)
        return;
    Room &r = it->second;
    if (r.lastTypingSent >= 0 && now() - r.lastTypingSent < kTypingIntervalMs)
        return;
    r.lastTypingSent = now();
    Tether::SendOptions options;
    options.channel = room;
    options.delivery = Tether::Delivery::AtMostOnce;
    options.coalescingKey = QStringLiteral("typing:") + room;  // only the latest matters
    options.ttl = kTypingTtl;                                   // stale typing is noise
    m_client->send(QCborMap{{QStringLiteral("type"), QStringLiteral("typing")},
                            {QStringLiteral("user"), m_settings.user}},
                   options);
}

void ChatSession::setTick(const QString &id, Tick tick, const QString &detail)
{
    const auto it = m_ownRoomOf.constFind(id);
    if (it == m_ownRoomOf.cend())
        return;  // typing/presence events, or a room left meanwhile
    if (RoomModel *m = model(it.value()))
        m->setTick(id, tick, detail);
    if (tick == Tick::Delivered || tick == Tick::Rejected || tick == Tick::Dropped)
        m_ownRoomOf.erase(it);
}

Tether::State ChatSession::state() const
{
    return m_client ? m_client->state() : Tether::State::Idle;
}

int ChatSession::queueDepth() const
{
    return m_client ? m_client->queueDepth() : 0;
}

qint64 ChatSession::reconnectInMs() const
{
    if (state() != Tether::State::Reconnecting || m_reconnectAt < 0)
        return -1;
    return qMax<qint64>(0, m_reconnectAt - now());
}

void ChatSession::retryNow()
{
    if (!m_client)
        return;
    if (state() == Tether::State::Failed || state() == Tether::State::Closed)
        m_client->open();
    else
        m_client->notifyNetworkChanged();  // waiting to reconnect: try now
}

} // namespace Chat
