// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// A server-to-client message body shared by every copy of it: a channel publication fanned
// out to N sessions, a presence event, a `push`. Each codec's encoding of `d` is made once,
// on first use, and every delivery (and retransmission) only wraps it in a new envelope.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QCborValue>
#include <QtCore/QString>

#include <memory>

namespace Tether::Protocol { class Codec; }

namespace TetherServer {

struct Publication {
    QString id;   // never empty for a reliable message
    QString ch;   // empty = no channel
    QCborValue d;

    // The codec's encoding of `d`. A value JSON cannot carry (a CBOR byte string, tag,
    // non-finite double) is carried as its RFC 8949 §6.1 JSON form (base64url text, null).
    const QByteArray &encoded(const Tether::Protocol::Codec &codec) const;

private:
    mutable QByteArray m_encoded[2];
    mutable bool m_haveEncoded[2] = {false, false};
};

using PublicationPtr = std::shared_ptr<const Publication>;

} // namespace TetherServer
