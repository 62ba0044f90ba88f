// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "fast_client.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>

#include <cstring>

bool FastClient::open(const QUrl &url, const char *subprotocol)
{
    m_socket.connectToHost(url.host(), quint16(url.port()));
    if (!m_socket.waitForConnected(10000))
        return false;
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    QByteArray request = "GET " + url.path(QUrl::FullyEncoded).toLatin1();
    if (url.hasQuery())
        request += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    request += " HTTP/1.1\r\nHost: " + url.host().toLatin1() + ':' + QByteArray::number(url.port())
               + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (subprotocol)
        request += QByteArray("Sec-WebSocket-Protocol: ") + subprotocol + "\r\n";
    request += "\r\n";
    m_socket.write(request);
    QElapsedTimer timer;
    timer.start();
    while (!m_in.contains("\r\n\r\n") && timer.elapsed() < 10000) {
        if (!m_socket.waitForReadyRead(100) && m_socket.state() != QAbstractSocket::ConnectedState)
            return false;
        m_in += m_socket.readAll();
    }
    const qsizetype end = m_in.indexOf("\r\n\r\n");
    if (end < 0 || !m_in.startsWith("HTTP/1.1 101"))
        return false;
    m_in.remove(0, end + 4);
    connect(&m_socket, &QTcpSocket::readyRead, this, &FastClient::onReadyRead);
    if (!m_in.isEmpty())
        onReadyRead();
    return true;
}

QByteArray FastClient::textFrame(QByteArrayView json)
{
    QByteArray out;
    appendFrame(out, 1, json);
    return out;
}

bool FastClient::startsWith(const char *frame, qsizetype size, const char *prefix)
{
    const qsizetype n = qsizetype(std::strlen(prefix));
    return size >= n && std::memcmp(frame, prefix, size_t(n)) == 0;
}

void FastClient::appendFrame(QByteArray &out, int opcode, QByteArrayView payload)
{
    const qsizetype size = payload.size();
    out.append(char(0x80 | opcode));
    if (size < 126) {
        out.append(char(0x80 | size));
    } else if (size < 65536) {
        out.append(char(0x80 | 126));
        out.append(char(size >> 8));
        out.append(char(size & 0xff));
    } else {
        out.append(char(0x80 | 127));
        for (int i = 7; i >= 0; --i)
            out.append(char((quint64(size) >> (8 * i)) & 0xff));
    }
    out.append("\0\0\0\0", 4);   // mask key 0: the payload goes as is
    out.append(payload.data(), size);
}

void FastClient::onReadyRead()
{
    m_in += m_socket.readAll();
    const auto *data = reinterpret_cast<const unsigned char *>(m_in.constData());
    const qsizetype total = m_in.size();
    qsizetype at = 0;
    while (total - at >= 2) {
        const int opcode = data[at] & 0x0f;
        quint64 size = data[at + 1] & 0x7f;
        qsizetype header = 2;
        if (size == 126) {
            if (total - at < 4)
                break;
            size = (quint64(data[at + 2]) << 8) | data[at + 3];
            header = 4;
        } else if (size == 127) {
            if (total - at < 10)
                break;
            size = 0;
            for (int i = 0; i < 8; ++i)
                size = (size << 8) | data[at + 2 + i];
            header = 10;
        }
        if (quint64(total - at - header) < size)
            break;
        m_handler(opcode, m_in.constData() + at + header, qsizetype(size));
        at += header + qsizetype(size);
    }
    m_in.remove(0, at);
}
