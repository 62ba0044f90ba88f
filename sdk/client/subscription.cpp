// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Subscription: a view of one channel's status, which the engine decides
// (channels_p.h); the Client routes the channel's messages and status changes here.
#include "client_p.h"
#include "logging_p.h"
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
int Subscription::holders() const { return d->holders; }

void Subscription::retain()
{
    ++d->holders;
    if (d->client)
        d->client->subscription(d->channel);  // this object; subscribes again when not in the set
}

void Subscription::release()
{
    if (d->holders == 0) {
        qCWarning(lcClient) << "Subscription::release() without a holder on" << d->channel << "ignored";
        return;
    }
    if (--d->holders == 0)
        unsubscribe();
}

void Subscription::unsubscribe()
{
    if (d->client)
        d->client->unsubscribe(d->channel)->setAutoDelete(true);
}

} // namespace Tether
