// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: what outlives the process (issue 13). Not public API.
//
// The contract between the sans-I/O engine and a store (the Qt layer drives a SQLite one,
// sdk/client/store_p.h). The engine never touches a file: it says what changed, in
// batches, as an Action (PersistBatch), and is told when a batch is durable
// (Connection::handlePersisted()). On the next start the store reads a Snapshot back and
// the Qt layer hands it to Connection::restore() before open().
//
// Rules:
// - What is stored: every unended outbound message whose durability is not Memory (in
//   outbox order, by `serial`), the session (sid, inbound position, highest ack received,
//   next outbound seq), the desired channel set and the inbound dedupe window (ids, oldest
//   first). Requests are not stored: a pending request fails or is retried in memory as
//   today (docs/delivery.md says so).
// - Batching (group commit): changes accumulate in the engine; a batch is due
//   Options::persistInterval after its first change, or at once when it holds
//   Options::persistMaxChanges changes (or a PowerSafe message). Never one batch per
//   message. Inside a batch a message put and then removed (delivered before its group was
//   written) cancels out: it is never written, and it is never reported Persisted (its
//   outcome came first).
// - A message is Persisted once the batch that wrote it is durable (handlePersisted()
//   without error): one Persisted event per message, before or after its transmission,
//   always before its outcome event or not at all.
// - The store applies a batch atomically (one transaction), batches in `number` order
//   (numbers start at 1 with each Connection, i.e. each process), and inside a batch: `put`
//   (insert or replace the row), then `seqs` (rows absent are skipped), then `removed`. A
//   batch with `sync` is fsynced (PowerSafe) before it is reported durable. The engine
//   emits a PowerSafe or full batch at the next pollAction(), so sends made before the
//   caller polls share one fsync.
// - restore() from a snapshot in another codec (or raw mode) puts every transcoded row
//   again whole in its first batch: the store records the client's current codec with
//   that batch (the same transaction), so a later snapshot says the truth.
// - The wire may run ahead of the store (the process dies between a send and the batch
//   with its seq): session_p.h says how the first welcome after restore() copes.
// - Times: the engine speaks its steady clock (TimePoint). The store keeps TTL deadlines as
//   wall-clock instants: the Qt layer converts on the way in and out.
// - A store failure (handlePersisted() with an error: read-only, disk full) turns
//   persistence off for this client (it keeps working in Memory mode, says so with an
//   ErrorOccurred{StorageError} and Stats::storageDegraded); nothing already stored is
//   removed by the engine's later batches because none are emitted any more.
#pragma once

#include "types.h"

#include <protocol/codec.h>

#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QStringList>

#include <optional>
#include <utility>
#include <vector>

namespace Tether::Engine {

// How far a message (or, by default, every message of a client) is kept
// (Options::durability, SendOptions::durability).
enum class Durability {
    Memory,     // not stored: lost with the process (today's behaviour)
    CrashSafe,  // survives the process dying (group commit, no fsync)
    PowerSafe,  // survives power loss too (fsync per group)
};

// One outbound message as the store keeps it.
struct StoredMessage {
    enum Flag : quint16 {
        Reliable = 1,   // AtLeastOnce (else AtMostOnce)
        Binary = 2,     // raw mode: binary frame
        Shared = 4,     // `payload` is the app's raw bytes (a CBOR byte string), not codec bytes
        EverSent = 8,   // transmitted at least once (a later send is a retransmission)
        TtlPassed = 16, // its TTL ran out while on the wire (Outbox rules)
    };
    quint64 serial = 0;       // order and row key; kept across restarts, new ones continue above
    QString id;
    QString channel;          // empty: not a publication
    QString coalescingKey;    // empty: none
    QByteArray payload;       // the payload as encoded at send() time (see Flag::Shared)
    quint64 seq = 0;          // seq in the stored session, 0 = not transmitted in it
    std::optional<TimePoint> deadline;  // TTL deadline; none = no TTL
    quint16 flags = 0;
    Durability durability = Durability::CrashSafe;
    bool has(Flag f) const { return flags & f; }
};

// The session as the store keeps it (the engine's Session module owns these).
struct StoredSession {
    QString sid;              // empty: no session yet (the next hello asks for a new one)
    quint64 inboundRx = 0;    // hello.rx: last contiguous server seq delivered to the app
    quint64 highestAck = 0;   // hello.ak: highest ack.seq received from the server
    quint64 nextSeq = 1;      // next outbound seq to give in this session
    bool operator==(const StoredSession &o) const
    {
        return sid == o.sid && inboundRx == o.inboundRx && highestAck == o.highestAck && nextSeq == o.nextSeq;
    }
};

// Action: apply these changes atomically, then call handlePersisted(number, ...).
struct PersistBatch {
    quint64 number = 0;                              // 1, 2, 3... per Connection
    std::vector<StoredMessage> put;                  // new rows (or rows replaced whole)
    std::vector<std::pair<quint64, quint64>> seqs;   // (serial, seq) of rows already written
    std::vector<quint64> removed;                    // serials that ended (row may be absent)
    std::optional<StoredSession> session;            // when it changed
    std::optional<QStringList> channels;             // the desired set, when it changed
    QStringList recentIds;                           // ids added to the dedupe window, oldest first
    qsizetype recentIdCapacity = 0;                  // keep at most this many ids (newest)
    bool sync = false;                               // fsync before reporting durable (PowerSafe)
    bool isEmpty() const
    {
        return put.empty() && seqs.empty() && removed.empty() && !session && !channels && recentIds.isEmpty();
    }
};

// What the store read back at start, handed to Connection::restore() before open().
struct Snapshot {
    StoredSession session;
    std::vector<StoredMessage> messages;  // ascending serial
    QStringList channels;
    QStringList recentIds;                // oldest first
    Protocol::CodecKind codec = Protocol::CodecKind::Json;  // codec the payloads were encoded with
    bool rawMode = false;                 // written by a raw-mode client
    bool sameEndpoint = true;             // false: the store's URL set differs: its session is not resumed
};

} // namespace Tether::Engine
