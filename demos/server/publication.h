// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// A server-to-client message body shared by every copy of it: a channel publication fanned
// out to N sessions, a presence event, a `push`. Each codec's encoding of the msg is made
// once, on first use, and every delivery (and retransmission) only adds its seq.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QCborValue>
#include <QtCore/QString>

#include <memory>
#include <optional>

#include <protocol/codec.h>

namespace TetherServer {

struct Publication {
    QString id;   // never empty for a reliable message
    QString ch;   // empty = no channel
    QCborValue d;

    // The msg frame of this publication in a codec, but for its seq (Codec::
    // encodeMsgAroundSeq()): every delivery copies it around its own seq instead of
    // encoding the id, the channel and `d` again. A value JSON cannot carry (a CBOR byte
    // string, tag, non-finite double) is carried as its RFC 8949 §6.1 JSON form (base64url
    // text, null).
    struct Framed {
        QByteArray bytes;
        Tether::Protocol::MsgLayout layout;
    };
    const Framed &framed(const Tether::Protocol::Codec &codec) const;
    // The codec's encoding of `d`: a view into framed().
    QByteArrayView encoded(const Tether::Protocol::Codec &codec) const;

private:
    mutable std::optional<Framed> m_framed[2];
};

using PublicationPtr = std::shared_ptr<const Publication>;

} // namespace TetherServer
