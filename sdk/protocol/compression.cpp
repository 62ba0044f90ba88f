// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Compressed v1.1 batches (compression.h): zlib used directly, not qCompress/qUncompress,
// because qUncompress trusts the claimed size and then doubles its buffer for as long as
// the stream keeps producing output (a compression bomb is an allocation of up to 2 GiB),
// and it warns on stderr about corrupt input, which a peer controls.
//
// Each thread keeps one deflate and one inflate stream and resets them per message: a
// deflate stream is ~256 KiB of tables, too much to allocate per message or to keep per
// connection on the server.
#include "compression.h"

#include <zlib.h>

#include <algorithm>

namespace Tether::Protocol {

namespace {

struct Deflater {
    z_stream stream{};
    int level = -2;   // none initialised yet
    ~Deflater()
    {
        if (level != -2)
            deflateEnd(&stream);
    }
    z_stream *at(int wanted)
    {
        if (level == wanted)
            return deflateReset(&stream) == Z_OK ? &stream : nullptr;
        if (level != -2)
            deflateEnd(&stream);
        stream = z_stream{};
        level = -2;
        if (deflateInit(&stream, wanted) != Z_OK)
            return nullptr;
        level = wanted;
        return &stream;
    }
};

struct Inflater {
    z_stream stream{};
    bool ready = false;
    ~Inflater()
    {
        if (ready)
            inflateEnd(&stream);
    }
    z_stream *get()
    {
        if (ready)
            return inflateReset(&stream) == Z_OK ? &stream : nullptr;
        stream = z_stream{};
        if (inflateInit(&stream) != Z_OK)
            return nullptr;
        ready = true;
        return &stream;
    }
};

thread_local Deflater t_deflater;
thread_local Inflater t_inflater;

InflatedBatch malformed(const QString &why)
{
    InflatedBatch result;
    result.error = QStringLiteral("compressed batch: ") + why;
    return result;
}

} // namespace

QByteArray compressBatch(QByteArrayView batch, int level)
{
    if (batch.isEmpty() || quint64(batch.size()) > 0xffffffffu)
        return {};
    z_stream *s = t_deflater.at(level);
    if (!s)
        return {};
    const uLong bound = deflateBound(s, uLong(batch.size()));
    QByteArray out(kCompressedHeaderSize + qsizetype(bound), Qt::Uninitialized);
    const quint32 n = quint32(batch.size());
    out[0] = kCompressedMarker;
    out[1] = char(n >> 24);
    out[2] = char(n >> 16);
    out[3] = char(n >> 8);
    out[4] = char(n);
    s->next_in = reinterpret_cast<Bytef *>(const_cast<char *>(batch.data()));
    s->avail_in = uInt(batch.size());
    s->next_out = reinterpret_cast<Bytef *>(out.data() + kCompressedHeaderSize);
    s->avail_out = uInt(bound);
    if (deflate(s, Z_FINISH) != Z_STREAM_END)
        return {};
    const qsizetype size = kCompressedHeaderSize + qsizetype(bound - s->avail_out);
    if (size >= batch.size())
        return {};
    out.truncate(size);
    return out;
}

InflatedBatch decompressBatch(QByteArrayView message, qsizetype limit)
{
    if (message.size() < kCompressedHeaderSize || message.front() != kCompressedMarker)
        return malformed(QStringLiteral("shorter than its 5-byte header"));
    const auto byte = [&](int i) { return quint32(quint8(message[i])); };
    const quint32 claimed = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
    if (claimed == 0)
        return malformed(QStringLiteral("a length of 0"));
    if (qint64(claimed) > qint64(limit)) {
        InflatedBatch result;
        result.error = QStringLiteral("compressed batch: inflates to %1 bytes, over the limit of %2")
                           .arg(claimed)
                           .arg(limit);
        result.tooLarge = true;
        return result;
    }
    z_stream *s = t_inflater.get();
    if (!s)
        return malformed(QStringLiteral("zlib could not start"));
    const QByteArrayView stream = message.sliced(kCompressedHeaderSize);
    s->next_in = reinterpret_cast<Bytef *>(const_cast<char *>(stream.data()));
    s->avail_in = uInt(stream.size());

    // The buffer grows with the output (doubling, never past `claimed`); once it holds
    // `claimed` bytes, a one-byte probe catches a stream that would go on.
    const qsizetype want = qsizetype(claimed);
    QByteArray out(std::min(want, std::max<qsizetype>(4096, stream.size() * 4)), Qt::Uninitialized);
    qsizetype produced = 0;
    char probe = 0;
    bool probing = false;
    for (;;) {
        if (probing) {
            s->next_out = reinterpret_cast<Bytef *>(&probe);
            s->avail_out = 1;
        } else {
            s->next_out = reinterpret_cast<Bytef *>(out.data() + produced);
            s->avail_out = uInt(out.size() - produced);
        }
        const uInt inBefore = s->avail_in;
        const qsizetype producedBefore = produced;
        const int rc = inflate(s, Z_NO_FLUSH);
        if (probing && s->avail_out == 0)
            return malformed(QStringLiteral("inflates to more than the %1 bytes its header says").arg(claimed));
        if (!probing)
            produced = out.size() - qsizetype(s->avail_out);
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return malformed(QStringLiteral("invalid deflate data"));
        if (!probing && produced == out.size()) {
            if (out.size() == want)
                probing = true;
            else
                out.resize(std::min(want, out.size() * 2));
            continue;
        }
        if (s->avail_in == 0)
            return malformed(QStringLiteral("cut short (its deflate stream does not end)"));
        if (s->avail_in == inBefore && produced == producedBefore)
            return malformed(QStringLiteral("invalid deflate data"));
    }
    if (produced != want)
        return malformed(QStringLiteral("inflates to %1 bytes, not the %2 its header says").arg(produced).arg(claimed));
    if (s->avail_in != 0)
        return malformed(QStringLiteral("data after the end of its deflate stream"));
    out.truncate(produced);
    InflatedBatch result;
    result.batch = std::move(out);
    return result;
}

} // namespace Tether::Protocol
