// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Options of a Client (ClientOptions), of one send (SendOptions) and of one request
// (RequestOptions). Plain structs with documented defaults: set what you need, keep the
// rest. Every default is the one docs/protocol.md and docs/api.md name.
//
// ### Tether 2: these are aggregates, so adding a field changes the ABI; a pimpl'd
// options class would not.
#pragma once

#include <Tether/global.h>
#include <Tether/tlsoptions.h>
#include <Tether/types.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QPair>
#include <QtCore/QString>
#include <QtNetwork/QNetworkProxy>

#include <chrono>
#include <functional>
#include <optional>

class QDebug;

namespace Tether {

// Reconnection: exponential backoff with jitter (docs/protocol.md §8).
struct BackoffOptions {
    std::chrono::milliseconds initialDelay{500};   // delay before the 2nd attempt
    double multiplier = 2.0;                       // growth per failed attempt
    std::chrono::milliseconds maxDelay{30000};     // cap on the delay
    JitterMode jitter = JitterMode::Full;          // how each delay is randomised
    int maxAttempts = 0;                           // 0 = retry forever; else Failed after N
    // Random delay in [0, this] before the first reconnect after a dropped connection,
    // so a fleet of clients does not reconnect all at once after a server restart (with
    // JitterMode::Full: the first window, see JitterMode).
    std::chrono::milliseconds initialJitter{1000};
    // The attempt counter resets only after a connection stayed up this long.
    std::chrono::milliseconds stablePeriod{10000};
};

// Liveness (docs/protocol.md §7).
struct HeartbeatOptions {
    std::chrono::milliseconds interval{15000};     // ping period (welcome.hb overrides)
    std::chrono::milliseconds timeout{10000};      // no sign of life this long after a ping: dead
    // After notifyNetworkChanged()/notifyAppStateChanged(active): the probe ping's timeout
    // until a round trip was measured; then it adapts like TCP's RTO: the smoothed RTT plus
    // four times its deviation, never below minProbeTimeout (docs/api.md).
    std::chrono::milliseconds probeTimeout{3000};
    // The floor of the adaptive probe timeout (probeTimeout above).
    std::chrono::milliseconds minProbeTimeout{500};
};

// The outbox (offline queue) and the in-flight window (docs/protocol.md §4).
struct QueueOptions {
    int maxMessages = 10000;                       // messages queued or in flight
    qint64 maxBytes = 16 * 1024 * 1024;            // their encoded payload bytes
    OverflowPolicy overflow = OverflowPolicy::RejectNew;  // what send() does when full
    int maxInFlight = 256;                         // unacknowledged reliable messages (<= 1024)
    // close() reports queued messages dropped(Closed) unless this is true, in which case
    // they wait for the next open().
    bool keepOnClose = false;
};

// A token for `hello.token` (never put in the URL: URLs end up in proxy and server logs; a
// URL whose query looks like it carries a secret gets one warning, tether.client). The
// provider is called before each connection attempt
// (TokenReason::Connect) and after a 4001 close (TokenReason::Expired). It answers by
// calling `reply` exactly once — at once or later, on the client's thread — with the token,
// or with std::nullopt and a reason when it cannot get one. Only one call is in flight at a
// time. A provider that keeps failing ends in Failed (Error::TokenUnavailable).
using TokenReply = std::function<void(const std::optional<QString> &token, const QString &failure)>;
using TokenProvider = std::function<void(TokenReason reason, const TokenReply &reply)>;

// Everything a Client is configured with (Client::Client(), Client::setOptions()). The
// defaults connect to a Tether server with JSON, reconnect forever with backoff and queue
// up to 10000 messages / 16 MiB while offline.
struct ClientOptions {
    Codec codec = Codec::Json;                     // the subprotocol offered
    // Raw mode (docs/protocol.md §9): any WebSocket server, no envelope, no hello; each send is
    // one frame of the payload (QByteArray: binary frame, QString: text frame, anything
    // else: Error::NotSupported). Requests and subscribe()/unsubscribe() fail with
    // NotSupported, and so does a send with SendOptions::channel; every send is at-most-once
    // (ends in sent(id)) whatever SendOptions::delivery says.
    bool rawMode = false;
    BackoffOptions backoff;                        // reconnect delays and attempt limit
    HeartbeatOptions heartbeat;                    // ping interval and liveness timeouts
    QueueOptions queue;                            // outbox bounds and in-flight window
    std::chrono::milliseconds handshakeTimeout{10000};  // socket open + welcome
    std::chrono::milliseconds requestTimeout{30000};    // default of RequestOptions::timeout
    qint64 maxIncomingFrameSize = 16 * 1024 * 1024;     // larger frames close the connection (1009)
    TokenProvider tokenProvider;                   // empty: no token is sent
    TlsOptions tls;                                // wss://: trust, pins, client certificate
    // The proxy the socket goes through (HTTP CONNECT or SOCKS5). Default
    // QNetworkProxy::DefaultProxy: the application's (QNetworkProxy::setApplicationProxy()),
    // none unless the app set one. QNetworkProxy::NoProxy: always direct.
    QNetworkProxy proxy{QNetworkProxy::DefaultProxy};
    // Extra HTTP headers on the WebSocket upgrade request (e.g. a cookie). Never logged.
    QList<QPair<QByteArray, QByteArray>> extraHeaders;

    // The durable outbox and session (docs/delivery.md, "What survives what"): a SQLite
    // file (created when missing) that keeps every queued and unacknowledged message, the
    // session, the desired channels and the incoming dedupe window. A Client created later
    // with the same path restores them before open() (restored(), queuedMessages()): the
    // first hello resumes the session and every restored message ends in one outcome
    // signal like any other. One Client per file at a time: a second one (in this or
    // another process) gets Error::StorageInUse and runs in memory. A file that is not a
    // Tether store, or is corrupt, is moved aside (never deleted) and a fresh one is used;
    // a store that cannot be written (read-only, disk full) leaves the client in memory
    // mode (Error::StorageError, ClientStats::storageActive false), dropping nothing.
    // Empty (default): everything lives in memory. Set at construction, or by setOptions()
    // while the client is stopped with an empty outbox.
    QString storage;
    // The durability of each send when `storage` is set (SendOptions::durability
    // overrides it per message). Without storage every message is Memory.
    Durability durability = Durability::CrashSafe;
    // Group commit: a change is written at most this long after it happened...
    std::chrono::milliseconds storageCommitInterval{5};
    // ...or at once when this many changes wait (a PowerSafe message: at once).
    int storageCommitChanges = 1024;

    // --- observing the client and platform policy (Qt-native API round 2) ---
    // Client::statsChanged() comes at most this often (0: after every input that changed
    // something; negative counts as 0).
    std::chrono::milliseconds statsInterval{250};
    // After notifyAppStateChanged() reported the background (suspended or hidden) for this
    // long, the client suspend()s (socket closed with 1001, session and outbox kept) and
    // reopens when the app is active again. Negative: never. Default: 30 s on Android and
    // iOS (their background apps lose their sockets anyway), never elsewhere.
    std::chrono::milliseconds backgroundCloseDelay{
#if defined(Q_OS_ANDROID) || defined(Q_OS_IOS)
        30000
#else
        -1
#endif
    };
    // Raw mode only: the WebSocket subprotocols offered (Sec-WebSocket-Protocol), for a
    // server that requires one; subprotocol() says which it picked. Empty: none offered.
    // Tether mode always offers the codec's own subprotocol and ignores this.
    QList<QByteArray> rawSubprotocols;
};

// One send (Client::send()).
struct SendOptions {
    QString channel;                               // publish on this channel; empty: direct
    Delivery delivery = Delivery::AtLeastOnce;     // the guarantee (ignored in raw mode)
    // Time to live, counted from send() (from a slot of the Client's signals: from when that
    // signal was emitted); 0 = none. A message not yet transmitted in the
    // current session when it runs out ends in dropped(id, Expired) and is never sent. A
    // message already written keeps waiting for its ack/nack (delivered()/rejected()) even
    // past its TTL, since the server may have it; if its session is then lost (the next
    // welcome starts a new session, see sessionLost(); or close() keeps it, with
    // QueueOptions::keepOnClose), it ends in dropped(id, Expired) instead of being sent again.
    std::chrono::milliseconds ttl{0};
    // A newer send with the same key replaces this one while it is still queued and unsent
    // (DropReason::Superseded): latest value wins. Empty: no coalescing.
    QString coalescingKey;
    // The message id (idempotency key). Empty: the SDK generates a unique one.
    QString id;
    // How far this message is kept (see Durability); unset: ClientOptions::durability.
    // Without ClientOptions::storage it is always Memory.
    std::optional<Durability> durability;
};

// One request (Client::request()).
struct RequestOptions {
    // Fails with Error::Timeout this long after the call, even while waiting offline.
    // 0 = ClientOptions::requestTimeout.
    std::chrono::milliseconds timeout{0};
    // Idempotent: resent after a reconnect instead of failing with ConnectionLost.
    bool retryable = false;
};

// For logs: every option, with secrets hidden — the token provider and the proxy password
// only as set or not, extra header values and the client key as <redacted>.
TETHER_EXPORT QDebug operator<<(QDebug debug, const ClientOptions &options);

} // namespace Tether
