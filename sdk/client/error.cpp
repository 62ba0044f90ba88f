// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Error: an implicitly shared value.
#include <Tether/error.h>

#include "secrets_p.h"

#include <QtCore/QDebug>
#include <QtCore/QMetaEnum>

namespace Tether {

class ErrorData : public QSharedData
{
public:
    Error::Code code = Error::NoError;
    QString message;
    QString serverCode;
    QCborValue data;
    int closeCode = 0;
    bool fatal = false;
};

namespace {

// Every NoError shares one ErrorData: a default Error (every accepted send's result holds
// one) costs a reference count, not an allocation. It holds a reference of its own, so it
// is never freed, not even by an Error destroyed after static destruction.
ErrorData *noErrorData()
{
    static ErrorData *const data = [] {
        auto *shared = new ErrorData;
        shared->ref.ref();
        return shared;
    }();
    return data;
}

} // namespace

Error::Error() : d(noErrorData()) {}

Error::Error(Code code, const QString &message, bool fatal) : d(new ErrorData)
{
    d->code = code;
    d->message = message;
    d->fatal = fatal;
}

Error::Error(const Error &other) = default;
Error::Error(Error &&other) noexcept = default;
Error &Error::operator=(const Error &other) = default;
Error &Error::operator=(Error &&other) noexcept = default;
Error::~Error() = default;

Error::Code Error::code() const { return d->code; }
Error::Kind Error::kind() const { return kindOf(d->code); }
QString Error::codeName() const { return QString::fromLatin1(QMetaEnum::fromType<Code>().valueToKey(d->code)); }
QString Error::message() const { return d->message; }
bool Error::isFatal() const { return d->fatal; }
QString Error::serverCode() const { return d->serverCode; }
int Error::closeCode() const { return d->closeCode; }
QCborValue Error::data() const { return d->data; }
QVariant Error::dataVariant() const { return d->data.toVariant(); }

Error &Error::setServerCode(const QString &serverCode)
{
    d->serverCode = serverCode;
    return *this;
}

Error &Error::setCloseCode(int closeCode)
{
    d->closeCode = closeCode;
    return *this;
}

Error &Error::setData(const QCborValue &data)
{
    d->data = data;
    return *this;
}

Error::Kind Error::kindOf(Code code)
{
    const int band = int(code) / 100;
    switch (band) {
    case 0: return None;
    case 1: return Local;
    case 2: return Transport;
    case 3:
    case 4: return Remote;
    default: return TimedOut;
    }
}

bool Error::isError(const QVariant &value)
{
    return value.metaType() == QMetaType::fromType<Error>();
}

Error Error::fromVariant(const QVariant &value)
{
    return isError(value) ? value.value<Error>() : Error();
}

QString Error::toString() const
{
    const char *codeName = QMetaEnum::fromType<Code>().valueToKey(d->code);
    const char *kindName = QMetaEnum::fromType<Kind>().valueToKey(kind());
    QString text = QLatin1StringView(codeName ? codeName : "Unknown") + QStringLiteral(" (")
        + QLatin1StringView(kindName ? kindName : "?") + u')';
    if (d->fatal)
        text += QStringLiteral(", fatal");
    if (d->closeCode)
        text += QStringLiteral(", close ") + QString::number(d->closeCode);
    if (!d->serverCode.isEmpty())
        text += QStringLiteral(", server code ") + d->serverCode;
    if (!d->message.isEmpty())
        text += QStringLiteral(": ") + d->message;
    return text;
}

bool operator==(const Error &a, const Error &b)
{
    return a.d == b.d
        || (a.d->code == b.d->code && a.d->message == b.d->message && a.d->fatal == b.d->fatal
            && a.d->serverCode == b.d->serverCode && a.d->closeCode == b.d->closeCode
            && a.d->data == b.d->data);
}

QDebug operator<<(QDebug debug, const Error &error)
{
    QDebugStateSaver saver(debug);
    // data() is not printed: it is the server's (or the app's) payload.
    debug.nospace().noquote() << "Tether::Error(" << Secrets::redactText(error.toString()) << ')';
    return debug;
}

} // namespace Tether
