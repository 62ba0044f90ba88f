// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The transport under a Client: an interface and its implementation, RFC 6455 over a
// QTcpSocket (QSslSocket for wss://; the wire rules are in websocket_p.h).
//
// Not public API. Rules:
// - A transport moves frames and reports what happened; it holds no protocol logic. It
//   offers the subprotocols it is told, reports the one the server picked, and never
//   decides anything about reconnecting, acking or timing out (the engine does).
// - open() is followed by exactly one closed(), whatever happens (refused, TLS failure,
//   close frame, reset, abort()); opened() comes between them at most once.
// - TLS problems are reported (closed() with a FATAL Error::TlsError listing the errors, or
//   Error::TlsPinMismatch) and logged: a certificate, a pin, a protocol version or a client
//   certificate the peer refuses will not get better by retrying. Certificate errors are
//   accepted only one by one (TlsOptions::ignoredErrors(), each still logged) or all at
//   once through the deprecated verifyPeer(false).
// - Pins are checked when the TLS handshake completes, before the HTTP upgrade (and its
//   headers) leaves the client: the upgrade is written from `encrypted`, after the check.
// - Frame contents are logged only at debug level in tether.transport; headers never.
#pragma once

#include "autotest_p.h"
#include "websocket_p.h"

#include <Tether/error.h>
#include <Tether/options.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QStringList>
#include <QtCore/QUrl>
#include <QtNetwork/QAbstractSocket>

#include <memory>

class QSslError;
class QTcpSocket;

namespace Tether {

struct TransportOpenRequest {
    QUrl url;
    QStringList subprotocols;                          // offered in order of preference
    QList<QPair<QByteArray, QByteArray>> headers;      // extra upgrade request headers
    qint64 maxIncomingFrameSize = 16 * 1024 * 1024;    // frames and messages above: close 1009
    TlsOptions tls;
    QNetworkProxy proxy{QNetworkProxy::DefaultProxy};
};

// Exported in test builds only: tests/client derives a fake from it.
class TETHER_AUTOTEST_EXPORT Transport : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Transport() override = default;

    virtual void open(const TransportOpenRequest &request) = 0;
    // One WebSocket message: a binary frame when `binary`, else a text frame (UTF-8 bytes).
    // The transport may scramble `bytes` (it masks them in place): the caller only reuses
    // the buffer.
    virtual void sendFrame(QByteArray &bytes, bool binary) = 0;
    virtual void ping(const QByteArray &payload) = 0;
    // Bytes handed to sendFrame()/ping() not yet written to the operating system: the
    // Client holds messages back while this is above its high-water mark.
    virtual qint64 bytesToWrite() const = 0;
    // Hands what sendFrame() buffered to the operating system now rather than when the
    // event loop next polls the socket.
    virtual void flush() = 0;
    // Close handshake with `code`; closed() follows when the peer answers or the socket ends.
    virtual void close(int code, const QString &reason) = 0;
    // Drop the connection now, no close handshake (dead link). closed() follows (queued).
    virtual void abort() = 0;

Q_SIGNALS:
    void opened(const QString &subprotocol);
    void frameReceived(const QByteArray &bytes, bool binary);
    void pongReceived(const QByteArray &payload);
    // Some of bytesToWrite() reached the operating system.
    void bytesWritten();
    // code: the close code received (or sent, when we closed), 1006 when the link ended
    // without a close frame. error: NoError for a clean close, else why it ended.
    void closed(int code, const QString &reason, const Tether::Error &error);
};

// RFC 6455 over a QTcpSocket or, for wss://, a QSslSocket. Why not QWebSocket: websocket_p.h.
class WebSocketTransport final : public Transport
{
    Q_OBJECT
public:
    explicit WebSocketTransport(QObject *parent = nullptr);
    ~WebSocketTransport() override;

    void open(const TransportOpenRequest &request) override;
    void sendFrame(QByteArray &bytes, bool binary) override;
    void ping(const QByteArray &payload) override;
    void close(int code, const QString &reason) override;
    void abort() override;
    qint64 bytesToWrite() const override;
    void flush() override;

private:
    void onConnected();   // TCP is up: ws:// writes the upgrade, wss:// waits for `encrypted`
    void onEncrypted();   // pins, then the upgrade
    void writeUpgrade();
    void onReadyRead();
    void readUpgradeResponse();
    void readFrames();
    void onDisconnected();
    void onSocketError(QAbstractSocket::SocketError error);
    void noteSocketError(QAbstractSocket::SocketError error);  // m_error, unless a precise one is set
    void onSslErrors(const QList<QSslError> &errors);
    void writeControl(quint8 opcode, const QByteArray &payload);
    void failConnection(int code, const QString &why);  // our close frame with `code`, then TCP ends
    void refuse(const Error &error);  // the attempt failed before the upgrade completed
    void finish();  // emits closed() once for the current socket
    void finishLater();  // finish() from the event loop, unless another open() came first
    void dropSocket();

    QTcpSocket *m_socket = nullptr;   // a QSslSocket for wss://
    quint64 m_generation = 0;         // bumped by open(): a queued finish() of an older socket is void
    bool m_open = false;              // opened() emitted for the current socket
    bool m_closedEmitted = true;      // closed() emitted for the current socket
    bool m_localClose = false;        // we called close()/abort()
    bool m_closeSent = false;         // our close frame is written: no more frames
    bool m_closeFrameSeen = false;    // a close handshake happened (the server's frame, or we failed the connection)
    int m_closeCode = 0;              // with m_closeFrameSeen: the code received, or the one we failed with
    QString m_closeReason;
    int m_localCloseCode = 0;
    QString m_localCloseReason;
    Error m_error;                    // first error seen on the current socket
    TlsOptions m_tls;                 // of the current socket
    QStringList m_offered;            // subprotocols
    QByteArray m_upgrade;             // the HTTP request, written once the socket (TLS) is up
    QByteArray m_expectedAccept;
    QByteArray m_responseHead;        // the server's answer so far
    qint64 m_maxIncoming = 0;
    std::unique_ptr<Ws::FrameReader> m_reader;  // once the upgrade is accepted
};

// Maps a socket error to the public error code (refused, host not found, TLS, proxy, other).
TETHER_AUTOTEST_EXPORT Error::Code transportErrorCode(QAbstractSocket::SocketError error);

} // namespace Tether
