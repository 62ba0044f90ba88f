// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// ChatSession: the chat's logic over one Tether::Client, without any widget (the window
// shows it, the smoke test drives it).
//
// Conventions on the wire (payloads of channel messages; a room is a channel):
//   {"type":"chat","user":U,"text":T,"ts":ms}   at-least-once; kept in the server's history
//   {"type":"typing","user":U}                  at-most-once, coalesced, short TTL
//   {"type":"rollcall","user":U}                at-most-once: "who is here?"
//   {"type":"here","user":U}                    at-most-once: the answer (and on join)
//   {"type":"bye","user":U}                     at-most-once: leaving the room
// The server's own presence events ({"presence":"join"|"leave","peer"}) trigger a roll call,
// so the member list follows people who vanish without a "bye" (crash, lost network).
//
// Delivery ticks of own messages, as the client reports them (messageStatusChanged()):
// queued (in the outbox) -> sent (written to the socket; back to queued if the connection
// drops before the ack) -> delivered (the server acknowledged it), or rejected (nack, e.g.
// a read-only room) / dropped.
#pragma once

#include "room_model.h"

#include <Tether/Client>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QMap>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtCore/QUrl>

#include <map>
#include <memory>

namespace Chat {

class ChatSession : public QObject
{
    Q_OBJECT
public:
    struct Settings {
        QUrl url;
        QString user;
        QString token;  // empty: none sent
        // The durable outbox (ClientOptions::storage): messages written while offline
        // survive a killed or restarted chat and go out at the next start. Empty: none.
        QString storePath;
    };

    explicit ChatSession(QObject *parent = nullptr);
    ~ChatSession() override;

    // Connects as `settings.user`; signedIn() once the server welcomed us, or
    // signInFailed(why) when it refused for good.
    // Messages restored from Settings::storePath are shown queued in their rooms (joined
    // at once) and go out when connected.
    void signIn(const Settings &settings);
    void signOut();
    bool isSignedIn() const { return m_client != nullptr; }
    QString user() const { return m_settings.user; }
    QUrl url() const { return m_settings.url; }
    Tether::Client *client() const { return m_client.get(); }

    // --- rooms ---
    QStringList rooms() const;                             // joined, sorted
    bool isJoined(const QString &room) const { return m_rooms.count(room) > 0; }
    void joinRoom(const QString &room);
    void leaveRoom(const QString &room);
    RoomModel *model(const QString &room) const;          // nullptr when not joined
    QStringList members(const QString &room) const;       // sorted, me included
    QStringList typingUsers(const QString &room) const;   // sorted, never me
    int unread(const QString &room) const;
    void markRead(const QString &room);

    // --- composing ---
    // Sends a chat message; returns its id (empty when refused: refusal is shown in the room).
    QString sendText(const QString &room, const QString &text);
    // The user typed in the composer: at most one typing event every kTypingInterval.
    void userTyping(const QString &room);

    // --- connection, for the offline banner ---
    Tether::State state() const;
    int queueDepth() const;
    // Milliseconds until the next reconnect attempt, -1 when none is scheduled.
    qint64 reconnectInMs() const;
    QString lastError() const { return m_lastError; }
    void retryNow();

    static constexpr int kTypingIntervalMs = 2000;  // between two typing events sent
    static constexpr int kTypingShownMs = 4000;     // a typing event shows this long
    static constexpr int kRollCallMs = 2500;        // members silent this long leave the list

Q_SIGNALS:
    void signedIn();
    void signInFailed(const QString &why);
    void roomsChanged();
    void membersChanged(const QString &room);
    void typingChanged(const QString &room);
    void unreadChanged(const QString &room);
    void connectionChanged();  // state, queue depth, countdown, error
    void messageArrived(const QString &room);
    // A history fetch (on join, or after a lost session) was merged: `added` new messages.
    void historyLoaded(const QString &room, int added);

private:
    struct Room {
        std::unique_ptr<RoomModel> model;
        QMap<QString, qint64> members;   // user -> last heard (steady ms)
        QMap<QString, qint64> typing;    // user -> shown until (steady ms)
        qint64 rollCallStarted = -1;     // steady ms, -1 when no roll call runs
        qint64 lastTypingSent = -1;
        int unread = 0;
    };

    void connectClient();
    void onMessage(const Tether::Message &message);
    void onPresenceEvent(const QString &room, const QString &event);
    void onConnected(bool resumed);
    void onSessionLost();
    void fetchHistory(const QString &room, const QString &gapId = {});
    void announce(const QString &room, const QString &type);
    void startRollCall(const QString &room);
    void clearTyping();
    void tick();  // expires typing indicators and silent members
    void setTick(const QString &id, Tick tick, const QString &detail = {});
    void showRestored(const QString &room);
    Entry entryFromPayload(const QString &id, const QCborMap &payload, qint64 fallbackTs) const;
    qint64 now() const { return m_clock.elapsed(); }

    Settings m_settings;
    std::unique_ptr<Tether::Client> m_client;
    std::map<QString, Room> m_rooms;      // joined rooms, sorted by name
    QHash<QString, QString> m_ownRoomOf;  // own message id -> room, until its outcome
    // During send(): a message written at once reports it before its id is returned.
    bool m_sending = false;
    QHash<QString, Tick> m_earlyTicks;
    QList<Tether::Message> m_restored;    // from the store, until their room is joined
    QElapsedTimer m_clock;
    QTimer m_ticker;
    qint64 m_reconnectAt = -1;            // steady ms of the next attempt
    bool m_welcomed = false;
    QString m_lastError;
};

} // namespace Chat
