// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

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
//
// Why the SQLite C API and not Qt SQL (ARCHITECTURE.md prefers QSQLITE unless its per-row
// cost misses the benchmark; issue 13): through QSqlQuery (prepared, bound values reused)
// this store sustained 60 000-97 000 msgs/s of 64-byte CrashSafe puts, its thread spending
// 5.6-7.9 µs of CPU per message, and restored 100 000 messages in 0.4-0.9 s; the target
// is 200 000 msgs/s. The cost was Qt SQL's, not SQLite's: a QVariant per bound value, the
// bound-value list copied per exec(), every QString converted by SQLite with an
// allocation. Here values are bound in place (SQLITE_STATIC), 32 rows per statement, and
// read straight into QString/QByteArray: 270 000-455 000 msgs/s at 1.0-1.9 µs, restore in
// 0.2-0.3 s (docs/benchmarks.md, tests/bench/store). It also keeps the store off the SQLite
// a Qt build may bundle inside its QSQLITE plugin.
#include "store_p.h"
#include "logging_p.h"

#include <protocol/frames.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QUrl>

#include <sqlite3.h>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <variant>

namespace Tether {

namespace {

// The store's lock: <path>.lock held with flock(2) for the Store's life. The kernel drops it
// when its owner dies, however it dies, so a lock never outlives its process (QLockFile's
// pid file can: a process killed between creating the file and writing its pid into it
// leaves a lock nobody can take over). flock belongs to the open file description, so a
// second Store in the same process is refused like another process. The file holds the
// owner's pid and name, for the "in use" message; the owner removes it when it is done,
// and a newcomer that locked a file removed meanwhile (another inode now at the path)
// starts over.
class StoreLock
{
public:
    enum class Result { Locked, InUse, Failed };

    ~StoreLock() { release(); }

    Result acquire(const QString &lockPath, QString *detail)
    {
        m_path = QFile::encodeName(lockPath);
        for (int attempt = 0; attempt < 8; ++attempt) {
            const int fd = ::open(m_path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd < 0) {
                *detail = errno == EACCES || errno == EROFS || errno == EPERM
                              ? QStringLiteral("permission denied or read-only")
                              : QString::fromLocal8Bit(std::strerror(errno));
                return Result::Failed;
            }
            if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
                const bool busy = errno == EWOULDBLOCK;
                *detail = busy ? owner(fd) : QString::fromLocal8Bit(std::strerror(errno));
                ::close(fd);
                return busy ? Result::InUse : Result::Failed;
            }
            struct stat held = {}, now = {};
            if (::fstat(fd, &held) == 0 && ::stat(m_path.constData(), &now) == 0 && held.st_ino == now.st_ino
                && held.st_dev == now.st_dev) {
                m_fd = fd;
                const QByteArray who = QByteArray::number(QCoreApplication::applicationPid()) + '\n'
                                       + QCoreApplication::applicationName().toUtf8() + '\n';
                if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, who.constData(), size_t(who.size()), 0) < 0)
                    qCDebug(lcClient) << "store lock: could not record the owner" << std::strerror(errno);
                return Result::Locked;
            }
            ::close(fd);  // the owner removed it as we locked it: lock the file now at the path
        }
        *detail = QStringLiteral("the lock file keeps being replaced");
        return Result::Failed;
    }

    void release()
    {
        if (m_fd < 0)
            return;
        ::unlink(m_path.constData());  // while still held: see acquire()
        ::close(m_fd);
        m_fd = -1;
    }

private:
    static QString owner(int fd)
    {
        char text[256] = {};
        const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
        const QList<QByteArray> lines = QByteArray(text, n > 0 ? int(n) : 0).split('\n');
        return QStringLiteral("process %1 (%2)")
            .arg(QString::fromUtf8(lines.value(0)), QString::fromUtf8(lines.value(1)));
    }

    QByteArray m_path;
    int m_fd = -1;
};

} // namespace

namespace {

constexpr qint64 kApplicationId = 0x54544852;  // "TTHR"
constexpr int kSchemaVersion = 1;
constexpr size_t kMaxChangesPerCommit = 16384;
// Rows per multi-row INSERT/DELETE: one statement run per 32 rows instead of per row saves
// SQLite's per-statement work (begin, halt, cursor open/close, reset).
constexpr int kRowsPerStatement = 32;
constexpr int kMessageColumns = 9;
// Checkpoints (WAL pages copied into the database file, with an fsync of each) run on a
// thread of their own once the WAL holds kCheckpointPages: done by the writer, as SQLite
// does by default, they stalled every commit behind them (a third of the CrashSafe
// throughput). If the writer outruns them past kWalHardLimitPages, it checkpoints itself:
// the WAL stays bounded.
constexpr int kCheckpointPages = 4096;      // 16 MiB of 4 KiB pages
constexpr int kWalHardLimitPages = 65536;   // 256 MiB

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

// A prepared statement, reset after every use so that it holds no lock between uses.
class Statement
{
public:
    Statement() = default;
    explicit Statement(sqlite3_stmt *stmt)
        : s(stmt), scratch(size_t(stmt ? sqlite3_bind_parameter_count(stmt) + 1 : 0))
    {
    }
    ~Statement() { sqlite3_finalize(s); }
    Statement(Statement &&o) noexcept : s(std::exchange(o.s, nullptr)), scratch(std::move(o.scratch)) {}
    Statement &operator=(Statement &&o) noexcept
    {
        std::swap(s, o.s);
        scratch.swap(o.scratch);
        return *this;
    }
    explicit operator bool() const { return s; }

    // Binding never copies: every value outlives the step() that reads it.
    void bind(int i, qint64 v) { sqlite3_bind_int64(s, i, v); }
    // Text goes in as UTF-8 (the file's encoding) from a buffer kept per parameter: SQLite
    // would otherwise convert UTF-16 itself, allocating per value (a tenth of a row's cost).
    void bind(int i, const QString &v)
    {
        if (v.isEmpty()) {
            sqlite3_bind_null(s, i);
            return;
        }
        QByteArray &buf = scratch[size_t(i)];
        const QChar *src = v.constData();
        const qsizetype n = v.size();
        buf.resize(n);  // keeps its capacity: no allocation once warm
        char *dst = buf.data();
        for (qsizetype k = 0; k < n; ++k) {
            if (src[k].unicode() >= 0x80) {
                buf = v.toUtf8();
                break;
            }
            dst[k] = char(src[k].unicode());
        }
        sqlite3_bind_text(s, i, buf.constData(), int(buf.size()), SQLITE_STATIC);
    }
    void bind(int i, const QByteArray &v) { sqlite3_bind_blob(s, i, v.constData(), int(v.size()), SQLITE_STATIC); }
    void bindNull(int i) { sqlite3_bind_null(s, i); }

    // Runs a statement that returns no rows; false on error (the connection has it).
    bool run()
    {
        const int rc = sqlite3_step(s);
        sqlite3_reset(s);
        return rc == SQLITE_DONE;
    }
    // Row by row: SQLITE_ROW, then SQLITE_DONE or an error code.
    int step() { return sqlite3_step(s); }
    void reset() { sqlite3_reset(s); }

    qint64 int64(int i) const { return sqlite3_column_int64(s, i); }
    bool isNull(int i) const { return sqlite3_column_type(s, i) == SQLITE_NULL; }
    QString text(int i) const
    {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(s, i));
        return p ? QString::fromUtf8(p, sqlite3_column_bytes(s, i)) : QString();
    }
    QByteArray blob(int i) const
    {
        const auto *p = static_cast<const char *>(sqlite3_column_blob(s, i));
        return QByteArray(p, p ? sqlite3_column_bytes(s, i) : 0);
    }

private:
    sqlite3_stmt *s = nullptr;
    std::vector<QByteArray> scratch;  // by parameter index
};

// One SQLite connection, used on the store's thread only.
class Connection
{
public:
    enum Mode { ReadWrite, ReadOnly, Immutable };
    ~Connection()
    {
        for (Statement *stmt : owned)
            *stmt = Statement();
        sqlite3_close_v2(db);
    }

    bool open(const QString &path, Mode mode)
    {
        // NOMUTEX: one thread uses it. The lock file keeps other writers out, so a busy
        // database means a foreign process: wait a little, then report it.
        int flags = SQLITE_OPEN_NOMUTEX;
        QByteArray name = QFile::encodeName(path);
        if (mode == Immutable) {
            // SQLite then takes no lock and needs no -shm: only for a file nobody can write.
            QUrl url = QUrl::fromLocalFile(path);
            url.setQuery(QStringLiteral("immutable=1"));
            name = url.toEncoded();
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        } else {
            flags |= mode == ReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            // The store holds payloads and the session id: only its owner may read it.
            // SQLite gives the -wal and -shm files the database file's mode, so creating
            // the (empty) file 0600 first covers all three; an existing file keeps its mode.
            if (mode == ReadWrite) {
                const int fd = ::open(name.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (fd >= 0)
                    ::close(fd);
            }
        }
        const int rc = sqlite3_open_v2(name.constData(), &db, flags, nullptr);
        if (rc != SQLITE_OK) {
            code = rc & 0xff;
            message = db ? QString::fromUtf8(sqlite3_errmsg(db)) : QString::fromUtf8(sqlite3_errstr(rc));
            return false;
        }
        sqlite3_extended_result_codes(db, 0);
        sqlite3_busy_timeout(db, 2000);
        return true;
    }

    bool failed()
    {
        code = sqlite3_errcode(db) & 0xff;
        message = QString::fromUtf8(sqlite3_errmsg(db));
        return false;
    }
    bool exec(const char *sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK || failed(); }
    bool exec(const QString &sql) { return exec(sql.toUtf8().constData()); }
    Statement prepare(const char *sql)
    {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
            failed();
        return Statement(stmt);
    }
    // The first column of the first row of a one-off statement.
    std::optional<qint64> scalar(const char *sql)
    {
        Statement q = prepare(sql);
        if (!q)
            return std::nullopt;
        const int rc = q.step();
        if (rc == SQLITE_ROW)
            return q.int64(0);
        if (rc == SQLITE_DONE)
            return 0;
        failed();
        return std::nullopt;
    }
    // Statements that must be finalized before the connection closes.
    void own(Statement *stmt) { owned.push_back(stmt); }

    sqlite3 *db = nullptr;
    int code = SQLITE_OK;  // primary result code of the last failure
    QString message;
    std::vector<Statement *> owned;
};

// Names the calling thread for debuggers and top (what QThread's objectName did). Linux
// truncates to 15 characters; Qt's LowPriority for the checkpointer was a no-op there too
// (SCHED_OTHER has a single static priority), so std::thread loses nothing.
void nameThisThread(const char *name)
{
#if defined(__APPLE__)
    pthread_setname_np(name);
#elif defined(__linux__)
    pthread_setname_np(pthread_self(), name);
#else
    Q_UNUSED(name);
#endif
}

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
    Inspection inspect(Connection::Mode mode);
    bool readSnapshot(Connection &c, Engine::Snapshot &out);
    QString moveAside();
    bool createSchema(Connection &c);
    bool writeIdentity(Statement &put);
    bool prepareWriter();
    bool apply(std::deque<Engine::PersistBatch> &batches, QString *error);
    bool applyOne(const Engine::PersistBatch &batch);
    QString writeError(const Connection &c) const;

    Store *const q;
    QString path;
    Store::Identity identity;
    Store::TimeBase base;
    std::unique_ptr<StoreLock> lock;
    QString lockError;
    std::thread thread;  // joinable between open() and close() while the store can write
    bool opened = false;   // open() was called
    bool closed = false;
    std::atomic<bool> writable{false};
    std::atomic<quint64> commits{0};

    // Shared between the threads, under `mutex`.
    // std:: rather than QMutex/QWaitCondition: ThreadSanitizer sees pthread's hand-offs,
    // not those inside an uninstrumented QtCore (tests/tsan.supp, the tsan preset).
    std::mutex mutex;
    std::condition_variable wake;      // the thread: work queued, or stopping
    std::condition_variable openDone;  // the owner: `openResult` is set
    std::deque<Engine::PersistBatch> queue;
    bool stopping = false;
    bool held = false;
    std::optional<Store::OpenResult> openResult;
    std::vector<std::pair<quint64, QString>> reports;
    bool reportsPosted = false;
    QString failure;             // set once a write failed: every later batch gets it

    // The checkpointer: its thread, and its wake-up (under checkpointMutex).
    void checkpointLoop();
    static int walHook(void *self, sqlite3 *db, const char *, int pages);
    std::thread checkpointer;
    std::mutex checkpointMutex;
    std::condition_variable checkpointWake;
    bool checkpointWanted = false;
    bool checkpointStopping = false;

    // Store's thread only.
    std::unique_ptr<Connection> writer;
    Statement putMessage, putMessages, setSeq, removeMessage, removeMessages, putSession, clearChannels, putChannel,
        putRecent, trimRecent, putMeta;
    bool identityWritten = false;
    std::optional<bool> fullSync;  // the synchronous level set on the connection
};

QString StorePrivate::writeError(const Connection &c) const
{
    if (c.code == SQLITE_FULL)
        return QStringLiteral("store %1: disk full, nothing more is written: %2").arg(path, c.message);
    return QStringLiteral("store %1: cannot write, nothing more is written: %2").arg(path, c.message);
}

Store::OpenResult StorePrivate::openOnThread()
{
    Store::OpenResult result;
    Inspection found;
    if (QFileInfo::exists(path))
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
        if (!lock) {
            // Without the lock another process may be using it: leave it where it is.
            result.status = Store::OpenStatus::Failed;
            result.message = QStringLiteral("store %1: %2, and it is not moved aside without its lock (%3)")
                                 .arg(path, found.reason, lockError);
            return result;
        }
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
        writer = std::make_unique<Connection>();
        const bool fresh = found.verdict != Verdict::Ours;
        if (!writer->open(path, Connection::ReadWrite) || (fresh && !createSchema(*writer)) || !prepareWriter())
            reason = writer->message;
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

Inspection StorePrivate::inspect(Connection::Mode mode)
{
    Inspection out;
    Connection c;
    auto fail = [&](const QString &what) {
        if (c.code == SQLITE_NOTADB || c.code == SQLITE_CORRUPT) {
            out.verdict = Verdict::Corrupt;
            out.reason = QStringLiteral("the file is corrupt (%1)").arg(c.message);
        } else {
            out.verdict = Verdict::Unreadable;
            out.cantOpen = c.code == SQLITE_CANTOPEN;
            out.reason = QStringLiteral("%1: %2").arg(what, c.message);
        }
        out.snapshot = {};
        return out;
    };
    if (!c.open(path, mode))
        return fail(QStringLiteral("opening it"));
    const auto appId = c.scalar("PRAGMA application_id");
    if (!appId)
        return fail(QStringLiteral("reading its header"));
    const auto version = c.scalar("PRAGMA user_version");
    if (!version)
        return fail(QStringLiteral("reading its header"));
    const auto tables = c.scalar("SELECT count(*) FROM sqlite_schema");
    if (!tables)
        return fail(QStringLiteral("reading its schema"));
    if (*appId != kApplicationId) {
        if (*appId == 0 && *version == 0 && *tables == 0) {
            out.verdict = Verdict::Empty;
            return out;
        }
        out.verdict = Verdict::Foreign;
        out.reason = QStringLiteral("the file is not a Tether store (application_id %1)").arg(*appId);
        return out;
    }
    if (*version > kSchemaVersion) {
        out.verdict = Verdict::Newer;
        out.reason = QStringLiteral("the file has schema version %1, newer than this Tether's %2")
                         .arg(*version)
                         .arg(kSchemaVersion);
        return out;
    }
    if (*version < kSchemaVersion) {
        out.verdict = Verdict::Foreign;
        out.reason = QStringLiteral("the file has unknown schema version %1").arg(*version);
        return out;
    }
    QStringList problems;
    {
        Statement check = c.prepare("PRAGMA quick_check");
        if (!check)
            return fail(QStringLiteral("checking it"));
        int rc;
        while ((rc = check.step()) == SQLITE_ROW)
            problems << check.text(0).split(QLatin1Char('\n'));
        if (rc != SQLITE_DONE && !c.failed())
            return fail(QStringLiteral("checking it"));
    }
    if (problems != QStringList{QStringLiteral("ok")}) {
        out.verdict = Verdict::Corrupt;
        out.reason = QStringLiteral("the file is corrupt (quick_check: %1%2)")
                         .arg(problems.mid(0, 3).join(QStringLiteral("; ")),
                              problems.size() > 3 ? QStringLiteral("; ...") : QString());
        return out;
    }
    if (!readSnapshot(c, out.snapshot)) {
        if (c.code == SQLITE_CORRUPT || c.code == SQLITE_NOTADB)
            return fail(QStringLiteral("reading it"));
        // The header says ours, but the tables are not what version 1 says: not our content.
        out.verdict = Verdict::Foreign;
        out.reason = QStringLiteral("the file does not hold a readable Tether store (%1)").arg(c.message);
        out.snapshot = {};
        return out;
    }
    out.verdict = Verdict::Ours;
    return out;
}

bool StorePrivate::readSnapshot(Connection &c, Engine::Snapshot &out)
{
    // Runs `sql`, calling `row` for each row; false (and `c` has the error) on failure.
    auto each = [&c](const char *sql, auto row) {
        Statement q = c.prepare(sql);
        if (!q)
            return false;
        int rc;
        while ((rc = q.step()) == SQLITE_ROW)
            row(q);
        return rc == SQLITE_DONE || c.failed();
    };

    QString storedUrls;
    qint64 protocolVersion = -1;
    if (!each("SELECT key, value FROM meta", [&](const Statement &q) {
            const QString key = q.text(0);
            if (key == QLatin1String("codec"))
                out.codec = q.text(1) == QLatin1String("cbor") ? Protocol::CodecKind::Cbor : Protocol::CodecKind::Json;
            else if (key == QLatin1String("raw_mode"))
                out.rawMode = q.int64(1) != 0;
            else if (key == QLatin1String("urls"))
                storedUrls = q.text(1);
            else if (key == QLatin1String("protocol_version"))
                protocolVersion = q.int64(1);
        }))
        return false;
    // A session is only worth resuming with the server (set) and protocol it was made with.
    out.sameEndpoint = storedUrls == urlSetText(identity.urls) && protocolVersion == qint64(Protocol::kVersion);

    if (!each("SELECT sid, inbound_rx, highest_ack, next_seq FROM session WHERE id = 1", [&](const Statement &q) {
            out.session.sid = q.text(0);
            out.session.inboundRx = quint64(q.int64(1));
            out.session.highestAck = quint64(q.int64(2));
            out.session.nextSeq = quint64(q.int64(3));
        }))
        return false;
    if (!each("SELECT name FROM channels ORDER BY pos", [&](const Statement &q) { out.channels << q.text(0); }))
        return false;
    if (!each("SELECT id FROM recent_ids ORDER BY ord", [&](const Statement &q) { out.recentIds << q.text(0); }))
        return false;
    if (const auto count = c.scalar("SELECT count(*) FROM messages"))
        out.messages.reserve(size_t(*count));
    return each("SELECT serial, id, channel, coalescing_key, payload, seq, deadline, flags, durability "
                "FROM messages ORDER BY serial",
                [&](const Statement &q) {
                    Engine::StoredMessage &m = out.messages.emplace_back();
                    m.serial = quint64(q.int64(0));
                    m.id = q.text(1);
                    m.channel = q.text(2);
                    m.coalescingKey = q.text(3);
                    m.payload = q.blob(4);
                    m.seq = quint64(q.int64(5));
                    if (!q.isNull(6))
                        m.deadline = fromWallMs(q.int64(6), base);
                    m.flags = quint16(q.int64(7));
                    m.durability = q.int64(8) == int(Engine::Durability::PowerSafe) ? Engine::Durability::PowerSafe
                                                                                    : Engine::Durability::CrashSafe;
                });
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

bool StorePrivate::writeIdentity(Statement &put)
{
    const QString urls = urlSetText(identity.urls);
    const QString codec = codecName(identity.codec);
    const std::pair<QString, std::variant<qint64, const QString *>> rows[] = {
        {QStringLiteral("codec"), &codec},
        {QStringLiteral("raw_mode"), qint64(identity.rawMode ? 1 : 0)},
        {QStringLiteral("urls"), &urls},
        {QStringLiteral("protocol_version"), qint64(Protocol::kVersion)},
        {QStringLiteral("schema_version"), qint64(kSchemaVersion)},
    };
    for (const auto &[key, value] : rows) {
        put.bind(1, key);
        if (const auto *text = std::get_if<const QString *>(&value))
            put.bind(2, **text);
        else
            put.bind(2, std::get<qint64>(value));
        if (!put.run())
            return false;
    }
    return true;
}

bool StorePrivate::createSchema(Connection &c)
{
    const QString sql = QStringLiteral(
        "PRAGMA journal_mode = WAL;"
        "BEGIN IMMEDIATE;"
        "PRAGMA application_id = %1;"
        "PRAGMA user_version = %2;"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
        "CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), sid TEXT,"
        " inbound_rx INTEGER NOT NULL, highest_ack INTEGER NOT NULL, next_seq INTEGER NOT NULL);"
        "CREATE TABLE messages (serial INTEGER PRIMARY KEY, id TEXT NOT NULL, channel TEXT,"
        " coalescing_key TEXT, payload BLOB, seq INTEGER NOT NULL, deadline INTEGER,"
        " flags INTEGER NOT NULL, durability INTEGER NOT NULL);"
        "CREATE TABLE channels (pos INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        "CREATE TABLE recent_ids (ord INTEGER PRIMARY KEY, id TEXT NOT NULL);"
        ).arg(kApplicationId).arg(kSchemaVersion);
    if (c.exec(sql)) {
        Statement meta = c.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
        if (meta && writeIdentity(meta) && c.exec("COMMIT")) {
            identityWritten = true;
            return true;
        }
        c.failed();
    }
    const int code = c.code;
    const QString message = c.message;
    c.exec("ROLLBACK");
    c.code = code;
    c.message = message;
    return false;
}

bool StorePrivate::prepareWriter()
{
    Connection &c = *writer;
    // 8 MiB of page cache: a commit of kMaxChangesPerCommit rows fits without spilling.
    if (!c.exec("PRAGMA journal_mode = WAL; PRAGMA cache_size = -8192"))
        return false;
    const QByteArray insert = "INSERT OR REPLACE INTO messages (serial, id, channel, coalescing_key, payload, seq,"
                              " deadline, flags, durability) VALUES ";
    const QByteArray row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
    QByteArrayList rows(kRowsPerStatement, row);
    QByteArrayList params(kRowsPerStatement, "?");
    const QByteArray insertMany = insert + rows.join(", ");
    const QByteArray removeMany = "DELETE FROM messages WHERE serial IN (" + params.join(", ") + ")";
    const QByteArray insertOne = insert + row;
    const std::pair<Statement *, const char *> statements[] = {
        {&putMessage, insertOne.constData()},
        {&putMessages, insertMany.constData()},
        {&removeMessages, removeMany.constData()},
        {&setSeq, "UPDATE messages SET seq = ? WHERE serial = ?"},
        {&removeMessage, "DELETE FROM messages WHERE serial = ?"},
        {&putSession, "INSERT OR REPLACE INTO session (id, sid, inbound_rx, highest_ack, next_seq) VALUES (1, ?, ?, ?, ?)"},
        {&clearChannels, "DELETE FROM channels"},
        {&putChannel, "INSERT INTO channels (name) VALUES (?)"},
        {&putRecent, "INSERT INTO recent_ids (id) VALUES (?)"},
        {&trimRecent, "DELETE FROM recent_ids WHERE ord <= (SELECT max(ord) FROM recent_ids) - ?"},
        {&putMeta, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"},
    };
    for (const auto &[stmt, sql] : statements) {
        *stmt = c.prepare(sql);
        if (!*stmt)
            return false;
        c.own(stmt);
    }
    // Replaces SQLite's automatic checkpoint (itself a WAL hook) by ours.
    sqlite3_wal_hook(c.db, &StorePrivate::walHook, this);
    // Probe: a read-only file opens "read-write" without complaint and fails at its first
    // write; find out now, while open() can still say so.
    if (!c.exec("BEGIN IMMEDIATE; UPDATE meta SET value = value WHERE key = 'schema_version'; COMMIT")) {
        const int code = c.code;
        const QString message = c.message;
        c.exec("ROLLBACK");
        c.code = code;
        c.message = message;
        return false;
    }
    return true;
}

bool StorePrivate::applyOne(const Engine::PersistBatch &batch)
{
    auto bindMessage = [this](Statement &p, int at, const Engine::StoredMessage &m) {
        p.bind(at + 1, qint64(m.serial));
        p.bind(at + 2, m.id);
        p.bind(at + 3, m.channel);
        p.bind(at + 4, m.coalescingKey);
        p.bind(at + 5, m.payload);
        p.bind(at + 6, qint64(m.seq));
        if (m.deadline)
            p.bind(at + 7, toWallMs(*m.deadline, base));
        else
            p.bindNull(at + 7);
        p.bind(at + 8, qint64(m.flags));
        p.bind(at + 9, qint64(m.durability));
    };
    // Rows go in in batch order either way: a multi-row INSERT inserts its rows in order.
    size_t i = 0;
    for (; i + kRowsPerStatement <= batch.put.size(); i += kRowsPerStatement) {
        for (int r = 0; r < kRowsPerStatement; ++r)
            bindMessage(putMessages, r * kMessageColumns, batch.put[i + r]);
        if (!putMessages.run())
            return false;
    }
    for (; i < batch.put.size(); ++i) {
        bindMessage(putMessage, 0, batch.put[i]);
        if (!putMessage.run())
            return false;
    }
    for (const auto &[serial, seq] : batch.seqs) {
        setSeq.bind(1, qint64(seq));
        setSeq.bind(2, qint64(serial));
        if (!setSeq.run())
            return false;
    }
    i = 0;
    for (; i + kRowsPerStatement <= batch.removed.size(); i += kRowsPerStatement) {
        for (int r = 0; r < kRowsPerStatement; ++r)
            removeMessages.bind(r + 1, qint64(batch.removed[i + r]));
        if (!removeMessages.run())
            return false;
    }
    for (; i < batch.removed.size(); ++i) {
        removeMessage.bind(1, qint64(batch.removed[i]));
        if (!removeMessage.run())
            return false;
    }
    if (batch.session) {
        const Engine::StoredSession &s = *batch.session;
        putSession.bind(1, s.sid);
        putSession.bind(2, qint64(s.inboundRx));
        putSession.bind(3, qint64(s.highestAck));
        putSession.bind(4, qint64(s.nextSeq));
        if (!putSession.run())
            return false;
    }
    if (batch.channels) {
        if (!clearChannels.run())
            return false;
        for (const QString &name : *batch.channels) {
            putChannel.bind(1, name);
            if (!putChannel.run())
                return false;
        }
    }
    for (const QString &id : batch.recentIds) {
        putRecent.bind(1, id);
        if (!putRecent.run())
            return false;
    }
    // 0 = the batch does not say (nothing to trim by).
    if (batch.recentIdCapacity > 0 && !batch.recentIds.isEmpty()) {
        trimRecent.bind(1, qint64(batch.recentIdCapacity));
        if (!trimRecent.run())
            return false;
    }
    return true;
}

bool StorePrivate::apply(std::deque<Engine::PersistBatch> &batches, QString *error)
{
    Connection &c = *writer;
    auto fail = [&] {
        c.failed();
        *error = writeError(c);
        c.exec("ROLLBACK");
        return false;
    };

    bool sync = false;
    for (const auto &b : batches)
        sync = sync || b.sync;
    if (fullSync != sync) {
        // Outside the transaction: SQLite ignores a change of synchronous inside one.
        if (!c.exec(sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"))
            return fail();
        fullSync = sync;
    }
    if (!c.exec("BEGIN IMMEDIATE"))
        return fail();
    for (const auto &b : batches) {
        if (!applyOne(b))
            return fail();
    }
    // The first commit of a run says who writes the file from now on (store_p.h).
    if (!identityWritten && !writeIdentity(putMeta))
        return fail();
    if (!c.exec("COMMIT"))
        return fail();
    identityWritten = true;
    commits.fetch_add(1, std::memory_order_relaxed);
    return true;
}

// The writer's thread, after each commit.
int StorePrivate::walHook(void *self, sqlite3 *db, const char *, int pages)
{
    auto *d = static_cast<StorePrivate *>(self);
    if (pages >= kWalHardLimitPages) {
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= kCheckpointPages) {
        std::unique_lock<std::mutex> locker(d->checkpointMutex);
        d->checkpointWanted = true;
        d->checkpointWake.notify_one();
    }
    return SQLITE_OK;
}

// A connection of its own, on a thread of its own: SQLite lets a checkpoint run beside a
// writer in WAL mode. PASSIVE never waits for the writer; what it could not copy is copied
// by the next one. A failure (disk full) loses nothing: the pages stay in the WAL.
void StorePrivate::checkpointLoop()
{
    Connection c;
    if (!c.open(path, Connection::ReadWrite)) {
        qCWarning(lcClient, "store %s: no background checkpoints: %s", qUtf8Printable(path), qUtf8Printable(c.message));
        return;
    }
    for (;;) {
        {
            std::unique_lock<std::mutex> locker(checkpointMutex);
            while (!checkpointWanted && !checkpointStopping)
                checkpointWake.wait(locker);
            if (checkpointStopping)
                return;
            checkpointWanted = false;
        }
        const int rc = sqlite3_wal_checkpoint_v2(c.db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            qCWarning(lcClient, "store %s: checkpoint failed: %s", qUtf8Printable(path), sqlite3_errmsg(c.db));
    }
}

void StorePrivate::run()
{
    Store::OpenResult result = openOnThread();
    const bool canWrite = result.isWritable();
    {
        std::unique_lock<std::mutex> locker(mutex);
        openResult = std::move(result);
        openDone.notify_all();
    }
    if (!canWrite) {
        writer.reset();
        return;
    }
    checkpointer = std::thread([this] {
        nameThisThread("tether-store-ckpt");
        checkpointLoop();
    });

    std::deque<Engine::PersistBatch> work;
    for (;;) {
        QString error;
        {
            std::unique_lock<std::mutex> locker(mutex);
            while ((queue.empty() || held) && !stopping)
                wake.wait(locker);
            if (queue.empty() && stopping)
                break;
            // Merge what waits, up to a bound: a commit's size bounds the WAL between
            // checkpoints, the page cache, and how long a batch waits for its report.
            size_t changes = 0;
            while (!queue.empty() && (work.empty() || changes < kMaxChangesPerCommit)) {
                const auto &b = queue.front();
                changes += b.put.size() + b.seqs.size() + b.removed.size() + size_t(b.recentIds.size()) + 1;
                work.push_back(std::move(queue.front()));
                queue.pop_front();
            }
            error = failure;
        }
        if (error.isEmpty() && !apply(work, &error))
            qCWarning(lcClient, "%s", qUtf8Printable(error));
        {
            std::unique_lock<std::mutex> locker(mutex);
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
    {
        std::unique_lock<std::mutex> locker(checkpointMutex);
        checkpointStopping = true;
        checkpointWake.notify_one();
    }
    checkpointer.join();
    // The writer closes last: the last connection checkpoints everything and removes the WAL.
    writer.reset();
}

// Any thread: makes sure one call to deliverReports() is on its way to the owner's thread.
void StorePrivate::postReports()
{
    {
        std::unique_lock<std::mutex> locker(mutex);
        if (reportsPosted || reports.empty())
            return;
        reportsPosted = true;
    }
    // If the Store is gone before this runs, Qt drops the call. By name, not a lambda: the
    // queued call is then built and consumed inside QtCore; a lambda's captures would be
    // written here and read on the owner's thread, a hand-off through QtCore's own locks
    // that ThreadSanitizer cannot see in a Qt not built for it (the tsan preset).
    QMetaObject::invokeMethod(q, "deliverReports", Qt::QueuedConnection);
}

void StorePrivate::deliverReports()
{
    std::vector<std::pair<quint64, QString>> ready;
    {
        std::unique_lock<std::mutex> locker(mutex);
        ready.swap(reports);
        reportsPosted = false;
    }
    for (const auto &[number, error] : ready)
        Q_EMIT q->persisted(number, error);
}

// ---- Store ---------------------------------------------------------------------------

void Store::deliverReports()
{
    d->deliverReports();
}

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

    // Apps pass a path under their data location, which need not exist yet.
    QDir().mkpath(QFileInfo(d->path).absolutePath());
    auto lock = std::make_unique<StoreLock>();
    QString lockDetail;
    switch (lock->acquire(d->path + QStringLiteral(".lock"), &lockDetail)) {
    case StoreLock::Result::Locked:
        d->lock = std::move(lock);
        break;
    case StoreLock::Result::InUse:
        result.status = OpenStatus::InUse;
        result.message = QStringLiteral("store %1: store in use by %2").arg(d->path, lockDetail);
        d->closed = true;
        return result;
    case StoreLock::Result::Failed:
        // A read-only directory: the store is read, never written (no writer can take the
        // lock there either).
        d->lockError = lockDetail;
        break;
    }

    d->thread = std::thread([this] {
        nameThisThread("tether-store");
        d->run();
    });
    {
        std::unique_lock<std::mutex> locker(d->mutex);
        while (!d->openResult)
            d->openDone.wait(locker);
        result = std::move(*d->openResult);
        d->openResult.reset();
        d->writable = result.isWritable();
        if (!d->writable)
            d->failure = result.message;
    }
    if (!result.isWritable())
        d->thread.join();
    if (!result.message.isEmpty())
        qCWarning(lcClient, "%s", qUtf8Printable(result.message));
    if (result.status == OpenStatus::Failed || result.status == OpenStatus::InUse)
        close();
    return result;
}

void Store::submit(Engine::PersistBatch batch)
{
    if (!d->thread.joinable()) {
        // Never opened, closed, or opened read-only: answered, but never written.
        QString error;
        {
            std::unique_lock<std::mutex> locker(d->mutex);
            error = !d->failure.isEmpty() ? d->failure
                                          : QStringLiteral("store %1: not open, nothing is written").arg(d->path);
            d->reports.emplace_back(batch.number, error);
        }
        d->postReports();
        return;
    }
    std::unique_lock<std::mutex> locker(d->mutex);
    d->queue.push_back(std::move(batch));
    if (d->queue.size() == 1)
        d->wake.notify_one();
}

void Store::close()
{
    if (d->closed && !d->thread.joinable())
        return;
    d->closed = true;
    if (d->thread.joinable()) {
        {
            std::unique_lock<std::mutex> locker(d->mutex);
            d->stopping = true;
            d->wake.notify_one();
        }
        d->thread.join();
    }
    d->writable = false;
    if (d->failure.isEmpty())
        d->failure = QStringLiteral("store %1: closed, nothing more is written").arg(d->path);
    d->deliverReports();
    d->lock.reset();
}

void Store::holdWrites(bool hold)
{
    std::unique_lock<std::mutex> locker(d->mutex);
    d->held = hold;
    d->wake.notify_one();
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
