// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Subscription's private part. Not public API.
#pragma once

#include <Tether/subscription.h>

#include <QtCore/QPointer>

namespace Tether {

class Subscription::Private
{
public:
    QPointer<Client> client;
    QString channel;
    SubscriptionStatus status = SubscriptionStatus::Unsubscribed;
    Error error;
    int holders = 0;  // retain() - release()
};

} // namespace Tether
