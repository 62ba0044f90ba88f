// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RFC 6455 on the client's side, sans-I/O: see websocket_p.h.
#include "websocket_p.h"

#include "../protocol/codec_p.h"  // isValidUtf8

#include <QtCore/QCryptographicHash>
#include <QtCore/QtEndian>

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace Tether::Ws {

namespace {

constexpr char kAcceptGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3
constexpr qsizetype kKeepBufferBelow = 1024 * 1024;  // a drained read buffer above is released

bool validUtf8(const QByteArray &bytes)
{
    return Protocol::Detail::isValidUtf8(bytes.constData(), bytes.size());
}

} // namespace

// ---- reading ------------------------------------------------------------------------

FrameReader::FrameReader(qint64 maxMessageSize) : m_maxMessage(qMax<qint64>(maxMessageSize, 0)) {}

char *FrameReader::reserve(qsizetype size)
{
    if (m_buffer.size() - m_end < size) {
        if (m_pos > 0) {  // an unread partial frame moves to the front
            std::memmove(m_buffer.data(), m_buffer.constData() + m_pos, size_t(m_end - m_pos));
            m_end -= m_pos;
            m_pos = 0;
        }
        if (m_buffer.size() - m_end < size)
            m_buffer.resize(m_end + size);
    }
    return m_buffer.data() + m_end;
}

void FrameReader::commit(qsizetype size)
{
    m_end += size;
}

void FrameReader::append(QByteArrayView bytes)
{
    std::memcpy(reserve(bytes.size()), bytes.data(), size_t(bytes.size()));
    commit(bytes.size());
}

void FrameReader::compact()
{
    if (m_pos != m_end)
        return;
    m_pos = m_end = 0;
    if (m_buffer.size() > kKeepBufferBelow)
        m_buffer = QByteArray();  // one large message does not pin its buffer for good
}

std::optional<Incoming> FrameReader::violation(int code, const QString &why)
{
    m_over = true;
    Incoming v;
    v.kind = Incoming::Violation;
    v.code = code;
    v.why = why;
    return v;
}

std::optional<Incoming> FrameReader::control(Opcode opcode, const char *payload, qsizetype size)
{
    Incoming in;
    if (opcode == Ping || opcode == Pong) {
        in.kind = opcode == Ping ? Incoming::Ping : Incoming::Pong;
        in.payload = QByteArray(payload, size);
        return in;
    }
    // Close (§5.5.1, §7.4): no payload, or a valid code and a UTF-8 reason.
    in.kind = Incoming::Close;
    in.code = kCloseNormal;
    if (size == 1)
        return violation(kCloseProtocolError, QStringLiteral("a close frame with a 1-byte payload"));
    if (size >= 2) {
        in.code = qFromBigEndian<quint16>(payload);
        if (!isSendableCloseCode(in.code))
            return violation(kCloseProtocolError, QStringLiteral("close code %1 is not valid on the wire").arg(in.code));
        in.payload = QByteArray(payload + 2, size - 2);
        if (!validUtf8(in.payload))
            return violation(kCloseInvalidData, QStringLiteral("a close reason that is not UTF-8"));
    }
    m_over = true;
    return in;
}

std::optional<Incoming> FrameReader::next()
{
    if (m_over)
        return std::nullopt;
    for (;;) {
        const qsizetype available = m_end - m_pos;
        if (available < 2) {
            compact();
            return std::nullopt;
        }
        const auto *p = reinterpret_cast<const uchar *>(m_buffer.constData() + m_pos);
        const bool fin = p[0] & 0x80;
        const int reserved = (p[0] >> 4) & 0x7;
        const auto opcode = Opcode(p[0] & 0x0f);
        const bool masked = p[1] & 0x80;
        quint64 length = p[1] & 0x7f;
        qsizetype head = 2;
        if (length == 126) {
            if (available < 4)
                return std::nullopt;
            length = qFromBigEndian<quint16>(p + 2);
            head = 4;
        } else if (length == 127) {
            if (available < 10)
                return std::nullopt;
            length = qFromBigEndian<quint64>(p + 2);
            head = 10;
            if (length >> 63)
                return violation(kCloseProtocolError, QStringLiteral("a frame length with its most significant bit set"));
        }
        if (reserved)
            return violation(kCloseProtocolError, QStringLiteral("reserved bits set, no extension was negotiated"));
        if (masked)  // §5.1: a server never masks
            return violation(kCloseProtocolError, QStringLiteral("a masked frame from the server"));
        const bool isControl = opcode & 0x8;
        if (isControl) {
            if (opcode != Close && opcode != Ping && opcode != Pong)
                return violation(kCloseProtocolError, QStringLiteral("reserved opcode %1").arg(int(opcode)));
            if (!fin)
                return violation(kCloseProtocolError, QStringLiteral("a fragmented control frame"));
            if (length > quint64(kMaxControlPayload))
                return violation(kCloseProtocolError, QStringLiteral("a control frame longer than 125 bytes"));
        } else {
            if (opcode != Continuation && opcode != Text && opcode != Binary)
                return violation(kCloseProtocolError, QStringLiteral("reserved opcode %1").arg(int(opcode)));
            if (opcode == Continuation && !m_inMessage)
                return violation(kCloseProtocolError, QStringLiteral("a continuation frame with no message to continue"));
            if (opcode != Continuation && m_inMessage)
                return violation(kCloseProtocolError, QStringLiteral("a new message before the last fragment of the previous one"));
            const quint64 total = (opcode == Continuation ? quint64(m_fragments.size()) : 0) + length;
            if (total > quint64(m_maxMessage))
                return violation(kCloseTooBig, QStringLiteral("a message larger than %1 bytes").arg(m_maxMessage));
        }
        if (quint64(available - head) < length)
            return std::nullopt;  // reserve() makes room for the rest when it comes
        const char *payload = reinterpret_cast<const char *>(p) + head;
        const auto size = qsizetype(length);
        m_pos += head + size;
        if (isControl)
            return control(opcode, payload, size);

        if (opcode != Continuation)
            m_messageBinary = opcode == Binary;
        Incoming message;
        message.binary = m_messageBinary;
        if (opcode != Continuation && fin) {
            message.payload = QByteArray(payload, size);
        } else {
            m_fragments.append(payload, size);
            m_inMessage = !fin;
            if (!fin)
                continue;
            message.payload = std::move(m_fragments);
            m_fragments = QByteArray();
        }
        // §8.1: the whole message is UTF-8, a fragment may end inside a character.
        if (!message.binary && !validUtf8(message.payload))
            return violation(kCloseInvalidData, QStringLiteral("a text message that is not UTF-8"));
        return message;
    }
}

// ---- writing ------------------------------------------------------------------------

int writeHeader(char *out, Opcode opcode, quint64 size, quint32 maskKey)
{
    out[0] = char(0x80 | opcode);
    int n;
    if (size < 126) {
        out[1] = char(0x80 | size);
        n = 2;
    } else if (size <= 0xffff) {
        out[1] = char(0x80 | 126);
        qToBigEndian<quint16>(quint16(size), out + 2);
        n = 4;
    } else {
        out[1] = char(0x80 | 127);
        qToBigEndian<quint64>(size, out + 2);
        n = 10;
    }
    qToBigEndian<quint32>(maskKey, out + n);
    return n + 4;
}

void mask(char *data, qsizetype size, quint32 maskKey)
{
    uchar key[4];
    qToBigEndian<quint32>(maskKey, key);
    quint64 pattern;
    uchar repeated[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    std::memcpy(&pattern, repeated, 8);
    qsizetype i = 0;
#if defined(__SSE2__)
    const __m128i wide = _mm_set1_epi64x(qint64(pattern));
    for (; i + 16 <= size; i += 16) {
        auto *at = reinterpret_cast<__m128i *>(data + i);
        _mm_storeu_si128(at, _mm_xor_si128(_mm_loadu_si128(at), wide));
    }
#endif
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, data + i, 8);
        word ^= pattern;
        std::memcpy(data + i, &word, 8);
    }
    for (; i < size; ++i)
        data[i] = char(data[i] ^ key[i % 4]);  // i is a multiple of 8 here, so i % 4 stays in step
}

QByteArray closePayload(int code, const QString &reason)
{
    QByteArray payload(2, Qt::Uninitialized);
    qToBigEndian<quint16>(quint16(code), payload.data());
    QByteArray text = reason.toUtf8();
    if (text.size() > kMaxControlPayload - 2) {
        qsizetype cut = kMaxControlPayload - 2;
        while (cut > 0 && (uchar(text.at(cut)) & 0xc0) == 0x80)
            --cut;  // not inside a character
        text.truncate(cut);
    }
    return payload + text;
}

bool isSendableCloseCode(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// ---- the opening handshake ----------------------------------------------------------

namespace {

bool isToken(QByteArrayView name)
{
    if (name.isEmpty())
        return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || std::strchr("!#$%&'*+-.^_`|~", c);
        if (!ok || c == '\0')
            return false;
    }
    return true;
}

bool isFieldValue(QByteArrayView value)
{
    for (const char c : value) {
        if (c == '\r' || c == '\n' || c == '\0')
            return false;
    }
    return true;
}

QByteArray acceptFor(const QByteArray &key)
{
    return QCryptographicHash::hash(key + kAcceptGuid, QCryptographicHash::Sha1).toBase64();
}

} // namespace

HandshakeRequest handshakeRequest(const QUrl &url, const QStringList &subprotocols,
                                  const QList<QPair<QByteArray, QByteArray>> &headers, QByteArrayView key)
{
    QByteArray resource = url.path(QUrl::FullyEncoded).toLatin1();
    if (resource.isEmpty())
        resource = "/";
    if (url.hasQuery())
        resource += '?' + url.query(QUrl::FullyEncoded).toLatin1();
    QByteArray host = url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']';  // an IPv6 address
    const int defaultPort = url.scheme() == QLatin1StringView("wss") ? 443 : 80;
    if (url.port() != -1 && url.port() != defaultPort)
        host += ':' + QByteArray::number(url.port());

    HandshakeRequest request;
    const QByteArray encodedKey = key.toByteArray().toBase64();
    request.expectedAccept = acceptFor(encodedKey);
    QByteArray &out = request.bytes;
    out.reserve(256);
    out += "GET " + resource + " HTTP/1.1\r\nHost: " + host
           + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + encodedKey
           + "\r\nSec-WebSocket-Version: 13\r\n";
    if (!subprotocols.isEmpty())
        out += "Sec-WebSocket-Protocol: " + subprotocols.join(QStringLiteral(", ")).toLatin1() + "\r\n";
    if (!url.userName().isEmpty()) {
        const QByteArray login = url.userName().toUtf8() + ':' + url.password().toUtf8();
        out += "Authorization: Basic " + login.toBase64() + "\r\n";
    }
    for (const auto &header : headers)
        out += header.first + ": " + header.second + "\r\n";
    out += "\r\n";
    return request;
}

bool isValidHeader(const QByteArray &name, const QByteArray &value)
{
    return isToken(name) && isFieldValue(value);
}

HandshakeResponse parseHandshakeResponse(QByteArrayView received, const QByteArray &expectedAccept,
                                         const QStringList &offered)
{
    HandshakeResponse response;
    const qsizetype end = received.indexOf(QByteArrayView("\r\n\r\n"));
    if (end < 0 || end + 4 > kMaxResponseHead) {
        if (end >= 0 || received.size() > kMaxResponseHead) {
            response.status = HandshakeResponse::Refused;
            response.error = QStringLiteral("the server's HTTP response head is longer than %1 bytes").arg(kMaxResponseHead);
        }
        return response;
    }
    response.status = HandshakeResponse::Refused;
    const QList<QByteArray> lines = received.first(end).toByteArray().split('\n');
    // Status line: HTTP/1.x 101 Switching Protocols
    const QByteArray statusLine = lines.first().trimmed();
    const qsizetype space = statusLine.indexOf(' ');
    bool numeric = false;
    const int status = space > 0 ? statusLine.mid(space + 1, 3).toInt(&numeric) : 0;
    if (!statusLine.startsWith("HTTP/1.") || !numeric) {
        response.error = QStringLiteral("the server did not answer the WebSocket upgrade with HTTP");
        return response;
    }
    response.httpStatus = status;
    if (status != 101) {
        const QString phrase = QString::fromLatin1(statusLine.mid(space + 5, 80)).trimmed();
        response.error = QStringLiteral("the server answered the WebSocket upgrade with HTTP %1 %2").arg(status).arg(phrase).trimmed();
        return response;
    }
    QByteArray upgrade, connection, accept, extensions, protocol;
    bool protocolSeen = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.first(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        const auto add = [&value](QByteArray &to) { to += (to.isEmpty() ? "" : ", ") + value; };
        if (name == "upgrade")
            add(upgrade);
        else if (name == "connection")
            add(connection);
        else if (name == "sec-websocket-accept")
            add(accept);
        else if (name == "sec-websocket-extensions")
            add(extensions);
        else if (name == "sec-websocket-protocol") {
            add(protocol);
            protocolSeen = true;
        }
    }
    bool connectionUpgrade = false;
    for (const QByteArray &token : connection.split(','))
        connectionUpgrade |= token.trimmed().compare("upgrade", Qt::CaseInsensitive) == 0;
    if (upgrade.compare("websocket", Qt::CaseInsensitive) != 0 || !connectionUpgrade) {
        response.error = QStringLiteral("the server's 101 response lacks 'Upgrade: websocket' and 'Connection: Upgrade'");
        return response;
    }
    if (accept != expectedAccept) {
        response.error = QStringLiteral("the server's Sec-WebSocket-Accept does not match the key sent");
        return response;
    }
    if (!extensions.isEmpty()) {
        response.error = QStringLiteral("the server chose the extension '%1'; none was offered").arg(QString::fromLatin1(extensions));
        return response;
    }
    if (protocolSeen) {
        const QString picked = QString::fromLatin1(protocol);
        if (!offered.contains(picked)) {
            response.error = QStringLiteral("the server chose the subprotocol '%1', which was not offered").arg(picked);
            return response;
        }
        response.subprotocol = picked;
    }
    response.status = HandshakeResponse::Accepted;
    response.headBytes = end + 4;
    return response;
}

} // namespace Tether::Ws
