// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (docs/protocol.md §10.5) with context takeover: wire bytes per
// message and per batch, CPU per message to compress and to inflate, and zlib's memory per
// connection, in both codecs.
//
// Streams:
// - recorded: tests/data/chat-stream.txt, what the chat demo's ChatSession sent and
//   received on one connection in a scripted conversation (demos/chat/record_stream.cpp),
//   each direction through its own stream as on the wire; CBOR rows re-encode the same
//   frames with the CBOR codec;
// - synthetic: the seeded chat-like fan-out stream of the first measurements (chat lines,
//   typing, presence; 12 users, 4 rooms), so the earlier table stays comparable.
// Batching: one frame per batch (a quiet chat: every frame leaves in its own event-loop
// turn), as recorded (the batches the demo and the server actually built), or consecutive
// frames of one direction up to a target size. "no context" rows compress each batch with
// a fresh stream (the draft format this replaced), for comparison.
//
// Prints Markdown tables; --smoke runs one round (CI keeps it building and running and
// checks that every batch round-trips; it asserts no timing).
#include "protocol/batch.h"
#include "protocol/codec.h"
#include "protocol/compression.h"

#include <QtCore/QCborMap>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>
#include <QtCore/QStringList>
#include <QtCore/QSysInfo>
#include <QtCore/QThread>

#include <zlib.h>

#include <cstdio>
#include <memory>
#include <vector>

using namespace Tether::Protocol;

namespace {

struct Rng {
    quint64 state = 0x9e3779b97f4a7c15ull;
    quint32 next()
    {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return quint32(state >> 33);
    }
    int below(int n) { return int(next() % quint32(n)); }
};

const char *const kWords[] = {
    "the", "a", "to", "and", "is", "it", "you", "that", "we", "for", "on", "in", "this", "with", "be", "are",
    "have", "not", "at", "was", "i", "can", "do", "so", "just", "but", "what", "if", "my", "all", "get", "will",
    "about", "build", "test", "release", "merge", "branch", "server", "client", "deploy", "today", "tomorrow",
    "meeting", "lunch", "coffee", "review", "issue", "fixed", "broken", "green", "red", "again", "please", "thanks",
    "ok", "sure", "yes", "no", "maybe", "later", "now", "done", "working", "on", "looks", "good", "great", "nice",
    "weird", "crash", "log", "logs", "error", "timeout", "reconnect", "socket", "message", "queue", "battery",
    "phone", "android", "ios", "desktop", "laptop", "wifi", "train", "tunnel", "offline", "online", "back",
    "here", "there", "where", "when", "why", "how", "who", "which", "should", "could", "would", "did", "does",
    "see", "saw", "look", "check", "try", "tried", "run", "ran", "push", "pull", "pushed", "ship", "shipped",
    "ticket", "bug", "feature", "design", "docs", "benchmark", "numbers", "faster", "slower", "memory", "cpu",
    "network", "bandwidth", "mobile", "user", "users", "customer", "demo", "friday", "monday", "week", "weekend",
    "morning", "afternoon", "tonight", "call", "chat", "room", "channel", "ping", "pong", "ack", "retry", "again",
    "agreed", "hmm", "lol", "haha", "wow", "oops", "sorry", "np", "cool", "right", "left", "first", "last", "next",
    "one", "two", "three", "ten", "hundred", "percent", "minutes", "seconds", "hour", "hours", "day", "days", "soon",
    "team", "everyone", "folks", "guys", "alice", "bob", "standup", "retro", "plan", "sprint", "estimate", "scope",
    "risk", "blocker", "blocked", "unblocked", "help", "need", "want", "think", "know", "guess", "sounds", "fine"};
constexpr int kWordCount = int(sizeof kWords / sizeof kWords[0]);
const char *const kUsers[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
                              "mallory", "oscar"};
const char *const kRooms[] = {"room:general", "room:random", "room:release", "room:mobile"};

// The next publication the server fans out, as a frame.
Frame nextPublication(Rng &rng, quint64 seq, qint64 &ts)
{
    ts += 200 + rng.below(5000);
    const QString user = QString::fromLatin1(kUsers[rng.below(12)]);
    const int kind = rng.below(20);   // 80 % chat, 15 % typing, 5 % presence
    QCborMap d;
    if (kind < 16) {
        QStringList words;
        const int count = 2 + rng.below(13);
        for (int i = 0; i < count; ++i)
            words << QString::fromLatin1(kWords[rng.below(kWordCount)]);
        d = {{QStringLiteral("type"), QStringLiteral("chat")}, {QStringLiteral("user"), user},
             {QStringLiteral("text"), words.join(u' ')}, {QStringLiteral("ts"), ts}};
    } else if (kind < 19) {
        d = {{QStringLiteral("type"), QStringLiteral("typing")}, {QStringLiteral("user"), user}};
    } else {
        d = {{QStringLiteral("type"), rng.below(2) ? QStringLiteral("join") : QStringLiteral("leave")},
             {QStringLiteral("user"), user}};
    }
    Msg msg;
    msg.seq = seq;
    msg.id = QStringLiteral("c-%1-%2").arg(rng.next() % 0xffff, 4, 16, QLatin1Char('0')).arg(seq);
    msg.ch = QString::fromLatin1(kRooms[rng.below(4)]);
    msg.d = QCborValue(d);
    return Frame(msg);
}

// One direction of a connection: its encoded frames, and where the recorded WebSocket
// messages started (frame indexes).
struct Stream {
    std::vector<QByteArray> frames;
    std::vector<size_t> recordedStarts;
};

struct Recorded {
    Stream down;   // server -> client
    Stream up;     // client -> server
    QString error;
};

// tests/data/chat-stream.txt ("<"/">" a frame, "<+"/">+" same message as the line
// before), each frame encoded by `codec`.
Recorded loadRecorded(const QString &path, const Codec &codec)
{
    Recorded r;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        r.error = QStringLiteral("cannot read %1").arg(path);
        return r;
    }
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.indexOf(' ');
        if (space < 1 || (line[0] != '<' && line[0] != '>')) {
            r.error = QStringLiteral("bad line: %1").arg(QString::fromUtf8(line.left(40)));
            return r;
        }
        DecodeResult decoded = jsonCodec().decode(line.mid(space + 1));
        if (!decoded.ok()) {
            r.error = decoded.error;
            return r;
        }
        QByteArray encoded;
        codec.encode(*decoded.frame, encoded);
        Stream &s = line[0] == '<' ? r.down : r.up;
        if (line[1] != '+')
            s.recordedStarts.push_back(s.frames.size());
        s.frames.push_back(std::move(encoded));
    }
    return r;
}

Stream synthetic(const Codec &codec, int count)
{
    Rng rng;
    qint64 ts = 1700000000000;
    Stream s;
    for (int i = 0; i < count; ++i) {
        QByteArray frame;
        codec.encode(nextPublication(rng, quint64(i + 1), ts), frame);
        s.frames.push_back(std::move(frame));
    }
    return s;
}

struct Batch {
    QByteArray bytes;
    int frames = 0;
};

void addFrame(CodecKind kind, Batch &b, const QByteArray &frame)
{
    appendBatchSeparator(kind, b.bytes);
    b.bytes.append(frame);
    ++b.frames;
}

// target 0: one frame per batch; -1: the recorded batches; else frames up to `target` bytes.
std::vector<Batch> batchesOf(const Stream &s, CodecKind kind, qsizetype target)
{
    std::vector<Batch> out;
    for (size_t i = 0; i < s.frames.size(); ++i) {
        bool start = out.empty() || target == 0;
        if (target < 0)
            start = std::find(s.recordedStarts.begin(), s.recordedStarts.end(), i) != s.recordedStarts.end();
        else if (target > 0)
            start = start || out.back().bytes.size() + 1 + s.frames[i].size() > target;
        if (start)
            out.push_back({});
        addFrame(kind, out.back(), s.frames[i]);
    }
    return out;
}

struct Params {
    int level = kCompressionLevel;
    int windowBits = kCompressionWindowBits;
    int memLevel = kCompressionMemLevel;
    bool context = true;
    qsizetype threshold = 0;
};

struct Result {
    qint64 frames = 0, batches = 0, plainBytes = 0, wireBytes = 0;
    double compressUs = 0, inflateUs = 0;   // per frame
    qsizetype deflateMemory = 0, inflateMemory = 0;
    bool ok = true;
};

// Compresses and inflates `batches` as one connection direction (best of `rounds` for the
// CPU; the bytes are the same every round).
Result run(const std::vector<Batch> &batches, const Params &p, int rounds)
{
    Result r;
    for (const Batch &b : batches) {
        r.frames += b.frames;
        r.plainBytes += b.bytes.size();
    }
    r.batches = qint64(batches.size());
    qint64 bestCompress = -1, bestInflate = -1;
    std::vector<QByteArray> wire(batches.size());
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer timer;
        timer.start();
        {
            auto deflater = std::make_unique<BatchDeflater>(p.level, p.windowBits, p.memLevel);
            for (size_t i = 0; i < batches.size(); ++i) {
                if (!p.context)
                    deflater = std::make_unique<BatchDeflater>(p.level, p.windowBits, p.memLevel);
                wire[i] = batches[i].bytes.size() >= p.threshold ? deflater->compress(batches[i].bytes) : QByteArray();
            }
            r.deflateMemory = deflater->memoryBytes();
        }
        const qint64 c = timer.nsecsElapsed();
        timer.restart();
        {
            auto inflater = std::make_unique<BatchInflater>();
            for (size_t i = 0; i < batches.size(); ++i) {
                if (wire[i].isEmpty())
                    continue;
                if (!p.context)
                    inflater = std::make_unique<BatchInflater>();
                if (inflater->inflate(wire[i], 16 << 20).batch != batches[i].bytes)
                    r.ok = false;
            }
            r.inflateMemory = inflater->memoryBytes();
        }
        const qint64 d = timer.nsecsElapsed();
        bestCompress = bestCompress < 0 ? c : std::min(bestCompress, c);
        bestInflate = bestInflate < 0 ? d : std::min(bestInflate, d);
    }
    for (size_t i = 0; i < batches.size(); ++i)
        r.wireBytes += wire[i].isEmpty() ? batches[i].bytes.size() : wire[i].size();
    r.compressUs = double(bestCompress) / 1000.0 / double(r.frames);
    r.inflateUs = double(bestInflate) / 1000.0 / double(r.frames);
    return r;
}

QString batchName(qsizetype target)
{
    return target == 0 ? QStringLiteral("1 frame") : target < 0 ? QStringLiteral("as recorded")
                                                                : QStringLiteral("%1 B").arg(target);
}

bool g_ok = true;

void printRow(const char *codec, const char *stream, const QString &batching, const QString &mode, const Result &r)
{
    g_ok = g_ok && r.ok;
    std::printf("| %s | %s | %s | %s | %.1f | %.0f | %.1f | %.2fx | %.2f | %.2f | %.1f | %.1f |%s\n", codec, stream,
                qPrintable(batching), qPrintable(mode), double(r.frames) / double(r.batches),
                double(r.plainBytes) / double(r.frames), double(r.wireBytes) / double(r.frames),
                double(r.plainBytes) / double(r.wireBytes), r.compressUs, r.inflateUs, r.deflateMemory / 1024.0,
                r.inflateMemory / 1024.0, r.ok ? "" : " ROUND TRIP FAILED");
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const bool smoke = app.arguments().contains(QStringLiteral("--smoke"));
    const int rounds = smoke ? 1 : 200;
    const QString recordedPath = QStringLiteral(TETHER_SOURCE_DIR "/tests/data/chat-stream.txt");

    std::printf("Compressed v1.1 batches with context takeover (%s, %s, %d cores, Qt %s, zlib %s)\n"
                "Defaults: level %d, window 2^%d, memLevel %d. CPU: best of %d rounds.\n\n",
                qPrintable(QSysInfo::prettyProductName()), qPrintable(QSysInfo::currentCpuArchitecture()),
                QThread::idealThreadCount(), qVersion(), zlibVersion(), kCompressionLevel, kCompressionWindowBits,
                kCompressionMemLevel, rounds);

    std::printf("| codec | stream | batch | compression | frames/batch | plain B/frame | wire B/frame | ratio | "
                "compress µs/frame | inflate µs/frame | deflate KiB | inflate KiB |\n"
                "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const CodecKind kind : {CodecKind::Json, CodecKind::Cbor}) {
        const Codec &codec = codecFor(kind);
        const char *codecName = kind == CodecKind::Json ? "JSON" : "CBOR";
        const Recorded recorded = loadRecorded(recordedPath, codec);
        if (!recorded.error.isEmpty()) {
            std::fprintf(stderr, "%s\n", qPrintable(recorded.error));
            return 1;
        }
        for (const auto &[name, stream] : {std::pair{"recorded, server to client", &recorded.down},
                                           std::pair{"recorded, client to server", &recorded.up}}) {
            for (const qsizetype target : {qsizetype(0), qsizetype(-1), qsizetype(2048), qsizetype(16384)}) {
                const std::vector<Batch> batches = batchesOf(*stream, kind, target);
                printRow(codecName, name, batchName(target), QStringLiteral("context"), run(batches, {}, rounds));
                if (target == 0) {
                    Params none;
                    none.context = false;
                    printRow(codecName, name, batchName(target), QStringLiteral("no context"), run(batches, none, rounds));
                }
            }
        }
        const Stream synth = synthetic(codec, smoke ? 200 : 2000);
        for (const qsizetype target : {qsizetype(0), qsizetype(512), qsizetype(2048), qsizetype(16384)}) {
            const std::vector<Batch> batches = batchesOf(synth, kind, target);
            printRow(codecName, "synthetic fan-out", batchName(target), QStringLiteral("context"),
                     run(batches, {}, smoke ? 1 : 20));
            if (target == 0 || target == 16384) {
                Params none;
                none.context = false;
                printRow(codecName, "synthetic fan-out", batchName(target), QStringLiteral("no context"),
                         run(batches, none, smoke ? 1 : 20));
            }
        }
    }

    // The zlib parameters: JSON, one frame per batch on the recorded server-to-client
    // stream, and 16 KiB batches of the synthetic stream (where memLevel's block size and
    // hash table matter).
    std::printf("\n| level | window | memLevel | recorded, 1 frame: wire B/frame | ratio | compress µs/frame | "
                "synthetic, 16 KiB: ratio | compress µs/frame | deflate KiB | inflate KiB |\n"
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const Recorded json = loadRecorded(recordedPath, jsonCodec());
    const std::vector<Batch> lone = batchesOf(json.down, CodecKind::Json, 0);
    const std::vector<Batch> large = batchesOf(synthetic(jsonCodec(), smoke ? 200 : 2000), CodecKind::Json, 16384);
    const auto sweep = [&](int level, int windowBits, int memLevel) {
        Params p;
        p.level = level;
        p.windowBits = windowBits;
        p.memLevel = memLevel;
        const Result r = run(lone, p, smoke ? 1 : 50);
        const Result big = run(large, p, smoke ? 1 : 10);
        g_ok = g_ok && r.ok && big.ok;
        std::printf("| %d | %d | %d | %.1f | %.2fx | %.2f | %.2fx | %.2f | %.1f | %.1f |\n", level, 1 << windowBits,
                    memLevel, double(r.wireBytes) / double(r.frames), double(r.plainBytes) / double(r.wireBytes),
                    r.compressUs, double(big.plainBytes) / double(big.wireBytes), big.compressUs,
                    std::max(r.deflateMemory, big.deflateMemory) / 1024.0, std::max(r.inflateMemory, big.inflateMemory) / 1024.0);
        std::fflush(stdout);
    };
    for (const int windowBits : {9, 10, 11, 12, 13, 15})
        for (const int memLevel : {1, 2, 3, 4, 8})
            sweep(kCompressionLevel, windowBits, memLevel);
    for (const int level : {1, 9})
        sweep(level, kCompressionWindowBits, kCompressionMemLevel);

    // The threshold: per frame size, what one frame costs on the wire with context (the
    // frames of the recorded streams, both directions, one frame per batch).
    std::printf("\n| frame size | frames | plain B | wire B, context | wire B, no context |\n|---|---:|---:|---:|---:|\n");
    struct Bucket { qsizetype below; qint64 frames = 0, plain = 0, wire = 0, alone = 0; };
    std::vector<Bucket> buckets = {{16}, {24}, {32}, {64}, {128}, {256}, {1 << 30}};
    for (const Stream *s : {&json.down, &json.up}) {
        BatchDeflater deflater;
        for (const QByteArray &frame : s->frames) {
            const QByteArray wire = deflater.compress(frame);
            const QByteArray alone = BatchDeflater().compress(frame);
            for (Bucket &b : buckets) {
                if (frame.size() < b.below) {
                    ++b.frames;
                    b.plain += frame.size();
                    b.wire += wire.size();
                    b.alone += alone.size();
                    break;
                }
            }
        }
    }
    qsizetype from = 0;
    for (const Bucket &b : buckets) {
        if (b.frames > 0) {
            std::printf("| %s | %lld | %.1f | %.1f | %.1f |\n",
                        qPrintable(b.below > (1 << 20) ? QStringLiteral("%1 B and more").arg(from)
                                                       : QStringLiteral("%1-%2 B").arg(from).arg(b.below - 1)),
                        static_cast<long long>(b.frames), double(b.plain) / double(b.frames),
                        double(b.wire) / double(b.frames), double(b.alone) / double(b.frames));
        }
        from = b.below;
    }
    if (!g_ok) {
        std::fprintf(stderr, "a batch did not round-trip\n");
        return 1;
    }
    return 0;
}
