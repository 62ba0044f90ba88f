// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Client's private part: the engine, the transport and the one timer. Not public API.
//
// Theory of operation: every input (a transport signal, the timer, an app command) is
// handed to the engine with `now` from the steady clock, then process() drains the
// engine's outputs in its documented order — actions to the transport, events to the
// app as signals — and re-arms the single timer at the engine's earliest deadline.
// Nothing here decides anything about the protocol.
//
// Tests replace the transport and the clock through client_testing_p.h (setTransport(),
// `clock`); nothing else differs between a test and a real run.
#pragma once

#include <Tether/client.h>

#include "networkwatch_p.h"
#include "store_p.h"
#include "transport_p.h"

#include <engine/connection.h>

#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace Tether {

// A channel name with its hash, computed once per lookup. The subscription table is probed
// for every incoming publication; QHash compares keys at each occupied slot it probes, and
// with many channel names of one length every such comparison is a whole-string compare.
// Comparing the hashes first leaves one string compare per lookup (the match) however many
// channels are subscribed (docs/benchmarks.md, dispatch).
struct ChannelKey
{
    explicit ChannelKey(const QString &channel)
        : name(channel), hash(qHash(channel, QHashSeed::globalSeed())) {}
    QString name;
    size_t hash;
    friend bool operator==(const ChannelKey &a, const ChannelKey &b)
    {
        return a.hash == b.hash && a.name == b.name;
    }
};
// Already seeded with the process's global seed, which is the one QHash uses.
inline size_t qHash(const ChannelKey &key, size_t = 0) noexcept { return key.hash; }

class ClientPrivate
{
public:
    ClientPrivate(Client *q, const ClientOptions &options, const QList<QUrl> &urls);
    ~ClientPrivate();

    static ClientPrivate *get(const Client *client) { return client->d.get(); }

    // The steady clock, unless a test injected its own (then the QTimer stays stopped and
    // the test fires the timer itself: real milliseconds mean nothing on a fake clock).
    Engine::TimePoint now() const { return clock ? clock() : Engine::Clock::now(); }
    // The time of a send(): while process() hands events to the app, the time read when it
    // began (as libuv's uv_now() is the loop's cached time per tick), so an app that sends
    // in its delivered() slot does not read the clock per message (a kvm-clock read costs
    // ~28 ns here, 5 % of a 64-byte message). Only send() uses it: a slot's work delays a
    // message's TTL start at most by that slot's own run time; transport events and timers
    // always read the clock (a nested event loop in a slot must not see time stand still).
    Engine::TimePoint sendTime() const { return dispatchTime ? *dispatchTime : now(); }
    std::optional<Engine::TimePoint> dispatchTime;

    // Replaces the transport (deleting the previous one) and wires its signals. Only while
    // no socket is attached: the constructor, or a test before open().
    void setTransport(Transport *transport);
    void createEngine();
    // The engine's options for `options`: Convert's, with persistence off unless a store
    // is open and writable (a client without a working store runs in memory).
    Engine::Options engineOptionsFor(const ClientOptions &options) const;

    // ---- the durable store (client_storage.cpp) ----
    // Opens options.storage before the engine is built, so the engine starts with the
    // right durability. Sets storageActive and keeps the snapshot for restoreStorage().
    void openStorage();
    // After createEngine(): hands the snapshot to the engine and posts, to the event loop,
    // the store's errors, restored(count) and the outcomes restore() already decided.
    void restoreStorage();
    // Writes what the engine has not handed to the store yet, waits for every write, and
    // releases the file (destructor, or setOptions() with another path).
    void closeStorage();
    void onPersisted(quint64 number, const QString &error);
    void storageFailed(const QString &message, Error::Code code = Error::StorageError);
    void process();
    void postFlush();
    void performActions();  // every action the engine has, held messages aside (backpressure)
    void updateWriteHeld();
    void onBytesWritten();
    void perform(Engine::Action &action);
    void dispatch(Engine::Event &event);
    void armTimer();
    void updateQueueDepth();
    // statsChanged(): due at most once per statsInterval after a change, on the one timer.
    void scheduleStats();
    std::optional<Engine::TimePoint> timerDeadline() const;
    void channelStatusChanged(const Engine::ChannelStatusChanged &change);
    // Follows the process's NetworkWatch while followNetwork, else lets it go
    // (setFollowNetwork()); networkReachableChanged() when that changes the answer.
    void updateNetworkWatch();
    bool networkReachable() const;
    void forgetSubscription(const QString &channel, Subscription *subscription);

    void onOpened(const QString &subprotocol);
    void onFrame(const QByteArray &bytes, bool binary);
    void onPong();
    void onClosed(int code, const QString &reason, const Error &error);
    void onTimeout();

    SendResult send(std::optional<QCborValue> payload, const SendOptions &options);
    SendResult sendBytes(const QByteArray &bytes, const SendOptions &options);
    // The engine's options of a send(): a shared constant for the defaults, else `converted`.
    const Engine::SendOptions &engineSendOptionsFor(const SendOptions &options, Engine::SendOptions &converted) const;
    SendResult sent(const Engine::SendResult &result);  // process(), then the public answer
    Reply *startRequest(const QString &method, Engine::RequestResult result);
    void requestToken(const Engine::TokenRequired &required);
    // One warning per client when a URL's query looks like it carries a credential.
    void warnAboutSecretsInUrls();

    Client *const q;
    ClientOptions options;
    // Client::setCompression()/setCompressionThreshold(): beside `options`, which cannot
    // grow without breaking the ABI.
    bool compression = false;
    qint64 compressionThreshold = Protocol::kDefaultCompressionThreshold;
    QList<QUrl> urls;
    std::unique_ptr<Engine::Connection> engine;
    Transport *transport = nullptr;
    QTimer timer;
    std::optional<Engine::TimePoint> armedDeadline;
    std::function<Engine::TimePoint()> clock;  // empty: Engine::Clock
    std::function<void(Engine::Options &)> adjustEngineOptions;  // tests only: before createEngine()

    // Transport state: signals from a socket the engine let go of are ignored.
    bool socketAttached = false;
    bool socketOpened = false;
    Error lastTransportError;
    QString subprotocol;

    // Re-entrancy: a slot connected to one of our signals may call send() etc.
    bool processing = false;
    bool processAgain = false;
    // Protocol v1.1: actions wait for the end of the event-loop turn so frames batch.
    bool flushPosted = false;
    bool flushing = false;
    // Something is connected to messageStatusChanged (checked once per pump, as the engine's
    // progress events are): statuses are emitted only then.
    bool statusListened = false;
    // Backpressure (docs/api.md): while the socket holds more than kWriteHighWater bytes
    // unwritten, messages wait in the outbox (engine->setTransportReady(false)); the
    // transport's bytesWritten() resumes. Qt's write buffer would otherwise take every
    // message at once, unbounded, and allocate a chunk per large frame.
    static constexpr qint64 kWriteHighWater = 256 * 1024;
    bool writeHeld = false;
    // Shared with callbacks that may outlive us (token provider, Reply cancel).
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);

    State state = State::Idle;
    Error error;
    int queueDepth = 0;
    QString sessionId;
    std::chrono::microseconds lastRtt{-1};
    quint64 tokenGeneration = 0;
    bool warnedAboutSecretUrl = false;
    bool followNetwork = false;           // Client::setFollowNetwork()
    QPointer<NetworkWatch> networkWatch;  // while followNetwork

    QHash<quint64, QPointer<Reply>> replies;
    // One per channel name while the app holds it (Subscription's destructor removes it).
    QHash<ChannelKey, Subscription *> subscriptions;
    std::optional<Engine::TimePoint> statsDue;  // statsChanged() is owed at this moment
    std::optional<Engine::TimePoint> lastStatsEmit;

    std::unique_ptr<Store> store;        // open while storage is configured and not refused
    bool storageActive = false;          // the store is open and writable: batches go to it
    int restoredCount = 0;
    std::optional<Engine::Snapshot> snapshotToRestore;
    QList<Error> storageErrors;          // from opening, reported once the event loop runs
    QString readOnlyMessage;             // the store opened read-only: the engine reports it
    quint64 storageGeneration = 0;       // one report per opening (restoreStorage())
};

} // namespace Tether
