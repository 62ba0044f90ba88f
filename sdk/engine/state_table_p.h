// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the connection state machine as a table. Not public API.
//
// Rules:
// - Every change of State goes through transition(); nothing else assigns a state.
// - Every (state, input) pair has an entry: either a next state, or Ignored (the input is
//   stale or meaningless in that state, e.g. a socket event when no socket exists: it is
//   dropped without effect). A test walks every pair; docs/architecture.md's diagram is
//   checked against this table by a test.
// - docs/protocol.md §8 decides what a close code means: classifyClose() is that table, row
//   by row. Codes §8 does not list are treated as temporary (reconnect with backoff).
//
// Theory of operation: inputs are lifecycle facts already interpreted by the connection
// (a close code classified, a frame recognised as welcome, attempts counted against
// Options::maxAttempts -> GiveUp). The connection performs the side effects of the input;
// the table only says where the state goes, so the two cannot disagree silently.
#pragma once

#include "types.h"

#include <QtCore/QLatin1StringView>

#include <optional>

namespace Tether::Engine {

enum class Input {
    Open,          // app: open()
    Close,         // app: close()
    TokenReady,    // app: provideToken()
    TokenFailed,   // app: tokenFailed(), or the token timer ran out (tries left)
    SocketOpened,  // transport: open with a Tether subprotocol (raw mode: any)
    Welcome,       // server: a valid welcome (raw mode: the socket opened)
    LinkLost,      // temporary close, transport error, protocol error, handshake/heartbeat timeout
    TokenExpired,  // close 4001 with token tries left: fetch a new token, reconnect at once
    Permanent,     // close 1008/4400-4999, ProtocolMismatch, tries exhausted
    ServerClosed,  // close 1000 from the server
    RetryDue,      // the backoff wait elapsed (or a network/app signal cut it short)
    Suspend,       // app: suspend() (close 1001, keep the session and the outbox)
};
inline constexpr int kInputCount = 12;
QLatin1StringView inputName(Input input);

// The next state for (state, input), or nullopt when the input is ignored in that state.
std::optional<State> transition(State state, Input input);

// docs/protocol.md §8, for a close code received from the server (or 1006 for no close frame).
enum class CloseClass {
    Normal,        // 1000: the server ended the session on purpose -> Closed
    Temporary,     // reconnect with backoff
    TokenExpired,  // 4001: new token, reconnect at once
    ProtocolError, // 1002, 1003, 1007, 1009: report, reconnect with backoff
    Permanent,     // 1008, 4400-4999: Failed, no retry
};
CloseClass classifyClose(int code);
QLatin1StringView closeClassName(CloseClass cls);

} // namespace Tether::Engine
