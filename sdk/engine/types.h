// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the value types shared by its API (time, states, errors, stats).
//
// Not public API: the SDK's public headers live in sdk/client/include/Tether/. The client
// maps these onto its public types.
//
// Time: the engine has no clock. Every input that depends on time takes `now`, a
// TimePoint of the caller's *steady* clock (std::chrono::steady_clock in the client, a fake
// clock in tests; any epoch works as long as it never goes backwards). Durations in
// options are milliseconds.
#pragma once

#include <QtCore/QCborValue>
#include <QtCore/QString>

#include <array>
#include <chrono>
#include <optional>

namespace Tether::Engine {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;
using RttDuration = std::chrono::microseconds;  // round trips are reported in microseconds

// The connection state the app sees. `Connected` means `welcome` was received (or, in raw
// mode, the socket is open). `Connecting` covers fetching a token, opening the socket and
// the hello/welcome handshake; `Reconnecting` is the wait before the next attempt.
enum class State { Idle, Connecting, Connected, Reconnecting, Failed, Closed };
inline constexpr int kStateCount = 6;
QLatin1StringView stateName(State state);

// Who is at fault, in the h11 sense.
enum class ErrorKind {
    Local,      // the app misused the API or a local limit was hit (queue full, frame too large)
    Remote,     // the server misbehaved or refused (protocol error, nack, 4401, error frame)
    Transport,  // the socket failed (refused, reset, TLS, abnormal close)
    Timeout,    // something did not happen in time (request, handshake, heartbeat)
};

enum class ErrorCode {
    QueueFull,          // Local: outbox over its count or byte bound (policy RejectNew)
    FrameTooLarge,      // Local: the frame would exceed the server's welcome.maxFrame
    NotSupported,       // Local: requests/channels/acks in raw mode, or a payload the codec cannot carry
    InvalidArgument,    // Local: empty method/channel, unknown request id...
    NotConnected,       // Local: provideToken() when no token was asked for, etc.
    Closed,             // Local: the app called close(); pending work ends with this
    Timeout,            // Timeout: request or token fetch not answered in time
    HandshakeTimeout,   // Timeout: no welcome within Options::handshakeTimeout
    HeartbeatTimeout,   // Timeout: nothing received within the heartbeat/probe timeout
    ConnectionLost,     // Transport: the connection dropped with this request on it
    TransportError,     // Transport: socket error (refused, DNS, TLS...)
    ProtocolError,      // Remote: bad frame, gap, ack for an unsent seq, close 1002/1003/1007/1009
    ProtocolMismatch,   // Remote, fatal: the server picked no Tether subprotocol
    Unauthorized,       // Remote, fatal: close 4401, or the token provider kept failing
    Forbidden,          // Remote, fatal: close 4403
    TokenExpired,       // Remote: close 4001 (the engine asks for a new token)
    TokenUnavailable,   // Local: the app's token provider failed (tokenFailed())
    SessionTaken,       // Remote, fatal: close 4409 (another instance resumed our session)
    Rejected,           // Remote: the server refused a message (nack) or a request (res.err)
    ServerError,        // Remote: an `error` frame, or a permanent close code not named above
    MaxAttempts,        // Local, fatal: Options::maxAttempts reconnection attempts failed
    StorageError,       // Local: the store failed (read-only, disk full...): persistence is off (persist.h)
};
QLatin1StringView errorCodeName(ErrorCode code);

// An error value. Never thrown.
struct Error {
    ErrorKind kind = ErrorKind::Local;
    ErrorCode code = ErrorCode::ProtocolError;
    QString message;     // for humans; never contains a token
    QString remoteCode;  // the server's error code string (nack/res/error frame), else empty
    QCborValue data;     // the server's err.data, else undefined
    int closeCode = 0;   // the WebSocket close code involved, else 0
    bool fatal = false;  // true: the engine went to Failed and will not retry on its own

    static Error make(ErrorKind kind, ErrorCode code, QString message, bool fatal = false);
};

// Why a message ended without being delivered.
enum class DropReason {
    QueueFull,   // evicted by OverflowPolicy::DropOldest
    Superseded,  // replaced by a newer message with the same coalescing key
    Expired,     // its TTL ran out before it was acknowledged
    Closed,      // the app called close() without keeping the outbox
};
inline constexpr int kDropReasonCount = 4;
QLatin1StringView dropReasonName(DropReason reason);

// The status of one channel in the desired set (channels_p.h has the transitions).
enum class ChannelStatus {
    Unsubscribed,  // not wanted (never subscribed, or unsubscribe())
    Pending,       // wanted, messages not flowing: sub in flight, or no connection now
    Subscribed,    // the server confirmed it on the current connection: messages flow
    Error,         // the server refused it (then no longer wanted) or its sub timed out
};
inline constexpr int kChannelStatusCount = 4;

// The progress of one outgoing message (outbox_p.h has the transitions). Queued and
// Written come as MessageStatusChanged; the others are the outcome events themselves.
enum class MessageStatus {
    Queued,     // waiting in the outbox (again, after its connection was lost unacknowledged)
    Written,    // handed to the transport on the current connection (at-most-once: its end)
    Delivered,  // acknowledged by the server (Delivered)
    Rejected,   // refused (Rejected)
    Dropped,    // ended without delivery (Dropped)
    Persisted,  // made durable by the store (Persisted); not an end
};
inline constexpr int kMessageStatusCount = 6;

// Counters since the Connection was created (never reset by reconnects).
struct Stats {
    quint64 sent = 0;                  // msg frames handed to the transport (incl. retransmissions)
    quint64 received = 0;              // messages delivered to the app
    quint64 acked = 0;                 // reliable messages acknowledged by the server (delivered)
    quint64 rejected = 0;              // reliable messages nacked by the server
    quint64 retransmitted = 0;         // msg frames sent again after a reconnect
    std::array<quint64, kDropReasonCount> dropped{};  // indexed by DropReason
    quint64 duplicatesSuppressed = 0;  // inbound duplicates (by seq or by id) not delivered
    quint64 reconnects = 0;            // connection attempts after the first
    quint64 protocolErrors = 0;        // bad server input seen
    quint64 requestsSent = 0;
    quint64 requestsTimedOut = 0;
    std::optional<RttDuration> lastRtt;   // last heartbeat round trip
    qsizetype queueDepth = 0;          // messages in the outbox (queued + in flight)
    qsizetype queueBytes = 0;          // their encoded payload bytes
    qsizetype inFlight = 0;            // reliable messages sent and not yet acknowledged
    qsizetype pendingRequests = 0;     // requests waiting or in flight (incl. sub/unsub)
    quint64 persisted = 0;             // Persisted events (messages made durable by the store)
    bool storageDegraded = false;      // the store failed: this client keeps working in Memory mode
    // Traffic and link quality (issue 15).
    quint64 bytesIn = 0;               // frame bytes received (payload of every WebSocket frame)
    quint64 bytesOut = 0;              // frame bytes handed to the transport
    quint64 resumes = 0;               // welcomes that resumed the session
    quint64 compressedSent = 0;        // messages sent compressed (docs/protocol.md §10.5)
    quint64 compressedReceived = 0;    // compressed messages received and inflated
    quint64 sessionsLost = 0;          // SessionLost events
    std::optional<RttDuration> minRtt;       // smallest heartbeat round trip
    std::optional<RttDuration> smoothedRtt;  // RFC 6298 SRTT (heartbeat.cpp)
    std::optional<TimePoint> connectedSince; // the current connection's welcome; none when not connected
    // Time not connected since the first open(): offlineTotal, plus now - offlineSince
    // while offline (the engine has no clock: the caller adds the running part).
    Duration offlineTotal{0};
    std::optional<TimePoint> offlineSince;
};

} // namespace Tether::Engine
