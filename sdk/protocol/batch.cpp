// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Protocol v1.1 batches: framing only; every frame goes through the v1 codec (batch.h).
#include "batch.h"

#include "codec_p.h"

#include <cstring>

namespace Tether::Protocol {

namespace {

struct Name {
    QLatin1StringView name;
    Subprotocol protocol;
};

// Every Tether subprotocol, one row each: parse and name read the same table.
constexpr Name kNames[] = {
    {kJsonSubprotocol, {CodecKind::Json, Version::V1}},
    {kCborSubprotocol, {CodecKind::Cbor, Version::V1}},
    {kJsonSubprotocolV11, {CodecKind::Json, Version::V1_1}},
    {kCborSubprotocolV11, {CodecKind::Cbor, Version::V1_1}},
    {kJsonSubprotocolV11Deflate, {CodecKind::Json, Version::V1_1, true}},
    {kCborSubprotocolV11Deflate, {CodecKind::Cbor, Version::V1_1, true}},
};

} // namespace

std::optional<Subprotocol> parseSubprotocol(QByteArrayView name)
{
    for (const Name &row : kNames) {
        if (name == QByteArrayView(row.name.data(), row.name.size()))
            return row.protocol;
    }
    return std::nullopt;
}

QLatin1StringView subprotocolName(CodecKind codec, Version version, bool deflate)
{
    for (const Name &row : kNames) {
        if (row.protocol.codec == codec && row.protocol.version == version && row.protocol.deflate == deflate)
            return row.name;
    }
    Q_UNREACHABLE();
    return kJsonSubprotocol;
}

BatchReader::BatchReader(const Codec &codec, QByteArrayView message, const DecodeOptions &options)
    : m_codec(codec), m_options(options), m_rest(message)
{
}

DecodeResult BatchReader::fail(QString error)
{
    m_done = true;
    DecodeResult result;
    result.error = std::move(error);
    return result;
}

DecodeResult BatchReader::next()
{
    if (m_done)
        return fail(QStringLiteral("batch: read past its end"));
    if (m_count == 0 && m_rest.isEmpty())
        return fail(QStringLiteral("batch: empty message"));
    if (m_count == kMaxBatchFrames)
        return fail(QStringLiteral("batch: more than %1 frames").arg(kMaxBatchFrames));
    const int index = m_count + 1;
    DecodeResult result;
    if (m_codec.kind() == CodecKind::Json) {
        const void *lf = std::memchr(m_rest.data(), '\n', size_t(m_rest.size()));
        const qsizetype length = lf ? static_cast<const char *>(lf) - m_rest.data() : m_rest.size();
        if (length == 0)
            return fail(QStringLiteral("batch frame %1: empty (an LF at the start, at the end or twice in a row)").arg(index));
        result = m_codec.decode(m_rest.first(length), m_options);
        if (result.ok() && lf && length + 1 == m_rest.size())
            return fail(QStringLiteral("batch frame %1: empty (an LF at the start, at the end or twice in a row)").arg(index + 1));
        m_rest = lf ? m_rest.sliced(length + 1) : QByteArrayView();
    } else {
        qsizetype used = 0;
        result = Detail::decodeLeadingCbor(m_rest, used, m_options);
        m_rest = m_rest.sliced(std::min(used, m_rest.size()));
    }
    if (!result.ok())
        return fail(QStringLiteral("batch frame %1: %2").arg(index).arg(result.error));
    ++m_count;
    m_done = m_rest.isEmpty();
    return result;
}

void appendBatchSeparator(CodecKind codec, QByteArray &message)
{
    if (codec == CodecKind::Json && !message.isEmpty())
        message.append('\n');
}

} // namespace Tether::Protocol
