// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: what the engine asks of its caller (actions) and tells the app (events).
//
// Not public API. Actions are for the transport (the Qt layer performs them in order);
// events are for the application (the Qt layer turns them into signals).
#pragma once

#include "persist.h"
#include "types.h"

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QPair>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <variant>

namespace Tether::Engine {

// ---- Actions: perform each in the order polled ---------------------------------------

// Open a WebSocket to `url` offering `subprotocols`. Report the outcome with
// handleOpened() or handleTransportError()/handleClosed().
struct OpenSocket {
    QUrl url;
    QList<QByteArray> subprotocols;
    QList<QPair<QByteArray, QByteArray>> headers;
};

// Send one WebSocket frame: binary when `binary`, else text (`bytes` is UTF-8).
struct SendFrame {
    QByteArray bytes;
    bool binary = false;
};

// Send a WebSocket ping. Report the pong with handlePong().
struct SendPing {};

// Close the socket cleanly with this code and reason. From this action on the engine
// considers the socket gone: the caller must detach it (its later signals, including its
// `closed`, must not reach the engine).
struct CloseSocket {
    int code = 1000;
    QString reason;
};

// Drop the socket at once without a closing handshake (dead link). Same rule as CloseSocket.
struct AbortSocket {};

// PersistBatch (persist.h): apply it to the store atomically, in `number` order, then
// report with Connection::handlePersisted(). Emitted only when persistence is on.

// (No back-pressure action for incoming messages: the engine never asks the transport to
// pause reading. An app that cannot keep up bounds its own work; ### Tether 2.)
using Action = std::variant<OpenSocket, SendFrame, SendPing, CloseSocket, AbortSocket, PersistBatch>;

// ---- Events: emit each to the app in the order polled ------------------------------

struct StateChanged {
    State from;
    State to;
};

// welcome received (raw mode: socket open). resumed = the server kept our session.
struct Connected {
    bool resumed = false;
    QString sessionId;
};

// An established connection ended (code 1006 when there was no close frame).
struct Disconnected {
    int code = 1006;
    QString reason;
};

// The engine will make attempt `attempt` (1-based) after `delay`.
struct Reconnecting {
    int attempt = 1;
    Duration delay{0};
};

// The engine went to Failed; it retries only after open().
struct Failed {
    Error error;
};

// A new session replaced the old one (welcome.resumed = false after a previous session):
// messages may have been missed on every listed channel and outside channels.
struct SessionLost {
    QStringList channels;
};

struct MessageReceived {
    QCborValue payload;          // raw mode: a byte array (binary frame) or a string (text frame)
    QString id;                  // empty when the server sent none
    QString channel;             // empty when not a publication
    bool reliable = false;       // came with a seq (already acknowledged by the engine)
};

// A reliable message was acknowledged by the server.
struct Delivered {
    QString id;
};

// An at-most-once message (or any raw-mode message) was handed to the transport: its end.
struct Sent {
    QString id;
};

// The server refused the message (nack), or it could not be sent (FrameTooLarge).
struct Rejected {
    QString id;
    Error error;
};

struct Dropped {
    QString id;
    DropReason reason;
};

// The store made this message durable (the batch that wrote it was reported by
// handlePersisted() without error). At most once per message and always before its outcome
// (Delivered/Rejected/Dropped/Sent); a message that ended before its batch was durable
// never gets one. Messages restored by restore() were durable already: none for them.
struct Persisted {
    QString id;
};

// A message progressed without ending: Written (handed to the transport on this
// connection) or Queued (its connection was lost before its ack: it waits to be sent
// again). Reliable messages only; an at-most-once message's Written is its Sent event.
// Never for a message that already ended; never at send() (its result says Queued).
struct MessageStatusChanged {
    QString id;
    MessageStatus status = MessageStatus::Queued;
};

// A channel's status changed (channels_p.h). `error` with Error (the server's refusal,
// or why the sub did not complete).
struct ChannelStatusChanged {
    QString channel;
    ChannelStatus status = ChannelStatus::Unsubscribed;
    std::optional<Error> error;
};

// A request (incl. subscribe/unsubscribe) finished: exactly one per accepted request().
struct RequestFinished {
    quint64 id = 0;
    QCborValue result;            // when !error
    std::optional<Error> error;
};

// Heartbeat round trip measured from SendPing to handlePong().
struct Heartbeat {
    RttDuration rtt{0};
};

// Why the engine asks for a token (TokenRequired::reason).
enum class TokenReason {
    Connect,  // a connection attempt needs one
    Expired,  // the server closed with 4001 (docs/protocol.md §8): the last token provided expired
              // and no other was provided since, so it must not be handed out again
};

// Answer with provideToken() or tokenFailed() (within Options::tokenTimeout).
struct TokenRequired {
    int attempt = 1;  // consecutive failed or rejected tokens + 1
    TokenReason reason = TokenReason::Connect;
};

// A non-fatal error worth reporting (protocol error, transport error, server error frame,
// a failed re-subscribe...). Fatal errors come as Failed.
struct ErrorOccurred {
    Error error;
};

using Event = std::variant<StateChanged, Connected, Disconnected, Reconnecting, Failed,
                           SessionLost, MessageReceived, Delivered, Sent, Rejected, Dropped,
                           RequestFinished, Heartbeat, TokenRequired, ErrorOccurred, Persisted,
                           MessageStatusChanged, ChannelStatusChanged>;

} // namespace Tether::Engine
