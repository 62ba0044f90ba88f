// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "publication.h"

#include <QtCore/QJsonValue>

namespace TetherServer {

const Publication::Framed &Publication::framed(const Tether::Protocol::Codec &codec) const
{
    std::optional<Framed> &slot = m_framed[codec.kind() == Tether::Protocol::CodecKind::Json ? 0 : 1];
    if (!slot) {
        QByteArray value;
        if (!codec.encodeValue(d, value)) {
            value.clear();
            if (!codec.encodeValue(QCborValue::fromJsonValue(d.toJsonValue()), value)) {
                value.clear();
                codec.encodeValue(QCborValue(QCborValue::Null), value);
            }
        }
        Framed framed;
        framed.layout = codec.encodeMsgAroundSeq(id, ch, value, framed.bytes);
        slot = std::move(framed);
    }
    return *slot;
}

QByteArrayView Publication::encoded(const Tether::Protocol::Codec &codec) const
{
    const Framed &f = framed(codec);
    return QByteArrayView(f.bytes).sliced(f.layout.valueAt, f.layout.valueSize);
}

} // namespace TetherServer
