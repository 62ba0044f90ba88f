// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-server benchmark: throughput, connections, fan-out, latency and memory of the
// reference server, measured with plain QWebSocket clients (not the SDK), printed as a
// table. Not a test: it never fails on a slow machine; it reports.
//
//   tether_server_bench [--server PATH] [--seconds S] [--connections N] [--only NAME]
//
// Scenarios (NAME): raw, reliable-json, reliable-cbor, reliable-json-v11, reliable-cbor-v11,
// fanout, fanout-v11, latency, connections.
// The server is started as a child process per scenario (`--port 0`), so one scenario's
// state never skews another's, and its RSS is read from /proc/<pid>/status.
#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QSysInfo>
#include <QtCore/QThread>
#include <QtCore/QTimer>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketHandshakeOptions>

#include "fast_client.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include <unistd.h>

namespace {

QString g_serverPath;
double g_seconds = 3.0;

// Runs the event loop until `done()` or `timeoutMs`; returns done().
bool spin(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return done();
}

class Server {
public:
    explicit Server(const QStringList &extraArgs)
    {
        m_process.setProgram(g_serverPath);
        m_process.setArguments(QStringList{QStringLiteral("--port"), QStringLiteral("0"),
                                           QStringLiteral("--log-level"), QStringLiteral("error"),
                                           // a benchmark is a flood by design
                                           QStringLiteral("--max-frame-rate"), QStringLiteral("0"),
                                           QStringLiteral("--max-subscriptions"), QStringLiteral("0")}
                               + extraArgs);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start();
        spin([this] { return m_process.canReadLine() || m_process.state() == QProcess::NotRunning; }, 10000);
        const QByteArray line = m_process.readLine().trimmed();
        const int colon = line.lastIndexOf(':');
        if (line.startsWith("listening on ") && colon > 0)
            m_port = line.mid(colon + 1).toInt();
        if (m_port == 0)
            std::fprintf(stderr, "bench: server did not start: %s\n", line.constData());
    }
    ~Server()
    {
        m_process.terminate();
        if (!m_process.waitForFinished(5000))
            m_process.kill();
        m_process.waitForFinished(2000);
    }
    bool ok() const { return m_port != 0; }
    QUrl url(const char *path = "/") const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(m_port).arg(QLatin1StringView(path)));
    }
    // CPU time the server has used so far, in seconds (user + system).
    double cpuSeconds() const
    {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(m_process.processId()));
        if (!stat.open(QIODevice::ReadOnly))
            return 0;
        const QByteArray text = stat.readAll();
        // Fields after the ")" that closes the command name: state is field 3.
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() < 13)
            return 0;
        return double(fields[11].toLongLong() + fields[12].toLongLong()) / double(sysconf(_SC_CLK_TCK));
    }
    qint64 rssKb() const
    {
        QFile status(QStringLiteral("/proc/%1/status").arg(m_process.processId()));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').first().toLongLong();
        }
        return -1;
    }

private:
    QProcess m_process;
    int m_port = 0;
};

std::unique_ptr<QWebSocket> openSocket(const QUrl &url, const char *subprotocol)
{
    auto socket = std::make_unique<QWebSocket>();
    QWebSocketHandshakeOptions options;
    if (subprotocol)
        options.setSubprotocols({QString::fromLatin1(subprotocol)});
    socket->open(url, options);
    return socket;
}

bool waitOpen(QWebSocket &socket)
{
    return spin([&] { return socket.state() == QAbstractSocket::ConnectedState; }, 10000);
}

// Sends hello and waits for welcome (JSON or CBOR: the bench only checks that it came).
bool helloJson(QWebSocket &socket)
{
    bool welcomed = false;
    auto c = QObject::connect(&socket, &QWebSocket::textMessageReceived, [&](const QString &m) {
        welcomed = welcomed || m.contains(QLatin1StringView("\"welcome\""));
    });
    socket.sendTextMessage(QStringLiteral("{\"t\":\"hello\",\"v\":1}"));
    spin([&] { return welcomed; }, 10000);
    QObject::disconnect(c);
    return welcomed;
}


struct Row {
    QString scenario;
    QString result;
    QString serverCpu;   // share of one core the server used while measuring
    QString capacity;    // result / serverCpu: what one server core sustains
    QString target;
    QString verdict;
};
std::vector<Row> g_rows;

QString rate(double perSecond) { return QStringLiteral("%L1 msgs/s").arg(qint64(perSecond)); }

void addRow(const QString &scenario, const QString &result, const QString &target, bool met,
            double cpuShare = -1, double perSecond = 0)
{
    Row row{scenario, result, QStringLiteral("-"), QStringLiteral("-"), target,
            met ? QStringLiteral("met") : QStringLiteral("NOT met")};
    if (cpuShare >= 0) {
        row.serverCpu = QStringLiteral("%1 %").arg(cpuShare * 100, 0, 'f', 0);
        if (cpuShare > 0.01 && perSecond > 0)
            row.capacity = QStringLiteral("%L1/s").arg(qint64(perSecond / cpuShare));
    }
    g_rows.push_back(row);
    std::printf("  %s: %s, server CPU %s, per server core %s (target %s)\n", qPrintable(scenario),
                qPrintable(result), qPrintable(row.serverCpu), qPrintable(row.capacity), qPrintable(target));
    std::fflush(stdout);
}

// Measures a counter's rate over g_seconds, and the server's share of one core meanwhile.
struct Measured {
    double perSecond;
    double cpuShare;
};
template <typename Counter>
Measured measure(const Server &server, Counter counter)
{
    spin([] { return false; }, 500);   // warm-up
    const auto start = counter();
    const double cpuStart = server.cpuSeconds();
    QElapsedTimer timer;
    timer.start();
    spin([] { return false; }, int(g_seconds * 1000));
    const double elapsed = double(timer.elapsed()) / 1000.0;
    return {double(counter() - start) / elapsed, (server.cpuSeconds() - cpuStart) / elapsed};
}

// ---------------------------------------------------------------------------- FastClient helpers

// The number after `"seq":` in a JSON frame; 0 if none.
quint64 jsonSeq(const char *frame, qsizetype size)
{
    const QByteArrayView view(frame, size);
    const qsizetype at = view.indexOf(QByteArrayView("\"seq\":"));
    if (at < 0)
        return 0;
    quint64 value = 0;
    for (qsizetype i = at + 6; i < size && frame[i] >= '0' && frame[i] <= '9'; ++i)
        value = value * 10 + quint64(frame[i] - '0');
    return value;
}

// Each frame of a JSON message: the whole message in v1, its LF-separated lines in v1.1
// (a v1 frame never holds a raw LF, docs/protocol.md §10.2).
template <typename Handler>
void forEachJsonFrame(const char *p, qsizetype n, Handler handler)
{
    for (qsizetype at = 0; at < n;) {
        const char *lf = static_cast<const char *>(std::memchr(p + at, '\n', size_t(n - at)));
        const qsizetype end = lf ? lf - p : n;
        handler(p + at, end - at);
        at = end + 1;
    }
}

// A JSON Tether client on a FastClient: hello (and optional sub) done synchronously,
// then `onMsg` for every server msg frame and `onAck` for every ack. `v11`: it negotiates
// tether.v1.1.json and reads the server's batches (binary messages, LF-separated frames).
struct JsonPeer {
    explicit JsonPeer(bool v11 = false) : v11(v11) {}
    bool v11;
    std::function<void(const char *, qsizetype)> onMsg;
    std::function<void(quint64)> onAck;
    bool welcomed = false;
    bool answered = false;
    FastClient client{[this](int opcode, const char *p, qsizetype n) {
        if (opcode != (v11 ? 2 : 1))
            return;
        forEachJsonFrame(p, n, [this](const char *frame, qsizetype size) { onFrame(frame, size); });
    }};

    void onFrame(const char *p, qsizetype n)
    {
        if (FastClient::startsWith(p, n, "{\"t\":\"msg\"")) {
            if (onMsg)
                onMsg(p, n);
        } else if (FastClient::startsWith(p, n, "{\"t\":\"ack\"")) {
            if (onAck)
                onAck(jsonSeq(p, n));
        } else if (FastClient::startsWith(p, n, "{\"t\":\"welcome\"")) {
            welcomed = true;
        } else if (FastClient::startsWith(p, n, "{\"t\":\"res\"")) {
            answered = true;
        }
    }

    bool open(const Server &server, const char *channel = nullptr)
    {
        if (!client.open(server.url(), v11 ? "tether.v1.1.json" : "tether.v1.json"))
            return false;
        client.send(FastClient::textFrame("{\"t\":\"hello\",\"v\":1}"));
        if (!spin([this] { return welcomed; }, 10000))
            return false;
        if (!channel)
            return true;
        client.send(FastClient::textFrame(QByteArray("{\"t\":\"sub\",\"id\":1,\"ch\":\"") + channel + "\"}"));
        return spin([this] { return answered; }, 10000);
    }
};

// ---------------------------------------------------------------------------- raw echo

void benchRaw()
{
    Server server({});
    if (!server.ok())
        return;
    qint64 sent = 0, received = 0;
    FastClient client([&](int opcode, const char *, qsizetype) { received += opcode == 2 ? 1 : 0; });
    if (!client.open(server.url("/raw"), nullptr))
        return;
    const qint64 window = 20000, batch = 1000;
    QByteArray frames;
    const QByteArray payload(64, 'x');
    for (int i = 0; i < batch; ++i)
        FastClient::appendFrame(frames, 2, payload);
    QTimer pump;
    QObject::connect(&pump, &QTimer::timeout, [&] {
        while (sent - received < window) {
            client.send(frames);
            sent += batch;
        }
    });
    pump.start(0);
    const Measured m = measure(server, [&] { return received; });
    pump.stop();
    addRow(QStringLiteral("raw echo, 1 connection, 64 B binary"), rate(m.perSecond),
           QStringLiteral(">= 1 000 000 msgs/s"), m.perSecond >= 1e6, m.cpuShare, m.perSecond);
}

// ---------------------------------------------------------------------------- reliable msgs

// The highest seq of the CBOR acks {"t":"ack","seq":N} (a2 61 74 63 'ack' 63 'seq' <uint>)
// back to back in `p` (v1: one, v1.1: a batch); false when something else came (welcome).
bool readCborAcks(const char *p, qsizetype n, quint64 &acked)
{
    static const char prefix[] = "\xa2\x61t\x63" "ack\x63seq";
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    qsizetype at = 0;
    while (at < n) {
        if (n - at < 12 || std::memcmp(p + at, prefix, 11) != 0)
            return false;
        const unsigned info = u[at + 11] & 0x1f;
        const int extra = info < 24 ? 0 : info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : 8;
        quint64 v = info < 24 ? info : 0;
        for (int i = 0; i < extra && at + 12 + i < n; ++i)
            v = (v << 8) | u[at + 12 + i];
        acked = std::max(acked, v);
        at += 12 + extra;
    }
    return true;
}

// v1: one frame per WebSocket message. v1.1 (docs/protocol.md §10): kFramesPerMessage
// frames per binary message, the server's acks batched the same way.
void benchReliable(bool cbor, bool v11)
{
    Server server({});
    if (!server.ok())
        return;
    quint64 acked = 0;
    bool welcomed = false;
    FastClient client([&](int opcode, const char *p, qsizetype n) {
        if (cbor || v11 ? opcode != 2 : opcode != 1)
            return;
        if (cbor) {
            if (!readCborAcks(p, n, acked))
                welcomed = true;
            return;
        }
        forEachJsonFrame(p, n, [&](const char *frame, qsizetype size) {
            if (FastClient::startsWith(frame, size, "{\"t\":\"ack\""))
                acked = std::max(acked, jsonSeq(frame, size));
            else
                welcomed = true;
        });
    });
    const char *subprotocol = v11 ? (cbor ? "tether.v1.1.cbor" : "tether.v1.1.json")
                                  : (cbor ? "tether.v1.cbor" : "tether.v1.json");
    if (!client.open(server.url(), subprotocol))
        return;
    const int dataOpcode = cbor || v11 ? 2 : 1;  // v1.1: binary messages for both codecs
    QByteArray hello;
    if (cbor)
        FastClient::appendFrame(hello, 2, QByteArrayView("\xa2\x61t\x65hello\x61v\x01", 12));
    else
        FastClient::appendFrame(hello, dataOpcode, "{\"t\":\"hello\",\"v\":1}");
    client.send(hello);
    if (!spin([&] { return welcomed; }, 10000))
        return;

    // One burst of frames built once; only the seq field of each is rewritten per send.
    const quint64 window = 8192, burst = 512;
    const qsizetype framesPerMessage = v11 ? 64 : 1;
    const QByteArray d(64, 'x');
    QByteArray body;
    qsizetype seqOffset = 0;   // of the seq field inside one frame
    if (cbor) {
        // {"t":"msg","seq":N as a uint64,"d":h'64 bytes'}
        body.append("\xa3\x61t\x63msg\x63seq\x1b", 12);
        seqOffset = body.size();
        body.append(8, '\0');
        body.append("\x61\x64\x58\x40", 4);
        body.append(d);
    } else {
        // {"t":"msg","seq":N,"d":"64 x"}: N right-aligned in 12 columns (JSON allows the spaces)
        body.append("{\"t\":\"msg\",\"seq\":");
        seqOffset = body.size();
        body.append(12, ' ');
        body.append(",\"d\":\"").append(d).append("\"}");
    }
    const qsizetype separator = v11 && !cbor ? 1 : 0;  // JSON batches: LF between frames
    QByteArray payload;
    std::vector<qsizetype> inPayload;
    for (qsizetype i = 0; i < framesPerMessage; ++i) {
        if (i > 0 && separator)
            payload.append('\n');
        inPayload.push_back(payload.size() + seqOffset);
        payload.append(body);
    }
    QByteArray frames;
    std::vector<qsizetype> seqFields;  // in `frames`
    for (quint64 m = 0; m < burst / quint64(framesPerMessage); ++m) {
        FastClient::appendFrame(frames, dataOpcode, payload);
        const qsizetype payloadAt = frames.size() - payload.size();
        for (const qsizetype at : inPayload)
            seqFields.push_back(payloadAt + at);
    }
    quint64 sent = 0;
    QTimer pump;
    QObject::connect(&pump, &QTimer::timeout, [&] {
        while (sent - acked < window) {
            for (const qsizetype at : seqFields) {
                quint64 seq = ++sent;
                char *field = frames.data() + at;
                if (cbor) {
                    for (int b = 7; b >= 0; --b, seq >>= 8)
                        field[b] = char(seq & 0xff);
                } else {
                    for (int c = 11; c >= 0; --c) {
                        field[c] = seq || c == 11 ? char('0' + seq % 10) : ' ';
                        seq /= 10;
                    }
                }
            }
            client.send(frames);
        }
    });
    pump.start(0);
    const Measured m = measure(server, [&] { return acked; });
    pump.stop();
    const QString codecName = cbor ? QStringLiteral("CBOR") : QStringLiteral("JSON");
    if (!v11) {
        addRow(QStringLiteral("reliable msg accepted+acked, %1, d = 64 B").arg(codecName),
               rate(m.perSecond), QStringLiteral(">= 500 000 msgs/s"), m.perSecond >= 5e5, m.cpuShare, m.perSecond);
        return;
    }
    // Issue 18: twice the v1 figures per server core of 2026-11 (1.78 M JSON, 2.04 M CBOR).
    const double target = cbor ? 2 * 2.04e6 : 2 * 1.78e6;
    const double perCore = m.cpuShare > 0.01 ? m.perSecond / m.cpuShare : 0;
    addRow(QStringLiteral("reliable msg accepted+acked, v1.1 (64 frames per message), %1, d = 64 B").arg(codecName),
           rate(m.perSecond), QStringLiteral(">= %L1/s per server core").arg(qint64(target)), perCore >= target,
           m.cpuShare, m.perSecond);
}

// ---------------------------------------------------------------------------- fan-out

// v1.1: subscribers and publisher negotiate tether.v1.1.json; the publisher sends its
// publications 64 to a binary message, the server batches each subscriber's deliveries.
void benchFanout(bool v11)
{
    Server server({});
    if (!server.ok())
        return;
    const int subscribers = 100;
    std::vector<std::unique_ptr<JsonPeer>> subs;
    std::vector<quint64> lastSeq(subscribers, 0), ackedSeq(subscribers, 0);
    quint64 deliveries = 0;
    const auto ack = [&](int i) {
        ackedSeq[size_t(i)] = lastSeq[size_t(i)];
        subs[size_t(i)]->client.send(FastClient::textFrame("{\"t\":\"ack\",\"seq\":" + QByteArray::number(lastSeq[size_t(i)]) + '}'));
    };
    for (int i = 0; i < subscribers; ++i) {
        subs.push_back(std::make_unique<JsonPeer>(v11));
        subs.back()->onMsg = [&, i](const char *p, qsizetype n) {
            ++deliveries;
            lastSeq[size_t(i)] = jsonSeq(p, n);
            if (lastSeq[size_t(i)] - ackedSeq[size_t(i)] >= 64)
                ack(i);
        };
        if (!subs.back()->open(server, "bench"))
            return;
    }
    QTimer ackTimer;   // acks the tails (< 64) so the server's buffers drain
    QObject::connect(&ackTimer, &QTimer::timeout, [&] {
        for (int i = 0; i < subscribers; ++i)
            if (lastSeq[size_t(i)] > ackedSeq[size_t(i)])
                ack(i);
    });
    ackTimer.start(20);

    JsonPeer publisher(v11);
    if (!publisher.open(server))
        return;
    quint64 published = 0;
    const QByteArray d(64, 'x');
    QByteArray frames;
    QTimer pump;
    QObject::connect(&pump, &QTimer::timeout, [&] {
        // Stay at most 2000 publications ahead of the slowest subscriber (its session
        // buffer holds 10 000 unacked messages).
        const quint64 slowest = *std::min_element(lastSeq.begin(), lastSeq.end());
        frames.clear();
        QByteArray batch;
        int inBatch = 0;
        while (published < slowest + 2000) {
            ++published;
            const QByteArray frame = "{\"t\":\"msg\",\"seq\":" + QByteArray::number(published) + ",\"id\":\"f"
                                     + QByteArray::number(published) + "\",\"ch\":\"bench\",\"d\":\"" + d + "\"}";
            if (!v11) {
                FastClient::appendFrame(frames, 1, frame);
                continue;
            }
            if (inBatch > 0)
                batch.append('\n');
            batch.append(frame);
            if (++inBatch == 64) {
                FastClient::appendFrame(frames, 2, batch);
                batch.clear();
                inBatch = 0;
            }
        }
        if (inBatch > 0)
            FastClient::appendFrame(frames, 2, batch);
        if (!frames.isEmpty())
            publisher.client.send(frames);
    });
    pump.start(0);
    const Measured m = measure(server, [&] { return deliveries; });
    pump.stop();
    if (!v11) {
        addRow(QStringLiteral("fan-out 1 -> 100 subscribers, reliable, JSON, d = 64 B"),
               QStringLiteral("%L1 deliveries/s").arg(qint64(m.perSecond)), QStringLiteral(">= 200 000 deliveries/s"),
               m.perSecond >= 2e5, m.cpuShare, m.perSecond);
        return;
    }
    // Issue 18: twice the v1 figure per server core of 2026-11 (3.4 M deliveries/s).
    const double target = 2 * 3.4e6;
    const double perCore = m.cpuShare > 0.01 ? m.perSecond / m.cpuShare : 0;
    addRow(QStringLiteral("fan-out 1 -> 100 subscribers, reliable, v1.1, JSON, d = 64 B"),
           QStringLiteral("%L1 deliveries/s").arg(qint64(m.perSecond)),
           QStringLiteral(">= %L1/s per server core").arg(qint64(target)), perCore >= target, m.cpuShare, m.perSecond);
}

// ---------------------------------------------------------------------------- latency

std::pair<double, double> percentiles(std::vector<qint64> &samplesNs)
{
    if (samplesNs.empty())
        return {0, 0};
    std::sort(samplesNs.begin(), samplesNs.end());
    const auto at = [&](double q) { return double(samplesNs[size_t(q * double(samplesNs.size() - 1))]) / 1000.0; };
    return {at(0.50), at(0.99)};
}

// Round trips at `perSecond` (sent 10 at a time from a 1 ms timer). Returns p50/p99 in µs.
std::pair<double, double> measureLatency(QWebSocket &socket, bool tether, int perSecond)
{
    QElapsedTimer clock;
    clock.start();
    std::vector<qint64> sentAt;
    std::vector<qint64> samples;
    sentAt.reserve(size_t(perSecond * (g_seconds + 1)));
    samples.reserve(sentAt.capacity());
    auto onReply = [&](quint64 index) {
        if (index < sentAt.size())
            samples.push_back(clock.nsecsElapsed() - sentAt[size_t(index)]);
    };
    QMetaObject::Connection c;
    if (tether) {
        c = QObject::connect(&socket, &QWebSocket::textMessageReceived, [&](const QString &m) {
            const qsizetype at = m.indexOf(QLatin1StringView("\"id\":"));
            if (at >= 0)
                onReply(quint64(QStringView(m).mid(at + 5).split(u',').first().toULongLong()) - 1);
        });
    } else {
        c = QObject::connect(&socket, &QWebSocket::binaryMessageReceived, [&](const QByteArray &m) {
            quint64 index = 0;
            std::memcpy(&index, m.constData(), sizeof index);
            onReply(index);
        });
    }
    const int perTick = perSecond / 1000;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    const qint64 total = qint64(double(perSecond) * g_seconds);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        for (int i = 0; i < perTick && qint64(sentAt.size()) < total; ++i) {
            const quint64 index = sentAt.size();
            sentAt.push_back(clock.nsecsElapsed());
            if (tether) {
                socket.sendTextMessage(QStringLiteral("{\"t\":\"req\",\"id\":%1,\"m\":\"echo\",\"d\":\"%2\"}")
                                           .arg(index + 1)
                                           .arg(QString(48, QLatin1Char('x'))));
            } else {
                QByteArray frame(64, 'x');
                std::memcpy(frame.data(), &index, sizeof index);
                socket.sendBinaryMessage(frame);
            }
        }
    });
    ticker.start(1);
    spin([&] { return qint64(samples.size()) >= total; }, int(g_seconds * 1000) + 3000);
    ticker.stop();
    QObject::disconnect(c);
    return percentiles(samples);
}

void benchLatency()
{
    Server server({});
    if (!server.ok())
        return;
    auto raw = openSocket(server.url("/raw"), nullptr);
    auto tether = openSocket(server.url(), "tether.v1.json");
    if (!waitOpen(*raw) || !waitOpen(*tether) || !helloJson(*tether))
        return;
    const auto rawLatency = measureLatency(*raw, false, 10000);
    const auto tetherLatency = measureLatency(*tether, true, 10000);
    addRow(QStringLiteral("round trip at 10 000 msgs/s, raw echo (baseline)"),
           QStringLiteral("p50 %1 µs, p99 %2 µs").arg(rawLatency.first, 0, 'f', 0).arg(rawLatency.second, 0, 'f', 0),
           QStringLiteral("-"), true);
    addRow(QStringLiteral("round trip at 10 000 msgs/s, req echo -> res (JSON)"),
           QStringLiteral("p50 %1 µs, p99 %2 µs").arg(tetherLatency.first, 0, 'f', 0).arg(tetherLatency.second, 0, 'f', 0),
           QStringLiteral("p99 <= 2 ms"), tetherLatency.second <= 2000);
    const double added50 = tetherLatency.first - rawLatency.first;
    const double added99 = tetherLatency.second - rawLatency.second;
    addRow(QStringLiteral("added latency (req echo - raw echo)"),
           QStringLiteral("p50 %1 µs, p99 %2 µs").arg(added50, 0, 'f', 0).arg(added99, 0, 'f', 0),
           QStringLiteral("p99 <= 2 ms"), added99 <= 2000);
}

// ---------------------------------------------------------------------------- connections

void benchConnections(int target)
{
    Server server({QStringLiteral("--max-connections"), QString::number(target + 100)});
    if (!server.ok())
        return;
    spin([] { return false; }, 300);
    const qint64 rssBefore = server.rssKb();
    std::vector<std::unique_ptr<QWebSocket>> sockets;
    int welcomed = 0;
    int failed = 0;
    QElapsedTimer timer;
    timer.start();
    const int inFlight = 200;   // connects in progress at once (listen backlog, 2 cores)
    int started = 0;
    while ((welcomed + failed < target) && timer.elapsed() < 120000) {
        while (started < target && started - welcomed - failed < inFlight) {
            auto socket = std::make_unique<QWebSocket>();
            QWebSocket *s = socket.get();
            QObject::connect(s, &QWebSocket::connected, s,
                             [s] { s->sendTextMessage(QStringLiteral("{\"t\":\"hello\",\"v\":1}")); });
            QObject::connect(s, &QWebSocket::textMessageReceived, s, [&welcomed, s](const QString &m) {
                if (m.contains(QLatin1StringView("\"welcome\""))) {
                    ++welcomed;
                    s->setProperty("welcomed", true);
                }
            });
            QObject::connect(s, &QWebSocket::disconnected, s, [&failed, s] {
                if (!s->property("welcomed").toBool())
                    ++failed;
            });
            QWebSocketHandshakeOptions options;
            options.setSubprotocols({QStringLiteral("tether.v1.json")});
            s->open(QUrl(server.url()), options);
            sockets.push_back(std::move(socket));
            ++started;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    const double seconds = double(timer.elapsed()) / 1000.0;
    spin([] { return false; }, 1500);   // let the server settle (metrics tick, allocations)
    const qint64 rssAfter = server.rssKb();
    // Still serving? One more client does a request round trip.
    auto probe = openSocket(server.url(), "tether.v1.json");
    bool answered = false;
    if (waitOpen(*probe) && helloJson(*probe)) {
        QObject::connect(probe.get(), &QWebSocket::textMessageReceived,
                         [&](const QString &m) { answered = answered || m.contains(QLatin1StringView("\"res\"")); });
        probe->sendTextMessage(QStringLiteral("{\"t\":\"req\",\"id\":1,\"m\":\"echo\"}"));
        spin([&] { return answered; }, 10000);
    }
    addRow(QStringLiteral("concurrent connections held (hello/welcome each)"),
           QStringLiteral("%1 of %2 in %3 s, %4 failed, server %5").arg(welcomed).arg(target).arg(seconds, 0, 'f', 1)
               .arg(failed).arg(answered ? QStringLiteral("still answering") : QStringLiteral("NOT answering")),
           QStringLiteral(">= 5 000"), welcomed >= 5000 && answered);
    if (welcomed > 0 && rssBefore > 0 && rssAfter > 0) {
        const double perSession = double(rssAfter - rssBefore) * 1024.0 / double(welcomed);
        addRow(QStringLiteral("server RSS per idle session (connection + session)"),
               QStringLiteral("%1 KiB (RSS %2 -> %3 MiB)").arg(perSession / 1024.0, 0, 'f', 1)
                   .arg(double(rssBefore) / 1024.0, 0, 'f', 1).arg(double(rssAfter) / 1024.0, 0, 'f', 1),
               QStringLiteral("report"), true);
    }
    for (auto &s : sockets)
        s->abort();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("tether-server benchmark"));
    parser.addHelpOption();
    QCommandLineOption serverOption(QStringLiteral("server"), QStringLiteral("tether-server binary"), QStringLiteral("path"),
#ifdef TETHER_SERVER_BINARY
                                    QStringLiteral(TETHER_SERVER_BINARY)
#else
                                    QString()
#endif
    );
    QCommandLineOption secondsOption(QStringLiteral("seconds"), QStringLiteral("measuring time per scenario"),
                                     QStringLiteral("s"), QStringLiteral("3"));
    QCommandLineOption connectionsOption(QStringLiteral("connections"), QStringLiteral("connections to hold"),
                                         QStringLiteral("n"), QStringLiteral("5000"));
    QCommandLineOption onlyOption(QStringLiteral("only"),
                                  QStringLiteral("one scenario: raw, reliable-json, reliable-cbor, reliable-json-v11, reliable-cbor-v11, fanout, fanout-v11, latency, connections"),
                                  QStringLiteral("name"));
    parser.addOptions({serverOption, secondsOption, connectionsOption, onlyOption});
    parser.process(app);
    g_serverPath = parser.value(serverOption);
    g_seconds = std::max(0.2, parser.value(secondsOption).toDouble());
    const QString only = parser.value(onlyOption);
    if (g_serverPath.isEmpty()) {
        std::fprintf(stderr, "bench: no tether-server binary (pass --server PATH)\n");
        return 2;
    }
    // Rows each scenario prints when it ran; a scenario that could not run (server did not
    // start, a connection failed) prints none, and the exit status says so. Missing a
    // target is not a failure: this is a report, not a timed test.
    size_t expectedRows = 0;
    const auto want = [&](const char *name, size_t rows) {
        const bool run = only.isEmpty() || only == QLatin1StringView(name);
        expectedRows += run ? rows : 0;
        return run;
    };

    std::printf("tether-server benchmark (%s, %d cores, %.1f s per scenario)\n",
                qPrintable(QSysInfo::prettyProductName()), QThread::idealThreadCount(), g_seconds);
    if (want("raw", 1))
        benchRaw();
    if (want("reliable-json", 1))
        benchReliable(false, false);
    if (want("reliable-cbor", 1))
        benchReliable(true, false);
    if (want("reliable-json-v11", 1))
        benchReliable(false, true);
    if (want("reliable-cbor-v11", 1))
        benchReliable(true, true);
    if (want("fanout", 1))
        benchFanout(false);
    if (want("fanout-v11", 1))
        benchFanout(true);
    if (want("latency", 3))
        benchLatency();
    if (want("connections", 2))
        benchConnections(parser.value(connectionsOption).toInt());

    std::printf("\n| scenario | result | server CPU | per server core | target | |\n"
                "|---|---|---|---|---|---|\n");
    for (const Row &row : g_rows)
        std::printf("| %s | %s | %s | %s | %s | %s |\n", qPrintable(row.scenario), qPrintable(row.result),
                    qPrintable(row.serverCpu), qPrintable(row.capacity), qPrintable(row.target),
                    qPrintable(row.verdict));
    if (g_rows.size() < expectedRows) {
        std::fprintf(stderr, "bench: %zu of %zu rows: a scenario could not run\n", g_rows.size(), expectedRows);
        return 1;
    }
    return 0;
}
