// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The rig of tst_client_facade: a Client over a fake transport and a fake clock.
//
// FakeTransport records every call the Client makes (open, frame, ping, close, abort) and
// lets the test emit what a socket would; Rig plays the server with the real codecs, moves
// the fake clock by firing the Client's one timer at each deadline it was armed for
// (client_testing_p.h), and logs every signal in order ("state:Connected", "delivered:m1").
#pragma once

#include <Tether/Client>

#include "../../sdk/client/client_testing_p.h"
#include "../../sdk/client/transport_p.h"

#include <protocol/batch.h>
#include <protocol/codec.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaEnum>
#include <QtCore/QPointer>
#include <QtTest/QTest>

#include <memory>
#include <random>

namespace FacadeTest {

using namespace Tether;
namespace P = Tether::Protocol;
using namespace std::chrono_literals;

using TimePoint = Testing::SteadyTimePoint;

template<class E>
inline QString enumName(E value)
{
    return QString::fromLatin1(QMetaEnum::fromType<E>().valueToKey(int(value)));
}

// Records every call the Client makes; the test emits the signals a socket would.
class FakeTransport : public Transport
{
    Q_OBJECT
public:
    struct Call {
        QString kind;  // open, frame, ping, close, abort
        TransportOpenRequest request;
        QByteArray bytes;
        bool binary = false;
        int code = 0;
    };

    void open(const TransportOpenRequest &request) override { calls.append({QStringLiteral("open"), request, {}, false, 0}); }
    void sendFrame(QByteArray &bytes, bool binary) override
    {
        calls.append({QStringLiteral("frame"), {}, bytes, binary, 0});
    }
    void ping(const QByteArray &) override { calls.append({QStringLiteral("ping"), {}, {}, false, 0}); }
    void close(int code, const QString &) override { calls.append({QStringLiteral("close"), {}, {}, false, code}); }
    void abort() override { calls.append({QStringLiteral("abort"), {}, {}, false, 0}); }
    qint64 bytesToWrite() const override { return unwritten; }
    void flush() override { ++flushes; }

    QList<Call> calls;
    qint64 unwritten = 0;  // what bytesToWrite() reports (a test sets it, then emits bytesWritten())
    int flushes = 0;       // flush() calls: a full v1.1 batch written before the end of the turn
};

// Fast, repeatable settings: fixed backoff (no jitter), no random first delay.
inline ClientOptions unitOptions(Codec codec = Codec::Json)
{
    ClientOptions o;
    o.codec = codec;
    o.backoff.initialDelay = 100ms;
    o.backoff.maxDelay = 1000ms;
    o.backoff.jitter = JitterMode::None;
    o.backoff.initialJitter = 0ms;
    return o;
}

// One Client wired to a FakeTransport and a fake clock, plus a log of its signals in order.
class Rig
{
public:
    explicit Rig(const ClientOptions &options = unitOptions(),
                 const QUrl &url = QUrl(QStringLiteral("ws://fake.example/ws")))
        : client(new Client(url, options)),
          transport(new FakeTransport),
          codec(&P::codecFor(options.codec == Codec::Cbor ? P::CodecKind::Cbor : P::CodecKind::Json))
    {
        Testing::setTransport(client, transport);
        // The fake clock first: the engine is rebuilt next and a store is restored into it,
        // at the fake `now` (a real steady time later would look like a clock going back).
        Testing::setClock(client, [this] { return now; });
        Testing::setEngineOptions(client, [](Engine::Options &o) {
            auto rng = std::make_shared<std::mt19937_64>(7);
            o.random = [rng] { return (*rng)(); };
        });
        Client *c = client;
        QObject::connect(c, &Client::stateChanged, c, [this](State s) { log << QStringLiteral("state:") + enumName(s); });
        QObject::connect(c, &Client::connected, c, [this](bool resumed) {
            log << (resumed ? QStringLiteral("connected:resumed") : QStringLiteral("connected:new"));
        });
        QObject::connect(c, &Client::disconnected, c, [this](int code, const QString &) {
            log << QStringLiteral("disconnected:") + QString::number(code);
        });
        QObject::connect(c, &Client::reconnecting, c, [this](int attempt, std::chrono::milliseconds delay) {
            log << QStringLiteral("reconnecting:%1:%2ms").arg(attempt).arg(delay.count());
        });
        QObject::connect(c, &Client::failed, c, [this](const Error &e) {
            failures << e;
            log << QStringLiteral("failed:") + enumName(e.code());
        });
        QObject::connect(c, &Client::errorOccurred, c, [this](const Error &e) {
            errors << e;
            log << QStringLiteral("error:") + enumName(e.code());
        });
        QObject::connect(c, &Client::sessionLost, c, [this] { log << QStringLiteral("sessionLost"); });
        QObject::connect(c, &Client::messageReceived, c, [this](const Message &m) {
            messages << m;
            log << QStringLiteral("message:") + m.id();
        });
        QObject::connect(c, &Client::delivered, c, [this](const QString &id) { log << QStringLiteral("delivered:") + id; });
        QObject::connect(c, &Client::sent, c, [this](const QString &id) { log << QStringLiteral("sent:") + id; });
        QObject::connect(c, &Client::rejected, c, [this](const QString &id, const Error &e) {
            rejections << e;
            log << QStringLiteral("rejected:") + id + QLatin1Char(':') + enumName(e.code());
        });
        QObject::connect(c, &Client::dropped, c, [this](const QString &id, DropReason r) {
            log << QStringLiteral("dropped:") + id + QLatin1Char(':') + enumName(r);
        });
        QObject::connect(c, &Client::heartbeat, c, [this](std::chrono::microseconds rtt) {
            log << QStringLiteral("heartbeat:") + QString::number(rtt.count()) + QStringLiteral("us");
        });
    }
    ~Rig() { delete client.data(); }
    Rig(const Rig &) = delete;
    Rig &operator=(const Rig &) = delete;

    // ---- the server side ----
    QString subprotocol() const { return QString(codec->subprotocol()); }
    void opened(const QString &subprotocol) { Q_EMIT transport->opened(subprotocol); }
    void opened() { opened(subprotocol()); }
    void serverFrame(const P::Frame &frame)
    {
        QByteArray bytes;
        QVERIFY(codec->encode(frame, bytes));
        Q_EMIT transport->frameReceived(bytes, codec->usesBinaryFrames());
    }
    void closed(int code, const Error &error = Error()) { Q_EMIT transport->closed(code, QString(), error); }
    static P::Welcome welcome(std::optional<quint64> maxFrame = std::nullopt)
    {
        P::Welcome w;
        w.sid = QStringLiteral("s1");
        w.maxFrame = maxFrame;
        return w;
    }
    // open() + socket open + welcome; the log starts empty afterwards.
    // Opens over protocol v1.1 (JSON) and takes the welcome; the hello's turn is over.
    void openV11()
    {
        client->open();
        opened(QStringLiteral("tether.v1.1.json"));
        QCoreApplication::sendPostedEvents();  // the hello
        serverFrame(welcome());
    }

    void connect(const P::Welcome &w = welcome())
    {
        client->open();
        opened();
        serverFrame(w);
        QCOMPARE(client->state(), State::Connected);
        takeCalls();
        log.clear();
    }

    // ---- what the client did ----
    // Calls since the last takeCalls(): "open", "frame:<type>", "ping", "close:<code>", "abort".
    QStringList takeCalls()
    {
        QStringList out;
        for (; callsSeen < transport->calls.size(); ++callsSeen) {
            const FakeTransport::Call &call = transport->calls.at(callsSeen);
            if (call.kind == QLatin1StringView("frame")) {
                const P::DecodeResult decoded = codec->decode(call.bytes);
                if (call.binary != codec->usesBinaryFrames())
                    out << QStringLiteral("frame:wrong-frame-kind");  // JSON: text, CBOR: binary
                else
                    out << (decoded.ok() ? QStringLiteral("frame:") + QString(P::frameTypeName(*decoded.frame))
                                         : QStringLiteral("frame:undecodable"));
            } else if (call.kind == QLatin1StringView("close")) {
                out << QStringLiteral("close:") + QString::number(call.code);
            } else {
                out << call.kind;
            }
        }
        return out;
    }
    // Every frame sent so far, decoded (takeCalls() checks their frame kind).
    template<class T>
    QList<T> sentOf() const
    {
        QList<T> out;
        for (const FakeTransport::Call &call : std::as_const(transport->calls)) {
            if (call.kind != QLatin1StringView("frame"))
                continue;
            P::DecodeResult decoded = codec->decode(call.bytes);
            if (decoded.ok())
                if (auto *frame = std::get_if<T>(&*decoded.frame))
                    out << *frame;
        }
        return out;
    }

    // ---- time ----
    // Moves the clock to `target`, firing the client's timer at each deadline on the way.
    void advance(std::chrono::milliseconds by)
    {
        const TimePoint target = now + by;
        for (int fired = 0;; ++fired) {
            QVERIFY2(fired < 100000, "the client's timer keeps firing without time passing");
            const std::optional<TimePoint> due = Testing::timerDeadline(client);
            if (!due || *due > target)
                break;
            now = std::max(now, *due);
            Testing::fireTimer(client);
        }
        now = std::max(now, target);
    }

    QPointer<Client> client;
    QPointer<FakeTransport> transport;
    const P::Codec *codec;
    TimePoint now{std::chrono::seconds(1000)};
    qsizetype callsSeen = 0;
    QStringList log;
    QList<Error> errors;
    QList<Error> failures;
    QList<Error> rejections;
    QList<Message> messages;
};

// Queued work (Reply::finishLater, deleteLater) runs without waiting for anything.
inline void runPosted()
{
    QCoreApplication::sendPostedEvents();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

inline P::Res result(quint64 id, const QCborValue &value)
{
    return P::Res{id, value};
}

} // namespace FacadeTest
