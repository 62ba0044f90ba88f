// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RFC 6455, the client's side of the wire, sans-I/O: the opening handshake, frame headers,
// masking and the reader of the server's frames. The transport (transport.cpp) moves the
// bytes and reports what happened; every rule of the wire lives here, where a unit test
// feeds it bytes (tests/client/tst_client_websocket.cpp).
//
// Not public API. Why not QWebSocket: it XORs each byte of every frame with its mask in a
// byte loop and copies each frame twice on the way out, turns every text frame into a QString
// (which the JSON codec turned back into UTF-8), and differs from RFC 6455 where it matters
// for a client (docs/security.md: it accepts masked server frames and rejects a text message
// fragmented inside a UTF-8 character).
#pragma once

#include "autotest_p.h"

#include <QtCore/QByteArray>
#include <QtCore/QByteArrayView>
#include <QtCore/QList>
#include <QtCore/QPair>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <optional>

namespace Tether::Ws {

enum Opcode : quint8 { Continuation = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

constexpr int kCloseNormal = 1000;
constexpr int kCloseProtocolError = 1002;
constexpr int kCloseAbnormal = 1006;        // never on the wire: the link ended without a close frame
constexpr int kCloseInvalidData = 1007;
constexpr int kCloseTooBig = 1009;
constexpr qsizetype kMaxControlPayload = 125;
constexpr qsizetype kMaxHeader = 14;        // 2 + 8 (64-bit length) + 4 (mask)
constexpr qsizetype kMaxResponseHead = 16 * 1024;  // the server's HTTP response head

// One thing the server sent, in order.
struct Incoming {
    enum Kind { Message, Ping, Pong, Close, Violation };
    Kind kind = Message;
    QByteArray payload;   // Message: its bytes (a text message's are valid UTF-8); Ping, Pong:
                          // their payload; Close: the reason (valid UTF-8)
    bool binary = false;  // Message: a binary message (else text)
    int code = 0;         // Close: the code received (1000 when the frame carried none, as
                          // QWebSocket reported it); Violation: the code to close with
    QString why;          // Violation: what the server did wrong
};

// Reads the server's frames: messages reassembled from their fragments, control frames
// between them, every RFC 6455 rule a client must check (§5.1-5.5, 5.8, 7.4, 8.1).
// After a Close or a Violation it returns nothing more: the connection is ending.
class TETHER_AUTOTEST_EXPORT FrameReader
{
public:
    // A message (all its fragments) or frame above `maxMessageSize` bytes is a Violation
    // with 1009, reported from its header, before its payload is buffered.
    explicit FrameReader(qint64 maxMessageSize);

    // Room for `size` more received bytes (read the socket straight into it), then commit()
    // how many arrived.
    char *reserve(qsizetype size);
    void commit(qsizetype size);
    void append(QByteArrayView bytes);

    std::optional<Incoming> next();

private:
    std::optional<Incoming> violation(int code, const QString &why);
    std::optional<Incoming> control(Opcode opcode, const char *payload, qsizetype size);
    void compact();

    qint64 m_maxMessage;
    QByteArray m_buffer;      // received bytes; [m_pos, m_end) not read yet
    qsizetype m_pos = 0;
    qsizetype m_end = 0;
    QByteArray m_fragments;   // the message being reassembled
    bool m_inMessage = false; // a non-final data frame came and its final one has not
    bool m_messageBinary = false;
    bool m_over = false;      // a Close or a Violation was returned
};

// The header of a masked client frame (FIN set, never fragmented) of `size` payload bytes:
// 6 to 14 bytes written to `out`, which has kMaxHeader bytes of room. Returns its length.
TETHER_AUTOTEST_EXPORT int writeHeader(char *out, Opcode opcode, quint64 size, quint32 maskKey);
// XORs `data` with the key, byte i with key byte i % 4 (big-endian: the first byte on the
// wire is the key's most significant), eight bytes at a time.
TETHER_AUTOTEST_EXPORT void mask(char *data, qsizetype size, quint32 maskKey);
// A close frame's payload: the code, big-endian, then the reason in UTF-8 cut at a
// character boundary to fit 125 bytes.
TETHER_AUTOTEST_EXPORT QByteArray closePayload(int code, const QString &reason);
// A close code a peer may send (§7.4): 1000-1003, 1007-1014, 3000-4999.
TETHER_AUTOTEST_EXPORT bool isSendableCloseCode(int code);

// The opening handshake (§4.1).
struct HandshakeRequest {
    QByteArray bytes;           // the HTTP request to write
    QByteArray expectedAccept;  // what Sec-WebSocket-Accept must say
};
// `key` is 16 random bytes. Headers: Host (the URL's, port when not the scheme's default),
// Upgrade, Connection, Sec-WebSocket-Key, -Version 13, -Protocol (when `subprotocols` is not
// empty), Authorization Basic from the URL's user info (as QWebSocket did), then `headers`.
TETHER_AUTOTEST_EXPORT HandshakeRequest handshakeRequest(const QUrl &url, const QStringList &subprotocols,
                                                         const QList<QPair<QByteArray, QByteArray>> &headers,
                                                         QByteArrayView key);

// A header name (an RFC 9110 token) and a value (no CR, LF or NUL) that are safe to write:
// the transport refuses an attempt with any other (a CR or LF would let the value write its
// own lines into the request).
TETHER_AUTOTEST_EXPORT bool isValidHeader(const QByteArray &name, const QByteArray &value);

struct HandshakeResponse {
    enum Status { Incomplete, Accepted, Refused };
    Status status = Incomplete;
    qsizetype headBytes = 0;  // Accepted: the response's length; any bytes after it are frames
    QString subprotocol;      // Accepted: the one the server picked, empty when none
    int httpStatus = 0;       // the status code, once the status line was read
    QString error;            // Refused: why, for the app
};
// Reads the server's answer so far. Refused: not 101, a missing or wrong Upgrade,
// Connection or Sec-WebSocket-Accept, a subprotocol that was not offered, an extension
// (none is offered), or a head longer than kMaxResponseHead.
TETHER_AUTOTEST_EXPORT HandshakeResponse parseHandshakeResponse(QByteArrayView received,
                                                                const QByteArray &expectedAccept,
                                                                const QStringList &offered);

} // namespace Tether::Ws
