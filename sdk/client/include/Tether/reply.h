// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Reply: one request, subscribe or unsubscribe in progress (QNetworkReply-like).
#pragma once

#include <Tether/error.h>
#include <Tether/global.h>

#include <QtCore/QCborValue>
#include <QtCore/QException>
#include <QtCore/QFuture>
#include <QtCore/QFutureWatcher>
#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QPromise>
#include <QtCore/QVariant>

#include <memory>
#include <type_traits>

namespace Tether {

class Client;

// How a failed request reaches a QFuture (Reply::future(), Client::call()): as this
// exception, so QFuture::onFailed([](const Tether::RequestError &e) { ... }) runs and
// QFuture::result() throws it.
class TETHER_EXPORT RequestError : public QException
{
public:
    // The exception of a request that ended in `error`.
    explicit RequestError(const Error &error);
    ~RequestError() override;
    // A copy with the same error (QFuture copies exceptions between threads).
    RequestError(const RequestError &other);
    // Takes the other's error.
    RequestError &operator=(const RequestError &other);
    // Why the request failed (its code, message and server data).
    Error error() const;
    const char *what() const noexcept override;  // the error's message, UTF-8
    // Throws this exception (QException's contract, used by QFuture).
    void raise() const override;
    // A copy on the heap (QException's contract, used by QFuture).
    RequestError *clone() const override;

private:
    // The error and its UTF-8 message; a pointer so the layout can change behind it.
    struct Data;
    std::unique_ptr<Data> d;
};

// Converts a request's `result` into `*out`, an object of `type` (Reply::futureAs<T>(),
// Client::call<T>()). Strict for what JSON and CBOR can say: a number for the arithmetic
// types (an integer type only from an integral value in its range), a string for QString,
// bytes for QByteArray, a map or an array for the Qt CBOR/JSON/variant containers, any
// value for QCborValue, QJsonValue and QVariant; other types through QMetaType's
// conversion of result.toVariant(). Returns NoError, or UnexpectedResult naming both types
// (then `*out` is unchanged).
TETHER_EXPORT Error convertResult(const QCborValue &result, QMetaType type, void *out);

// Lifetime: the caller owns a Reply (parented to the Client, so it dies with it at worst)
// and should deleteLater() it after finished(), like a QNetworkReply; or call
// setAutoDelete(true) and the Reply deletes itself after emitting finished().
// finished() is always emitted exactly once and never from inside the call that created
// the Reply, so connecting right after request() never misses it. Deleting a Reply that
// has not finished abandons the request (its answer is ignored).
class TETHER_EXPORT Reply : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool finished READ isFinished NOTIFY finished)
    Q_PROPERTY(Tether::Error error READ error NOTIFY finished)
    Q_PROPERTY(QVariant result READ resultVariant NOTIFY finished)
    Q_PROPERTY(QString method READ method CONSTANT)

public:
    ~Reply() override;

    // The method name ("sub"/"unsub" requests report "subscribe"/"unsubscribe").
    QString method() const;
    bool isFinished() const;  // true once the outcome is known (from just before finished())
    // NoError once finished successfully; the failure otherwise: Timeout, ConnectionLost,
    // Rejected (serverCode()/data() from `res.err`), NotSupported, Aborted, ClientClosed.
    // NoError while not finished.
    Error error() const;
    // The result (`res.d`); undefined when not finished or failed.
    QCborValue result() const;
    QVariant resultVariant() const;  // result().toVariant()

    bool autoDelete() const;  // whether the Reply deletes itself after finished(); false by default
    // true: the Reply deleteLater()s itself after emitting finished(), or at once (still via
    // deleteLater()) when it has already finished. false: the caller deletes it.
    void setAutoDelete(bool autoDelete);

    // A future that completes with result() on success; on failure it holds a
    // Tether::RequestError (onFailed() runs, result() throws it). QFuture::cancel() aborts
    // the request like abort() (the future is then canceled). Never cancelled by the SDK.
    QFuture<QCborValue> future();
    // The same future with the result converted to T (convertResult(): a result of another
    // type fails it with Error::UnexpectedResult as a RequestError). cancel() aborts the
    // request; deleting an unfinished Reply fails it with Aborted.
    template<typename T>
    QFuture<T> futureAs();

public Q_SLOTS:
    // Fails the request with Error::Aborted at once (finished() is emitted); a late answer
    // is ignored. No-op when already finished.
    void abort();

Q_SIGNALS:
    // The request ended, successfully or not (see error() and result()): exactly once, never
    // from inside the call that created the Reply.
    void finished();
    // Emitted just before finished() when the request failed.
    void errorOccurred(const Tether::Error &error);

private:
    Q_DISABLE_COPY_MOVE(Reply)
    friend class Client;
    friend class ClientPrivate;
    explicit Reply(const QString &method, QObject *parent);
    class Private;
    std::unique_ptr<Private> d;
};

template<typename T>
QFuture<T> Reply::futureAs()
{
    static_assert(std::is_default_constructible_v<T>, "Reply::futureAs<T>(): T must be default-constructible");
    auto promise = std::make_shared<QPromise<T>>();
    promise->start();
    const QFuture<T> future = promise->future();
    const auto complete = [promise](const Error &error, const QCborValue &result) {
        T value{};
        const Error failure = error.isError() ? error : convertResult(result, QMetaType::fromType<T>(), &value);
        if (failure.isError())
            promise->setException(RequestError(failure));
        else
            promise->addResult(std::move(value));
        promise->finish();
    };
    if (isFinished()) {
        complete(error(), result());
        return future;
    }
    connect(this, &Reply::finished, this, [this, complete] { complete(error(), result()); });
    // A future must not stay pending forever once its Reply is gone unfinished.
    connect(this, &QObject::destroyed, [promise, complete] {
        if (!promise->future().isFinished())
            complete(Error(Error::Aborted, QStringLiteral("reply deleted")), QCborValue());
    });
    // QFuture::cancel() reaches the watcher through this thread's event loop.
    auto *watcher = new QFutureWatcher<T>(this);
    connect(watcher, &QFutureWatcherBase::canceled, this, &Reply::abort);
    watcher->setFuture(future);
    return future;
}

} // namespace Tether
