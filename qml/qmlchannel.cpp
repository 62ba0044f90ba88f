// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QML Channel: see qmlchannel.h.
#include "qmlchannel.h"

#include "jsvalue_p.h"
#include "qmlclient.h"

#include <Tether/message.h>

#include <QtQml/QQmlEngine>

namespace Tether::Qml {

QmlChannel::QmlChannel(QObject *parent)
    : QObject(parent)
{
}

QmlChannel::~QmlChannel()
{
    if (m_subscription)
        m_subscription->release();
}

void QmlChannel::componentComplete()
{
    m_complete = true;
    updateSubscription();
}

void QmlChannel::setClient(QmlClient *client)
{
    if (m_client == client)
        return;
    m_client = client;
    Q_EMIT clientChanged();
    updateSubscription();
}

void QmlChannel::setName(const QString &name)
{
    if (m_name == name)
        return;
    m_name = name;
    Q_EMIT nameChanged();
    updateSubscription();
}

void QmlChannel::setActive(bool active)
{
    if (m_active == active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    updateSubscription();
}

// Moves the held subscription to what the properties say now (release before acquire,
// so renaming a Channel to the name another Channel holds keeps that one subscribed).
void QmlChannel::updateSubscription()
{
    const bool want = m_complete && m_active && m_client && !m_name.isEmpty();
    if (m_heldClient == m_client && m_heldName == m_name && want == bool(m_heldClient))
        return;
    const SubscriptionStatus before = status();
    if (m_subscription) {
        m_subscription->disconnect(this);
        m_subscription->release();
    }
    m_heldClient = nullptr;
    m_heldName.clear();
    m_subscription = nullptr;
    setErrorString(QString());
    if (want) {
        m_heldClient = m_client;
        m_heldName = m_name;
        m_subscription = m_client->client()->subscription(m_name);
        m_subscription->retain();
        connect(m_subscription, &Subscription::messageReceived, this, &QmlChannel::onMessage);
        connect(m_subscription, &Subscription::statusChanged, this, &QmlChannel::onStatusChanged);
        connect(m_subscription, &Subscription::errorOccurred, this, [this](const Error &error) {
            setErrorString(error.message());
            Q_EMIT errorOccurred(error);
        });
        if (m_subscription->status() == SubscriptionStatus::Error)
            setErrorString(m_subscription->error().message());
    }
    if (status() != before)
        onStatusChanged(status());
}

SubscriptionStatus QmlChannel::status() const
{
    return m_subscription ? m_subscription->status() : SubscriptionStatus::Unsubscribed;
}

void QmlChannel::onStatusChanged(SubscriptionStatus status)
{
    Q_EMIT statusChanged();
    const bool subscribed = status == SubscriptionStatus::Subscribed;
    if (subscribed != m_subscribed) {
        m_subscribed = subscribed;
        Q_EMIT subscribedChanged();
    }
}

void QmlChannel::onMessage(const Tether::Message &message)
{
    m_latest = message.payload();
    m_latestJsValid = false;
    m_latestId = message.id();
    ++m_received;
    Q_EMIT messageArrived(message);
    Q_EMIT latestChanged();
    static const QMetaMethod signal = QMetaMethod::fromSignal(&QmlChannel::message);
    if (isSignalConnected(signal) && qmlEngine(this))
        Q_EMIT this->message(latest(), message.id());
}

QJSValue QmlChannel::latest() const
{
    if (!m_latestJsValid) {
        QJSEngine *engine = qmlEngine(this);
        if (!engine)
            return QJSValue();
        m_latestJs = toJs(engine, m_latest);
        m_latestJsValid = true;
    }
    return m_latestJs;
}

QString QmlChannel::publish(const QJSValue &payload, const QJSValue &options)
{
    auto refuse = [this](const Error &error) {
        Q_EMIT errorOccurred(error);
        return QString();
    };
    if (!m_client)
        return refuse(Error(Error::NotConnected, QStringLiteral("Channel.publish(): no client")));
    if (m_name.isEmpty())
        return refuse(Error(Error::InvalidArgument, QStringLiteral("Channel.publish(): no name")));
    QJSEngine *engine = qmlEngine(this);
    const std::optional<QCborValue> cbor = engine ? toPayload(engine, payload) : std::nullopt;
    if (!cbor)
        return refuse(invalidPayloadError());
    Q_EMIT publishing();
    const SendResult result = m_client->sendPayload(*cbor, options, m_name);
    if (!result)
        return refuse(result.error());
    Q_EMIT published(result.id(), *cbor, !QmlClient::isAtMostOnce(options));
    return result.id();
}

void QmlChannel::setErrorString(const QString &error)
{
    if (m_errorString == error)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

} // namespace Tether::Qml
