// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// FastClient: a minimal WebSocket client over QTcpSocket for the throughput scenarios.
//
// Why not QWebSocket there: the point is to measure the server, and QWebSocket spends
// more CPU per message than the server does (a QString/QByteArray and a signal per frame,
// a fresh random mask per frame). FastClient writes pre-built frames (masked with the
// all-zero key, which RFC 6455 allows) in large batches and parses replies in place.
// The latency and connection scenarios keep using QWebSocket.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QUrl>
#include <QtNetwork/QTcpSocket>

#include <functional>

class FastClient : public QObject {
public:
    // opcode, payload, size: one complete (unfragmented) frame from the server.
    using FrameHandler = std::function<void(int opcode, const char *payload, qsizetype size)>;

    explicit FastClient(FrameHandler handler) : m_handler(std::move(handler)) {}

    // Connects and completes the upgrade (blocking, bounded). False on failure.
    bool open(const QUrl &url, const char *subprotocol);
    void send(const QByteArray &frames) { m_socket.write(frames); }
    void flush() { m_socket.flush(); }

    // Appends one client frame (FIN, zero mask key) carrying `payload` to `out`.
    static void appendFrame(QByteArray &out, int opcode, QByteArrayView payload);
    // One text frame carrying `json`.
    static QByteArray textFrame(QByteArrayView json);
    // Does the frame's payload start with `prefix` (e.g. {"t":"ack")? The benches read
    // frames by prefix: no JSON parse on their hot path.
    static bool startsWith(const char *frame, qsizetype size, const char *prefix);

private:
    void onReadyRead();

    QTcpSocket m_socket;
    QByteArray m_in;
    FrameHandler m_handler;
};
