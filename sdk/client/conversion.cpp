// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conversions between public and engine types: see conversion_p.h.
#include "conversion_p.h"

#include <Tether/version.h>

namespace Tether::Convert {

std::optional<QCborValue> payload(const QVariant &value)
{
    if (!value.isValid() || value.metaType() == QMetaType::fromType<std::nullptr_t>())
        return QCborValue(QCborValue::Null);
    // QCborValue::fromVariant() handles JSON/CBOR containers, maps, lists, strings,
    // numbers, bools, byte arrays, URLs, UUIDs and dates; anything else becomes a string
    // when QVariant can make one, or Undefined — which we refuse.
    const QCborValue cbor = QCborValue::fromVariant(value);
    if (cbor.isUndefined())
        return std::nullopt;
    return cbor;
}

std::optional<QCborValue> payload(const QJsonValue &value)
{
    if (value.isUndefined())
        return std::nullopt;
    return QCborValue::fromJsonValue(value);
}

Engine::Options engineOptions(const ClientOptions &o, const QList<QUrl> &urls)
{
    Engine::Options e;
    e.urls = urls;
    e.headers = o.extraHeaders;
    e.codec = o.codec == Codec::Cbor ? Protocol::CodecKind::Cbor : Protocol::CodecKind::Json;
    e.rawMode = o.rawMode;
    e.agent = QString::fromLatin1(Tether::agent());
    e.handshakeTimeout = o.handshakeTimeout;

    e.backoffInitial = o.backoff.initialDelay;
    e.backoffMultiplier = o.backoff.multiplier;
    e.backoffMax = o.backoff.maxDelay;
    switch (o.backoff.jitter) {
    case JitterMode::Full: e.jitter = Engine::JitterMode::Full; break;
    case JitterMode::Equal: e.jitter = Engine::JitterMode::Equal; break;
    case JitterMode::None: e.jitter = Engine::JitterMode::None; break;
    }
    e.maxAttempts = o.backoff.maxAttempts;
    e.initialRandomDelay = o.backoff.initialJitter;
    e.stablePeriod = o.backoff.stablePeriod;

    e.heartbeatInterval = o.heartbeat.interval;
    e.heartbeatTimeout = o.heartbeat.timeout;
    e.probeTimeout = o.heartbeat.probeTimeout;

    e.maxQueuedMessages = o.queue.maxMessages;
    e.maxQueuedBytes = o.queue.maxBytes;
    e.overflow = o.queue.overflow == OverflowPolicy::DropOldest ? Engine::OverflowPolicy::DropOldest
                                                                : Engine::OverflowPolicy::RejectNew;
    e.maxInFlight = o.queue.maxInFlight;

    e.maxIncomingFrame = o.maxIncomingFrameSize;
    e.requestTimeout = o.requestTimeout;
    e.useToken = bool(o.tokenProvider);

    // Without a store nothing is persisted, whatever durability says (ClientOptions).
    e.durability = o.storage.isEmpty() ? Engine::Durability::Memory : durability(o.durability);
    e.persistInterval = o.storageCommitInterval;
    e.persistMaxChanges = o.storageCommitChanges;
    return e;
}

Engine::Durability durability(Durability d)
{
    switch (d) {
    case Durability::Memory: return Engine::Durability::Memory;
    case Durability::CrashSafe: return Engine::Durability::CrashSafe;
    case Durability::PowerSafe: return Engine::Durability::PowerSafe;
    }
    return Engine::Durability::CrashSafe;
}

Engine::SendOptions engineSendOptions(const SendOptions &o)
{
    Engine::SendOptions e;
    e.delivery = o.delivery == Delivery::AtMostOnce ? Engine::Delivery::AtMostOnce
                                                    : Engine::Delivery::AtLeastOnce;
    e.channel = o.channel;
    e.id = o.id;
    e.coalescingKey = o.coalescingKey;
    e.ttl = o.ttl;
    if (o.durability)
        e.durability = durability(*o.durability);
    return e;
}

Engine::RequestOptions engineRequestOptions(const RequestOptions &o)
{
    Engine::RequestOptions e;
    // Public 0 = "the client's default"; the engine spells that as a negative timeout.
    e.timeout = o.timeout.count() > 0 ? o.timeout : Engine::Duration(-1);
    e.retryable = o.retryable;
    return e;
}

Error::Code errorCode(Engine::ErrorCode code)
{
    using E = Engine::ErrorCode;
    switch (code) {
    case E::QueueFull: return Error::QueueFull;
    case E::FrameTooLarge: return Error::FrameTooLarge;
    case E::NotSupported: return Error::NotSupported;
    case E::InvalidArgument: return Error::InvalidArgument;
    case E::NotConnected: return Error::NotConnected;
    case E::Closed: return Error::ClientClosed;
    case E::Timeout: return Error::Timeout;
    case E::HandshakeTimeout: return Error::HandshakeTimeout;
    case E::HeartbeatTimeout: return Error::HeartbeatTimeout;
    case E::ConnectionLost: return Error::ConnectionLost;
    case E::TransportError: return Error::NetworkError;
    case E::ProtocolError: return Error::ProtocolError;
    case E::ProtocolMismatch: return Error::ProtocolMismatch;
    case E::Unauthorized: return Error::Unauthorized;
    case E::Forbidden: return Error::Forbidden;
    case E::TokenExpired: return Error::TokenExpired;
    case E::TokenUnavailable: return Error::TokenUnavailable;
    case E::SessionTaken: return Error::SessionTaken;
    case E::Rejected: return Error::Rejected;
    case E::ServerError: return Error::ServerError;
    case E::MaxAttempts: return Error::MaxAttempts;
    case E::StorageError: return Error::StorageError;
    }
    return Error::ProtocolError;
}

Error error(const Engine::Error &e, const Error &transport)
{
    Error::Code code = errorCode(e.code);
    QString message = e.message;
    QCborValue data = e.data;
    // The engine knows only "the socket failed"; the transport knows how (and, for TLS,
    // which certificate errors: its data()).
    if (code == Error::NetworkError && transport.isError() && transport.kind() == Error::Transport) {
        code = transport.code();
        if (message.isEmpty())
            message = transport.message();
        if (data.isUndefined())
            data = transport.data();
    }
    Error result(code, message, e.fatal);
    result.setServerCode(e.remoteCode).setCloseCode(e.closeCode).setData(data);
    return result;
}

State state(Engine::State s)
{
    switch (s) {
    case Engine::State::Idle: return State::Idle;
    case Engine::State::Connecting: return State::Connecting;
    case Engine::State::Connected: return State::Connected;
    case Engine::State::Reconnecting: return State::Reconnecting;
    case Engine::State::Failed: return State::Failed;
    case Engine::State::Closed: return State::Closed;
    }
    return State::Idle;
}

DropReason dropReason(Engine::DropReason r)
{
    switch (r) {
    case Engine::DropReason::QueueFull: return DropReason::QueueFull;
    case Engine::DropReason::Superseded: return DropReason::Superseded;
    case Engine::DropReason::Expired: return DropReason::Expired;
    case Engine::DropReason::Closed: return DropReason::Closed;
    }
    return DropReason::Closed;
}

TokenReason tokenReason(Engine::TokenReason r)
{
    switch (r) {
    case Engine::TokenReason::Connect: return TokenReason::Connect;
    case Engine::TokenReason::Expired: return TokenReason::Expired;
    }
    return TokenReason::Connect;
}

ClientStats stats(const Engine::Stats &s, qint64 lastRttUs)
{
    ClientStats c;
    c.sent = s.sent;
    c.received = s.received;
    c.acked = s.acked;
    c.rejected = s.rejected;
    c.retransmitted = s.retransmitted;
    c.droppedQueueFull = s.dropped[std::size_t(Engine::DropReason::QueueFull)];
    c.droppedSuperseded = s.dropped[std::size_t(Engine::DropReason::Superseded)];
    c.droppedExpired = s.dropped[std::size_t(Engine::DropReason::Expired)];
    c.droppedClosed = s.dropped[std::size_t(Engine::DropReason::Closed)];
    c.duplicatesSuppressed = s.duplicatesSuppressed;
    c.reconnects = s.reconnects;
    c.lastRttUs = lastRttUs >= 0 ? lastRttUs
        : (s.lastRtt ? qint64(std::chrono::duration_cast<std::chrono::microseconds>(*s.lastRtt).count()) : -1);
    c.queueDepth = int(s.queueDepth);
    c.queueBytes = s.queueBytes;
    c.inFlight = int(s.inFlight);
    c.pendingRequests = int(s.pendingRequests);
    c.persisted = s.persisted;
    c.storageActive = false;  // the Qt layer knows whether a store is open (ClientPrivate::stats())
    return c;
}

} // namespace Tether::Convert
