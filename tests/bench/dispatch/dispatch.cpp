// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Per-message dispatch cost against the number of subscribed channels.
//
// Three ways an app can get a channel's publications, each timed with 1 and 1 000
// channels subscribed (every channel has one listener, publications spread evenly):
//   subscription   Tether::Subscription::messageReceived: the client routes with one hash
//                  lookup, so the cost should not grow with the channel count;
//   filter         one slot per channel on Client::messageReceived comparing the channel
//                  name (what the QML Channel did before Subscription): O(channels);
//   client only    Client::messageReceived with one slot (the floor: decode + engine).
// Frames are pre-encoded CBOR publications without seq (no acks), fed through a fake
// transport on a frozen fake clock (no timer fires inside the timed loop); the time is wall time per message, best of 15 rounds of 50 000 (1 and 1 000
// channels alternating). Like for like: both sizes cycle through the same number of
// distinct frames (1 000, each with its own id and payload) and channel names of one
// length (ch.0000...), so the only difference is how many channels are subscribed.
//   --profile N [R]  only the Subscription setup with N channels, R rounds (200), for a
//                    profiler (callgrind --toggle-collect='*runRound*')
#include <Tether/Client>

#include "../../../sdk/client/client_testing_p.h"
#include "../../../sdk/client/transport_p.h"

#include <protocol/codec.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QTextStream>

#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

using namespace Tether;
namespace P = Tether::Protocol;

namespace {

class SilentTransport : public Transport
{
    Q_OBJECT
public:
    void open(const TransportOpenRequest &) override {}
    void sendFrame(QByteArray &bytes, bool) override { last = bytes; }
    void ping(const QByteArray &) override {}
    void close(int, const QString &) override {}
    void abort() override {}
    qint64 bytesToWrite() const override { return 0; }
    void flush() override {}
    QByteArray last;
};

enum class Mode { Subscription, Filter, ClientOnly };

struct Setup {
    std::unique_ptr<Client> client;
    SilentTransport *transport = nullptr;
    std::vector<QByteArray> frames;  // kFrames publications over the channels, round robin
    quint64 received = 0;
};

constexpr int kFrames = 1000;

QString channelName(int i)
{
    return QStringLiteral("ch.%1").arg(i, 4, 10, QLatin1Char('0'));
}

QByteArray encode(const P::Frame &frame)
{
    QByteArray bytes;
    P::codecFor(P::CodecKind::Cbor).encode(frame, bytes);
    return bytes;
}

std::unique_ptr<Setup> makeSetup(int channels, Mode mode)
{
    auto s = std::make_unique<Setup>();
    ClientOptions options;
    options.codec = Codec::Cbor;
    options.heartbeat.interval = std::chrono::milliseconds(0);
    s->client = std::make_unique<Client>(QUrl(QStringLiteral("ws://bench.invalid/ws")), options);
    s->transport = new SilentTransport;
    Testing::setTransport(s->client.get(), s->transport);
    // A clock that stands still: the loop below never returns to the event loop, so with
    // the real clock deadlines would pass unhandled and every frame would look like a time
    // jump (a probe per message). Timers are not the per-message cost being measured.
    const Testing::SteadyTimePoint frozen = std::chrono::steady_clock::now();
    Testing::setClock(s->client.get(), [frozen] { return frozen; });
    Client *c = s->client.get();
    c->open();
    Q_EMIT s->transport->opened(QStringLiteral("tether.v1.cbor"));
    P::Welcome welcome;
    welcome.sid = QStringLiteral("bench");
    Q_EMIT s->transport->frameReceived(encode(welcome), true);
    Setup *raw = s.get();
    for (int i = 0; i < channels; ++i) {
        const QString name = channelName(i);
        Subscription *sub = c->subscription(name);
        const auto decoded = P::codecFor(P::CodecKind::Cbor).decode(s->transport->last);
        const auto *frame = decoded.ok() ? std::get_if<P::Sub>(&*decoded.frame) : nullptr;
        if (!frame)
            qFatal("no sub frame for %s", qPrintable(name));
        Q_EMIT s->transport->frameReceived(encode(P::Res{frame->id, QCborValue(QCborValue::Null)}), true);
        if (sub->status() != SubscriptionStatus::Subscribed)
            qFatal("%s not subscribed", qPrintable(name));
        if (mode == Mode::Subscription) {
            QObject::connect(sub, &Subscription::messageReceived, c, [raw](const Message &) { ++raw->received; });
        } else if (mode == Mode::Filter) {
            QObject::connect(c, &Client::messageReceived, c, [raw, name](const Message &m) {
                if (m.channel() == name)
                    ++raw->received;
            });
        }
    }
    for (int i = 0; i < kFrames; ++i) {
        P::Msg msg;
        msg.ch = channelName(i % channels);
        msg.id = QStringLiteral("m%1").arg(i, 4, 10, QLatin1Char('0'));
        msg.d = QCborValue(i);
        s->frames.push_back(encode(msg));
    }
    if (mode == Mode::ClientOnly)
        QObject::connect(c, &Client::messageReceived, c, [raw](const Message &) { ++raw->received; });
    return s;
}

// Nanoseconds per message for one round.
double runRound(Setup &s, int messages)
{
    s.received = 0;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < messages; ++i)
        Q_EMIT s.transport->frameReceived(s.frames[size_t(i) % s.frames.size()], true);
    const double ns = double(timer.nsecsElapsed()) / messages;
    if (s.received != quint64(messages))
        qFatal("received %llu of %d", static_cast<unsigned long long>(s.received), messages);
    return ns;
}

// Best of `rounds` for 1 and for 1 000 channels, the two measured in alternation so a busy
// moment of a shared machine hits both alike.
std::pair<double, double> measure(Mode mode, int messages, int rounds)
{
    std::unique_ptr<Setup> one = makeSetup(1, mode);
    std::unique_ptr<Setup> many = makeSetup(1000, mode);
    const int manyMessages = mode == Mode::Filter ? messages / 10 : messages;
    double bestOne = 1e18;
    double bestMany = 1e18;
    for (int r = 0; r < rounds; ++r) {
        bestOne = std::min(bestOne, runRound(*one, messages));
        bestMany = std::min(bestMany, runRound(*many, manyMessages));
    }
    return {bestOne, bestMany};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const bool smoke = app.arguments().contains(QStringLiteral("--smoke"));
    const int messages = smoke ? 2000 : 50000;
    const int rounds = smoke ? 1 : 15;
    if (const int at = app.arguments().indexOf(QStringLiteral("--profile")); at > 0) {
        std::unique_ptr<Setup> setup = makeSetup(app.arguments().value(at + 1).toInt(), Mode::Subscription);
        const int profileRounds = app.arguments().value(at + 2, QStringLiteral("200")).toInt();
        for (int r = 0; r < profileRounds; ++r)
            runRound(*setup, 50000);
        return 0;
    }
    QTextStream out(stdout);
    out << "| listeners | 1 channel (ns/msg) | 1 000 channels (ns/msg) | ratio |\n|---|---|---|---|\n";
    const struct {
        const char *name;
        Mode mode;
    } rows[] = {{"Subscription::messageReceived", Mode::Subscription},
                {"a name filter per channel on Client::messageReceived", Mode::Filter},
                {"Client::messageReceived alone (floor)", Mode::ClientOnly}};
    for (const auto &row : rows) {
        const auto [one, many] = measure(row.mode, messages, rounds);
        out << "| " << row.name << " | " << QString::number(one, 'f', 0) << " | "
            << QString::number(many, 'f', 0) << " | " << QString::number(many / one, 'f', 2) << "x |\n";
        out.flush();
    }
    return 0;
}

#include "dispatch.moc"
