// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client: keeps an application connected to a Tether server and delivers its
// messages reliably. The facade over the sans-I/O engine (sdk/engine) and a WebSocket
// transport (RFC 6455 over QTcpSocket/QSslSocket); every protocol rule lives in the
// engine, this class only wires it to Qt.
//
// Threading: a Client lives in one thread (the one that created it, or moveToThread());
// call it and receive its signals there. It never blocks.
//
// Outcomes: every AtLeastOnce send() that returned an id ends in exactly one of
// delivered(id), rejected(id, error) or dropped(id, reason). An AtMostOnce send (and any
// raw-mode send) ends in sent(id) when it was written to the socket, or dropped(id, reason).
#pragma once

#include <Tether/error.h>
#include <Tether/global.h>
#include <Tether/message.h>
#include <Tether/options.h>
#include <Tether/reply.h>
#include <Tether/stats.h>
#include <Tether/subscription.h>
#include <Tether/types.h>

#include <QtCore/QCborValue>
#include <QtCore/QDateTime>
#include <QtCore/QFuture>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QJsonValue>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>
#include <QtCore/QVariant>

#include <chrono>
#include <memory>
#include <type_traits>

namespace Tether {

// What send() returns: the message id, or why the message was refused. A refused message
// was not queued and will produce no signal.
class TETHER_EXPORT SendResult
{
    Q_GADGET
    Q_PROPERTY(QString id READ id)
    Q_PROPERTY(Tether::Error error READ error)
    Q_PROPERTY(bool ok READ isOk)

public:
    SendResult() = default;  // neither accepted nor refused: isOk() is false, error() NoError
    // The result of a message queued under `id` (send() makes these; an empty id is not ok).
    static SendResult accepted(const QString &id);
    // The result of a refused message: no id, `error` says why.
    static SendResult refused(const Error &error);

    // True when the message was queued: it has an id and no error.
    bool isOk() const;
    explicit operator bool() const { return isOk(); }  // isOk()
    QString id() const;     // empty when refused
    Error error() const;    // NoError when accepted

private:
    // Accessors are out of line so the layout can change behind them; the members stay
    // because a send result is returned by value on the hot path (no allocation).
    // ### Tether 2: reconsider a shared d-pointer if fields are added.
    QString m_id;
    Error m_error;
};

class ClientPrivate;

// A connection to a Tether server (or, in raw mode, any WebSocket server) that survives
// network loss: it reconnects with backoff, resumes the session, resends unacknowledged
// messages and restores channel subscriptions. Nothing happens until open(). See the top
// of this file for threading and for the outcome of each send().
class TETHER_EXPORT Client : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QUrl url READ url WRITE setUrl NOTIFY urlsChanged)
    Q_PROPERTY(QList<QUrl> urls READ urls WRITE setUrls NOTIFY urlsChanged)
    Q_PROPERTY(Tether::State state READ state NOTIFY stateChanged)
    Q_PROPERTY(int queueDepth READ queueDepth NOTIFY queueDepthChanged)
    Q_PROPERTY(qint64 lastRttUs READ lastRttUs NOTIFY heartbeat)
    Q_PROPERTY(Tether::Error error READ error NOTIFY errorOccurred)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorOccurred)
    Q_PROPERTY(QString sessionId READ sessionId NOTIFY connected)
    Q_PROPERTY(Tether::ClientStats stats READ stats NOTIFY statsChanged)
    Q_PROPERTY(bool networkReachable READ isNetworkReachable NOTIFY networkReachableChanged)

public:
    // A client with no URL and default options: setUrl() (and setOptions()) before open().
    explicit Client(QObject *parent = nullptr);
    // A client for `url` (an empty URL: none yet) with `options`. It does not connect
    // until open().
    explicit Client(const QUrl &url, const ClientOptions &options = {}, QObject *parent = nullptr);
    // Aborts the socket (no close handshake). Without storage queued messages are lost;
    // with it, every pending group commit is written first and the next Client with the
    // same storage restores them.
    ~Client() override;

    // --- endpoints and options (take effect at the next connection attempt) ---
    QUrl url() const;                  // the first of urls()
    void setUrl(const QUrl &url);      // same as setUrls({url})
    QList<QUrl> urls() const;          // the endpoints in the order they are tried
    void setUrls(const QList<QUrl> &urls);  // tried in turn, one per attempt
    ClientOptions options() const;     // as constructed or last set (an accepted setOptions())
    // Reconfigures the client in any state, connected included, without starting over:
    // the connection, the session, subscriptions, queued and in-flight messages, pending
    // requests and stats() counters are all kept, and setOptions() itself drops nothing.
    // Returns false, changes nothing and emits errorOccurred(Error::InvalidArgument, not
    // fatal, naming the option) for an invalid value: a negative duration, a queue bound,
    // maxInFlight or maxIncomingFrameSize below 1, a backoff multiplier below 1 or not
    // finite, a negative maxAttempts, TlsOptions that cannot be used (a pin that is not a
    // SHA-256 in base64, a minimum protocol below TLS 1.2, a client certificate without
    // its key). QueueOptions::maxInFlight above 1024 is capped.
    // When each option takes effect (docs/api.md has the full table):
    //  - at once: heartbeat (the next ping is re-armed from the last one and a pending
    //    liveness deadline from the ping or probe that armed it; a server's welcome.hb
    //    still sets the interval of its connection), handshakeTimeout (from the start of a
    //    handshake in progress), backoff (from the next delay: a retry already scheduled
    //    keeps the delay reconnecting() announced), queue bounds and overflow (for the
    //    next send(); a queue already above a lowered bound is not trimmed: RejectNew
    //    refuses sends until it drains below, DropOldest evicts at the next send, each
    //    eviction reported by dropped()), maxInFlight, keepOnClose, requestTimeout (new
    //    requests), and which token provider is called next;
    //  - at the next connection, never under an open socket: extraHeaders, tls, proxy,
    //    maxIncomingFrameSize, and whether a token is sent at all;
    //  - codec and rawMode: queued payloads are already encoded, so these wait for a
    //    moment with no socket and an empty outbox (at once when stopped with nothing
    //    queued; else when the socket goes or an attempt starts with the outbox empty).
    //    Pending requests and subscriptions are re-encoded; switching to raw mode fails
    //    them with NotSupported.
    bool setOptions(const ClientOptions &options);

    // --- compression for slow links (docs/protocol.md §10.5; read at the next connection) ---
    // Off by default. When on, the client offers `tether.v1.1.<codec>+deflate` before the
    // plain v1.1 name; a server that picks it exchanges batches of at least
    // compressionThreshold() bytes zlib-compressed in both directions, through one zlib
    // stream per direction for the life of each connection (a lone chat line shrinks too;
    // about 41 KiB of zlib state per connection). A compressed message that inflates
    // beyond ClientOptions::maxIncomingFrameSize closes with 1009, a corrupt, truncated or
    // out-of-order one with 1002, as for any bad frame. A server without compression, or
    // a v1 server, picks another name and gets exactly what it gets with compression off.
    // subprotocol() says what was picked.
    bool compression() const;
    void setCompression(bool enabled);   // on: offer +deflate from the next connection
    // Batches smaller than this many bytes leave uncompressed (default 0: every batch, as
    // docs/benchmarks.md "Compression" measured every size gaining). A negative value is
    // refused like an invalid option (errorOccurred(Error::InvalidArgument)).
    qint64 compressionThreshold() const;
    void setCompressionThreshold(qint64 bytes);   // from the next batch; negative: refused

    // --- state ---
    State state() const;               // Idle until the first open(); see stateChanged()
    Error error() const;               // the last error reported by errorOccurred()
    QString errorString() const;       // error().message()
    int queueDepth() const;            // messages queued or in flight
    std::chrono::microseconds lastRtt() const;  // -1 µs before the first pong
    qint64 lastRttUs() const { return lastRtt().count(); }  // lastRtt() in µs, for QML
    QString sessionId() const;         // the current/last session id, empty before welcome
    QString subprotocol() const;       // negotiated subprotocol, empty when not connected
    QStringList channels() const;      // channels subscribed (desired set)
    // A snapshot of the counters and gauges (ClientStats). statsChanged() says when to read
    // it again, at most once per ClientOptions::statsInterval.
    ClientStats stats() const;

    // --- the durable store (ClientOptions::storage) ---
    // How many messages were restored from the store when it was opened (0 without one).
    int restoredCount() const;
    // The messages waiting in the outbox, oldest first, restored ones included: what a chat
    // list shows as queued after a restart. Decoded from the outbox on each call, so this
    // is for display, not for a hot path.
    QList<Tether::Message> queuedMessages() const;

    // --- sending ---
    // Queues a message and returns its id, or refuses it: QueueFull (RejectNew policy),
    // FrameTooLarge (larger than the server's maxFrame; the connection stays),
    // InvalidPayload (not encodable with the codec), NotSupported (a channel in raw mode,
    // where every send is at most once whatever SendOptions::delivery says). An own SendOptions::id must be unique (not checked). Sending while
    // not connected is allowed: the message waits in the outbox for the next connection.
    // A QByteArray payload is a CBOR byte string (Codec::Cbor) or a binary frame (raw
    // mode); a QString is a text string (a text frame in raw mode). From 1 KiB on a
    // QByteArray is queued without a copy (implicitly shared until the message ends).
    SendResult send(const QCborValue &payload, const SendOptions &options = {});
    SendResult send(const QJsonValue &payload, const SendOptions &options = {});
    SendResult send(const QJsonObject &payload, const SendOptions &options = {});
    SendResult send(const QJsonArray &payload, const SendOptions &options = {});
    SendResult send(const QVariant &payload, const SendOptions &options = {});
    SendResult send(const QByteArray &payload, const SendOptions &options = {});
    SendResult send(const QString &payload, const SendOptions &options = {});
    // Numbers and bools (each would otherwise be ambiguous between the overloads above).
    template<typename T, std::enable_if_t<std::is_arithmetic_v<T>, bool> = true>
    SendResult send(T payload, const SendOptions &options = {})
    {
        if constexpr (std::is_same_v<T, bool>)
            return send(QCborValue(payload), options);
        else if constexpr (std::is_integral_v<T>)
            return send(QCborValue(qint64(payload)), options);
        else
            return send(QCborValue(double(payload)), options);
    }

    // --- requests ---
    // Sends `req{m: method, d: params}` (waiting in the outbox while offline) and returns the
    // Reply that finishes with the server's `res`. Never returns nullptr: a request that
    // cannot be made (raw mode, empty method) returns a Reply that fails asynchronously.
    Reply *request(const QString &method, const QCborValue &params = {},
                   const RequestOptions &options = {});
    Reply *request(const QString &method, const QVariant &params,
                   const RequestOptions &options = {});
    Reply *request(const QString &method, const QJsonValue &params,
                   const RequestOptions &options = {});
    Reply *request(const QString &method, const QJsonObject &params,
                   const RequestOptions &options = {});
    // Convenience: request() whose Reply deletes itself; see Reply::future() (a failure is
    // a Tether::RequestError for onFailed(); cancel() aborts the request).
    QFuture<QCborValue> call(const QString &method, const QVariant &params = {},
                             const RequestOptions &options = {});
    // The same with the result converted to T (Reply::futureAs<T>(), convertResult()):
    // `client->call<int>("count").then([](int n) {...}).onFailed([](const RequestError &e)
    // {...})`; a result of another type fails with Error::UnexpectedResult.
    template<typename T>
    QFuture<T> call(const QString &method, const QVariant &params = {}, const RequestOptions &options = {})
    {
        Reply *reply = request(method, params, options);
        QFuture<T> future = reply->futureAs<T>();
        reply->setAutoDelete(true);
        return future;
    }

    // --- channels ---
    // Adds `channel` to the desired set (restored by the SDK after every new session) and
    // sends `sub`. The Reply fails with the server's error (the channel is then removed from
    // the set), NotSupported in raw mode or InvalidArgument for an empty name.
    Reply *subscribe(const QString &channel);
    // Removes `channel` from the desired set and sends `unsub`.
    Reply *unsubscribe(const QString &channel);
    // The shared Subscription of `channel`, subscribing when the channel is not in the
    // desired set (Pending, Subscribed once the server confirms; Error with the reason in
    // raw mode or for an empty name). The same object for every call with the same name
    // while it exists; owned by the Client. Messages on the channel are routed to it with
    // one hash lookup (and still emitted by messageReceived()).
    Subscription *subscription(const QString &channel);

    // --- hints from the platform (setFollowNetwork() calls the first one; the QML module
    // wires both) ---
    // The network changed (interface up/down, Wi-Fi <-> cellular): when connected, probe the
    // link now (dead within HeartbeatOptions::probeTimeout); when waiting to reconnect, try
    // now instead of waiting out the backoff.
    void notifyNetworkChanged();
    // The app changed state. Suspended or hidden: with ClientOptions::backgroundCloseDelay
    // the client suspends after that delay. Active: cancels that, reopens a client it
    // suspended, else acts like notifyNetworkChanged().
    void notifyAppStateChanged(Qt::ApplicationState state);
    // Watch the network (QNetworkInformation, QtNetwork only, no QtGui): while on, every
    // change of reachability or transport medium (link up/down, Wi-Fi <-> cellular) calls
    // notifyNetworkChanged(), and going offline or back online is reported by
    // networkReachableChanged(). One watcher per process, shared by every Client that
    // follows it. Where no backend loads (a container, a minimal Linux) nothing is reported
    // and the heartbeats still find a dead link. Off by default (a C++ app opts in); the
    // QML Client turns it on (its followNetwork property). Applies at once.
    void setFollowNetwork(bool follow);
    bool followsNetwork() const;       // see setFollowNetwork(); false by default
    // False while followsNetwork() and the platform says the network is disconnected (the
    // client keeps trying: heartbeats and backoff decide, not this); true otherwise, also
    // when no QNetworkInformation backend could be loaded.
    bool isNetworkReachable() const;
    // The QNetworkInformation backend that watches the network for this client, empty when
    // not following it or when none could be loaded.
    QString networkBackend() const;
    // True while the client is suspended because the app is in the background (state
    // Closed; the next active state reopens it).
    bool isSuspendedInBackground() const;
    // When the next connection attempt starts (UTC), while Reconnecting; invalid otherwise.
    QDateTime reconnectAt() const;

public Q_SLOTS:
    // Starts connecting (Idle/Closed/Failed -> Connecting); while Reconnecting, tries again
    // at once instead of waiting out the backoff; a no-op while Connecting/Connected.
    // Without a URL: errorOccurred(Error::NoUrl) (fatal) at once, and the state is unchanged;
    // likewise errorOccurred(Error::InvalidArgument) (fatal) when options().tls is invalid
    // (a bad pin...). A URL whose query looks like it carries a credential (token=,
    // access_token=, password=...) gets one warning per client (tether.client).
    void open();
    // Closes with 1000 (the server may forget the session) and ends in Closed. Queued
    // messages are dropped(Closed) unless QueueOptions::keepOnClose; pending requests fail
    // with ClientClosed.
    void close();
    // For an app going to the background: closes the socket with 1001 ("going away"), so the
    // server keeps the session for its ttl, and ends in Closed without reconnecting. The
    // outbox, the session and the subscriptions are kept; requests already sent that are
    // not retryable fail with ConnectionLost, the others wait (their timeouts keep running).
    // The next open() resumes the session when the server still has it (connected(true),
    // nothing lost or repeated); otherwise it is the usual sessionLost() path. close()
    // afterwards forgets the session as usual.
    void suspend();

Q_SIGNALS:
    // urls() (and so url()) changed: setUrl()/setUrls() with a different list.
    void urlsChanged();
    // The state changed to `state` (the new value of state()), once per transition.
    void stateChanged(Tether::State state);
    // `welcome` received (raw mode: socket open). resumed: the server still had the session,
    // nothing was lost in either direction.
    void connected(bool resumed);
    // The socket closed; code/reason are the WebSocket close code and reason (1006 when the
    // link died without a close frame).
    void disconnected(int code, const QString &reason);
    // A new attempt starts after `delay` (attempt counts from 1).
    void reconnecting(int attempt, std::chrono::milliseconds delay);
    // Permanent failure (state Failed): no retry until open().
    void failed(const Tether::Error &error);
    // The server no longer had our session (welcome.resumed=false after a previous one):
    // messages published while we were away may be missed — refetch history if it matters.
    // Own unacknowledged messages are resent (same ids) and channels re-subscribed.
    void sessionLost();
    // A message from the server: sent to this client directly, or published on a channel
    // it subscribed to (raw mode: each frame received). Reliable messages arrive once each,
    // in the server's order, and are acknowledged by the SDK; duplicates after a reconnect
    // are suppressed (ClientStats::duplicatesSuppressed).
    void messageReceived(const Tether::Message &message);
    // An AtLeastOnce message was acknowledged by the server.
    void delivered(const QString &id);
    // An AtMostOnce (or raw-mode) message was handed to the socket: its only outcome.
    void sent(const QString &id);
    // The server refused the message (nack: Error::Rejected with serverCode()), or it
    // could not be sent (FrameTooLarge after the server announced a smaller maxFrame).
    void rejected(const QString &id, const Tether::Error &error);
    // The message `id` ended without being delivered or rejected, for `reason`: evicted
    // by DropOldest, replaced by a newer one with its coalescing key, its TTL ran out (see
    // SendOptions::ttl), or close() discarded it. Its final outcome: it is not sent again.
    void dropped(const QString &id, Tether::DropReason reason);
    // The message `id` is in the store (ClientOptions::storage) with its durability: it
    // survives the process dying (PowerSafe: power loss too). At most once per message and
    // before its outcome; never for a Memory message, nor for one whose outcome came before
    // its group commit (delivered first: nothing left to keep).
    void persisted(const QString &id);
    // The progress of message `id` (MessageStatus): Written when handed to the socket,
    // Queued when its connection was lost before the acknowledgement, then its outcome
    // (Delivered, Rejected, Dropped; Written is an AtMostOnce message's last) and
    // Persisted, each alongside its own signal above. Decided by the engine's outbox.
    // Written and Queued are produced only while this signal has a receiver (they cost an
    // event per transmission): a receiver connected later sees them from then on.
    void messageStatusChanged(const QString &id, Tether::MessageStatus status);
    // The outbox became empty: every message sent so far has its outcome.
    void outboxDrained();
    // isNetworkReachable() changed: the platform says the network went away (false) or came
    // back (true). Only while followsNetwork().
    void networkReachableChanged(bool reachable);
    // stats() changed: at most once per ClientOptions::statsInterval, on the client's one
    // timer; only computed while something is connected to it.
    void statsChanged();
    // `count` messages were restored from ClientOptions::storage (queuedMessages() lists
    // them). Posted to the event loop when the store opens, so a slot connected right after
    // the constructor (or setOptions()) receives it; restoredCount() is right at once.
    void restored(int count);
    // A heartbeat pong arrived; rtt = ping-to-pong time.
    void heartbeat(std::chrono::microseconds rtt);
    // queueDepth() changed to `depth`. Emitted once the client has handled an input (a
    // send, a frame, a timer), so a burst of sends gives one signal, not one per message.
    void queueDepthChanged(int depth);
    // Any error: connection errors (also the transient ones that lead to a reconnect),
    // protocol errors, permanent failures, and why setOptions() refused (its result is
    // only a bool). Per-operation errors go to their Reply or to rejected()/send()'s
    // result instead.
    void errorOccurred(const Tether::Error &error);

private:
    Q_DISABLE_COPY_MOVE(Client)
    friend class ClientPrivate;
    std::unique_ptr<ClientPrivate> d;
};

} // namespace Tether
