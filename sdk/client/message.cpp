// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Message: an implicitly shared value over the decoded payload.
#include <Tether/message.h>

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

namespace Tether {

class MessageData : public QSharedData
{
public:
    QCborValue payload;
    QString channel;
    QString id;
    bool reliable = false;
};

Message::Message() : d(new MessageData) {}

Message::Message(const QCborValue &payload, const QString &channel, const QString &id, bool reliable)
    : d(new MessageData)
{
    d->payload = payload;
    d->channel = channel;
    d->id = id;
    d->reliable = reliable;
}

Message::Message(const Message &other) = default;
Message::Message(Message &&other) noexcept = default;
Message &Message::operator=(const Message &other) = default;
Message &Message::operator=(Message &&other) noexcept = default;
Message::~Message() = default;

QCborValue Message::payload() const { return d->payload; }
QJsonValue Message::toJson() const { return d->payload.toJsonValue(); }
QVariant Message::toVariant() const { return d->payload.toVariant(); }
bool Message::isBinary() const { return d->payload.isByteArray(); }
QString Message::channel() const { return d->channel; }
QString Message::id() const { return d->id; }
bool Message::isReliable() const { return d->reliable; }

QByteArray Message::toByteArray() const
{
    const QCborValue &p = d->payload;
    if (p.isByteArray())
        return p.toByteArray();
    if (p.isString())
        return p.toString().toUtf8();
    const QJsonValue json = p.toJsonValue();
    if (json.isObject())
        return QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    if (json.isArray())
        return QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    // A scalar: wrap in an array to reuse QJsonDocument's number/bool/null formatting.
    QByteArray wrapped = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

bool operator==(const Message &a, const Message &b)
{
    return a.d == b.d
        || (a.d->reliable == b.d->reliable && a.d->id == b.d->id && a.d->channel == b.d->channel
            && a.d->payload == b.d->payload);
}

} // namespace Tether
