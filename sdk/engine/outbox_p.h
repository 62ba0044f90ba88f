// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the outbox (offline queue + reliable send window). Not public API.
//
// Rules (docs/protocol.md §4, issue 4):
// - A reliable message has an `id` (stable for its life) and, once transmitted in a
//   session, a `seq`: 1, 2, 3... in outbox order, no gaps, no reuse. At most maxInFlight
//   reliable messages are unacknowledged on the current connection; the rest wait.
// - Bounded by count AND payload bytes. When full: RejectNew fails send(); DropOldest
//   drops the oldest message not yet sent in this session (dropped QueueFull).
// - Coalescing key K: a new message with K replaces the queued, not-yet-sent message with
//   K (dropped Superseded); the new one joins the end of the queue.
// - TTL: a message expires (dropped Expired) only while it has not been transmitted in the
//   current session (it has no seq). Once written it is on the wire: the server may already
//   have it and its seq must stay gapless, so when its TTL runs out it is only marked
//   (TtlPassed) and waits for its ack/nack like any other message (Delivered/Rejected, and
//   retransmitted on a resumed session). Only a new session (welcome.resumed=false, or
//   close(keepOutbox) before the next open()) drops the marked messages Expired, BEFORE the
//   rest is renumbered, so no gap appears. Such a message may have reached the server in the
//   lost session; Expired then means "its TTL ran out unacknowledged and it is never sent
//   again". Every reported outcome is final: nothing is reported twice or sent after it.
// - Every message ends in exactly one of Delivered (ack), Rejected (nack, or a frame too
//   large for the server), Dropped (QueueFull/Superseded/Expired/Closed), or, for an
//   at-most-once message, Sent (handed to the transport once).
// - Progress (MessageStatusChanged, reliable messages only): Written each time a frame of
//   it is handed to the transport, Queued when its connection is lost before the ack (it
//   waits to be sent again). Never after its outcome.
// - ack{seq} covers every seq <= it; an ack or nack for a seq never sent is a protocol
//   error (reported by the caller). Stale (lower) acks are ignored.
// - Sessions: WHEN a session resumes, is new or ends is decided in session_p.h (its rules);
//   the outbox only does the numbering it is told: cover(rx) marks seqs <= rx handled
//   (not retransmitted, reported Delivered at settle() unless a repeated nack came first),
//   newSession() renumbers every remaining message from 1 in its original order, ids
//   unchanged, skipTo(rx) moves the numbering above seqs the server has and we forgot.
// - Persistence (persist.h): a message whose durability is not Memory is journaled
//   (Journal): its put when queued, its seq when it gets one after its row was written, its
//   removal when it ends. Nothing of the kind happens for Memory messages.
//
// Theory of operation: one deque in send order. Entries before `m_cursor` were dealt with
// on the current connection (sent, or skipped because dead/covered); transmission is lazy:
// takeNext() builds the next frame when the caller polls, by re-wrapping the payload bytes
// encoded once at send() time (Codec::encodeMsg). Removal from the middle (nack,
// coalescing, expiry) leaves a dead entry, popped when it reaches the front or compacted
// when dead entries outnumber live ones. An entry is ~48 bytes plus one allocation holding
// its id and encoded payload: the memory overhead per queued message stays under 128 bytes.
// A large byte payload (pushShared(), from kShareBytesFrom bytes) is not copied at all:
// the entry keeps the app's implicitly shared QByteArray and its id moves to a side table,
// so the payload is copied once per transmission, into the frame (raw mode: not at all).
#pragma once

#include "journal_p.h"
#include "options.h"
#include "sink_p.h"
#include "timers_p.h"

#include <protocol/codec.h>

#include <QtCore/QHash>

#include <deque>
#include <vector>

namespace Tether::Engine {

class Outbox {
public:
    Outbox(const Options &options, Sink &sink, Journal &journal);

    // Queues a message whose payload is already encoded (`encoded`: codec bytes, or raw
    // frame bytes). Fails with QueueFull when over a bound and the policy cannot make room.
    std::optional<Error> push(TimePoint now, const QString &id, QByteArrayView encoded,
                              const SendOptions &options, bool reliable, bool binary);
    // As push(), the encoded payload (`encodedSize` bytes) written by `write(at, context)`
    // straight into the entry's allocation: no scratch buffer and no copy of it.
    using WritePayload = void (*)(char *at, const void *context);
    std::optional<Error> pushWritten(TimePoint now, const QString &id, qsizetype encodedSize, WritePayload write,
                                     const void *context, const SendOptions &options, bool reliable, bool binary);
    // Queues a byte-string payload (raw mode: the frame's bytes) without copying it: the
    // entry shares the app's QByteArray and the codec writes it into each frame
    // (Codec::encodeMsgBytes). Worth a side-table entry from kShareBytesFrom bytes on.
    std::optional<Error> pushShared(TimePoint now, const QString &id, const QByteArray &bytes,
                                    const SendOptions &options, bool reliable, bool binary);
    static constexpr qsizetype kShareBytesFrom = 1024;

    // The next frame to transmit on the current connection, or nullopt when nothing may be
    // sent now (empty, or the in-flight window is full). `codec` is null in raw mode.
    // `reuse`, when given, is a buffer to build the frame in (its capacity kept); it stays
    // with the caller when nothing is taken.
    std::optional<SendFrame> takeNext(const Protocol::Codec *codec, std::optional<quint64> maxFrame,
                                      QByteArray *reuse = nullptr);
    // v1.1 batches (docs/protocol.md §10.2): as takeNext(), but the frame is written straight
    // into `batch` (after `separator`) when the batch then stays within `bound` bytes, so a
    // small frame costs no buffer of its own. A frame taken that does not fit is returned in
    // `apart` instead (the caller sends it next); one that certainly cannot fit (its payload
    // and id alone) is built apart from the start rather than copied twice.
    struct Taken {
        bool any = false;                // a frame was taken
        bool binary = false;             // ...to go in a binary WebSocket message
        std::optional<SendFrame> apart;  // ...and did not fit in the batch
    };
    // `reuse`, when given, is the buffer a frame built apart starts from (it stays with the
    // caller when no frame is built apart).
    Taken takeNextInto(const Protocol::Codec *codec, std::optional<quint64> maxFrame, QByteArray &batch,
                       QByteArrayView separator, qsizetype bound, QByteArray *reuse = nullptr);

    // Inbound control frames. Return an error message for a protocol violation, else empty.
    QString ack(quint64 seq);
    QString nack(quint64 seq, const Error &error);

    // Connection lifecycle (the session rules that call these: session_p.h).
    void connectionLost();                    // everything unacked is sent again on the next connection
    void cover(quint64 rx);                   // resumed: seqs <= rx are handled by the server
    void skipTo(quint64 rx);                  // the server has seqs up to rx we never knew: continue above
    void settle();                            // resolve the seqs cover() covered
    void newSession();                        // renumber from 1, keep ids and order
    void closeAll(bool keep);                 // close(): drop everything (Closed) or keep for open()

    // Persistence (persist.h). The row of a journaled message as it is now, its put taken
    // out of the pending batch (later seq changes go to PersistBatch::seqs); nullopt when
    // it ended meanwhile (the put cancels out).
    std::optional<StoredMessage> takeStored(quint64 serial);
    // The id of a live message, or nullopt when it ended (Persisted comes only before the end).
    std::optional<QString> liveId(quint64 serial) const;
    // Rebuilds a stored message (restore()): payload already in the current codec;
    // `ttlDue` past = the usual Expired rule at the next expireDue().
    void restoreEntry(TimePoint now, const StoredMessage &m, const QByteArray &payload, bool shared,
                      bool binary);
    // A restored row whose stored bytes are stale (transcoded): put again whole.
    void rejournal(quint64 serial);
    // Numbering of a restored session: seqs above every restored one.
    void restoreNumbering(quint64 nextSeq, quint64 highestAck);
    // The live messages in order (for the app's view of a restored queue).
    struct Queued {
        QString id;
        QString channel;
        QByteArray payload;   // encoded with the current codec (raw: the frame bytes)
        bool shared = false;  // payload is the app's byte string, not codec bytes
        bool binary = false;
    };
    std::vector<Queued> queued() const;

    // Timers.
    void expireDue(TimePoint now);
    std::optional<TimePoint> nextExpiry() const { return m_ttl.earliest(); }

    qsizetype count() const { return m_count; }
    qsizetype bytes() const { return m_bytes; }
    qsizetype inFlight() const { return m_inFlight; }
    quint64 highestAck() const { return m_highestAck; }     // hello.ak
    quint64 highestSent() const { return m_highestSent; }
    quint64 nextSeq() const { return m_nextSeq; }
    bool settling() const { return m_coverRx > m_highestAck; }

private:
    enum Flag : quint16 {
        Reliable = 1,
        Dead = 2,       // ended and reported; awaiting removal
        TtlPassed = 4,  // TTL ran out while on the wire: dropped Expired at the next new session
        HasKey = 8,
        SentNow = 16,   // transmitted on the current connection
        EverSent = 32,  // transmitted at least once (a later send is a retransmission)
        Binary = 64,    // raw mode: binary frame
        Utf8Id = 128,   // id not Latin-1-safe ASCII: stored as UTF-8
        Shared = 256,   // blob: the app's byte payload, shared, not encoded (idLen 0; id in m_sharedIds)
        Journaled = 512,  // durability not Memory: its changes go to the Journal
        InBatch = 1024,   // its put is in the pending batch (not written yet)
        PowerSafe = 2048, // Durability::PowerSafe (else CrashSafe) when Journaled
    };
    struct Entry {
        QByteArray blob;    // id bytes, then the encoded payload
        quint64 serial = 0; // increasing in deque order: TTL and key lookups find entries by it
        quint64 seq = 0;    // 0 = no seq in the current session
        quint32 channel = 0;
        quint16 idLen = 0;
        quint16 flags = 0;
        bool has(Flag f) const { return flags & f; }
        qsizetype payloadSize() const { return blob.size() - idLen; }
    };

    QString idOf(const Entry &e) const;
    // The app's id strings of the newest messages, in a ring by serial: their outcome
    // events hand out the string send() returned instead of building one from the stored
    // bytes (an allocation and a conversion per message: ~7 % of a 64-byte message's
    // cost). Bounded, so the memory per queued message stays as it is; the id of a message
    // older than the ring is rebuilt. Serials are never reused: a stale slot never matches.
    struct RecentId {
        quint64 serial = 0;  // 0 = empty (serials start at 1)
        QString id;
    };
    void rememberId(quint64 serial, const QString &id);
    void forgetId(quint64 serial);
    Entry *findSerial(quint64 serial);
    // Coalescing and room for a new message of `bytes`; an error when it cannot be queued.
    std::optional<Error> admit(const SendOptions &options, qsizetype bytes);
    void enqueue(TimePoint now, Entry e, const SendOptions &options);
    void journalSeq(const Entry &e)
    {
        if (e.has(Journaled) && !e.has(InBatch))
            m_journal.seq(e.serial, e.seq);
    }
    bool makeRoom(qsizetype extraBytes);
    // Ends a live entry: emits `outcome` (unless already reported) and marks it dead.
    void finish(Entry &e, Event outcome);
    void releaseKey(Entry &e);
    void popFront();
    void trimFront();
    void maybeCompact();
    quint32 internChannel(const QString &channel);
    void releaseChannel(quint32 index);

    const Options &m_options;
    Sink &m_sink;
    Journal &m_journal;
    std::deque<Entry> m_entries;
    qsizetype m_cursor = 0;
    qsizetype m_count = 0;     // live entries (incl. zombies)
    qsizetype m_bytes = 0;     // their payload bytes
    qsizetype m_dead = 0;
    qsizetype m_inFlight = 0;
    quint64 m_nextSerial = 1;
    quint64 m_nextSeq = 1;
    quint64 m_highestSent = 0;
    quint64 m_highestAck = 0;
    quint64 m_coverRx = 0;
    DeadlineQueue<quint64> m_ttl;
    QHash<QString, quint64> m_keyToSerial;
    QHash<quint64, QString> m_serialToKey;
    QHash<quint64, QString> m_sharedIds;  // ids of Shared entries, by serial
    std::vector<RecentId> m_recentIds;    // a power of two >= maxInFlight slots, made on the first push
    QHash<quint64, TimePoint> m_deadlines; // TTL deadlines of Journaled entries (the store keeps them)
    struct ChannelName {
        QString name;
        quint32 refs = 0;
    };
    std::vector<ChannelName> m_channels{ChannelName{}};  // index 0 = no channel
    QHash<QString, quint32> m_channelIndex;
    std::vector<quint32> m_freeChannels;
};

} // namespace Tether::Engine
