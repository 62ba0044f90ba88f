// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "ws_test_peer.h"

#include "wait.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QtEndian>

namespace Tether::Testing {

namespace {
// RFC 6455 §1.3: the GUID appended to the client's key.
constexpr char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

QByteArray headerValue(const QByteArray &head, const QByteArray &name)
{
    for (const QByteArray &line : head.split('\n')) {
        const int colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == name.toLower())
            return line.mid(colon + 1).trimmed();
    }
    return {};
}
} // namespace

int WsTestPeer::ClientFrame::closeCode() const
{
    if (payload.size() < 2)
        return 1005;
    return (quint8(payload[0]) << 8) | quint8(payload[1]);
}

WsTestPeer::WsTestPeer(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &WsTestPeer::onNewConnection);
}

bool WsTestPeer::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QByteArray WsTestPeer::serverFrame(quint8 opcode, const QByteArray &payload, bool fin, quint8 rsv, bool mask)
{
    QByteArray frame;
    frame.append(char((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)));
    const quint64 length = quint64(payload.size());
    const char maskBit = mask ? char(0x80) : char(0);
    if (length < 126) {
        frame.append(char(maskBit | char(length)));
    } else if (length <= 0xffff) {
        frame.append(char(maskBit | 126));
        quint8 be[2];
        qToBigEndian(quint16(length), be);
        frame.append(reinterpret_cast<const char *>(be), 2);
    } else {
        frame.append(char(maskBit | 127));
        quint8 be[8];
        qToBigEndian(length, be);
        frame.append(reinterpret_cast<const char *>(be), 8);
    }
    if (!mask)
        return frame + payload;
    const quint8 key[4] = {0x11, 0x22, 0x33, 0x44};
    frame.append(reinterpret_cast<const char *>(key), 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(quint8(payload[i]) ^ key[i % 4]));
    return frame;
}

QByteArray WsTestPeer::closePayload(quint16 code, const QByteArray &reason)
{
    quint8 be[2];
    qToBigEndian(code, be);
    return QByteArray(reinterpret_cast<const char *>(be), 2) + reason;
}

bool WsTestPeer::waitUpgraded(int timeoutMs)
{
    return waitUntil([this] { return m_upgraded; }, timeoutMs);
}

void WsTestPeer::write(const QByteArray &bytes)
{
    if (m_socket)
        m_socket->write(bytes);
}

void WsTestPeer::closeTcp()
{
    if (m_socket)
        m_socket->disconnectFromHost();
}

bool WsTestPeer::clientDisconnected() const
{
    return m_upgraded && (!m_socket || m_socket->state() == QAbstractSocket::UnconnectedState);
}

void WsTestPeer::onNewConnection()
{
    QTcpSocket *next = m_server.nextPendingConnection();
    if (m_socket) {   // one client per test
        next->abort();
        next->deleteLater();
        return;
    }
    m_socket = next;
    m_socket->setParent(this);
    connect(m_socket, &QTcpSocket::readyRead, this, &WsTestPeer::onReadyRead);
}

void WsTestPeer::onReadyRead()
{
    m_buffer += m_socket->readAll();
    if (!m_upgraded) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QByteArray head = m_buffer.left(end);
        m_buffer.remove(0, end + 4);
        const QByteArray accept = QCryptographicHash::hash(headerValue(head, "Sec-WebSocket-Key") + kGuid,
                                                           QCryptographicHash::Sha1).toBase64();
        QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: " + accept + "\r\n";
        if (!m_subprotocol.isEmpty())
            response += "Sec-WebSocket-Protocol: " + m_subprotocol + "\r\n";
        m_socket->write(response + "\r\n");
        m_upgraded = true;
    }
    for (;;) {
        if (m_buffer.size() < 2)
            return;
        const quint8 b0 = quint8(m_buffer[0]);
        const quint8 b1 = quint8(m_buffer[1]);
        qsizetype offset = 2;
        quint64 length = b1 & 0x7f;
        if (length == 126) {
            if (m_buffer.size() < 4)
                return;
            length = qFromBigEndian<quint16>(m_buffer.constData() + 2);
            offset = 4;
        } else if (length == 127) {
            if (m_buffer.size() < 10)
                return;
            length = qFromBigEndian<quint64>(m_buffer.constData() + 2);
            offset = 10;
        }
        const bool masked = b1 & 0x80;
        const qsizetype keyAt = offset;
        if (masked)
            offset += 4;
        if (quint64(m_buffer.size() - offset) < length)
            return;
        ClientFrame frame;
        frame.opcode = b0 & 0x0f;
        frame.fin = b0 & 0x80;
        frame.masked = masked;
        frame.payload = m_buffer.mid(offset, qsizetype(length));
        if (masked) {
            for (qsizetype i = 0; i < frame.payload.size(); ++i)
                frame.payload[i] = char(quint8(frame.payload[i]) ^ quint8(m_buffer[keyAt + (i % 4)]));
        } else {
            m_unmasked = true;
        }
        m_buffer.remove(0, offset + qsizetype(length));
        m_frames << frame;
    }
}

} // namespace Tether::Testing

#include "moc_ws_test_peer.cpp"
