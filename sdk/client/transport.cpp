// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RFC 6455 over QTcpSocket/QSslSocket: see transport_p.h for the rules, websocket_p.h for the wire.
#include "logging_p.h"
#include "tls_p.h"
#include "transport_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QMetaEnum>

#include <QtCore/QRandomGenerator>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslError>
#include <QtNetwork/QSslSocket>
#include <QtNetwork/QTcpSocket>

#include <cstring>

namespace Tether {

namespace {
constexpr int kAbnormalClose = Ws::kCloseAbnormal;

// RFC 6455 §5.3: a fresh, unpredictable key per frame (what QWebSocket's default mask
// generator used too).
quint32 maskKey()
{
    return QRandomGenerator::global()->generate();
}
} // namespace

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
    m_closeSent = false;
    m_closeFrameSeen = false;
    m_closeCode = 0;
    m_closeReason.clear();
    m_localCloseCode = 0;
    m_localCloseReason.clear();
    m_error = Error();
    m_reader.reset();
    m_responseHead.clear();
    m_offered = request.subprotocols;
    m_tls = request.tls;
    m_maxIncoming = qMax<qint64>(request.maxIncomingFrameSize, 1);

    for (const auto &header : request.headers) {
        if (!Ws::isValidHeader(header.first, header.second)) {
            // Written as it is, a CR or LF would add lines of its own to the request.
            refuse(Error(Error::InvalidArgument,
                         QStringLiteral("extra header '%1' cannot be sent: a header name is a token and a value "
                                        "has no CR, LF or NUL").arg(QString::fromLatin1(header.first.left(64))),
                         true));
            return;
        }
    }
    quint32 key[4];
    QRandomGenerator::global()->fillRange(key);
    const Ws::HandshakeRequest upgrade = Ws::handshakeRequest(
        request.url, request.subprotocols, request.headers,
        QByteArrayView(reinterpret_cast<const char *>(key), sizeof key));
    m_upgrade = upgrade.bytes;
    m_expectedAccept = upgrade.expectedAccept;

    const bool secure = request.url.scheme() == QLatin1StringView("wss");
    if (secure) {
#if QT_CONFIG(ssl)
        auto *ssl = new QSslSocket(this);
        if (Tls::verificationDisabled(m_tls))
            qCWarning(lcTransport) << "TLS peer verification is OFF for" << request.url.host()
                                   << "(TlsOptions::setVerifyPeer(false)): any certificate is accepted";
        ssl->setSslConfiguration(Tls::socketConfiguration(m_tls));
        connect(ssl, &QSslSocket::encrypted, this, &WebSocketTransport::onEncrypted);
        connect(ssl, &QSslSocket::sslErrors, this, &WebSocketTransport::onSslErrors);
        m_socket = ssl;
#else
        refuse(Error(Error::TlsError, QStringLiteral("wss:// needs TLS, and this Qt has no TLS support"), true));
        return;
#endif
    } else {
        m_socket = new QTcpSocket(this);
    }
    m_socket->setProxy(request.proxy);
    connect(m_socket, &QAbstractSocket::connected, this, &WebSocketTransport::onConnected);
    connect(m_socket, &QIODevice::readyRead, this, &WebSocketTransport::onReadyRead);
    connect(m_socket, &QIODevice::bytesWritten, this, [this] { Q_EMIT bytesWritten(); });
    connect(m_socket, &QAbstractSocket::disconnected, this, &WebSocketTransport::onDisconnected);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, &WebSocketTransport::onSocketError);

    qCDebug(lcTransport) << "opening" << request.url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery)
                         << "offering" << request.subprotocols;
    const quint16 port = quint16(request.url.port(secure ? 443 : 80));
#if QT_CONFIG(ssl)
    if (secure) {
        static_cast<QSslSocket *>(m_socket)->connectToHostEncrypted(request.url.host(), port);
        return;
    }
#endif
    m_socket->connectToHost(request.url.host(), port);
}

void WebSocketTransport::refuse(const Error &error)
{
    m_error = error;
    qCDebug(lcTransport) << "attempt failed:" << error;
    dropSocket();
    finishLater();
}

void WebSocketTransport::onConnected()
{
    // Messages are flushed once per event-loop turn already (a v1.1 batch): Nagle's wait
    // for an ACK would only add latency to them.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    if (qobject_cast<QSslSocket *>(m_socket))
        return;  // wss://: the upgrade waits for `encrypted` (and the pin check)
    writeUpgrade();
}

void WebSocketTransport::writeUpgrade()
{
    m_socket->write(m_upgrade);
    m_upgrade.clear();
}

void WebSocketTransport::onReadyRead()
{
    if (!m_socket)
        return;
    if (!m_reader)
        readUpgradeResponse();
    else
        readFrames();
}

void WebSocketTransport::readUpgradeResponse()
{
    m_responseHead += m_socket->readAll();
    const Ws::HandshakeResponse response = Ws::parseHandshakeResponse(m_responseHead, m_expectedAccept, m_offered);
    if (response.status == Ws::HandshakeResponse::Incomplete)
        return;
    if (response.status == Ws::HandshakeResponse::Refused) {
        // A load balancer's 502 or 503 while it has no node to offer, a server that is not
        // a WebSocket server: this attempt failed (the engine retries after its backoff).
        refuse(Error(Error::NetworkError, response.error));
        return;
    }
    m_reader = std::make_unique<Ws::FrameReader>(m_maxIncoming);
    m_reader->append(QByteArrayView(m_responseHead).sliced(response.headBytes));  // frames right behind it
    m_responseHead.clear();
    m_open = true;
    qCDebug(lcTransport) << "open, subprotocol" << response.subprotocol;
    const quint64 generation = m_generation;
    Q_EMIT opened(response.subprotocol);
    if (generation == m_generation && m_socket)
        readFrames();
}

void WebSocketTransport::readFrames()
{
    QTcpSocket *socket = m_socket;
    const quint64 generation = m_generation;
    const qint64 available = socket->bytesAvailable();
    if (available > 0) {
        const qint64 got = socket->read(m_reader->reserve(qsizetype(available)), available);
        m_reader->commit(qsizetype(qMax<qint64>(got, 0)));
    }
    while (std::optional<Ws::Incoming> in = m_reader->next()) {
        switch (in->kind) {
        case Ws::Incoming::Message:
            qCDebug(lcTransport) << (in->binary ? "binary" : "text") << "frame in:" << in->payload.size() << "bytes";
            Q_EMIT frameReceived(in->payload, in->binary);
            break;
        case Ws::Incoming::Ping:
            if (!m_closeSent)
                writeControl(Ws::Pong, in->payload);
            break;
        case Ws::Incoming::Pong:
            Q_EMIT pongReceived(in->payload);
            break;
        case Ws::Incoming::Close:
            m_closeFrameSeen = true;
            m_closeCode = in->code;
            m_closeReason = QString::fromUtf8(in->payload);
            if (!m_closeSent) {  // §5.5.1: answer with the same code
                writeControl(Ws::Close, Ws::closePayload(in->code, QString()));
                m_closeSent = true;
            }
            socket->disconnectFromHost();  // after our close frame; disconnected() finishes
            return;
        case Ws::Incoming::Violation:
            failConnection(in->code, in->why);
            return;
        }
        if (generation != m_generation || m_socket != socket)
            return;  // a slot closed, aborted or reopened: the rest belongs to a gone socket
    }
}

void WebSocketTransport::failConnection(int code, const QString &why)
{
    qCDebug(lcTransport).noquote() << "server broke RFC 6455:" << why << "- closing with" << code;
    m_closeFrameSeen = true;
    m_closeCode = code;
    m_closeReason = why;
    if (!m_closeSent) {
        writeControl(Ws::Close, Ws::closePayload(code, why));
        m_closeSent = true;
    }
    m_socket->disconnectFromHost();
}

void WebSocketTransport::writeControl(quint8 opcode, const QByteArray &payload)
{
    char frame[Ws::kMaxHeader + Ws::kMaxControlPayload];
    const qsizetype size = qMin(payload.size(), Ws::kMaxControlPayload);
    const quint32 key = maskKey();
    const int head = Ws::writeHeader(frame, Ws::Opcode(opcode), quint64(size), key);
    std::memcpy(frame + head, payload.constData(), size_t(size));
    Ws::mask(frame + head, size, key);
    m_socket->write(frame, head + size);
}

void WebSocketTransport::sendFrame(QByteArray &bytes, bool binary)
{
    if (!m_socket || !m_open || m_closeSent) {
        qCDebug(lcTransport) << "frame dropped: socket not open";
        return;
    }
    char head[Ws::kMaxHeader];
    const quint32 key = maskKey();
    const int headSize = Ws::writeHeader(head, binary ? Ws::Binary : Ws::Text, quint64(bytes.size()), key);
    // Masked where it lies, then copied once into the socket's buffer (QWebSocket built a
    // masked copy byte by byte, which the socket copied again).
    Ws::mask(bytes.data(), bytes.size(), key);
    m_socket->write(head, headSize);
    m_socket->write(bytes.constData(), bytes.size());
}

void WebSocketTransport::flush()
{
    if (m_socket)
        m_socket->flush();
}

qint64 WebSocketTransport::bytesToWrite() const
{
    return m_socket ? m_socket->bytesToWrite() : 0;
}

void WebSocketTransport::ping(const QByteArray &payload)
{
    if (m_socket && m_open && !m_closeSent)
        writeControl(Ws::Ping, payload);
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
    if (!m_closeSent) {
        writeControl(Ws::Close, Ws::closePayload(code, reason));
        m_closeSent = true;
    }
    // The server answers with its close frame (readFrames() then ends TCP) or ends TCP.
}

void WebSocketTransport::abort()
{
    if (!m_socket || m_closedEmitted)
        return;
    m_localClose = true;
    if (!m_localCloseCode)
        m_localCloseCode = kAbnormalClose;
    // dropSocket() detaches first: QTcpSocket::abort() may emit disconnected() synchronously,
    // and the caller (the engine's action loop) wants closed() after it returns.
    dropSocket();
    finishLater();
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
    if (error == QAbstractSocket::RemoteHostClosedError && m_closeFrameSeen)
        return;  // the end of a close handshake, not an error
    noteSocketError(error);
    qCDebug(lcTransport) << "socket error" << error << m_socket->errorString();
    // A socket that never left UnconnectedState (refused, host not found) emits no
    // disconnected(): finish from here.
    if (m_socket->state() == QAbstractSocket::UnconnectedState) {
        finishLater();
        return;
    }
    // Before the upgrade completed (a reset during the TLS or HTTP handshake): this
    // attempt has failed now.
    if (!m_open)
        refuse(m_error);
}

void WebSocketTransport::onSslErrors(const QList<QSslError> &errors)
{
#if QT_CONFIG(ssl)
    auto *ssl = qobject_cast<QSslSocket *>(m_socket);
    if (!ssl)
        return;
    const QList<QSslError> refused = Tls::unacceptedErrors(errors, m_tls);
    for (const QSslError &error : errors) {
        if (!refused.contains(error))
            qCWarning(lcTransport).noquote() << "TLS error accepted (TlsOptions::ignoredErrors):" << error.errorString();
    }
    if (refused.isEmpty()) {
        ssl->ignoreSslErrors();
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
#else
    Q_UNUSED(errors);
#endif
}

void WebSocketTransport::onEncrypted()
{
#if QT_CONFIG(ssl)
    auto *ssl = qobject_cast<QSslSocket *>(m_socket);
    if (!ssl)
        return;
    if (!m_tls.pinnedPublicKeys().isEmpty() && !Tls::chainMatchesPins(ssl->peerCertificateChain(), m_tls)) {
        const QString message = QStringLiteral("TLS public key pin mismatch: the certificates of %1 match none of "
                                               "TlsOptions::pinnedPublicKeys")
                                    .arg(ssl->peerName());
        qCWarning(lcTransport).noquote() << message;
        // The upgrade (its headers, a token) has not been written: nothing reaches this peer.
        refuse(Error(Error::TlsPinMismatch, message, true));
        return;
    }
    writeUpgrade();
#endif
}

void WebSocketTransport::onDisconnected()
{
    // A socket that never opened finishes from the event loop, after errorOccurred() (which
    // may come after disconnected()) recorded why.
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
    if (m_closeFrameSeen) {
        code = m_closeCode;
        reason = m_closeReason;
    }
    if (m_localClose && m_localCloseCode) {
        code = m_localCloseCode;
        reason = m_localCloseReason;
    }
    Error error = m_closeFrameSeen ? Error() : m_error;
    if (!error.isError() && code == kAbnormalClose && !m_localClose)
        error = Error(Error::NetworkError, m_open ? QStringLiteral("connection lost")
                                                  : QStringLiteral("connection failed"));
    m_open = false;
    m_reader.reset();
    qCDebug(lcTransport) << "closed" << code << reason << error;
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    Q_EMIT closed(code, reason, error);
}

} // namespace Tether
