// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Reply: one request's outcome, QNetworkReply-style.
#include "reply_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QFutureWatcher>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QMetaObject>
#include <QtCore/QPointer>
#include <QtCore/QStringList>

#include <cmath>

namespace Tether {

// ---- convertResult ---------------------------------------------------------------------

namespace {

QString describe(const QCborValue &value)
{
    switch (value.type()) {
    case QCborValue::Integer: return QStringLiteral("an integer");
    case QCborValue::Double: return QStringLiteral("a number");
    case QCborValue::String: return QStringLiteral("a string");
    case QCborValue::ByteArray: return QStringLiteral("bytes");
    case QCborValue::Array: return QStringLiteral("an array");
    case QCborValue::Map: return QStringLiteral("a map");
    case QCborValue::True:
    case QCborValue::False: return QStringLiteral("a bool");
    case QCborValue::Null: return QStringLiteral("null");
    case QCborValue::Undefined: return QStringLiteral("nothing");
    default: return QStringLiteral("a CBOR value of type %1").arg(int(value.type()));
    }
}

bool isIntegerType(QMetaType type)
{
    switch (type.id()) {
    case QMetaType::Int: case QMetaType::UInt: case QMetaType::Long: case QMetaType::ULong:
    case QMetaType::LongLong: case QMetaType::ULongLong: case QMetaType::Short:
    case QMetaType::UShort: case QMetaType::Char: case QMetaType::SChar: case QMetaType::UChar:
        return true;
    default:
        return false;
    }
}

// An integral value into an integer type, only when it fits (converted there and back).
bool toInteger(const QCborValue &value, QMetaType type, void *out)
{
    qint64 n = 0;
    if (value.isInteger()) {
        n = value.toInteger();
    } else if (value.isDouble()) {
        const double d = value.toDouble();
        if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) >= 9.2e18)
            return false;
        n = qint64(d);
    } else {
        return false;
    }
    const bool isUnsigned = type.id() == QMetaType::UInt || type.id() == QMetaType::ULong
        || type.id() == QMetaType::ULongLong || type.id() == QMetaType::UShort || type.id() == QMetaType::UChar;
    if (isUnsigned && n < 0)
        return false;
    QVariant converted(type);
    if (!QMetaType::convert(QMetaType::fromType<qint64>(), &n, type, converted.data()))
        return false;
    qint64 back = 0;
    if (!QMetaType::convert(type, converted.constData(), QMetaType::fromType<qint64>(), &back) || back != n)
        return false;  // out of the type's range
    type.destruct(out);
    type.construct(out, converted.constData());
    return true;
}

template<typename T>
bool assign(void *out, const T &value)
{
    *static_cast<T *>(out) = value;
    return true;
}

bool convertInto(const QCborValue &v, QMetaType type, void *out)
{
    if (isIntegerType(type))
        return toInteger(v, type, out);
    switch (type.id()) {
    case QMetaType::Bool: return v.isBool() && assign(out, v.toBool());
    case QMetaType::Double: return (v.isDouble() || v.isInteger()) && assign(out, v.toDouble());
    case QMetaType::Float: return (v.isDouble() || v.isInteger()) && assign(out, float(v.toDouble()));
    case QMetaType::QString: return v.isString() && assign(out, v.toString());
    case QMetaType::QByteArray: return v.isByteArray() && assign(out, v.toByteArray());
    case QMetaType::QCborValue: return assign(out, v);
    case QMetaType::QCborMap: return v.isMap() && assign(out, v.toMap());
    case QMetaType::QCborArray: return v.isArray() && assign(out, v.toArray());
    case QMetaType::QJsonValue: return assign(out, v.toJsonValue());
    case QMetaType::QJsonObject: return v.isMap() && assign(out, v.toJsonValue().toObject());
    case QMetaType::QJsonArray: return v.isArray() && assign(out, v.toJsonValue().toArray());
    case QMetaType::QVariant: return assign(out, v.toVariant());
    case QMetaType::QVariantMap: return v.isMap() && assign(out, v.toMap().toVariantMap());
    case QMetaType::QVariantList: return v.isArray() && assign(out, v.toArray().toVariantList());
    case QMetaType::QStringList: {
        if (!v.isArray())
            return false;
        QStringList list;
        for (const QCborValue &item : v.toArray()) {
            if (!item.isString())
                return false;
            list << item.toString();
        }
        return assign(out, list);
    }
    default: {
        QVariant variant = v.toVariant();
        if (!variant.convert(type))
            return false;
        type.destruct(out);
        type.construct(out, variant.constData());
        return true;
    }
    }
}

} // namespace

Error convertResult(const QCborValue &result, QMetaType type, void *out)
{
    if (convertInto(result, type, out))
        return Error();
    return Error(Error::UnexpectedResult,
                 QStringLiteral("the result is %1, not the %2 asked for").arg(describe(result), QString::fromLatin1(type.name())));
}

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
