// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::Client with ClientOptions::storage (issue 13): the facade over a fake transport
// and a fake clock (facade_rig.h), with a real SQLite store in a temporary directory.
//
// What is checked here is the wiring: persisted(id) after the group commit, restore on the
// next Client with the same path (restored(count), queuedMessages(), the stored session in
// hello), every bad state ending in memory mode with a clear error and nothing lost, and
// the rules of ClientOptions::storage in setOptions(). The store itself is tst_store; the
// engine's rules tst_engine_persist; killed processes tst_cli_crash.
#include "facade_rig.h"
#include "namespace_child.h"

#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtCore/QDir>
#include <QtTest/QSignalSpy>

#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <QtCore/QTemporaryDir>

using namespace FacadeTest;

namespace {

constexpr int kWorkerMs = 10000;  // bound for the store's worker thread on a loaded machine

ClientOptions storedOptions(const QString &path, Codec codec = Codec::Json)
{
    ClientOptions o = unitOptions(codec);
    o.storage = path;
    return o;
}

// Sends `count` messages "m1".."mN" and waits until every one was reported persisted.
bool sendPersisted(Rig &rig, int count, QStringList *ids = nullptr)
{
    QSignalSpy persisted(rig.client.data(), &Client::persisted);
    for (int i = 1; i <= count; ++i) {
        SendOptions so;
        so.id = QStringLiteral("m%1").arg(i);
        if (!rig.client->send(QJsonObject{{QStringLiteral("n"), i}}, so).isOk())
            return false;
        if (ids)
            *ids << so.id;
    }
    rig.advance(std::chrono::milliseconds(10));  // the group commit is due
    return QTest::qWaitFor([&] { return persisted.size() >= count; }, kWorkerMs);
}

constexpr int kChildNoNamespace = 77;

// The child side of the namespace tests: in a private user + mount namespace (unshare -rm),
// a tmpfs of its own at `dir`, so a full disk and a read-only mount can be made without
// root on the real machine. Prints one line of figures; exit 0 when every check held.
int childMain(const QStringList &args)
{
    const QString mode = args.value(0);
    const QString dir = args.value(1);
    const QByteArray where = QFile::encodeName(dir);
    if (::mount("tmpfs", where.constData(), "tmpfs", 0, "size=512k") != 0) {
        std::fprintf(stderr, "unshare failed: cannot mount a tmpfs: %s\n", std::strerror(errno));
        return kChildNoNamespace;
    }
    const QString path = dir + QStringLiteral("/client.db");
    const auto check = [](bool ok, const char *what) {
        if (!ok)
            std::fprintf(stderr, "check failed: %s\n", what);
        return ok;
    };
    if (mode == u"diskfull") {
        Rig rig(storedOptions(path, Codec::Cbor));   // byte payloads
        QSignalSpy persisted(rig.client.data(), &Client::persisted);
        const QByteArray big(16 * 1024, 'x');
        int sent = 0;
        for (; sent < 200 && rig.errors.isEmpty(); ++sent) {
            SendOptions so;
            so.id = QStringLiteral("b%1").arg(sent);
            if (!check(rig.client->send(QCborValue(big), so).isOk(), "send accepted"))
                return 1;
            rig.advance(std::chrono::milliseconds(10));
            if (!QTest::qWaitFor([&] { return persisted.size() > sent || !rig.errors.isEmpty(); }, kWorkerMs))
                break;  // neither persisted nor failed: the checks below say which
        }
        if (!check(!rig.errors.isEmpty(), "the disk filled and it was reported")
            || !check(rig.errors.last().code() == Error::StorageError, "StorageError")
            || !check(rig.errors.last().message().contains(path), "the message names the store")
            || !check(!rig.client->stats().storageActive, "stats says storage is off")
            || !check(rig.client->queueDepth() == sent, "nothing dropped"))
            return 1;
        // Still a client: in memory now.
        SendOptions after;
        after.id = QStringLiteral("after");
        if (!check(rig.client->send(QStringLiteral("after the disk filled"), after).isOk(), "send after"))
            return 1;
        std::printf("disk full after %lld persisted of %d sent: %s\n", qint64(persisted.size()), sent,
                    qPrintable(rig.errors.last().message()));
        return 0;
    }
    if (mode == u"readonly") {
        {
            Rig rig(storedOptions(path));
            if (!check(sendPersisted(rig, 3), "persisted before the remount"))
                return 1;
            runPosted();
        }
        if (::mount(nullptr, where.constData(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
            std::fprintf(stderr, "unshare failed: cannot remount read-only: %s\n", std::strerror(errno));
            return kChildNoNamespace;
        }
        Rig rig(storedOptions(path));
        if (!check(QTest::qWaitFor([&] { return !rig.errors.isEmpty(); }, kWorkerMs), "the store error was reported")
            || !check(rig.client->restoredCount() == 3, "what could be read is restored")
            || !check(!rig.errors.isEmpty() && rig.errors.last().code() == Error::StorageError, "StorageError")
            || !check(rig.errors.last().message().contains(path), "the message names the store")
            || !check(!rig.client->stats().storageActive, "stats says storage is off"))
            return 1;
        rig.connect();
        P::Ack ack;
        ack.seq = 3;
        rig.serverFrame(ack);
        if (!check(rig.log.filter(QStringLiteral("delivered:")).size() == 3, "restored messages delivered"))
            return 1;
        std::printf("read-only: %d restored and delivered in memory: %s\n", rig.client->restoredCount(),
                    qPrintable(rig.errors.last().message()));
        return 0;
    }
    return 2;
}

} // namespace

class tst_ClientStorage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void persistedThenRestoredAndResumed_data();
    void persistedThenRestoredAndResumed();
    void restoredMessagesEndOnceEach();
    void memoryMessagesAreNotStored();
    void secondClientOnTheSameStoreRunsInMemory();
    void corruptStoreIsMovedAsideAndReplaced();
    void storageChangesOnlyWhenNothingIsPending();
    void withoutStorageNothingIsPersisted();
    void anotherCodecReencodesTheRestoredMessages();
    void anotherServerGetsTheMessagesNotTheSession();
    void fullDiskLeavesTheClientInMemory() { runInNamespace(QStringLiteral("diskfull")); }
    void readOnlyStoreIsRestoredAndTheClientRunsInMemory() { runInNamespace(QStringLiteral("readonly")); }

private:
    // Re-runs this binary under `unshare -rm` (childMain(), namespace_child.h).
    void runInNamespace(const QString &mode)
    {
        QTemporaryDir dir;
        NamespaceChild::run(mode, dir.path(), kWorkerMs);
    }
};

void tst_ClientStorage::persistedThenRestoredAndResumed_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::addRow("json") << Codec::Json;
    QTest::addRow("cbor") << Codec::Cbor;
}

void tst_ClientStorage::persistedThenRestoredAndResumed()
{
    QFETCH(Codec, codec);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    QStringList ids;
    {
        Rig rig(storedOptions(path, codec));
        rig.connect();
        QVERIFY(rig.client->stats().storageActive);
        QVERIFY(sendPersisted(rig, 3, &ids));
        QCOMPARE(rig.client->stats().persisted, quint64(3));
        QCOMPARE(rig.client->queueDepth(), 3);   // written, never acknowledged
        runPosted();
    }   // ~Client: the store drains; the messages stay in it with the session

    Rig rig(storedOptions(path, codec));
    QSignalSpy restored(rig.client.data(), &Client::restored);
    QCOMPARE(rig.client->restoredCount(), 3);
    QCOMPARE(rig.client->queueDepth(), 3);
    const QList<Message> queued = rig.client->queuedMessages();
    QCOMPARE(queued.size(), 3);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(queued.at(i).id(), ids.at(i));
        QCOMPARE(queued.at(i).toJson().toObject().value(QStringLiteral("n")).toInt(), i + 1);
    }
    QVERIFY(restored.wait(kWorkerMs) || restored.size() == 1);
    QCOMPARE(restored.size(), 1);
    QCOMPARE(restored.at(0).at(0).toInt(), 3);

    rig.client->open();
    rig.opened();
    const QList<P::Hello> hellos = rig.sentOf<P::Hello>();
    QCOMPARE(hellos.size(), 1);
    QCOMPARE(hellos.at(0).sid, std::optional<QString>(QStringLiteral("s1")));   // the stored session
    // The server accepted the first message before the old process went away.
    P::Welcome w = Rig::welcome();
    w.resumed = true;
    w.rx = 1;
    rig.serverFrame(w);
    QCOMPARE(rig.sentOf<P::Msg>().size(), 2);   // m2 and m3 retransmitted, m1 not
    QCOMPARE(rig.sentOf<P::Msg>().at(0).id, std::optional<QString>(QStringLiteral("m2")));
    P::Ack ack;
    ack.seq = 3;
    rig.serverFrame(ack);   // also settles m1 (covered by welcome.rx; its nack would have come first)
    QVERIFY(rig.log.contains(QStringLiteral("delivered:m1")));
    QVERIFY(rig.log.contains(QStringLiteral("delivered:m2")));
    QVERIFY(rig.log.contains(QStringLiteral("delivered:m3")));
    QCOMPARE(rig.client->queueDepth(), 0);
}

void tst_ClientStorage::restoredMessagesEndOnceEach()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    {
        Rig rig(storedOptions(path));
        QVERIFY(sendPersisted(rig, 5));   // offline: queued, never sent
        runPosted();
    }
    {
        // The session is unknown to the server now: a new one, everything renumbered.
        Rig rig(storedOptions(path));
        QCOMPARE(rig.client->restoredCount(), 5);
        rig.connect();
        QCOMPARE(rig.sentOf<P::Msg>().size(), 5);
        P::Ack ack;
        ack.seq = 5;
        rig.serverFrame(ack);
        QCOMPARE(rig.log.filter(QStringLiteral("delivered:")).size(), 5);
        rig.advance(std::chrono::milliseconds(10));   // the removals are committed
        QSignalSpy done(rig.client.data(), &Client::queueDepthChanged);
        runPosted();
    }
    // Delivered is final: nothing comes back on a third start.
    Rig rig(storedOptions(path));
    QCOMPARE(rig.client->restoredCount(), 0);
    QCOMPARE(rig.client->queueDepth(), 0);
}

void tst_ClientStorage::memoryMessagesAreNotStored()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    {
        Rig rig(storedOptions(path));
        QSignalSpy persisted(rig.client.data(), &Client::persisted);
        SendOptions memory;
        memory.id = QStringLiteral("volatile");
        memory.durability = Durability::Memory;
        QVERIFY(rig.client->send(QStringLiteral("x"), memory).isOk());
        QVERIFY(sendPersisted(rig, 1));
        QCOMPARE(persisted.size(), 1);
        QCOMPARE(persisted.at(0).at(0).toString(), QStringLiteral("m1"));
        runPosted();
    }
    Rig rig(storedOptions(path));
    QCOMPARE(rig.client->restoredCount(), 1);
    QCOMPARE(rig.client->queuedMessages().at(0).id(), QStringLiteral("m1"));
}

void tst_ClientStorage::secondClientOnTheSameStoreRunsInMemory()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    Rig first(storedOptions(path));
    QVERIFY(sendPersisted(first, 2));

    Rig second(storedOptions(path));
    QTRY_VERIFY_WITH_TIMEOUT(!second.errors.isEmpty(), kWorkerMs);
    QCOMPARE(second.errors.at(0).code(), Error::StorageInUse);
    QVERIFY2(second.errors.at(0).message().contains(path), qPrintable(second.errors.at(0).message()));
    QVERIFY(!second.errors.at(0).isFatal());
    QVERIFY(!second.client->stats().storageActive);
    QCOMPARE(second.client->restoredCount(), 0);   // the first one's messages are its own
    // It still works, in memory.
    second.connect();
    QVERIFY(second.client->send(QStringLiteral("hello")).isOk());
    QCOMPARE(second.sentOf<P::Msg>().size(), 1);
    QVERIFY(first.client->stats().storageActive);
}

void tst_ClientStorage::corruptStoreIsMovedAsideAndReplaced()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(8192, 'x'));
    }
    Rig rig(storedOptions(path));
    QTRY_VERIFY_WITH_TIMEOUT(!rig.errors.isEmpty(), kWorkerMs);
    const Error e = rig.errors.at(0);
    QCOMPARE(e.code(), Error::StorageError);
    QVERIFY2(e.message().contains(path), qPrintable(e.message()));
    QVERIFY2(e.message().contains(QStringLiteral(".corrupt-")), qPrintable(e.message()));
    QVERIFY(rig.client->stats().storageActive);   // a fresh store is in use
    QDir d(dir.path());
    const QStringList aside = d.entryList({QStringLiteral("client.db.corrupt-*")}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QFile moved(d.filePath(aside.at(0)));
    QVERIFY(moved.open(QIODevice::ReadOnly));
    QCOMPARE(moved.readAll(), QByteArray(8192, 'x'));   // never deleted, never changed
    QVERIFY(sendPersisted(rig, 1));
}

void tst_ClientStorage::storageChangesOnlyWhenNothingIsPending()
{
    QTemporaryDir dir;
    Rig rig(unitOptions());
    QVERIFY(rig.client->send(QStringLiteral("queued in memory")).isOk());
    ClientOptions o = rig.client->options();
    o.storage = dir.filePath(QStringLiteral("late.db"));
    QVERIFY(!rig.client->setOptions(o));
    QCOMPARE(rig.errors.last().code(), Error::InvalidArgument);
    QVERIFY2(rig.errors.last().message().contains(QStringLiteral("storage")), qPrintable(rig.errors.last().message()));
    QCOMPARE(rig.client->queueDepth(), 1);   // nothing lost by the refusal
    QVERIFY(rig.client->options().storage.isEmpty());

    Rig fresh(unitOptions());
    ClientOptions f = fresh.client->options();
    f.storage = dir.filePath(QStringLiteral("fresh.db"));
    QVERIFY(fresh.client->setOptions(f));
    QVERIFY(fresh.client->stats().storageActive);
    QVERIFY(QFile::exists(f.storage));
}

void tst_ClientStorage::withoutStorageNothingIsPersisted()
{
    Rig rig(unitOptions());
    QSignalSpy persisted(rig.client.data(), &Client::persisted);
    SendOptions power;
    power.durability = Durability::PowerSafe;   // no store: Memory whatever the send says
    QVERIFY(rig.client->send(QStringLiteral("x"), power).isOk());
    rig.advance(std::chrono::milliseconds(100));
    runPosted();
    QCOMPARE(persisted.size(), 0);
    QVERIFY(!rig.client->stats().storageActive);
    QCOMPARE(rig.client->stats().persisted, quint64(0));
}

// Written with JSON, restored by a CBOR client: the payloads are re-encoded and delivered.
void tst_ClientStorage::anotherCodecReencodesTheRestoredMessages()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    {
        Rig rig(storedOptions(path, Codec::Json));
        QVERIFY(sendPersisted(rig, 2));
        runPosted();
    }
    Rig rig(storedOptions(path, Codec::Cbor));
    QCOMPARE(rig.client->restoredCount(), 2);
    rig.connect();
    const QList<P::Msg> sent = rig.sentOf<P::Msg>();   // decoded with the CBOR codec
    QCOMPARE(sent.size(), 2);
    QCOMPARE(sent.at(1).id, std::optional<QString>(QStringLiteral("m2")));
    QCOMPARE(sent.at(1).d.toMap().value(QStringLiteral("n")).toInteger(), 2);
}

// A store written for another URL: its messages are the app's and go to the new server,
// but its session belonged to the old one and is not offered.
void tst_ClientStorage::anotherServerGetsTheMessagesNotTheSession()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("client.db"));
    {
        Rig rig(storedOptions(path), QUrl(QStringLiteral("ws://old.example/")));
        rig.connect();
        QVERIFY(sendPersisted(rig, 1));
        runPosted();
    }
    Rig rig(storedOptions(path), QUrl(QStringLiteral("ws://new.example/")));
    QCOMPARE(rig.client->restoredCount(), 1);
    rig.client->open();
    rig.opened();
    QCOMPARE(rig.sentOf<P::Hello>().size(), 1);
    QCOMPARE(rig.sentOf<P::Hello>().at(0).sid, std::optional<QString>());   // a new session
    rig.serverFrame(Rig::welcome());
    QCOMPARE(rig.sentOf<P::Msg>().size(), 1);
    QCOMPARE(rig.sentOf<P::Msg>().at(0).id, std::optional<QString>(QStringLiteral("m1")));
    QCOMPARE(rig.sentOf<P::Msg>().at(0).seq, std::optional<quint64>(1));
}

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc >= 2 && qstrcmp(argv[1], "--child") == 0)
        return childMain(app.arguments().mid(2));
    tst_ClientStorage test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_client_storage.moc"
