// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Engine benchmarks (issue 4): prints Markdown tables.
//
// Times are thread CPU time (see CpuTimer), best of 3 runs after a warm-up.
//
//   throughput  msgs/s through the engine alone: send() -> encode -> SendFrame polled ->
//               ack frame decoded -> Delivered polled; 64-byte payload, both codecs, handed
//               over as a QString (sendText(), what Client::send(QString) calls) and as a
//               QCborValue (send(), what the QJsonObject/QVariant/QCborValue overloads call).
//   memory      heap bytes per queued message at 100 000 queued 100-byte messages,
//               minus the payload (malloc statistics, so allocator overhead counts).
//   persist     the throughput loop with Durability::CrashSafe: every message journaled,
//               written in a batch (acks lag the 5 ms group commit, so nothing cancels
//               out), Persisted, then removed; the store itself is not measured (it
//               answers at once). Memory is the first table, in the same run.
//   requests    ns per request operation (request() + its res handled) with 10, 1 000
//               and 10 000 requests pending.
//   ids         ns per generated message id (128 bits, base64url): the default source
//               (the system CSPRNG, read in blocks) and an injected mt19937_64 (what the
//               other tables use, so they stay reproducible); plus the JSON throughput
//               loop with the default source.
//
// --smoke runs each with tiny counts (a ctest smoke test); nothing is asserted.
// --throughput-only prints the first table alone (to profile it).
#include <engine/connection.h>
#include <engine/random_p.h>
#include <protocol/batch.h>
#include <protocol/codec.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QTextStream>

#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <random>
#include <vector>

using namespace Tether::Engine;
namespace P = Tether::Protocol;

namespace {

TimePoint t0{std::chrono::seconds(1)};

// CPU time of this thread: the machine is shared (2 cores, other builds and servers), so
// wall time would measure the neighbours; the engine's cost is the CPU it burns.
class CpuTimer {
public:
    void start() { m_start = now(); }
    qint64 nsecsElapsed() const { return now() - m_start; }

private:
    static qint64 now()
    {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    }
    qint64 m_start = 0;
};

RandomSource seededSource()
{
    auto rng = std::make_shared<std::mt19937_64>(1);
    return [rng] { return (*rng)(); };
}

Options benchOptions(P::CodecKind codec, bool systemRandom = false)
{
    Options o;
    o.codec = codec;
    o.urls = {QUrl(QStringLiteral("ws://bench.invalid/"))};
    if (!systemRandom)
        o.random = seededSource();
    o.heartbeatInterval = Duration(0);
    o.maxQueuedMessages = 1'000'000;
    o.maxQueuedBytes = qsizetype(1) << 30;
    // As Tether::Client runs it when nothing listens to messageStatusChanged (the usual
    // case): outcomes only, no Written event per transmission.
    o.progressEvents = false;
    // A round's 64 sends in one batch, as before the SDK's 4 KiB default: the engine alone
    // has no socket to keep busy, so smaller batches would only add frames to this count.
    o.batchBytes = 16 * 1024;
    return o;
}

void drain(Connection &c)
{
    while (c.pollAction()) {}
    while (c.pollEvent()) {}
}

// The server picks `version` (v1.1: pollAction() returns batches, docs/protocol.md §10).
void connect(Connection &c, const P::Codec &codec, P::Version version = P::Version::V1)
{
    c.open(t0);
    drain(c);
    const QLatin1StringView subprotocol = P::subprotocolName(codec.kind(), version);
    c.handleOpened(t0, QByteArray(subprotocol.data(), subprotocol.size()));
    drain(c);
    P::Welcome w;
    w.sid = QStringLiteral("bench");
    QByteArray bytes;
    codec.encode(w, bytes);
    c.handleFrame(t0, bytes, codec.usesBinaryFrames());
    drain(c);
}

struct Throughput {
    double msgsPerSec = 0;     // by CPU time
    double nsPerMsg = 0;
    double wallMsgsPerSec = 0; // by wall time (shows the machine's load)
};

// How the app hands the payload over: Client::send(QString) reaches
// Connection::sendText(); a QJsonObject, QVariant or QCborValue reaches send(QCborValue).
enum class PayloadKind { Text, CborValue };

// v1: one SendFrame per message. v1.1: the 64 sends of a round leave as one batch (what
// the Qt layer gets at the end of its event-loop turn), acked by one ack as in v1. Each
// frame's buffer goes back to the engine once "written" (Connection::recycle()), as the
// Qt layer does after QWebSocket copied it.
Throughput throughput(P::CodecKind kind, int messages, bool systemRandom = false,
                      P::Version version = P::Version::V1, PayloadKind payloadKind = PayloadKind::CborValue)
{
    messages = std::max(64, messages / 64 * 64);  // whole batches
    const P::Codec &codec = P::codecFor(kind);
    Connection c(benchOptions(kind, systemRandom));
    connect(c, codec, version);
    if (c.batching() != (version == P::Version::V1_1))
        qFatal("the engine did not negotiate the version asked for");
    // 62 characters: a 64-byte JSON string, a 64-byte CBOR text string (2-byte head).
    const QString text(62, u'x');
    const QCborValue payload(text);
    constexpr int kBatch = 64;  // the server acks at least every 64 messages
    QByteArray ack;
    quint64 seq = 0;
    qint64 delivered = 0, frames = 0;
    CpuTimer timer;
    QElapsedTimer wall;
    wall.start();
    timer.start();
    for (int sent = 0; sent < messages; sent += kBatch) {
        for (int i = 0; i < kBatch; ++i) {
            const SendResult r = payloadKind == PayloadKind::Text ? c.sendText(t0, text) : c.send(t0, payload);
            if (!r.ok())
                qFatal("send failed");
        }
        while (auto action = c.pollAction()) {
            if (auto *frame = std::get_if<SendFrame>(&*action)) {
                ++frames;
                c.recycle(std::move(frame->bytes));
            }
        }
        seq += kBatch;
        ack.clear();
        codec.encode(P::Ack{seq}, ack);
        c.handleFrame(t0, ack, codec.usesBinaryFrames());
        while (auto event = c.pollEvent())
            delivered += std::holds_alternative<Delivered>(*event);
    }
    const double secs = double(timer.nsecsElapsed()) / 1e9;
    const double wallSecs = double(wall.nsecsElapsed()) / 1e9;
    if (delivered != messages || c.queueDepth() != 0)
        qFatal("throughput run lost messages: %lld of %d", qlonglong(delivered), messages);
    const qint64 expectedFrames = version == P::Version::V1 ? messages : messages / kBatch;
    if (frames != expectedFrames)
        qFatal("throughput run sent %lld SendFrames, expected %lld", qlonglong(frames), qlonglong(expectedFrames));
    return {messages / secs, secs * 1e9 / messages, messages / wallSecs};
}

// As throughput(), journaling every message: 64 sends per engine millisecond, acks 8 ms
// behind (past the group commit), the store answering each batch at once.
Throughput persistThroughput(P::CodecKind kind, int messages, quint64 *batches)
{
    messages = std::max(64, messages / 64 * 64);
    const P::Codec &codec = P::codecFor(kind);
    Options o = benchOptions(kind);
    o.durability = Durability::CrashSafe;
    o.maxInFlight = 1024;
    Connection c(o);
    connect(c, codec);
    const QString text(62, u'x');
    const QCborValue payload(text);
    constexpr int kBatch = 64;
    constexpr int kAckLag = 8;  // batches of 64, one per engine millisecond
    QByteArray ack;
    quint64 seq = 0;
    std::deque<quint64> sentAt;  // highest seq sent per batch, for the lagging acks
    qint64 delivered = 0, persisted = 0;
    std::vector<quint64> done;
    TimePoint now = t0;
    CpuTimer timer;
    QElapsedTimer wall;
    wall.start();
    timer.start();
    const auto poll = [&] {
        while (auto action = c.pollAction()) {
            if (std::holds_alternative<SendFrame>(*action))
                ++seq;
            else if (auto *b = std::get_if<PersistBatch>(&*action))
                done.push_back(b->number);
        }
        for (quint64 n : done)
            c.handlePersisted(now, n, std::nullopt);
        *batches += done.size();
        done.clear();
        while (auto event = c.pollEvent()) {
            delivered += std::holds_alternative<Delivered>(*event);
            persisted += std::holds_alternative<Persisted>(*event);
        }
    };
    for (int sent = 0; sent < messages + kAckLag * kBatch; sent += kBatch) {
        now += std::chrono::milliseconds(1);
        if (const auto due = c.pollTimeout(); due && *due <= now)
            c.handleTimeout(now);
        if (sent < messages)
            for (int i = 0; i < kBatch; ++i)
                if (!c.send(now, payload).ok())
                    qFatal("send failed");
        poll();
        sentAt.push_back(seq);
        if (sentAt.size() > kAckLag) {
            ack.clear();
            codec.encode(P::Ack{sentAt.front()}, ack);
            sentAt.pop_front();
            c.handleFrame(now, ack, codec.usesBinaryFrames());
            poll();
        }
    }
    const double secs = double(timer.nsecsElapsed()) / 1e9;
    const double wallSecs = double(wall.nsecsElapsed()) / 1e9;
    if (delivered != messages || persisted != messages)
        qFatal("persist run: %lld delivered, %lld persisted of %d", qlonglong(delivered), qlonglong(persisted),
               messages);
    return {messages / secs, secs * 1e9 / messages, messages / wallSecs};
}

size_t heapInUse()
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return mallinfo2().uordblks;
#else
    return size_t(mallinfo().uordblks);
#endif
}

double memoryOverhead(P::CodecKind kind, int messages, double *perMessage)
{
    Connection c(benchOptions(kind));
    // 98 characters: 100 bytes once encoded in JSON (quotes), 100 in CBOR (2-byte head).
    const QCborValue payload(QString(98, u'y'));
    const size_t before = heapInUse();
    for (int i = 0; i < messages; ++i)
        if (!c.send(t0, payload).ok())
            qFatal("send failed");
    const size_t after = heapInUse();
    *perMessage = double(after - before) / messages;
    return *perMessage - 100.0;
}

double requestCost(int pending, int ops)
{
    const P::Codec &codec = P::codecFor(P::CodecKind::Json);
    Connection c(benchOptions(P::CodecKind::Json));
    connect(c, codec);
    std::deque<quint64> open;
    for (int i = 0; i < pending; ++i)
        open.push_back(c.request(t0, QStringLiteral("echo")).id);
    drain(c);
    // Pre-encode the responses so the codec's encoder is not what is measured.
    std::vector<QByteArray> responses;
    responses.reserve(size_t(ops));
    const quint64 firstNew = open.empty() ? 1 : open.back() + 1;
    std::vector<quint64> order(open.begin(), open.end());
    for (int i = 0; i < ops; ++i)
        order.push_back(firstNew + quint64(i));
    for (int i = 0; i < ops; ++i) {
        QByteArray bytes;
        codec.encode(P::Res{order[size_t(i)], QCborValue(1)}, bytes);
        responses.push_back(std::move(bytes));
    }
    CpuTimer timer;
    timer.start();
    for (int i = 0; i < ops; ++i) {
        // One op = a new request and the answer to the oldest: `pending` stays constant.
        const RequestResult r = c.request(t0, QStringLiteral("echo"));
        if (!r.ok())
            qFatal("request failed");
        c.handleFrame(t0, responses[size_t(i)], false);
        drain(c);
    }
    const double ns = double(timer.nsecsElapsed()) / ops;
    if (c.stats().pendingRequests != pending)
        qFatal("pending drifted: %lld", qlonglong(c.stats().pendingRequests));
    return ns;
}

// CPU ns per id; `sink` keeps the ids from being optimised away.
double idCost(const RandomSource &source, int ids, qsizetype *sink)
{
    Randomness randomness(source);
    CpuTimer timer;
    timer.start();
    for (int i = 0; i < ids; ++i)
        *sink += randomness.messageId().size();
    return double(timer.nsecsElapsed()) / ids;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const bool smoke = app.arguments().contains(QStringLiteral("--smoke"));
    // --throughput-only: the first table alone (for a profiler).
    const bool throughputOnly = app.arguments().contains(QStringLiteral("--throughput-only"));
    QTextStream out(stdout);

    const int throughputMessages = smoke ? 2'000 : 2'000'000;
    // Targets: issue 4 (v1, per codec), issue 18 (4 M msgs/s, v1.1, both codecs).
    out << "### Engine throughput (send -> encode -> ack decoded), 64-byte payload\n\n"
        << "| protocol | codec | payload handed over as | msgs/s (CPU time) | ns/msg | msgs/s (wall, shared machine) | target |\n"
        << "|---|---|---|---:|---:|---:|---:|\n";
    for (auto [version, versionName] : {std::pair{P::Version::V1, "v1 (a frame per message)"},
                                        std::pair{P::Version::V1_1, "v1.1 (batch of 64)"}}) {
        for (auto [kind, name, v1Target] : {std::tuple{P::CodecKind::Json, "JSON", 500'000},
                                            std::tuple{P::CodecKind::Cbor, "CBOR", 650'000}}) {
            for (auto [payloadKind, payloadName] : {std::pair{PayloadKind::Text, "QString (sendText)"},
                                                    std::pair{PayloadKind::CborValue, "QCborValue (send)"}}) {
                const int target = version == P::Version::V1 ? v1Target : 4'000'000;
                throughput(kind, throughputMessages / 10, false, version, payloadKind);  // warm-up
                Throughput best;
                for (int run = 0; run < 3; ++run) {
                    const Throughput t = throughput(kind, throughputMessages, false, version, payloadKind);
                    if (t.msgsPerSec > best.msgsPerSec)
                        best = t;
                }
                out << "| " << versionName << " | " << name << " | " << payloadName << " | " << qRound64(best.msgsPerSec)
                    << " | " << QString::number(best.nsPerMsg, 'f', 0) << " | " << qRound64(best.wallMsgsPerSec)
                    << " | >= " << target << (best.msgsPerSec >= target ? " met" : " MISSED") << " |\n";
                out.flush();
            }
        }
    }

    if (throughputOnly)
        return 0;
    out << "\n### Engine throughput with persistence (CrashSafe journal; store not measured), 64-byte payload\n\n"
        << "| codec | msgs/s (CPU time) | ns/msg | msgs/s (wall) | batches |\n|---|---:|---:|---:|---:|\n";
    for (auto [kind, name] : {std::pair{P::CodecKind::Json, "JSON"}, std::pair{P::CodecKind::Cbor, "CBOR"}}) {
        quint64 batches = 0;
        persistThroughput(kind, throughputMessages / 10, &batches);  // warm-up
        Throughput best;
        for (int run = 0; run < 3; ++run) {
            batches = 0;
            const Throughput t = persistThroughput(kind, throughputMessages, &batches);
            if (t.msgsPerSec > best.msgsPerSec)
                best = t;
        }
        out << "| " << name << " | " << qRound64(best.msgsPerSec) << " | " << QString::number(best.nsPerMsg, 'f', 0)
            << " | " << qRound64(best.wallMsgsPerSec) << " | " << batches << " |\n";
        out.flush();
    }

    const int queued = smoke ? 1'000 : 100'000;
    out << "\n### Memory per queued message (" << queued << " queued 100-byte messages, offline)\n\n"
        << "| codec | heap bytes/msg | overhead beyond payload | target |\n|---|---:|---:|---:|\n";
    for (auto [kind, name] : {std::pair{P::CodecKind::Json, "JSON"}, std::pair{P::CodecKind::Cbor, "CBOR"}}) {
        double perMessage = 0;
        const double overhead = memoryOverhead(kind, queued, &perMessage);
        out << "| " << name << " | " << QString::number(perMessage, 'f', 1) << " | "
            << QString::number(overhead, 'f', 1) << " | <= 128 |\n";
        out.flush();
    }

    const int ops = smoke ? 500 : 200'000;
    out << "\n### Cost per request operation (request() + its res), JSON\n\n"
        << "| pending | ns/op | vs 10 pending |\n|---:|---:|---:|\n";
    double base = 0;
    for (int pending : {10, 1'000, 10'000}) {
        requestCost(pending, ops / 10);  // warm-up
        double best = 1e18;
        for (int run = 0; run < 3; ++run)
            best = std::min(best, requestCost(pending, ops));
        if (pending == 10)
            base = best;
        out << "| " << pending << " | " << QString::number(best, 'f', 0) << " | "
            << QString::number(best / base, 'f', 2) << "x |\n";
        out.flush();
    }

    const int ids = smoke ? 1'000 : 2'000'000;
    out << "\n### Message ids (128 bits, base64url)\n\n| source | ns/id (CPU time) |\n|---|---:|\n";
    qsizetype sink = 0;
    const RandomSource injected = seededSource();
    for (auto [source, name] : {std::pair{RandomSource{}, "system CSPRNG (default)"},
                                std::pair{injected, "injected mt19937_64 (tests, other tables)"}}) {
        idCost(source, ids / 10, &sink);  // warm-up
        double best = 1e18;
        for (int run = 0; run < 3; ++run)
            best = std::min(best, idCost(source, ids, &sink));
        out << "| " << name << " | " << QString::number(best, 'f', 1) << " |\n";
        out.flush();
    }
    if (sink == 0)
        qFatal("no ids");
    Throughput best;
    for (int run = 0; run < 3; ++run) {
        const Throughput t = throughput(P::CodecKind::Json, throughputMessages, true);
        if (t.msgsPerSec > best.msgsPerSec)
            best = t;
    }
    out << "\nJSON throughput with the default (system CSPRNG) id source: " << qRound64(best.msgsPerSec)
        << " msgs/s, " << QString::number(best.nsPerMsg, 'f', 0) << " ns/msg (CPU time)\n";
    return 0;
}
