// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "publication.h"

#include <protocol/codec.h>

#include <QtCore/QJsonValue>

namespace TetherServer {

const QByteArray &Publication::encoded(const Tether::Protocol::Codec &codec) const
{
    const int slot = codec.kind() == Tether::Protocol::CodecKind::Json ? 0 : 1;
    if (!m_haveEncoded[slot]) {
        QByteArray out;
        if (!codec.encodeValue(d, out)) {
            out.clear();
            if (!codec.encodeValue(QCborValue::fromJsonValue(d.toJsonValue()), out)) {
                out.clear();
                codec.encodeValue(QCborValue(QCborValue::Null), out);
            }
        }
        m_encoded[slot] = std::move(out);
        m_haveEncoded[slot] = true;
    }
    return m_encoded[slot];
}

} // namespace TetherServer
