// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "raw_tcp_client.h"

#include "wait.h"

#include <QtCore/QtEndian>

namespace Tether::Testing {

namespace WsWire {

namespace {
constexpr quint8 kMask[4] = {0x37, 0xfa, 0x21, 0x3d};
}

QByteArray upgradeRequest(const QString &hostPort, const QString &path,
                          const QStringList &subprotocols)
{
    QByteArray request = "GET " + path.toUtf8() + " HTTP/1.1\r\n"
                         "Host: " + hostPort.toUtf8() + "\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         // The RFC 6455 sample nonce: the server's answer is not checked here.
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n";
    if (!subprotocols.isEmpty())
        request += "Sec-WebSocket-Protocol: " + subprotocols.join(QStringLiteral(", ")).toUtf8()
            + "\r\n";
    request += "\r\n";
    return request;
}

QByteArray clientFrame(quint8 opcode, QByteArrayView payload, bool fin, qint64 declaredLength)
{
    const quint64 length = declaredLength >= 0 ? quint64(declaredLength) : quint64(payload.size());
    QByteArray frame;
    frame.append(char((fin ? 0x80 : 0x00) | (opcode & 0x0f)));
    if (length < 126) {
        frame.append(char(0x80 | length));
    } else if (length <= 0xffff) {
        frame.append(char(0x80 | 126));
        quint8 be[2];
        qToBigEndian(quint16(length), be);
        frame.append(reinterpret_cast<const char *>(be), 2);
    } else {
        frame.append(char(0x80 | 127));
        quint8 be[8];
        qToBigEndian(length, be);
        frame.append(reinterpret_cast<const char *>(be), 8);
    }
    frame.append(reinterpret_cast<const char *>(kMask), 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(quint8(payload[i]) ^ kMask[i % 4]));
    return frame;
}

QByteArray closeFrame(quint16 code)
{
    quint8 be[2];
    qToBigEndian(code, be);
    return clientFrame(Close, QByteArrayView(reinterpret_cast<const char *>(be), 2));
}

int ServerFrame::closeCode() const
{
    if (payload.size() < 2)
        return 1005;
    return qFromBigEndian<quint16>(payload.constData());
}

std::optional<ServerFrame> takeServerFrame(QByteArray &buffer)
{
    if (buffer.size() < 2)
        return std::nullopt;
    const auto *bytes = reinterpret_cast<const quint8 *>(buffer.constData());
    ServerFrame frame;
    frame.fin = bytes[0] & 0x80;
    frame.opcode = bytes[0] & 0x0f;
    const bool masked = bytes[1] & 0x80;
    quint64 length = bytes[1] & 0x7f;
    qsizetype offset = 2;
    if (length == 126) {
        if (buffer.size() < 4)
            return std::nullopt;
        length = qFromBigEndian<quint16>(bytes + 2);
        offset = 4;
    } else if (length == 127) {
        if (buffer.size() < 10)
            return std::nullopt;
        length = qFromBigEndian<quint64>(bytes + 2);
        offset = 10;
    }
    const qsizetype maskOffset = offset;
    if (masked)
        offset += 4;  // a server must not mask, but parse it anyway
    if (quint64(buffer.size() - offset) < length)
        return std::nullopt;
    frame.payload = buffer.mid(offset, qsizetype(length));
    if (masked)
        for (qsizetype i = 0; i < frame.payload.size(); ++i)
            frame.payload[i] = char(quint8(frame.payload[i]) ^ bytes[maskOffset + i % 4]);
    buffer.remove(0, offset + qsizetype(length));
    return frame;
}

} // namespace WsWire

RawTcpClient::RawTcpClient(QObject *parent) : QObject(parent)
{
    connect(&m_socket, &QTcpSocket::readyRead, this, &RawTcpClient::onReadyRead);
}

void RawTcpClient::onReadyRead()
{
    m_buffer += m_socket.readAll();
    if (!m_upgraded)
        return;  // upgrade() parses the response head
    while (std::optional<WsWire::ServerFrame> frame = WsWire::takeServerFrame(m_buffer)) {
        if (frame->opcode == WsWire::Ping) {
            ++m_pings;
            if (m_answerPings)
                m_socket.write(WsWire::clientFrame(WsWire::Pong, frame->payload));
        } else if (frame->opcode == WsWire::Close) {
            if (m_closeFrameCode == 0) {
                m_closeFrameCode = frame->closeCode();
                // Complete the closing handshake (RFC 6455 §5.5.1) so the server ends TCP.
                const int echoed = m_closeFrameCode == 1005 ? 1000 : m_closeFrameCode;
                m_socket.write(WsWire::closeFrame(quint16(echoed)));
            }
        } else if (frame->opcode != WsWire::Pong) {
            m_frames.push_back(std::move(*frame));
        }
    }
}

bool RawTcpClient::upgrade(const QString &host, quint16 port, const QString &path,
                           const QStringList &subprotocols, int timeoutMs)
{
    m_socket.connectToHost(host, port);
    m_socket.write(WsWire::upgradeRequest(host + QLatin1Char(':') + QString::number(port), path,
                                          subprotocols));
    const bool gotHead = waitUntil(
        [this] {
            return m_buffer.contains("\r\n\r\n")
                || m_socket.state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (!gotHead || end < 0)
        return false;
    m_head = m_buffer.left(end + 4);
    m_buffer.remove(0, end + 4);
    // "HTTP/1.1 101 Switching Protocols"
    const QList<QByteArray> statusLine = m_head.left(m_head.indexOf("\r\n")).split(' ');
    m_httpStatus = statusLine.size() >= 2 ? statusLine.at(1).toInt() : 0;
    m_upgraded = m_httpStatus == 101;
    if (m_upgraded && !m_buffer.isEmpty())
        onReadyRead();  // frames that came with the response head
    return m_upgraded;
}

void RawTcpClient::write(const QByteArray &bytes)
{
    m_socket.write(bytes);
}

std::optional<WsWire::ServerFrame> RawTcpClient::nextFrame(int timeoutMs)
{
    waitUntil(
        [this] {
            return !m_frames.empty() || m_socket.state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
    if (m_frames.empty())
        return std::nullopt;
    WsWire::ServerFrame frame = std::move(m_frames.front());
    m_frames.pop_front();
    return frame;
}

int RawTcpClient::waitCloseCode(int timeoutMs)
{
    const bool ended = waitUntil(
        [this] {
            return m_closeFrameCode != 0 || m_socket.state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
    if (!ended)
        return -1;
    return m_closeFrameCode != 0 ? m_closeFrameCode : 1006;
}

bool RawTcpClient::waitDisconnected(int timeoutMs)
{
    return waitUntil([this] { return m_socket.state() == QAbstractSocket::UnconnectedState; },
                     timeoutMs);
}

} // namespace Tether::Testing
