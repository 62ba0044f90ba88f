// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: validation of Options (see options.h).
//
// Why here and not in the constructor: a Connection cannot refuse to exist (the engine
// never throws), so the constructor keeps what it is given and copes (backoff.cpp clamps,
// maxInFlight is capped). setOptions() can refuse, so it checks first and changes nothing
// on an error. Messages name the option in words both APIs share ("heartbeat timeout"),
// since the public ClientOptions spell the fields differently.
#include "options.h"

#include <cmath>

namespace Tether::Engine {

namespace {

Error invalid(const QString &message)
{
    return Error::make(ErrorKind::Local, ErrorCode::InvalidArgument, QStringLiteral("invalid options: ") + message);
}

} // namespace

std::optional<Error> validateOptions(const Options &o)
{
    const struct {
        const char *name;
        Duration value;
    } durations[] = {
        {"handshake timeout", o.handshakeTimeout},
        {"backoff initial delay", o.backoffInitial},
        {"backoff max delay", o.backoffMax},
        {"initial reconnect jitter", o.initialRandomDelay},
        {"stable period", o.stablePeriod},
        {"heartbeat interval", o.heartbeatInterval},
        {"heartbeat timeout", o.heartbeatTimeout},
        {"probe timeout", o.probeTimeout},
        {"probe timeout floor", o.probeTimeoutFloor},
        {"time jump threshold", o.timeJumpThreshold},
        {"ack delay", o.ackDelay},
        {"request timeout", o.requestTimeout},
        {"token timeout", o.tokenTimeout},
        {"persist interval", o.persistInterval},
    };
    for (const auto &d : durations) {
        if (d.value.count() < 0)
            return invalid(QStringLiteral("the %1 is negative (%2 ms)").arg(QLatin1StringView(d.name)).arg(d.value.count()));
    }

    if (!std::isfinite(o.backoffMultiplier) || o.backoffMultiplier < 1.0)
        return invalid(QStringLiteral("the backoff multiplier must be a finite number >= 1 (got %1)").arg(o.backoffMultiplier));

    const struct {
        const char *name;
        qint64 value;
        qint64 minimum;
    } counts[] = {
        {"max reconnect attempts", o.maxAttempts, 0},
        {"queue bound in messages", o.maxQueuedMessages, 1},
        {"queue bound in bytes", o.maxQueuedBytes, 1},
        {"max in flight", o.maxInFlight, 1},
        {"max incoming frame size", o.maxIncomingFrame, 1},
        {"recent id window", o.recentIdWindow, 0},
        {"ack every", o.ackEvery, 0},
        {"max token attempts", o.maxTokenAttempts, 0},
        {"persist max changes", o.persistMaxChanges, 1},
        {"compression threshold", o.compressionThreshold, 0},
    };
    for (const auto &c : counts) {
        if (c.value < c.minimum)
            return invalid(QStringLiteral("the %1 must be at least %2 (got %3)")
                               .arg(QLatin1StringView(c.name)).arg(c.minimum).arg(c.value));
    }

    // The public API converts its enums exhaustively; a cast integer is the only way here.
    switch (o.jitter) {
    case JitterMode::Full: case JitterMode::Equal: case JitterMode::None: break;
    default: return invalid(QStringLiteral("unknown jitter mode %1").arg(int(o.jitter)));
    }
    switch (o.overflow) {
    case OverflowPolicy::RejectNew: case OverflowPolicy::DropOldest: break;
    default: return invalid(QStringLiteral("unknown overflow policy %1").arg(int(o.overflow)));
    }
    switch (o.durability) {
    case Durability::Memory: case Durability::CrashSafe: case Durability::PowerSafe: break;
    default: return invalid(QStringLiteral("unknown durability %1").arg(int(o.durability)));
    }
    switch (o.codec) {
    case Protocol::CodecKind::Json: case Protocol::CodecKind::Cbor: break;
    default: return invalid(QStringLiteral("unknown codec %1").arg(int(o.codec)));
    }
    return std::nullopt;
}

} // namespace Tether::Engine
