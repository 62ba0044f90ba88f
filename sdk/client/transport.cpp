// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QWebSocket transport: see transport_p.h for the rules.
#include "logging_p.h"
#include "tls_p.h"
#include "transport_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QMetaEnum>

#include <QtNetwork/QNetworkRequest>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslError>
#include <QtNetwork/QSslSocket>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketHandshakeOptions>

namespace Tether {

namespace {
constexpr int kAbnormalClose = 1006;  // RFC 6455: the link ended without a close frame
}

Error::Code transportErrorCode(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return Error::ConnectionRefused;
    case QAbstractSocket::HostNotFoundError:
        return Error::HostNotFound;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        return Error::TlsError;
    case QAbstractSocket::ProxyAuthenticationRequiredError:
        return Error::ProxyAuthenticationFailed;
    default:
        return Error::NetworkError;
    }
}

WebSocketTransport::WebSocketTransport(QObject *parent) : Transport(parent) {}

WebSocketTransport::~WebSocketTransport()
{
    if (m_socket) {
        m_socket->disconnect(this);  // no signals into a half-destroyed transport
        m_socket->abort();
        delete m_socket;
    }
}

void WebSocketTransport::dropSocket()
{
    if (!m_socket)
        return;
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket->deleteLater();
    m_socket = nullptr;
}

void WebSocketTransport::open(const TransportOpenRequest &request)
{
    dropSocket();
    ++m_generation;
    m_open = false;
    m_closedEmitted = false;
    m_localClose = false;
    m_closeFrameSeen = false;
    m_localCloseCode = 0;
    m_localCloseReason.clear();
    m_error = Error();

    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    const quint64 maxIncoming = quint64(qMax<qint64>(request.maxIncomingFrameSize, 1));
    m_socket->setMaxAllowedIncomingFrameSize(maxIncoming);
    m_socket->setMaxAllowedIncomingMessageSize(maxIncoming);
    // One protocol message = one WebSocket frame (docs/protocol.md §1): never fragment what we
    // send (Qt's default splits at 512 KiB).
    m_socket->setOutgoingFrameSize(qMin<quint64>(QWebSocket::maxOutgoingFrameSize(), 64ull * 1024 * 1024));

    connect(m_socket, &QWebSocket::connected, this, &WebSocketTransport::onConnected);
    connect(m_socket, &QWebSocket::bytesWritten, this, [this] { Q_EMIT bytesWritten(); });
    connect(m_socket, &QWebSocket::disconnected, this, &WebSocketTransport::onDisconnected);
    connect(m_socket, &QWebSocket::aboutToClose, this, &WebSocketTransport::onAboutToClose);
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, &WebSocketTransport::onSocketError);
    connect(m_socket, &QWebSocket::sslErrors, this, &WebSocketTransport::onSslErrors);
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        QByteArray utf8 = text.toUtf8();
        qCDebug(lcTransport).noquote() << "text frame in:" << utf8.size() << "bytes";
        Q_EMIT frameReceived(utf8, false);
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &bytes) {
        qCDebug(lcTransport) << "binary frame in:" << bytes.size() << "bytes";
        Q_EMIT frameReceived(bytes, true);
    });
    connect(m_socket, &QWebSocket::pong, this, [this](quint64, const QByteArray &payload) {
        Q_EMIT pongReceived(payload);
    });

    QNetworkRequest networkRequest(request.url);
    for (const auto &header : request.headers)
        networkRequest.setRawHeader(header.first, header.second);

    m_tls = request.tls;
    m_socket->setProxy(request.proxy);
    const bool secure = request.url.scheme() == QLatin1StringView("wss");
#if QT_CONFIG(ssl)
    if (secure) {
        if (Tls::verificationDisabled(m_tls))
            qCWarning(lcTransport) << "TLS peer verification is OFF for" << request.url.host()
                                   << "(TlsOptions::setVerifyPeer(false)): any certificate is accepted";
        m_socket->setSslConfiguration(Tls::socketConfiguration(m_tls));
    }
#endif

    QWebSocketHandshakeOptions options;
    options.setSubprotocols(request.subprotocols);
    qCDebug(lcTransport) << "opening" << request.url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery)
                         << "offering" << request.subprotocols;
    m_socket->open(networkRequest, options);
#if QT_CONFIG(ssl)
    // QWebSocket 6.4 does not forward QSslSocket::encrypted(); its socket is its child.
    if (secure && !m_tls.pinnedPublicKeys().isEmpty() && m_socket) {
        auto *sslSocket = m_socket->findChild<QSslSocket *>(QString(), Qt::FindDirectChildrenOnly);
        if (sslSocket) {
            connect(sslSocket, &QSslSocket::encrypted, this, &WebSocketTransport::onEncrypted, Qt::DirectConnection);
        } else {
            m_error = Error(Error::TlsPinMismatch, QStringLiteral("cannot check the pinned keys: no TLS socket"), true);
            abort();
        }
    }
#endif
}

void WebSocketTransport::sendFrame(const QByteArray &bytes, bool binary)
{
    if (!m_socket || !m_open) {
        qCDebug(lcTransport) << "frame dropped: socket not open";
        return;
    }
    if (binary) {
        m_socket->sendBinaryMessage(bytes);
    } else {
        m_socket->sendTextMessage(QString::fromUtf8(bytes));
    }
}

qint64 WebSocketTransport::bytesToWrite() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

void WebSocketTransport::ping(const QByteArray &payload)
{
    if (m_socket && m_open)
        m_socket->ping(payload);
}

void WebSocketTransport::close(int code, const QString &reason)
{
    if (!m_socket || m_closedEmitted)
        return;
    m_localClose = true;
    m_localCloseCode = code;
    m_localCloseReason = reason;
    if (!m_open) {
        abort();  // nothing to hand-shake with yet
        return;
    }
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

void WebSocketTransport::abort()
{
    if (!m_socket || m_closedEmitted)
        return;
    m_localClose = true;
    if (!m_localCloseCode)
        m_localCloseCode = kAbnormalClose;
    // Detach first: QWebSocket::abort() may emit disconnected() synchronously, and the
    // caller (the engine's action loop) wants closed() after it returns.
    QWebSocket *socket = m_socket;
    m_socket = nullptr;
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
    finishLater();
}

void WebSocketTransport::onConnected()
{
    m_open = true;
    const QString subprotocol = m_socket->subprotocol();
    qCDebug(lcTransport) << "open, subprotocol" << subprotocol;
    Q_EMIT opened(subprotocol);
}

void WebSocketTransport::onAboutToClose()
{
    // QWebSocket emits aboutToClose() both when a close frame arrives and when it tears the
    // socket down after a socket error (a reset, the peer vanishing) — and closeCode() then
    // still holds its initial 1000. Only the first case is a close handshake; in the second
    // the error came first. Reporting a reset as 1000 would end the session for good.
    if (!m_error.isError())
        m_closeFrameSeen = true;
}

void WebSocketTransport::noteSocketError(QAbstractSocket::SocketError error)
{
    // Keep a precise error seen first (a TLS error from onSslErrors(), refused...); a
    // generic one may still be refined.
    if (m_error.isError() && m_error.code() != Error::NetworkError)
        return;
    const Error::Code code = transportErrorCode(error);
    // A TLS handshake failure (protocol version, a client certificate the server refuses,
    // no shared cipher) is a configuration problem on one side: retrying cannot fix it.
    // Nor can retrying a login the proxy refused (and proxies lock accounts that keep trying).
    if (code == Error::TlsError)
        m_error = Error(code, QStringLiteral("TLS handshake failed: ") + m_socket->errorString(), true);
    else if (code == Error::ProxyAuthenticationFailed)
        m_error = Error(code, QStringLiteral("the proxy refused the login: ") + m_socket->errorString(), true);
    else
        m_error = Error(code, m_socket->errorString());
}

void WebSocketTransport::onSocketError(QAbstractSocket::SocketError error)
{
    if (!m_socket)
        return;
    noteSocketError(error);
    qCDebug(lcTransport) << "socket error" << error << m_socket->errorString();
    // QWebSocket emits disconnected() after an error on a socket it had started to open;
    // a socket that never left UnconnectedState would not, so finish from here then.
    if (m_socket->state() == QAbstractSocket::UnconnectedState) {
        finishLater();
        return;
    }
    // The opening handshake was answered with something else than 101 (a load balancer's
    // 502 or 503 while it has no node to offer): Qt 6.4 reports it and then leaves the TCP
    // connection open (HTTP keep-alive), so the attempt would only end at the handshake
    // timeout. It has failed now: drop the connection, the engine retries after its backoff.
    if (!m_open)
        m_socket->abort();   // disconnected() follows, which finishes
}

void WebSocketTransport::onSslErrors(const QList<QSslError> &errors)
{
    if (!m_socket)
        return;
    const QList<QSslError> refused = Tls::unacceptedErrors(errors, m_tls);
    for (const QSslError &error : errors) {
        if (!refused.contains(error))
            qCWarning(lcTransport).noquote() << "TLS error accepted (TlsOptions::ignoredErrors):" << error.errorString();
    }
    if (refused.isEmpty()) {
        m_socket->ignoreSslErrors();
        return;
    }
    // Not ignored: the handshake fails and closed() reports it, for good (a certificate
    // does not get better by retrying).
    QStringList texts;
    QCborArray names;
    const QMetaEnum errorEnum = QMetaEnum::fromType<QSslError::SslError>();
    for (const QSslError &error : refused) {
        texts << error.errorString();
        names << QString::fromLatin1(errorEnum.valueToKey(error.error()));
    }
    const QString message = QStringLiteral("TLS certificate rejected: ") + texts.join(QStringLiteral("; "));
    qCWarning(lcTransport).noquote() << message;
    m_error = Error(Error::TlsError, message, true);
    m_error.setData(names);
}

void WebSocketTransport::onEncrypted()
{
#if QT_CONFIG(ssl)
    auto *sslSocket = qobject_cast<QSslSocket *>(sender());
    if (!sslSocket || !m_socket || sslSocket->parent() != m_socket)
        return;
    if (Tls::chainMatchesPins(sslSocket->peerCertificateChain(), m_tls))
        return;
    const QString message = QStringLiteral("TLS public key pin mismatch: the certificates of %1 match none of "
                                           "TlsOptions::pinnedPublicKeys")
                                .arg(sslSocket->peerName());
    qCWarning(lcTransport).noquote() << message;
    m_error = Error(Error::TlsPinMismatch, message, true);
    // Now, inside encrypted(): the HTTP upgrade QWebSocket queued is still in the socket's
    // plaintext buffer and is dropped with it.
    abort();
#endif
}

void WebSocketTransport::onDisconnected()
{
    // When the connection cannot be made (refused, host not found), Qt 6.4's QWebSocket
    // emits disconnected() BEFORE error() (over TLS the socket does not even hold the error
    // yet). Finishing now would detach the socket before onSocketError() records why, and
    // the app would see a generic NetworkError instead of ConnectionRefused/HostNotFound.
    // So a socket that never opened finishes from the event loop, after error().
    if (!m_open) {
        finishLater();
        return;
    }
    finish();
}

void WebSocketTransport::finishLater()
{
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(this, [this, generation] {
        if (generation == m_generation)
            finish();
    }, Qt::QueuedConnection);
}

void WebSocketTransport::finish()
{
    if (m_closedEmitted)
        return;
    m_closedEmitted = true;
    int code = kAbnormalClose;
    QString reason;
    if (m_socket && m_closeFrameSeen) {
        code = int(m_socket->closeCode());
        reason = m_socket->closeReason();
    }
    if (m_localClose && m_localCloseCode) {
        code = m_localCloseCode;
        reason = m_localCloseReason;
    }
    Error error = m_error;
    if (!error.isError() && code == kAbnormalClose && !m_localClose)
        error = Error(Error::NetworkError, m_open ? QStringLiteral("connection lost")
                                                  : QStringLiteral("connection failed"));
    m_open = false;
    qCDebug(lcTransport) << "closed" << code << reason << error;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    Q_EMIT closed(code, reason, error);
}

} // namespace Tether
