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
    e.rawSubprotocols = o.rawSubprotocols;
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
    e.probeTimeoutFloor = o.heartbeat.minProbeTimeout;
    e.backgroundCloseDelay = o.backgroundCloseDelay;

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

// One vocabulary: each public enum mirrors its engine enum value by value, so the mapping
// is a cast; these checks make a new, removed or reordered enumerator fail to compile.
#define TETHER_MIRRORS(Public, Engine, Name) \
    static_assert(int(Public::Name) == int(Engine::Name), #Public "::" #Name " differs from the engine's")

TETHER_MIRRORS(State, Engine::State, Idle);
TETHER_MIRRORS(State, Engine::State, Connecting);
TETHER_MIRRORS(State, Engine::State, Connected);
TETHER_MIRRORS(State, Engine::State, Reconnecting);
TETHER_MIRRORS(State, Engine::State, Failed);
TETHER_MIRRORS(State, Engine::State, Closed);
static_assert(int(State::Closed) + 1 == Engine::kStateCount, "State: count differs from the engine's");

TETHER_MIRRORS(DropReason, Engine::DropReason, QueueFull);
TETHER_MIRRORS(DropReason, Engine::DropReason, Superseded);
TETHER_MIRRORS(DropReason, Engine::DropReason, Expired);
TETHER_MIRRORS(DropReason, Engine::DropReason, Closed);
static_assert(int(DropReason::Closed) + 1 == Engine::kDropReasonCount, "DropReason: count differs");

TETHER_MIRRORS(TokenReason, Engine::TokenReason, Connect);
TETHER_MIRRORS(TokenReason, Engine::TokenReason, Expired);

TETHER_MIRRORS(SubscriptionStatus, Engine::ChannelStatus, Unsubscribed);
TETHER_MIRRORS(SubscriptionStatus, Engine::ChannelStatus, Pending);
TETHER_MIRRORS(SubscriptionStatus, Engine::ChannelStatus, Subscribed);
TETHER_MIRRORS(SubscriptionStatus, Engine::ChannelStatus, Error);
static_assert(int(SubscriptionStatus::Error) + 1 == Engine::kChannelStatusCount, "SubscriptionStatus: count differs");

TETHER_MIRRORS(MessageStatus, Engine::MessageStatus, Queued);
TETHER_MIRRORS(MessageStatus, Engine::MessageStatus, Written);
TETHER_MIRRORS(MessageStatus, Engine::MessageStatus, Delivered);
TETHER_MIRRORS(MessageStatus, Engine::MessageStatus, Rejected);
TETHER_MIRRORS(MessageStatus, Engine::MessageStatus, Dropped);
TETHER_MIRRORS(MessageStatus, Engine::MessageStatus, Persisted);
static_assert(int(MessageStatus::Persisted) + 1 == Engine::kMessageStatusCount, "MessageStatus: count differs");

#undef TETHER_MIRRORS

State state(Engine::State s) { return State(int(s)); }
DropReason dropReason(Engine::DropReason r) { return DropReason(int(r)); }
TokenReason tokenReason(Engine::TokenReason r) { return TokenReason(int(r)); }
SubscriptionStatus subscriptionStatus(Engine::ChannelStatus s) { return SubscriptionStatus(int(s)); }
MessageStatus messageStatus(Engine::MessageStatus s) { return MessageStatus(int(s)); }

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
    c.bytesIn = s.bytesIn;
    c.bytesOut = s.bytesOut;
    c.resumes = s.resumes;
    c.sessionsLost = s.sessionsLost;
    const auto us = [](const std::optional<Engine::RttDuration> &rtt) {
        return rtt ? qint64(std::chrono::duration_cast<std::chrono::microseconds>(*rtt).count()) : qint64(-1);
    };
    c.minRttUs = us(s.minRtt);
    c.avgRttUs = us(s.smoothedRtt);
    c.offlineMs = qint64(s.offlineTotal.count());
    return c;
}

} // namespace Tether::Convert
