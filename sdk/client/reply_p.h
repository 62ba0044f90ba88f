// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Reply's private part. Not public API.
#pragma once

#include <Tether/reply.h>

#include <QtCore/QPromise>

#include <functional>
#include <optional>

namespace Tether {

class Reply::Private
{
public:
    QString method;
    bool finished = false;
    bool autoDelete = false;
    Error error;
    QCborValue result;
    std::optional<QPromise<QCborValue>> promise;
    // Set by the Client while the request is pending: forgets it on abort() or deletion.
    std::function<void()> cancel;

    // Ends the reply: stores the outcome, completes the future and emits (queued when
    // `queued`, so a Reply that fails inside request() still lets the caller connect).
    static void finish(Reply *reply, const QCborValue &result, const Error &error);
    static void finishLater(Reply *reply, const Error &error);
    // Completes the future (if one was asked for) with the outcome.
    void completeFuture();
    static Reply *create(const QString &method, QObject *parent) { return new Reply(method, parent); }
};

} // namespace Tether
