// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client: the facade. See client_p.h for the theory of operation.
#include "client_p.h"
#include "conversion_p.h"
#include "logging_p.h"
#include "reply_p.h"
#include "secrets_p.h"
#include "subscription_p.h"
#include "tls_p.h"
#include "websocket_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QMetaEnum>
#include <QtCore/QMetaMethod>

#include <limits>

#include <cmath>
#include <type_traits>

namespace Tether {

namespace {
// A false that depends on T, for static_assert in a discarded `if constexpr` branch (a type:
// clang 14 calls a variable template used only there unused).
template<class> struct AlwaysFalse : std::false_type {};

// What setOptions() and open() refuse before anything reaches a socket: TLS settings that
// cannot work, a header the upgrade request cannot carry as it is.
QString optionsProblem(const ClientOptions &options)
{
    if (QString tlsProblem = Tls::validate(options.tls); !tlsProblem.isEmpty())
        return tlsProblem;
    for (const auto &header : options.extraHeaders) {
        if (!Ws::isValidHeader(header.first, header.second))
            return QStringLiteral("ClientOptions::extraHeaders: '%1' cannot be sent (a name is an HTTP token, a value "
                                  "has no CR, LF or NUL)").arg(QString::fromLatin1(header.first.left(64)));
    }
    return QString();
}
}

// ---- SendResult ------------------------------------------------------------------------

SendResult SendResult::accepted(const QString &id)
{
    SendResult r;
    r.m_id = id;
    return r;
}

SendResult SendResult::refused(const Error &error)
{
    SendResult r;
    r.m_error = error;
    return r;
}

bool SendResult::isOk() const
{
    return !m_error.isError() && !m_id.isEmpty();
}

QString SendResult::id() const
{
    return m_id;
}

Error SendResult::error() const
{
    return m_error;
}

// ---- ClientPrivate -------------------------------------------------------------------

ClientPrivate::ClientPrivate(Client *q, const ClientOptions &options, const QList<QUrl> &urls)
    : q(q), options(options), urls(urls)
{
    setTransport(new WebSocketTransport(q));
    timer.setSingleShot(true);
    timer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&timer, &QTimer::timeout, q, [this] { onTimeout(); });
    openStorage();
    createEngine();
    restoreStorage();
}

ClientPrivate::~ClientPrivate()
{
    closeStorage();
    *alive = false;
    // Replies outlive the engine for a moment (they are QObject children of the Client):
    // they must not call back into it.
    for (const QPointer<Reply> &reply : std::as_const(replies)) {
        if (reply)
            reply->d->cancel = nullptr;
    }
}

void ClientPrivate::setTransport(Transport *newTransport)
{
    delete transport;
    transport = newTransport;
    transport->setParent(q);
    QObject::connect(transport, &Transport::opened, q, [this](const QString &p) { onOpened(p); });
    QObject::connect(transport, &Transport::frameReceived, q,
                     [this](const QByteArray &bytes, bool binary) { onFrame(bytes, binary); });
    QObject::connect(transport, &Transport::pongReceived, q, [this](const QByteArray &) { onPong(); });
    QObject::connect(transport, &Transport::bytesWritten, q, [this] { onBytesWritten(); });
    QObject::connect(transport, &Transport::closed, q,
                     [this](int code, const QString &reason, const Error &error) { onClosed(code, reason, error); });
}

void ClientPrivate::createEngine()
{
    engine = std::make_unique<Engine::Connection>(engineOptionsFor(options));
    state = Convert::state(engine->state());
    armedDeadline.reset();
    timer.stop();
}

void ClientPrivate::process()
{
    if (processing) {
        processAgain = true;
        return;
    }
    processing = true;
    const std::shared_ptr<bool> guard = alive;
    // Progress (Written, Queued) costs an event and an id string per transmission: only
    // while someone listens (the QML message model and the chat demo do).
    static const QMetaMethod statusSignal = QMetaMethod::fromSignal(&Client::messageStatusChanged);
    statusListened = q->isSignalConnected(statusSignal);
    engine->setProgressEvents(statusListened);
    do {
        processAgain = false;
        if (engine->batching() && !flushing) {
            postFlush();
            if (engine->batchDue()) {
                // A full batch leaves now, not at the end of the turn: the server works on
                // it while the app is still sending (the rest still waits for postFlush()).
                performActions();
                transport->flush();
            }
        } else {
            performActions();
        }
        while (auto event = engine->pollEvent()) {
            if (!dispatchTime)
                dispatchTime = now();
            dispatch(*event);
            if (!*guard)
                return;  // a slot deleted the Client
        }
    } while (processAgain);
    dispatchTime.reset();
    processing = false;
    updateQueueDepth();
    if (!*guard)
        return;
    scheduleStats();
    armTimer();
}

void ClientPrivate::performActions()
{
    updateWriteHeld();
    while (auto action = engine->pollAction()) {
        const bool frame = std::holds_alternative<Engine::SendFrame>(*action);
        perform(*action);
        if (frame)
            updateWriteHeld();  // a frame may have filled the socket's buffer
    }
}

void ClientPrivate::updateWriteHeld()
{
    writeHeld = socketAttached && transport->bytesToWrite() > kWriteHighWater;
    engine->setTransportReady(!writeHeld);
}

void ClientPrivate::onBytesWritten()
{
    if (writeHeld && transport->bytesToWrite() <= kWriteHighWater)
        process();  // the held messages may go now
}

// Protocol v1.1 (docs/protocol.md §10.2): the frames of one event-loop turn leave as one
// batch. A queued call runs once the events already posted are handled, so the frames
// wait for the end of this turn and never for a timer.
void ClientPrivate::postFlush()
{
    if (flushPosted)
        return;
    flushPosted = true;
    QMetaObject::invokeMethod(q, [this, weakAlive = std::weak_ptr<bool>(alive)] {
        const std::shared_ptr<bool> isAlive = weakAlive.lock();
        if (!isAlive || !*isAlive)
            return;
        flushPosted = false;
        flushing = true;
        process();
        if (*isAlive)
            flushing = false;
    }, Qt::QueuedConnection);
}

void ClientPrivate::scheduleStats()
{
    static const QMetaMethod signal = QMetaMethod::fromSignal(&Client::statsChanged);
    if (statsDue || !q->isSignalConnected(signal))
        return;  // already owed, or nobody listens: computing stats would be wasted
    const Engine::TimePoint t = now();
    const auto interval = std::max(options.statsInterval, std::chrono::milliseconds(0));
    statsDue = lastStatsEmit ? std::max(t, *lastStatsEmit + interval) : t;
}

std::optional<Engine::TimePoint> ClientPrivate::timerDeadline() const
{
    std::optional<Engine::TimePoint> deadline = engine->pollTimeout();
    if (statsDue && (!deadline || *statsDue < *deadline))
        deadline = statsDue;
    return deadline;
}

void ClientPrivate::armTimer()
{
    const std::optional<Engine::TimePoint> deadline = timerDeadline();
    if (deadline == armedDeadline && (timer.isActive() || !deadline))
        return;  // unchanged: re-arming a QTimer per message would cost more than the send
    armedDeadline = deadline;
    if (!deadline) {
        timer.stop();
        return;
    }
    if (clock)
        return;  // a test clock: the test fires the timer (client_testing_p.h)
    const auto wait = *deadline - now();
    // Round up: waking early only costs a no-op handleTimeout() and a re-arm.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
    timer.start(int(qBound<qint64>(0, qint64(ms), qint64(std::numeric_limits<int>::max()))));
}

void ClientPrivate::updateQueueDepth()
{
    const int depth = int(engine->queueDepth());
    if (depth == queueDepth)
        return;
    const bool drained = depth == 0;
    queueDepth = depth;
    const std::shared_ptr<bool> guard = alive;
    Q_EMIT q->queueDepthChanged(depth);
    if (drained && *guard)
        Q_EMIT q->outboxDrained();
}

void ClientPrivate::perform(Engine::Action &action)
{
    std::visit([this](auto &a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Engine::OpenSocket>) {
            TransportOpenRequest request;
            request.url = a.url;
            for (const QByteArray &p : std::as_const(a.subprotocols))
                request.subprotocols << QString::fromLatin1(p);
            request.headers = a.headers;
            request.maxIncomingFrameSize = options.maxIncomingFrameSize;
            request.tls = options.tls;
            request.proxy = options.proxy;
            socketAttached = true;
            socketOpened = false;
            lastTransportError = Error();
            qCDebug(lcClient) << "connecting to" << a.url.toDisplayString(QUrl::RemoveUserInfo | QUrl::RemoveQuery);
            transport->open(request);
        } else if constexpr (std::is_same_v<T, Engine::SendFrame>) {
            transport->sendFrame(a.bytes, a.binary);
            engine->recycle(std::move(a.bytes));  // the next frame is built in it
        } else if constexpr (std::is_same_v<T, Engine::SendPing>) {
            transport->ping(QByteArray());
        } else if constexpr (std::is_same_v<T, Engine::CloseSocket>) {
            socketAttached = false;
            subprotocol.clear();
            transport->close(a.code, a.reason);
        } else if constexpr (std::is_same_v<T, Engine::AbortSocket>) {
            socketAttached = false;
            subprotocol.clear();
            transport->abort();
        } else if constexpr (std::is_same_v<T, Engine::PersistBatch>) {
            // The engine emits batches only while persistence is on, which storageActive
            // mirrors (a failed store turns both off in onPersisted()).
            if (store && storageActive)
                store->submit(std::move(a));
        } else {
            static_assert(AlwaysFalse<T>::value, "unhandled engine action");
        }
    }, action);
}

void ClientPrivate::dispatch(Engine::Event &event)
{
    const std::shared_ptr<bool> guard = alive;
    // An outcome's status comes after its own signal, unless a slot deleted the Client;
    // not emitted at all while nobody listens (an emission costs as much as the ack).
    const auto emitStatus = [this, &guard](const QString &id, MessageStatus status) {
        if (*guard && statusListened)
            Q_EMIT q->messageStatusChanged(id, status);
    };
    std::visit([this, &emitStatus, &guard](auto &e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, Engine::StateChanged>) {
            state = Convert::state(e.to);
            qCDebug(lcClient) << "state" << Engine::stateName(e.from) << "->" << Engine::stateName(e.to);
            Q_EMIT q->stateChanged(state);
        } else if constexpr (std::is_same_v<T, Engine::Connected>) {
            sessionId = e.sessionId;
            Q_EMIT q->connected(e.resumed);
        } else if constexpr (std::is_same_v<T, Engine::Disconnected>) {
            Q_EMIT q->disconnected(e.code, e.reason);
        } else if constexpr (std::is_same_v<T, Engine::Reconnecting>) {
            Q_EMIT q->reconnecting(e.attempt, std::chrono::milliseconds(e.delay));
        } else if constexpr (std::is_same_v<T, Engine::Failed>) {
            error = Convert::error(e.error, lastTransportError);
            qCDebug(lcClient) << "failed:" << error;
            Q_EMIT q->errorOccurred(error);
            Q_EMIT q->failed(error);
        } else if constexpr (std::is_same_v<T, Engine::SessionLost>) {
            Q_EMIT q->sessionLost();
        } else if constexpr (std::is_same_v<T, Engine::MessageReceived>) {
            const Message message(e.payload, e.channel, e.id, e.reliable);
            Q_EMIT q->messageReceived(message);
            // One lookup routes a publication to its Subscription, however many there are;
            // made after the client's signal, so a Subscription a slot deleted (it leaves
            // the table) gets nothing, and no guard object is needed per message.
            if (!e.channel.isEmpty() && !subscriptions.isEmpty() && *guard) {
                if (Subscription *subscription = subscriptions.value(ChannelKey(e.channel)))
                    Q_EMIT subscription->messageReceived(message);
            }
        } else if constexpr (std::is_same_v<T, Engine::Delivered>) {
            Q_EMIT q->delivered(e.id);
            emitStatus(e.id, MessageStatus::Delivered);
        } else if constexpr (std::is_same_v<T, Engine::Sent>) {
            Q_EMIT q->sent(e.id);
            emitStatus(e.id, MessageStatus::Written);
        } else if constexpr (std::is_same_v<T, Engine::Rejected>) {
            Q_EMIT q->rejected(e.id, Convert::error(e.error));
            emitStatus(e.id, MessageStatus::Rejected);
        } else if constexpr (std::is_same_v<T, Engine::Dropped>) {
            Q_EMIT q->dropped(e.id, Convert::dropReason(e.reason));
            emitStatus(e.id, MessageStatus::Dropped);
        } else if constexpr (std::is_same_v<T, Engine::MessageStatusChanged>) {
            Q_EMIT q->messageStatusChanged(e.id, Convert::messageStatus(e.status));
        } else if constexpr (std::is_same_v<T, Engine::ChannelStatusChanged>) {
            channelStatusChanged(e);
        } else if constexpr (std::is_same_v<T, Engine::RequestFinished>) {
            const QPointer<Reply> reply = replies.take(e.id);
            if (!reply)
                return;  // abandoned (deleted or aborted) by the app
            reply->d->cancel = nullptr;
            Reply::Private::finish(reply, e.result, e.error ? Convert::error(*e.error) : Error());
        } else if constexpr (std::is_same_v<T, Engine::Heartbeat>) {
            const auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(e.rtt);
            lastRtt = rtt;
            Q_EMIT q->heartbeat(rtt);
        } else if constexpr (std::is_same_v<T, Engine::TokenRequired>) {
            requestToken(e);
        } else if constexpr (std::is_same_v<T, Engine::ErrorOccurred>) {
            error = Convert::error(e.error, lastTransportError);
            qCDebug(lcClient) << "error:" << error;
            Q_EMIT q->errorOccurred(error);
        } else if constexpr (std::is_same_v<T, Engine::Persisted>) {
            Q_EMIT q->persisted(e.id);
            emitStatus(e.id, MessageStatus::Persisted);
        } else {
            static_assert(AlwaysFalse<T>::value, "unhandled engine event");
        }
    }, event);
}

void ClientPrivate::warnAboutSecretsInUrls()
{
    if (warnedAboutSecretUrl)
        return;
    for (const QUrl &url : std::as_const(urls)) {
        const QStringList keys = Secrets::secretQueryKeys(url);
        if (keys.isEmpty())
            continue;
        warnedAboutSecretUrl = true;
        // Once per client: the app cannot act on the same warning at every open().
        qCWarning(lcClient).noquote()
            << "the URL" << Secrets::redactedUrl(url) << "carries what looks like a credential in its query ("
            << keys.join(QStringLiteral(", "))
            << "): URLs end up in proxy and server logs; give tokens through ClientOptions::tokenProvider "
               "(sent in hello)";
        return;
    }
}

void ClientPrivate::channelStatusChanged(const Engine::ChannelStatusChanged &change)
{
    Subscription *subscription = subscriptions.value(ChannelKey(change.channel));
    if (!subscription)
        return;
    Subscription::Private *sd = subscription->d.get();
    const QPointer<Subscription> guard(subscription);
    const SubscriptionStatus status = Convert::subscriptionStatus(change.status);
    if (change.error)
        sd->error = Convert::error(*change.error);
    if (sd->status != status) {
        sd->status = status;
        Q_EMIT subscription->statusChanged(status);
    }
    if (guard && change.error)
        Q_EMIT subscription->errorOccurred(sd->error);
}

void ClientPrivate::updateNetworkWatch()
{
    NetworkWatch *wanted = followNetwork ? NetworkWatch::instance() : nullptr;
    if (wanted == networkWatch)
        return;
    const bool wasReachable = networkReachable();
    if (networkWatch)
        QObject::disconnect(networkWatch, nullptr, q, nullptr);
    networkWatch = wanted;
    if (wanted) {
        // The engine decides what a change means (probe when connected, retry now when
        // waiting); this layer only says that it happened.
        QObject::connect(wanted, &NetworkWatch::networkChanged, q, &Client::notifyNetworkChanged);
        QObject::connect(wanted, &NetworkWatch::reachableChanged, q, &Client::networkReachableChanged);
    }
    if (networkReachable() != wasReachable)
        Q_EMIT q->networkReachableChanged(!wasReachable);
}

bool ClientPrivate::networkReachable() const
{
    return !networkWatch || networkWatch->reachable();
}

void ClientPrivate::forgetSubscription(const QString &channel, Subscription *subscription)
{
    const auto it = subscriptions.find(ChannelKey(channel));
    if (it != subscriptions.end() && *it == subscription)
        subscriptions.erase(it);
}

void ClientPrivate::requestToken(const Engine::TokenRequired &required)
{
    if (!options.tokenProvider) {
        // A slot removed it with setOptions() after the engine asked, in the same batch of
        // events: the engine has already stopped waiting (then this is a no-op) or gives up.
        engine->tokenFailed(now(), QStringLiteral("no token provider"));
        process();
        return;
    }
    const quint64 generation = ++tokenGeneration;
    const TokenReason reason = Convert::tokenReason(required.reason);
    qCDebug(lcClient) << "asking the token provider, attempt" << required.attempt << "reason" << reason;
    const std::weak_ptr<bool> weakAlive = alive;
    TokenReply reply = [this, weakAlive, generation](const std::optional<QString> &token, const QString &failure) {
        const auto isAlive = weakAlive.lock();
        if (!isAlive || !*isAlive || generation != tokenGeneration)
            return;  // the client is gone, or this answer is stale
        ++tokenGeneration;  // exactly one answer counts
        if (token)
            engine->provideToken(now(), *token);
        else
            engine->tokenFailed(now(), failure.isEmpty() ? QStringLiteral("token provider failed") : failure);
        process();
    };
    options.tokenProvider(reason, reply);
}

void ClientPrivate::onOpened(const QString &negotiated)
{
    if (!socketAttached)
        return;
    socketOpened = true;
    subprotocol = negotiated;
    engine->handleOpened(now(), negotiated.toUtf8());
    process();
}

void ClientPrivate::onFrame(const QByteArray &bytes, bool binary)
{
    if (!socketAttached)
        return;
    engine->handleFrame(now(), bytes, binary);
    process();
}

void ClientPrivate::onPong()
{
    if (!socketAttached)
        return;
    engine->handlePong(now());
    process();
}

void ClientPrivate::onClosed(int code, const QString &reason, const Error &transportError)
{
    if (!socketAttached)
        return;
    socketAttached = false;
    subprotocol.clear();
    lastTransportError = transportError;
    if (!socketOpened && transportError.isError())
        engine->handleTransportError(now(), transportError.message(), transportError.isFatal());
    else
        engine->handleClosed(now(), code, reason);
    process();
}

void ClientPrivate::onTimeout()
{
    armedDeadline.reset();
    const Engine::TimePoint t = now();
    const std::optional<Engine::TimePoint> engineDue = engine->pollTimeout();
    if (statsDue && *statsDue <= t) {
        statsDue.reset();
        lastStatsEmit = t;
        const std::shared_ptr<bool> guard = alive;
        Q_EMIT q->statsChanged();
        if (!*guard)
            return;
        if (!engineDue || *engineDue > t) {
            // Only the stats were due: nothing changed, so nothing new is owed.
            armTimer();
            return;
        }
    }
    engine->handleTimeout(t);
    process();
}

SendResult ClientPrivate::send(std::optional<QCborValue> payload, const SendOptions &sendOptions)
{
    if (!payload)
        return SendResult::refused(Error(Error::InvalidPayload,
                                         QStringLiteral("the payload has no JSON/CBOR equivalent")));
    Engine::SendOptions converted;
    return sent(engine->send(sendTime(), *payload, engineSendOptionsFor(sendOptions, converted)));
}

const Engine::SendOptions &ClientPrivate::engineSendOptionsFor(const SendOptions &sendOptions,
                                                               Engine::SendOptions &converted) const
{
    // Most sends take the default options: they map to the engine's defaults, shared, with
    // no conversion (three strings and an optional copied and destroyed) per message. A field
    // added to SendOptions must be added to this test (tst_client_facade covers each one).
    static const Engine::SendOptions kDefaults;
    if (sendOptions.delivery == Delivery::AtLeastOnce && sendOptions.channel.isEmpty() && sendOptions.id.isEmpty()
        && sendOptions.coalescingKey.isEmpty() && sendOptions.ttl.count() == 0 && !sendOptions.durability)
        return kDefaults;
    converted = Convert::engineSendOptions(sendOptions);
    if (!storageActive)
        converted.durability.reset();  // nothing can be stored: the client's Memory applies
    return converted;
}

SendResult ClientPrivate::sendBytes(const QByteArray &bytes, const SendOptions &sendOptions)
{
    // Not through QCborValue: the engine keeps a large buffer shared (one copy, into the frame).
    Engine::SendOptions converted;
    return sent(engine->sendBytes(sendTime(), bytes, engineSendOptionsFor(sendOptions, converted)));
}

SendResult ClientPrivate::sent(const Engine::SendResult &result)
{
    process();
    if (!result.ok())
        return SendResult::refused(Convert::error(*result.error));
    return SendResult::accepted(result.id);
}

Reply *ClientPrivate::startRequest(const QString &method, Engine::RequestResult result)
{
    Reply *reply = Reply::Private::create(method, q);
    if (!result.ok()) {
        Reply::Private::finishLater(reply, Convert::error(*result.error));
    } else {
        replies.insert(result.id, reply);
        const std::weak_ptr<bool> weakAlive = alive;
        const quint64 id = result.id;
        reply->d->cancel = [this, weakAlive, id] {
            const auto isAlive = weakAlive.lock();
            if (!isAlive || !*isAlive)
                return;
            replies.remove(id);
            // Its RequestFinished(Closed) is ignored when drained (no Reply for the id).
            engine->cancelRequest(now(), id);
            if (!processing)
                QMetaObject::invokeMethod(q, [this, weakAlive] {
                    const auto stillAlive = weakAlive.lock();
                    if (stillAlive && *stillAlive)
                        process();
                }, Qt::QueuedConnection);
        };
    }
    process();
    return reply;
}

// ---- Client --------------------------------------------------------------------------

Client::Client(QObject *parent) : QObject(parent), d(new ClientPrivate(this, ClientOptions(), {})) {}

// The engine is built once, from these options (ClientPrivate's constructor).
Client::Client(const QUrl &url, const ClientOptions &options, QObject *parent)
    : QObject(parent), d(new ClientPrivate(this, options, url.isEmpty() ? QList<QUrl>() : QList<QUrl>{url}))
{
}

Client::~Client() = default;

QUrl Client::url() const { return d->urls.value(0); }
void Client::setUrl(const QUrl &url) { setUrls(url.isEmpty() ? QList<QUrl>() : QList<QUrl>{url}); }
QList<QUrl> Client::urls() const { return d->urls; }

void Client::setUrls(const QList<QUrl> &urls)
{
    if (urls == d->urls)
        return;
    d->urls = urls;
    d->engine->setUrls(urls);
    Q_EMIT urlsChanged();
}

ClientOptions Client::options() const { return d->options; }

bool Client::compression() const { return d->compression; }

void Client::setCompression(bool enabled)
{
    if (enabled == d->compression)
        return;
    d->compression = enabled;
    (void)d->engine->setOptions(d->now(), d->engineOptionsFor(d->options));
    d->process();
}

qint64 Client::compressionThreshold() const { return d->compressionThreshold; }

void Client::setCompressionThreshold(qint64 bytes)
{
    if (bytes < 0) {
        d->error = Error(Error::InvalidArgument,
                         QStringLiteral("the compression threshold must be at least 0 (got %1)").arg(bytes));
        qCDebug(lcClient) << "setCompressionThreshold refused:" << d->error.message();
        Q_EMIT errorOccurred(d->error);
        return;
    }
    d->compressionThreshold = bytes;
    (void)d->engine->setOptions(d->now(), d->engineOptionsFor(d->options));
    d->process();
}

bool Client::setOptions(const ClientOptions &options)
{
    if (const QString problem = optionsProblem(options); !problem.isEmpty()) {
        d->error = Error(Error::InvalidArgument, problem);
        qCDebug(lcClient) << "setOptions refused:" << d->error.message();
        Q_EMIT errorOccurred(d->error);
        return false;
    }
    // The engine applies each option at its moment (see the header); what only this layer
    // reads (tls, maxIncomingFrameSize for the socket, the token provider, keepOnClose) is
    // read when it is used, so replacing d->options now gives the same moments.
    if (options.storage != d->options.storage) {
        // Another file is another outbox and session: taken only while there is nothing
        // of the old one to lose or to mix (docs/api.md).
        const Engine::Stats stats = d->engine->stats();
        std::optional<Engine::Error> invalid = Engine::validateOptions(Convert::engineOptions(options, d->urls));
        if (!invalid && (d->state != State::Idle || d->engine->queueDepth() > 0 || stats.pendingRequests > 0
                         || !d->engine->channels().isEmpty()))
            invalid = Engine::Error::make(Engine::ErrorKind::Local, Engine::ErrorCode::InvalidArgument,
                                          QStringLiteral("ClientOptions::storage can change only before open(), "
                                                         "with nothing queued, requested or subscribed"));
        if (invalid) {
            d->error = Convert::error(*invalid);
            qCDebug(lcClient) << "setOptions refused:" << d->error.message();
            Q_EMIT errorOccurred(d->error);
            return false;
        }
        d->closeStorage();
        d->options = options;
        d->restoredCount = 0;
        d->openStorage();
        d->createEngine();
        d->restoreStorage();
        return true;
    }
    const Engine::OptionsResult result = d->engine->setOptions(d->now(), d->engineOptionsFor(options));
    if (!result.ok()) {
        d->error = Convert::error(*result.error);
        qCDebug(lcClient) << "setOptions refused:" << d->error.message();
        Q_EMIT errorOccurred(d->error);
        d->process();
        return false;
    }
    d->options = options;
    if (!result.deferred.isEmpty())
        qCDebug(lcClient) << "options waiting for the next connection:" << result.deferred;
    if (result.queueOverBound)
        qCDebug(lcClient) << "the outbox is above the new bounds: nothing dropped, it drains";
    d->process();  // a wider in-flight window sends now; re-armed deadlines re-arm the timer
    return true;
}

State Client::state() const { return d->state; }
Error Client::error() const { return d->error; }
QString Client::errorString() const { return d->error.message(); }
int Client::queueDepth() const { return int(d->engine->queueDepth()); }
std::chrono::microseconds Client::lastRtt() const { return d->lastRtt; }
QString Client::sessionId() const { return d->engine->sessionId(); }
QString Client::subprotocol() const { return d->subprotocol; }
QStringList Client::channels() const { return d->engine->channels(); }

ClientStats Client::stats() const
{
    const Engine::Stats e = d->engine->stats();
    ClientStats s = Convert::stats(e, d->lastRtt.count());
    s.storageActive = d->storageActive;
    // The engine has no clock: the running parts are measured here, on the same clock.
    const Engine::TimePoint now = d->now();
    if (e.offlineSince)
        s.offlineMs += std::chrono::duration_cast<std::chrono::milliseconds>(now - *e.offlineSince).count();
    if (e.connectedSince)
        s.connectedSince = QDateTime::currentDateTimeUtc().addMSecs(
            -std::chrono::duration_cast<std::chrono::milliseconds>(now - *e.connectedSince).count());
    return s;
}

int Client::restoredCount() const { return d->restoredCount; }

QList<Message> Client::queuedMessages() const
{
    QList<Message> out;
    const std::vector<Engine::QueuedMessage> queued = d->engine->queuedMessages();
    out.reserve(qsizetype(queued.size()));
    for (const Engine::QueuedMessage &m : queued)
        out.append(Message(m.payload, m.channel, m.id, true));
    return out;
}

SendResult Client::send(const QCborValue &payload, const SendOptions &options)
{
    return d->send(payload.isUndefined() ? std::nullopt : std::optional<QCborValue>(payload), options);
}

SendResult Client::send(const QJsonValue &payload, const SendOptions &options)
{
    return d->send(Convert::payload(payload), options);
}

SendResult Client::send(const QJsonObject &payload, const SendOptions &options)
{
    return d->send(QCborValue(QCborMap::fromJsonObject(payload)), options);
}

SendResult Client::send(const QJsonArray &payload, const SendOptions &options)
{
    return d->send(QCborValue(QCborArray::fromJsonArray(payload)), options);
}

SendResult Client::send(const QVariant &payload, const SendOptions &options)
{
    if (payload.metaType() == QMetaType::fromType<QByteArray>())
        return d->sendBytes(payload.toByteArray(), options);
    return d->send(Convert::payload(payload), options);
}

SendResult Client::send(const QByteArray &payload, const SendOptions &options)
{
    return d->sendBytes(payload, options);
}

SendResult Client::send(const QString &payload, const SendOptions &options)
{
    Engine::SendOptions converted;
    return d->sent(d->engine->sendText(d->sendTime(), payload, d->engineSendOptionsFor(options, converted)));
}

Reply *Client::request(const QString &method, const QCborValue &params, const RequestOptions &options)
{
    return d->startRequest(method, d->engine->request(d->now(), method, params,
                                                      Convert::engineRequestOptions(options)));
}

Reply *Client::request(const QString &method, const QVariant &params, const RequestOptions &options)
{
    const std::optional<QCborValue> cbor = Convert::payload(params);
    if (!cbor) {
        Reply *reply = Reply::Private::create(method, this);
        Reply::Private::finishLater(reply, Error(Error::InvalidPayload,
                                                 QStringLiteral("the params have no JSON/CBOR equivalent")));
        return reply;
    }
    return request(method, *cbor, options);
}

Reply *Client::request(const QString &method, const QJsonValue &params, const RequestOptions &options)
{
    return request(method, params.isUndefined() ? QCborValue() : QCborValue::fromJsonValue(params), options);
}

Reply *Client::request(const QString &method, const QJsonObject &params, const RequestOptions &options)
{
    return request(method, QCborValue(QCborMap::fromJsonObject(params)), options);
}

QFuture<QCborValue> Client::call(const QString &method, const QVariant &params, const RequestOptions &options)
{
    Reply *reply = request(method, params, options);
    QFuture<QCborValue> future = reply->future();
    reply->setAutoDelete(true);
    return future;
}

Reply *Client::subscribe(const QString &channel)
{
    Reply *reply = d->startRequest(QStringLiteral("subscribe"), d->engine->subscribe(d->now(), channel));
    return reply;
}

Reply *Client::unsubscribe(const QString &channel)
{
    return d->startRequest(QStringLiteral("unsubscribe"), d->engine->unsubscribe(d->now(), channel));
}

Subscription *Client::subscription(const QString &channel)
{
    Subscription *subscription = d->subscriptions.value(ChannelKey(channel));
    if (!subscription) {
        subscription = new Subscription(this, channel, Convert::subscriptionStatus(d->engine->channelStatus(channel)));
        d->subscriptions.insert(ChannelKey(channel), subscription);
    }
    const Engine::ChannelStatus status = d->engine->channelStatus(channel);
    if (status == Engine::ChannelStatus::Unsubscribed || status == Engine::ChannelStatus::Error) {
        // No Reply: the engine's status events tell the Subscription how it ends.
        const Engine::RequestResult result = d->engine->subscribe(d->now(), channel);
        if (!result.ok()) {
            Engine::ChannelStatusChanged refused{channel, Engine::ChannelStatus::Error, result.error};
            d->channelStatusChanged(refused);
        }
        d->process();
    }
    return subscription;
}

void Client::notifyNetworkChanged()
{
    d->engine->notifyNetworkChanged(d->now());
    d->process();
}

void Client::notifyAppStateChanged(Qt::ApplicationState state)
{
    if (state == Qt::ApplicationActive)
        d->engine->notifyAppResumed(d->now());
    else if (state == Qt::ApplicationSuspended || state == Qt::ApplicationHidden)
        d->engine->notifyAppBackground(d->now());
    else
        return;  // inactive (a dialog, the task switcher): still running
    d->process();
}

void Client::setFollowNetwork(bool follow)
{
    d->followNetwork = follow;
    d->updateNetworkWatch();
}

bool Client::followsNetwork() const { return d->followNetwork; }
bool Client::isNetworkReachable() const { return d->networkReachable(); }

QString Client::networkBackend() const
{
    return d->networkWatch ? d->networkWatch->backend() : QString();
}

bool Client::isSuspendedInBackground() const { return d->engine->isSuspendedInBackground(); }

QDateTime Client::reconnectAt() const
{
    const std::optional<Engine::TimePoint> at = d->engine->retryAt();
    if (!at)
        return QDateTime();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*at - d->now());
    return QDateTime::currentDateTimeUtc().addMSecs(wait.count());
}

void Client::open()
{
    if (d->urls.isEmpty()) {
        d->error = Error(Error::NoUrl, QStringLiteral("open() without a URL: call setUrl() first"), true);
        Q_EMIT errorOccurred(d->error);
        return;
    }
    if (const QString problem = optionsProblem(d->options); !problem.isEmpty()) {
        d->error = Error(Error::InvalidArgument, problem, true);
        Q_EMIT errorOccurred(d->error);
        return;
    }
    d->warnAboutSecretsInUrls();
    d->engine->open(d->now());
    d->process();
}

void Client::close()
{
    d->engine->close(d->now(), d->options.queue.keepOnClose);
    d->process();
}

void Client::suspend()
{
    d->engine->suspend(d->now());
    d->process();
}

} // namespace Tether
