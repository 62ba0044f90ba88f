// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Subscription: a view of one channel's status, which the engine decides
// (channels_p.h); the Client routes the channel's messages and status changes here.
#include "client_p.h"
#include "subscription_p.h"

namespace Tether {

Subscription::Subscription(Client *client, const QString &channel, SubscriptionStatus status)
    : QObject(client), d(new Private)
{
    d->client = client;
    d->channel = channel;
    d->status = status;
}

Subscription::~Subscription()
{
    if (d->client)
        ClientPrivate::get(d->client)->forgetSubscription(d->channel, this);
}

QString Subscription::channel() const { return d->channel; }
SubscriptionStatus Subscription::status() const { return d->status; }
Error Subscription::error() const { return d->error; }
Client *Subscription::client() const { return d->client; }

void Subscription::unsubscribe()
{
    if (d->client)
        d->client->unsubscribe(d->channel)->setAutoDelete(true);
}

} // namespace Tether
