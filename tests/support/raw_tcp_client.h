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
    // The next complete server frame (pings are answered and skipped); nullopt on timeout
    // or disconnect.
    std::optional<WsWire::ServerFrame> nextFrame(int timeoutMs);
    // Waits for the server's close frame and returns its code; 1006 when the connection
    // ended without one; -1 when nothing happened within timeoutMs. Data frames before the
    // close are kept in dataFrames().
    int waitCloseCode(int timeoutMs);
    const QList<WsWire::ServerFrame> &dataFrames() const { return m_dataFrames; }
    bool waitDisconnected(int timeoutMs);
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_head;
    QList<WsWire::ServerFrame> m_dataFrames;
    int m_httpStatus = 0;
};

} // namespace Tether::Testing
