// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "raw_client.h"

#include "wait.h"

#include <QtWebSockets/QWebSocketHandshakeOptions>

namespace Tether::Testing {

RawClient::RawClient(QObject *parent) : QObject(parent)
{
    resetSocket();
}

RawClient::~RawClient()
{
    if (m_socket)
        m_socket->abort();
}

void RawClient::resetSocket()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
    }
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    if (m_maxIncoming > 0) {
        m_socket->setMaxAllowedIncomingFrameSize(quint64(m_maxIncoming));
        m_socket->setMaxAllowedIncomingMessageSize(quint64(m_maxIncoming));
    }
    if (m_sslConfig)
        m_socket->setSslConfiguration(*m_sslConfig);
    m_sslErrors.clear();
    connect(m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        m_sslErrors = errors;
    });
    m_frames.clear();
    m_messages = 0;
    m_compressedMessages = 0;
    m_binaryMessages = 0;
    m_deflate = std::make_unique<DeflateStream>();
    m_inflate = std::make_unique<InflateStream>();
    m_closed = false;
    m_handshakeDone = false;
    m_error.clear();
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        received(false, text.toUtf8());
    });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &bytes) {
        received(true, bytes);
    });
    connect(m_socket, &QWebSocket::connected, this, [this] { m_handshakeDone = true; });
    connect(m_socket, &QWebSocket::disconnected, this, [this] { m_closed = true; });
    // Qt 6.4 names the signal error(); errorOccurred() arrives in 6.5.
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) {
        if (m_error.isEmpty())
            m_error = m_socket->errorString();
    });
}

QByteArray RawClient::compressed(const QByteArray &batch)
{
    if (!m_deflate)
        m_deflate = std::make_unique<DeflateStream>();
    return m_deflate->message(batch);
}

// v1.1: each frame of a batch is queued on its own, so a suite reads frames the same way
// in both versions; an unsplittable message is queued whole (and fails to decode there).
void RawClient::received(bool binary, const QByteArray &message)
{
    ++m_messages;
    m_binaryMessages += binary ? 1 : 0;
    const Clock::time_point at = Clock::now();
    QByteArray bytes = message;
    // §10.5: a compressed batch is inflated first (only on a +deflate connection).
    const std::optional<Codec> codec = codecFromSubprotocol(m_socket->subprotocol());
    if (m_splitBatches && binary && codec && m_socket->subprotocol() == deflateSubprotocolName(*codec)
        && message.startsWith(char(0xff))) {
        if (std::optional<QByteArray> inflated = m_inflate->message(message)) {
            ++m_compressedMessages;
            bytes = *inflated;
            binary = *codec == Codec::Cbor;
        }
    }
    if (m_splitBatches && isV11Subprotocol(m_socket->subprotocol())) {
        // §10.2: v1.1 JSON batches may come as binary messages: the codec decides, and
        // each frame is marked binary exactly when it is CBOR (what decodeFrame() reads).
        if (codec)
            binary = *codec == Codec::Cbor;
        const QList<QByteArray> frames = splitBatch(bytes, binary ? Codec::Cbor : Codec::Json);
        if (!frames.isEmpty()) {
            for (const QByteArray &frame : frames)
                m_frames.push_back({binary, frame, at});
            return;
        }
    }
    m_frames.push_back({binary, bytes, at});
}

void RawClient::setMaxIncomingSize(qint64 bytes)
{
    m_maxIncoming = bytes;
    m_socket->setMaxAllowedIncomingFrameSize(quint64(bytes));
    m_socket->setMaxAllowedIncomingMessageSize(quint64(bytes));
}

void RawClient::setSslConfiguration(const QSslConfiguration &config)
{
    m_sslConfig = config;
    m_socket->setSslConfiguration(config);
}

bool RawClient::open(const QUrl &url, const QStringList &subprotocols, int timeoutMs)
{
    resetSocket();
    QWebSocketHandshakeOptions options;
    options.setSubprotocols(subprotocols);
    m_socket->open(url, options);
    const bool settled = waitUntil([this] { return m_closed || m_handshakeDone; }, timeoutMs);
    if (!settled) {
        m_error = QStringLiteral("handshake with %1 timed out after %2 ms")
                      .arg(url.toString())
                      .arg(timeoutMs);
        m_socket->abort();
        return false;
    }
    if (!m_handshakeDone) {
        if (m_error.isEmpty())
            m_error = QStringLiteral("connection closed during the handshake");
        return false;
    }
    // The server may already have sent frames and closed (e.g. error + 1013 right after
    // the 101): the handshake succeeded, the frames are queued and closeCode() is set.
    return true;
}

bool RawClient::openTether(const QUrl &url, Codec codec, int timeoutMs)
{
    if (!open(url, {subprotocolName(codec)}, timeoutMs))
        return false;
    if (m_socket->subprotocol() != subprotocolName(codec)) {
        m_error = QStringLiteral("server picked subprotocol '%1' instead of '%2'")
                      .arg(m_socket->subprotocol(), subprotocolName(codec));
        return false;
    }
    return true;
}

bool RawClient::isConnected() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

QString RawClient::subprotocol() const
{
    return m_socket->subprotocol();
}

Codec RawClient::codec() const
{
    return codecFromSubprotocol(m_socket->subprotocol()).value_or(Codec::Json);
}

void RawClient::sendText(QByteArrayView utf8)
{
    m_socket->sendTextMessage(QString::fromUtf8(utf8));
}

void RawClient::sendBinary(const QByteArray &bytes)
{
    m_socket->sendBinaryMessage(bytes);
}

void RawClient::sendFrame(const QCborMap &frame)
{
    sendFrame(frame, codec());
}

void RawClient::sendFrame(const QCborMap &frame, Codec codec)
{
    const QByteArray bytes = encodeFrame(frame, codec);
    if (codec == Codec::Json)
        sendText(bytes);
    else
        sendBinary(bytes);
}

std::optional<QCborMap> RawClient::handshake(const QCborMap &hello, int timeoutMs)
{
    sendFrame(hello);
    const std::optional<QCborMap> frame = next(timeoutMs);
    if (!frame)
        return std::nullopt;
    if (frameType(*frame) != QLatin1StringView("welcome")) {
        m_error = QStringLiteral("expected welcome, got ") + QString::fromUtf8(describe(*frame));
        return std::nullopt;
    }
    return frame;
}

std::optional<QCborMap> RawClient::request(const QString &method,
                                           const std::optional<QCborValue> &d, int timeoutMs)
{
    const quint64 id = nextRequestId();
    sendFrame(reqFrame(id, method, d));
    return waitForRes(id, timeoutMs);
}

std::optional<RawClient::Frame> RawClient::nextRaw(int timeoutMs)
{
    if (!waitUntil([this] { return !m_frames.empty(); }, timeoutMs)) {
        m_error = m_closed ? QStringLiteral("closed (code %1) while waiting for a frame").arg(closeCode())
                           : QStringLiteral("no frame within %1 ms").arg(timeoutMs);
        return std::nullopt;
    }
    Frame frame = std::move(m_frames.front());
    m_frames.pop_front();
    m_lastTakenAt = frame.receivedAt;
    return frame;
}

std::optional<QCborMap> RawClient::next(int timeoutMs)
{
    const std::optional<Frame> raw = nextRaw(timeoutMs);
    if (!raw)
        return std::nullopt;
    return decodeFrame(raw->bytes, raw->binary, &m_error);
}

std::optional<QCborMap> RawClient::waitFor(const std::function<bool(const QCborMap &)> &match,
                                           int timeoutMs)
{
    std::size_t scanned = 0;  // frames already checked stay queued and are not decoded twice
    std::optional<QCborMap> found;
    auto scan = [&] {
        for (; scanned < m_frames.size(); ++scanned) {
            const Frame &f = m_frames[scanned];
            std::optional<QCborMap> decoded = decodeFrame(f.bytes, f.binary);
            if (decoded && match(*decoded)) {
                m_lastTakenAt = f.receivedAt;
                m_frames.erase(m_frames.begin() + std::ptrdiff_t(scanned));
                found = std::move(decoded);
                return true;
            }
        }
        return false;
    };
    if (!waitUntil(scan, timeoutMs)) {
        m_error = m_closed ? QStringLiteral("closed (code %1) before the awaited frame").arg(closeCode())
                           : QStringLiteral("awaited frame not received within %1 ms").arg(timeoutMs);
        return std::nullopt;
    }
    return found;
}

std::optional<QCborMap> RawClient::waitForType(const QString &type, int timeoutMs)
{
    return waitFor([&type](const QCborMap &f) { return frameType(f) == type; }, timeoutMs);
}

std::optional<QCborMap> RawClient::waitForRes(quint64 id, int timeoutMs)
{
    return waitFor(
        [id](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("res")
                && uintField(f, QLatin1StringView("id")) == id;
        },
        timeoutMs);
}

bool RawClient::expectSilence(int ms)
{
    return !waitUntil([this] { return !m_frames.empty(); }, ms);
}

QList<QCborMap> RawClient::drain()
{
    QList<QCborMap> out;
    for (const Frame &f : m_frames) {
        if (std::optional<QCborMap> decoded = decodeFrame(f.bytes, f.binary))
            out.append(*decoded);
    }
    m_frames.clear();
    return out;
}

bool RawClient::waitClosed(int timeoutMs)
{
    return waitUntil([this] { return m_closed; }, timeoutMs);
}

int RawClient::closeCode() const
{
    return int(m_socket->closeCode());
}

QString RawClient::closeReason() const
{
    return m_socket->closeReason();
}

void RawClient::close(QWebSocketProtocol::CloseCode code, const QString &reason)
{
    m_socket->close(code, reason);
}

void RawClient::abort()
{
    m_socket->abort();
}

} // namespace Tether::Testing
