// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// One WebSocket connection: its mode, inbound reassembly and outbound batch buffer.
//
// Theory of operation:
// - Everything the server sends on a connection is appended, already framed, to `out`
//   (see ws_frame.h). The first append asks lws for a writable callback; that callback
//   hands lws as much of `out` as fits in one raw write. So N frames produced while
//   handling a burst of input cost one write, not N.
// - A close is queued the same way: `beginClose()` records the code, and the writable
//   callback sends the close only once `out` is flushed, so an `error` frame queued
//   before the close always reaches the peer first. lws then runs the RFC 6455 §7.1.1
//   close handshake (close frame, input drained and dropped until the peer's close or a
//   5 s timeout, then the TCP close): see onWritable().
// - Protocol v1.1 (setBatching(), docs/protocol.md §10): a text/binary frame queued right
//   behind another one still in `out` joins it (extendWsFrame()), so the protocol frames
//   produced before the next writable callback, fan-out deliveries included, travel as
//   one WebSocket message, up to kMaxBatchBytes and kMaxBatchFrames. Handing bytes to lws,
//   or queuing a ping/close, ends the batch.
// - Compression (setCompression(), docs/protocol.md §10.5): the connection owns its two
//   zlib streams (context takeover), made at their first use and freed with it; a batch
//   of at least the threshold is compressed in place when it closes and MUST then leave
//   compressed. Fan-out reaches here per subscriber, so each subscriber's stream sees
//   exactly the messages it is sent.
// - `out` is bounded (kMaxOutBytes): a peer that does not read is dropped rather than
//   letting the server grow without bound.
// - A Connection never outlives its lws wsi; sessions and timers refer to it by id.
#pragma once

#include "rate_limiter.h"
#include "timer_queue.h"
#include "ws_frame.h"

#include <protocol/batch.h>

#include <cstdint>
#include <memory>
#include <string>

struct lws;

namespace Tether::Protocol {
class BatchDeflater;
class BatchInflater;
struct InflatedBatch;
}

namespace TetherServer {

struct Session;

class Connection {
public:
    enum class Mode { Tether, RawEcho, RawSink };
    enum class Phase { AwaitHello, Open, Closing };

    // Beyond this many unwritten bytes the peer is dropped (one frame larger than this is
    // still accepted into an empty buffer, so --max-frame above it keeps working).
    static constexpr size_t kMaxOutBytes = size_t(64) << 20;
    static constexpr size_t kMaxWriteChunk = size_t(512) << 10; // per writable callback
    static constexpr size_t kMaxBatchBytes = size_t(16) << 10;  // v1.1: payload of one batch

    Connection(std::uint64_t id, lws *wsi, Mode mode, const Tether::Protocol::Codec *codec,
               std::string ip, std::int64_t nowMs);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    std::uint64_t id() const { return m_id; }
    lws *wsi() const { return m_wsi; }
    Mode mode() const { return m_mode; }
    const Tether::Protocol::Codec *codec() const { return m_codec; }
    const std::string &ip() const { return m_ip; }

    Phase phase = Phase::AwaitHello;
    Session *session = nullptr;
    std::int64_t lastReceiveMs = 0;
    std::int64_t pingSentMs = 0;   // 0: no server ping outstanding
    int peerCloseCode = 0;             // code of the peer's close frame, 0 if none

    // Inbound reassembly of fragmented messages.
    std::string rx;
    bool rxDiscarding = false;         // oversize: ignore the rest of the input
    TokenBucket frameBudget;           // --max-frame-rate: every frame, before hello too

    // Ack batching (docs/protocol.md §4): owed acks and the pending ack timer.
    std::uint32_t acksOwed = 0;
    TimerId ackTimer = 0;
    TimerId helloTimer = 0;
    // An accepted JWT (hub.cpp watchToken): closed with 4001 when it expires, or when a key
    // reload leaves no key that verifies it; kept for that recheck, never logged.
    std::string jwt;
    TimerId tokenTimer = 0;

    // Appends one frame to the outbound buffer and asks for a writable callback.
    // Returns false when the buffer limit was hit (the connection is then being dropped).
    bool queueFrame(WsOpcode opcode, WsPieces payload) { return queueFrame(opcode, payload, wsPiecesSize(payload)); }
    // The same when the caller knows the pieces' total `size` (a fan-out copy: no loop to add it up).
    bool queueFrame(WsOpcode opcode, WsPieces payload, size_t size);
    bool queueFrame(WsOpcode opcode, const char *data, size_t size)
    {
        return queueFrame(opcode, {QByteArrayView(data, qsizetype(size))});
    }
    bool queueFrame(WsOpcode opcode, const std::string &data) { return queueFrame(opcode, data.data(), data.size()); }
    size_t queuedBytes() const { return m_out.size() - m_outPos; }
    // Protocol v1.1 negotiated: queued text/binary frames are batched (see the top).
    void setBatching(bool on) { m_batching = on; }
    bool batching() const { return m_batching; }
    Tether::Protocol::Version version() const
    {
        return m_batching ? Tether::Protocol::Version::V1_1 : Tether::Protocol::Version::V1;
    }
    // The opcode of a protocol message here (Protocol::sendsBinary(), docs/protocol.md §10.2).
    WsOpcode dataOpcode() const;
    // tether.v1.1.<codec>+deflate negotiated (docs/protocol.md §10.5): a batch of at least
    // `threshold` bytes is compressed when it closes, by this connection's deflate stream.
    void setCompression(size_t threshold)
    {
        m_compression = true;
        m_compressionThreshold = threshold;
    }
    bool compression() const { return m_compression; }
    // The next compressed message from the peer, inflated by this connection's stream.
    Tether::Protocol::InflatedBatch inflate(const char *data, size_t size, size_t limit);

    // Sends `code` (after everything queued so far). Further frames are not queued.
    void beginClose(int code, std::string reason);
    bool closing() const { return m_closeCode != 0; }

    // Drops the TCP connection without a close handshake (dead peer, overflow).
    void abort();

    // lws writable callback. Returns -1 when lws must close the connection now.
    int onWritable();

    void requestWritable();
    // Ends the batch open at the end of `out`, compressing it in place when due.
    void closeBatch();

private:
    std::uint64_t m_id;
    lws *m_wsi;
    Mode m_mode;
    const Tether::Protocol::Codec *m_codec;
    bool m_batching = false;
    bool m_compression = false;
    size_t m_compressionThreshold = 0;
    std::unique_ptr<Tether::Protocol::BatchDeflater> m_deflater;
    std::unique_ptr<Tether::Protocol::BatchInflater> m_inflater;
    // The batch still open at the end of `out` (v1.1): where its header starts, its
    // payload size and frame count; m_batchFrames == 0 when none is open.
    size_t m_batchStart = 0;
    size_t m_batchPayload = 0;
    int m_batchFrames = 0;
    WsOpcode m_batchOpcode = WsOpcode::Text;
    std::string m_ip;
    OutBuffer m_out;
    size_t m_outPos = 0;
    bool m_writableRequested = false;
    int m_closeCode = 0;
    std::string m_closeReason;
    bool m_aborted = false;
    // The close frame is lws's to send (its close handshake runs); lws still calls the
    // writable callback while it waits for the peer's close, which must then do nothing.
    bool m_closeHandedToLws = false;
};

} // namespace TetherServer
