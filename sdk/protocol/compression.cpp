// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (compression.h): zlib used directly, not qCompress/qUncompress,
// because the stream must outlive a message (context takeover), because qUncompress trusts
// the claimed size and then doubles its buffer for as long as the stream keeps producing
// output (a compression bomb is an allocation of up to 2 GiB), and because it warns on
// stderr about corrupt input, which a peer controls.
//
// Both halves count what zlib allocates (its zalloc hook) so the memory per connection
// that docs/protocol.md §10.5 states is measured, not estimated.
#include "compression.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>

namespace Tether::Protocol {

namespace {

// What a sync flush ends with (an empty stored block), left out on the wire.
constexpr char kFlushTail[4] = {0, 0, char(0xff), char(0xff)};

voidpf countedAlloc(voidpf opaque, uInt items, uInt size)
{
    void *p = std::calloc(items, size);
    if (p)
        *static_cast<qsizetype *>(opaque) += qsizetype(items) * qsizetype(size);
    return p;
}

void countedFree(voidpf, voidpf p) { std::free(p); }

Bytef *bytes(const char *p) { return reinterpret_cast<Bytef *>(const_cast<char *>(p)); }

InflatedBatch malformed(const QString &why)
{
    InflatedBatch result;
    result.error = QStringLiteral("compressed batch: ") + why;
    return result;
}

} // namespace

struct BatchDeflater::State {
    z_stream stream{};
    qsizetype allocated = 0;
    bool ready = false;   // false: never started, or failed (every batch then leaves plain)
};

BatchDeflater::BatchDeflater(int level, int windowBits, int memLevel) : d(std::make_unique<State>())
{
    d->stream.zalloc = countedAlloc;
    d->stream.zfree = countedFree;
    d->stream.opaque = &d->allocated;
    d->ready = deflateInit2(&d->stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY) == Z_OK;
}

BatchDeflater::~BatchDeflater()
{
    deflateEnd(&d->stream);   // safe on a stream whose init failed (Z_STREAM_ERROR)
}

qsizetype BatchDeflater::memoryBytes() const { return d->allocated; }

QByteArray BatchDeflater::compress(QByteArrayView batch)
{
    if (!d->ready || batch.isEmpty() || quint64(batch.size()) > 0xffffffffu)
        return {};
    z_stream *s = &d->stream;
    // deflateBound() covers one Z_FINISH call; a sync flush adds at most its empty stored
    // block and the bits pending before it. The loop below grows the buffer if ever not.
    QByteArray out(kCompressedHeaderSize + qsizetype(deflateBound(s, uLong(batch.size()))) + 16, Qt::Uninitialized);
    const quint32 n = quint32(batch.size());
    out[0] = kCompressedMarker;
    out[1] = char(n >> 24);
    out[2] = char(n >> 16);
    out[3] = char(n >> 8);
    out[4] = char(n);
    s->next_in = bytes(batch.data());
    s->avail_in = uInt(batch.size());
    qsizetype used = kCompressedHeaderSize;
    for (;;) {
        s->next_out = bytes(out.data() + used);
        s->avail_out = uInt(out.size() - used);
        const int rc = deflate(s, Z_SYNC_FLUSH);
        used = out.size() - qsizetype(s->avail_out);
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            d->ready = false;
            return {};
        }
        if (s->avail_out > 0 && s->avail_in == 0)
            break;   // all taken and flushed (deflate() leaves room when it is done)
        out.resize(out.size() * 2);
    }
    // A sync flush always ends with 00 00 FF FF; the receiver puts it back.
    if (used < kCompressedHeaderSize + 4 || QByteArrayView(out.data() + used - 4, 4) != QByteArrayView(kFlushTail, 4)) {
        d->ready = false;
        return {};
    }
    out.truncate(used - 4);
    return out;
}

struct BatchInflater::State {
    z_stream stream{};
    qsizetype allocated = 0;
    bool ready = false;
    bool broken = false;   // an earlier message was malformed: the stream is lost
};

BatchInflater::BatchInflater() : d(std::make_unique<State>())
{
    d->stream.zalloc = countedAlloc;
    d->stream.zfree = countedFree;
    d->stream.opaque = &d->allocated;
    // windowBits 0: the window the sender's zlib header declares (at most 32 KiB), so a
    // sender with a small window costs its receiver a small one.
    d->ready = inflateInit2(&d->stream, 0) == Z_OK;
}

BatchInflater::~BatchInflater()
{
    inflateEnd(&d->stream);
}

qsizetype BatchInflater::memoryBytes() const { return d->allocated; }

InflatedBatch BatchInflater::inflate(QByteArrayView message, qsizetype limit)
{
    // Any malformed message loses the stream (the connection closes on it anyway); one
    // over the limit is refused before the stream sees it.
    const auto fail = [this](const QString &why) {
        d->broken = true;
        return malformed(why);
    };
    if (message.size() < kCompressedHeaderSize || message.front() != kCompressedMarker)
        return fail(QStringLiteral("shorter than its 5-byte header"));
    const auto byte = [&](int i) { return quint32(quint8(message[i])); };
    const quint32 claimed = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
    if (claimed == 0)
        return fail(QStringLiteral("a length of 0"));
    if (qint64(claimed) > qint64(limit)) {
        InflatedBatch result;
        result.error = QStringLiteral("compressed batch: inflates to %1 bytes, over the limit of %2")
                           .arg(claimed)
                           .arg(limit);
        result.tooLarge = true;
        return result;
    }
    if (!d->ready)
        return fail(QStringLiteral("zlib could not start"));
    if (d->broken)
        return malformed(QStringLiteral("the connection's stream was lost at an earlier message"));
    z_stream *s = &d->stream;
    // The message, then the flush tail the sender left out.
    const QByteArrayView pieces[2] = {message.sliced(kCompressedHeaderSize), QByteArrayView(kFlushTail, 4)};
    int nextPiece = 0;
    s->avail_in = 0;

    // The buffer grows with the output (doubling, never past `claimed`); once it holds
    // `claimed` bytes, a one-byte probe catches a message that would go on.
    const qsizetype want = qsizetype(claimed);
    QByteArray out(std::min(want, std::max<qsizetype>(4096, message.size() * 4)), Qt::Uninitialized);
    qsizetype produced = 0;
    char probe = 0;
    bool probing = false;
    for (;;) {
        if (s->avail_in == 0) {
            if (nextPiece == 2)
                break;   // all of it read
            s->next_in = bytes(pieces[nextPiece].data());
            s->avail_in = uInt(pieces[nextPiece].size());
            ++nextPiece;
            continue;
        }
        if (probing) {
            s->next_out = reinterpret_cast<Bytef *>(&probe);
            s->avail_out = 1;
        } else {
            s->next_out = bytes(out.data() + produced);
            s->avail_out = uInt(out.size() - produced);
        }
        const uInt inBefore = s->avail_in;
        const qsizetype producedBefore = produced;
        const int rc = ::inflate(s, Z_SYNC_FLUSH);
        if (probing && s->avail_out == 0)
            return fail(QStringLiteral("inflates to more than the %1 bytes its header says").arg(claimed));
        if (!probing)
            produced = out.size() - qsizetype(s->avail_out);
        if (rc == Z_STREAM_END)
            return fail(QStringLiteral("its deflate stream ends (a connection's stream never does)"));
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return fail(s->msg ? QStringLiteral("invalid deflate data (%1)").arg(QLatin1StringView(s->msg))
                               : QStringLiteral("invalid deflate data"));
        if (!probing && produced == out.size()) {
            if (out.size() == want)
                probing = true;
            else
                out.resize(std::min(want, out.size() * 2));
            continue;
        }
        if (s->avail_in == inBefore && produced == producedBefore && s->avail_in != 0)
            return fail(QStringLiteral("invalid deflate data"));
    }
    // data_type 128: inflate stopped between two blocks, where the flush tail leaves it.
    if ((s->data_type & 128) == 0)
        return fail(QStringLiteral("cut short (it does not end on a flush point)"));
    if (produced != want)
        return fail(QStringLiteral("inflates to %1 bytes, not the %2 its header says").arg(produced).arg(claimed));
    out.truncate(produced);
    InflatedBatch result;
    result.batch = std::move(out);
    return result;
}

} // namespace Tether::Protocol
