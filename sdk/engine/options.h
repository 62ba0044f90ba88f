// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: configuration of a Connection and of each send/request.
//
// Not public API. Every default here is the documented default of the SDK.
#pragma once

#include "persist.h"
#include "types.h"

#include <protocol/batch.h>
#include <protocol/compression.h>
#include <protocol/codec.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QPair>
#include <QtCore/QString>
#include <QtCore/QUrl>

#include <functional>

namespace Tether::Engine {

// How a backoff delay d = min(max, initial * multiplier^(attempt-1)) is randomised.
enum class JitterMode {
    Full,   // uniform in [0, d]  (default: spreads a fleet best)
    Equal,  // d/2 + uniform in [0, d/2]
    None,   // exactly d
};

// What send() does when the outbox is at its count or byte bound.
enum class OverflowPolicy {
    RejectNew,   // send() fails at once with QueueFull (default)
    DropOldest,  // the oldest not-yet-sent message is dropped (DropReason::QueueFull)
};

enum class Delivery {
    AtLeastOnce,  // reliable: seq + id, acked, retransmitted until delivered/rejected/dropped
    AtMostOnce,   // no seq: sent once (queued while offline), never retransmitted
};

// A source of uniformly distributed 64-bit values. Tests inject a seeded one.
using RandomSource = std::function<quint64()>;

// A token provider answer is fed back through Connection::provideToken()/tokenFailed().
// Connection::setOptions() says when each field takes effect on a running connection.
struct Options {
    // Endpoints, tried in turn (the next one after each failed attempt).
    QList<QUrl> urls;
    // Extra HTTP headers for the upgrade request (passed through in OpenSocket).
    QList<QPair<QByteArray, QByteArray>> headers;
    // Protocol codec offered to the server (exactly one is offered, so a payload can be
    // encoded once at send() time).
    Protocol::CodecKind codec = Protocol::CodecKind::Json;
    // Highest protocol version offered. V1_1 (docs/protocol.md §10) offers
    // `tether.v1.1.<codec>` before `tether.v1.<codec>`; a v1 server picks the latter and gets
    // exactly v1. When v1.1 is picked, the frames pollAction() finds waiting are coalesced
    // into one SendFrame of at most `batchBytes` bytes (and the server's maxFrame), and
    // once `batchBytes` of messages wait, Connection::batchDue() asks for them to leave
    // before the caller's turn ends. 4 KiB: an app sending a burst of small messages (a
    // window of 256 64-byte messages is 24 KiB) hands the server work six times per window
    // instead of once, so both ends work at the same time (docs/benchmarks.md, session 11).
    Protocol::Version maxProtocol = Protocol::Version::V1_1;
    qsizetype batchBytes = 4 * 1024;
    // Compressed batches (docs/protocol.md §10.5), v1.1 only: `compression` offers
    // `tether.v1.1.<codec>+deflate` before the plain v1.1 name; when the server picks it,
    // every SendFrame of at least `compressionThreshold` bytes leaves compressed through the
    // socket's one deflate stream (context takeover), and compressed messages from the
    // server are inflated by its one inflate stream, bounded by maxIncomingFrame. Read when
    // a socket opens, and per SendFrame.
    bool compression = false;
    qsizetype compressionThreshold = Protocol::kDefaultCompressionThreshold;
    // Raw mode (docs/protocol.md §9): no hello, no envelope. Subprotocols offered in raw mode.
    bool rawMode = false;
    QList<QByteArray> rawSubprotocols;
    // The `agent` field of hello.
    QString agent = QStringLiteral("tether-cpp/0.1.0");

    // Handshake: socket opened + welcome received, counted from OpenSocket.
    Duration handshakeTimeout{10'000};

    // Backoff (see backoff.h).
    Duration backoffInitial{500};
    double backoffMultiplier = 2.0;
    Duration backoffMax{30'000};
    JitterMode jitter = JitterMode::Full;
    int maxAttempts = 0;               // consecutive failed attempts before Failed; 0 = forever
    Duration initialRandomDelay{0};    // >0: the first retry after a dropped *established*
                                       // connection waits uniform [0, this] instead of backoff(1)
    Duration stablePeriod{10'000};     // connected this long => attempt counters reset

    // Heartbeats (docs/protocol.md §7). welcome.hb overrides the interval when given.
    Duration heartbeatInterval{15'000};
    Duration heartbeatTimeout{10'000};
    // A probe (notifyNetworkChanged()/notifyAppResumed()/a time jump) must be answered
    // within an RTO-like deadline (heartbeat_p.h): probeTimeout until a round trip was
    // measured, then max(probeTimeoutFloor, SRTT + 4 * RTTVAR).
    Duration probeTimeout{3'000};
    Duration probeTimeoutFloor{500};
    Duration timeJumpThreshold{5'000}; // a call this late past the earliest deadline = the machine slept
    // notifyAppBackground(): suspend after this long in the background; negative: never.
    Duration backgroundCloseDelay{-1};

    // Outbox (the offline queue).
    qsizetype maxQueuedMessages = 10'000;
    qsizetype maxQueuedBytes = 16 * 1024 * 1024;
    OverflowPolicy overflow = OverflowPolicy::RejectNew;
    qsizetype maxInFlight = 256;       // reliable messages unacknowledged (protocol caps at 1024)

    // Inbound.
    qsizetype maxIncomingFrame = 16 * 1024 * 1024;
    qsizetype recentIdWindow = 4096;   // delivered ids remembered to suppress cross-session duplicates
    Duration ackDelay{50};             // an ack is sent at most this long after a delivery...
    qsizetype ackEvery = 64;           // ...and at once when this many are unacknowledged

    // Requests.
    Duration requestTimeout{30'000};   // default per request, counted from the request() call

    // Token provider: when true the engine asks for a token (TokenRequired) before each
    // connect and on close 4001; hello carries it. Ignored in raw mode (no hello).
    bool useToken = false;
    Duration tokenTimeout{10'000};     // a provider that does not answer in time counts as failed
    int maxTokenAttempts = 3;          // consecutive failed/rejected tokens before Failed(Unauthorized)

    // Persistence (persist.h has the rules). How far messages are kept unless a send says
    // otherwise; the Qt layer sets CrashSafe when a store path is configured. Memory: the
    // engine does no persistence work at all until a message asks for more (or restore()).
    Durability durability = Durability::Memory;
    Duration persistInterval{5};       // a batch is due this long after its first change...
    qsizetype persistMaxChanges = 1024; // ...or at once when it holds this many changes

    // MessageStatusChanged events (a message Written, or Queued again when its connection
    // is lost). Off: none are produced, which saves an event and an id string per
    // transmission; outcomes (Delivered, Rejected, Dropped, Sent) are always reported. The
    // Qt layer turns it on only while something listens to Client::messageStatusChanged.
    bool progressEvents = true;

    // Random source for jitter and message ids; empty = the system CSPRNG (random_p.h).
    // Fixed for the life of a Connection: setOptions() ignores it.
    RandomSource random;
};

// Why `options` cannot configure a Connection (InvalidArgument, naming the option), or
// nullopt. Refused: a negative duration, a count or byte bound below 1 (queue bounds,
// maxInFlight, maxIncomingFrame, persistMaxChanges), a backoff multiplier below 1 or not finite, a negative
// maxAttempts/recentIdWindow/ackEvery/maxTokenAttempts, an enum value out
// of range. A maxInFlight above the protocol's 1024 is not an error: it is capped.
std::optional<Error> validateOptions(const Options &options);

struct SendOptions {
    Delivery delivery = Delivery::AtLeastOnce;
    QString channel;         // non-empty: a publication on that channel
    QString id;              // empty: 128 bits of the random source in base64url (unique, not secret)
    QString coalescingKey;   // non-empty: replaces a queued, not-yet-sent message with the same key
    // 0 = no TTL. Otherwise a message not yet transmitted in the current session when its
    // TTL runs out is dropped(Expired) and never sent. A message already written keeps
    // waiting for its ack/nack (Delivered/Rejected) even past its TTL, since the server may
    // have it; if the session is then lost (welcome.resumed=false) it is dropped(Expired)
    // instead of being renumbered and sent again.
    Duration ttl{0};
    // How far this message is kept (persist.h); none = Options::durability. A Memory
    // message is never stored, even by a client whose default is CrashSafe.
    std::optional<Durability> durability;
};

struct RequestOptions {
    Duration timeout{-1};    // <0: Options::requestTimeout; 0: no timeout
    bool retryable = false;  // idempotent: resent after the next welcome instead of ConnectionLost
};

} // namespace Tether::Engine
