// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RawTcpClient: a WebSocket client written by hand over a QTcpSocket, for bad input that a
// well-behaved library refuses to produce: invalid UTF-8 in a text frame, a header that
// claims 100 MB, a frame cut in the middle, bytes that are not a frame at all.
//
// WsWire builds client frames (always masked, as RFC 6455 requires) and parses the
// server's frames; RawTcpClient does the HTTP upgrade and bounded waits.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QObject>
#include <QtCore/QStringList>
#include <QtNetwork/QTcpSocket>

#include <deque>
#include <optional>

namespace Tether::Testing {

namespace WsWire {
enum Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// The HTTP/1.1 upgrade request for `path` on `hostPort`, offering `subprotocols`.
QByteArray upgradeRequest(const QString &hostPort, const QString &path,
                          const QStringList &subprotocols);
// A masked client frame carrying `payload`. `declaredLength` >= 0 makes the header claim
// that length whatever payload follows (the payload is still masked as if it were the
// start of that frame).
QByteArray clientFrame(quint8 opcode, QByteArrayView payload, bool fin = true,
                       qint64 declaredLength = -1);
// A close frame with `code` (and no reason).
QByteArray closeFrame(quint16 code);

struct ServerFrame {
    quint8 opcode = 0;
    bool fin = true;
    QByteArray payload;
    // For a close frame: its status code (1005 when it carries none).
    int closeCode() const;
};
// Removes one complete frame from the front of `buffer`; nullopt when it holds none yet.
std::optional<ServerFrame> takeServerFrame(QByteArray &buffer);
} // namespace WsWire

class RawTcpClient : public QObject
{
    Q_OBJECT
public:
    explicit RawTcpClient(QObject *parent = nullptr);

    // Connects and sends the upgrade request, then waits for the response head. True when
    // the server answered 101 (httpStatus() holds the status in any case, 0 if none).
    bool upgrade(const QString &host, quint16 port, const QString &path,
                 const QStringList &subprotocols, int timeoutMs);
    int httpStatus() const { return m_httpStatus; }
    QByteArray responseHead() const { return m_head; }

    void write(const QByteArray &bytes);
    // The next data frame from the server; nullopt on timeout or once it closed. Pings are
    // handled as they arrive (counted, and answered unless setAnswerPings(false)), whether
    // or not the test is waiting.
    std::optional<WsWire::ServerFrame> nextFrame(int timeoutMs);
    // Waits for the server's close frame (answered, as RFC 6455 asks) or the end of the
    // connection; returns the close frame's code, 1006 when the connection ended without
    // one, -1 when neither happened within timeoutMs. Data frames stay queued for nextFrame().
    int waitCloseCode(int timeoutMs);
    bool waitDisconnected(int timeoutMs);
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    // Pings are answered with a pong by default; a test of the server's dead-peer detection
    // turns that off. pingsReceived() counts them either way.
    void setAnswerPings(bool answer) { m_answerPings = answer; }
    int pingsReceived() const { return m_pings; }
    QTcpSocket &socket() { return m_socket; }

private:
    void onReadyRead();

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_head;
    bool m_upgraded = false;
    std::deque<WsWire::ServerFrame> m_frames;
    int m_closeFrameCode = 0;  // 0 = no close frame received
    int m_httpStatus = 0;
    int m_pings = 0;
    bool m_answerPings = true;
};

} // namespace Tether::Testing
