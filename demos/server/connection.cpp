// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "connection.h"

#include "log.h"

#include <protocol/batch.h>
#include <protocol/compression.h>

#include <libwebsockets.h>

namespace TetherServer {

Connection::Connection(std::uint64_t id, lws *wsi, Mode mode, const Tether::Protocol::Codec *codec,
                       std::string ip, std::int64_t nowMs)
    : lastReceiveMs(nowMs), m_id(id), m_wsi(wsi), m_mode(mode), m_codec(codec), m_ip(std::move(ip))
{
}

Connection::~Connection() = default;

Tether::Protocol::InflatedBatch Connection::inflate(const char *data, size_t size, size_t limit)
{
    if (!m_inflater)
        m_inflater = std::make_unique<Tether::Protocol::BatchInflater>();
    return m_inflater->inflate(QByteArrayView(data, qsizetype(size)), qsizetype(limit));
}

void Connection::requestWritable()
{
    if (m_writableRequested)
        return;
    m_writableRequested = true;
    lws_callback_on_writable(m_wsi);
}

WsOpcode Connection::dataOpcode() const
{
    return m_codec && !Tether::Protocol::sendsBinary(m_codec->kind(), version()) ? WsOpcode::Text : WsOpcode::Binary;
}

bool Connection::queueFrame(WsOpcode opcode, WsPieces payload, size_t size)
{
    Q_ASSERT(size == wsPiecesSize(payload));
    if (m_closeCode != 0 || m_aborted)
        return false;
    if (queuedBytes() > 0 && queuedBytes() + size > kMaxOutBytes) {
        TS_WARN("connection %llu: peer does not read (%zu bytes queued), dropping it",
                static_cast<unsigned long long>(m_id), queuedBytes());
        abort();
        return false;
    }
    const bool isData = opcode == WsOpcode::Text || opcode == WsOpcode::Binary;
    if (m_batching && isData && m_batchFrames > 0 && m_batchOpcode == opcode
        && m_batchFrames < Tether::Protocol::kMaxBatchFrames
        && m_batchPayload + 1 + size <= kMaxBatchBytes) {
        m_batchPayload = extendWsFrame(m_out, m_batchStart, m_batchPayload, opcode,
                                       Tether::Protocol::batchSeparator(m_codec->kind()), payload, size);
        ++m_batchFrames;
        return true;   // the writable callback is already requested
    }
    closeBatch();
    // A frame of kMaxBatchBytes or more opens no batch, except to be compressed alone.
    if (m_batching && isData && (size < kMaxBatchBytes || m_compression)) {
        m_batchStart = m_out.size();
        m_batchPayload = size;
        m_batchFrames = 1;
        m_batchOpcode = opcode;
    }
    appendWsFrame(m_out, opcode, payload, size);
    requestWritable();
    return true;
}

void Connection::closeBatch()
{
    const int frames = m_batchFrames;
    m_batchFrames = 0;
    if (frames == 0 || !m_compression || m_batchPayload < m_compressionThreshold)
        return;
    const size_t payloadAt = m_batchStart + wsHeaderSize(m_batchPayload);
    if (!m_deflater)
        m_deflater = std::make_unique<Tether::Protocol::BatchDeflater>();
    // Once the stream took the batch, it leaves compressed (§10.5), smaller or not.
    const QByteArray compressed
        = m_deflater->compress(QByteArrayView(m_out.data() + payloadAt, qsizetype(m_batchPayload)));
    if (compressed.isEmpty())
        return;   // the deflater failed (out of memory): plain from now on
    m_out.truncate(m_batchStart);
    appendWsFrame(m_out, WsOpcode::Binary, {QByteArrayView(compressed)}, size_t(compressed.size()));
}

void Connection::beginClose(int code, std::string reason)
{
    if (m_closeCode != 0 || m_aborted)
        return;
    m_closeCode = code;
    m_closeReason = std::move(reason);
    if (m_closeReason.size() > 120)   // a close frame's payload is at most 125 bytes
        m_closeReason.resize(120);
    phase = Phase::Closing;
    requestWritable();
}

void Connection::abort()
{
    if (m_aborted)
        return;
    m_aborted = true;
    phase = Phase::Closing;
    m_batchFrames = 0;
    m_out.clear();
    m_outPos = 0;
    lws_set_timeout(m_wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

int Connection::onWritable()
{
    m_writableRequested = false;
    closeBatch();   // what is queued now is handed to lws: later frames start a new batch
    if (m_aborted)
        return -1;
    if (m_closeHandedToLws)
        return 0;   // lws owns the close handshake now; a second -1 would cut it short
    if (m_outPos < m_out.size()) {
        const size_t chunk = std::min(m_out.size() - m_outPos, kMaxWriteChunk);
        // LWS_WRITE_RAW: the bytes are complete WebSocket frames already; lws keeps what
        // the socket does not take and flushes it before our next writable callback.
        const int written = lws_write(m_wsi, reinterpret_cast<unsigned char *>(&m_out[m_outPos]),
                                      chunk, LWS_WRITE_RAW);
        if (written < 0)
            return -1;
        m_outPos += chunk;
        if (m_outPos == m_out.size()) {
            m_out.clear();
            m_outPos = 0;
        } else if (m_outPos > (size_t(1) << 20) && m_outPos > m_out.size() / 2) {
            m_out.eraseFront(m_outPos);
            m_outPos = 0;
        }
        if (m_outPos < m_out.size() || m_closeCode != 0) {
            requestWritable();
            return 0;
        }
    }
    if (m_closeCode != 0) {
        if (lws_partial_buffered(m_wsi)) {
            requestWritable();
            return 0;
        }
        // RFC 6455 §7.1.1, done by lws from here: with a close reason recorded, -1 makes it
        // send the close frame, stop writing and discard input until the peer's close (or
        // its 5 s close-ack timeout), then shut the socket. Input the peer is still sending
        // is read and dropped meanwhile, so the socket is never closed with unread data in
        // it (which would reset the connection and lose the close frame on the peer's side).
        lws_close_reason(m_wsi, static_cast<enum lws_close_status>(m_closeCode),
                         reinterpret_cast<unsigned char *>(m_closeReason.data()), m_closeReason.size());
        m_closeHandedToLws = true;
        return -1;
    }
    return 0;
}

} // namespace TetherServer
