// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Reply: one request's outcome, QNetworkReply-style.
#include "reply_p.h"

#include <QtCore/QFutureWatcher>
#include <QtCore/QMetaObject>
#include <QtCore/QPointer>

namespace Tether {

// ---- RequestError --------------------------------------------------------------------

struct RequestError::Data {
    Error error;
    QByteArray what;
};

RequestError::RequestError(const Error &error) : d(new Data{error, error.message().toUtf8()}) {}
RequestError::~RequestError() = default;
RequestError::RequestError(const RequestError &other) : QException(other), d(new Data(*other.d)) {}

RequestError &RequestError::operator=(const RequestError &other)
{
    if (this != &other)
        *d = *other.d;
    return *this;
}

Error RequestError::error() const { return d->error; }
const char *RequestError::what() const noexcept { return d->what.constData(); }
void RequestError::raise() const { throw *this; }
RequestError *RequestError::clone() const { return new RequestError(*this); }

// ---- Reply ---------------------------------------------------------------------------

void Reply::Private::completeFuture()
{
    if (!promise)
        return;
    if (error.isError())
        promise->setException(RequestError(error));
    else
        promise->addResult(result);
    promise->finish();
}

Reply::Reply(const QString &method, QObject *parent) : QObject(parent), d(new Private)
{
    d->method = method;
}

Reply::~Reply()
{
    if (!d->finished && d->cancel)
        d->cancel();  // the Client forgets the request: a late answer is ignored
    if (d->promise && !d->finished) {
        // A future must not stay pending forever once its Reply is gone.
        d->error = Error(Error::Aborted, QStringLiteral("reply deleted"));
        d->completeFuture();
    }
}

QString Reply::method() const { return d->method; }
bool Reply::isFinished() const { return d->finished; }
Error Reply::error() const { return d->error; }
QCborValue Reply::result() const { return d->result; }
QVariant Reply::resultVariant() const { return d->result.toVariant(); }
bool Reply::autoDelete() const { return d->autoDelete; }

void Reply::setAutoDelete(bool autoDelete)
{
    d->autoDelete = autoDelete;
    if (autoDelete && d->finished)
        deleteLater();
}

QFuture<QCborValue> Reply::future()
{
    if (!d->promise) {
        d->promise.emplace();
        d->promise->start();
        if (d->finished) {
            d->completeFuture();
        } else {
            // QFuture::cancel() reaches the watcher through this thread's event loop.
            auto *watcher = new QFutureWatcher<QCborValue>(this);
            connect(watcher, &QFutureWatcherBase::canceled, this, &Reply::abort);
            watcher->setFuture(d->promise->future());
        }
    }
    return d->promise->future();
}

void Reply::abort()
{
    if (d->finished)
        return;
    Private::finish(this, QCborValue(), Error(Error::Aborted, QStringLiteral("request aborted by the application")));
}

void Reply::Private::finish(Reply *reply, const QCborValue &result, const Error &error)
{
    Private *d = reply->d.get();
    if (d->finished)
        return;
    d->finished = true;
    if (d->cancel) {
        auto cancel = std::move(d->cancel);
        d->cancel = nullptr;
        if (error.code() == Error::Aborted)
            cancel();
    }
    d->result = error.isError() ? QCborValue() : result;
    d->error = error;
    d->completeFuture();
    QPointer<Reply> guard(reply);
    if (error.isError())
        Q_EMIT reply->errorOccurred(error);
    if (guard)
        Q_EMIT reply->finished();
    if (guard && guard->d->autoDelete)
        reply->deleteLater();
}

void Reply::Private::finishLater(Reply *reply, const Error &error)
{
    QPointer<Reply> guard(reply);
    QMetaObject::invokeMethod(reply, [guard, error] {
        if (guard)
            finish(guard, QCborValue(), error);
    }, Qt::QueuedConnection);
}

} // namespace Tether
