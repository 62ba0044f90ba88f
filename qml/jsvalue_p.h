// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// JS values <-> Tether payloads. Not public API.
//
// Rules ("without surprises": what JSON.stringify/JSON.parse would do, plus bytes):
//   JS -> payload: null -> null; undefined -> null at the top level, an omitted property
//   inside an object and null inside an array (as JSON.stringify); bool -> bool; a number
//   that is an integer within +-2^53 -> CBOR integer (so `{count: 5}` is a uint on the wire,
//   not 5.0), any other number -> double; string -> text; ArrayBuffer and typed-array views
//   (Uint8Array...) -> byte string; Date -> ISO 8601 text; Array -> array; other objects ->
//   map of their own enumerable properties (functions omitted). QObjects, cycles and
//   nesting deeper than kMaxDepth are refused (std::nullopt: the caller reports
//   InvalidPayload) instead of being sent half-converted.
//   payload -> JS: map -> object, array -> Array, integer/double -> number, text -> string,
//   byte string -> ArrayBuffer, null -> null, undefined -> undefined, other CBOR tags
//   (dates, URLs) -> what QVariant makes of them.
#pragma once

#include <Tether/error.h>
#include <Tether/stats.h>

#include <QtCore/QCborValue>
#include <QtQml/QJSEngine>
#include <QtQml/QJSValue>

#include <optional>

namespace Tether::Qml {

inline constexpr int kMaxDepth = 64;

std::optional<QCborValue> toPayload(QJSEngine *engine, const QJSValue &value);
QJSValue toJs(QJSEngine *engine, const QCborValue &value);

// The error of a payload QML cannot send (functions, QObjects, cycles, too deep).
Error invalidPayloadError();

} // namespace Tether::Qml
