// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the connection, gluing the concerns together.
//
// Rules:
// - State changes only through apply(Input) (state_table.cpp); side effects of an input
//   are done here, next to the apply() that accepts it.
// - Socket bookkeeping: `m_socket` says whether the engine believes a socket exists
//   (Opening/Open). Transport input for a socket the engine no longer has is ignored, so
//   a late close or frame can never disturb the next connection.
// - Bad server input never throws or asserts: protocolError() reports it, closes with
//   1002 and reconnects with backoff.
// - v1: one frame = one message. v1.1 (docs/protocol.md §10, negotiated in handleOpened()):
//   an incoming message is split by Protocol::BatchReader and each frame handled exactly as
//   a v1 message (handleOneFrame()); outgoing frames waiting when pollAction() is called are
//   coalesced into one SendFrame (coalesce()), so the caller decides when a batch ends by
//   when it polls. `msg` payloads were encoded once at send() (outbox.cpp).
// - Logging (tether.engine, silent by default) never includes tokens or payloads.
//
// Theory of operation: see connection.h for the polling contract. Inputs update the
// concerns (outbox, inbound, requests, channels, token, heartbeat, backoff), which put
// actions and events into the Sink; pollAction() drains the sink, then asks the outbox
// for the next data frame it may send, so a large outbox is encoded lazily, frame by
// frame, as the caller pulls. pollTimeout() is the minimum of the timer table and the
// per-item deadline queues (requests, TTLs).
//
// Sessions: every rule about sid, resume and numbering is decided in session_p.h; this file
// only routes hello, welcome, frames and pongs to it. Persistence: the outbox and the
// session report changes to the journal (journal_p.h), which is inert unless some
// durability is asked for; batches are built here (flushJournal()), at Timer::Persist or at
// the next pollAction() when one is full or PowerSafe.
//
// Options on a live connection (setOptions(), rules in connection.h): the concerns hold a
// reference to `options`, so a field assigned there is read at its next use; what is
// already scheduled is re-armed by the concern that owns it. Fields that must not change
// under a socket, or while the outbox holds payloads encoded with the old codec, wait in
// `pending` until applyDeferred() finds the moment (no socket; empty outbox).
#include "connection.h"

#include "backoff_p.h"
#include "channels_p.h"
#include "heartbeat_p.h"
#include "inbound_p.h"
#include "journal_p.h"
#include "outbox_p.h"
#include "random_p.h"
#include "requests_p.h"
#include "session_p.h"
#include "sink_p.h"
#include "state_table_p.h"
#include "timers_p.h"
#include "token_p.h"

#include <QtCore/QLoggingCategory>

#include <algorithm>
#include <array>

Q_LOGGING_CATEGORY(lcEngine, "tether.engine", QtWarningMsg)

namespace Tether::Engine {

namespace {

QByteArray latin1Bytes(QLatin1StringView s) { return QByteArray(s.data(), s.size()); }

// An Options field that setOptions() may have to defer: compared and copied by name.
struct DeferredField {
    QLatin1StringView name;
    bool (*same)(const Options &, const Options &);
    void (*copy)(Options &to, const Options &from);
};

template <auto Member>
constexpr DeferredField deferredField(const char *name)
{
    return {QLatin1StringView(name), [](const Options &a, const Options &b) { return a.*Member == b.*Member; },
            [](Options &to, const Options &from) { to.*Member = from.*Member; }};
}

// Read when a socket opens or in its handshake: never changed under one.
const DeferredField kPerSocket[] = {
    deferredField<&Options::headers>("headers"),
    deferredField<&Options::agent>("agent"),
    deferredField<&Options::rawSubprotocols>("rawSubprotocols"),
    deferredField<&Options::maxIncomingFrame>("maxIncomingFrame"),
    deferredField<&Options::useToken>("useToken"),
    deferredField<&Options::maxProtocol>("maxProtocol"),
};
// How payloads are encoded: changed only with no socket and an empty outbox.
const DeferredField kEncoding[] = {
    deferredField<&Options::codec>("codec"),
    deferredField<&Options::rawMode>("rawMode"),
};

// docs/protocol.md §4: a server keeps the nacks of the last 1024 seqs, so no more may be in flight.
qsizetype cappedInFlight(qsizetype n) { return std::clamp<qsizetype>(n, 1, 1024); }

} // namespace

struct Connection::Private {
    explicit Private(Options o)
        : options(std::move(o)),
          backoff(options),
          journal(options, timers),
          outbox(options, sink, journal),
          inbound(options),
          session(outbox, inbound, journal, timers),
          requests(sink),
          channels(sink),
          token(options),
          randomness(options.random)
    {
        options.maxInFlight = cappedInFlight(options.maxInFlight);
        if (!options.rawMode)
            codec = &Protocol::codecFor(options.codec);
        requests.onFinished = [this](quint64 id, const PendingRequest &r, const std::optional<Error> &e) {
            requestEnded(id, r, e);
        };
        if (options.durability != Durability::Memory)
            journal.engage();
    }

    enum class Socket { None, Opening, Open };

    Options options;
    Sink sink;
    TimerTable timers;
    Backoff backoff;
    HeartbeatMonitor heartbeat;
    Journal journal;
    Outbox outbox;
    Inbound inbound;
    Session session;
    Requests requests;
    Channels channels;
    TokenState token;
    Randomness randomness;            // ids and jitter (random_p.h)
    const Protocol::Codec *codec = nullptr;  // null in raw mode
    bool batching = false;                   // this socket speaks v1.1
    bool transportReady = true;              // setTransportReady(): the outbox may add frames
    qsizetype queuedSincePoll = 0;           // message bytes queued since pollAction() last ran dry
    bool compressing = false;                // ...with compressed batches (docs/protocol.md §10.5)
    // §10.5's two streams of this socket (context takeover), made at their first use and
    // dropped with the socket: a new socket starts both afresh.
    std::unique_ptr<Protocol::BatchDeflater> deflater;
    std::unique_ptr<Protocol::BatchInflater> inflater;
    // A frame taken from the outbox that did not fit the batch being built: the next one.
    std::optional<SendFrame> carried;

    State state = State::Idle;
    Socket socket = Socket::None;
    bool welcomed = false;
    quint64 connectionNo = 0;      // one per socket: requests remember theirs
    qsizetype urlIndex = 0;
    quint64 attemptsStarted = 0;
    bool restored = false;         // restore() succeeded once
    std::optional<quint64> maxFrame;
    std::optional<Duration> retryAfter;
    std::optional<Protocol::ErrorFrame> serverError;  // the `error` frame before a close
    Duration heartbeatInterval{0};
    // recycle(): buffers the next data frames are built in. Two: a v1.1 batch and a large
    // frame that did not fit in it (built apart) alternate at 64 KiB.
    std::array<QByteArray, 2> spareFrames;
    QByteArray *largestSpare();
    void keepSpare(QByteArray &&bytes);
    QByteArray scratch;  // send()'s encoded payload, before the outbox copies it
    static constexpr qsizetype kScratchKeep = 64 * 1024;
    // setOptions(): the last accepted options while some of their fields wait (see top).
    std::optional<Options> pending;
    TimePoint handshakeFrom{};        // the OpenSocket the handshake timeout counts from
    TimePoint connectedAt{};          // welcome (raw: opened): the stable period counts from it
    bool heartbeatFromServer = false; // this connection's interval is welcome.hb
    TimePoint lastNow{};              // the latest `now` an input brought (stats' timestamps)
    bool suspendedInBackground = false; // Timer::Background suspended us: the app's return reopens

    quint64 random() { return randomness.next(); }
    // The common tail of send()/sendBytes(): id, maxFrame pre-check, then `push(id, reliable)`.
    template<class Push>
    SendResult queueMessage(qsizetype payloadSize, const SendOptions &options, Push push);
    // send()'s steps: the scratch buffer emptied, raw mode's refusal of channels, the
    // encoded payload queued.
    QByteArray &freshScratch();
    std::optional<Error> refuseRaw(const SendOptions &sendOptions) const;
    SendResult queueEncoded(TimePoint now, QByteArrayView encoded, bool binary, const SendOptions &sendOptions);

    bool apply(Input input);
    void timerFired(TimePoint now, Timer timer);
    bool suspendNow(TimePoint now);  // false: not possible in this state
    void trackOnline(State from, State to);
    void noteTime(TimePoint now);
    void startAttempt(TimePoint now);
    void openSocket(TimePoint now);
    void sendFrame(const Protocol::Frame &frame);
    void handleOneFrame(TimePoint now, Protocol::Frame &frame);
    std::optional<SendFrame> nextDataFrame();
    bool mayTakeData() const;  // the outbox may put frames on the socket now
    void coalesce(SendFrame &batch);
    void compress(SendFrame &batch);
    void loseSocket(Action how, int code, const QString &reason);
    void socketGone();
    // Connected (welcome, or raw: opened): heartbeat at `serverHb` ms when the server asked
    // for one, else ours; the stable period starts.
    void connectionUp(TimePoint now, std::optional<quint64> serverHb);
    void teardown();
    void linkLost(TimePoint now, std::optional<Error> report);
    void fail(TimePoint now, Error error);
    void protocolError(TimePoint now, const QString &message, int closeCode = 1002);
    void closedByServer(TimePoint now, int code, const QString &reason);
    void tokenExpired(TimePoint now);
    void tokenFailure(TimePoint now, const QString &reason);
    void onWelcome(TimePoint now, const Protocol::Welcome &welcome);
    void onMsg(TimePoint now, Protocol::Msg &&msg);
    void onErrorFrame(const Protocol::ErrorFrame &frame);
    void deliver(MessageReceived &&message);
    void flushAck();
    void sendWaitingRequests();
    void restoreChannels(TimePoint now);
    void flushJournal();
    RestoreResult restore(TimePoint now, const Snapshot &snapshot);
    void probe(TimePoint now);
    void requestEnded(quint64 id, const PendingRequest &request, const std::optional<Error> &error);
    RequestResult addRequest(TimePoint now, const Protocol::Frame &frame, quint64 id, PendingRequest request,
                             Duration timeout);
    RequestResult channelRequest(TimePoint now, RequestKind kind, const QString &channel);
    std::optional<TimePoint> earliest() const;
    OptionsResult reconfigure(TimePoint now, Options next);
    void applyDeferred();
    QStringList deferredNames() const;
};

// ---- helpers ------------------------------------------------------------------------

template<class Push>
SendResult Connection::Private::queueMessage(qsizetype payloadSize, const SendOptions &sendOptions, Push push)
{
    if (sendOptions.durability) {
        switch (*sendOptions.durability) {
        case Durability::Memory: case Durability::CrashSafe: case Durability::PowerSafe: break;
        default:
            return {{}, Error::make(ErrorKind::Local, ErrorCode::InvalidArgument,
                                    QStringLiteral("unknown durability %1").arg(int(*sendOptions.durability)))};
        }
    }
    const QString id = sendOptions.id.isEmpty() ? randomness.messageId() : sendOptions.id;
    if (maxFrame && !options.rawMode) {
        // A lower bound of the frame (payload, id, channel): certainly too large now. The
        // exact check happens when the frame is built (outbox.cpp).
        const quint64 atLeast = quint64(payloadSize + id.size() + sendOptions.channel.size());
        if (atLeast > *maxFrame)
            return {{}, Error::make(ErrorKind::Local, ErrorCode::FrameTooLarge,
                                    QStringLiteral("message of at least %1 bytes exceeds the server's maxFrame %2")
                                        .arg(atLeast).arg(*maxFrame))};
    }
    const bool reliable = !options.rawMode && sendOptions.delivery == Delivery::AtLeastOnce;
    if (auto error = push(id, reliable))
        return {{}, std::move(error)};
    queuedSincePoll += payloadSize + id.size();
    return {id, std::nullopt};
}

bool Connection::Private::apply(Input input)
{
    const std::optional<State> next = transition(state, input);
    if (!next)
        return false;
    if (*next != state) {
        const State from = state;
        state = *next;
        trackOnline(from, *next);
        sink.post(StateChanged{from, *next});
    }
    return true;
}

// Stats: connected-since and offline time, from the first open() on (Idle is not offline).
void Connection::Private::trackOnline(State from, State to)
{
    Stats &stats = sink.stats;
    if (to == State::Connected) {
        stats.connectedSince = lastNow;
        if (stats.offlineSince)
            stats.offlineTotal += std::chrono::duration_cast<Duration>(lastNow - *stats.offlineSince);
        stats.offlineSince.reset();
    } else if (from == State::Connected || from == State::Idle) {
        stats.connectedSince.reset();
        stats.offlineSince = lastNow;
    }
}

std::optional<TimePoint> Connection::Private::earliest() const
{
    std::optional<TimePoint> best = timers.earliest();
    for (const auto &t : {requests.nextDeadline(), outbox.nextExpiry()})
        if (t && (!best || *t < *best))
            best = t;
    return best;
}

void Connection::Private::noteTime(TimePoint now)
{
    const TimePoint previous = lastNow;
    lastNow = now;
    journal.setNow(now);
    // A call arriving long after the deadline we asked for means the process or machine
    // was suspended: the link may be stale, so probe it instead of trusting old timers.
    if (state != State::Connected || socket != Socket::Open)
        return;
    // Such a call also comes long after the previous call (a deadline still ahead then),
    // so earliest() is only worth computing after a long gap, not on every send().
    if (now - previous <= options.timeJumpThreshold)
        return;
    const auto due = earliest();
    if (due && now - *due > options.timeJumpThreshold) {
        qCDebug(lcEngine, "time jump detected: probing the link");
        heartbeat.forgetLiveness(timers);
        probe(now);
    }
}

void Connection::Private::sendFrame(const Protocol::Frame &frame)
{
    QByteArray bytes;
    QString error;
    if (!codec->encode(frame, bytes, &error)) {
        // Only payloads can fail to encode and they were checked at request()/send().
        qCWarning(lcEngine, "cannot encode %s: %s", Protocol::frameTypeName(frame).data(), qUtf8Printable(error));
        return;
    }
    sink.act(SendFrame{std::move(bytes), codec->usesBinaryFrames()});
}

void Connection::Private::loseSocket(Action how, int code, const QString &reason)
{
    if (socket == Socket::None)
        return;
    sink.act(std::move(how));
    if (state == State::Connected)
        sink.post(Disconnected{code, reason});
    socketGone();
}

void Connection::Private::socketGone()
{
    socket = Socket::None;
    batching = false;
    transportReady = true;  // the next socket starts empty
    compressing = false;
    deflater.reset();
    inflater.reset();
    carried.reset();  // written to a socket that is gone: the outbox resends what is reliable
    applyDeferred();
}

void Connection::Private::connectionUp(TimePoint now, std::optional<quint64> serverHb)
{
    heartbeatFromServer = serverHb && *serverHb > 0;
    heartbeatInterval = heartbeatFromServer ? Duration(qint64(*serverHb)) : options.heartbeatInterval;
    heartbeat.start(now, heartbeatInterval, options.heartbeatTimeout, timers);
    connectedAt = now;
    if (options.stablePeriod.count() > 0)
        timers.set(Timer::Stable, now + options.stablePeriod);
}

// ---- lifecycle ----------------------------------------------------------------------

void Connection::Private::startAttempt(TimePoint now)
{
    applyDeferred();  // the outbox may have emptied since the socket went
    timers.clear(Timer::Retry);
    if (options.urls.isEmpty()) {
        fail(now, Error::make(ErrorKind::Local, ErrorCode::InvalidArgument, QStringLiteral("no URL to connect to")));
        return;
    }
    if (options.useToken && !options.rawMode) {
        token.request(now, sink, timers);
        return;
    }
    openSocket(now);
}

void Connection::Private::openSocket(TimePoint now)
{
    ++connectionNo;
    if (attemptsStarted++ > 0)
        ++sink.stats.reconnects;
    socket = Socket::Opening;
    welcomed = false;
    serverError.reset();
    OpenSocket open;
    open.url = options.urls.at(urlIndex % options.urls.size());
    if (options.rawMode) {
        open.subprotocols = options.rawSubprotocols;
    } else {
        // Preference order (docs/protocol.md §10.1, §10.5): v1.1 with compression, v1.1,
        // v1; a server picks the first it speaks, so it never meets a name it does not know.
        if (options.maxProtocol == Protocol::Version::V1_1) {
            if (options.compression)
                open.subprotocols << latin1Bytes(Protocol::subprotocolName(codec->kind(), Protocol::Version::V1_1, true));
            open.subprotocols << latin1Bytes(Protocol::subprotocolName(codec->kind(), Protocol::Version::V1_1));
        }
        open.subprotocols << latin1Bytes(codec->subprotocol());
    }
    open.headers = options.headers;
    sink.act(std::move(open));
    handshakeFrom = now;
    if (options.handshakeTimeout.count() > 0)
        timers.set(Timer::Handshake, now + options.handshakeTimeout);
}

void Connection::Private::teardown()
{
    welcomed = false;
    timers.clear(Timer::Handshake);
    timers.clear(Timer::Stable);
    session.connectionLost();
    heartbeat.stop(timers);
    inbound.connectionLost(timers);
    outbox.connectionLost();
    requests.connectionLost(connectionNo);
    channels.connectionLost();
}

// State first, then its effects (h11's _process_event): the transition is decided and
// applied before teardown reports what the drop ended.
void Connection::Private::linkLost(TimePoint now, std::optional<Error> report)
{
    const bool wasConnected = state == State::Connected;
    const bool exhausted = backoff.exhausted();
    const bool moved = !exhausted && apply(Input::LinkLost);
    teardown();
    if (report)
        sink.reportError(*report);
    if (exhausted) {
        Error error = report.value_or(Error::make(ErrorKind::Transport, ErrorCode::ConnectionLost,
                                                  QStringLiteral("connection lost")));
        error.code = ErrorCode::MaxAttempts;
        error.kind = ErrorKind::Local;
        error.message = QStringLiteral("gave up after %1 attempts: %2").arg(backoff.attempts()).arg(error.message);
        fail(now, error);
        return;
    }
    if (!moved)
        return;
    if (!wasConnected)
        ++urlIndex;  // endpoints are tried in turn; a link that worked is retried first
    const Duration delay = backoff.next(now, random(), wasConnected, retryAfter);
    retryAfter.reset();
    timers.set(Timer::Retry, now + delay);
    sink.post(Reconnecting{backoff.attempts(), delay});
}

void Connection::Private::fail(TimePoint now, Error error)
{
    Q_UNUSED(now);
    const bool moved = apply(Input::Permanent);  // state first, then its effects
    loseSocket(CloseSocket{1000, QString()}, 1000, error.message);
    teardown();
    token.cancel(timers);
    timers.clear(Timer::Retry);
    error.fatal = true;
    if (!moved)
        return;
    sink.lastError = error;
    sink.post(Failed{error});
}

void Connection::Private::protocolError(TimePoint now, const QString &message, int closeCode)
{
    ++sink.stats.protocolErrors;
    qCDebug(lcEngine, "protocol error: %s", qUtf8Printable(message));
    loseSocket(CloseSocket{closeCode, QStringLiteral("protocol error")}, closeCode, message);
    Error error = Error::make(ErrorKind::Remote, ErrorCode::ProtocolError, message);
    error.closeCode = closeCode;
    linkLost(now, error);
}

void Connection::Private::closedByServer(TimePoint now, int code, const QString &reason)
{
    if (state == State::Connected)
        sink.post(Disconnected{code, reason});
    socketGone();
    const auto withServerDetails = [&](Error error) {
        error.closeCode = code;
        if (serverError) {
            error.remoteCode = serverError->code;
            if (!serverError->msg.isEmpty())
                error.message = serverError->msg;
        }
        return error;
    };
    switch (classifyClose(code)) {
    case CloseClass::Normal:
        teardown();
        apply(Input::ServerClosed);
        return;
    case CloseClass::Temporary: {
        std::optional<Error> report;
        if (state != State::Connected)  // a failed attempt; a drop was already told as Disconnected
            report = withServerDetails(Error::make(ErrorKind::Transport, ErrorCode::TransportError,
                QStringLiteral("connection closed with code %1 %2").arg(code).arg(reason)));
        linkLost(now, report);
        return;
    }
    case CloseClass::TokenExpired:
        tokenExpired(now);
        return;
    case CloseClass::ProtocolError:
        linkLost(now, withServerDetails(Error::make(ErrorKind::Remote, ErrorCode::ProtocolError,
            QStringLiteral("the server closed with protocol error %1 %2").arg(code).arg(reason))));
        return;
    case CloseClass::Permanent: {
        ErrorCode errorCode = ErrorCode::ServerError;
        if (code == 4401)
            errorCode = ErrorCode::Unauthorized;
        else if (code == 4403)
            errorCode = ErrorCode::Forbidden;
        else if (code == 4409)
            errorCode = ErrorCode::SessionTaken;
        else if (code == 4413)
            errorCode = ErrorCode::FrameTooLarge;
        else if (code == 4400 || code == 1008)
            errorCode = ErrorCode::ProtocolError;
        fail(now, withServerDetails(Error::make(ErrorKind::Remote, errorCode,
            QStringLiteral("the server closed with code %1 %2").arg(code).arg(reason))));
        return;
    }
    }
}

void Connection::Private::tokenExpired(TimePoint now)
{
    teardown();
    token.expired();
    if (!options.useToken) {
        fail(now, Error::make(ErrorKind::Remote, ErrorCode::TokenExpired,
                              QStringLiteral("the server says the token expired and no token provider is set")));
        return;
    }
    if (token.failed(timers)) {
        fail(now, Error::make(ErrorKind::Remote, ErrorCode::Unauthorized,
                              QStringLiteral("the server rejected %1 tokens in a row").arg(token.failures())));
        return;
    }
    if (apply(Input::TokenExpired))
        token.request(now, sink, timers);
}

void Connection::Private::tokenFailure(TimePoint now, const QString &reason)
{
    if (!token.pending() || state != State::Connecting)
        return;
    if (token.failed(timers)) {
        fail(now, Error::make(ErrorKind::Local, ErrorCode::TokenUnavailable,
                              QStringLiteral("no token after %1 tries: %2").arg(token.failures()).arg(reason)));
        return;
    }
    // Back off like a failed connection attempt (state table: Connecting + TokenFailed).
    const Duration delay = backoff.next(now, random(), false, std::nullopt);
    if (!apply(Input::TokenFailed))
        return;
    sink.reportError(Error::make(ErrorKind::Local, ErrorCode::TokenUnavailable, reason));
    timers.set(Timer::Retry, now + delay);
    sink.post(Reconnecting{backoff.attempts(), delay});
}

void Connection::Private::probe(TimePoint now)
{
    if (state == State::Connected && socket == Socket::Open) {
        sink.act(SendPing{});
        heartbeat.probeSent(now, heartbeat.probeTimeout(options.probeTimeout, options.probeTimeoutFloor), timers);
    } else if (state == State::Reconnecting) {
        if (apply(Input::RetryDue))
            startAttempt(now);
    }
}

// ---- inbound frames -----------------------------------------------------------------

void Connection::Private::onWelcome(TimePoint now, const Protocol::Welcome &welcome)
{
    const Session::WelcomeVerdict verdict = session.welcome(welcome);
    if (verdict.verdict == Session::Verdict::Refused) {
        protocolError(now, verdict.error);
        return;
    }
    if (!apply(Input::Welcome))  // state first, then its effects
        return;
    welcomed = true;
    timers.clear(Timer::Handshake);
    maxFrame = welcome.maxFrame;
    connectionUp(now, welcome.hb);
    if (options.stablePeriod.count() <= 0)
        backoff.reset();
    session.welcomed(now);
    if (welcome.resumed)
        ++sink.stats.resumes;
    sink.post(Connected{welcome.resumed, session.sid()});
    if (verdict.sessionLost) {
        ++sink.stats.sessionsLost;
        sink.post(SessionLost{channels.desired()});
    }
    channels.welcomed(welcome.resumed);
    if (!welcome.resumed)
        restoreChannels(now);
    sendWaitingRequests();
}

void Connection::Private::onMsg(TimePoint now, Protocol::Msg &&msg)
{
    MessageReceived message{std::move(msg.d), msg.id.value_or(QString()), msg.ch.value_or(QString()),
                            msg.seq.has_value()};
    if (!msg.seq) {
        deliver(std::move(message));
        return;
    }
    if (*msg.seq == 0) {
        protocolError(now, QStringLiteral("msg with seq 0"));
        return;
    }
    Inbound::Verdict verdict = inbound.accept(now, *msg.seq, message.id, timers);
    if (verdict == Inbound::Verdict::Gap && session.acceptInboundJump(*msg.seq))
        verdict = inbound.accept(now, *msg.seq, message.id, timers);
    session.inboundArrived();
    switch (verdict) {
    case Inbound::Verdict::Gap:
        protocolError(now, QStringLiteral("gap in server seq: expected %1, got %2")
                               .arg(inbound.delivered() + 1).arg(*msg.seq));
        return;
    case Inbound::Verdict::Duplicate:
    case Inbound::Verdict::DuplicateId:
        ++sink.stats.duplicatesSuppressed;
        break;
    case Inbound::Verdict::Deliver:
        if (journal.active() && !message.id.isEmpty())
            journal.idDelivered(message.id);
        deliver(std::move(message));
        break;
    }
    journal.sessionChanged();
    if (inbound.ackOwedNow())
        flushAck();
}

void Connection::Private::deliver(MessageReceived &&message)
{
    ++sink.stats.received;
    sink.post(std::move(message));
}

void Connection::Private::flushAck()
{
    if (const auto seq = inbound.takeAck(timers); seq && socket == Socket::Open)
        sendFrame(Protocol::Ack{*seq});
}

void Connection::Private::onErrorFrame(const Protocol::ErrorFrame &frame)
{
    serverError = frame;
    if (frame.retryAfter)
        retryAfter = Duration(qint64(std::min<quint64>(*frame.retryAfter, quint64(24) * 3600 * 1000)));
    Error error = Error::make(ErrorKind::Remote, ErrorCode::ServerError, frame.msg);
    error.remoteCode = frame.code;
    sink.reportError(error);
}

// ---- requests and channels ----------------------------------------------------------

void Connection::Private::sendWaitingRequests()
{
    if (state != State::Connected || socket != Socket::Open)
        return;
    requests.sendWaiting(connectionNo, [this](quint64 id, const PendingRequest &request) {
        if (maxFrame && quint64(request.frame.size()) > *maxFrame) {
            requests.finish(id, {}, Error::make(ErrorKind::Local, ErrorCode::FrameTooLarge,
                QStringLiteral("request of %1 bytes exceeds the server's maxFrame %2")
                    .arg(request.frame.size()).arg(*maxFrame)));
            return;
        }
        sink.act(SendFrame{request.frame, request.binary});
    });
}

void Connection::Private::restoreChannels(TimePoint now)
{
    for (const QString &channel : channels.toRestore()) {
        const quint64 id = requests.nextId();
        PendingRequest request;
        request.kind = RequestKind::Subscribe;
        request.channel = channel;
        request.retryable = true;
        request.internal = true;
        if (addRequest(now, Protocol::Sub{id, channel}, id, std::move(request), options.requestTimeout).ok())
            channels.restoring(channel, id);
    }
}

void Connection::Private::requestEnded(quint64 id, const PendingRequest &request, const std::optional<Error> &error)
{
    if (request.kind != RequestKind::Subscribe)
        return;
    const bool refused = error && error->kind == ErrorKind::Remote;
    channels.subFinished(request.channel, id, error);
    if (refused)
        journal.channelsChanged();
    if (request.internal && error) {
        Error report = *error;
        report.message = QStringLiteral("re-subscribing to %1 failed: %2").arg(request.channel, error->message);
        sink.reportError(report);
    }
}

RequestResult Connection::Private::addRequest(TimePoint now, const Protocol::Frame &frame, quint64 id,
                                              PendingRequest request, Duration timeout)
{
    QString error;
    if (!codec->encode(frame, request.frame, &error))
        return {0, Error::make(ErrorKind::Local, ErrorCode::NotSupported, error)};
    if (maxFrame && quint64(request.frame.size()) > *maxFrame)
        return {0, Error::make(ErrorKind::Local, ErrorCode::FrameTooLarge,
                               QStringLiteral("request of %1 bytes exceeds the server's maxFrame %2")
                                   .arg(request.frame.size()).arg(*maxFrame))};
    request.binary = codec->usesBinaryFrames();
    requests.add(now, id, std::move(request), timeout);
    sendWaitingRequests();
    return {id, std::nullopt};
}

RequestResult Connection::Private::channelRequest(TimePoint now, RequestKind kind, const QString &channel)
{
    if (options.rawMode)
        return {0, Error::make(ErrorKind::Local, ErrorCode::NotSupported, QStringLiteral("channels are not available in raw mode"))};
    if (channel.isEmpty())
        return {0, Error::make(ErrorKind::Local, ErrorCode::InvalidArgument, QStringLiteral("empty channel name"))};
    const quint64 id = requests.nextId();
    PendingRequest pending;
    pending.kind = kind;
    pending.channel = channel;
    pending.retryable = true;  // sub/unsub are idempotent
    const bool subscribing = kind == RequestKind::Subscribe;
    const Protocol::Frame frame = subscribing ? Protocol::Frame(Protocol::Sub{id, channel})
                                              : Protocol::Frame(Protocol::Unsub{id, channel});
    RequestResult result = addRequest(now, frame, id, std::move(pending), options.requestTimeout);
    if (result.ok()) {
        if (subscribing)
            channels.want(channel, id);
        else
            channels.unwant(channel);
        journal.channelsChanged();
    }
    return result;
}

// ---- options --------------------------------------------------------------------------

QStringList Connection::Private::deferredNames() const
{
    QStringList names;
    if (!pending)
        return names;
    for (const DeferredField &f : kPerSocket)
        if (!f.same(options, *pending))
            names.append(f.name);
    for (const DeferredField &f : kEncoding)
        if (!f.same(options, *pending))
            names.append(f.name);
    return names;
}

void Connection::Private::applyDeferred()
{
    if (!pending)
        return;
    if (socket != Socket::None) {
        if (deferredNames().isEmpty())
            pending.reset();  // nothing actually differs: no socket needs to go first
        return;
    }
    for (const DeferredField &f : kPerSocket)
        f.copy(options, *pending);
    if (outbox.count() == 0) {
        const bool toRaw = !options.rawMode && pending->rawMode;
        const Protocol::Codec *from = codec;
        for (const DeferredField &f : kEncoding)
            f.copy(options, *pending);
        codec = options.rawMode ? nullptr : &Protocol::codecFor(options.codec);
        if (toRaw)
            requests.failAll(Error::make(ErrorKind::Local, ErrorCode::NotSupported,
                                         QStringLiteral("requests are not available in raw mode")));
        else if (from && codec && from != codec)
            requests.reencode(*from, *codec);
    }
    if (deferredNames().isEmpty())
        pending.reset();
}

OptionsResult Connection::Private::reconfigure(TimePoint now, Options next)
{
    next.random = options.random;
    next.maxInFlight = cappedInFlight(next.maxInFlight);
    const bool tokenWanted = options.useToken && !options.rawMode;
    if (next.urls != options.urls)
        urlIndex = 0;  // as setUrls()
    // Everything now but the deferred fields, which keep the value in effect until
    // applyDeferred() finds their moment (possibly right below).
    Options live = next;
    for (const DeferredField &f : kPerSocket)
        f.copy(live, options);
    for (const DeferredField &f : kEncoding)
        f.copy(live, options);
    options = std::move(live);  // the same object: the concerns' references stay valid
    pending = std::move(next);
    applyDeferred();
    if (options.durability != Durability::Memory)
        journal.engage();

    // Re-arm what is running from the moment it counts from. A deadline already past is
    // due now, not in the past: noteTime() would take a past deadline for a time jump.
    const auto due = [now](TimePoint at) { return std::max(at, now); };
    if (socket != Socket::None && !welcomed) {
        if (options.handshakeTimeout.count() > 0)
            timers.set(Timer::Handshake, due(handshakeFrom + options.handshakeTimeout));
        else
            timers.clear(Timer::Handshake);
    }
    if (timers.get(Timer::Stable)) {
        if (options.stablePeriod.count() > 0) {
            timers.set(Timer::Stable, due(connectedAt + options.stablePeriod));
        } else {
            timers.clear(Timer::Stable);
            backoff.reset();
            token.reset();
        }
    }
    if (heartbeat.running()) {
        if (!heartbeatFromServer)
            heartbeatInterval = options.heartbeatInterval;
        heartbeat.reconfigure(now, heartbeatInterval, options.heartbeatTimeout,
                              heartbeat.probeTimeout(options.probeTimeout, options.probeTimeoutFloor), timers);
    }
    inbound.reconfigure(now, timers);
    if (socket == Socket::Open && welcomed && inbound.ackOwedNow())
        flushAck();
    // A token question no longer needed: connect without one now rather than wait for an
    // answer that would be thrown away.
    if (tokenWanted && !(options.useToken && !options.rawMode) && token.pending() && state == State::Connecting) {
        token.cancel(timers);
        if (apply(Input::TokenReady))
            openSocket(now);
    }

    OptionsResult result;
    result.deferred = deferredNames();
    result.queueOverBound = outbox.count() > options.maxQueuedMessages || outbox.bytes() > options.maxQueuedBytes;
    if (!result.deferred.isEmpty())
        qCDebug(lcEngine, "options deferred: %s", qUtf8Printable(result.deferred.join(QLatin1StringView(", "))));
    return result;
}

OptionsResult Connection::setOptions(TimePoint now, Options options)
{
    d->noteTime(now);
    if (std::optional<Error> error = validateOptions(options)) {
        OptionsResult refused;
        refused.error = std::move(error);
        return refused;
    }
    return d->reconfigure(now, std::move(options));
}

// ---- persistence (persist.h, journal_p.h) ----------------------------------------------

namespace {

// A payload value encoded alone by `codec`: wrapped in a bare msg and decoded, so no
// second decoder of payloads exists next to the codec's.
std::optional<QCborValue> decodePayload(const Protocol::Codec &codec, QByteArrayView encoded)
{
    QByteArray frame;
    codec.encodeMsg(Protocol::MsgHeader{}, encoded, frame);
    Protocol::DecodeResult decoded = codec.decode(frame);
    if (!decoded.ok())
        return std::nullopt;
    auto *msg = std::get_if<Protocol::Msg>(&*decoded.frame);
    if (!msg)
        return std::nullopt;
    return std::move(msg->d);
}

} // namespace

void Connection::Private::flushJournal()
{
    if (!journal.active())
        return;
    Journal::Pending p = journal.take();
    PersistBatch batch;
    std::vector<quint64> putSerials;
    batch.put.reserve(p.puts.size());
    putSerials.reserve(p.puts.size());
    for (quint64 serial : p.puts) {
        if (std::optional<StoredMessage> m = outbox.takeStored(serial)) {
            putSerials.push_back(serial);
            batch.put.push_back(std::move(*m));
        }
    }
    batch.seqs = std::move(p.seqs);
    batch.removed = std::move(p.removed);
    if (p.session)
        batch.session = session.stored();
    if (p.channels)
        batch.channels = channels.desired();
    batch.recentIdCapacity = options.recentIdWindow;
    batch.recentIds = std::move(p.recentIds);
    if (batch.recentIds.size() > batch.recentIdCapacity)
        batch.recentIds.remove(0, batch.recentIds.size() - batch.recentIdCapacity);
    batch.sync = p.sync;
    if (batch.isEmpty())
        return;  // everything it held cancelled out
    batch.number = journal.nextNumber();
    journal.emitted(batch.number, std::move(putSerials));
    sink.act(std::move(batch));
}

RestoreResult Connection::Private::restore(TimePoint now, const Snapshot &snapshot)
{
    const auto refuse = [](const QString &why) {
        return RestoreResult{0, Error::make(ErrorKind::Local, ErrorCode::InvalidArgument,
                                            QStringLiteral("restore() refused: ") + why)};
    };
    if (state != State::Idle)
        return refuse(QStringLiteral("only before the first open()"));
    if (restored)
        return refuse(QStringLiteral("already restored"));
    if (outbox.count() > 0)
        return refuse(QStringLiteral("the outbox is not empty"));
    if (journal.degraded())
        return refuse(QStringLiteral("the store already failed"));
    for (size_t i = 0; i < snapshot.messages.size(); ++i) {
        const StoredMessage &m = snapshot.messages[i];
        if (m.serial == 0 || (i > 0 && m.serial <= snapshot.messages[i - 1].serial))
            return refuse(QStringLiteral("messages not in ascending serial order"));
        if (m.id.isEmpty())
            return refuse(QStringLiteral("a message without id"));
    }

    restored = true;
    journal.engage();
    // Raw mode has no session; raw frames do not depend on the codec.
    const bool resume = snapshot.sameEndpoint && !snapshot.rawMode && !options.rawMode;
    const bool sameFormat = snapshot.rawMode == options.rawMode
        && (options.rawMode || snapshot.codec == options.codec);
    const Protocol::Codec &oldCodec = Protocol::codecFor(snapshot.codec);

    qsizetype count = 0;
    std::vector<Rejected> refused;
    for (const StoredMessage &stored : snapshot.messages) {
        if (sameFormat) {
            outbox.restoreEntry(now, stored, stored.payload, stored.has(StoredMessage::Shared),
                                stored.has(StoredMessage::Binary));
            ++count;
            continue;
        }
        // Another format: the value back, then encoded as send() would now.
        std::optional<QCborValue> value;
        if (snapshot.rawMode)
            value = stored.has(StoredMessage::Binary) ? QCborValue(stored.payload)
                                                      : QCborValue(QString::fromUtf8(stored.payload));
        else if (stored.has(StoredMessage::Shared))
            value = QCborValue(stored.payload);
        else
            value = decodePayload(oldCodec, stored.payload);
        QString error;
        QByteArray encoded;
        bool binary = false;
        bool shared = false;
        if (!value) {
            error = QStringLiteral("the stored payload does not decode with the codec it was stored with");
        } else if (options.rawMode) {
            if (!stored.channel.isEmpty())
                error = QStringLiteral("channels are not available in raw mode");
            else if (value->isByteArray())
                encoded = value->toByteArray(), binary = true;
            else if (value->isString())
                encoded = value->toString().toUtf8();
            else
                error = QStringLiteral("raw mode sends byte arrays or strings only");
        } else if (value->isByteArray() && codec->kind() == Protocol::CodecKind::Cbor
                   && value->toByteArray().size() >= Outbox::kShareBytesFrom) {
            encoded = value->toByteArray();
            shared = binary = true;
        } else {
            codec->encodeValue(*value, encoded, &error);
        }
        if (!error.isEmpty()) {
            refused.push_back(Rejected{stored.id, Error::make(ErrorKind::Local, ErrorCode::NotSupported, error)});
            journal.removed(stored.serial);
            continue;
        }
        StoredMessage m = stored;
        if (options.rawMode) {
            m.flags &= quint16(~StoredMessage::Reliable);  // raw mode has no reliable messages
            m.seq = 0;
        }
        outbox.restoreEntry(now, m, encoded, shared, binary);
        // The row holds the old encoding: written again whole, in the current one.
        outbox.rejournal(m.serial);
        ++count;
    }
    session.restore(snapshot.session, resume);
    if (!options.rawMode)  // no channels without the envelope
        channels.restoreDesired(snapshot.channels);
    inbound.restoreIds(snapshot.recentIds);
    for (Rejected &r : refused)
        sink.post(std::move(r));
    // A deadline that passed while the process was gone: the usual Expired rule, now.
    outbox.expireDue(now);
    return {count, std::nullopt};
}

void Connection::handlePersisted(TimePoint now, quint64 number, std::optional<Error> error)
{
    d->noteTime(now);
    if (error) {
        if (!d->journal.active())
            return;  // already degraded (later batches fail too), or persistence never on
        d->journal.fail();
        d->sink.stats.storageDegraded = true;
        Error report = std::move(*error);
        report.kind = ErrorKind::Local;
        report.code = ErrorCode::StorageError;
        report.fatal = false;
        qCDebug(lcEngine, "store failed, persistence is off: %s", qUtf8Printable(report.message));
        d->sink.reportError(report);
        return;
    }
    const std::optional<std::vector<quint64>> serials = d->journal.durable(number);
    if (!serials)
        return;
    for (quint64 serial : *serials) {
        if (std::optional<QString> id = d->outbox.liveId(serial)) {
            ++d->sink.stats.persisted;
            d->sink.post(Persisted{std::move(*id)});
        }
    }
}

void Connection::flushPersistence(TimePoint now)
{
    d->noteTime(now);
    d->flushJournal();
}

RestoreResult Connection::restore(TimePoint now, const Snapshot &snapshot)
{
    d->noteTime(now);
    return d->restore(now, snapshot);
}

std::vector<QueuedMessage> Connection::queuedMessages() const
{
    std::vector<QueuedMessage> out;
    for (Outbox::Queued &q : d->outbox.queued()) {
        QueuedMessage m;
        m.id = std::move(q.id);
        m.channel = std::move(q.channel);
        if (d->options.rawMode)
            m.payload = q.binary ? QCborValue(q.payload) : QCborValue(QString::fromUtf8(q.payload));
        else if (q.shared)
            m.payload = QCborValue(q.payload);
        else
            m.payload = decodePayload(*d->codec, q.payload).value_or(QCborValue());
        out.push_back(std::move(m));
    }
    return out;
}

// ---- Connection ---------------------------------------------------------------------

Connection::Connection(Options options) : d(std::make_unique<Private>(std::move(options))) {}
Connection::~Connection() = default;

State Connection::state() const { return d->state; }
const Options &Connection::options() const { return d->options; }
qsizetype Connection::queueDepth() const { return d->outbox.count(); }
qsizetype Connection::queueBytes() const { return d->outbox.bytes(); }
std::optional<RttDuration> Connection::lastRtt() const { return d->sink.stats.lastRtt; }
QString Connection::sessionId() const { return d->session.sid(); }
std::optional<Error> Connection::lastError() const { return d->sink.lastError; }
QStringList Connection::channels() const { return d->channels.desired(); }
ChannelStatus Connection::channelStatus(const QString &channel) const { return d->channels.status(channel); }
QStringList Connection::deferredOptions() const { return d->deferredNames(); }

Stats Connection::stats() const
{
    Stats s = d->sink.stats;
    s.queueDepth = d->outbox.count();
    s.queueBytes = d->outbox.bytes();
    s.inFlight = d->outbox.inFlight();
    s.pendingRequests = d->requests.size();
    return s;
}

void Connection::handleOpened(TimePoint now, QByteArrayView subprotocol)
{
    d->noteTime(now);
    if (d->socket != Private::Socket::Opening)
        return;
    d->socket = Private::Socket::Open;
    if (d->options.rawMode) {
        d->apply(Input::SocketOpened);
        d->welcomed = true;
        d->timers.clear(Timer::Handshake);
        if (!d->apply(Input::Welcome))
            return;
        d->connectionUp(now, std::nullopt);
        d->sink.post(Connected{false, QString()});
        return;
    }
    const std::optional<Protocol::Subprotocol> negotiated = Protocol::parseSubprotocol(subprotocol);
    const bool offered = negotiated && negotiated->codec == d->options.codec
        && (negotiated->version == Protocol::Version::V1 || d->options.maxProtocol == Protocol::Version::V1_1)
        && (!negotiated->deflate || d->options.compression);
    if (!offered) {
        d->fail(now, Error::make(ErrorKind::Remote, ErrorCode::ProtocolMismatch,
            QStringLiteral("the server picked no Tether subprotocol (got \"%1\")")
                .arg(QString::fromLatin1(subprotocol.first(std::min<qsizetype>(64, subprotocol.size()))))));
        return;
    }
    d->batching = negotiated->version == Protocol::Version::V1_1;
    d->compressing = negotiated->deflate;
    d->deflater.reset();
    d->inflater.reset();
    d->apply(Input::SocketOpened);
    Protocol::Hello hello;
    d->session.fillHello(hello);
    if (d->options.useToken)
        hello.token = d->token.token();
    if (!d->options.agent.isEmpty())
        hello.agent = d->options.agent;
    d->sendFrame(hello);
}

void Connection::handleFrame(TimePoint now, QByteArrayView bytes, bool isBinary)
{
    d->noteTime(now);
    if (d->socket != Private::Socket::Open)
        return;
    d->sink.stats.bytesIn += quint64(bytes.size());
    d->heartbeat.signOfLife(d->timers);
    if (d->options.rawMode) {
        if (d->state == State::Connected) {
            MessageReceived message;
            message.payload = isBinary ? QCborValue(bytes.toByteArray())
                                       : QCborValue(QString::fromUtf8(bytes));
            d->deliver(std::move(message));
        }
        return;
    }
    if (bytes.size() > d->options.maxIncomingFrame) {
        d->protocolError(now, QStringLiteral("incoming frame of %1 bytes exceeds the limit").arg(bytes.size()), 1009);
        return;
    }
    // §10.5: a compressed batch is inflated here by the socket's inflate stream (bounded by
    // the same limit) and then read like any other message of the connection's codec.
    Protocol::InflatedBatch inflated;
    if (d->compressing && isBinary && Protocol::isCompressedMessage(bytes)) {
        if (!d->inflater)
            d->inflater = std::make_unique<Protocol::BatchInflater>();
        inflated = d->inflater->inflate(bytes, d->options.maxIncomingFrame);
        if (!inflated.ok()) {
            d->protocolError(now, inflated.error, inflated.tooLarge ? 1009 : 1002);
            return;
        }
        ++d->sink.stats.compressedReceived;
        bytes = inflated.batch;
        isBinary = d->codec->usesBinaryFrames();
    }
    const Protocol::Version version = d->batching ? Protocol::Version::V1_1 : Protocol::Version::V1;
    if (!Protocol::acceptsMessageKind(d->codec->kind(), version, isBinary)) {
        d->protocolError(now, isBinary ? QStringLiteral("binary frame on a JSON connection")
                                       : QStringLiteral("text frame on a CBOR connection"), 1003);
        return;
    }
    if (!d->batching) {
        Protocol::DecodeResult decoded = d->codec->decode(bytes);
        if (!decoded.ok()) {
            d->protocolError(now, decoded.error);
            return;
        }
        d->handleOneFrame(now, *decoded.frame);
        return;
    }
    // v1.1: each frame of the batch as if it came alone; stop when one of them (or its
    // handling) cost us the socket.
    Protocol::BatchReader reader(*d->codec, bytes);
    while (!reader.atEnd() && d->socket == Private::Socket::Open) {
        Protocol::DecodeResult decoded = reader.next();
        if (!decoded.ok()) {
            d->protocolError(now, decoded.error);
            return;
        }
        d->handleOneFrame(now, *decoded.frame);
    }
}

void Connection::Private::handleOneFrame(TimePoint now, Protocol::Frame &frame)
{
    if (!welcomed) {
        if (auto *welcome = std::get_if<Protocol::Welcome>(&frame))
            onWelcome(now, *welcome);
        else if (auto *error = std::get_if<Protocol::ErrorFrame>(&frame))
            onErrorFrame(*error);
        else
            protocolError(now, QStringLiteral("%1 before welcome").arg(Protocol::frameTypeName(frame)));
        return;
    }
    session.frameArrived(std::holds_alternative<Protocol::Nack>(frame));
    if (auto *msg = std::get_if<Protocol::Msg>(&frame)) {
        onMsg(now, std::move(*msg));
    } else if (auto *ack = std::get_if<Protocol::Ack>(&frame)) {
        if (const QString error = outbox.ack(ack->seq); !error.isEmpty())
            protocolError(now, error);
    } else if (auto *nack = std::get_if<Protocol::Nack>(&frame)) {
        Error error = Error::make(ErrorKind::Remote, ErrorCode::Rejected, nack->err.msg);
        error.remoteCode = nack->err.code;
        if (nack->err.data)
            error.data = *nack->err.data;
        if (const QString bad = outbox.nack(nack->seq, error); !bad.isEmpty())
            protocolError(now, bad);
    } else if (auto *res = std::get_if<Protocol::Res>(&frame)) {
        std::optional<Error> error;
        QCborValue result;
        if (auto *err = std::get_if<Protocol::ErrorObject>(&res->result)) {
            error = Error::make(ErrorKind::Remote, ErrorCode::Rejected, err->msg);
            error->remoteCode = err->code;
            if (err->data)
                error->data = *err->data;
        } else {
            result = std::get<QCborValue>(res->result);
        }
        if (!requests.finish(res->id, std::move(result), std::move(error), connectionNo))
            qCDebug(lcEngine, "ignoring res for request %llu: not pending on this connection", qulonglong(res->id));
    } else if (auto *errorFrame = std::get_if<Protocol::ErrorFrame>(&frame)) {
        onErrorFrame(*errorFrame);
    } else {
        protocolError(now, QStringLiteral("unexpected %1 from the server").arg(Protocol::frameTypeName(frame)));
    }
}

void Connection::handleClosed(TimePoint now, int code, QStringView reason)
{
    d->noteTime(now);
    if (d->socket == Private::Socket::None)
        return;
    d->closedByServer(now, code, reason.toString());
}

void Connection::handleTransportError(TimePoint now, QStringView message, bool permanent)
{
    d->noteTime(now);
    if (d->socket == Private::Socket::None)
        return;
    if (d->state == State::Connected)
        d->sink.post(Disconnected{1006, message.toString()});
    d->socketGone();
    const Error error = Error::make(ErrorKind::Transport, ErrorCode::TransportError, message.toString());
    if (permanent) {
        d->teardown();
        d->fail(now, error);
        return;
    }
    d->linkLost(now, error);
}

void Connection::handlePong(TimePoint now)
{
    d->noteTime(now);
    if (d->socket != Private::Socket::Open)
        return;
    if (const auto rtt = d->heartbeat.pong(now, d->timers)) {
        Stats &stats = d->sink.stats;
        stats.lastRtt = *rtt;
        stats.minRtt = stats.minRtt ? std::min(*stats.minRtt, *rtt) : *rtt;
        stats.smoothedRtt = d->heartbeat.smoothedRtt();
        d->sink.post(Heartbeat{*rtt});
    }
    if (d->welcomed)
        d->session.pongArrived();
}

void Connection::handleTimeout(TimePoint now)
{
    d->noteTime(now);
    for (int i = 0; i < kTimerCount; ++i) {
        const Timer timer = Timer(i);
        if (timer == Timer::Persist) {
            // Per-item deadlines first, so what they end is in the batch (removals cancel puts).
            d->requests.expireDue(now);
            d->outbox.expireDue(now);
        }
        if (d->timers.take(timer, now))
            d->timerFired(now, timer);
    }
}

// One case per timer, no default: a new Timer does not compile unhandled (-Wswitch).
void Connection::Private::timerFired(TimePoint now, Timer timer)
{
    switch (timer) {
    case Timer::Token:
        tokenFailure(now, QStringLiteral("the token provider did not answer in time"));
        return;
    case Timer::Handshake:
        if (socket == Socket::None)
            return;
        loseSocket(AbortSocket{}, 1006, QStringLiteral("handshake timeout"));
        linkLost(now, Error::make(ErrorKind::Timeout, ErrorCode::HandshakeTimeout,
                                  QStringLiteral("no welcome within the handshake timeout")));
        return;
    case Timer::Retry:
        if (apply(Input::RetryDue))
            startAttempt(now);
        return;
    case Timer::Liveness:
        if (socket != Socket::Open)
            return;
        loseSocket(AbortSocket{}, 1006, QStringLiteral("heartbeat timeout"));
        linkLost(now, Error::make(ErrorKind::Timeout, ErrorCode::HeartbeatTimeout,
                                  QStringLiteral("nothing received within the heartbeat timeout")));
        return;
    case Timer::Ping:
        if (socket != Socket::Open || !welcomed)
            return;
        sink.act(SendPing{});
        heartbeat.pingSent(now, timers);
        return;
    case Timer::AckDelay:
        flushAck();
        return;
    case Timer::Stable:
        backoff.reset();
        token.reset();
        return;
    case Timer::ResumeSettle:
        session.settleDue();
        return;
    case Timer::Background:
        if (state == State::Idle || state == State::Closed || state == State::Failed)
            return;
        qCDebug(lcEngine, "in the background for the close delay: suspending");
        if (suspendNow(now))
            suspendedInBackground = true;
        return;
    case Timer::Persist:
        flushJournal();
        return;
    }
}

void Connection::open(TimePoint now)
{
    d->noteTime(now);
    d->suspendedInBackground = false;  // the app decides now
    const State before = d->state;
    if (!d->apply(Input::Open))
        return;
    if (before != State::Reconnecting) {
        d->backoff.reset();
        d->token.reset();
    }
    d->startAttempt(now);
}

void Connection::close(TimePoint now, bool keepOutbox)
{
    d->noteTime(now);
    d->suspendedInBackground = false;
    if (d->socket == Private::Socket::Open)
        d->loseSocket(CloseSocket{1000, QString()}, 1000, QStringLiteral("closed by the app"));
    else
        d->loseSocket(AbortSocket{}, 1000, QStringLiteral("closed by the app"));
    if (!d->apply(Input::Close))
        return;
    // Closed, not ConnectionLost: the app ended them (before teardown() would).
    d->requests.failAll(Error::make(ErrorKind::Local, ErrorCode::Closed, QStringLiteral("closed by the app")));
    d->teardown();
    d->token.cancel(d->timers);
    d->timers.clearAll();
    d->session.end(keepOutbox);
    d->journal.dueNow();
    d->retryAfter.reset();
}

void Connection::suspend(TimePoint now)
{
    d->noteTime(now);
    d->suspendedInBackground = false;
    d->suspendNow(now);
}

bool Connection::Private::suspendNow(TimePoint now)
{
    Q_UNUSED(now);  // for symmetry with the other transitions: nothing here counts time
    // 1001, not 1000: the server detaches the session and keeps it (docs/protocol.md §3).
    if (socket == Socket::Open)
        loseSocket(CloseSocket{1001, QStringLiteral("going away")}, 1001, QStringLiteral("suspended by the app"));
    else
        loseSocket(AbortSocket{}, 1001, QStringLiteral("suspended by the app"));
    if (!apply(Input::Suspend))
        return false;
    // As a lost link: the outbox rewinds for a retransmission, requests on the wire end
    // (ConnectionLost unless retryable). Unlike close(): sid, outbox and inbound position stay.
    teardown();
    token.cancel(timers);
    timers.clearAll();
    journal.dueNow();
    retryAfter.reset();
    return true;
}

void Connection::setUrls(const QList<QUrl> &urls)
{
    d->options.urls = urls;
    d->urlIndex = 0;
}

QByteArray &Connection::Private::freshScratch()
{
    // Kept between sends (clear() would free it), unless a large payload grew it.
    if (scratch.capacity() > kScratchKeep)
        scratch = QByteArray();
    else
        scratch.truncate(0);
    return scratch;
}

std::optional<Error> Connection::Private::refuseRaw(const SendOptions &sendOptions) const
{
    // docs/protocol.md §9: channels do not exist without the envelope; refusing beats
    // silently sending a publication nobody will route.
    if (!sendOptions.channel.isEmpty())
        return Error::make(ErrorKind::Local, ErrorCode::NotSupported,
                           QStringLiteral("channels are not available in raw mode"));
    return std::nullopt;
}

SendResult Connection::Private::queueEncoded(TimePoint now, QByteArrayView encoded, bool binary,
                                             const SendOptions &sendOptions)
{
    return queueMessage(encoded.size(), sendOptions, [&](const QString &id, bool reliable) {
        return outbox.push(now, id, encoded, sendOptions, reliable, binary);
    });
}

SendResult Connection::send(TimePoint now, const QCborValue &payload, const SendOptions &options)
{
    if (payload.isString())
        return sendText(now, payload.toString(), options);
    if (payload.isByteArray())
        return sendBytes(now, payload.toByteArray(), options);
    d->noteTime(now);
    if (d->options.rawMode) {
        if (auto refused = d->refuseRaw(options))
            return {{}, std::move(refused)};
        return {{}, Error::make(ErrorKind::Local, ErrorCode::NotSupported,
                                QStringLiteral("raw mode sends byte arrays or strings only"))};
    }
    QByteArray &encoded = d->freshScratch();
    QString error;
    if (!d->codec->encodeValue(payload, encoded, &error))
        return {{}, Error::make(ErrorKind::Local, ErrorCode::NotSupported, error)};
    return d->queueEncoded(now, encoded, false, options);
}

SendResult Connection::sendText(TimePoint now, QStringView text, const SendOptions &options)
{
    d->noteTime(now);
    QByteArray &encoded = d->freshScratch();
    if (d->options.rawMode) {
        if (auto refused = d->refuseRaw(options))
            return {{}, std::move(refused)};
        encoded = text.toUtf8();
    } else {
        d->codec->encodeText(text, encoded);
    }
    return d->queueEncoded(now, encoded, false, options);
}

SendResult Connection::sendBytes(TimePoint now, const QByteArray &bytes, const SendOptions &options)
{
    d->noteTime(now);
    if (d->options.rawMode) {
        if (auto refused = d->refuseRaw(options))
            return {{}, std::move(refused)};
    }
    // Sharing pays for its side-table entry only on large payloads; a small one is copied
    // into the entry's one allocation.
    const bool shareable = d->options.rawMode || d->codec->kind() == Protocol::CodecKind::Cbor;
    if (bytes.size() >= Outbox::kShareBytesFrom && shareable) {
        return d->queueMessage(bytes.size(), options, [&](const QString &id, bool reliable) {
            return d->outbox.pushShared(now, id, bytes, options, reliable, true);
        });
    }
    if (d->options.rawMode)
        return d->queueEncoded(now, bytes, true, options);
    const qsizetype encodedSize = d->codec->encodedBytesSize(bytes.size());
    if (encodedSize == 0) {  // JSON: refused with the codec's own words
        QByteArray unused;
        QString error;
        d->codec->encodeBytes(bytes, unused, &error);
        return {{}, Error::make(ErrorKind::Local, ErrorCode::NotSupported, error)};
    }
    // Encoded straight into the message's allocation (a 64-byte message's hot path).
    struct Context {
        const Protocol::Codec *codec;
        const QByteArray &bytes;
    } context{d->codec, bytes};
    const auto write = [](char *at, const void *c) {
        const auto *ctx = static_cast<const Context *>(c);
        ctx->codec->writeEncodedBytes(ctx->bytes, at);
    };
    return d->queueMessage(encodedSize, options, [&](const QString &id, bool reliable) {
        return d->outbox.pushWritten(now, id, encodedSize, write, &context, options, reliable, false);
    });
}

RequestResult Connection::request(TimePoint now, const QString &method, const QCborValue &params,
                                  const RequestOptions &options)
{
    d->noteTime(now);
    if (d->options.rawMode)
        return {0, Error::make(ErrorKind::Local, ErrorCode::NotSupported, QStringLiteral("requests are not available in raw mode"))};
    if (method.isEmpty())
        return {0, Error::make(ErrorKind::Local, ErrorCode::InvalidArgument, QStringLiteral("empty method name"))};
    const quint64 id = d->requests.nextId();
    Protocol::Req req;
    req.id = id;
    req.m = method;
    if (!params.isUndefined())
        req.d = params;
    PendingRequest pending;
    pending.retryable = options.retryable;
    const Duration timeout = options.timeout.count() < 0 ? d->options.requestTimeout : options.timeout;
    return d->addRequest(now, req, id, std::move(pending), timeout);
}

bool Connection::cancelRequest(TimePoint now, quint64 id)
{
    d->noteTime(now);
    return d->requests.finish(id, {}, Error::make(ErrorKind::Local, ErrorCode::Closed,
                                                  QStringLiteral("cancelled by the app"))).has_value();
}

RequestResult Connection::subscribe(TimePoint now, const QString &channel)
{
    d->noteTime(now);
    return d->channelRequest(now, RequestKind::Subscribe, channel);
}

RequestResult Connection::unsubscribe(TimePoint now, const QString &channel)
{
    d->noteTime(now);
    return d->channelRequest(now, RequestKind::Unsubscribe, channel);
}

void Connection::provideToken(TimePoint now, const QString &token)
{
    d->noteTime(now);
    if (!d->token.pending() || d->state != State::Connecting)
        return;
    d->token.answered(token, d->timers);
    if (d->apply(Input::TokenReady))
        d->openSocket(now);
}

void Connection::tokenFailed(TimePoint now, QStringView reason)
{
    d->noteTime(now);
    d->tokenFailure(now, reason.toString());
}

void Connection::notifyNetworkChanged(TimePoint now)
{
    d->noteTime(now);
    d->probe(now);
}

void Connection::notifyAppResumed(TimePoint now)
{
    d->noteTime(now);
    d->timers.clear(Timer::Background);
    if (d->suspendedInBackground) {
        d->suspendedInBackground = false;
        open(now);  // resumes the session when the server still has it
        return;
    }
    d->probe(now);
}

void Connection::notifyAppBackground(TimePoint now)
{
    d->noteTime(now);
    if (d->options.backgroundCloseDelay.count() < 0 || d->suspendedInBackground)
        return;
    if (d->state == State::Idle || d->state == State::Closed || d->state == State::Failed)
        return;
    d->timers.setEarlier(Timer::Background, now + d->options.backgroundCloseDelay);
}

bool Connection::isSuspendedInBackground() const { return d->suspendedInBackground; }

std::optional<TimePoint> Connection::retryAt() const
{
    if (d->state != State::Reconnecting)
        return std::nullopt;
    return d->timers.get(Timer::Retry);
}

void Connection::setProgressEvents(bool on) { d->options.progressEvents = on; }

void Connection::setTransportReady(bool ready) { d->transportReady = ready; }

void Connection::recycle(QByteArray &&frameBytes)
{
    d->keepSpare(std::move(frameBytes));
}

void Connection::Private::keepSpare(QByteArray &&bytes)
{
    if (!bytes.isDetached() || bytes.capacity() > kMaxRecycledFrame)
        return;
    // In place of the smaller spare, when larger.
    QByteArray &smaller = spareFrames[0].capacity() <= spareFrames[1].capacity() ? spareFrames[0] : spareFrames[1];
    if (bytes.capacity() > smaller.capacity())
        smaller = std::move(bytes);
}

QByteArray *Connection::Private::largestSpare()
{
    return &(spareFrames[0].capacity() >= spareFrames[1].capacity() ? spareFrames[0] : spareFrames[1]);
}

bool Connection::batching() const { return d->batching; }

bool Connection::batchDue() const
{
    return d->batching && d->queuedSincePoll >= d->options.batchBytes && d->mayTakeData();
}

std::optional<Action> Connection::pollAction()
{
    if (d->journal.flushNow())
        d->flushJournal();
    std::optional<Action> action;
    if (d->carried) {
        action = std::move(*d->carried);
        d->carried.reset();
    } else if (!d->sink.actions.empty()) {
        action = std::move(d->sink.actions.front());
        d->sink.actions.pop_front();
    } else if (auto frame = d->nextDataFrame()) {
        action = std::move(*frame);
    } else {
        d->queuedSincePoll = 0;  // all that may leave has left
    }
    if (auto *frame = action ? std::get_if<SendFrame>(&*action) : nullptr) {
        if (d->batching) {
            d->coalesce(*frame);
            // JSON too: no UTF-16 round trip through a text message on either side.
            frame->binary = Protocol::sendsBinary(d->codec->kind(), Protocol::Version::V1_1);
        }
        if (d->compressing)
            d->compress(*frame);
        d->sink.stats.bytesOut += quint64(frame->bytes.size());
    }
    return action;
}

bool Connection::Private::mayTakeData() const
{
    return state == State::Connected && socket == Socket::Open && welcomed && transportReady;
}

std::optional<SendFrame> Connection::Private::nextDataFrame()
{
    if (mayTakeData())
        return outbox.takeNext(codec, maxFrame, largestSpare());
    return std::nullopt;
}

// v1.1 (docs/protocol.md §10.2): appends to `batch` every frame that waits right behind it,
// in order, while the batch stays within batchBytes, the server's maxFrame and
// kMaxBatchFrames. A non-frame action (ping, close, persist) ends the batch so it keeps its
// place. A frame the outbox yielded that does not fit is carried to the next call.
void Connection::Private::coalesce(SendFrame &batch)
{
    qsizetype bound = std::max<qsizetype>(options.batchBytes, 1);
    if (maxFrame)
        bound = qsizetype(std::min<quint64>(quint64(bound), *maxFrame));
    const Protocol::CodecKind kind = codec->kind();
    const qsizetype separator = Protocol::batchSeparatorSize(kind);
    for (int frames = 1; frames < Protocol::kMaxBatchFrames; ++frames) {
        if (!sink.actions.empty()) {
            auto *next = std::get_if<SendFrame>(&sink.actions.front());
            if (!next || batch.bytes.size() + separator + next->bytes.size() > bound)
                return;
            Protocol::appendBatchSeparator(kind, batch.bytes);
            batch.bytes.append(next->bytes);
            sink.actions.pop_front();
            continue;
        }
        // Data frames are encoded straight into the batch (no buffer per message).
        if (!mayTakeData())
            return;
        Outbox::Taken taken = outbox.takeNextInto(codec, maxFrame, batch.bytes, Protocol::batchSeparator(kind), bound,
                                                  largestSpare());
        if (!taken.any)
            return;
        if (taken.apart) {
            carried = std::move(taken.apart);
            return;
        }
    }
}

// §10.5: a batch of at least compressionThreshold bytes goes through the socket's deflate
// stream and MUST then leave compressed (a binary message), even when not smaller: the
// server's inflate stream has to see what ours took. Anything else leaves as it is.
void Connection::Private::compress(SendFrame &batch)
{
    if (batch.bytes.size() < options.compressionThreshold)
        return;
    if (!deflater)
        deflater = std::make_unique<Protocol::BatchDeflater>();
    QByteArray compressed = deflater->compress(batch.bytes);
    if (compressed.isEmpty())
        return;   // the deflater failed (out of memory): plain from now on
    ++sink.stats.compressedSent;
    keepSpare(std::exchange(batch.bytes, std::move(compressed)));  // the plain batch's buffer
    batch.binary = true;
}

std::optional<TimePoint> Connection::pollTimeout() const
{
    return d->earliest();
}

std::optional<Event> Connection::pollEvent()
{
    if (d->sink.events.empty())
        return std::nullopt;
    Event event = std::move(d->sink.events.front());
    d->sink.events.pop_front();
    return event;
}

} // namespace Tether::Engine
