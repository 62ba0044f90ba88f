// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// WsTestPeer: a WebSocket *server* written by hand over QTcpServer, for client-side RFC 6455
// tests (in the spirit of the Autobahn client cases, groups 1-7, 9, 10). It answers one
// upgrade (Sec-WebSocket-Accept computed as §4.2.2 asks, the first offered subprotocol
// echoed when `subprotocol` is set), then writes exactly the bytes a test gives it —
// frames built by serverFrame() with any FIN/RSV/opcode/mask/length, valid or not — and
// parses what the client sends back (client frames must be masked: an unmasked one is
// recorded as a violation).
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <memory>

namespace Tether::Testing {

class WsTestPeer : public QObject
{
    Q_OBJECT
public:
    struct ClientFrame {
        quint8 opcode = 0;
        bool fin = true;
        bool masked = true;
        QByteArray payload;
        int closeCode() const;  // a close frame's code, 1005 when it carries none
    };

    explicit WsTestPeer(QObject *parent = nullptr);
    bool listen();
    quint16 port() const { return m_server.serverPort(); }
    void setSubprotocol(const QByteArray &name) { m_subprotocol = name; }

    // A frame as a server would write it (unmasked unless `mask`), with every bit settable.
    static QByteArray serverFrame(quint8 opcode, const QByteArray &payload, bool fin = true,
                                  quint8 rsv = 0, bool mask = false);
    static QByteArray closePayload(quint16 code, const QByteArray &reason = {});

    // Waits (bounded) until a client completed the upgrade.
    bool waitUpgraded(int timeoutMs);
    void write(const QByteArray &bytes);
    // Closes TCP from this side (after a close handshake the server closes first, §7.1.1).
    void closeTcp();

    const QList<ClientFrame> &received() const { return m_frames; }
    bool clientDisconnected() const;
    bool sawUnmaskedFrame() const { return m_unmasked; }

private:
    void onNewConnection();
    void onReadyRead();

    QTcpServer m_server;
    QTcpSocket *m_socket = nullptr;
    QByteArray m_buffer;
    QByteArray m_subprotocol;
    bool m_upgraded = false;
    bool m_unmasked = false;
    QList<ClientFrame> m_frames;
};

} // namespace Tether::Testing
