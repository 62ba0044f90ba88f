// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tst_store: Tether::Store (sdk/client/store_p.h) on real files in a temporary directory.
//
// Cases that need another process re-run this binary with `--child <mode> <arg>`: holding
// the store's lock (killed or not), and, inside `unshare -rm` (an unprivileged user and
// mount namespace, so even root cannot write through it), a read-only mount and a tiny
// full tmpfs. No sleeps: the store's thread is waited for with bounded QTRY_ waits.
#include "../../sdk/client/store_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include "namespace_child.h"

#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlQuery>
#include <QtTest/QTest>

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace Tether;
using namespace std::chrono_literals;
using Engine::PersistBatch;
using Engine::StoredMessage;

namespace {

constexpr int kWaitMs = 10000;

Store::Identity identity(Protocol::CodecKind codec = Protocol::CodecKind::Json, bool raw = false)
{
    return {codec, raw, {QStringLiteral("wss://b.example/ws"), QStringLiteral("wss://a.example/ws")}};
}

// A fixed pair of instants: deadlines in the tests are exact multiples of a millisecond.
Store::TimeBase baseAt(Engine::TimePoint steady, std::chrono::milliseconds wallSinceEpoch)
{
    return {steady, std::chrono::system_clock::time_point(wallSinceEpoch)};
}
const Store::TimeBase kBase = baseAt(Engine::TimePoint(1000s), 1'700'000'000'000ms);

StoredMessage message(quint64 serial, qsizetype payloadSize = 16)
{
    StoredMessage m;
    m.serial = serial;
    m.id = QStringLiteral("m-%1").arg(serial);
    m.payload = QByteArray(payloadSize, char('a' + serial % 26));
    return m;
}

// Every field set, none at its default.
StoredMessage fullMessage(quint64 serial)
{
    StoredMessage m = message(serial);
    m.channel = QStringLiteral("room/%1").arg(serial);
    m.coalescingKey = QStringLiteral("key-%1").arg(serial);
    m.payload = QByteArray("\x00\xff binary \x01", 12);
    m.seq = 40 + serial;
    m.deadline = kBase.steady + 30s + std::chrono::milliseconds(serial);
    m.flags = StoredMessage::Reliable | StoredMessage::Shared | StoredMessage::EverSent;
    m.durability = Engine::Durability::PowerSafe;
    return m;
}

void compareMessages(const std::vector<StoredMessage> &actual, const std::vector<StoredMessage> &expected)
{
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        const StoredMessage &a = actual[i];
        const StoredMessage &e = expected[i];
        QCOMPARE(a.serial, e.serial);
        QCOMPARE(a.id, e.id);
        QCOMPARE(a.channel, e.channel);
        QCOMPARE(a.coalescingKey, e.coalescingKey);
        QCOMPARE(a.payload, e.payload);
        QCOMPARE(a.seq, e.seq);
        QCOMPARE(a.deadline.has_value(), e.deadline.has_value());
        if (a.deadline)
            QCOMPARE(a.deadline->time_since_epoch().count(), e.deadline->time_since_epoch().count());
        QCOMPARE(a.flags, e.flags);
        QCOMPARE(int(a.durability), int(e.durability));
    }
}

// Collects persisted() reports in arrival order.
struct Reports {
    explicit Reports(Store &store)
    {
        QObject::connect(&store, &Store::persisted, &store,
                         [this](quint64 number, const QString &error) { list.emplace_back(number, error); });
    }
    std::vector<std::pair<quint64, QString>> list;
};

Store::OpenResult reopen(const QString &path, const Store::Identity &id = identity(), Store::TimeBase base = kBase)
{
    Store store;
    return store.open(path, id, base);
}

QString statusName(Store::OpenStatus status)
{
    switch (status) {
    case Store::OpenStatus::Opened: return QStringLiteral("Opened");
    case Store::OpenStatus::Recovered: return QStringLiteral("Recovered");
    case Store::OpenStatus::ReadOnly: return QStringLiteral("ReadOnly");
    case Store::OpenStatus::InUse: return QStringLiteral("InUse");
    case Store::OpenStatus::Failed: return QStringLiteral("Failed");
    }
    return {};
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool readLine(QProcess &process, QByteArray *line)
{
    while (!process.canReadLine()) {
        if (!process.waitForReadyRead(kWaitMs))
            return false;
    }
    *line = process.readLine().trimmed();
    return true;
}

// ---- child processes ---------------------------------------------------------------------

#define CHILD_CHECK(cond, what)                                                                   \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            std::fprintf(stderr, "child check failed (line %d): %s: %s\n", __LINE__, #cond,       \
                         qUtf8Printable(what));                                                   \
            return 1;                                                                             \
        }                                                                                         \
    } while (false)

constexpr int kChildNoNamespace = 77;

bool waitReports(Reports &reports, size_t count)
{
    QDeadlineTimer deadline(kWaitMs);
    while (reports.list.size() < count && !deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    return reports.list.size() >= count;
}

int mountTmpfs(const QString &dir, const char *options)
{
    if (::mount("tmpfs", QFile::encodeName(dir).constData(), "tmpfs", 0, options) != 0) {
        std::fprintf(stderr, "cannot mount a tmpfs: %s\n", std::strerror(errno));
        return kChildNoNamespace;
    }
    return 0;
}

// Holds the store's lock until stdin closes (or the parent kills us).
int childHold(const QString &path)
{
    Store store;
    const auto r = store.open(path, identity(), kBase);
    std::printf("%s\n", qPrintable(statusName(r.status)));
    std::fflush(stdout);
    while (std::getchar() != EOF) {
    }
    return 0;
}

// In a private mount namespace: a store written, then its mount made read-only.
int childReadOnly(const QString &dir)
{
    if (int rc = mountTmpfs(dir, "size=1m"))
        return rc;
    const QString path = dir + QStringLiteral("/store.db");
    PersistBatch batch;
    batch.number = 1;
    batch.put = {fullMessage(1), fullMessage(2), fullMessage(3)};
    batch.session = Engine::StoredSession{QStringLiteral("s-1"), 7, 8, 9};
    {
        Store store;
        Reports reports(store);
        const auto r = store.open(path, identity(), kBase);
        CHILD_CHECK(r.status == Store::OpenStatus::Opened, r.message);
        store.submit(batch);
        CHILD_CHECK(waitReports(reports, 1), QStringLiteral("no report"));
        CHILD_CHECK(reports.list[0].second.isEmpty(), reports.list[0].second);
    }
    if (::mount(nullptr, QFile::encodeName(dir).constData(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
        std::fprintf(stderr, "cannot remount read-only: %s\n", std::strerror(errno));
        return kChildNoNamespace;
    }
    Store store;
    Reports reports(store);
    const auto r = store.open(path, identity(), kBase);
    CHILD_CHECK(r.status == Store::OpenStatus::ReadOnly, statusName(r.status) + QStringLiteral(" ") + r.message);
    CHILD_CHECK(r.message.contains(path) && r.message.contains(QLatin1String("cannot be written")), r.message);
    CHILD_CHECK(r.snapshot.messages.size() == 3, QString::number(r.snapshot.messages.size()));
    CHILD_CHECK(r.snapshot.messages[2].payload == fullMessage(3).payload, QStringLiteral("payload"));
    CHILD_CHECK(r.snapshot.session == *batch.session, r.snapshot.session.sid);
    CHILD_CHECK(!store.isWritable(), QStringLiteral("writable"));
    PersistBatch next;
    next.number = 2;
    next.put = {message(4)};
    store.submit(next);
    CHILD_CHECK(waitReports(reports, 1), QStringLiteral("no report"));
    CHILD_CHECK(reports.list[0].first == 2 && !reports.list[0].second.isEmpty(), reports.list[0].second);
    std::printf("%s\n", qPrintable(r.message));
    return 0;
}

// In a private mount namespace: a tmpfs too small for what is written.
int childDiskFull(const QString &dir)
{
    if (int rc = mountTmpfs(dir, "size=256k"))
        return rc;
    const QString path = dir + QStringLiteral("/store.db");
    std::vector<StoredMessage> written;
    QString error;
    {
        Store store;
        Reports reports(store);
        const auto r = store.open(path, identity(), kBase);
        CHILD_CHECK(r.status == Store::OpenStatus::Opened, r.message);
        for (quint64 n = 1; n <= 64 && error.isEmpty(); ++n) {
            PersistBatch batch;
            batch.number = n;
            batch.put = {message(n, 16 * 1024)};
            store.submit(batch);
            CHILD_CHECK(waitReports(reports, n), QStringLiteral("no report"));
            error = reports.list.back().second;
            if (error.isEmpty())
                written.push_back(batch.put[0]);
        }
        CHILD_CHECK(!error.isEmpty(), QStringLiteral("the disk never filled"));
        CHILD_CHECK(error.contains(QLatin1String("disk full")) && error.contains(path), error);
        CHILD_CHECK(!store.isWritable(), QStringLiteral("still writable"));
        CHILD_CHECK(!written.empty(), QStringLiteral("nothing fitted"));
        // After a failure nothing more is written, but every batch is still answered.
        PersistBatch later;
        later.number = 100;
        later.removed = {1};
        store.submit(later);
        CHILD_CHECK(waitReports(reports, reports.list.size() + 1), QStringLiteral("no report"));
        CHILD_CHECK(reports.list.back().first == 100 && !reports.list.back().second.isEmpty(),
                    reports.list.back().second);
    }
    // Everything committed before the disk filled is still there.
    Store store;
    const auto r = store.open(path, identity(), kBase);
    CHILD_CHECK(r.status == Store::OpenStatus::Opened || r.status == Store::OpenStatus::ReadOnly,
                statusName(r.status) + QStringLiteral(" ") + r.message);
    CHILD_CHECK(r.snapshot.messages.size() == written.size(),
                QStringLiteral("%1 of %2").arg(r.snapshot.messages.size()).arg(written.size()));
    for (size_t i = 0; i < written.size(); ++i)
        CHILD_CHECK(r.snapshot.messages[i].payload == written[i].payload, QString::number(i));
    std::printf("%s\n%zu batches fitted; reopened %s\n", qPrintable(error), written.size(),
                qPrintable(statusName(r.status)));
    return 0;
}

// Writes batches of 10 messages until killed, printing each batch's number once it is
// reported durable.
int childWrite(const QString &path)
{
    Store store;
    const auto r = store.open(path, identity(), kBase);
    CHILD_CHECK(r.isWritable(), r.message);
    QObject::connect(&store, &Store::persisted, [](quint64 number, const QString &error) {
        if (!error.isEmpty())
            std::exit(3);
        std::printf("%llu\n", (unsigned long long)number);
        std::fflush(stdout);
    });
    for (quint64 n = 1;; ++n) {
        PersistBatch b;
        b.number = n;
        for (quint64 serial = (n - 1) * 10 + 1; serial <= n * 10; ++serial)
            b.put.push_back(message(serial));
        b.session = Engine::StoredSession{QStringLiteral("s"), n, n, n};
        store.submit(std::move(b));
        QCoreApplication::processEvents();
    }
}

int childMain(const QStringList &args)
{
    if (args.size() != 2)
        return 2;
    if (args[0] == QLatin1String("hold"))
        return childHold(args[1]);
    if (args[0] == QLatin1String("write"))
        return childWrite(args[1]);
    if (args[0] == QLatin1String("readonly"))
        return childReadOnly(args[1]);
    if (args[0] == QLatin1String("diskfull"))
        return childDiskFull(args[1]);
    return 2;
}

} // namespace

class tst_Store : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { QVERIFY(dir.isValid()); path = dir.filePath(QStringLiteral("store-%1.db").arg(++counter)); }

    void freshStore()
    {
        Store store;
        const auto r = store.open(path, identity(Protocol::CodecKind::Cbor, true), kBase);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
        QVERIFY(r.message.isEmpty());
        QVERIFY(r.snapshot.messages.empty());
        QCOMPARE(r.snapshot.session, Engine::StoredSession{});
        QCOMPARE(r.snapshot.codec, Protocol::CodecKind::Cbor);
        QVERIFY(r.snapshot.rawMode);
        QVERIFY(r.snapshot.sameEndpoint);
        QVERIFY(store.isOpen());
        QVERIFY(store.isWritable());
        QVERIFY(QFileInfo::exists(path + QStringLiteral(".lock")));
        store.close();
        QVERIFY(!store.isOpen());
        QVERIFY(!QFileInfo::exists(path + QStringLiteral(".lock")));
        // The identity is in the file from its creation, before any batch.
        const auto again = reopen(path, identity(Protocol::CodecKind::Cbor, true));
        QCOMPARE(statusName(again.status), QStringLiteral("Opened"));
        QCOMPARE(again.snapshot.codec, Protocol::CodecKind::Cbor);
        QVERIFY(again.snapshot.rawMode);
        QVERIFY(again.snapshot.sameEndpoint);
    }

    // The store holds payloads and the session id: the database, its WAL and its lock are
    // the owner's alone, whatever the umask (docs/security.md).
    void onlyTheOwnerReadsTheStore()
    {
        const mode_t previous = ::umask(0);
        Store store;
        const auto r = store.open(path, identity(), kBase);
        ::umask(previous);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
        for (const QString &file : {path, path + QStringLiteral("-wal"), path + QStringLiteral(".lock")}) {
            struct stat info = {};
            QVERIFY2(::stat(QFile::encodeName(file).constData(), &info) == 0, qPrintable(file));
            QCOMPARE(info.st_mode & 0777, mode_t(0600));
        }
    }

    void missingDirectoryCreated()
    {
        const QString nested = dir.filePath(QStringLiteral("a/b/store.db"));
        Store store;
        QCOMPARE(statusName(store.open(nested, identity(), kBase).status), QStringLiteral("Opened"));
        QVERIFY(QFileInfo::exists(nested));
    }

    void roundTrip_data()
    {
        QTest::addColumn<int>("codec");
        QTest::addColumn<bool>("raw");
        QTest::addRow("json") << int(Protocol::CodecKind::Json) << false;
        QTest::addRow("cbor raw") << int(Protocol::CodecKind::Cbor) << true;
    }
    void roundTrip()
    {
        QFETCH(int, codec);
        QFETCH(bool, raw);
        const auto id = identity(Protocol::CodecKind(codec), raw);
        PersistBatch batch;
        batch.number = 1;
        StoredMessage bare = message(2);  // no channel, key, deadline: they stay absent
        batch.put = {fullMessage(1), bare, fullMessage(3)};
        batch.put[2].durability = Engine::Durability::CrashSafe;
        batch.put[2].flags = StoredMessage::Binary | StoredMessage::TtlPassed;
        batch.session = Engine::StoredSession{QStringLiteral("sess-9"), 11, 12, 13};
        batch.channels = QStringList{QStringLiteral("b"), QStringLiteral("a"), QStringLiteral("c/d")};
        batch.recentIds = {QStringLiteral("r1"), QStringLiteral("r2")};
        batch.recentIdCapacity = 10;
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, id, kBase).isWritable());
            store.submit(batch);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
            QCOMPARE(reports.list[0].first, quint64(1));
            QCOMPARE(reports.list[0].second, QString());
        }
        const auto r = reopen(path, id);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
        compareMessages(r.snapshot.messages, batch.put);
        QVERIFY(r.snapshot.messages[1].channel.isEmpty());
        QVERIFY(!r.snapshot.messages[1].deadline);
        QCOMPARE(r.snapshot.session, *batch.session);
        QCOMPARE(r.snapshot.channels, *batch.channels);
        QCOMPARE(r.snapshot.recentIds, batch.recentIds);
        QCOMPARE(int(r.snapshot.codec), codec);
        QCOMPARE(r.snapshot.rawMode, raw);
        QVERIFY(r.snapshot.sameEndpoint);
    }

    void endpointComparedAsSet()
    {
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            PersistBatch b;
            b.number = 1;
            b.session = Engine::StoredSession{QStringLiteral("s"), 1, 1, 1};
            store.submit(b);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
        }
        Store::Identity shuffled = identity();
        shuffled.urls = {shuffled.urls[1], shuffled.urls[0], shuffled.urls[1]};
        QVERIFY(reopen(path, shuffled).snapshot.sameEndpoint);
        Store::Identity other = identity();
        other.urls = {QStringLiteral("wss://c.example/ws")};
        const auto r = reopen(path, other);
        QVERIFY(!r.snapshot.sameEndpoint);
        QCOMPARE(r.snapshot.session.sid, QStringLiteral("s"));  // read back; the engine decides
    }

    void serialOrder()
    {
        Store store;
        Reports reports(store);
        QVERIFY(store.open(path, identity(), kBase).isWritable());
        PersistBatch b1;
        b1.number = 1;
        b1.put = {message(5), message(3)};
        PersistBatch b2;
        b2.number = 2;
        b2.put = {message(10), message(1)};
        store.submit(b1);
        store.submit(b2);
        QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(2), kWaitMs);
        QCOMPARE(reports.list[0].first, quint64(1));
        QCOMPARE(reports.list[1].first, quint64(2));
        store.close();
        compareMessages(reopen(path).snapshot.messages, {message(1), message(3), message(5), message(10)});
    }

    void recentIdsTrimmed()
    {
        Store store;
        Reports reports(store);
        QVERIFY(store.open(path, identity(), kBase).isWritable());
        quint64 number = 0;
        auto submitIds = [&](QStringList ids) {
            PersistBatch b;
            b.number = ++number;
            b.recentIds = std::move(ids);
            b.recentIdCapacity = 5;
            store.submit(b);
        };
        submitIds({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")});
        submitIds({QStringLiteral("e"), QStringLiteral("f")});
        submitIds({QStringLiteral("g"), QStringLiteral("h"), QStringLiteral("i"), QStringLiteral("j"),
                   QStringLiteral("k"), QStringLiteral("l"), QStringLiteral("m")});
        submitIds({QStringLiteral("n")});
        QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(4), kWaitMs);
        store.close();
        QCOMPARE(reopen(path).snapshot.recentIds,
                 (QStringList{QStringLiteral("j"), QStringLiteral("k"), QStringLiteral("l"), QStringLiteral("m"),
                              QStringLiteral("n")}));
    }

    void putSeqRemove()
    {
        Store store;
        Reports reports(store);
        QVERIFY(store.open(path, identity(), kBase).isWritable());
        PersistBatch b1;
        b1.number = 1;
        b1.put = {message(1), message(2), message(3), message(4)};
        PersistBatch b2;
        b2.number = 2;
        b2.seqs = {{2, 70}, {3, 71}};
        b2.removed = {1, 99};  // 99 was never written: not an error
        PersistBatch b3;
        b3.number = 3;
        StoredMessage replaced = message(4, 3);
        replaced.channel = QStringLiteral("x");
        b3.put = {replaced};  // a row replaced whole
        b3.removed = {3};
        b3.channels = QStringList{};
        store.submit(b1);
        store.submit(b2);
        store.submit(b3);
        QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(3), kWaitMs);
        for (const auto &[number, error] : reports.list)
            QCOMPARE(error, QString());
        store.close();
        StoredMessage two = message(2);
        two.seq = 70;
        const auto r = reopen(path);
        compareMessages(r.snapshot.messages, {two, replaced});
        QVERIFY(r.snapshot.channels.isEmpty());
    }

    void manyRows()
    {
        // More rows than one multi-row statement holds, and a remainder.
        std::vector<StoredMessage> all;
        for (quint64 n = 1; n <= 100; ++n) {
            StoredMessage m = n % 3 ? message(n, qsizetype(n)) : fullMessage(n);
            m.id = QStringLiteral("ünïcödé-%1-✓").arg(n);
            all.push_back(m);
        }
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            PersistBatch b1;
            b1.number = 1;
            b1.put = all;
            PersistBatch b2;
            b2.number = 2;
            for (quint64 n = 11; n <= 80; ++n)  // 70 removals: 2 x 32 + 6
                b2.removed.push_back(n);
            store.submit(b1);
            store.submit(b2);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(2), kWaitMs);
            QCOMPARE(reports.list[1].second, QString());
        }
        std::vector<StoredMessage> left(all.begin(), all.begin() + 10);
        left.insert(left.end(), all.begin() + 80, all.end());
        compareMessages(reopen(path).snapshot.messages, left);
    }

    void checkpointsBesideTheWriter()
    {
        // More than the WAL's checkpoint threshold (16 MiB), so checkpoints run on their
        // thread while batches commit; everything reads back whole.
        constexpr quint64 kBatches = 24;
        constexpr quint64 kPerBatch = 1000;
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            for (quint64 n = 1; n <= kBatches; ++n) {
                PersistBatch b;
                b.number = n;
                for (quint64 serial = (n - 1) * kPerBatch + 1; serial <= n * kPerBatch; ++serial)
                    b.put.push_back(message(serial, 1024));
                if (n > 1)
                    b.removed = {(n - 1) * kPerBatch};  // the previous batch's last one
                store.submit(std::move(b));
            }
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(kBatches), 30000);
            for (const auto &[number, error] : reports.list)
                QCOMPARE(error, QString());
        }
        QVERIFY(!QFileInfo::exists(path + QStringLiteral("-wal")));  // the last close checkpointed it all
        const auto r = reopen(path);
        QCOMPARE(r.snapshot.messages.size(), size_t(kBatches * kPerBatch - (kBatches - 1)));
        QCOMPARE(r.snapshot.messages.front().payload, message(1, 1024).payload);
        QCOMPARE(r.snapshot.messages.back().serial, kBatches * kPerBatch);
        QCOMPARE(r.snapshot.messages.back().payload, message(kBatches * kPerBatch, 1024).payload);
    }

    void mergedBatches()
    {
        Store store;
        Reports reports(store);
        QVERIFY(store.open(path, identity(), kBase).isWritable());
        const quint64 before = store.commits();
        store.holdWrites(true);
        for (quint64 n = 1; n <= 5; ++n) {
            PersistBatch b;
            b.number = n;
            b.put = {message(n)};
            if (n > 1)
                b.removed = {n - 1};  // each batch ends the previous one's message
            b.session = Engine::StoredSession{QStringLiteral("s"), n, n, n};
            b.sync = n == 3;
            store.submit(b);
        }
        QCoreApplication::processEvents();
        QVERIFY(reports.list.empty());
        store.holdWrites(false);
        QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(5), kWaitMs);
        for (quint64 n = 1; n <= 5; ++n) {
            QCOMPARE(reports.list[n - 1].first, n);
            QCOMPARE(reports.list[n - 1].second, QString());
        }
        QCOMPARE(store.commits() - before, quint64(1));
        store.close();
        const auto r = reopen(path);
        compareMessages(r.snapshot.messages, {message(5)});
        QCOMPARE(r.snapshot.session.nextSeq, quint64(5));
    }

    void closeDrains()
    {
        Store store;
        Reports reports(store);
        QVERIFY(store.open(path, identity(), kBase).isWritable());
        store.holdWrites(true);
        for (quint64 n = 1; n <= 3; ++n) {
            PersistBatch b;
            b.number = n;
            b.put = {message(n)};
            store.submit(b);
        }
        store.close();  // reports come from close() itself, not a later event
        QCOMPARE(reports.list.size(), size_t(3));
        for (quint64 n = 1; n <= 3; ++n)
            QCOMPARE(reports.list[n - 1], std::make_pair(n, QString()));
        compareMessages(reopen(path).snapshot.messages, {message(1), message(2), message(3)});

        // After close, a batch is answered with an error and not written.
        PersistBatch late;
        late.number = 4;
        late.put = {message(4)};
        store.submit(late);
        QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(4), kWaitMs);
        QVERIFY(!reports.list[3].second.isEmpty());
        QCOMPARE(reopen(path).snapshot.messages.size(), size_t(3));
    }

    void destructorDrains()
    {
        {
            Store store;
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            store.holdWrites(true);
            PersistBatch b;
            b.number = 1;
            b.put = {message(1)};
            store.submit(b);
        }
        compareMessages(reopen(path).snapshot.messages, {message(1)});
    }

    void deadlineConversion()
    {
        const auto deadline = kBase.steady + 30s;
        const auto past = kBase.steady - 2500ms;
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            PersistBatch b;
            b.number = 1;
            b.put = {message(1), message(2)};
            b.put[0].deadline = deadline;
            b.put[1].deadline = past;
            store.submit(b);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
        }
        {
            // The file holds wall-clock milliseconds since the epoch.
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("peek"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(QStringLiteral("SELECT deadline FROM messages ORDER BY serial"), db);
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toLongLong(), 1'700'000'030'000LL);
            QVERIFY(q.next());
            QCOMPARE(q.value(0).toLongLong(), 1'699'999'997'500LL);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("peek"));
        // A later process: its steady clock started elsewhere and 10 s of wall time passed.
        const auto later = baseAt(Engine::TimePoint(5s), 1'700'000'010'000ms);
        const auto r = reopen(path, identity(), later);
        QCOMPARE(r.snapshot.messages.size(), size_t(2));
        QCOMPARE(r.snapshot.messages[0].deadline->time_since_epoch(),
                 std::chrono::duration_cast<Engine::Clock::duration>(25s));
        QCOMPARE(r.snapshot.messages[1].deadline->time_since_epoch(),
                 std::chrono::duration_cast<Engine::Clock::duration>(5s - 12500ms));
        // Sub-millisecond parts round down: a restored message never outlives its TTL.
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), later).isWritable());
            PersistBatch b;
            b.number = 1;
            b.put = {message(3)};
            b.put[0].deadline = later.steady + 1500us;
            store.submit(b);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
        }
        QCOMPARE(reopen(path, identity(), later).snapshot.messages[2].deadline, later.steady + 1ms);
    }

    void lockedInProcess()
    {
        Store first;
        QVERIFY(first.open(path, identity(), kBase).isWritable());
        Store second;
        const auto r = second.open(path, identity(), kBase);
        QCOMPARE(statusName(r.status), QStringLiteral("InUse"));
        QVERIFY2(r.message.contains(QLatin1String("store in use")) && r.message.contains(path), qPrintable(r.message));
        QVERIFY(!second.isOpen());
        first.close();
        Store third;
        QCOMPARE(statusName(third.open(path, identity(), kBase).status), QStringLiteral("Opened"));
    }

    void lockedByOtherProcess()
    {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child"), QStringLiteral("hold"), path});
        QByteArray line;
        QVERIFY(readLine(child, &line));
        QCOMPARE(line, QByteArray("Opened"));
        {
            Store store;
            const auto r = store.open(path, identity(), kBase);
            QCOMPARE(statusName(r.status), QStringLiteral("InUse"));
            QVERIFY2(r.message.contains(QLatin1String("store in use")) && r.message.contains(path),
                     qPrintable(r.message));
            QVERIFY2(r.message.contains(QString::number(child.processId())), qPrintable(r.message));
        }
        child.closeWriteChannel();
        QVERIFY(child.waitForFinished(kWaitMs));
        QCOMPARE(child.exitCode(), 0);
        QCOMPARE(statusName(reopen(path).status), QStringLiteral("Opened"));
    }

    void staleLockTakenOver()
    {
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child"), QStringLiteral("hold"), path});
        QByteArray line;
        QVERIFY(readLine(child, &line));
        QCOMPARE(line, QByteArray("Opened"));
        child.kill();  // SIGKILL: the lock file stays behind with a dead pid in it
        QVERIFY(child.waitForFinished(kWaitMs));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        QVERIFY(QFileInfo::exists(path + QStringLiteral(".lock")));
        Store store;
        const auto r = store.open(path, identity(), kBase);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
    }

    // A process killed while it was creating its lock leaves the file empty (no pid to
    // check): it must not lock the store out for good (QLockFile, used first, did).
    void emptyLockFileLeftByAKillDoesNotBlock()
    {
        {
            QFile stale(path + QStringLiteral(".lock"));
            QVERIFY(stale.open(QIODevice::WriteOnly));
        }
        Store store;
        const auto r = store.open(path, identity(), kBase);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
        Store second;
        QCOMPARE(statusName(second.open(path, identity(), kBase).status), QStringLiteral("InUse"));
    }

    void reportedBatchesSurviveKill()
    {
        // CrashSafe's promise: what was reported durable survives the process dying at any
        // point (here, wherever SIGKILL lands after 20 reports).
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("--child"), QStringLiteral("write"), path});
        quint64 reported = 0;
        QByteArray line;
        while (reported < 20) {
            QVERIFY2(readLine(child, &line), child.readAllStandardError().constData());
            QCOMPARE(line.toULongLong(), reported + 1);  // in order, each once
            reported = line.toULongLong();
        }
        child.kill();
        QVERIFY(child.waitForFinished(kWaitMs));
        while (child.canReadLine())
            reported = child.readLine().trimmed().toULongLong();
        const auto r = reopen(path);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
        // Every reported batch is there, and what is there is whole batches, in order.
        QVERIFY2(r.snapshot.messages.size() >= reported * 10,
                 qPrintable(QStringLiteral("%1 rows, %2 batches reported").arg(r.snapshot.messages.size()).arg(reported)));
        QCOMPARE(r.snapshot.messages.size() % 10, size_t(0));
        for (size_t i = 0; i < r.snapshot.messages.size(); ++i)
            QCOMPARE(r.snapshot.messages[i].serial, quint64(i + 1));
        QCOMPARE(r.snapshot.session.nextSeq, quint64(r.snapshot.messages.size() / 10));
    }

    void corruptMovedAside_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QByteArray garbage(3 * 4096, '\0');
        for (int i = 0; i < garbage.size(); ++i)
            garbage[i] = char((i * 7919) & 0xff);
        QTest::addRow("garbage") << garbage;
        QTest::addRow("sqlite header then garbage") << (QByteArray("SQLite format 3\0", 16) + garbage);
    }
    void corruptMovedAside()
    {
        QFETCH(QByteArray, bytes);
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        }
        Store store;
        const auto r = store.open(path, identity(), kBase);
        QCOMPARE(statusName(r.status), QStringLiteral("Recovered"));
        QVERIFY2(r.movedTo.startsWith(path + QStringLiteral(".corrupt-")), qPrintable(r.movedTo));
        QVERIFY2(r.message.contains(path) && r.message.contains(r.movedTo) && r.message.contains(QLatin1String("corrupt")),
                 qPrintable(r.message));
        QCOMPARE(readAll(r.movedTo), bytes);  // never deleted, never changed
        QVERIFY(r.snapshot.messages.empty());
        QVERIFY(store.isWritable());
        store.close();
        QCOMPARE(statusName(reopen(path).status), QStringLiteral("Opened"));  // the fresh store is ours
    }

    void damagedStoreMovedAside()
    {
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            PersistBatch b;
            b.number = 1;
            for (quint64 n = 1; n <= 200; ++n)
                b.put.push_back(message(n, 200));
            store.submit(b);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
        }
        QByteArray bytes = readAll(path);
        QVERIFY(bytes.size() > 8 * 4096);
        for (int i = 2 * 4096; i < 6 * 4096; ++i)  // tables' pages, header intact
            bytes[i] = char(i & 0xff);
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        }
        const auto r = reopen(path);
        QCOMPARE(statusName(r.status), QStringLiteral("Recovered"));
        QVERIFY2(r.message.contains(QLatin1String("corrupt")), qPrintable(r.message));
        QCOMPARE(readAll(r.movedTo), bytes);
    }

    void foreignDatabaseMovedAside()
    {
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE notes (body TEXT)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO notes VALUES ('keep me')")));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
        const QByteArray bytes = readAll(path);
        Store store;
        const auto r = store.open(path, identity(), kBase);
        QCOMPARE(statusName(r.status), QStringLiteral("Recovered"));
        QVERIFY2(r.message.contains(QLatin1String("not a Tether store")) && r.message.contains(r.movedTo),
                 qPrintable(r.message));
        QCOMPARE(readAll(r.movedTo), bytes);
        QVERIFY(store.isWritable());
    }

    void newerSchemaMovedAside()
    {
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            PersistBatch b;
            b.number = 1;
            b.put = {message(1)};
            store.submit(b);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
        }
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newer"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 2")));
            QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("newer"));
        const QByteArray bytes = readAll(path);
        const auto r = reopen(path);
        QCOMPARE(statusName(r.status), QStringLiteral("Recovered"));
        QVERIFY2(r.message.contains(QLatin1String("newer")) && r.message.contains(r.movedTo), qPrintable(r.message));
        QVERIFY(r.snapshot.messages.empty());  // not reinterpreted
        QCOMPARE(readAll(r.movedTo), bytes);
    }

    // A store written under another protocol version: its messages are the app's, its
    // session was the other protocol's (sameEndpoint false: not resumed).
    void otherProtocolVersionKeepsMessagesNotSession()
    {
        {
            Store store;
            Reports reports(store);
            QVERIFY(store.open(path, identity(), kBase).isWritable());
            PersistBatch b;
            b.number = 1;
            b.put = {message(1), message(2)};
            b.session = Engine::StoredSession{QStringLiteral("s-9"), 1, 2, 3};
            store.submit(b);
            QTRY_COMPARE_WITH_TIMEOUT(reports.list.size(), size_t(1), kWaitMs);
        }
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("protocol"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE meta SET value = 99 WHERE key = 'protocol_version'")));
            QCOMPARE(q.numRowsAffected(), 1);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("protocol"));
        const auto r = reopen(path);
        QCOMPARE(statusName(r.status), QStringLiteral("Opened"));
        QCOMPARE(r.snapshot.messages.size(), size_t(2));
        QVERIFY(!r.snapshot.sameEndpoint);
        QCOMPARE(r.snapshot.session.sid, QStringLiteral("s-9"));  // read; the engine does not resume it
    }

    void readOnlyLocation() { runInNamespace(QStringLiteral("readonly")); }
    void diskFull() { runInNamespace(QStringLiteral("diskfull")); }

private:
    // Re-runs this binary as root of a new user + mount namespace (unprivileged), where it
    // mounts its own tmpfs over a directory only it sees.
    void runInNamespace(const QString &mode)
    {
        const QString mountPoint = dir.filePath(mode);
        QVERIFY(QDir().mkpath(mountPoint));
        NamespaceChild::run(mode, mountPoint, kWaitMs);
    }

    QTemporaryDir dir;
    QString path;
    int counter = 0;
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc >= 2 && qstrcmp(argv[1], "--child") == 0)
        return childMain(app.arguments().mid(2));
    tst_Store test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_store.moc"
