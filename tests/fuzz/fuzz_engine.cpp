// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// libFuzzer target for the sans-I/O engine (sdk/engine, Connection): the input is read as
// a sequence of events — incoming frames (arbitrary bytes, or well-formed frames with
// fuzzed fields, in the codec of the run), socket opens, closes with any code, transport
// errors, pongs, timeouts and clock jumps, and app commands (send, request, subscribe,
// unsubscribe, cancel, close, suspend, open, tokens, network hints, app background) — and
// after every step the model test's step invariants are checked (tests/engine/
// engine_invariants.h): each send ends in at most one outcome and only one it accepted,
// each request finishes at most once, the queue stays within its bounds, and every action
// is legal in the engine's state. At the end close() must have ended every send and
// request exactly once. The fuzzer plays a transport that keeps the engine's contract
// (connection.h): it reports opens and closes only for a socket the engine asked for.
// With +deflate (docs/protocol.md §10.5) it is a server with one zlib stream per direction
// per socket: its compressed frames are consecutive pieces of one stream (now and then cut
// or damaged), and what the engine sends is inflated by one stream per socket (the
// transport ledger fails the run when a message does not read on it).
#include "engine_invariants.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

using namespace EngineTest;
namespace P = Tether::Protocol;
using std::chrono::milliseconds;

namespace {

// How deep the inputs get (printed at exit with TETHER_FUZZ_ENGINE_STATS=1, to judge the
// seed corpus): runs, runs that reached Connected, and outcomes of each kind.
struct Depth {
    quint64 runs = 0, connected = 0, delivered = 0, rejected = 0, dropped = 0, sent = 0, requests = 0;
    ~Depth()
    {
        if (qEnvironmentVariableIsSet("TETHER_FUZZ_ENGINE_STATS"))
            std::fprintf(stderr, "engine fuzz depth: %llu runs, %llu connected, outcomes: %llu delivered, "
                         "%llu rejected, %llu dropped, %llu sent; %llu requests finished\n",
                         runs, connected, delivered, rejected, dropped, sent, requests);
    }
} g_depth;

[[noreturn]] void fail(const QString &what)
{
    std::fprintf(stderr, "contract violated: %s\n", qPrintable(what));
    std::abort();
}

class Run {
public:
    explicit Run(FuzzedDataProvider &in) : m_in(in)
    {
        Options o;
        o.urls = {QUrl(QStringLiteral("ws://a.example/ws"))};
        const quint32 seed = m_in.ConsumeIntegral<quint32>();
        auto rng = std::make_shared<std::mt19937_64>(seed);
        // The seed's low bit picks the version the fake server negotiates (v1.1: batches
        // both ways), so the seeds written for v1 keep their meaning byte for byte.
        m_version = (seed & 1) ? P::Version::V1_1 : P::Version::V1;
        // In v1.1 the next bit asks for compressed batches (docs/protocol.md §10.5) and the
        // fake server picks +deflate; the threshold comes from the seed too, so the rest of
        // the input keeps its meaning.
        m_deflate = m_version == P::Version::V1_1 && (seed & 2);
        o.compression = m_deflate;
        o.compressionThreshold = qsizetype((seed >> 2) % 512);
        o.random = [rng] { return (*rng)(); };
        o.codec = m_in.ConsumeBool() ? P::CodecKind::Cbor : P::CodecKind::Json;
        o.rawMode = m_in.ConsumeIntegralInRange(0, 7) == 0;
        o.maxQueuedMessages = m_in.ConsumeIntegralInRange<qsizetype>(1, 16);
        o.maxQueuedBytes = m_in.ConsumeIntegralInRange<qsizetype>(64, 4096);
        o.overflow = m_in.ConsumeBool() ? OverflowPolicy::DropOldest : OverflowPolicy::RejectNew;
        o.maxInFlight = m_in.ConsumeIntegralInRange<qsizetype>(1, 8);
        o.maxIncomingFrame = m_in.ConsumeIntegralInRange<qsizetype>(16, 4096);
        o.recentIdWindow = m_in.ConsumeIntegralInRange<qsizetype>(0, 16);
        const int background = m_in.ConsumeIntegralInRange(0, 4);   // 0: no background close
        o.backgroundCloseDelay = background == 0 ? milliseconds(-1) : milliseconds((background - 1) * 500);
        o.useToken = m_in.ConsumeIntegralInRange(0, 3) == 0;
        o.maxAttempts = m_in.ConsumeIntegralInRange(0, 4);
        o.heartbeatInterval = milliseconds(m_in.ConsumeIntegralInRange(0, 5000));
        o.heartbeatTimeout = milliseconds(m_in.ConsumeIntegralInRange(0, 3000));
        o.requestTimeout = milliseconds(m_in.ConsumeIntegralInRange(0, 5000));
        m_engine = std::make_unique<Connection>(o);
        m_codec = &P::codecFor(o.codec);
        const QLatin1StringView name = P::subprotocolName(o.codec, m_version, m_deflate);
        m_subprotocol = QByteArray(name.data(), name.size());
        pump();
    }

    void step()
    {
        switch (m_in.ConsumeIntegralInRange(0, 23)) {
        case 0: m_engine->open(m_now); break;
        case 1:
            if (m_transport.socket == TransportLedger::Socket::Opening) {
                m_transport.opened();
                m_serverDeflater = std::make_unique<P::BatchDeflater>();   // a new socket's stream
                const bool offered = m_in.ConsumeIntegralInRange(0, 7) != 0;
                const QByteArray name = m_engine->options().rawMode ? QByteArray() : m_subprotocol;
                socketOpened(offered ? name : QByteArray::fromStdString(m_in.ConsumeRandomLengthString(16)));
            }
            break;
        case 2: // arbitrary bytes as a frame (with +deflate: now and then as a compressed one)
            if (m_transport.socket == TransportLedger::Socket::Open) {
                const std::string bytes = m_in.ConsumeRandomLengthString(256);
                QByteArray message(bytes.data(), qsizetype(bytes.size()));
                if (m_deflate && m_in.ConsumeIntegralInRange(0, 3) == 0)
                    message.prepend(char(0xff));
                m_engine->handleFrame(m_now, message, m_in.ConsumeBool());
            }
            break;
        case 3: case 4: case 5: case 6: // a well-formed server frame with fuzzed fields
            if (m_transport.socket == TransportLedger::Socket::Open)
                serverFrame();
            break;
        case 7: // the socket closes with any code
            if (m_transport.socket != TransportLedger::Socket::None) {
                m_transport.gone();
                m_engine->handleClosed(m_now, m_in.ConsumeIntegralInRange(0, 5000), u"fuzz");
            }
            break;
        case 8:
            if (m_transport.socket != TransportLedger::Socket::None) {
                m_transport.gone();
                m_engine->handleTransportError(m_now, u"fuzz");
            }
            break;
        case 9:
            if (m_transport.socket == TransportLedger::Socket::Open)
                m_engine->handlePong(m_now);
            break;
        case 10: // to the next deadline
            if (const auto due = m_engine->pollTimeout()) {
                m_now = std::max(m_now, *due);
                m_engine->handleTimeout(m_now);
            }
            break;
        case 11: // time passes (a jump now and then: a laptop lid, a stopped process)
            m_now += m_in.ConsumeBool() ? milliseconds(m_in.ConsumeIntegralInRange(0, 2000))
                                        : milliseconds(m_in.ConsumeIntegralInRange(0, 3'600'000));
            m_engine->handleTimeout(m_now);
            break;
        case 12: case 13: send(); break;
        case 14: {
            RequestOptions ro;
            ro.timeout = milliseconds(m_in.ConsumeIntegralInRange(-1, 5000));
            ro.retryable = m_in.ConsumeBool();
            const std::string method = m_in.ConsumeRandomLengthString(8);
            accepted(m_engine->request(m_now, QString::fromStdString(method), QCborValue(m_in.ConsumeIntegral<qint32>()), ro));
            break;
        }
        case 15: accepted(m_engine->subscribe(m_now, channel())); break;
        case 16: accepted(m_engine->unsubscribe(m_now, channel())); break;
        case 17: m_engine->cancelRequest(m_now, m_in.ConsumeIntegralInRange<quint64>(0, 8)); break;
        case 18:
            if (m_in.ConsumeBool())
                m_engine->close(m_now, m_in.ConsumeBool());
            else
                m_engine->suspend(m_now);
            break;
        case 19:
            if (m_in.ConsumeBool())
                m_engine->provideToken(m_now, QString::fromStdString(m_in.ConsumeRandomLengthString(16)));
            else
                m_engine->tokenFailed(m_now, u"fuzz");
            break;
        case 20:
            if (m_in.ConsumeBool())
                m_engine->notifyNetworkChanged(m_now);
            else
                m_engine->notifyAppResumed(m_now);
            break;
        case 21: m_engine->notifyAppBackground(m_now); break;
        case 22: m_engine->handleTimeout(m_now); break;   // early or spurious: a no-op
        case 23: connectFully(); break;
        }
        pump();
    }

    // close() ends everything: each accepted send and request exactly once by now.
    void finish()
    {
        m_engine->close(m_now);
        pump();
        const QStringList open = m_ledger.unended();
        if (!open.isEmpty())
            fail(QStringLiteral("after close(): ") + open.mid(0, 4).join(u"; "));
    }

private:
    void pump()
    {
        for (;;) {
            bool any = false;
            while (auto a = m_engine->pollAction()) {
                any = true;
                noteSent(*a);
                const QString illegal = m_transport.check(m_engine->state(), *a, m_codec, m_engine->options().rawMode,
                                                         m_socketBatches, m_deflate);
                if (!illegal.isEmpty())
                    fail(illegal);
            }
            while (auto e = m_engine->pollEvent()) {
                any = true;
                m_ledger.observe(*e);
                countDepth(*e);
                if (!m_ledger.violations.isEmpty())
                    fail(m_ledger.violations.front());
            }
            if (!any)
                break;
        }
        const QString bound = queueBoundProblem(*m_engine);
        if (!bound.isEmpty())
            fail(bound);
    }

    // The seqs and request ids the engine put on the wire, so acks, nacks and results can
    // name them (random numbers rarely would).
    void noteSent(const Action &a)
    {
        if (std::holds_alternative<OpenSocket>(a))
            m_sentInflater = std::make_unique<P::BatchInflater>();   // the server's, per socket
        const auto *frame = std::get_if<SendFrame>(&a);
        if (!frame || m_engine->options().rawMode)
            return;
        // One frame per message in v1, a batch in v1.1 (as negotiated: m_socketBatches).
        if (!m_socketBatches) {
            if (const auto decoded = m_codec->decode(frame->bytes); decoded.ok())
                noteFrame(*decoded.frame);
            return;
        }
        QByteArray bytes = frame->bytes;
        if (m_deflate && frame->binary && P::isCompressedMessage(bytes) && m_sentInflater)
            bytes = m_sentInflater->inflate(bytes, qsizetype(1) << 30).batch;
        P::BatchReader reader(*m_codec, bytes);
        while (!reader.atEnd()) {
            const auto decoded = reader.next();
            if (!decoded.ok())
                return;
            noteFrame(*decoded.frame);
        }
    }

    void noteFrame(const P::Frame &frame)
    {
        if (const auto *msg = std::get_if<P::Msg>(&frame); msg && msg->seq)
            m_seqs << *msg->seq;
        else if (const auto *req = std::get_if<P::Req>(&frame))
            m_requestIds << req->id;
        else if (const auto *sub = std::get_if<P::Sub>(&frame))
            m_requestIds << sub->id;
        else if (const auto *unsub = std::get_if<P::Unsub>(&frame))
            m_requestIds << unsub->id;
    }

    quint64 wireNumber(const QList<quint64> &seen)
    {
        if (seen.isEmpty() || m_in.ConsumeIntegralInRange(0, 3) == 0)
            return m_in.ConsumeIntegralInRange<quint64>(0, 20);
        return seen.at(m_in.ConsumeIntegralInRange<qsizetype>(0, seen.size() - 1));
    }

    // The upgrade completed with `subprotocol`. The version this socket speaks is the one
    // the engine took from that name, not the one the harness offers: a fuzzed name can be
    // another Tether subprotocol (never a +deflate one: those are longer than 16 characters).
    void socketOpened(const QByteArray &subprotocol)
    {
        m_engine->handleOpened(m_now, subprotocol);
        m_socketBatches = m_engine->batching();
    }

    // open, the socket opens, the server welcomes: the shortest way to Connected.
    void connectFully()
    {
        m_engine->open(m_now);
        pump();
        if (m_transport.socket != TransportLedger::Socket::Opening)
            return;
        m_transport.opened();
        m_serverDeflater = std::make_unique<P::BatchDeflater>();
        socketOpened(m_engine->options().rawMode ? QByteArray() : m_subprotocol);
        pump();
        if (m_engine->options().rawMode || m_transport.socket != TransportLedger::Socket::Open)
            return;
        P::Welcome w;   // a plausible one: resumed only when there is a session to resume
        w.sid = QStringLiteral("s1");
        w.resumed = m_engine->sessionId() == w.sid;
        w.rx = w.resumed && !m_seqs.isEmpty() ? m_seqs.back() : 0;
        m_transport.welcomed = true;
        QByteArray bytes;
        m_codec->encode(w, bytes);
        m_engine->handleFrame(m_now, bytes, m_codec->usesBinaryFrames());
    }

    void countDepth(const Event &e)
    {
        if (std::holds_alternative<Connected>(e) && !m_connectedOnce) {
            m_connectedOnce = true;
            ++g_depth.connected;
        }
        g_depth.delivered += std::holds_alternative<Delivered>(e);
        g_depth.rejected += std::holds_alternative<Rejected>(e);
        g_depth.dropped += std::holds_alternative<Dropped>(e);
        g_depth.sent += std::holds_alternative<Sent>(e);
        g_depth.requests += std::holds_alternative<RequestFinished>(e);
    }

    QString channel() { return m_in.ConsumeBool() ? QStringLiteral("room") : QString::fromStdString(m_in.ConsumeRandomLengthString(8)); }

    // Message ids the engine generated or we chose, so frames can refer to them.
    QString knownId()
    {
        if (m_ids.isEmpty() || m_in.ConsumeIntegralInRange(0, 3) == 0)
            return QString::fromStdString(m_in.ConsumeRandomLengthString(8));
        return m_ids.at(m_in.ConsumeIntegralInRange<qsizetype>(0, m_ids.size() - 1));
    }

    QCborValue payload()
    {
        switch (m_in.ConsumeIntegralInRange(0, 3)) {
        case 0: return QCborValue(m_in.ConsumeIntegral<qint64>());
        case 1: return QCborValue(QString::fromStdString(m_in.ConsumeRandomLengthString(64)));
        case 2: return QCborValue(QByteArray::fromStdString(m_in.ConsumeRandomLengthString(64)));
        default: return QCborValue(m_in.ConsumeBool());
        }
    }

    void send()
    {
        SendOptions so;
        so.delivery = m_in.ConsumeBool() ? Delivery::AtLeastOnce : Delivery::AtMostOnce;
        if (m_in.ConsumeBool())
            so.channel = channel();
        if (m_in.ConsumeIntegralInRange(0, 3) == 0)
            so.coalescingKey = QStringLiteral("k%1").arg(m_in.ConsumeIntegralInRange(0, 2));
        if (m_in.ConsumeBool())
            so.ttl = milliseconds(m_in.ConsumeIntegralInRange(1, 5000));
        // Ids chosen here stay unique (the API asks the app for that).
        if (m_in.ConsumeIntegralInRange(0, 3) == 0)
            so.id = QStringLiteral("app-%1").arg(++m_appIds);
        const SendResult r = m_in.ConsumeBool() ? m_engine->send(m_now, payload(), so)
                                                : m_engine->sendBytes(m_now, QByteArray::fromStdString(m_in.ConsumeRandomLengthString(300)), so);
        if (r.ok()) {
            m_ledger.sendAccepted(r.id);
            m_ids << r.id;
        }
    }

    void accepted(const RequestResult &r)
    {
        if (r.ok())
            m_ledger.requestAccepted(r.id);
    }

    P::ErrorObject errorObject()
    {
        P::ErrorObject e;
        e.code = QString::fromStdString(m_in.ConsumeRandomLengthString(12));
        e.msg = QStringLiteral("fuzz");
        return e;
    }

    void serverFrame()
    {
        P::Frame frame;
        const quint64 small = m_in.ConsumeIntegralInRange<quint64>(0, 20);
        switch (m_in.ConsumeIntegralInRange(0, 6)) {
        case 0: {
            P::Welcome w;
            w.sid = m_in.ConsumeBool() ? QStringLiteral("s1") : QString::fromStdString(m_in.ConsumeRandomLengthString(8));
            w.resumed = m_in.ConsumeBool();
            w.rx = wireNumber(m_seqs);
            if (m_in.ConsumeBool())
                w.hb = m_in.ConsumeIntegralInRange<quint64>(0, 100000);
            if (m_in.ConsumeBool())
                w.maxFrame = m_in.ConsumeIntegralInRange<quint64>(0, 100000);
            if (m_in.ConsumeBool())
                w.ttl = m_in.ConsumeIntegralInRange<quint64>(0, 100000);
            frame = w;
            m_transport.welcomed = true;
            break;
        }
        case 1: frame = P::Ack{wireNumber(m_seqs)}; break;
        case 2: frame = P::Nack{wireNumber(m_seqs), errorObject()}; break;
        case 3: {
            P::Msg m;
            if (m_in.ConsumeBool())
                m.seq = small;
            if (m_in.ConsumeBool())
                m.id = knownId();
            if (m_in.ConsumeBool())
                m.ch = channel();
            m.d = payload();
            frame = m;
            break;
        }
        case 4: {
            P::Res res;
            res.id = wireNumber(m_requestIds);
            if (m_in.ConsumeBool())
                res.result = payload();
            else
                res.result = errorObject();
            frame = res;
            break;
        }
        case 5: {
            P::ErrorFrame e;
            e.code = QString::fromStdString(m_in.ConsumeRandomLengthString(12));
            if (m_in.ConsumeBool())
                e.retryAfter = m_in.ConsumeIntegralInRange<quint64>(0, 100000);
            frame = e;
            break;
        }
        default: {
            frame = P::Hello{};   // a client-only frame a broken server sends back
            break;
        }
        }
        QByteArray bytes;
        if (!m_codec->encode(frame, bytes))
            return;   // e.g. a byte string in JSON: nothing a server could have sent
        if (m_deflate && m_in.ConsumeBool()) {
            // Compressed (docs/protocol.md §10.5): the next piece of this socket's stream,
            // now and then cut or with a byte changed (the engine must then close: 1002).
            QByteArray compressed = m_serverDeflater ? m_serverDeflater->compress(bytes) : QByteArray();
            if (!compressed.isEmpty()) {
                const int damage = m_in.ConsumeIntegralInRange(0, 7);
                if (damage == 1)
                    compressed.chop(m_in.ConsumeIntegralInRange<qsizetype>(1, compressed.size() - 1));
                else if (damage == 2)
                    compressed[m_in.ConsumeIntegralInRange<qsizetype>(0, compressed.size() - 1)] ^= char(m_in.ConsumeIntegral<quint8>() | 1);
                m_engine->handleFrame(m_now, compressed, true);
                return;
            }
        }
        m_engine->handleFrame(m_now, bytes, m_codec->usesBinaryFrames());
    }

    FuzzedDataProvider &m_in;
    std::unique_ptr<Connection> m_engine;
    const P::Codec *m_codec = nullptr;
    P::Version m_version = P::Version::V1;
    bool m_socketBatches = false;   // the current socket negotiated v1.1 (see step())
    bool m_deflate = false;   // v1.1 with compressed batches negotiated
    std::unique_ptr<P::BatchDeflater> m_serverDeflater;   // the fake server's streams of the socket
    std::unique_ptr<P::BatchInflater> m_sentInflater;
    QByteArray m_subprotocol;  // what the fake server picks
    TimePoint m_now{std::chrono::seconds(1000)};
    OutcomeLedger m_ledger;
    TransportLedger m_transport;
    QStringList m_ids;
    QList<quint64> m_seqs;
    QList<quint64> m_requestIds;
    int m_appIds = 0;
    bool m_connectedOnce = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FuzzedDataProvider in(data, size);
    ++g_depth.runs;
    Run run(in);
    for (int steps = 0; steps < 400 && in.remaining_bytes() > 0; ++steps)
        run.step();
    run.finish();
    return 0;
}
