// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conversions between the public API's types and the engine's. Not public API.
//
// Pure functions, no state: the unit tests in tests/client check each of them.
#pragma once

#include "autotest_p.h"

#include <Tether/error.h>
#include <Tether/options.h>
#include <Tether/stats.h>
#include <Tether/types.h>

#include <engine/options.h>
#include <engine/outputs.h>
#include <engine/types.h>

#include <QtCore/QCborValue>
#include <QtCore/QJsonValue>
#include <QtCore/QVariant>

#include <optional>

namespace Tether::Convert {

// A payload for the engine. nullopt when the value has no CBOR/JSON equivalent
// (send() then fails with InvalidPayload). An invalid QVariant is null.
TETHER_AUTOTEST_EXPORT std::optional<QCborValue> payload(const QVariant &value);
TETHER_AUTOTEST_EXPORT std::optional<QCborValue> payload(const QJsonValue &value);

// The engine's configuration for these client options and endpoints.
TETHER_AUTOTEST_EXPORT Engine::Options engineOptions(const ClientOptions &options,
                                                     const QList<QUrl> &urls);
TETHER_AUTOTEST_EXPORT Engine::SendOptions engineSendOptions(const SendOptions &options);
TETHER_AUTOTEST_EXPORT Engine::Durability durability(Durability durability);
TETHER_AUTOTEST_EXPORT Engine::RequestOptions engineRequestOptions(const RequestOptions &options);

// The public error for an engine error. `transport` is the last error the transport
// reported: it refines the engine's generic TransportError (refused, DNS, TLS).
TETHER_AUTOTEST_EXPORT Error error(const Engine::Error &error, const Error &transport = {});
TETHER_AUTOTEST_EXPORT Error::Code errorCode(Engine::ErrorCode code);

TETHER_AUTOTEST_EXPORT State state(Engine::State state);
TETHER_AUTOTEST_EXPORT DropReason dropReason(Engine::DropReason reason);
TETHER_AUTOTEST_EXPORT TokenReason tokenReason(Engine::TokenReason reason);
TETHER_AUTOTEST_EXPORT SubscriptionStatus subscriptionStatus(Engine::ChannelStatus status);
TETHER_AUTOTEST_EXPORT MessageStatus messageStatus(Engine::MessageStatus status);

// The counters; the parts that run with the clock (offlineMs's running part,
// connectedSince) are the caller's: it has the clocks (Client::stats()).
TETHER_AUTOTEST_EXPORT ClientStats stats(const Engine::Stats &stats, qint64 lastRttUs);

} // namespace Tether::Convert
