// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Subscription: one channel a Client subscribes to, shared by everyone who asks
// for it (QMqttSubscription-like). Client::subscription() returns it.
#pragma once

#include <Tether/error.h>
#include <Tether/global.h>
#include <Tether/message.h>
#include <Tether/types.h>

#include <QtCore/QObject>
#include <QtCore/QString>

#include <memory>

namespace Tether {

class Client;

// Lifetime: owned by its Client (a QObject child), one object per channel name: a second
// Client::subscription() of the same channel returns the same object. Deleting it stops
// its signals but does not unsubscribe (call unsubscribe() for that); the next
// subscription() call then makes a new object with the engine's current status.
//
// Sharing: parts of an app that come and go (the QML Channels, a C++ view) retain() the
// subscription while they need it and release() it after; the release() that leaves no
// holder unsubscribes. unsubscribe() still ends it at once, whoever holds it.
class TETHER_EXPORT Subscription : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString channel READ channel CONSTANT)
    Q_PROPERTY(Tether::SubscriptionStatus status READ status NOTIFY statusChanged)
    Q_PROPERTY(Tether::Error error READ error NOTIFY errorOccurred)

public:
    ~Subscription() override;

    // The channel's name.
    QString channel() const;
    // Decided by the engine (see SubscriptionStatus); Subscribed means messages flow now.
    SubscriptionStatus status() const;
    // Why the status last became Error; NoError before that.
    Error error() const;
    // The Client this subscription belongs to.
    Client *client() const;
    // How many holders retain() counted and release() has not given back.
    int holders() const;
    // One more holder; subscribes again when the channel is not in the client's desired
    // set (after unsubscribe() or an Error), as Client::subscription() does.
    void retain();
    // One holder fewer; the last one unsubscribes. A release() without a holder is ignored
    // (with a warning): it cannot unsubscribe what someone else holds.
    void release();

public Q_SLOTS:
    // Removes the channel from the client's desired set and sends `unsub`: the status
    // becomes Unsubscribed at once. Client::subscription() subscribes again.
    void unsubscribe();

Q_SIGNALS:
    // status() changed (the engine decided: sub sent, answered, refused, resumed or lost).
    void statusChanged(Tether::SubscriptionStatus status);
    // A publication on this channel (also emitted as Client::messageReceived()).
    void messageReceived(const Tether::Message &message);
    // The server refused the subscription, or its sub did not complete (status Error).
    void errorOccurred(const Tether::Error &error);

private:
    Q_DISABLE_COPY_MOVE(Subscription)
    friend class Client;
    friend class ClientPrivate;
    Subscription(Client *client, const QString &channel, SubscriptionStatus status);
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace Tether
