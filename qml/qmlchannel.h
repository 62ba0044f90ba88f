// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QML `Channel`: a declarative subscription (see docs/qml.md).
//
// While `client`, `name` and `active` say so, the channel is subscribed: the Channel holds
// (retain()/release()) the C++ client's shared Tether::Subscription, so Channels of one
// name share it and the last one to go unsubscribes. Its status is the engine's and its
// messages are routed here by the client. Each publication
// on it is emitted as message(payload, id) and kept as `latest` for bindings
// (`gauge.value: cpu.latest.load`).
#pragma once

#include "qmlclient.h"

#include <Tether/message.h>
#include <Tether/subscription.h>

#include <QtCore/QCborValue>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtQml/QJSValue>
#include <QtQml/QQmlParserStatus>
#include <QtQml/qqmlregistration.h>

namespace Tether::Qml {

class TETHER_QML_EXPORT QmlChannel : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_NAMED_ELEMENT(Channel)
    Q_PROPERTY(Tether::Qml::QmlClient *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(QString name READ name WRITE setName NOTIFY nameChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(bool subscribed READ isSubscribed NOTIFY subscribedChanged)
    Q_PROPERTY(SubscriptionStatus status READ status NOTIFY statusChanged)  // unqualified: see qmlclient.h
    Q_PROPERTY(QJSValue latest READ latest NOTIFY latestChanged)
    Q_PROPERTY(QString latestId READ latestId NOTIFY latestChanged)
    Q_PROPERTY(int received READ received NOTIFY latestChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)

public:
    explicit QmlChannel(QObject *parent = nullptr);
    ~QmlChannel() override;

    QmlClient *client() const { return m_client; }
    void setClient(QmlClient *client);
    QString name() const { return m_name; }
    void setName(const QString &name);
    bool isActive() const { return m_active; }
    void setActive(bool active);
    bool isSubscribed() const { return status() == SubscriptionStatus::Subscribed; }
    SubscriptionStatus status() const;
    QJSValue latest() const;
    QString latestId() const { return m_latestId; }
    int received() const { return m_received; }
    QString errorString() const { return m_errorString; }

    // Publishes on this channel (options as Client.send, minus `channel`). Returns the id,
    // or "" when refused (errorOccurred(error)).
    Q_INVOKABLE QString publish(const QJSValue &payload, const QJSValue &options = QJSValue());

Q_SIGNALS:
    void clientChanged();
    void nameChanged();
    void activeChanged();
    void subscribedChanged();
    void statusChanged();
    void latestChanged();
    void errorStringChanged();
    void message(const QJSValue &payload, const QString &id);
    void errorOccurred(const Error &error);

    // C++ only (MessageModel): every message of the channel, and every own publication.
    void messageArrived(const Tether::Message &message);
    // publishing() comes right before the send, published() after it when it was accepted:
    // the progress of a message sent while connected (Written) arrives in between, before
    // its id is known.
    void publishing();
    void published(const QString &id, const QCborValue &payload, bool reliable);

protected:
    void classBegin() override {}
    void componentComplete() override;

private:
    void updateSubscription();
    void onStatusChanged(SubscriptionStatus status);
    void onMessage(const Tether::Message &message);
    void setErrorString(const QString &error);

    QPointer<QmlClient> m_client;
    QString m_name;
    bool m_active = true;
    bool m_complete = false;
    // What this Channel currently holds a subscription for.
    QPointer<QmlClient> m_heldClient;
    QString m_heldName;
    QPointer<Tether::Subscription> m_subscription;
    bool m_subscribed = false;  // what subscribedChanged() last said

    QCborValue m_latest;
    mutable QJSValue m_latestJs;  // converted on first read, until the next message
    mutable bool m_latestJsValid = false;
    QString m_latestId;
    int m_received = 0;
    QString m_errorString;
};

} // namespace Tether::Qml
