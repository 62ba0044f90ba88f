// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli's text formats: how a stdin line becomes a payload, and how a received message
// becomes one stdout line. Pure functions, unit-tested (tests/demos/tst_cli_options.cpp).
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonValue>
#include <QtCore/QString>
#include <QtCore/QStringView>

#include <optional>

namespace TetherCli {

// `text` as one JSON value (any value, scalars included), or nullopt when it is not exactly
// one valid JSON value.
std::optional<QJsonValue> parseJson(QStringView text);

// A stdin line (without its '\n'; a trailing '\r' is dropped) as the payload to send:
// the JSON value when the line is valid JSON, else the line as a string.
QJsonValue linePayload(QStringView line);

// One JSON value in compact form (scalars included): `"a"`, `42`, `{"k":[1,2]}`.
QByteArray compactJson(const QJsonValue &value);

// The stdout line for a received message, without the newline:
// {"ch":CHANNEL or null,"id":ID or null,"d":PAYLOAD}, keys in that order.
QByteArray receivedLine(const QString &channel, const QString &id, const QJsonValue &payload);

} // namespace TetherCli
