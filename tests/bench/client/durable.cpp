// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Durable outbox (issue 13): what ClientOptions::storage costs, through the public API.
//   enqueue      send() of 64 B messages with no server (offline), timed from the first send
//                to the last persisted(id): the rate a producer sustains while everything it
//                sends becomes durable; Memory is the same sends with no store;
//   end to end   AtLeastOnce through tether-server with the window of 256, as in the
//                throughput scenario, Memory vs CrashSafe vs PowerSafe in the same run
//                (interleaved): done at the last delivered(id);
//   restore      a store holding N queued 100-byte messages: the time a new Client takes to
//                construct (open, read, rebuild the outbox), and the file's bytes per message.
// Store-level figures (commits and fsyncs per second, the writer thread's CPU) are printed by
// tests/bench/store (bench_store).
#include "scenarios.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QFileInfo>
#include <QtCore/QTemporaryDir>

#include <algorithm>

namespace Bench {

namespace {

constexpr int kWindow = 256;
constexpr int kTimeoutMs = 300000;

Tether::ClientOptions durableOptions(const QString &path, Tether::Durability durability, qint64 count)
{
    Tether::ClientOptions o;
    o.codec = Tether::Codec::Cbor;
    o.queue.maxInFlight = kWindow;
    o.queue.maxMessages = int(std::max<qint64>(count + 1, 10000));
    o.queue.maxBytes = qint64(1) << 30;
    o.storage = path;
    o.durability = durability;
    return o;
}

QString durabilityName(const QString &path, Tether::Durability d)
{
    if (path.isEmpty())
        return QStringLiteral("Memory (no store)");
    return d == Tether::Durability::PowerSafe ? QStringLiteral("PowerSafe") : QStringLiteral("CrashSafe");
}

qint64 storeBytes(const QString &path)
{
    qint64 total = 0;
    for (const char *suffix : {"", "-wal", "-shm"})
        total += QFileInfo(path + QLatin1String(suffix)).size();
    return total;
}

// send() while offline until `count` messages are queued and (with a store) persisted.
// Returns the wall seconds and the client's CPU seconds; 0 on failure.
Usage enqueue(const QString &path, Tether::Durability durability, const QByteArray &payload, qint64 count)
{
    Tether::Client client(QUrl(QStringLiteral("ws://127.0.0.1:1/")), durableOptions(path, durability, count));
    qint64 persisted = 0;
    QObject::connect(&client, &Tether::Client::persisted, &client, [&] { ++persisted; });
    const Usage before = Usage::now(0);
    for (qint64 i = 0; i < count; ++i) {
        if (!client.send(payload)) {
            fail(QStringLiteral("durable: send() refused at message %1").arg(i));
            return {};
        }
        // Let the store's reports in now and then, as an app's event loop would.
        if ((i & 1023) == 1023)
            QCoreApplication::processEvents();
    }
    if (!path.isEmpty() && !waitFor([&] { return persisted == count; }, kTimeoutMs)) {
        fail(QStringLiteral("durable: %1 of %2 persisted").arg(persisted).arg(count));
        return {};
    }
    return Usage::now(0) - before;
}

// AtLeastOnce through the server with the window of 256, done at the last delivered().
Usage endToEnd(const ServerProcess &server, const QString &path, Tether::Durability durability,
               const QByteArray &payload, qint64 count)
{
    Usage used;
    if (!reliableWindow(server, durableOptions(path, durability, count), payload, count, kWindow, &used))
        return {};
    return used;
}

} // namespace

void durable(const Settings &settings, ServerProcess &server)
{
    QTemporaryDir dir;
    if (!dir.isValid()) {
        fail(QStringLiteral("durable: no temporary directory"));
        return;
    }
    int serial = 0;
    const auto freshPath = [&] { return dir.filePath(QStringLiteral("bench-%1.db").arg(++serial)); };
    const QByteArray small(64, 'x');
    struct Mode {
        bool store;
        Tether::Durability durability;
    };
    const QList<Mode> modes = {{false, Tether::Durability::Memory},
                               {true, Tether::Durability::CrashSafe},
                               {true, Tether::Durability::PowerSafe}};

    // --- enqueue ---
    const qint64 enqueueCount = settings.smoke ? 2000 : 400000;
    Table enqueueTable(QStringLiteral("Durable outbox: send() of 64 B messages offline until each is persisted "
                                      "(best of %1 runs)").arg(settings.runs),
                       {QStringLiteral("mode"), QStringLiteral("messages"), QStringLiteral("msgs/s (wall)"),
                        QStringLiteral("client CPU µs/msg"), QStringLiteral("target")},
                       QStringLiteral("lrrrl"));
    for (const Mode &mode : modes) {
        // PowerSafe is measured with fewer messages: it is the fsync rate that matters.
        const qint64 count = mode.durability == Tether::Durability::PowerSafe ? enqueueCount / 4 : enqueueCount;
        double best = 0, cpu = 1e300;
        for (int r = 0; r < settings.runs; ++r) {
            const QString path = mode.store ? freshPath() : QString();
            const Usage used = enqueue(path, mode.durability, small, count);
            if (failed())
                return;
            best = std::max(best, double(count) / used.wallS);
            cpu = std::min(cpu, used.cpuS * 1e6 / double(count));
        }
        QString target = QStringLiteral("-");
        if (mode.store && mode.durability == Tether::Durability::CrashSafe)
            target = QStringLiteral(">= 200 000 (stretch 400 000): ") + verdict(best >= 200000);
        enqueueTable.addRow({durabilityName(mode.store ? QStringLiteral("x") : QString(), mode.durability),
                             integer(double(count)), integer(best), fixed(cpu, 2), target});
    }
    enqueueTable.addNote(QStringLiteral("timed from the first send() to the last persisted(id); the store "
                                        "writes on its own thread, so wall rate and client CPU differ."));
    enqueueTable.print();

    // --- end to end ---
    const qint64 e2eCount = settings.smoke ? 2000 : 300000;
    Table e2eTable(QStringLiteral("Durable outbox: AtLeastOnce 64 B through tether-server, window 256, "
                                  "%1 messages (best of %2 runs, modes interleaved)").arg(e2eCount).arg(settings.runs),
                   {QStringLiteral("mode"), QStringLiteral("msgs/s (wall)"), QStringLiteral("vs Memory"),
                    QStringLiteral("client CPU µs/msg"), QStringLiteral("server CPU µs/msg"),
                    QStringLiteral("target")},
                   QStringLiteral("lrrrrl"));
    double best[3] = {0, 0, 0}, cpu[3] = {1e300, 1e300, 1e300}, serverCpu[3] = {1e300, 1e300, 1e300};
    for (int r = 0; r < settings.runs; ++r) {
        for (int m = 0; m < 3; ++m) {
            const Usage used = endToEnd(server, modes[m].store ? freshPath() : QString(), modes[m].durability,
                                        small, e2eCount);
            if (failed())
                return;
            best[m] = std::max(best[m], double(e2eCount) / used.wallS);
            cpu[m] = std::min(cpu[m], used.cpuS * 1e6 / double(e2eCount));
            serverCpu[m] = std::min(serverCpu[m], used.serverCpuS * 1e6 / double(e2eCount));
        }
    }
    for (int m = 0; m < 3; ++m) {
        QString target = QStringLiteral("-");
        if (m == 1)
            target = QStringLiteral(">= 0.5x Memory: ") + verdict(best[1] >= 0.5 * best[0]);
        e2eTable.addRow({durabilityName(modes[m].store ? QStringLiteral("x") : QString(), modes[m].durability),
                         integer(best[m]), m == 0 ? QStringLiteral("1.00x") : ratio(best[m] / best[0]),
                         fixed(cpu[m], 2), fixed(serverCpu[m], 2), target});
    }
    e2eTable.addNote(QStringLiteral("a message delivered before its group commit is never written (persist.h): "
                                    "under load most messages cost the disk nothing."));
    e2eTable.print();

    // --- restore ---
    const qint64 restoreCount = settings.smoke ? 2000 : 100000;
    const QByteArray hundred(100, 'x');
    const QString path = freshPath();
    {
        const Usage filled = enqueue(path, Tether::Durability::CrashSafe, hundred, restoreCount);
        if (failed() || filled.wallS == 0)
            return;
    }   // closed: everything is in the file
    const qint64 bytes = storeBytes(path);
    double bestRestore = 1e300;
    int restored = 0;
    for (int r = 0; r < settings.runs; ++r) {
        QElapsedTimer timer;
        timer.start();
        Tether::Client client(QUrl(QStringLiteral("ws://127.0.0.1:1/")),
                              durableOptions(path, Tether::Durability::CrashSafe, restoreCount));
        bestRestore = std::min(bestRestore, double(timer.nsecsElapsed()) / 1e9);
        restored = client.restoredCount();
    }
    if (restored != restoreCount) {
        fail(QStringLiteral("durable: restored %1 of %2").arg(restored).arg(restoreCount));
        return;
    }
    Table restoreTable(QStringLiteral("Durable outbox: restore (best of %1 runs)").arg(settings.runs),
                       {QStringLiteral("queued messages"), QStringLiteral("payload"), QStringLiteral("restore (s)"),
                        QStringLiteral("store bytes"), QStringLiteral("bytes/message"), QStringLiteral("target")},
                       QStringLiteral("rrrrrl"));
    restoreTable.addRow({integer(double(restoreCount)), QStringLiteral("100 B"), fixed(bestRestore, 3),
                         integer(double(bytes)), integer(double(bytes) / double(restoreCount)),
                         QStringLiteral("< 1 s: ") + verdict(bestRestore < 1.0)});
    restoreTable.addNote(QStringLiteral("restore = constructing the Client: lock, open, read every row, rebuild "
                                        "the outbox; the file holds the ids (22 B), the CBOR payload and the "
                                        "row's fields."));
    restoreTable.print();
}

} // namespace Bench
