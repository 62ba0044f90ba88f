// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Reply: one request, subscribe or unsubscribe in progress (QNetworkReply-like).
#pragma once

#include <Tether/error.h>
#include <Tether/global.h>

#include <QtCore/QCborValue>
#include <QtCore/QException>
#include <QtCore/QFuture>
#include <QtCore/QObject>
#include <QtCore/QVariant>

#include <memory>

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

} // namespace Tether
