// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QML `Client`: a Tether::Client for QML (see docs/qml.md).
//
// A thin facade: every protocol decision is the C++ Client's. This type only
//  - turns its properties (and the option groups of qmloptions.h) into ClientOptions,
//  - converts payloads, results and errors between JS and CBOR (jsvalue_p.h),
//  - applies `active` declaratively (in componentComplete(), like QtWebSockets' WebSocket),
//  - forwards the app state and network changes (PlatformWatch) to the C++ hooks, and
//    applies the background policy (close after N ms suspended, reopen when active),
//  - nothing about channels: each Channel holds the C++ client's shared Tether::Subscription
//    (retain()/release(): the last holder to go unsubscribes).
#pragma once

#include "qmloptions.h"

#include <Tether/client.h>

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QUrl>
#include <QtCore/QVariantMap>
#include <QtQml/QJSValue>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace Tether::Qml {

class TETHER_QML_EXPORT QmlClient : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(Client)

    // An existing C++ Tether::Client to present to QML instead of the one this type makes,
    // so a C++ core and a QML UI share one connection. Set it declaratively (before the
    // component completes); the C++ owner keeps it and its options: the option properties
    // below are then not applied (a warning says so when one is set), `active` still opens
    // or closes it.
    // Types written unqualified on purpose here and below: a `Tether::` type in a property
    // makes moc relate namespace Tether's meta-object to this class, and QML then merges
    // its enums (State::Closed, DropReason::Closed...) into `Client`'s scope, with warnings.
    Q_PROPERTY(Client *client READ client WRITE setClient NOTIFY clientChanged)

    // --- endpoints and options (applied in any state: see Tether::Client::setOptions()) ---
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlsChanged)
    Q_PROPERTY(QList<QUrl> urls READ urls WRITE setUrls NOTIFY urlsChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(Codec codec READ codec WRITE setCodec NOTIFY optionsChanged)
    Q_PROPERTY(bool rawMode READ rawMode WRITE setRawMode NOTIFY optionsChanged)
    // The durable store (ClientOptions::storage, docs/delivery.md): set before `active`.
    Q_PROPERTY(QString storage READ storage WRITE setStorage NOTIFY optionsChanged)
    Q_PROPERTY(Durability durability READ durability WRITE setDurability NOTIFY optionsChanged)
    Q_PROPERTY(int restoredCount READ restoredCount NOTIFY restored)
    Q_PROPERTY(QString token READ token WRITE setToken NOTIFY tokenChanged)
    Q_PROPERTY(QVariantMap headers READ headers WRITE setHeaders NOTIFY optionsChanged)
    Q_PROPERTY(int handshakeTimeout READ handshakeTimeout WRITE setHandshakeTimeout NOTIFY optionsChanged)
    Q_PROPERTY(int requestTimeout READ requestTimeout WRITE setRequestTimeout NOTIFY optionsChanged)
    Q_PROPERTY(double maxIncomingFrameSize READ maxIncomingFrameSize WRITE setMaxIncomingFrameSize NOTIFY optionsChanged)
    Q_PROPERTY(Tether::Qml::BackoffGroup *backoff READ backoff CONSTANT)
    Q_PROPERTY(Tether::Qml::HeartbeatGroup *heartbeat READ heartbeat CONSTANT)
    Q_PROPERTY(Tether::Qml::QueueGroup *queue READ queue CONSTANT)
    Q_PROPERTY(Tether::Qml::TlsGroup *tls READ tls CONSTANT)

    // --- lifecycle and network awareness ---
    Q_PROPERTY(bool followAppState READ followAppState WRITE setFollowAppState NOTIFY lifecycleChanged)
    // Client::setFollowNetwork() (on by default in QML): the SDK's network watcher. Not
    // applied to a wrapped C++ client (its owner decides).
    Q_PROPERTY(bool followNetwork READ followNetwork WRITE setFollowNetwork NOTIFY lifecycleChanged)
    // Close the socket (keeping the outbox) after this many ms in the background; reopen
    // when the app is active again. -1 = never (the default on desktop; 30 s on Android/iOS).
    Q_PROPERTY(int backgroundCloseDelay READ backgroundCloseDelay WRITE setBackgroundCloseDelay NOTIFY lifecycleChanged)
    Q_PROPERTY(bool suspended READ isSuspended NOTIFY suspendedChanged)
    Q_PROPERTY(bool networkReachable READ networkReachable NOTIFY networkReachableChanged)
    Q_PROPERTY(QString networkBackend READ networkBackend NOTIFY networkReachableChanged)

    // --- read-only state ---
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString stateName READ stateName NOTIFY stateChanged)
    Q_PROPERTY(int queueDepth READ queueDepth NOTIFY queueDepthChanged)
    Q_PROPERTY(double lastRtt READ lastRtt NOTIFY heartbeat)
    Q_PROPERTY(Error error READ error NOTIFY errorOccurred)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
    Q_PROPERTY(bool resumed READ resumed NOTIFY connected)
    Q_PROPERTY(QString sessionId READ sessionId NOTIFY connected)
    Q_PROPERTY(QString subprotocol READ subprotocol NOTIFY stateChanged)
    Q_PROPERTY(int reconnectAttempt READ reconnectAttempt NOTIFY reconnectScheduleChanged)
    Q_PROPERTY(double reconnectAt READ reconnectAt NOTIFY reconnectScheduleChanged)
    // Tether::ClientStats, refreshed at most every statsInterval ms (Client::statsChanged()).
    Q_PROPERTY(ClientStats stats READ stats NOTIFY statsChanged)
    Q_PROPERTY(int statsInterval READ statsInterval WRITE setStatsInterval NOTIFY optionsChanged)

public:
    explicit QmlClient(QObject *parent = nullptr);
    ~QmlClient() override;

    // The C++ client behind this facade (for C++ code that shares it with QML).
    Tether::Client *client() const { return m_client; }
    void setClient(Tether::Client *client);

    QUrl url() const;
    void setUrl(const QUrl &url);
    QList<QUrl> urls() const;
    void setUrls(const QList<QUrl> &urls);
    bool isActive() const { return m_active; }
    void setActive(bool active);
    Codec codec() const { return m_options.codec; }
    void setCodec(Codec codec);
    bool rawMode() const { return m_options.rawMode; }
    void setRawMode(bool rawMode);
    QString storage() const { return m_options.storage; }
    void setStorage(const QString &path);
    Durability durability() const { return m_options.durability; }
    void setDurability(Durability durability);
    int restoredCount() const { return m_client->restoredCount(); }
    QString token() const { return m_token; }
    void setToken(const QString &token);
    QVariantMap headers() const { return m_headers; }
    void setHeaders(const QVariantMap &headers);
    int handshakeTimeout() const { return int(m_options.handshakeTimeout.count()); }
    void setHandshakeTimeout(int ms);
    int requestTimeout() const { return int(m_options.requestTimeout.count()); }
    void setRequestTimeout(int ms);
    double maxIncomingFrameSize() const { return double(m_options.maxIncomingFrameSize); }
    void setMaxIncomingFrameSize(double bytes);
    BackoffGroup *backoff() const { return m_backoff; }
    HeartbeatGroup *heartbeat() const { return m_heartbeat; }
    QueueGroup *queue() const { return m_queue; }
    TlsGroup *tls() const { return m_tls; }

    bool followAppState() const { return m_followAppState; }
    void setFollowAppState(bool follow);
    bool followNetwork() const { return m_client->followsNetwork(); }
    void setFollowNetwork(bool follow);
    int backgroundCloseDelay() const { return int(m_options.backgroundCloseDelay.count()); }
    void setBackgroundCloseDelay(int ms);
    bool isSuspended() const { return m_suspended; }
    bool networkReachable() const;
    QString networkBackend() const;

    State state() const { return m_client->state(); }
    QString stateName() const;
    int queueDepth() const { return m_client->queueDepth(); }
    double lastRtt() const;
    Error error() const { return m_client->error(); }
    QString errorString() const { return m_client->errorString(); }
    bool resumed() const { return m_resumed; }
    QString sessionId() const { return m_client->sessionId(); }
    QString subprotocol() const { return m_client->subprotocol(); }
    int reconnectAttempt() const { return m_reconnectAttempt; }
    double reconnectAt() const;

    // Sends `payload` (any JS value: see jsvalue_p.h) with options {channel, delivery, ttl,
    // coalescingKey, id}. Returns the message id, or "" when refused (sendRefused(error)).
    Q_INVOKABLE QString send(const QJSValue &payload, const QJSValue &options = QJSValue());
    // Calls `callback(error, result)` exactly once, never before returning: error is null
    // on success. `params` may be omitted: request("time", callback). options: {timeout,
    // retryable}.
    Q_INVOKABLE void request(const QString &method, const QJSValue &params = QJSValue(),
                             const QJSValue &callback = QJSValue(),
                             const QJSValue &options = QJSValue());
    ClientStats stats() const { return m_client->stats(); }
    int statsInterval() const { return int(m_options.statsInterval.count()); }
    void setStatsInterval(int ms);
    // The platform hooks, for apps that know better than Qt (also what the automatic
    // wiring calls).
    Q_INVOKABLE void notifyNetworkChanged();
    Q_INVOKABLE void notifyAppStateChanged(int state);

    // True when send options ask for Delivery.AtMostOnce (a number or the enum key).
    static bool isAtMostOnce(const QJSValue &options);

    // A payload from QML (nullopt: not convertible; an error has been reported).
    std::optional<QCborValue> payloadFromJs(const QJSValue &value);
    SendResult sendPayload(const QCborValue &payload, const QJSValue &options,
                           const QString &channel);

public Q_SLOTS:
    // open(): active = true (and reopens a Failed/Closed client); close(): active = false.
    void open();
    void close();

Q_SIGNALS:
    void urlsChanged();
    void clientChanged();
    void activeChanged();
    void optionsChanged();
    void tokenChanged();
    void lifecycleChanged();
    void suspendedChanged();
    void networkReachableChanged();
    void reconnectScheduleChanged();

    void stateChanged();
    void connected(bool resumed);
    void disconnected(int code, const QString &reason);
    void reconnecting(int attempt, int delay);
    void failed(const Error &error);
    void sessionLost();
    void messageReceived(const QJSValue &payload, const QString &channel, const QString &id);
    void delivered(const QString &id);
    void sent(const QString &id);
    void persisted(const QString &id);
    void restored(int count);
    void rejected(const QString &id, const Error &error);
    void dropped(const QString &id, const QString &reason);
    void heartbeat(double rtt);
    void queueDepthChanged();
    void errorOccurred(const Error &error);
    void sendRefused(const Error &error);
    // The server closed with 4001: set `token` to a fresh one in the handler.
    void tokenExpired();
    void statsChanged();

protected:
    void classBegin() override {}
    void componentComplete() override;
    // statsChanged() is forwarded once something listens (the C++ client computes stats
    // only for listeners).
    void connectNotify(const QMetaMethod &signal) override;

private:
    void wireClient();
    void wirePlatform();
    void markOptionsChanged();
    bool applyOptions();
    void startIfActive();
    void onApplicationStateChanged(Qt::ApplicationState state);
    void applyAppState(Qt::ApplicationState state);
    void invokeCallback(const QJSValue &callback, const QJSValue &error, const QJSValue &result);

    QPointer<Tether::Client> m_client;  // ours (a child), or the app's (setClient())
    ClientOptions m_options;
    BackoffGroup *m_backoff;
    HeartbeatGroup *m_heartbeat;
    QueueGroup *m_queue;
    TlsGroup *m_tls;
    QString m_token;
    QVariantMap m_headers;
    bool m_complete = false;
    bool m_active = true;
    bool m_optionsDirty = true;
    bool m_resumed = false;

    bool m_followAppState = true;
    bool m_suspended = false;  // what suspendedChanged() last said (the client decides)

    int m_reconnectAttempt = 0;

    bool m_forwardingStats = false;
    bool m_wrapped = false;  // m_client is the app's (setClient()): its options are the app's
};

} // namespace Tether::Qml
