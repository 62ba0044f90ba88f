// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The enumerations of the Tether SDK, in one namespace with a meta-object so QML (and
// QMetaEnum::valueToKey() in logs) can name them.
#pragma once

#include <Tether/global.h>

#include <QtCore/QObject>

namespace Tether {
Q_NAMESPACE_EXPORT(TETHER_EXPORT)
// QML names these enums only scoped (Tether.State.Closed): unscoped, State::Closed and
// DropReason::Closed (and others) would clash in one scope.
Q_CLASSINFO("RegisterEnumClassesUnscoped", "false")

// The connection state of a Client (docs/protocol.md §3, §8).
enum class State {
    Idle,          // never opened
    Connecting,    // first connection attempt: socket opening, or waiting for `welcome`
    Connected,     // `welcome` received (raw mode: socket open); sends flow
    Reconnecting,  // the link dropped; waiting out the backoff or trying again
    Failed,        // permanent error (see Client::error()); nothing happens until open()
    Closed,        // closed by the app, or by the server with 1000
};
Q_ENUM_NS(State)

// The wire encoding the client offers (docs/protocol.md §1).
enum class Codec {
    Json,  // `tether.v1.json`: text frames. Cannot carry byte strings.
    Cbor,  // `tether.v1.cbor`: binary frames. Carries byte strings; smaller and faster.
};
Q_ENUM_NS(Codec)

// What the SDK promises about one message.
enum class Delivery {
    AtLeastOnce,  // sequenced, acknowledged, retransmitted until it ends in one outcome
    AtMostOnce,   // sent once when connected (queued while offline), never retransmitted
};
Q_ENUM_NS(Delivery)

// What send() does when the outbox is full (by count or by bytes).
enum class OverflowPolicy {
    RejectNew,   // send() fails with Error::QueueFull; queued messages are kept
    DropOldest,  // the oldest not-yet-sent message is dropped (dropped(id, QueueFull))
};
Q_ENUM_NS(OverflowPolicy)

// How the reconnect delay is randomised (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
enum class JitterMode {
    // (default) one attempt per backoff window, the windows laid end to end from the drop
    // (initialJitter, then the delays of attempts 2, 3, ...), at a random fraction of the
    // window drawn once per outage: a fleet's attempts are spread evenly over every window
    // and each delay stays within [0, delay]
    Full,
    Equal,  // delay/2 + uniform in [0, delay/2]
    None,   // exactly the exponential delay (tests, single clients)
};
Q_ENUM_NS(JitterMode)

// How far a message is kept (ClientOptions::storage, ClientOptions::durability,
// SendOptions::durability). docs/delivery.md "What survives what" has the full table.
enum class Durability {
    Memory,     // in the process only: lost if the process dies (the only class without storage)
    CrashSafe,  // written to the store in group commits: survives the process being killed
                // or crashing (default with ClientOptions::storage)
    PowerSafe,  // also survives power loss or an OS crash: each group commit is fsynced
};
Q_ENUM_NS(Durability)

// Why a message ended without being delivered or rejected (Client::dropped()).
enum class DropReason {
    QueueFull,   // pushed out by a newer message (OverflowPolicy::DropOldest)
    Superseded,  // replaced by a newer message with the same coalescing key
    Expired,     // its TTL ran out before it was sent, or it was lost with its session
                 // (see SendOptions::ttl)
    Closed,      // the app called close() while it was queued
};
Q_ENUM_NS(DropReason)

// Why the SDK asks the token provider for a token (ClientOptions::tokenProvider).
enum class TokenReason {
    Connect,  // before a connection attempt
    Expired,  // the server closed with 4001: the last token expired (also on the retries
              // after a failed answer, until the provider gives a new token)
};
Q_ENUM_NS(TokenReason)

// Where a channel subscription stands (Subscription::status()). The engine decides each
// transition (docs/api.md "Subscriptions" has the table).
enum class SubscriptionStatus {
    Unsubscribed,  // not wanted: never subscribed, or unsubscribe()
    Pending,       // wanted, messages not flowing: the sub is on its way, or there is no
                   // connection now (a resumed session makes it Subscribed again at once)
    Subscribed,    // the server confirmed it on the current connection: messages flow
    Error,         // the server refused it (then no longer wanted) or its sub timed out
                   // (still wanted: the next new session subscribes again)
};
Q_ENUM_NS(SubscriptionStatus)

// The progress of one message sent with send() (Client::messageStatusChanged()).
enum class MessageStatus {
    Queued,     // waiting in the outbox: emitted when its connection was lost before its
                // acknowledgement (it is sent again); send()'s result already says Queued
    Written,    // handed to the socket on the current connection (AtMostOnce: its end)
    Delivered,  // acknowledged by the server: its end (delivered())
    Rejected,   // refused by the server: its end (rejected())
    Dropped,    // ended without delivery: its end (dropped())
    Persisted,  // in the durable store (persisted()); not an end
};
Q_ENUM_NS(MessageStatus)

} // namespace Tether
