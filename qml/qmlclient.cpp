// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QML Client: see qmlclient.h.
#include "qmlclient.h"

#include "jsvalue_p.h"
#include "platformwatch_p.h"

#include <QtCore/QDateTime>
#include <QtCore/QLoggingCategory>
#include <QtCore/QMetaEnum>
#include <QtCore/QPointer>
#include <QtQml/QQmlEngine>
#include <QtQml/QQmlInfo>

Q_LOGGING_CATEGORY(lcQml, "tether.qml", QtWarningMsg)

namespace Tether::Qml {
namespace {

bool isBackground(Qt::ApplicationState state)
{
    return state == Qt::ApplicationSuspended || state == Qt::ApplicationHidden;
}

template<typename Enum>
QString enumKey(Enum value)
{
    return QString::fromLatin1(QMetaEnum::fromType<Enum>().valueToKey(int(value)));
}

std::chrono::milliseconds msOption(const QJSValue &options, const QString &name)
{
    const QJSValue v = options.property(name);
    return std::chrono::milliseconds(v.isNumber() ? qint64(v.toNumber()) : 0);
}

} // namespace

QmlClient::QmlClient(QObject *parent)
    : QObject(parent),
      m_client(new Tether::Client(this)),
      m_backoff(new BackoffGroup(this)),
      m_heartbeat(new HeartbeatGroup(this)),
      m_queue(new QueueGroup(this)),
      m_tls(new TlsGroup(this))
{
    connect(m_backoff, &BackoffGroup::changed, this, &QmlClient::optionsChanged);
    connect(m_heartbeat, &HeartbeatGroup::changed, this, &QmlClient::optionsChanged);
    connect(m_queue, &QueueGroup::changed, this, &QmlClient::optionsChanged);
    connect(m_tls, &TlsGroup::changed, this, &QmlClient::optionsChanged);
    // QML apps follow the network unless they say otherwise (C++ ones opt in).
    m_client->setFollowNetwork(true);
    connect(this, &QmlClient::optionsChanged, this, [this] {
        if (m_wrapped) {
            qmlWarning(this) << "options are not applied to a wrapped C++ client: configure it in C++";
            return;
        }
        m_optionsDirty = true;
        // In any state: the client applies each option at its own moment (setOptions()).
        if (m_complete)
            applyOptions();
    });
    wireClient();
}

QmlClient::~QmlClient() = default;

void QmlClient::setClient(Tether::Client *client)
{
    if (!client || client == m_client)
        return;
    if (m_complete) {
        qmlWarning(this) << "client can only be set declaratively, before the component completes";
        return;
    }
    // Drop our own client (and every connection to it), present the app's.
    delete m_client.data();
    m_client = client;
    m_wrapped = true;
    m_optionsDirty = false;
    m_options = client->options();
    wireClient();
    if (m_forwardingStats)
        connect(m_client, &Client::statsChanged, this, &QmlClient::statsChanged);
    Q_EMIT clientChanged();
    Q_EMIT urlsChanged();
    Q_EMIT stateChanged();
}

void QmlClient::wireClient()
{
    Tether::Client *c = m_client;
    connect(c, &Client::urlsChanged, this, &QmlClient::urlsChanged);
    connect(c, &Client::stateChanged, this, [this](Tether::State state) {
        if (state != Tether::State::Reconnecting && m_reconnectAttempt != 0) {
            m_reconnectAttempt = 0;
            Q_EMIT reconnectScheduleChanged();
        }
        if (m_client->isSuspendedInBackground() != m_suspended) {
            m_suspended = !m_suspended;
            Q_EMIT suspendedChanged();
        }
        Q_EMIT stateChanged();
    });
    connect(c, &Client::connected, this, [this](bool resumed) {
        m_resumed = resumed;
        Q_EMIT connected(resumed);
    });
    connect(c, &Client::disconnected, this, &QmlClient::disconnected);
    connect(c, &Client::reconnecting, this, [this](int attempt, std::chrono::milliseconds delay) {
        m_reconnectAttempt = attempt;
        Q_EMIT reconnectScheduleChanged();
        Q_EMIT reconnecting(attempt, int(delay.count()));
    });
    connect(c, &Client::failed, this, &QmlClient::failed);
    connect(c, &Client::sessionLost, this, &QmlClient::sessionLost);
    connect(c, &Client::messageReceived, this, [this](const Message &m) {
        static const QMetaMethod signal = QMetaMethod::fromSignal(&QmlClient::messageReceived);
        if (!isSignalConnected(signal))
            return;  // converting every payload to JS is not free: only when someone listens
        QJSEngine *engine = qmlEngine(this);
        Q_EMIT messageReceived(engine ? toJs(engine, m.payload()) : QJSValue(), m.channel(), m.id());
    });
    connect(c, &Client::delivered, this, &QmlClient::delivered);
    connect(c, &Client::sent, this, &QmlClient::sent);
    connect(c, &Client::persisted, this, &QmlClient::persisted);
    connect(c, &Client::restored, this, &QmlClient::restored);
    connect(c, &Client::rejected, this, &QmlClient::rejected);
    connect(c, &Client::dropped, this, [this](const QString &id, DropReason reason) {
        Q_EMIT dropped(id, enumKey(reason));
    });
    connect(c, &Client::heartbeat, this, [this](std::chrono::microseconds rtt) {
        Q_EMIT heartbeat(double(rtt.count()) / 1000.0);
    });
    connect(c, &Client::queueDepthChanged, this, &QmlClient::queueDepthChanged);
    connect(c, &Client::errorOccurred, this, &QmlClient::errorOccurred);
    connect(c, &Client::networkReachableChanged, this, &QmlClient::networkReachableChanged);
}

void QmlClient::wirePlatform()
{
    PlatformWatch *watch = PlatformWatch::instance();
    if (!watch)
        return;
    connect(watch, &PlatformWatch::applicationStateChanged, this,
            &QmlClient::onApplicationStateChanged);
}

void QmlClient::componentComplete()
{
    m_complete = true;
    wirePlatform();
    // The declared codec applies before the first connection: subscriptions the Channels
    // made meanwhile are re-encoded by the client (Client::setOptions()).
    if (!m_wrapped)
        applyOptions();
    startIfActive();
    // Started in the background: the client's background-close delay counts from now.
    if (PlatformWatch *watch = PlatformWatch::instance(); watch && isBackground(watch->applicationState()))
        onApplicationStateChanged(watch->applicationState());
}

// --- options ---

QUrl QmlClient::url() const { return m_client->url(); }
void QmlClient::setUrl(const QUrl &url) { m_client->setUrl(url); }
QList<QUrl> QmlClient::urls() const { return m_client->urls(); }
void QmlClient::setUrls(const QList<QUrl> &urls) { m_client->setUrls(urls); }

void QmlClient::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    if (!m_complete)
        return;
    if (active) {
        startIfActive();
    } else {
        m_client->close();
        if (m_suspended && !m_client->isSuspendedInBackground()) {
            m_suspended = false;  // Closed -> Closed emits no stateChanged
            Q_EMIT suspendedChanged();
        }
    }
}

void QmlClient::open()
{
    if (!m_active)
        setActive(true);  // opens
    else if (m_complete)
        startIfActive();  // reopens after Failed/Closed
}

void QmlClient::close() { setActive(false); }

void QmlClient::startIfActive()
{
    if (!m_complete || !m_active || m_client->isSuspendedInBackground())
        return;  // suspended: the client reopens itself when the app is active again
    if (m_optionsDirty)
        applyOptions();
    m_client->open();
}

void QmlClient::setCodec(Codec codec)
{
    if (m_options.codec == codec)
        return;
    m_options.codec = codec;
    Q_EMIT optionsChanged();
}

void QmlClient::setRawMode(bool rawMode)
{
    if (m_options.rawMode == rawMode)
        return;
    m_options.rawMode = rawMode;
    Q_EMIT optionsChanged();
}

void QmlClient::setStorage(const QString &path)
{
    if (m_options.storage == path)
        return;
    m_options.storage = path;
    Q_EMIT optionsChanged();
}

void QmlClient::setDurability(Durability durability)
{
    if (m_options.durability == durability)
        return;
    m_options.durability = durability;
    Q_EMIT optionsChanged();
}

void QmlClient::setToken(const QString &token)
{
    // Read by the token provider at each attempt: no need to rebuild the options.
    if (m_token == token)
        return;
    const bool providerNeeded = m_token.isEmpty() != token.isEmpty();
    m_token = token;
    if (providerNeeded)
        markOptionsChanged();
    Q_EMIT tokenChanged();
}

void QmlClient::setHeaders(const QVariantMap &headers)
{
    if (m_headers == headers)
        return;
    m_headers = headers;
    Q_EMIT optionsChanged();
}

void QmlClient::setHandshakeTimeout(int ms)
{
    if (m_options.handshakeTimeout.count() == ms)
        return;
    m_options.handshakeTimeout = std::chrono::milliseconds(ms);
    Q_EMIT optionsChanged();
}

void QmlClient::setRequestTimeout(int ms)
{
    if (m_options.requestTimeout.count() == ms)
        return;
    m_options.requestTimeout = std::chrono::milliseconds(ms);
    Q_EMIT optionsChanged();
}

void QmlClient::setMaxIncomingFrameSize(double bytes)
{
    if (double(m_options.maxIncomingFrameSize) == bytes)
        return;
    m_options.maxIncomingFrameSize = qint64(bytes);
    Q_EMIT optionsChanged();
}

void QmlClient::markOptionsChanged() { Q_EMIT optionsChanged(); }

// Builds the ClientOptions and hands them over, in any state: Tether::Client keeps its
// connection, session, subscriptions, outbox and counters. Refused only for an invalid
// value (the client reports errorOccurred); the options stay dirty and are tried again at
// the next change or open().
bool QmlClient::applyOptions()
{
    ClientOptions o = m_options;
    m_backoff->applyTo(o.backoff);
    m_heartbeat->applyTo(o.heartbeat);
    m_queue->applyTo(o.queue);
    QString tlsFailure;
    if (!m_tls->applyTo(o.tls, &tlsFailure))
        qmlWarning(this) << tlsFailure;
    for (auto it = m_headers.constBegin(); it != m_headers.constEnd(); ++it)
        o.extraHeaders.append({it.key().toUtf8(), it.value().toString().toUtf8()});
    if (!m_token.isEmpty()) {
        QPointer<QmlClient> self(this);
        o.tokenProvider = [self](TokenReason reason, const TokenReply &reply) {
            if (!self) {
                reply(std::nullopt, QStringLiteral("the QML Client is gone"));
                return;
            }
            if (reason == TokenReason::Expired)
                Q_EMIT self->tokenExpired();  // the handler may set a fresh token now
            if (self->m_token.isEmpty())
                reply(std::nullopt, QStringLiteral("no token set"));
            else
                reply(self->m_token, QString());
        };
    }
    if (!m_client->setOptions(o)) {
        qmlWarning(this) << "options not applied: " << m_client->errorString();
        return false;
    }
    m_optionsDirty = false;
    return true;
}

// --- lifecycle ---

void QmlClient::setFollowAppState(bool follow)
{
    if (m_followAppState == follow)
        return;
    m_followAppState = follow;
    Q_EMIT lifecycleChanged();
}

void QmlClient::setFollowNetwork(bool follow)
{
    if (m_client->followsNetwork() == follow)
        return;
    if (m_wrapped) {
        qmlWarning(this) << "followNetwork is not applied to a wrapped C++ client: call setFollowNetwork() in C++";
        return;
    }
    m_client->setFollowNetwork(follow);
    Q_EMIT lifecycleChanged();
}

void QmlClient::setBackgroundCloseDelay(int ms)
{
    ms = qMax(-1, ms);
    if (backgroundCloseDelay() == ms)
        return;
    m_options.backgroundCloseDelay = std::chrono::milliseconds(ms);
    Q_EMIT lifecycleChanged();
    markOptionsChanged();
}

// The SDK's network watcher (Client::setFollowNetwork()) is the one home of both.
bool QmlClient::networkReachable() const { return m_client->isNetworkReachable(); }
QString QmlClient::networkBackend() const { return m_client->networkBackend(); }

void QmlClient::onApplicationStateChanged(Qt::ApplicationState state)
{
    if (m_followAppState)
        applyAppState(state);
}

// The background-close policy is the engine's (ClientOptions::backgroundCloseDelay).
void QmlClient::applyAppState(Qt::ApplicationState state)
{
    if (m_optionsDirty && m_complete)
        applyOptions();  // the delay in effect is the declared one
    qCDebug(lcQml) << "app state" << state << "forwarded to the client";
    m_client->notifyAppStateChanged(state);
}

void QmlClient::notifyNetworkChanged() { m_client->notifyNetworkChanged(); }

void QmlClient::notifyAppStateChanged(int state)
{
    applyAppState(Qt::ApplicationState(state));  // explicit: applies even without followAppState
}

// --- state ---

QString QmlClient::stateName() const { return enumKey(state()); }

double QmlClient::reconnectAt() const
{
    const QDateTime at = m_client->reconnectAt();
    return at.isValid() ? double(at.toMSecsSinceEpoch()) : 0.0;
}

double QmlClient::lastRtt() const
{
    const qint64 us = m_client->lastRttUs();
    return us < 0 ? -1.0 : double(us) / 1000.0;
}

void QmlClient::setStatsInterval(int ms)
{
    if (m_options.statsInterval.count() == ms)
        return;
    m_options.statsInterval = std::chrono::milliseconds(ms);
    Q_EMIT optionsChanged();
}

void QmlClient::connectNotify(const QMetaMethod &signal)
{
    if (m_forwardingStats || signal != QMetaMethod::fromSignal(&QmlClient::statsChanged))
        return;
    m_forwardingStats = true;
    connect(m_client, &Client::statsChanged, this, &QmlClient::statsChanged);
}
// --- sending and requests ---

std::optional<QCborValue> QmlClient::payloadFromJs(const QJSValue &value)
{
    QJSEngine *engine = qmlEngine(this);
    if (!engine)
        return std::nullopt;
    return toPayload(engine, value);
}

SendResult QmlClient::sendPayload(const QCborValue &payload, const QJSValue &options,
                                  const QString &channel)
{
    SendOptions o;
    o.channel = channel;
    if (options.isObject()) {
        if (channel.isEmpty() && options.hasProperty(QStringLiteral("channel")))
            o.channel = options.property(QStringLiteral("channel")).toString();
        if (isAtMostOnce(options))
            o.delivery = Tether::Delivery::AtMostOnce;
        o.ttl = msOption(options, QStringLiteral("ttl"));
        if (options.hasProperty(QStringLiteral("coalescingKey")))
            o.coalescingKey = options.property(QStringLiteral("coalescingKey")).toString();
        if (options.hasProperty(QStringLiteral("id")))
            o.id = options.property(QStringLiteral("id")).toString();
        const QJSValue durability = options.property(QStringLiteral("durability"));
        if (durability.isNumber())
            o.durability = Tether::Durability(qBound(0, durability.toInt(), int(Tether::Durability::PowerSafe)));
    }
    const SendResult result = m_client->send(payload, o);
    if (!result)
        Q_EMIT sendRefused(result.error());
    return result;
}

bool QmlClient::isAtMostOnce(const QJSValue &options)
{
    const QJSValue delivery = options.property(QStringLiteral("delivery"));
    if (delivery.isNumber())
        return delivery.toInt() == int(Tether::Delivery::AtMostOnce);
    return delivery.isString()
        && delivery.toString().compare(QLatin1StringView("AtMostOnce"), Qt::CaseInsensitive) == 0;
}

QString QmlClient::send(const QJSValue &payload, const QJSValue &options)
{
    const std::optional<QCborValue> cbor = payloadFromJs(payload);
    if (!cbor) {
        Q_EMIT sendRefused(invalidPayloadError());
        return QString();
    }
    return sendPayload(*cbor, options, QString()).id();
}

void QmlClient::request(const QString &method, const QJSValue &paramsArg,
                        const QJSValue &callbackArg, const QJSValue &optionsArg)
{
    // request(method, callback[, options]): params omitted.
    const bool shifted = paramsArg.isCallable() && !callbackArg.isCallable();
    const QJSValue params = shifted ? QJSValue() : paramsArg;
    const QJSValue callback = shifted ? paramsArg : callbackArg;
    const QJSValue options = shifted ? callbackArg : optionsArg;

    std::optional<QCborValue> cbor = QCborValue();  // undefined: `req` without `d`
    if (!params.isUndefined())
        cbor = payloadFromJs(params);
    if (!cbor) {
        QMetaObject::invokeMethod(this, [this, callback] {
            if (QJSEngine *engine = qmlEngine(this))
                invokeCallback(callback, engine->toScriptValue(invalidPayloadError()), QJSValue());
        }, Qt::QueuedConnection);
        return;
    }
    RequestOptions o;
    if (options.isObject()) {
        o.timeout = msOption(options, QStringLiteral("timeout"));
        o.retryable = options.property(QStringLiteral("retryable")).toBool();
    }
    Reply *reply = m_client->request(method, *cbor, o);
    reply->setAutoDelete(true);
    connect(reply, &Reply::finished, this, [this, reply, callback] {
        QJSEngine *engine = qmlEngine(this);
        if (!engine)
            return;
        const Error e = reply->error();
        if (e.isError())
            invokeCallback(callback, engine->toScriptValue(e), QJSValue());
        else
            invokeCallback(callback, QJSValue(QJSValue::NullValue), toJs(engine, reply->result()));
    });
}

void QmlClient::invokeCallback(const QJSValue &callback, const QJSValue &error, const QJSValue &result)
{
    if (!callback.isCallable())
        return;
    const QJSValue ret = callback.call({error, result});
    if (ret.isError())
        qmlWarning(this) << "request callback threw: " << ret.toString();
}

} // namespace Tether::Qml
