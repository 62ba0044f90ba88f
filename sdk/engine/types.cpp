// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "types.h"

namespace Tether::Engine {

Error Error::make(ErrorKind kind, ErrorCode code, QString message, bool fatal)
{
    Error error;
    error.kind = kind;
    error.code = code;
    error.message = std::move(message);
    error.fatal = fatal;
    return error;
}

QLatin1StringView stateName(State state)
{
    switch (state) {
    case State::Idle: return QLatin1StringView("Idle");
    case State::Connecting: return QLatin1StringView("Connecting");
    case State::Connected: return QLatin1StringView("Connected");
    case State::Reconnecting: return QLatin1StringView("Reconnecting");
    case State::Failed: return QLatin1StringView("Failed");
    case State::Closed: return QLatin1StringView("Closed");
    }
    return QLatin1StringView("?");
}

QLatin1StringView errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::QueueFull: return QLatin1StringView("QueueFull");
    case ErrorCode::FrameTooLarge: return QLatin1StringView("FrameTooLarge");
    case ErrorCode::NotSupported: return QLatin1StringView("NotSupported");
    case ErrorCode::InvalidArgument: return QLatin1StringView("InvalidArgument");
    case ErrorCode::NotConnected: return QLatin1StringView("NotConnected");
    case ErrorCode::Closed: return QLatin1StringView("Closed");
    case ErrorCode::Timeout: return QLatin1StringView("Timeout");
    case ErrorCode::HandshakeTimeout: return QLatin1StringView("HandshakeTimeout");
    case ErrorCode::HeartbeatTimeout: return QLatin1StringView("HeartbeatTimeout");
    case ErrorCode::ConnectionLost: return QLatin1StringView("ConnectionLost");
    case ErrorCode::TransportError: return QLatin1StringView("TransportError");
    case ErrorCode::ProtocolError: return QLatin1StringView("ProtocolError");
    case ErrorCode::ProtocolMismatch: return QLatin1StringView("ProtocolMismatch");
    case ErrorCode::Unauthorized: return QLatin1StringView("Unauthorized");
    case ErrorCode::Forbidden: return QLatin1StringView("Forbidden");
    case ErrorCode::TokenExpired: return QLatin1StringView("TokenExpired");
    case ErrorCode::TokenUnavailable: return QLatin1StringView("TokenUnavailable");
    case ErrorCode::SessionTaken: return QLatin1StringView("SessionTaken");
    case ErrorCode::Rejected: return QLatin1StringView("Rejected");
    case ErrorCode::ServerError: return QLatin1StringView("ServerError");
    case ErrorCode::MaxAttempts: return QLatin1StringView("MaxAttempts");
    case ErrorCode::StorageError: return QLatin1StringView("StorageError");
    }
    return QLatin1StringView("?");
}

QLatin1StringView dropReasonName(DropReason reason)
{
    switch (reason) {
    case DropReason::QueueFull: return QLatin1StringView("QueueFull");
    case DropReason::Superseded: return QLatin1StringView("Superseded");
    case DropReason::Expired: return QLatin1StringView("Expired");
    case DropReason::Closed: return QLatin1StringView("Closed");
    }
    return QLatin1StringView("?");
}

} // namespace Tether::Engine
