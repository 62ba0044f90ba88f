// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether wire protocol v1: one plain struct per frame type of docs/protocol.md §2.
//
// Not public API: the SDK's public headers live in sdk/client/include/Tether/.
// These types are shared by the engine, the reference server and the tests.
//
// Rules the structs encode:
// - an optional field is a std::optional: absent on the wire when empty, never null;
// - unsigned integers are quint64 limited to 0 .. 2^53-1 (kMaxUInt) by the codecs, so
//   JSON and CBOR carry exactly the same range;
// - a payload `d` is a QCborValue: it holds every JSON value and, in CBOR, byte strings.
#pragma once

#include <QtCore/QCborValue>
#include <QtCore/QString>

#include <optional>
#include <variant>

namespace Tether::Protocol {

inline constexpr quint64 kVersion = 1;
inline constexpr quint64 kMaxUInt = (quint64(1) << 53) - 1;

// The error object carried by nack and res: { code, msg, data? }.
struct ErrorObject {
    QString code;
    QString msg;
    std::optional<QCborValue> data;
    friend bool operator==(const ErrorObject &a, const ErrorObject &b);
    friend bool operator!=(const ErrorObject &a, const ErrorObject &b) { return !(a == b); }
};

// C->S, first frame. `v` is always kVersion (a decoder rejects any other).
struct Hello {
    std::optional<QString> sid;
    std::optional<quint64> rx;
    std::optional<quint64> ak;
    std::optional<QString> token;
    std::optional<QString> agent;
    friend bool operator==(const Hello &a, const Hello &b);
    friend bool operator!=(const Hello &a, const Hello &b) { return !(a == b); }
};

// S->C, answer to hello.
struct Welcome {
    QString sid;
    bool resumed = false;
    quint64 rx = 0;
    std::optional<quint64> hb;
    std::optional<quint64> maxFrame;
    std::optional<quint64> ttl;
    friend bool operator==(const Welcome &a, const Welcome &b);
    friend bool operator!=(const Welcome &a, const Welcome &b) { return !(a == b); }
};

// Both directions. Reliable when seq is set (seq 0 is invalid).
struct Msg {
    std::optional<quint64> seq;
    std::optional<QString> id;
    std::optional<QString> ch;
    QCborValue d;
    // Decoded with DecodeOptions::skipPlainMsgPayload: `d` was valid but not built.
    bool payloadSkipped = false;
    friend bool operator==(const Msg &a, const Msg &b);
    friend bool operator!=(const Msg &a, const Msg &b) { return !(a == b); }
};

struct Ack {
    quint64 seq = 0;
    friend bool operator==(const Ack &a, const Ack &b) { return a.seq == b.seq; }
    friend bool operator!=(const Ack &a, const Ack &b) { return !(a == b); }
};

// S->C: the server refuses the client message `seq`.
struct Nack {
    quint64 seq = 0;
    ErrorObject err;
    friend bool operator==(const Nack &a, const Nack &b) { return a.seq == b.seq && a.err == b.err; }
    friend bool operator!=(const Nack &a, const Nack &b) { return !(a == b); }
};

struct Req {
    quint64 id = 0;
    QString m;
    std::optional<QCborValue> d;
    friend bool operator==(const Req &a, const Req &b);
    friend bool operator!=(const Req &a, const Req &b) { return !(a == b); }
};

// S->C: exactly one of result (`d`) or error (`err`).
struct Res {
    quint64 id = 0;
    std::variant<QCborValue, ErrorObject> result;
    bool isError() const { return std::holds_alternative<ErrorObject>(result); }
    friend bool operator==(const Res &a, const Res &b);
    friend bool operator!=(const Res &a, const Res &b) { return !(a == b); }
};

struct Sub {
    quint64 id = 0;
    QString ch;
    friend bool operator==(const Sub &a, const Sub &b) { return a.id == b.id && a.ch == b.ch; }
    friend bool operator!=(const Sub &a, const Sub &b) { return !(a == b); }
};

struct Unsub {
    quint64 id = 0;
    QString ch;
    friend bool operator==(const Unsub &a, const Unsub &b) { return a.id == b.id && a.ch == b.ch; }
    friend bool operator!=(const Unsub &a, const Unsub &b) { return !(a == b); }
};

// S->C, sent just before a close. (Named ErrorFrame: `Error` is the SDK's error value.)
struct ErrorFrame {
    QString code;
    QString msg;
    std::optional<quint64> retryAfter;
    friend bool operator==(const ErrorFrame &a, const ErrorFrame &b);
    friend bool operator!=(const ErrorFrame &a, const ErrorFrame &b) { return !(a == b); }
};

using Frame = std::variant<Hello, Welcome, Msg, Ack, Nack, Req, Res, Sub, Unsub, ErrorFrame>;

// The wire name (`t`) of a frame: "hello", "welcome", ...
QLatin1StringView frameTypeName(const Frame &frame);

} // namespace Tether::Protocol
