// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (docs/protocol.md §10.5) on a chat-like stream: for batches of
// growing size, the plain and compressed wire bytes and the CPU per message to compress
// and to inflate, at zlib levels 1, 6 and 9, in both codecs. The stream is what the chat
// demo (demos/chat) puts on the wire, as tether-server fans it out to a member of the
// rooms: publications {"type":"chat","user","text","ts"} with sentences of 2-14 words from
// a 200-word vocabulary, typing notices {"type":"typing","user"} and presence
// {"type":"join"|"leave","user"}, in 4 rooms by 12 users, with the seq, ch and id fields
// the server adds. Seeded: every run measures the same bytes. Prints a Markdown table;
// --smoke runs a few iterations (CI keeps it building and running, asserts no timing).
#include "protocol/batch.h"
#include "protocol/codec.h"
#include "protocol/compression.h"

#include <QtCore/QCborMap>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QStringList>
#include <QtCore/QSysInfo>
#include <QtCore/QThread>

#include <zlib.h>

#include <cstdio>
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

// Plain batches of about `target` bytes (whole frames, at least one) cut from the stream.
std::vector<QByteArray> batches(const Codec &codec, qsizetype target, int count)
{
    Rng rng;
    quint64 seq = 1;
    qint64 ts = 1700000000000;
    std::vector<QByteArray> out;
    QByteArray next;
    while (int(out.size()) < count) {
        QByteArray batch = std::move(next);
        next.clear();
        for (;;) {
            QByteArray frame;
            codec.encode(nextPublication(rng, seq++, ts), frame);
            if (!batch.isEmpty() && batch.size() + 1 + frame.size() > target) {
                next = frame;
                break;
            }
            appendBatchSeparator(codec.kind(), batch);
            batch.append(frame);
        }
        out.push_back(std::move(batch));
    }
    return out;
}

int framesIn(const Codec &codec, const QByteArray &batch)
{
    BatchReader reader(codec, batch);
    while (!reader.atEnd())
        reader.next();
    return reader.count();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const bool smoke = app.arguments().contains(QStringLiteral("--smoke"));
    const int batchCount = smoke ? 20 : 400;
    const int rounds = smoke ? 1 : 5;

    std::printf("Compressed v1.1 batches on a chat stream (%s, %s, %d cores, Qt %s, zlib %s)\n\n",
                qPrintable(QSysInfo::prettyProductName()), qPrintable(QSysInfo::currentCpuArchitecture()),
                QThread::idealThreadCount(), qVersion(), zlibVersion());
    std::printf("| codec | batch target | frames/batch | level | plain B/msg | wire B/msg | ratio | compress µs/msg | "
                "inflate µs/msg |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const CodecKind kind : {CodecKind::Json, CodecKind::Cbor}) {
        const Codec &codec = codecFor(kind);
        for (const qsizetype target : {128, 256, 512, 1024, 2048, 4096, 16384}) {
            const std::vector<QByteArray> plain = batches(codec, target, batchCount);
            qint64 frames = 0, plainBytes = 0;
            for (const QByteArray &b : plain) {
                frames += framesIn(codec, b);
                plainBytes += b.size();
            }
            for (const int level : {1, 6, 9}) {
                qint64 wireBytes = 0, compressNs = -1, inflateNs = -1;
                std::vector<QByteArray> wire(plain.size());
                for (int round = 0; round < rounds; ++round) {   // best of `rounds`
                    QElapsedTimer timer;
                    timer.start();
                    for (size_t i = 0; i < plain.size(); ++i)
                        wire[i] = compressBatch(plain[i], level);
                    const qint64 c = timer.nsecsElapsed();
                    timer.restart();
                    qint64 check = 0;
                    for (const QByteArray &w : wire) {
                        if (!w.isEmpty())
                            check += decompressBatch(w, 16 << 20).batch.size();
                    }
                    const qint64 d = timer.nsecsElapsed();
                    if (check < 0)
                        return 1;
                    compressNs = compressNs < 0 ? c : std::min(compressNs, c);
                    inflateNs = inflateNs < 0 ? d : std::min(inflateNs, d);
                }
                for (size_t i = 0; i < plain.size(); ++i)   // not smaller: sent plain
                    wireBytes += wire[i].isEmpty() ? plain[i].size() : wire[i].size();
                std::printf("| %s | %lld | %.1f | %d | %.0f | %.0f | %.2fx | %.2f | %.2f |\n",
                            kind == CodecKind::Json ? "JSON" : "CBOR", static_cast<long long>(target),
                            double(frames) / double(plain.size()), level, double(plainBytes) / double(frames),
                            double(wireBytes) / double(frames), double(plainBytes) / double(wireBytes),
                            double(compressNs) / 1000.0 / double(frames), double(inflateNs) / 1000.0 / double(frames));
                std::fflush(stdout);
            }
        }
    }
    return 0;
}
