// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the sans-I/O connection.
//
// Not public API. Tether::Client wraps one Connection per client.
//
// Promise (as quinn-proto's): deterministic, no networking, no clock of its own, no
// threads, no exceptions across this API. The same inputs at the same `now` produce the
// same outputs (the random source is injected through Options::random).
//
// Four families of methods:
//   getters          state(), stats(), queueDepth(), ...
//   handle*()        inputs from the transport and the clock
//   commands         open(), close(), send(), request(), subscribe(), ...
//   poll*()          outputs
//
// Polling order (the caller does this after EVERY handle*() or command call):
//   1. while (auto a = pollAction())  perform *a on the transport, in order;
//   2. while (auto e = pollEvent())   hand *e to the app (app code may call commands
//                                     again: then repeat from 1);
//   3. arm ONE timer at pollTimeout() (none when it returns nullopt); when it fires call
//      handleTimeout(now). A spurious or early handleTimeout() is a no-op.
// Actions before events: an event handler that calls send() then sees its frame after
// the frames that were already due.
// Protocol v1.1 (batching() true): the caller may postpone step 1 to the end of its
// event-loop turn (never to a timer); every frame waiting by then leaves in one SendFrame,
// a batch (docs/protocol.md §10). Steps 2 and 3 still follow every call. Once batchDue(),
// the caller does step 1 at once and writes the result out without waiting for the end of
// its turn: an app that sends many messages in one turn keeps the server busy meanwhile.
//
// The transport contract: after OpenSocket, report exactly one of handleOpened() or
// handleTransportError()/handleClosed(). While the socket is open, report frames, pongs
// and finally its closing. After the engine emits CloseSocket/AbortSocket the caller must
// detach that socket: the engine ignores handleClosed()/handleFrame() when it has no socket.
#pragma once

#include "options.h"
#include "outputs.h"

#include <QtCore/QByteArrayView>
#include <QtCore/QCborValue>
#include <QtCore/QStringList>
#include <QtCore/QStringView>

#include <memory>
#include <optional>
#include <vector>

namespace Tether::Engine {

// send()'s answer: the message id, or an error (nothing was queued).
struct SendResult {
    QString id;
    std::optional<Error> error;
    bool ok() const { return !error.has_value(); }
};

// request()/subscribe()/unsubscribe()'s answer: the request id (RequestFinished carries it
// later, exactly once), or an error (no request was made and no event will follow).
struct RequestResult {
    quint64 id = 0;
    std::optional<Error> error;
    bool ok() const { return !error.has_value(); }
};

// setOptions()'s answer. On an error nothing changed.
struct OptionsResult {
    // Options fields (member names) accepted but not in effect yet, waiting for the socket
    // to go or for the outbox to empty (see setOptions()). Empty: everything applies now.
    QStringList deferred;
    // The outbox already holds more than the new bounds allow. Nothing was dropped: see
    // setOptions() for what the next send does.
    bool queueOverBound = false;
    std::optional<Error> error;  // InvalidArgument (validateOptions())
    bool ok() const { return !error.has_value(); }
};

// restore()'s answer: how many messages the outbox holds again, or why nothing changed.
struct RestoreResult {
    qsizetype count = 0;
    std::optional<Error> error;  // InvalidArgument: refused (see restore())
    bool ok() const { return !error.has_value(); }
};

// One queued message as the app may show it (queuedMessages()).
struct QueuedMessage {
    QString id;
    QString channel;
    QCborValue payload;  // raw mode: a byte array (binary frame) or a string (text frame)
};

class Connection {
public:
    explicit Connection(Options options);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // ---- getters ----------------------------------------------------------------
    State state() const;
    const Options &options() const;
    Stats stats() const;
    qsizetype queueDepth() const;            // outbox messages (queued + in flight)
    qsizetype queueBytes() const;
    std::optional<RttDuration> lastRtt() const;
    QString sessionId() const;               // empty before the first welcome
    std::optional<Error> lastError() const;  // the last error reported (Failed/ErrorOccurred)
    QStringList channels() const;            // the desired subscription set
    ChannelStatus channelStatus(const QString &channel) const;  // channels_p.h
    QStringList deferredOptions() const;     // accepted by setOptions(), not in effect yet
    // The messages in the outbox (queued or in flight), oldest first: after restore() the
    // ones read back, so a model can show them as queued. Decodes every payload: not for a
    // hot path.
    std::vector<QueuedMessage> queuedMessages() const;

    // ---- inputs from the transport and the clock -----------------------------------
    // The socket is open and the server picked `subprotocol` (empty when it picked none).
    void handleOpened(TimePoint now, QByteArrayView subprotocol);
    // One complete WebSocket frame (text frames: UTF-8 bytes).
    void handleFrame(TimePoint now, QByteArrayView bytes, bool isBinary);
    // The socket closed: `code` from the close frame, 1006 when there was none.
    void handleClosed(TimePoint now, int code, QStringView reason);
    // The socket failed (connect refused, DNS, TLS, reset...); it is gone. `permanent`:
    // trying again cannot help (a certificate the app's TLS options refuse, a pin mismatch,
    // a TLS version or client certificate the server refuses): Failed with a fatal
    // TransportError, no retry until open(). Otherwise retried with backoff.
    void handleTransportError(TimePoint now, QStringView message, bool permanent = false);
    void handlePong(TimePoint now);
    // Call at (or after) pollTimeout(). Extra calls are no-ops.
    void handleTimeout(TimePoint now);
    // The store applied PersistBatch `number` (persist.h). Without error: Persisted for each
    // message it put that has not ended yet. With an error (read-only, disk full...):
    // persistence is off for this client from now on (no more batches, no Persisted),
    // ErrorOccurred{StorageError} with the store's message, Stats::storageDegraded; nothing
    // else changes (the client goes on as with Durability::Memory). Unknown numbers and
    // reports after the first error are ignored.
    void handlePersisted(TimePoint now, quint64 number, std::optional<Error> error = std::nullopt);
    // Hand the pending changes to the store now, without waiting for persistInterval: the
    // next pollAction() returns their PersistBatch (none when nothing is pending or
    // persistence is off). For a client about to stop, whose store drains before it goes.
    void flushPersistence(TimePoint now);

    // ---- commands ---------------------------------------------------------------
    // Start connecting (from Idle/Failed/Closed: starts over; from Reconnecting: skips the
    // wait). No-op while Connecting/Connected.
    void open(TimePoint now);
    // End in Closed from any state: a clean 1000 close when a socket is open. Queued
    // messages are dropped(Closed) and pending requests fail with Closed unless
    // keepOutbox is true (then messages wait for the next open(); requests still fail).
    void close(TimePoint now, bool keepOutbox = false);
    // End in Closed from any state but KEEP the session, for an app going to background:
    // an open socket is closed with 1001 "going away" (docs/protocol.md §3: any code but 1000
    // detaches the session and the server keeps it for welcome.ttl), a connecting one is
    // aborted; no reconnect follows. Queued and unacknowledged messages stay in the outbox
    // (no outcome yet; TTLs and request timeouts keep running: pollTimeout() still matters)
    // and retryable or not-yet-sent requests keep waiting; requests already sent and not
    // retryable fail with ConnectionLost. The next open() sends hello with the old sid, rx
    // and ak: resumed when the server still has the session (unacked messages resent, no
    // SessionLost), else the usual new-session path (renumber, re-subscribe, SessionLost).
    // close() afterwards forgets the kept session and outbox as usual. With persistence on,
    // suspend() and close() make a pending batch due at once (the app may be killed next).
    void suspend(TimePoint now);
    // Replace the endpoints (takes effect at the next attempt).
    void setUrls(const QList<QUrl> &urls);
    // Options::progressEvents, from the next transmission: cheap enough to call before
    // every pollAction() (the Qt layer follows its signal's receivers this way).
    void setProgressEvents(bool on);
    // Backpressure. While false, pollAction() takes no message from the outbox (messages
    // wait there unsent, with no Written status, and the outbox's bounds apply to them),
    // but still returns every other action in order: acks, pings, requests, subscriptions,
    // close and abort are never held back. The caller reports true again once its socket
    // has drained (the Qt layer: at most 256 KiB unwritten). A new socket starts ready.
    void setTransportReady(bool ready);

    // Reconfigure a live connection: nothing is reset, dropped or reported (stats, the
    // session, the outbox, requests, channels and the attempt counters all stay). Refused,
    // changing nothing, when validateOptions() says the options are invalid. options()
    // returns what is in effect. When each field takes effect:
    //   now, re-arming what is running from the moment it counts from (a deadline then in
    //   the past is due at once):
    //     handshakeTimeout    a handshake in progress: from its OpenSocket (0: none)
    //     heartbeatInterval   the next ping: from the last ping, or from welcome (0: no
    //                         pings). A connection whose welcome carried hb keeps the
    //                         server's interval; the option applies from the next one
    //     heartbeatTimeout    a liveness deadline: from the ping that armed it (0: none)
    //     probeTimeout        a probe in progress: from the probe
    //     stablePeriod        a running stable period: from welcome (0: attempt counters
    //                         reset now)
    //     ackDelay            an owed ack: from the first delivery it covers
    //     ackEvery            an owed ack already over the new count is sent now
    //     maxInFlight         capped to [1, 1024]; raised: more frames at the next
    //                         pollAction(); lowered: nothing is taken back, no new frame
    //                         until the window drains below it
    //     recentIdWindow      a smaller window forgets the oldest ids
    //     timeJumpThreshold, maxAttempts, maxTokenAttempts   at their next check
    //   from the next computation, what is already scheduled keeps its deadline:
    //     backoff*, jitter, initialRandomDelay  the next delay; a retry already scheduled
    //                         keeps the delay Reconnecting announced (open() skips it)
    //     requestTimeout      requests and subscriptions made from now on
    //     tokenTimeout        the next token question
    //     maxQueuedMessages, maxQueuedBytes, overflow   the next send(). An outbox above
    //                         a lowered bound is not trimmed (queueOverBound says so):
    //                         RejectNew refuses sends until it drains below; DropOldest
    //                         evicts the oldest not-yet-sent messages at the next send,
    //                         each reported Dropped(QueueFull), as it always does
    //   never under a socket (deferred while one is opening or open, applied when it goes):
    //     headers, agent, rawSubprotocols, maxIncomingFrame, useToken (dropping the token
    //     while a token question is pending opens the socket without one at once)
    //   between connections with an empty outbox (deferred until a moment with no socket
    //   and nothing in the outbox, checked whenever the socket goes and at each attempt):
    //     codec, rawMode      queued payloads were encoded with the old codec. Pending
    //                         requests and subscriptions are re-encoded (one the new codec
    //                         cannot carry ends with NotSupported); switching to raw mode
    //                         ends them all with NotSupported
    //   urls                  like setUrls() when they differ (the next attempt)
    //   random                ignored: the source given at construction stays
    //   progressEvents        now: transmissions from then on (setProgressEvents())
    //   durability            the next send() (queued messages keep theirs). Turning it
    //                         from Memory on starts persisting (persist.h); once on, the
    //                         session stays journaled while the store works
    //   persistInterval, persistMaxChanges   from the next change (a pending batch keeps
    //                         its deadline)
    OptionsResult setOptions(TimePoint now, Options options);

    // Rebuild what a store read back (persist.h), before the first open(): the outbox in
    // serial order (serials kept; new messages continue above), the session (so the first
    // hello resumes it; session_p.h: a welcome.rx beyond the restored seqs is accepted),
    // the desired channels (subscribed again after a new session, as usual) and the id
    // window. Restored messages get no Persisted (they are durable) and end in exactly one
    // outcome like any other; a TTL deadline already past follows the usual Expired rule:
    // its Dropped(Expired) events are pending when restore() returns. Queue bounds are not
    // applied (nothing stored is dropped); the next send() sees the queue as it is.
    // Refused (InvalidArgument, nothing changed): not Idle (open() was called), called
    // twice, a non-empty outbox, a store that already failed, messages out of serial order
    // or without id.
    // A snapshot from another format: with another codec (or raw mode on one side) each
    // payload is decoded with the stored codec and encoded as send() would now; its row is
    // put again whole in the next batch. One the current format cannot carry (bytes in
    // JSON; in raw mode anything but bytes/strings, or a publication) ends with
    // Rejected(NotSupported), pending when restore() returns; its row is removed. Raw mode
    // has no session: from or to raw mode the stored session is not resumed, and messages
    // restored into raw mode are at-most-once. sameEndpoint == false: the session is not
    // resumed (sid cleared); the first welcome starts one and the messages go out as after
    // any new session (renumbered; those on the wire whose TTL passed end Expired).
    RestoreResult restore(TimePoint now, const Snapshot &snapshot);

    // Queue a message. Fails at once (nothing queued) with QueueFull (RejectNew),
    // FrameTooLarge or NotSupported (payload the codec cannot carry; raw mode: not a byte
    // array or string). An app-supplied id must be unique (not checked). Otherwise exactly one of
    // Delivered / Rejected / Dropped (reliable) or Sent / Dropped (at-most-once) follows.
    SendResult send(TimePoint now, const QCborValue &payload, const SendOptions &options = {});
    // send() of a byte string the caller holds as a QByteArray (raw mode: a binary frame),
    // with the same outcomes. From Outbox::kShareBytesFrom bytes on the outbox shares the
    // caller's buffer instead of copying it: the payload is copied once per transmission,
    // into the frame. NotSupported with the JSON codec (it cannot carry bytes).
    SendResult sendBytes(TimePoint now, const QByteArray &bytes, const SendOptions &options = {});
    // send() of a text payload (raw mode: a text frame), with the same outcomes, encoded
    // straight from the caller's string: no QCborValue is built.
    SendResult sendText(TimePoint now, QStringView text, const SendOptions &options = {});

    // A request: waits while offline (its timeout counts from this call). Fails at once
    // with NotSupported (raw mode), InvalidArgument (empty method) or FrameTooLarge.
    RequestResult request(TimePoint now, const QString &method, const QCborValue &params = {},
                          const RequestOptions &options = {});
    // Cancel a pending request: it finishes at once with error Closed. False if not pending.
    bool cancelRequest(TimePoint now, quint64 id);
    // Channels: requests too (retryable). The desired set is restored after a new session.
    RequestResult subscribe(TimePoint now, const QString &channel);
    RequestResult unsubscribe(TimePoint now, const QString &channel);

    // Token provider answers (after a TokenRequired event).
    void provideToken(TimePoint now, const QString &token);
    void tokenFailed(TimePoint now, QStringView reason);

    // Liveness hints: probe a connected link now (dead within probeTimeout if no answer);
    // while waiting to reconnect, try at once.
    void notifyNetworkChanged(TimePoint now);
    // The app is active again: cancels a pending background close; after one, open()s
    // (the session resumes when the server kept it); otherwise a liveness probe.
    void notifyAppResumed(TimePoint now);
    // The app went to the background: with Options::backgroundCloseDelay >= 0 and a
    // connection wanted (Connecting/Connected/Reconnecting), suspend() after that delay
    // unless notifyAppResumed() comes first. open()/close()/suspend() by the app cancel
    // the pending reopen.
    void notifyAppBackground(TimePoint now);
    bool isSuspendedInBackground() const;
    // When the next attempt starts (Reconnecting only), for a countdown.
    std::optional<TimePoint> retryAt() const;
    // The current socket speaks protocol v1.1: pollAction() coalesces frames into batches.
    bool batching() const;
    // v1.1: the messages queued since pollAction() last ran dry fill a batch (batchBytes)
    // and may leave now (connected, transport ready). See "Polling order" above.
    bool batchDue() const;


    // ---- outputs ----------------------------------------------------------------
    [[nodiscard]] std::optional<Action> pollAction();
    // Optional: hand back the bytes of a SendFrame once the transport has taken them. The
    // next data frame (a whole v1.1 batch) is built in that buffer instead of a fresh one
    // grown frame by frame, and a 64 KiB message costs no new allocation (nor the page
    // faults of one). Two buffers are kept (a batch and a large frame built apart from it
    // alternate), each only when nothing else shares it and its capacity is at most
    // kMaxRecycledFrame.
    void recycle(QByteArray &&frameBytes);
    static constexpr qsizetype kMaxRecycledFrame = 1024 * 1024;
    [[nodiscard]] std::optional<TimePoint> pollTimeout() const;
    [[nodiscard]] std::optional<Event> pollEvent();

    struct Private;
private:
    std::unique_ptr<Private> d;
};

} // namespace Tether::Engine
