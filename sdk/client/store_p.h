// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The durable store under a Client: the engine's PersistBatch actions applied to SQLite,
// and the Snapshot read back on the next start (issue 13). Not public API.
//
// The engine decides what is stored and when (sdk/engine/persist.h, the contract); this
// file only makes it durable. Rules:
// - One Store per file, one file per Store: a second Store on the same path, in this
//   process or another, is refused ("store in use", naming the owner's pid) by an flock(2)
//   on <path>.lock. The kernel releases it when the owner dies, however it dies, so a lock
//   can never outlive its process (a pid file can: see StoreLock in store.cpp).
// - A file we cannot trust is never reinterpreted and never deleted: a corrupt file, a
//   foreign database (other application_id, or not ours at all) and a file written by a
//   newer schema are moved aside to <path>.corrupt-<UTC timestamp> (with their -wal/-shm)
//   and a fresh store is created; OpenResult says where the old one went.
// - A store that cannot be written (read-only location, disk full) is not fatal: open()
//   returns what it could read and says why it cannot write; every batch submitted is then
//   answered with an error, so the Qt layer switches to Memory mode and drops nothing.
// - Batches are applied in `number` order, each atomically: batches waiting in the queue
//   are merged into one transaction (cheaper; atomicity and order still hold, since a
//   merged commit applies all or none of them in order). Every number is reported once,
//   in order, on the owner's thread (persisted()). A commit that holds a `sync` batch runs
//   with synchronous=FULL (WAL fsynced: survives power loss); others with NORMAL (the WAL
//   is written before the report: survives a process kill, not a power loss).
// - After a write error the store writes nothing more: the failing transaction is rolled
//   back, it and every later batch are reported with the error. What was committed before
//   stays in the file.
// - close() (and the destructor) apply every queued batch before returning: an app that
//   quits normally loses nothing. Their reports are emitted from close() itself.
// - Times: the engine's deadlines are steady-clock TimePoints, meaningless in another
//   process. The file keeps wall-clock milliseconds since the epoch; both directions use
//   the (steady, wall) pair given to open(), rounding down (a restored message never
//   outlives its TTL).
//
// Theory of operation: open() takes the lock, starts the store's thread and waits for it:
// the thread owns the SQLite connections from their first to their last use (opened
// without SQLite's own mutexes: one thread only), checks the file through a read-only
// connection, reads the Snapshot, opens the writer and hands the result back. submit()
// only queues (a mutex and a wait condition); the thread takes what is queued (up to a
// bound), commits it, and posts the numbers back to the owner's thread. A second thread
// with its own connection checkpoints the WAL in the background, so commits never wait
// for a checkpoint's fsyncs. SQLite is used through its C API, not Qt SQL: store.cpp says
// why.
#pragma once

#include "autotest_p.h"

#include <engine/persist.h>

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <chrono>
#include <memory>

namespace Tether {

class StorePrivate;

class TETHER_AUTOTEST_EXPORT Store : public QObject
{
    Q_OBJECT
public:
    // Who writes the store. Compared with what the file says (Snapshot::codec, rawMode,
    // sameEndpoint) and written to the file with the first batch this Store commits.
    struct Identity {
        Protocol::CodecKind codec = Protocol::CodecKind::Json;
        bool rawMode = false;
        QStringList urls;  // the client's endpoints; compared as a set (order and repeats ignored)
    };

    // One instant read on both clocks, to convert deadlines between them.
    struct TimeBase {
        Engine::TimePoint steady;
        std::chrono::system_clock::time_point wall;
        static TimeBase now() { return {Engine::Clock::now(), std::chrono::system_clock::now()}; }
    };

    enum class OpenStatus {
        Opened,     // writable; `snapshot` is the stored state (empty for a new store)
        Recovered,  // writable, fresh: the previous file was moved aside to `movedTo`
        ReadOnly,   // cannot be written (`message` says why); `snapshot` holds what could be read
        InUse,      // another Store holds the lock (this process or another); nothing read
        Failed,     // not opened at all (`message` says why); nothing read
    };

    struct OpenResult {
        OpenStatus status = OpenStatus::Failed;
        QString message;   // for humans, names the path; empty when Opened without remark
        QString movedTo;   // where an untrusted file was moved, else empty
        Engine::Snapshot snapshot;
        bool isWritable() const { return status == OpenStatus::Opened || status == OpenStatus::Recovered; }
    };

    explicit Store(QObject *parent = nullptr);
    ~Store() override;  // close()

    // Opens (or creates) the store at `path` and reads it back. Blocks until done. Once per
    // Store: a second call returns Failed.
    OpenResult open(const QString &path, const Identity &identity, TimeBase base = TimeBase::now());

    // Queues a batch (numbers strictly increasing). Answered by persisted(number, error)
    // on this object's thread, after the batch is durable or has failed. Never blocks on I/O.
    void submit(Engine::PersistBatch batch);

    // Applies every queued batch, emits their persisted(), then releases the file and its
    // lock. Idempotent.
    void close();

    // Tests and benchmarks: while held, batches queue up unwritten (so that merging is
    // deterministic); releasing writes everything queued. close() ignores the hold.
    void holdWrites(bool hold);

    QString path() const;
    bool isOpen() const;      // between open() and close()
    bool isWritable() const;  // false once a write failed, or when opened ReadOnly
    quint64 commits() const;  // transactions committed (merged batches count once)

Q_SIGNALS:
    // `error` empty: batch `number` is durable. Else it is not (and nothing after it will
    // be written): `error` names the path and the cause.
    void persisted(quint64 number, const QString &error);

private:
    // Queued from the store's thread by name (StorePrivate::postReports says why).
    Q_INVOKABLE void deliverReports();

    friend class StorePrivate;
    std::unique_ptr<StorePrivate> d;
};

} // namespace Tether
