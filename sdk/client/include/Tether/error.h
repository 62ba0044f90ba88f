// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Error: what went wrong, as a value. The SDK never throws; every failure it
// reports (a send refused, a request failed, a connection lost or refused for good) is an
// Error with a code, a kind, a human-readable message and a fatal flag.
#pragma once

#include <Tether/global.h>

#include <QtCore/QCborValue>
#include <QtCore/QMetaType>
#include <QtCore/QObject>
#include <QtCore/QSharedDataPointer>
#include <QtCore/QString>
#include <QtCore/QVariant>

class QDebug;

namespace Tether {

class ErrorData;

// One failure: code() (and the kind() of its band), message(), isFatal(), and where the
// server said more, serverCode(), closeCode() and data(). An implicitly shared value:
// copying is cheap. A default-constructed Error is NoError (isError() false).
class TETHER_EXPORT Error
{
    Q_GADGET
    Q_PROPERTY(Code code READ code)
    Q_PROPERTY(QString name READ codeName)
    Q_PROPERTY(Kind kind READ kind)
    Q_PROPERTY(QString message READ message)
    Q_PROPERTY(bool fatal READ isFatal)
    Q_PROPERTY(QString serverCode READ serverCode)
    Q_PROPERTY(int closeCode READ closeCode)
    Q_PROPERTY(bool isError READ isError)
    Q_PROPERTY(QVariant data READ dataVariant)

public:
    // Numbered in bands like QNetworkReply::NetworkError: 1xx local, 2xx transport,
    // 3xx protocol, 4xx the server said no, 5xx timeouts. Stable: values never change.
    enum Code {
        NoError = 0,

        // 1xx: refused or ended locally.
        QueueFull = 100,         // the outbox is full and the policy is RejectNew
        FrameTooLarge = 101,     // the encoded frame exceeds the server's welcome.maxFrame
        NotSupported = 102,      // not available in raw mode (requests, channels, AtLeastOnce),
                                 // or a payload the codec cannot carry (bytes with JSON)
        InvalidPayload = 103,    // a QVariant payload with no CBOR/JSON equivalent
        InvalidArgument = 104,   // empty method or channel name; an invalid Client::setOptions()
        Aborted = 105,           // the app aborted the request (Reply::abort())
        ClientClosed = 106,      // the app closed the client while it was pending
        TokenUnavailable = 107,  // the token provider failed or did not answer in time
        MaxAttempts = 108,       // BackoffOptions::maxAttempts attempts failed (fatal)
        NotConnected = 109,      // an operation that needs a connection (internal misuse)
        NoUrl = 110,             // open() without a URL (fatal)
        StorageError = 111,      // the store (ClientOptions::storage) cannot be written (read-only,
                                 // disk full) or was moved aside: the client goes on in memory
        StorageInUse = 112,      // another Client (in this or another process) holds the store
        UnexpectedResult = 113,  // a request's result is not of the type Client::call<T>() asked for

        // 2xx: the network.
        ConnectionRefused = 200,
        ConnectionLost = 201,    // the link dropped while a request was pending on it
        HostNotFound = 202,
        TlsError = 203,          // certificate not trusted, expired, name mismatch; TLS handshake
                                 // failure (protocol too old, client certificate refused) (fatal;
                                 // data(): the QSslError::SslError names when certificates failed)
        NetworkError = 204,      // any other socket error, or an abnormal close
        TlsPinMismatch = 205,    // the server's keys match none of TlsOptions::pinnedPublicKeys (fatal)
        ProxyAuthenticationFailed = 206,  // the proxy (ClientOptions::proxy) refused its login (fatal)

        // 3xx: the peer does not speak Tether v1 correctly.
        ProtocolMismatch = 300,  // the server picked no Tether subprotocol (fatal)
        ProtocolError = 301,     // a malformed or illegal frame, or a close with 1002/1003/1007/1009

        // 4xx: the server refused (serverCode(), closeCode() and data() say more).
        Rejected = 400,          // a message (nack) or a request (res.err) refused
        ServerError = 401,       // an `error` frame, or a permanent close code not named below
        TokenExpired = 402,      // close 4001 (the SDK asks the token provider again)
        Unauthorized = 403,      // close 4401, or tokens kept being refused (fatal)
        Forbidden = 404,         // close 4403 (fatal)
        SessionTaken = 405,      // close 4409: another connection resumed this session (fatal)

        // 5xx: something took too long.
        Timeout = 500,           // a request got no answer within its timeout
        HandshakeTimeout = 501,  // socket open + `welcome` took longer than handshakeTimeout
        HeartbeatTimeout = 502,  // no sign of life after a ping: the link is dead
    };
    Q_ENUM(Code)

    // Who is to blame (h11's local vs remote): the app, the server, the network, the clock.
    enum Kind {
        None,       // no error
        Local,      // the app misused the API or hit a local limit
        Remote,     // the server refused or misbehaved
        Transport,  // the network or TLS failed
        TimedOut,   // a deadline passed
    };
    Q_ENUM(Kind)

    Error();  // NoError
    // An error with `code`, a human-readable `message` and the fatal flag; serverCode(),
    // closeCode() and data() stay empty until set with the setters below.
    Error(Code code, const QString &message, bool fatal = false);
    Error(const Error &other);                 // shares other's data (implicitly shared)
    Error(Error &&other) noexcept;             // `other` may then only be assigned or destroyed
    Error &operator=(const Error &other);      // shares other's data (implicitly shared)
    Error &operator=(Error &&other) noexcept;  // `other` may then only be assigned or destroyed
    ~Error();

    Code code() const;             // what went wrong; NoError for a default-constructed Error
    QString codeName() const;      // the code's enumerator name ("Timeout"), for logs and QML
    Kind kind() const;             // derived from the code's band
    QString message() const;       // for humans; never contains a token, a header value or a payload
    // Fatal: the client gave up (state Failed) and needs open() again; non-fatal errors
    // concern one operation or are retried by the client on its own.
    bool isFatal() const;
    bool isError() const { return code() != NoError; }  // true for any code but NoError
    explicit operator bool() const { return isError(); }  // isError()

    // The server's own error code string (`err.code` of res/nack, `code` of an `error`
    // frame, e.g. "forbidden"); empty when the error did not come from the server.
    QString serverCode() const;
    // The WebSocket close code that caused this error, 0 when none.
    int closeCode() const;
    // `err.data` of a res/nack; for TlsError the QSslError::SslError names of the
    // certificate errors (a CBOR array of strings); undefined when absent.
    QCborValue data() const;
    QVariant dataVariant() const;  // data().toVariant(), for QML

    Error &setServerCode(const QString &serverCode);  // sets serverCode(); returns *this (chains)
    Error &setCloseCode(int closeCode);               // sets closeCode(); returns *this (chains)
    Error &setData(const QCborValue &data);           // sets data(); returns *this (chains)

    // "Code (kind): message" — for logs.
    QString toString() const;

    // The kind of every code (by band).
    static Kind kindOf(Code code);

    // Reply::future() carries a failure as a QVariant holding an Error: true when `value`
    // holds one (a failure), false for a result.
    static bool isError(const QVariant &value);
    // The Error that `value` holds; NoError when it holds none (a result).
    static Error fromVariant(const QVariant &value);

    friend TETHER_EXPORT bool operator==(const Error &a, const Error &b);
    friend bool operator!=(const Error &a, const Error &b) { return !(a == b); }

private:
    QSharedDataPointer<ErrorData> d;
};

// "Tether::Error(Code (kind): message ...)". The server's data() is not printed (it may be
// app data); a message that names a credential (token=..., password=...) is redacted.
TETHER_EXPORT QDebug operator<<(QDebug debug, const Error &error);

} // namespace Tether

Q_DECLARE_METATYPE(Tether::Error)
