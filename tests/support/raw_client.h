// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RawClient: a plain QWebSocket client for tests that drive a server frame by frame.
//
// It offers whatever subprotocols the test names (Qt 6.4 QWebSocketHandshakeOptions),
// queues every text/binary frame it receives (the frames of a v1.1 batch one by one), and waits with bounded timeouts while the
// event loop runs (so a FaultProxy or another client in the same thread keeps working).
// It knows the Tether envelope only as plain maps (frames.h): it is deliberately not the
// SDK's engine, so a conformance test proves the server, not our client logic.
#pragma once

#include "frames.h"

#include <QtCore/QObject>
#include <QtCore/QUrl>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslError>
#include <QtWebSockets/QWebSocket>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace Tether::Testing {

// Default bound for every wait in the helpers: long enough for an ASan build on a loaded
// 2-core machine, short enough that a hung test fails well before the ctest TIMEOUT.
inline constexpr int kDefaultWaitMs = 5000;

class RawClient : public QObject
{
    Q_OBJECT
public:
    using Clock = std::chrono::steady_clock;
    struct Frame {
        bool binary = false;
        QByteArray bytes;
        Clock::time_point receivedAt;  // when the socket handed it over
    };

    explicit RawClient(QObject *parent = nullptr);
    ~RawClient() override;

    // Largest incoming frame and message the socket accepts (Qt's default is 2 GiB).
    // Kept for every later open().
    void setMaxIncomingSize(qint64 bytes);
    // TLS settings for wss:// (e.g. the test CA as the only trusted one). Kept for every
    // later open(). sslErrors() lists what the last handshake reported.
    void setSslConfiguration(const QSslConfiguration &config);
    QList<QSslError> sslErrors() const { return m_sslErrors; }

    // Opens `url` offering `subprotocols` (none when empty). Returns true once the handshake
    // succeeded (even if the server closed right after it: see isClosed()); false when it
    // was refused or failed, or after `timeoutMs` (errorString() says which).
    bool open(const QUrl &url, const QStringList &subprotocols = {}, int timeoutMs = kDefaultWaitMs);
    // Offers exactly one Tether codec. True only when connected and the server picked it.
    bool openTether(const QUrl &url, Codec codec, int timeoutMs = kDefaultWaitMs);

    bool isConnected() const;
    // The subprotocol the server picked ("" when none).
    QString subprotocol() const;
    // The negotiated Tether codec (JSON when none was negotiated).
    Codec codec() const;
    QString errorString() const { return m_error; }
    // The socket of the current connection: open() replaces it, so configure the client
    // through RawClient's setters, not through this pointer, before open().
    QWebSocket *socket() { return m_socket; }

    // Sending. sendText() takes UTF-8 (hand-written JSON literals); sendFrame() encodes a
    // map with the negotiated codec (text frame for JSON, binary frame for CBOR).
    void sendText(QByteArrayView utf8);
    void sendBinary(const QByteArray &bytes);
    void sendFrame(const QCborMap &frame);
    void sendFrame(const QCborMap &frame, Codec codec);

    // Sends `hello` and waits for the next frame; returns it when it is a `welcome`,
    // nullopt otherwise (errorString() holds what arrived instead).
    std::optional<QCborMap> handshake(const QCborMap &hello = helloFrame(),
                                      int timeoutMs = kDefaultWaitMs);
    // Sends `req{id, m, d}` with a fresh id and waits for the `res` with that id
    // (other frames stay queued). nullopt on timeout.
    std::optional<QCborMap> request(const QString &method,
                                    const std::optional<QCborValue> &d = std::nullopt,
                                    int timeoutMs = kDefaultWaitMs);
    // A request id not used yet by request() on this client.
    quint64 nextRequestId() { return ++m_lastRequestId; }

    // Receiving. Frames wait in arrival order until taken.
    // The next raw frame, or nullopt after timeoutMs.
    std::optional<Frame> nextRaw(int timeoutMs = kDefaultWaitMs);
    // The next frame decoded; nullopt on timeout or when it is not a valid frame
    // (errorString() says which).
    std::optional<QCborMap> next(int timeoutMs = kDefaultWaitMs);
    // The first queued or arriving frame for which `match` holds; frames before it stay
    // queued in order. nullopt after timeoutMs.
    std::optional<QCborMap> waitFor(const std::function<bool(const QCborMap &)> &match,
                                    int timeoutMs = kDefaultWaitMs);
    // The first frame whose `t` is `type` (others stay queued).
    std::optional<QCborMap> waitForType(const QString &type, int timeoutMs = kDefaultWaitMs);
    // The `res` answering request `id`.
    std::optional<QCborMap> waitForRes(quint64 id, int timeoutMs = kDefaultWaitMs);
    // True when no frame arrives (and none is queued) for `ms` milliseconds.
    bool expectSilence(int ms);
    std::size_t queuedFrames() const { return m_frames.size(); }
    // WebSocket messages received on this connection (v1.1: a batch counts once).
    int messagesReceived() const { return m_messages; }
    // Of those, compressed batches inflated (docs/protocol.md §10.5, +deflate connections)
    // by this socket's inflate stream (a new socket starts a new one).
    int compressedMessagesReceived() const { return m_compressedMessages; }
    // Messages that came as binary WebSocket messages (v1.1: every batch, JSON too).
    int binaryMessagesReceived() const { return m_binaryMessages; }
    // `batch` as this socket's next compressed message (its deflate stream, §10.5): send
    // it, and every message made here, in order, or the server's stream cannot read on.
    QByteArray compressed(const QByteArray &batch);
    // v1.1 batches are split into frames (the default); off: each message is one Frame.
    void setSplitBatches(bool on) { m_splitBatches = on; }
    // When the frame most recently returned by next()/waitFor()/nextRaw() arrived.
    Clock::time_point lastTakenAt() const { return m_lastTakenAt; }
    // Every frame received so far and not taken, decoded (undecodable ones skipped).
    QList<QCborMap> drain();

    // Closing. waitClosed() is true once the socket is disconnected; closeCode() is the code
    // of the peer's close frame (1006 when the TCP connection ended without one).
    bool waitClosed(int timeoutMs = kDefaultWaitMs);
    bool isClosed() const { return m_closed; }
    int closeCode() const;
    QString closeReason() const;
    void close(QWebSocketProtocol::CloseCode code = QWebSocketProtocol::CloseCodeNormal,
               const QString &reason = {});
    void abort();

private:
    void resetSocket();
    void received(bool binary, const QByteArray &bytes);

    QWebSocket *m_socket = nullptr;
    std::deque<Frame> m_frames;
    qint64 m_maxIncoming = -1;
    std::optional<QSslConfiguration> m_sslConfig;
    QList<QSslError> m_sslErrors;
    quint64 m_lastRequestId = 0;
    QString m_error;
    Clock::time_point m_lastTakenAt;
    bool m_closed = false;
    bool m_handshakeDone = false;
    int m_messages = 0;
    int m_compressedMessages = 0;
    int m_binaryMessages = 0;
    bool m_splitBatches = true;
    std::unique_ptr<DeflateStream> m_deflate;   // this socket's two §10.5 streams
    std::unique_ptr<InflateStream> m_inflate;
};

} // namespace Tether::Testing
