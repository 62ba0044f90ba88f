// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Store benchmarks (issue 13): Tether::Store on real files, prints Markdown tables.
//
//   enqueue     CrashSafe: 64-byte messages put in group commits of G messages (the engine's
//               persistMaxChanges), as fast as they are submitted; msgs/s from the first
//               submit() to the last persisted() report, i.e. what the store sustains. Also
//               the steady state of a flowing queue: every batch removes the messages put
//               two batches earlier (delivered), as a connected client's batches do.
//   powersafe   PowerSafe: one message per batch (the engine makes a batch due at once for
//               a PowerSafe message), each with `sync`; the store merges what queues up
//               while it fsyncs, so msgs/s and commits (fsyncs)/s show the group commit.
//               "1 batch in flight" waits for each report before the next submit(): one
//               fsync per message, the disk's own rate.
//   restore     open() of a store holding 100 000 queued 100-byte messages (lock, header
//               and quick_check, snapshot read), and the file's bytes per message.
// Wall time (the work is the store's own thread plus the disk). CPU µs/msg: the whole
// process (the producer building batches, as the engine would, plus the store) and the
// store's thread alone; both are less sensitive to the shared machine than msgs/s.
//
// --smoke runs each with tiny counts (a ctest smoke test); nothing is asserted.
// --dir PATH puts the files there (default: a temporary directory under $TMPDIR).
#include "../../../sdk/client/store_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFileInfo>
#include <QtCore/QTemporaryDir>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>

using namespace Tether;
using Engine::PersistBatch;
using Engine::StoredMessage;

namespace {

// CPU time of the store's thread (named "tether-store"), from /proc: what the store costs,
// whatever else the shared machine runs. -1 when it cannot be found.
qint64 storeThreadCpuNs()
{
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(tid + QStringLiteral("/comm")));
        if (!comm.open(QIODevice::ReadOnly) || comm.readAll().trimmed() != "tether-store")
            continue;
        QFile stat(tasks.filePath(tid + QStringLiteral("/schedstat")));
        if (stat.open(QIODevice::ReadOnly))
            return stat.readAll().split(' ').value(0).toLongLong();
    }
    return -1;
}

qint64 processCpuNs()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Like the engine's ids: 128 random bits, 22 base64url characters.
QString randomId(std::mt19937_64 &rng)
{
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    QString id(22, Qt::Uninitialized);
    quint64 bits[2] = {rng(), rng()};
    for (int i = 0; i < 22; ++i)
        id[i] = QLatin1Char(kAlphabet[(bits[i / 11] >> ((i % 11) * 6)) & 63]);
    return id;
}

// The payload is shared (implicitly): the bytes are written per row all the same.
StoredMessage makeMessage(quint64 serial, const QByteArray &payload, std::mt19937_64 &rng)
{
    StoredMessage m;
    m.serial = serial;
    m.id = randomId(rng);
    m.channel = QStringLiteral("room/lobby");
    m.payload = payload;
    m.flags = StoredMessage::Reliable;
    m.durability = Engine::Durability::CrashSafe;
    return m;
}

struct Run {
    QString name;
    quint64 messages = 0;
    double seconds = 0;
    double cpuUsPerMsg = 0;
    double storeUsPerMsg = 0;
    quint64 commits = 0;
    quint64 batches = 0;
};

Store::Identity identity()
{
    return {Protocol::CodecKind::Json, false, {QStringLiteral("ws://bench.invalid/")}};
}

// Submits batches 1..`batches` as `make` builds them (inside the timing, as the engine
// builds them in a client) and waits for every report.
Run drive(const QString &name, const QString &path, quint64 batches, quint64 messages,
          const std::function<PersistBatch(quint64)> &make, bool oneInFlight = false)
{
    Store store;
    const auto r = store.open(path, identity());
    if (!r.isWritable()) {
        std::fprintf(stderr, "cannot open %s: %s\n", qPrintable(path), qPrintable(r.message));
        std::exit(1);
    }
    quint64 reported = 0;
    bool failed = false;
    QObject::connect(&store, &Store::persisted, [&](quint64 number, const QString &error) {
        reported = number;
        if (!error.isEmpty() && !failed) {
            failed = true;
            std::fprintf(stderr, "%s\n", qPrintable(error));
        }
    });
    const quint64 commitsBefore = store.commits();
    const qint64 cpu0 = processCpuNs();
    const qint64 store0 = storeThreadCpuNs();
    QElapsedTimer timer;
    timer.start();
    for (quint64 n = 1; n <= batches; ++n) {
        store.submit(make(n));
        // Reports are delivered as they come, as in a client's event loop.
        QCoreApplication::processEvents();
        while (oneInFlight && reported < n)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    while (reported < batches)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    Run run;
    run.name = name;
    run.seconds = timer.nsecsElapsed() / 1e9;
    run.cpuUsPerMsg = (processCpuNs() - cpu0) / 1e3 / double(messages);
    run.storeUsPerMsg = (storeThreadCpuNs() - store0) / 1e3 / double(messages);
    run.messages = messages;
    run.commits = store.commits() - commitsBefore;
    run.batches = batches;
    return run;
}

Run enqueue(const QString &path, quint64 total, int group, bool flowing)
{
    std::mt19937_64 rng(1);
    const QByteArray payload(64, 'x');
    const quint64 batches = (total + group - 1) / group;
    auto make = [&](quint64 n) {
        PersistBatch b;
        b.number = n;
        b.put.reserve(group);
        for (quint64 serial = (n - 1) * group + 1; serial <= std::min(n * group, total); ++serial)
            b.put.push_back(makeMessage(serial, payload, rng));
        if (flowing && n > 2) {
            const quint64 first = (n - 3) * quint64(group) + 1;
            for (quint64 s = first; s < first + quint64(group); ++s)
                b.removed.push_back(s);
        }
        return b;
    };
    const QString name = QStringLiteral("CrashSafe, %1, group %2")
                             .arg(flowing ? QStringLiteral("put+remove") : QStringLiteral("put only"))
                             .arg(group);
    return drive(name, path, batches, total, make);
}

Run powerSafe(const QString &path, quint64 total, bool oneInFlight)
{
    std::mt19937_64 rng(2);
    const QByteArray payload(64, 'x');
    auto make = [&](quint64 n) {
        PersistBatch b;
        b.number = n;
        b.put = {makeMessage(n, payload, rng)};
        b.put[0].durability = Engine::Durability::PowerSafe;
        b.sync = true;
        return b;
    };
    return drive(oneInFlight ? QStringLiteral("PowerSafe, 1 msg per batch, 1 batch in flight")
                             : QStringLiteral("PowerSafe, 1 msg per batch, as fast as submitted"),
                 path, total, total, make, oneInFlight);
}

void printRuns(const std::vector<Run> &runs)
{
    std::printf("| scenario | messages | msgs/s | process CPU µs/msg | store thread CPU µs/msg | batches | commits | commits/s |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const Run &r : runs)
        std::printf("| %s | %llu | %.0f | %.2f | %.2f | %llu | %llu | %.0f |\n", qPrintable(r.name),
                    (unsigned long long)r.messages, r.messages / r.seconds, r.cpuUsPerMsg, r.storeUsPerMsg,
                    (unsigned long long)r.batches, (unsigned long long)r.commits, r.commits / r.seconds);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const bool smoke = args.contains(QStringLiteral("--smoke"));
    QTemporaryDir tmp;
    QString dir = tmp.path();
    if (const int i = args.indexOf(QStringLiteral("--dir")); i > 0 && i + 1 < args.size())
        dir = args[i + 1];
    int file = 0;
    auto newPath = [&] {
        const QString path = QDir(dir).filePath(QStringLiteral("bench-%1.db").arg(++file));
        for (const auto suffix : {QLatin1String(""), QLatin1String("-wal"), QLatin1String("-shm")})
            QFile::remove(path + suffix);
        return path;
    };

    const quint64 enqueueTotal = smoke ? 5'000 : 1'000'000;
    const quint64 powerTotal = smoke ? 200 : 20'000;
    const quint64 restoreTotal = smoke ? 2'000 : 100'000;

    std::printf("## Store (SQLite, WAL) — %s\n\n", qPrintable(QDir(dir).absolutePath()));
    std::vector<Run> runs;
    for (int group : {64, 512})
        runs.push_back(enqueue(newPath(), enqueueTotal, group, false));
    runs.push_back(enqueue(newPath(), enqueueTotal, 512, true));
    runs.push_back(powerSafe(newPath(), powerTotal, false));
    runs.push_back(powerSafe(newPath(), smoke ? 20 : 500, true));
    printRuns(runs);

    // Restore: a store holding `restoreTotal` queued 100-byte messages, closed cleanly.
    const QString path = newPath();
    {
        std::mt19937_64 rng(3);
        const QByteArray payload(100, 'x');
        const quint64 batches = (restoreTotal + 999) / 1000;
        drive(QStringLiteral("fill"), path, batches, restoreTotal, [&](quint64 n) {
            PersistBatch b;
            b.number = n;
            for (quint64 serial = (n - 1) * 1000 + 1; serial <= std::min(n * 1000, restoreTotal); ++serial) {
                b.put.push_back(makeMessage(serial, payload, rng));
                b.put.back().seq = serial;
            }
            return b;
        });
    }
    const qint64 bytes = QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size();
    std::printf("\n| restore | messages | open() ms | of which per message µs | file bytes | bytes/msg (100 B payload) |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    for (int attempt = 1; attempt <= 3; ++attempt) {
        QElapsedTimer timer;
        timer.start();
        Store store;
        const auto r = store.open(path, identity());
        const double ms = timer.nsecsElapsed() / 1e6;
        if (r.snapshot.messages.size() != restoreTotal) {
            std::fprintf(stderr, "restore read %zu messages\n", r.snapshot.messages.size());
            return 1;
        }
        std::printf("| run %d | %llu | %.1f | %.2f | %lld | %.1f |\n", attempt, (unsigned long long)restoreTotal, ms,
                    ms * 1000 / restoreTotal, (long long)bytes, double(bytes) / restoreTotal);
    }
    return 0;
}
