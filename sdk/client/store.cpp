// Tether::Store: see store_p.h for the rules and the theory of operation.
//
// File layout (schema version 1; application_id 'TTHR' marks the file as ours):
//   meta(key, value)        codec, raw_mode, urls, protocol_version, schema_version
//   session(id = 1, ...)    one row: sid, inbound_rx, highest_ack, next_seq
//   messages(serial, ...)   one row per stored outbound message; serial is the rowid
//   channels(pos, name)     the desired set, in the engine's order, replaced whole
//   recent_ids(ord, id)     the inbound dedupe window, oldest first (ord ascending)
// A file whose user_version is above kSchemaVersion was written by a newer Tether: it is
// moved aside rather than read with rules it was not written for.
#include "store_p.h"
#include "logging_p.h"

#include <protocol/frames.h>

#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QLockFile>
#include <QtCore/QMutex>
#include <QtCore/QThread>
#include <QtCore/QUrl>
#include <QtCore/QWaitCondition>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>

#include <atomic>
#include <deque>
#include <optional>
#include <set>

namespace Tether {

namespace {

constexpr qint64 kApplicationId = 0x54544852;  // "TTHR"
constexpr int kSchemaVersion = 1;

// SQLite result codes (primary), as Qt SQL reports them in nativeErrorCode().
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteFull = 13;
constexpr int kSqliteCantOpen = 14;
constexpr int kSqliteNotADb = 26;

std::atomic<quint64> connectionCounter{0};

QString codecName(Protocol::CodecKind codec)
{
    return codec == Protocol::CodecKind::Cbor ? QStringLiteral("cbor") : QStringLiteral("json");
}

// The URL set as the file keeps it: sorted, without repeats, one per line.
QString urlSetText(const QStringList &urls)
{
    const std::set<QString> set(urls.cbegin(), urls.cend());
    return QStringList(set.cbegin(), set.cend()).join(QLatin1Char('\n'));
}

qint64 toWallMs(Engine::TimePoint deadline, const Store::TimeBase &base)
{
    using namespace std::chrono;
    const auto wall = base.wall + duration_cast<system_clock::duration>(deadline - base.steady);
    return floor<milliseconds>(wall.time_since_epoch()).count();
}

Engine::TimePoint fromWallMs(qint64 ms, const Store::TimeBase &base)
{
    using namespace std::chrono;
    const auto wallDeadline = system_clock::time_point(duration_cast<system_clock::duration>(milliseconds(ms)));
    return base.steady + duration_cast<Engine::Clock::duration>(wallDeadline - base.wall);
}

int nativeCode(const QSqlError &error)
{
    bool ok = false;
    const int code = error.nativeErrorCode().toInt(&ok);
    return ok ? (code & 0xff) : -1;
}

QString describe(const QSqlError &error)
{
    QString text = error.driverText();
    if (!error.databaseText().isEmpty())
        text += QStringLiteral(": ") + error.databaseText();
    return text.isEmpty() ? QStringLiteral("unknown error") : text;
}

// Why a file we found cannot be used as it is.
enum class Verdict {
    Ours,      // read back into the snapshot
    Empty,     // no schema at all (a new or zero-length file): create ours in it
    Corrupt,   // not a database, or failing quick_check: move aside
    Foreign,   // a database, but not ours: move aside
    Newer,     // ours, from a newer schema: move aside
    Unreadable // an I/O failure (not the content's fault): leave it where it is
};

struct Inspection {
    Verdict verdict = Verdict::Empty;
    QString reason;
    bool cantOpen = false;
    Engine::Snapshot snapshot;
};

// A named Qt SQL connection that is removed when it goes out of scope (Qt requires every
// QSqlDatabase/QSqlQuery of it to be gone first: they live inside this object).
class Connection
{
public:
    enum Mode { ReadWrite, ReadOnly, Immutable };
    Connection(const QString &path, Mode mode)
        : name(QStringLiteral("tether-store-%1").arg(connectionCounter.fetch_add(1)))
    {
        db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        if (mode == Immutable) {
            // SQLite then takes no lock and needs no -shm: only for a file nobody can write.
            QUrl url = QUrl::fromLocalFile(path);
            url.setQuery(QStringLiteral("immutable=1"));
            db.setDatabaseName(QString::fromUtf8(url.toEncoded()));
            db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI"));
        } else {
            db.setDatabaseName(path);
            if (mode == ReadOnly)
                db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        }
    }
    ~Connection()
    {
        queries.clear();
        db.close();
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
    }
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // A statement for one use; errors land in `error`.
    bool exec(const QString &sql)
    {
        QSqlQuery q(db);
        return exec(q, sql);
    }
    bool exec(QSqlQuery &q, const QString &sql)
    {
        q.setForwardOnly(true);
        if (!q.exec(sql)) {
            error = q.lastError();
            return false;
        }
        return true;
    }
    // The first column of the first row.
    std::optional<QVariant> scalar(const QString &sql)
    {
        QSqlQuery q(db);
        q.setForwardOnly(true);
        if (!q.exec(sql)) {
            error = q.lastError();
            return std::nullopt;
        }
        if (!q.next()) {
            error = q.lastError();
            return error.isValid() ? std::nullopt : std::optional<QVariant>(QVariant());
        }
        return q.value(0);
    }
    QSqlQuery *prepare(const QString &sql)
    {
        auto q = std::make_unique<QSqlQuery>(db);
        if (!q->prepare(sql)) {
            error = q->lastError();
            return nullptr;
        }
        queries.push_back(std::move(q));
        return queries.back().get();
    }

    const QString name;
    QSqlDatabase db;
    QSqlError error;
    std::vector<std::unique_ptr<QSqlQuery>> queries;
};

} // namespace

// ---- the store's thread -----------------------------------------------------------------

class StorePrivate
{
public:
    explicit StorePrivate(Store *q) : q(q) {}

    // Owner's thread.
    void postReports();
    void deliverReports();

    // Store's thread.
    void run();
    Store::OpenResult openOnThread();
    Inspection inspect();
    Inspection inspect(int mode);
    bool readSnapshot(Connection &c, Engine::Snapshot &out, QString *reason);
    QString moveAside();
    bool createSchema(Connection &c, QString *reason);
    bool prepareWriter(QString *reason);
    bool apply(std::deque<Engine::PersistBatch> &batches, QString *error);
    bool applyOne(const Engine::PersistBatch &batch);
    QString writeError(const QSqlError &error) const;

    Store *const q;
    QString path;
    Store::Identity identity;
    Store::TimeBase base;
    std::unique_ptr<QLockFile> lock;
    QString lockError;
    std::unique_ptr<QThread> thread;
    bool opened = false;   // open() was called
    bool closed = false;
    std::atomic<bool> writable{false};
    std::atomic<quint64> commits{0};

    // Shared between the threads, under `mutex`.
    QMutex mutex;
    QWaitCondition wake;         // the thread: work queued, or stopping
    QWaitCondition openDone;     // the owner: `openResult` is set
    std::deque<Engine::PersistBatch> queue;
    bool stopping = false;
    bool held = false;
    std::optional<Store::OpenResult> openResult;
    std::vector<std::pair<quint64, QString>> reports;
    bool reportsPosted = false;
    QString failure;             // set once a write failed: every later batch gets it

    // Store's thread only.
    std::unique_ptr<Connection> writer;
    QSqlQuery *putMessage = nullptr;
    QSqlQuery *setSeq = nullptr;
    QSqlQuery *removeMessage = nullptr;
    QSqlQuery *putSession = nullptr;
    QSqlQuery *clearChannels = nullptr;
    QSqlQuery *putChannel = nullptr;
    QSqlQuery *putRecent = nullptr;
    QSqlQuery *trimRecent = nullptr;
    QSqlQuery *putMeta = nullptr;
    bool identityWritten = false;
    std::optional<bool> fullSync;  // the synchronous level set on the connection
};

QString StorePrivate::writeError(const QSqlError &error) const
{
    if (nativeCode(error) == kSqliteFull)
        return QStringLiteral("store %1: disk full, nothing more is written: %2").arg(path, describe(error));
    return QStringLiteral("store %1: cannot write, nothing more is written: %2").arg(path, describe(error));
}

Store::OpenResult StorePrivate::openOnThread()
{
    Store::OpenResult result;
    const bool exists = QFileInfo::exists(path);
    Inspection found;
    if (exists)
        found = inspect();

    switch (found.verdict) {
    case Verdict::Ours:
        result.snapshot = std::move(found.snapshot);
        break;
    case Verdict::Empty:
        break;
    case Verdict::Corrupt:
    case Verdict::Foreign:
    case Verdict::Newer: {
        const QString moved = moveAside();
        if (moved.isEmpty()) {
            result.status = Store::OpenStatus::Failed;
            result.message = QStringLiteral("store %1: %2, and it could not be moved aside (%3)")
                                 .arg(path, found.reason, failure);
            return result;
        }
        result.movedTo = moved;
        result.message = QStringLiteral("store %1: %2; moved aside to %3, starting a fresh store")
                             .arg(path, found.reason, moved);
        break;
    }
    case Verdict::Unreadable:
        result.status = Store::OpenStatus::Failed;
        result.message = QStringLiteral("store %1: cannot be read: %2").arg(path, found.reason);
        return result;
    }

    QString reason;
    if (!lock) {
        reason = QStringLiteral("its lock file %1.lock cannot be created: %2").arg(path, lockError);
    } else {
        writer = std::make_unique<Connection>(path, Connection::ReadWrite);
        const bool fresh = found.verdict != Verdict::Ours;
        if (!writer->db.open())
            reason = describe(writer->db.lastError());
        else if (!fresh || createSchema(*writer, &reason))
            prepareWriter(&reason);
    }
    if (!reason.isEmpty()) {
        writer.reset();
        result.status = Store::OpenStatus::ReadOnly;
        const QString what = QStringLiteral("store %1: cannot be written (%2): what it holds was read, nothing will be written")
                                 .arg(path, reason);
        result.message = result.message.isEmpty() ? what : result.message + QStringLiteral("; ") + what;
        return result;
    }
    result.status = result.movedTo.isEmpty() ? Store::OpenStatus::Opened : Store::OpenStatus::Recovered;
    if (found.verdict != Verdict::Ours) {
        // A fresh store: its identity is the current one.
        result.snapshot.codec = identity.codec;
        result.snapshot.rawMode = identity.rawMode;
        result.snapshot.sameEndpoint = true;
    }
    return result;
}

// Reads the file through a read-only connection, so that looking at a file we may move
// aside never changes it (a read-write connection would checkpoint its WAL on close).
Inspection StorePrivate::inspect()
{
    Inspection out = inspect(Connection::ReadOnly);
    // A WAL file in a read-only location cannot be read the usual way: SQLite wants to
    // create its -shm index there. Without a -wal file everything committed is in the main
    // file, and nobody can write it: read it as immutable.
    const QFileInfo wal(path + QStringLiteral("-wal"));
    if (out.verdict == Verdict::Unreadable && out.cantOpen && (!wal.exists() || wal.size() == 0))
        out = inspect(Connection::Immutable);
    return out;
}

Inspection StorePrivate::inspect(int mode)
{
    Inspection out;
    Connection c(path, Connection::Mode(mode));
    if (!c.db.open()) {
        out.verdict = Verdict::Unreadable;
        out.reason = describe(c.db.lastError());
        return out;
    }
    auto fail = [&](const QString &what) {
        const int code = nativeCode(c.error);
        if (code == kSqliteNotADb || code == kSqliteCorrupt) {
            out.verdict = Verdict::Corrupt;
            out.reason = QStringLiteral("the file is corrupt (%1)").arg(describe(c.error));
        } else {
            out.verdict = Verdict::Unreadable;
            out.cantOpen = code == kSqliteCantOpen;
            out.reason = QStringLiteral("%1: %2").arg(what, describe(c.error));
        }
        return out;
    };
    const auto appId = c.scalar(QStringLiteral("PRAGMA application_id"));
    if (!appId)
        return fail(QStringLiteral("reading its header"));
    const auto version = c.scalar(QStringLiteral("PRAGMA user_version"));
    if (!version)
        return fail(QStringLiteral("reading its header"));
    const auto tables = c.scalar(QStringLiteral("SELECT count(*) FROM sqlite_schema"));
    if (!tables)
        return fail(QStringLiteral("reading its schema"));
    if (appId->toLongLong() != kApplicationId) {
        if (appId->toLongLong() == 0 && version->toLongLong() == 0 && tables->toLongLong() == 0) {
            out.verdict = Verdict::Empty;
            return out;
        }
        out.verdict = Verdict::Foreign;
        out.reason = QStringLiteral("the file is not a Tether store (application_id %1)").arg(appId->toLongLong());
        return out;
    }
    if (version->toLongLong() > kSchemaVersion) {
        out.verdict = Verdict::Newer;
        out.reason = QStringLiteral("the file has schema version %1, newer than this Tether's %2")
                         .arg(version->toLongLong())
                         .arg(kSchemaVersion);
        return out;
    }
    if (version->toLongLong() < kSchemaVersion) {
        out.verdict = Verdict::Foreign;
        out.reason = QStringLiteral("the file has unknown schema version %1").arg(version->toLongLong());
        return out;
    }
    QStringList problems;
    {
        QSqlQuery check(c.db);
        if (!c.exec(check, QStringLiteral("PRAGMA quick_check")))
            return fail(QStringLiteral("checking it"));
        while (check.next())
            problems << check.value(0).toString();
    }
    if (problems != QStringList{QStringLiteral("ok")}) {
        out.verdict = Verdict::Corrupt;
        const QStringList lines = problems.join(QLatin1Char('\n')).split(QLatin1Char('\n'));
        out.reason = QStringLiteral("the file is corrupt (quick_check: %1%2)")
                         .arg(lines.mid(0, 3).join(QStringLiteral("; ")), lines.size() > 3 ? QStringLiteral("; ...") : QString());
        return out;
    }
    QString reason;
    if (!readSnapshot(c, out.snapshot, &reason)) {
        // The schema is ours but its tables are not what version 1 says: not our content.
        out.verdict = nativeCode(c.error) == kSqliteCorrupt ? Verdict::Corrupt : Verdict::Foreign;
        out.reason = QStringLiteral("the file does not hold a readable Tether store (%1)").arg(reason);
        out.snapshot = {};
        return out;
    }
    out.verdict = Verdict::Ours;
    return out;
}

bool StorePrivate::readSnapshot(Connection &c, Engine::Snapshot &out, QString *reason)
{
    auto failed = [&] {
        *reason = describe(c.error);
        return false;
    };
    QSqlQuery q(c.db);
    if (!c.exec(q, QStringLiteral("SELECT key, value FROM meta")))
        return failed();
    QString storedUrls;
    qint64 protocolVersion = -1;
    while (q.next()) {
        const QString key = q.value(0).toString();
        if (key == QLatin1String("codec"))
            out.codec = q.value(1).toString() == QLatin1String("cbor") ? Protocol::CodecKind::Cbor : Protocol::CodecKind::Json;
        else if (key == QLatin1String("raw_mode"))
            out.rawMode = q.value(1).toLongLong() != 0;
        else if (key == QLatin1String("urls"))
            storedUrls = q.value(1).toString();
        else if (key == QLatin1String("protocol_version"))
            protocolVersion = q.value(1).toLongLong();
    }
    // A session is only worth resuming with the server (set) and protocol it was made with.
    out.sameEndpoint = storedUrls == urlSetText(identity.urls) && protocolVersion == qint64(Protocol::kVersion);

    if (!c.exec(q, QStringLiteral("SELECT sid, inbound_rx, highest_ack, next_seq FROM session WHERE id = 1")))
        return failed();
    if (q.next()) {
        out.session.sid = q.value(0).toString();
        out.session.inboundRx = q.value(1).toULongLong();
        out.session.highestAck = q.value(2).toULongLong();
        out.session.nextSeq = q.value(3).toULongLong();
    }

    if (!c.exec(q, QStringLiteral("SELECT name FROM channels ORDER BY pos")))
        return failed();
    while (q.next())
        out.channels << q.value(0).toString();

    if (!c.exec(q, QStringLiteral("SELECT id FROM recent_ids ORDER BY ord")))
        return failed();
    while (q.next())
        out.recentIds << q.value(0).toString();

    if (!c.exec(q, QStringLiteral("SELECT serial, id, channel, coalescing_key, payload, seq, deadline, flags, durability "
                               "FROM messages ORDER BY serial")))
        return failed();
    while (q.next()) {
        Engine::StoredMessage m;
        m.serial = q.value(0).toULongLong();
        m.id = q.value(1).toString();
        m.channel = q.value(2).toString();
        m.coalescingKey = q.value(3).toString();
        m.payload = q.value(4).toByteArray();
        m.seq = q.value(5).toULongLong();
        const QVariant deadline = q.value(6);
        if (!deadline.isNull())
            m.deadline = fromWallMs(deadline.toLongLong(), base);
        m.flags = quint16(q.value(7).toUInt());
        const int durability = q.value(8).toInt();
        m.durability = durability == int(Engine::Durability::PowerSafe) ? Engine::Durability::PowerSafe
                                                                         : Engine::Durability::CrashSafe;
        out.messages.push_back(std::move(m));
    }
    if (q.lastError().isValid()) {
        c.error = q.lastError();
        return failed();
    }
    return true;
}

// Renames the file and its companions to <path>.corrupt-<UTC time>[-n]<suffix>. Returns
// the new path, or empty (and `failure` says why) when the main file could not be moved.
QString StorePrivate::moveAside()
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'"));
    QString target = QStringLiteral("%1.corrupt-%2").arg(path, stamp);
    for (int n = 1; QFileInfo::exists(target); ++n)
        target = QStringLiteral("%1.corrupt-%2-%3").arg(path, stamp).arg(n);
    QFile file(path);
    if (!file.rename(target)) {
        failure = file.errorString();
        return {};
    }
    // The WAL holds committed transactions of the file: it goes with it, under the name
    // SQLite looks for, so the moved copy still opens with everything it had.
    for (const auto suffix : {QLatin1String("-wal"), QLatin1String("-shm"), QLatin1String("-journal")}) {
        if (QFileInfo::exists(path + suffix))
            QFile::rename(path + suffix, target + suffix);
    }
    return target;
}

bool StorePrivate::createSchema(Connection &c, QString *reason)
{
    const QStringList statements = {
        QStringLiteral("PRAGMA journal_mode = WAL"),
        QStringLiteral("BEGIN IMMEDIATE"),
        QStringLiteral("PRAGMA application_id = %1").arg(kApplicationId),
        QStringLiteral("PRAGMA user_version = %1").arg(kSchemaVersion),
        QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID"),
        QStringLiteral("CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), sid TEXT, "
                       "inbound_rx INTEGER NOT NULL, highest_ack INTEGER NOT NULL, next_seq INTEGER NOT NULL)"),
        QStringLiteral("CREATE TABLE messages (serial INTEGER PRIMARY KEY, id TEXT NOT NULL, channel TEXT, "
                       "coalescing_key TEXT, payload BLOB, seq INTEGER NOT NULL, deadline INTEGER, "
                       "flags INTEGER NOT NULL, durability INTEGER NOT NULL)"),
        QStringLiteral("CREATE TABLE channels (pos INTEGER PRIMARY KEY, name TEXT NOT NULL)"),
        QStringLiteral("CREATE TABLE recent_ids (ord INTEGER PRIMARY KEY, id TEXT NOT NULL)"),
        QStringLiteral("INSERT INTO meta VALUES ('schema_version', %1)").arg(kSchemaVersion),
        QStringLiteral("COMMIT"),
    };
    for (const QString &sql : statements) {
        if (!c.exec(sql)) {
            *reason = describe(c.error);
            c.exec(QStringLiteral("ROLLBACK"));
            return false;
        }
    }
    return true;
}

bool StorePrivate::prepareWriter(QString *reason)
{
    Connection &c = *writer;
    if (!c.exec(QStringLiteral("PRAGMA journal_mode = WAL"))) {
        *reason = describe(c.error);
        return false;
    }
    putMessage = c.prepare(QStringLiteral(
        "INSERT OR REPLACE INTO messages (serial, id, channel, coalescing_key, payload, seq, deadline, flags, durability) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    setSeq = c.prepare(QStringLiteral("UPDATE messages SET seq = ? WHERE serial = ?"));
    removeMessage = c.prepare(QStringLiteral("DELETE FROM messages WHERE serial = ?"));
    putSession = c.prepare(QStringLiteral(
        "INSERT OR REPLACE INTO session (id, sid, inbound_rx, highest_ack, next_seq) VALUES (1, ?, ?, ?, ?)"));
    clearChannels = c.prepare(QStringLiteral("DELETE FROM channels"));
    putChannel = c.prepare(QStringLiteral("INSERT INTO channels (name) VALUES (?)"));
    putRecent = c.prepare(QStringLiteral("INSERT INTO recent_ids (id) VALUES (?)"));
    trimRecent = c.prepare(QStringLiteral("DELETE FROM recent_ids WHERE ord <= (SELECT max(ord) FROM recent_ids) - ?"));
    putMeta = c.prepare(QStringLiteral("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
    if (!putMessage || !setSeq || !removeMessage || !putSession || !clearChannels || !putChannel || !putRecent
        || !trimRecent || !putMeta) {
        *reason = describe(c.error);
        return false;
    }
    // Probe: a read-only file opens "read-write" without complaint and fails at its first
    // write; find out now, while open() can still say so.
    if (!c.exec(QStringLiteral("BEGIN IMMEDIATE"))
        || !c.exec(QStringLiteral("UPDATE meta SET value = value WHERE key = 'schema_version'"))
        || !c.exec(QStringLiteral("COMMIT"))) {
        *reason = describe(c.error);
        c.exec(QStringLiteral("ROLLBACK"));
        return false;
    }
    return true;
}

bool StorePrivate::applyOne(const Engine::PersistBatch &batch)
{
    for (const Engine::StoredMessage &m : batch.put) {
        QSqlQuery &p = *putMessage;
        p.bindValue(0, qint64(m.serial));
        p.bindValue(1, m.id);
        p.bindValue(2, m.channel.isEmpty() ? QVariant() : QVariant(m.channel));
        p.bindValue(3, m.coalescingKey.isEmpty() ? QVariant() : QVariant(m.coalescingKey));
        p.bindValue(4, m.payload);
        p.bindValue(5, qint64(m.seq));
        p.bindValue(6, m.deadline ? QVariant(toWallMs(*m.deadline, base)) : QVariant());
        p.bindValue(7, int(m.flags));
        p.bindValue(8, int(m.durability));
        if (!p.exec())
            return false;
    }
    for (const auto &[serial, seq] : batch.seqs) {
        setSeq->bindValue(0, qint64(seq));
        setSeq->bindValue(1, qint64(serial));
        if (!setSeq->exec())
            return false;
    }
    for (quint64 serial : batch.removed) {
        removeMessage->bindValue(0, qint64(serial));
        if (!removeMessage->exec())
            return false;
    }
    if (batch.session) {
        const Engine::StoredSession &s = *batch.session;
        putSession->bindValue(0, s.sid);
        putSession->bindValue(1, qint64(s.inboundRx));
        putSession->bindValue(2, qint64(s.highestAck));
        putSession->bindValue(3, qint64(s.nextSeq));
        if (!putSession->exec())
            return false;
    }
    if (batch.channels) {
        if (!clearChannels->exec())
            return false;
        for (const QString &name : *batch.channels) {
            putChannel->bindValue(0, name);
            if (!putChannel->exec())
                return false;
        }
    }
    for (const QString &id : batch.recentIds) {
        putRecent->bindValue(0, id);
        if (!putRecent->exec())
            return false;
    }
    // 0 = the batch does not say (nothing to trim by).
    if (batch.recentIdCapacity > 0 && !batch.recentIds.isEmpty()) {
        trimRecent->bindValue(0, qint64(batch.recentIdCapacity));
        if (!trimRecent->exec())
            return false;
    }
    return true;
}

bool StorePrivate::apply(std::deque<Engine::PersistBatch> &batches, QString *error)
{
    Connection &c = *writer;
    QSqlQuery *failedQuery = nullptr;
    auto fail = [&](const QSqlError &e) {
        *error = writeError(e);
        c.exec(QStringLiteral("ROLLBACK"));
        // A failed statement keeps its error; the next transaction must not inherit it.
        if (failedQuery)
            failedQuery->finish();
        return false;
    };

    bool sync = false;
    for (const auto &b : batches)
        sync = sync || b.sync;
    if (fullSync != sync) {
        // Outside the transaction: SQLite ignores a change of synchronous inside one.
        if (!c.exec(sync ? QStringLiteral("PRAGMA synchronous = FULL") : QStringLiteral("PRAGMA synchronous = NORMAL")))
            return fail(c.error);
        fullSync = sync;
    }
    if (!c.exec(QStringLiteral("BEGIN IMMEDIATE")))
        return fail(c.error);
    for (const auto &b : batches) {
        if (!applyOne(b)) {
            for (QSqlQuery *query : {putMessage, setSeq, removeMessage, putSession, clearChannels, putChannel,
                                     putRecent, trimRecent}) {
                if (query->lastError().isValid()) {
                    failedQuery = query;
                    return fail(query->lastError());
                }
            }
            return fail(c.error);
        }
    }
    if (!identityWritten) {
        // The first commit of a run says who writes the file from now on (store_p.h).
        const std::pair<QString, QVariant> rows[] = {
            {QStringLiteral("codec"), codecName(identity.codec)},
            {QStringLiteral("raw_mode"), identity.rawMode ? 1 : 0},
            {QStringLiteral("urls"), urlSetText(identity.urls)},
            {QStringLiteral("protocol_version"), qint64(Protocol::kVersion)},
            {QStringLiteral("schema_version"), kSchemaVersion},
        };
        for (const auto &[key, value] : rows) {
            putMeta->bindValue(0, key);
            putMeta->bindValue(1, value);
            if (!putMeta->exec()) {
                failedQuery = putMeta;
                return fail(putMeta->lastError());
            }
        }
    }
    if (!c.exec(QStringLiteral("COMMIT")))
        return fail(c.error);
    identityWritten = true;
    commits.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void StorePrivate::run()
{
    Store::OpenResult result = openOnThread();
    const bool canWrite = result.isWritable();
    {
        QMutexLocker locker(&mutex);
        openResult = std::move(result);
        openDone.wakeAll();
    }
    if (!canWrite) {
        writer.reset();
        return;
    }

    std::deque<Engine::PersistBatch> work;
    for (;;) {
        QString error;
        {
            QMutexLocker locker(&mutex);
            while ((queue.empty() || held) && !stopping)
                wake.wait(&mutex);
            if (queue.empty() && stopping)
                break;
            work.swap(queue);
            error = failure;
        }
        if (error.isEmpty() && !apply(work, &error))
            qCWarning(lcClient, "%s", qUtf8Printable(error));
        {
            QMutexLocker locker(&mutex);
            if (!error.isEmpty()) {
                failure = error;
                writable = false;
            }
            for (const auto &b : work)
                reports.emplace_back(b.number, error);
        }
        work.clear();
        postReports();
    }
    writer.reset();
}

// Any thread: makes sure one call to deliverReports() is on its way to the owner's thread.
void StorePrivate::postReports()
{
    {
        QMutexLocker locker(&mutex);
        if (reportsPosted || reports.empty())
            return;
        reportsPosted = true;
    }
    // `q` as the context: if the Store is gone before this runs, Qt drops the call.
    QMetaObject::invokeMethod(q, [this] { deliverReports(); }, Qt::QueuedConnection);
}

void StorePrivate::deliverReports()
{
    std::vector<std::pair<quint64, QString>> ready;
    {
        QMutexLocker locker(&mutex);
        ready.swap(reports);
        reportsPosted = false;
    }
    for (const auto &[number, error] : ready)
        Q_EMIT q->persisted(number, error);
}

// ---- Store ---------------------------------------------------------------------------

Store::Store(QObject *parent) : QObject(parent), d(std::make_unique<StorePrivate>(this)) {}

Store::~Store()
{
    close();
}

Store::OpenResult Store::open(const QString &path, const Identity &identity, TimeBase base)
{
    OpenResult result;
    if (d->opened) {
        result.message = QStringLiteral("store %1: open() was already called on this Store").arg(path);
        return result;
    }
    d->opened = true;
    d->path = QFileInfo(path).absoluteFilePath();
    d->identity = identity;
    d->base = base;

    auto lock = std::make_unique<QLockFile>(d->path + QStringLiteral(".lock"));
    // Never stale by age: a client holds its store for hours. A dead owner's lock is
    // still taken over (QLockFile checks whether its pid runs).
    lock->setStaleLockTime(0);
    if (lock->tryLock(0)) {
        d->lock = std::move(lock);
    } else if (lock->error() == QLockFile::LockFailedError) {
        qint64 pid = 0;
        QString host, app;
        lock->getLockInfo(&pid, &host, &app);
        result.status = OpenStatus::InUse;
        result.message = QStringLiteral("store %1: store in use by process %2 (%3)").arg(d->path).arg(pid).arg(app);
        d->closed = true;
        return result;
    }
    // Any other lock failure (a read-only directory) leaves `lock` empty: the store is
    // read, never written (no writer can take it there either).
    if (!d->lock)
        d->lockError = lock->error() == QLockFile::PermissionError ? QStringLiteral("permission denied or read-only")
                                                                   : QStringLiteral("unknown error");

    d->thread.reset(QThread::create([this] { d->run(); }));
    d->thread->setObjectName(QStringLiteral("tether-store"));
    d->thread->start();
    {
        QMutexLocker locker(&d->mutex);
        while (!d->openResult)
            d->openDone.wait(&d->mutex);
        result = std::move(*d->openResult);
        d->openResult.reset();
        d->writable = result.isWritable();
        if (!d->writable)
            d->failure = result.message;
    }
    if (!result.isWritable()) {
        d->thread->wait();
        d->thread.reset();
    }
    if (!result.message.isEmpty())
        qCWarning(lcClient, "%s", qUtf8Printable(result.message));
    if (result.status == OpenStatus::Failed || result.status == OpenStatus::InUse)
        close();
    return result;
}

void Store::submit(Engine::PersistBatch batch)
{
    if (!d->thread) {
        // Never opened, closed, or opened read-only: answered, but never written.
        QString error;
        {
            QMutexLocker locker(&d->mutex);
            error = !d->failure.isEmpty() ? d->failure
                                          : QStringLiteral("store %1: not open, nothing is written").arg(d->path);
            d->reports.emplace_back(batch.number, error);
        }
        d->postReports();
        return;
    }
    QMutexLocker locker(&d->mutex);
    d->queue.push_back(std::move(batch));
    if (d->queue.size() == 1)
        d->wake.wakeOne();
}

void Store::close()
{
    if (d->closed && !d->thread)
        return;
    d->closed = true;
    if (d->thread) {
        {
            QMutexLocker locker(&d->mutex);
            d->stopping = true;
            d->wake.wakeOne();
        }
        d->thread->wait();
        d->thread.reset();
    }
    d->writable = false;
    if (d->failure.isEmpty())
        d->failure = QStringLiteral("store %1: closed, nothing more is written").arg(d->path);
    d->deliverReports();
    d->lock.reset();
}

void Store::holdWrites(bool hold)
{
    QMutexLocker locker(&d->mutex);
    d->held = hold;
    d->wake.wakeOne();
}

QString Store::path() const
{
    return d->path;
}

bool Store::isOpen() const
{
    return d->opened && !d->closed;
}

bool Store::isWritable() const
{
    return d->writable;
}

quint64 Store::commits() const
{
    return d->commits.load(std::memory_order_relaxed);
}

} // namespace Tether
