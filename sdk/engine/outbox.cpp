// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "outbox_p.h"

#include <protocol/ascii_p.h>

#include <QtCore/QScopeGuard>
#include <QtCore/QtMath>

#include <algorithm>
#include <cstring>
#include <limits>

namespace Tether::Engine {

namespace {

bool isAsciiId(const QString &id)
{
    for (QChar c : id)
        if (c.unicode() >= 0x80)
            return false;
    return true;
}

Error localError(ErrorCode code, QString message)
{
    return Error::make(ErrorKind::Local, code, std::move(message));
}

} // namespace

Outbox::Outbox(const Options &options, Sink &sink, Journal &journal)
    : m_options(options), m_sink(sink), m_journal(journal)
{
}

std::optional<Error> Outbox::admit(const SendOptions &options, qsizetype bytes)
{
    // A superseded message leaves first: its room counts for the new one.
    if (!options.coalescingKey.isEmpty()) {
        const auto it = m_keyToSerial.constFind(options.coalescingKey);
        if (it != m_keyToSerial.cend()) {
            if (Entry *old = findSerial(*it); old && !old->has(Dead) && !old->has(SentNow) && old->seq == 0)
                finish(*old, Dropped{idOf(*old), DropReason::Superseded});
        }
    }
    if (!makeRoom(bytes))
        return localError(ErrorCode::QueueFull,
                          QStringLiteral("outbox full (%1 messages, %2 bytes)").arg(m_count).arg(m_bytes));
    return std::nullopt;
}

void Outbox::enqueue(TimePoint now, Entry e, const SendOptions &options)
{
    e.serial = m_nextSerial++;
    if (!options.channel.isEmpty())
        e.channel = internChannel(options.channel);
    if (!options.coalescingKey.isEmpty()) {
        e.flags |= HasKey;
        m_keyToSerial.insert(options.coalescingKey, e.serial);
        m_serialToKey.insert(e.serial, options.coalescingKey);
    }
    if (options.ttl.count() > 0)
        m_ttl.push(now, options.ttl, e.serial);
    const Durability durability = options.durability.value_or(m_options.durability);
    if (durability != Durability::Memory) {
        m_journal.engage();
        if (m_journal.active()) {
            const bool powerSafe = durability == Durability::PowerSafe;
            e.flags |= quint16(Journaled | InBatch | (powerSafe ? PowerSafe : 0));
            if (options.ttl.count() > 0)
                m_deadlines.insert(e.serial, now + options.ttl);
            m_journal.put(e.serial, powerSafe);
        }
    }
    m_count += 1;
    m_bytes += e.payloadSize();
    m_entries.push_back(std::move(e));
}

std::optional<Error> Outbox::push(TimePoint now, const QString &id, QByteArrayView encoded,
                                  const SendOptions &options, bool reliable, bool binary)
{
    const auto copy = [](char *at, const void *context) {
        const auto *bytes = static_cast<const QByteArrayView *>(context);
        if (!bytes->isEmpty())
            std::memcpy(at, bytes->data(), size_t(bytes->size()));
    };
    return pushWritten(now, id, encoded.size(), copy, &encoded, options, reliable, binary);
}

std::optional<Error> Outbox::pushWritten(TimePoint now, const QString &id, qsizetype encodedSize,
                                         WritePayload write, const void *context, const SendOptions &options,
                                         bool reliable, bool binary)
{
    // The one allocation of the message, of exactly its size (resize() would round up).
    // An id is usually ASCII (generated ones always are): narrowed straight into it.
    QByteArray blob(id.size() + encodedSize, Qt::Uninitialized);
    const bool ascii = Protocol::Detail::narrowAscii(id, blob.data(),
                                                     Protocol::Detail::AsciiRule::Ascii) == id.size();
    const QByteArray utf8Id = ascii ? QByteArray() : id.toUtf8();
    const qsizetype idSize = ascii ? id.size() : utf8Id.size();
    if (idSize > 0xffff)
        return localError(ErrorCode::InvalidArgument, QStringLiteral("message id too long"));
    if (auto error = admit(options, encodedSize))
        return error;

    Entry e;
    e.blob = std::move(blob);
    if (!ascii) {
        e.blob = QByteArray(idSize + encodedSize, Qt::Uninitialized);
        std::memcpy(e.blob.data(), utf8Id.constData(), size_t(idSize));
    }
    write(e.blob.data() + idSize, context);
    e.idLen = quint16(idSize);
    e.flags = quint16((reliable ? Reliable : 0) | (binary ? Binary : 0) | (ascii ? 0 : Utf8Id));
    enqueue(now, std::move(e), options);
    rememberId(m_nextSerial - 1, id);
    return std::nullopt;
}

std::optional<Error> Outbox::pushShared(TimePoint now, const QString &id, const QByteArray &bytes,
                                        const SendOptions &options, bool reliable, bool binary)
{
    if (id.size() > 0xffff)
        return localError(ErrorCode::InvalidArgument, QStringLiteral("message id too long"));
    if (auto error = admit(options, bytes.size()))
        return error;

    Entry e;
    e.blob = bytes;  // shared with the app: no copy
    e.flags = quint16((reliable ? Reliable : 0) | (binary ? Binary : 0) | Shared);
    m_sharedIds.insert(m_nextSerial, id);
    enqueue(now, std::move(e), options);
    return std::nullopt;
}

bool Outbox::makeRoom(qsizetype extraBytes)
{
    const auto full = [&] {
        return m_count + 1 > m_options.maxQueuedMessages || m_bytes + extraBytes > m_options.maxQueuedBytes;
    };
    if (!full())
        return true;
    if (m_options.overflow != OverflowPolicy::DropOldest || extraBytes > m_options.maxQueuedBytes)
        return false;
    // Oldest first, skipping what is already on the wire in this session (it cannot be
    // unsent without a gap in the seq series).
    for (qsizetype i = 0; i < qsizetype(m_entries.size()) && full(); ++i) {
        Entry &e = m_entries[size_t(i)];
        if (e.has(Dead) || e.seq != 0 || e.has(SentNow))
            continue;
        finish(e, Dropped{idOf(e), DropReason::QueueFull});
    }
    trimFront();
    return !full();
}

QString Outbox::idOf(const Entry &e) const
{
    if (e.has(Shared))
        return m_sharedIds.value(e.serial);
    if (!m_recentIds.empty()) {
        const RecentId &slot = m_recentIds[e.serial & (m_recentIds.size() - 1)];
        if (slot.serial == e.serial)
            return slot.id;
    }
    return e.has(Utf8Id) ? QString::fromUtf8(e.blob.constData(), e.idLen)
                         : QString::fromLatin1(e.blob.constData(), e.idLen);
}

void Outbox::rememberId(quint64 serial, const QString &id)
{
    if (m_recentIds.empty()) {
        // Enough for the whole in-flight window: an ack finds every id it ends.
        // (maxInFlight is already capped at the protocol's 1024: connection.cpp.)
        const qsizetype window = std::clamp<qsizetype>(m_options.maxInFlight, 16, 1024);
        m_recentIds.resize(size_t(qNextPowerOfTwo(quint64(window - 1))));
    }
    RecentId &slot = m_recentIds[serial & (m_recentIds.size() - 1)];
    slot.serial = serial;
    slot.id = id;
}

void Outbox::forgetId(quint64 serial)
{
    if (m_recentIds.empty())
        return;
    RecentId &slot = m_recentIds[serial & (m_recentIds.size() - 1)];
    if (slot.serial == serial) {
        slot.serial = 0;
        slot.id = QString();
    }
}

Outbox::Entry *Outbox::findSerial(quint64 serial)
{
    const auto it = std::lower_bound(m_entries.begin(), m_entries.end(), serial,
                                     [](const Entry &e, quint64 s) { return e.serial < s; });
    return (it != m_entries.end() && it->serial == serial) ? &*it : nullptr;
}

void Outbox::finish(Entry &e, Event outcome)
{
    if (e.has(Dead))
        return;
    if (const auto *dropped = std::get_if<Dropped>(&outcome))
        ++m_sink.stats.dropped[size_t(dropped->reason)];
    m_sink.post(std::move(outcome));
    forgetId(e.serial);
    if (e.has(SentNow) && e.has(Reliable))
        --m_inFlight;
    releaseKey(e);
    if (e.channel)
        releaseChannel(e.channel);
    e.channel = 0;
    m_count -= 1;
    m_bytes -= e.payloadSize();
    e.flags = quint16((e.flags | Dead) & ~SentNow);
    e.blob = QByteArray();
    if (e.has(Shared))
        m_sharedIds.remove(e.serial);
    if (e.has(Journaled)) {
        // A put still pending cancels out: takeStored() finds the entry dead.
        if (!e.has(InBatch))
            m_journal.removed(e.serial);
        m_deadlines.remove(e.serial);
    }
    ++m_dead;
}

void Outbox::releaseKey(Entry &e)
{
    if (!e.has(HasKey))
        return;
    e.flags &= quint16(~HasKey);
    const auto it = m_serialToKey.find(e.serial);
    if (it == m_serialToKey.end())
        return;
    const auto keyIt = m_keyToSerial.find(*it);
    if (keyIt != m_keyToSerial.end() && *keyIt == e.serial)
        m_keyToSerial.erase(keyIt);
    m_serialToKey.erase(it);
}

void Outbox::popFront()
{
    Entry &e = m_entries.front();
    if (e.has(Dead))
        --m_dead;
    m_entries.pop_front();
    if (m_cursor > 0)
        --m_cursor;
}

void Outbox::trimFront()
{
    while (!m_entries.empty() && m_entries.front().has(Dead))
        popFront();
    maybeCompact();
}

void Outbox::maybeCompact()
{
    if (m_dead < 1024 || m_dead < m_count)
        return;
    qsizetype newCursor = 0;
    for (qsizetype i = 0; i < m_cursor; ++i)
        if (!m_entries[size_t(i)].has(Dead))
            ++newCursor;
    m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(),
                                   [](const Entry &e) { return e.has(Dead); }),
                    m_entries.end());
    m_cursor = newCursor;
    m_dead = 0;
}

std::optional<SendFrame> Outbox::takeNext(const Protocol::Codec *codec, std::optional<quint64> maxFrame,
                                          QByteArray *reuse)
{
    SendFrame frame;
    if (reuse) {
        frame.bytes.swap(*reuse);
        frame.bytes.truncate(0);
    }
    const Taken taken = takeNextInto(codec, maxFrame, frame.bytes, {}, std::numeric_limits<qsizetype>::max());
    if (!taken.any) {
        if (reuse)
            reuse->swap(frame.bytes);
        return std::nullopt;
    }
    frame.binary = taken.binary;
    return frame;
}

Outbox::Taken Outbox::takeNextInto(const Protocol::Codec *codec, std::optional<quint64> maxFrame,
                                   QByteArray &batch, QByteArrayView separator, qsizetype bound,
                                   QByteArray *reuse)
{
    while (m_cursor < qsizetype(m_entries.size())) {
        Entry &e = m_entries[size_t(m_cursor)];
        if (e.has(Dead) || (e.seq != 0 && e.seq <= m_coverRx)) {
            ++m_cursor;  // ended, or covered by welcome.rx: not sent again
            continue;
        }
        const bool reliable = e.has(Reliable);
        if (reliable && m_inFlight >= m_options.maxInFlight)
            return {};

        const QByteArrayView payload(e.blob.constData() + e.idLen, e.payloadSize());
        // Into the batch, unless its payload and id alone already overflow it.
        const bool intoBatch = batch.isEmpty()
                               || batch.size() + separator.size() + payload.size() + e.idLen <= bound;
        SendFrame own;
        if (!intoBatch && reuse) {
            own.bytes.swap(*reuse);
            own.bytes.truncate(0);
        }
        // A frame that ends up not built apart gives the buffer back.
        const auto giveBack = qScopeGuard([&] {
            if (reuse && reuse->isNull() && !own.bytes.isNull())
                reuse->swap(own.bytes);
        });
        QByteArray &out = intoBatch ? batch : own.bytes;
        const qsizetype restore = out.size();
        if (!out.isEmpty())
            out.append(separator);
        const qsizetype frameStart = out.size();
        if (!codec) {
            if (out.isEmpty() && e.has(Shared))
                out = e.blob;  // raw mode: the frame is the app's buffer, not a copy
            else
                out.append(payload);
        } else {
            // The stored id bytes as they are: ASCII or (Utf8Id) from QString::toUtf8(), so
            // valid UTF-8 either way, which the codec may copy unchecked (MsgHeader).
            QString sharedId;
            QAnyStringView id;
            if (e.has(Shared)) {
                sharedId = idOf(e);
                id = sharedId;
            } else {
                id = QUtf8StringView(e.blob.constData(), e.idLen);
            }
            Protocol::MsgHeader header;
            if (reliable)
                header.seq = e.seq != 0 ? e.seq : m_nextSeq;
            header.id = id;
            if (e.channel)
                header.ch = m_channels[e.channel].name;
            if (e.has(Shared)) {
                // Connection::sendShared() only shares with a codec that carries bytes.
                const bool encoded = codec->encodeMsgBytes(header, payload, out);
                Q_ASSERT(encoded);
                Q_UNUSED(encoded);
            } else {
                if (out.isEmpty())  // a batch grows geometrically by itself
                    out.reserve(payload.size() + e.idLen + 64);
                codec->encodeMsg(header, payload, out);
            }
            const qsizetype frameSize = out.size() - frameStart;
            if (maxFrame && quint64(frameSize) > *maxFrame && e.seq == 0) {
                // Never on the wire: refuse it locally, keep the connection.
                out.truncate(restore);
                finish(e, Rejected{idOf(e), Error::make(ErrorKind::Local, ErrorCode::FrameTooLarge,
                                   QStringLiteral("frame of %1 bytes exceeds the server's maxFrame %2")
                                       .arg(frameSize).arg(*maxFrame))});
                ++m_cursor;
                continue;
            }
        }
        Taken taken;
        taken.any = true;
        taken.binary = codec ? codec->usesBinaryFrames() : e.has(Binary);
        if (!intoBatch) {
            taken.apart = std::move(own);
        } else if (restore != 0 && batch.size() > bound) {
            // Its envelope tipped the batch over: it leaves on its own, next.
            taken.apart = SendFrame{batch.mid(frameStart), false};
            batch.truncate(restore);
        }
        if (taken.apart)
            taken.apart->binary = taken.binary;

        ++m_sink.stats.sent;
        ++m_cursor;
        if (reliable) {
            if (e.seq == 0) {
                e.seq = m_nextSeq++;
                journalSeq(e);
                m_journal.sessionChanged();
            }
            m_highestSent = std::max(m_highestSent, e.seq);
            if (e.has(EverSent))
                ++m_sink.stats.retransmitted;
            e.flags |= SentNow | EverSent;
            ++m_inFlight;
            releaseKey(e);  // on the wire: a newer message with its key no longer replaces it
            if (m_options.progressEvents)
                m_sink.post(MessageStatusChanged{idOf(e), MessageStatus::Written});
        } else {
            finish(e, Sent{idOf(e)});
            trimFront();
        }
        return taken;
    }
    return {};
}

QString Outbox::ack(quint64 seq)
{
    if (seq > m_highestSent)
        return QStringLiteral("ack for seq %1 never sent (highest sent %2)").arg(seq).arg(m_highestSent);
    if (seq <= m_highestAck)
        return {};
    m_highestAck = seq;
    m_journal.sessionChanged();
    while (!m_entries.empty()) {
        Entry &e = m_entries.front();
        if (!e.has(Dead)) {
            if (e.seq == 0 || e.seq > seq)
                break;
            ++m_sink.stats.acked;
            finish(e, Delivered{idOf(e)});
        }
        popFront();
    }
    maybeCompact();
    return {};
}

QString Outbox::nack(quint64 seq, const Error &error)
{
    if (seq == 0 || seq > m_highestSent)
        return QStringLiteral("nack for seq %1 never sent (highest sent %2)").arg(seq).arg(m_highestSent);
    if (seq <= m_highestAck)
        return {};  // already settled by an ack (a server sends nacks first): stale
    for (Entry &e : m_entries) {
        if (e.seq == seq && !e.has(Dead)) {
            ++m_sink.stats.rejected;
            finish(e, Rejected{idOf(e), error});
            break;
        }
        if (e.seq > seq)
            break;
    }
    trimFront();
    return {};
}

void Outbox::connectionLost()
{
    for (qsizetype i = 0; i < m_cursor && i < qsizetype(m_entries.size()); ++i) {
        Entry &e = m_entries[size_t(i)];
        if (e.has(SentNow) && !e.has(Dead) && m_options.progressEvents)
            m_sink.post(MessageStatusChanged{idOf(e), MessageStatus::Queued});  // sent again later
        e.flags &= quint16(~SentNow);
    }
    m_cursor = 0;
    m_inFlight = 0;
}

void Outbox::cover(quint64 rx)
{
    m_coverRx = rx;
}

void Outbox::skipTo(quint64 rx)
{
    if (rx <= m_highestSent)
        return;
    m_highestSent = rx;
    m_nextSeq = std::max(m_nextSeq, rx + 1);
    m_journal.sessionChanged();
}

void Outbox::settle()
{
    if (m_coverRx > m_highestAck) {
        const QString error = ack(m_coverRx);
        Q_UNUSED(error);  // resume() validated the bound
    }
    m_coverRx = 0;
}

void Outbox::newSession()
{
    // TTLs that ran out while their message was on the wire end now, before renumbering:
    // the message leaves the series before it gets a new seq, so no gap can appear.
    for (Entry &e : m_entries)
        if (e.has(TtlPassed) && !e.has(Dead))
            finish(e, Dropped{idOf(e), DropReason::Expired});
    for (Entry &e : m_entries) {
        if (e.seq != 0 && !e.has(Dead)) {
            e.seq = 0;
            journalSeq(e);
        }
        e.seq = 0;
        e.flags &= quint16(~SentNow);
    }
    m_journal.sessionChanged();
    m_entries.erase(std::remove_if(m_entries.begin(), m_entries.end(),
                                   [](const Entry &e) { return e.has(Dead); }),
                    m_entries.end());
    m_dead = 0;
    m_cursor = 0;
    m_inFlight = 0;
    m_nextSeq = 1;
    m_highestSent = 0;
    m_highestAck = 0;
    m_coverRx = 0;
}

void Outbox::closeAll(bool keep)
{
    if (!keep) {
        for (Entry &e : m_entries)
            if (!e.has(Dead))
                finish(e, Dropped{idOf(e), DropReason::Closed});
        m_entries.clear();
        m_ttl.clear();
        m_deadlines.clear();
        m_dead = 0;
        m_cursor = 0;
        m_inFlight = 0;
    }
}

void Outbox::expireDue(TimePoint now)
{
    m_ttl.popDue(now, [this](quint64 serial) {
        Entry *e = findSerial(serial);
        if (!e || e->has(Dead))
            return;
        if (e->seq == 0 && !e->has(SentNow)) {
            finish(*e, Dropped{idOf(*e), DropReason::Expired});
            return;
        }
        // Written in this session: the server may have it, and its seq must stay gapless.
        // It waits for its ack/nack like any other; only a new session can still expire it.
        e->flags |= TtlPassed;
    });
    trimFront();
}

std::optional<StoredMessage> Outbox::takeStored(quint64 serial)
{
    Entry *e = findSerial(serial);
    if (!e || e->has(Dead) || !e->has(InBatch))
        return std::nullopt;
    e->flags &= quint16(~InBatch);
    StoredMessage m;
    m.serial = e->serial;
    m.id = idOf(*e);
    if (e->channel)
        m.channel = m_channels[e->channel].name;
    if (e->has(HasKey))
        m.coalescingKey = m_serialToKey.value(e->serial);
    // The bytes encoded at send() time: no codec work here. A shared payload stays shared.
    m.payload = e->has(Shared) ? e->blob : e->blob.sliced(e->idLen);
    m.seq = e->seq;
    if (const auto it = m_deadlines.constFind(e->serial); it != m_deadlines.cend())
        m.deadline = *it;
    m.flags = quint16((e->has(Reliable) ? StoredMessage::Reliable : 0) | (e->has(Binary) ? StoredMessage::Binary : 0)
                      | (e->has(Shared) ? StoredMessage::Shared : 0) | (e->has(EverSent) ? StoredMessage::EverSent : 0)
                      | (e->has(TtlPassed) ? StoredMessage::TtlPassed : 0));
    m.durability = e->has(PowerSafe) ? Durability::PowerSafe : Durability::CrashSafe;
    return m;
}

std::optional<QString> Outbox::liveId(quint64 serial) const
{
    const auto it = std::lower_bound(m_entries.begin(), m_entries.end(), serial,
                                     [](const Entry &e, quint64 s) { return e.serial < s; });
    if (it == m_entries.end() || it->serial != serial || it->has(Dead))
        return std::nullopt;
    return idOf(*it);
}

void Outbox::restoreEntry(TimePoint now, const StoredMessage &m, const QByteArray &payload, bool shared,
                          bool binary)
{
    Entry e;
    const bool ascii = isAsciiId(m.id);
    if (shared) {
        e.blob = payload;
        m_sharedIds.insert(m.serial, m.id);
    } else {
        const QByteArray idBytes = ascii ? m.id.toLatin1() : m.id.toUtf8();
        e.blob.reserve(idBytes.size() + payload.size());
        e.blob.append(idBytes);
        e.blob.append(payload);
        e.idLen = quint16(std::min<qsizetype>(idBytes.size(), 0xffff));
    }
    e.serial = m.serial;
    e.seq = m.has(StoredMessage::Reliable) ? m.seq : 0;
    e.flags = quint16((m.has(StoredMessage::Reliable) ? Reliable : 0) | (binary ? Binary : 0)
                      | (shared ? Shared : (ascii ? 0 : Utf8Id)) | Journaled
                      | (m.durability == Durability::PowerSafe ? PowerSafe : 0)
                      | (m.has(StoredMessage::EverSent) || e.seq != 0 ? EverSent : 0)
                      | (m.has(StoredMessage::TtlPassed) && e.seq != 0 ? TtlPassed : 0));
    if (!m.channel.isEmpty())
        e.channel = internChannel(m.channel);
    if (!m.coalescingKey.isEmpty() && e.seq == 0) {
        e.flags |= HasKey;
        m_keyToSerial.insert(m.coalescingKey, e.serial);
        m_serialToKey.insert(e.serial, m.coalescingKey);
    }
    if (m.deadline) {
        m_deadlines.insert(e.serial, *m.deadline);
        // The queue counts in whole milliseconds from `now`: round up, never early.
        const auto left = std::max(*m.deadline - now, TimePoint::duration::zero());
        m_ttl.push(now, std::chrono::ceil<Duration>(left), e.serial);
    }
    m_nextSerial = std::max(m_nextSerial, m.serial + 1);
    m_count += 1;
    m_bytes += e.payloadSize();
    m_entries.push_back(std::move(e));
}

void Outbox::rejournal(quint64 serial)
{
    Entry *e = findSerial(serial);
    if (!e || e->has(Dead) || e->has(InBatch) || !m_journal.active())
        return;
    e->flags |= InBatch;
    m_journal.put(serial, e->has(PowerSafe));
}

void Outbox::restoreNumbering(quint64 nextSeq, quint64 highestAck)
{
    quint64 highest = 0;
    for (const Entry &e : m_entries)
        highest = std::max(highest, e.seq);
    m_nextSeq = std::max({nextSeq, highest + 1, highestAck + 1, quint64(1)});
    // Everything numbered below nextSeq was handed out, so an ack or a welcome.rx up to it
    // is not "for a seq never sent".
    m_highestSent = m_nextSeq - 1;
    m_highestAck = std::min(highestAck, m_highestSent);
}

std::vector<Outbox::Queued> Outbox::queued() const
{
    std::vector<Queued> out;
    out.reserve(size_t(m_count));
    for (const Entry &e : m_entries) {
        if (e.has(Dead))
            continue;
        Queued q;
        q.id = idOf(e);
        if (e.channel)
            q.channel = m_channels[e.channel].name;
        q.payload = e.has(Shared) ? e.blob : e.blob.sliced(e.idLen);
        q.shared = e.has(Shared);
        q.binary = e.has(Binary);
        out.push_back(std::move(q));
    }
    return out;
}

quint32 Outbox::internChannel(const QString &channel)
{
    const auto it = m_channelIndex.constFind(channel);
    if (it != m_channelIndex.cend()) {
        ++m_channels[*it].refs;
        return *it;
    }
    quint32 index;
    if (!m_freeChannels.empty()) {
        index = m_freeChannels.back();
        m_freeChannels.pop_back();
        m_channels[index] = ChannelName{channel, 1};
    } else {
        index = quint32(m_channels.size());
        m_channels.push_back(ChannelName{channel, 1});
    }
    m_channelIndex.insert(channel, index);
    return index;
}

void Outbox::releaseChannel(quint32 index)
{
    ChannelName &c = m_channels[index];
    if (--c.refs > 0)
        return;
    m_channelIndex.remove(c.name);
    c.name = QString();
    m_freeChannels.push_back(index);
}

} // namespace Tether::Engine
