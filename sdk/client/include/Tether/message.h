// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Message: one message received from the server (Client::messageReceived()).
#pragma once

#include <Tether/global.h>

#include <QtCore/QCborValue>
#include <QtCore/QJsonValue>
#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QSharedDataPointer>
#include <QtCore/QString>
#include <QtCore/QVariant>

namespace Tether {

class MessageData;

// An implicitly shared value: copying is cheap, the payload is never copied.
class TETHER_EXPORT Message
{
    Q_GADGET
    Q_PROPERTY(QVariant payload READ toVariant)
    Q_PROPERTY(QString channel READ channel)
    Q_PROPERTY(QString id READ id)
    Q_PROPERTY(bool reliable READ isReliable)
    Q_PROPERTY(bool binary READ isBinary)

public:
    Message();  // empty: undefined payload, no channel, no id
    // A message with these fields, as the SDK builds it for Client::messageReceived() (apps
    // need it for tests or to feed their own models). `reliable`: see isReliable().
    Message(const QCborValue &payload, const QString &channel = {}, const QString &id = {},
            bool reliable = false);
    Message(const Message &other);                 // shares other's data (implicitly shared)
    Message(Message &&other) noexcept;             // `other` may then only be assigned or destroyed
    Message &operator=(const Message &other);      // shares other's data (implicitly shared)
    Message &operator=(Message &&other) noexcept;  // `other` may then only be assigned or destroyed
    ~Message();

    // The payload as decoded: every JSON value, and byte strings (CBOR codec, or a binary
    // frame in raw mode). A raw-mode text frame is a string.
    QCborValue payload() const;
    // The payload as JSON. Byte strings become base64url strings (QCborValue::toJsonValue()).
    QJsonValue toJson() const;
    // The payload as a QVariant: maps -> QVariantMap, arrays -> QVariantList, byte strings
    // -> QByteArray, null -> a null QVariant of type std::nullptr_t.
    QVariant toVariant() const;
    // The payload's bytes: a byte string as is, a string as UTF-8, anything else encoded
    // as compact JSON (UTF-8).
    QByteArray toByteArray() const;
    // True when the payload is a byte string (raw-mode binary frame or CBOR bytes).
    bool isBinary() const;

    // The channel it was published on, empty for a direct message.
    QString channel() const;
    // The sender's idempotency key (`msg.id`), empty when the sender set none.
    QString id() const;
    // True when the server sent it reliably (with a `seq`): it was acknowledged by the SDK
    // and duplicates are suppressed. False for an at-most-once message or a raw frame.
    bool isReliable() const;

    friend TETHER_EXPORT bool operator==(const Message &a, const Message &b);
    friend bool operator!=(const Message &a, const Message &b) { return !(a == b); }

private:
    QSharedDataPointer<MessageData> d;
};

} // namespace Tether

Q_DECLARE_METATYPE(Tether::Message)
