// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "cli_format.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonParseError>

namespace TetherCli {

std::optional<QJsonValue> parseJson(QStringView text)
{
    // QJsonDocument parses only objects and arrays: wrapping the text in an array accepts
    // scalars too, and "exactly one element" refuses lists such as `1,2`.
    const QString trimmed = text.trimmed().toString();
    if (trimmed.isEmpty())
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(
        QByteArray("[") + trimmed.toUtf8() + QByteArray("]"), &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().at(0);
}

QJsonValue linePayload(QStringView line)
{
    if (line.endsWith(u'\r'))
        line.chop(1);
    if (const std::optional<QJsonValue> json = parseJson(line))
        return *json;
    return QJsonValue(line.toString());
}

QByteArray compactJson(const QJsonValue &value)
{
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);  // strip the wrapping [ ]
}

QByteArray receivedLine(const QString &channel, const QString &id, const QJsonValue &payload)
{
    const auto stringOrNull = [](const QString &s) {
        return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
    };
    QByteArray line;
    line.reserve(32 + channel.size() + id.size());
    line += "{\"ch\":";
    line += compactJson(stringOrNull(channel));
    line += ",\"id\":";
    line += compactJson(stringOrNull(id));
    line += ",\"d\":";
    line += compactJson(payload);
    line += '}';
    return line;
}

} // namespace TetherCli
