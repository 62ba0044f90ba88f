// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Test harness for the sans-I/O engine: a fake clock, a fake transport that records every
// action, and a scriptable server side that encodes frames with the real codec.
//
// Time only moves when a test says so: advanceTo()/advance() step to each deadline the
// engine asked for (pollTimeout) and call handleTimeout() there, like a real event loop
// would, so no test sleeps. A server model (tst_engine_model.cpp) drives the same
// Harness through serverFrame()/takeSent().
#pragma once

#include <engine/connection.h>
#include <protocol/batch.h>
#include <protocol/compression.h>
#include <protocol/codec.h>

#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QStringList>

#include <map>
#include <memory>
#include <random>
#include <vector>

namespace EngineTest {

using namespace Tether::Engine;
namespace P = Tether::Protocol;
using std::chrono::milliseconds;

inline Options baseOptions(quint64 seed = 1)
{
    Options o;
    o.urls = {QUrl(QStringLiteral("ws://a.example/ws")), QUrl(QStringLiteral("ws://b.example/ws"))};
    auto rng = std::make_shared<std::mt19937_64>(seed);
    o.random = [rng] { return (*rng)(); };
    return o;
}

struct Harness {
    explicit Harness(Options o = baseOptions())
        : connection(std::make_unique<Connection>(std::move(o))),
          codec(&P::codecFor(connection->options().codec))
    {
    }

    std::unique_ptr<Connection> connection;
    const P::Codec *codec;
    // The version opened() negotiates: V1_1 makes takeSent() split batches.
    P::Version version = P::Version::V1;
    // v1.1 only: opened() negotiates the +deflate name (docs/protocol.md §10.5).
    bool deflate = false;
    // The server's two streams of the current socket (§10.5 context takeover): what
    // takeSent() inflates with (reset at each OpenSocket it reads) and what
    // serverCompressed() compresses with (reset by opened()).
    std::unique_ptr<P::BatchInflater> sentInflater = std::make_unique<P::BatchInflater>();
    std::unique_ptr<P::BatchDeflater> serverDeflater = std::make_unique<P::BatchDeflater>();
    TimePoint now{std::chrono::seconds(1000)};
    std::vector<Action> actions;  // everything polled, in order
    std::vector<Event> events;
    size_t actionsSeen = 0;       // takeSent() and friends consume from here

    Connection *operator->() { return connection.get(); }

    // Drains actions and events, as the Qt layer does after every call.
    void pump()
    {
        for (;;) {
            bool any = false;
            while (auto a = connection->pollAction()) {
                actions.push_back(std::move(*a));
                any = true;
            }
            while (auto e = connection->pollEvent()) {
                events.push_back(std::move(*e));
                any = true;
            }
            if (!any)
                return;
        }
    }

    // Moves the fake clock to `target`, firing every deadline on the way.
    void advanceTo(TimePoint target)
    {
        pump();
        while (auto due = connection->pollTimeout()) {
            if (*due > target)
                break;
            now = std::max(now, *due);
            connection->handleTimeout(now);
            pump();
        }
        now = std::max(now, target);
    }
    void advance(Duration d) { advanceTo(now + d); }

    // ---- transport side ----
    template <typename T>
    std::vector<T> actionsOf() const
    {
        std::vector<T> out;
        for (const auto &a : actions)
            if (auto *t = std::get_if<T>(&a))
                out.push_back(*t);
        return out;
    }
    template <typename T>
    int countActions() const { return int(actionsOf<T>().size()); }

    // Frames sent since the last call, decoded.
    std::vector<P::Frame> takeSent()
    {
        pump();
        std::vector<P::Frame> out;
        for (; actionsSeen < actions.size(); ++actionsSeen) {
            if (std::holds_alternative<OpenSocket>(actions[actionsSeen]))
                sentInflater = std::make_unique<P::BatchInflater>();
            if (auto *f = std::get_if<SendFrame>(&actions[actionsSeen])) {
                if (version == P::Version::V1) {
                    auto decoded = codec->decode(f->bytes);
                    if (decoded.ok())
                        out.push_back(std::move(*decoded.frame));
                    continue;
                }
                QByteArray bytes = f->bytes;
                if (deflate && f->binary && P::isCompressedMessage(bytes))
                    bytes = sentInflater->inflate(bytes, 1 << 30).batch;
                P::BatchReader reader(*codec, bytes);
                while (!reader.atEnd()) {
                    auto decoded = reader.next();
                    if (decoded.ok())
                        out.push_back(std::move(*decoded.frame));
                }
            }
        }
        return out;
    }
    template <typename T>
    std::vector<T> takeSentOf()
    {
        std::vector<T> out;
        for (auto &f : takeSent())
            if (auto *t = std::get_if<T>(&f))
                out.push_back(*t);
        return out;
    }

    void opened()
    {
        const QLatin1StringView name = P::subprotocolName(codec->kind(), version, deflate);
        serverDeflater = std::make_unique<P::BatchDeflater>();
        connection->handleOpened(now, QByteArray(name.data(), name.size()));
        pump();
    }
    // `batch` as the server's next compressed message on this socket.
    QByteArray serverCompressed(QByteArrayView batch) { return serverDeflater->compress(batch); }
    void serverFrame(const P::Frame &frame)
    {
        QByteArray bytes;
        codec->encode(frame, bytes);
        connection->handleFrame(now, bytes, codec->usesBinaryFrames());
        pump();
    }
    // v1.1: several frames in one message.
    void serverBatch(const std::vector<P::Frame> &frames)
    {
        QByteArray bytes;
        for (const P::Frame &frame : frames) {
            P::appendBatchSeparator(codec->kind(), bytes);
            codec->encode(frame, bytes);
        }
        connection->handleFrame(now, bytes, codec->usesBinaryFrames());
        pump();
    }
    void serverBytes(const QByteArray &bytes, bool binary)
    {
        connection->handleFrame(now, bytes, binary);
        pump();
    }
    void closed(int code, const QString &reason = QString())
    {
        connection->handleClosed(now, code, reason);
        pump();
    }
    P::Welcome welcome(const QString &sid = QStringLiteral("s1"), bool resumed = false, quint64 rx = 0)
    {
        P::Welcome w;
        w.sid = sid;
        w.resumed = resumed;
        w.rx = rx;
        return w;
    }
    // open() + socket opened + welcome: Connected on a new session.
    void connect(const QString &sid = QStringLiteral("s1"))
    {
        connection->open(now);
        pump();
        opened();
        takeSent();  // the hello; frames the welcome releases stay for the test
        serverFrame(welcome(sid));
    }

    // The link drops (1006), the backoff wait passes, the next socket opens: the engine
    // has sent its hello and waits for welcome.
    void dropAndReopen()
    {
        closed(1006);
        advanceTo(*connection->pollTimeout());
        opened();
    }

    // ---- app side ----
    template <typename T>
    std::vector<T> eventsOf() const
    {
        std::vector<T> out;
        for (const auto &e : events)
            if (auto *t = std::get_if<T>(&e))
                out.push_back(*t);
        return out;
    }
    template <typename T>
    int countEvents() const { return int(eventsOf<T>().size()); }
    void clearEvents() { events.clear(); }

    SendResult send(const QCborValue &payload, SendOptions o = {})
    {
        auto r = connection->send(now, payload, o);
        pump();
        return r;
    }
};

// The store, in memory: applies batches exactly as persist.h says a store must.
struct FakeStore {
    // Batch numbers restart at 1 with each Connection: call before feeding a new one.
    void newConnection() { applied = 0; }

    std::map<quint64, StoredMessage> rows;
    StoredSession session;
    QStringList channels;
    QStringList recentIds;
    quint64 applied = 0;
    int syncs = 0;
    QStringList violations;

    void apply(const PersistBatch &b)
    {
        if (b.number != applied + 1)
            violations.append(QStringLiteral("batch %1 after %2").arg(b.number).arg(applied));
        applied = b.number;
        for (const StoredMessage &m : b.put)
            rows[m.serial] = m;
        for (const auto &[serial, seq] : b.seqs) {
            const auto it = rows.find(serial);
            if (it != rows.end())
                it->second.seq = seq;
        }
        for (quint64 serial : b.removed)
            rows.erase(serial);
        if (b.session)
            session = *b.session;
        if (b.channels)
            channels = *b.channels;
        recentIds.append(b.recentIds);
        if (recentIds.size() > b.recentIdCapacity)
            recentIds.remove(0, recentIds.size() - b.recentIdCapacity);
        if (b.sync)
            ++syncs;
    }

    Snapshot snapshot(P::CodecKind codec, bool rawMode = false, bool sameEndpoint = true) const
    {
        Snapshot s;
        s.session = session;
        for (const auto &[serial, m] : rows)
            s.messages.push_back(m);
        s.channels = channels;
        s.recentIds = recentIds;
        s.codec = codec;
        s.rawMode = rawMode;
        s.sameEndpoint = sameEndpoint;
        return s;
    }
};

inline QCborValue text(const char *s) { return QCborValue(QString::fromUtf8(s)); }

// Outcome events per message id ("delivered", "rejected", "dropped:<Reason>", "sent"):
// every send must end with exactly one.
inline QHash<QString, QStringList> outcomes(const Harness &h)
{
    QHash<QString, QStringList> out;
    for (const auto &e : h.events) {
        if (auto *d = std::get_if<Delivered>(&e))
            out[d->id].append(QStringLiteral("delivered"));
        else if (auto *r = std::get_if<Rejected>(&e))
            out[r->id].append(QStringLiteral("rejected"));
        else if (auto *x = std::get_if<Dropped>(&e))
            out[x->id].append(QStringLiteral("dropped:") + dropReasonName(x->reason));
        else if (auto *s = std::get_if<Sent>(&e))
            out[s->id].append(QStringLiteral("sent"));
    }
    return out;
}

inline P::Msg serverMsg(std::optional<quint64> seq, const QString &id, const QCborValue &d,
                        const QString &ch = QString())
{
    P::Msg m;
    m.seq = seq;
    if (!id.isEmpty())
        m.id = id;
    if (!ch.isEmpty())
        m.ch = ch;
    m.d = d;
    return m;
}

} // namespace EngineTest
