// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "state_table_p.h"

#include <array>

namespace Tether::Engine {

namespace {

using S = State;
using I = Input;
constexpr std::optional<State> X = std::nullopt;  // ignored

// Rows: states in enum order. Columns: inputs in enum order:
//   Open, Close, TokenReady, TokenFailed, SocketOpened, Welcome, LinkLost, TokenExpired,
//   Permanent, ServerClosed, RetryDue, Suspend
// Closed x Close and Closed x Suspend are self-loops (accepted, no state change): close()
// after suspend() must still forget the kept session and outbox.
constexpr std::array<std::array<std::optional<State>, kInputCount>, kStateCount> kTable{{
    // Idle
    {S::Connecting, S::Closed, X, X, X, X, X, X, X, X, X, S::Closed},
    // Connecting
    {X, S::Closed, S::Connecting, S::Reconnecting, S::Connecting, S::Connected,
     S::Reconnecting, S::Connecting, S::Failed, S::Closed, X, S::Closed},
    // Connected
    {X, S::Closed, X, X, X, X, S::Reconnecting, S::Connecting, S::Failed, S::Closed, X, S::Closed},
    // Reconnecting
    {S::Connecting, S::Closed, X, X, X, X, X, X, X, X, S::Connecting, S::Closed},
    // Failed
    {S::Connecting, S::Closed, X, X, X, X, X, X, X, X, X, S::Closed},
    // Closed
    {S::Connecting, S::Closed, X, X, X, X, X, X, X, X, X, S::Closed},
}};

} // namespace

std::optional<State> transition(State state, Input input)
{
    return kTable[static_cast<size_t>(state)][static_cast<size_t>(input)];
}

QLatin1StringView inputName(Input input)
{
    switch (input) {
    case I::Open: return QLatin1StringView("Open");
    case I::Close: return QLatin1StringView("Close");
    case I::TokenReady: return QLatin1StringView("TokenReady");
    case I::TokenFailed: return QLatin1StringView("TokenFailed");
    case I::SocketOpened: return QLatin1StringView("SocketOpened");
    case I::Welcome: return QLatin1StringView("Welcome");
    case I::LinkLost: return QLatin1StringView("LinkLost");
    case I::TokenExpired: return QLatin1StringView("TokenExpired");
    case I::Permanent: return QLatin1StringView("Permanent");
    case I::ServerClosed: return QLatin1StringView("ServerClosed");
    case I::RetryDue: return QLatin1StringView("RetryDue");
    case I::Suspend: return QLatin1StringView("Suspend");
    }
    return QLatin1StringView("?");
}

CloseClass classifyClose(int code)
{
    switch (code) {
    case 1000:
        return CloseClass::Normal;
    case 4001:
        return CloseClass::TokenExpired;
    case 1002: case 1003: case 1007: case 1009:
        return CloseClass::ProtocolError;
    case 1008:
        return CloseClass::Permanent;
    case 1001: case 1006: case 1011: case 1012: case 1013: case 1014:
        return CloseClass::Temporary;
    default:
        break;
    }
    if (code >= 4400 && code <= 4999)
        return CloseClass::Permanent;
    // 4000-4399 are temporary by §8; anything §8 does not list is treated the same way.
    return CloseClass::Temporary;
}

QLatin1StringView closeClassName(CloseClass cls)
{
    switch (cls) {
    case CloseClass::Normal: return QLatin1StringView("Normal");
    case CloseClass::Temporary: return QLatin1StringView("Temporary");
    case CloseClass::TokenExpired: return QLatin1StringView("TokenExpired");
    case CloseClass::ProtocolError: return QLatin1StringView("ProtocolError");
    case CloseClass::Permanent: return QLatin1StringView("Permanent");
    }
    return QLatin1StringView("?");
}

} // namespace Tether::Engine
