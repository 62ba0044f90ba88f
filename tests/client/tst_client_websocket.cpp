// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RFC 6455 on the client's side, sans-I/O (sdk/client/websocket_p.h): masking, frame
// headers, the reader of server frames fed whole and byte by byte, and the opening
// handshake's request and response. tst_client_rfc6455 drives the same code through a
// socket; this one checks each rule where it lives, deterministically.
#include "../../sdk/client/websocket_p.h"
#include "ws_test_peer.h"

#include <QtCore/QtEndian>
#include <QtTest/QtTest>

using namespace Tether;

namespace {

QByteArray serverFrame(quint8 opcode, const QByteArray &payload, bool fin = true, quint8 reserved = 0, bool masked = false)
{
    return Tether::Testing::WsTestPeer::serverFrame(opcode, payload, fin, reserved, masked);
}

QByteArray closeFrame(int code, const QByteArray &reason = {})
{
    return serverFrame(Ws::Close, Tether::Testing::WsTestPeer::closePayload(quint16(code), reason));
}

// What a reader makes of `bytes`, one item per line ("kind:payload"), the same whether fed
// whole or in pieces of `chunk` bytes.
QByteArray read(const QByteArray &bytes, qint64 maxMessage = 1 << 20, qsizetype chunk = 0)
{
    Ws::FrameReader reader(maxMessage);
    QByteArrayList out;
    const auto drain = [&] {
        while (std::optional<Ws::Incoming> in = reader.next()) {
            switch (in->kind) {
            case Ws::Incoming::Message:
                out << (in->binary ? "binary:" : "text:") + in->payload.left(40);
                break;
            case Ws::Incoming::Ping:
                out << "ping:" + in->payload;
                break;
            case Ws::Incoming::Pong:
                out << "pong:" + in->payload;
                break;
            case Ws::Incoming::Close:
                out << "close:" + QByteArray::number(in->code) + ':' + in->payload;
                break;
            case Ws::Incoming::Violation:
                QVERIFY(!in->why.isEmpty());
                out << "violation:" + QByteArray::number(in->code);
                break;
            }
        }
    };
    if (chunk <= 0) {
        reader.append(bytes);
        drain();
    } else {
        for (qsizetype at = 0; at < bytes.size(); at += chunk) {
            reader.append(QByteArrayView(bytes).sliced(at, qMin(chunk, bytes.size() - at)));
            drain();
        }
    }
    return out.join('|');
}

} // namespace

class tst_ClientWebSocket : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void maskMatchesTheBytewiseDefinition()
    {
        const quint32 key = 0xa1b2c3d4;
        const uchar keyBytes[4] = {0xa1, 0xb2, 0xc3, 0xd4};  // the first byte on the wire first
        for (int size = 0; size <= 70; ++size) {
            for (int offset = 0; offset < 3; ++offset) {
                QByteArray data(size + offset, Qt::Uninitialized);
                for (int i = 0; i < data.size(); ++i)
                    data[i] = char(i * 37 + 11);
                QByteArray expected = data;
                for (int i = 0; i < size; ++i)
                    expected[offset + i] = char(uchar(expected[offset + i]) ^ keyBytes[i % 4]);
                Ws::mask(data.data() + offset, size, key);
                QVERIFY2(data == expected, qPrintable(QStringLiteral("size %1 offset %2").arg(size).arg(offset)));
                Ws::mask(data.data() + offset, size, key);  // its own inverse
                for (int i = 0; i < size; ++i)
                    QCOMPARE(uchar(data[offset + i]), uchar((offset + i) * 37 + 11));
            }
        }
    }

    void headerForEachLengthForm_data()
    {
        QTest::addColumn<quint64>("size");
        QTest::addColumn<QByteArray>("expected");
        const QByteArray key("\x01\x02\x03\x04", 4);
        QTest::addRow("0") << quint64(0) << QByteArray("\x82\x80", 2) + key;
        QTest::addRow("125") << quint64(125) << QByteArray("\x82\xfd", 2) + key;
        QTest::addRow("126") << quint64(126) << QByteArray("\x82\xfe\x00\x7e", 4) + key;
        QTest::addRow("65535") << quint64(65535) << QByteArray("\x82\xfe\xff\xff", 4) + key;
        QTest::addRow("65536") << quint64(65536) << QByteArray("\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00", 10) + key;
    }
    void headerForEachLengthForm()
    {
        QFETCH(quint64, size);
        QFETCH(QByteArray, expected);
        char out[Ws::kMaxHeader];
        const int n = Ws::writeHeader(out, Ws::Binary, size, 0x01020304);
        QCOMPARE(QByteArray(out, n), expected);
        QCOMPARE(Ws::writeHeader(out, Ws::Text, 0, 0), 6);
        QCOMPARE(uchar(out[0]), uchar(0x81));
    }

    void closePayloadCutsAtACharacter()
    {
        const QByteArray payload = Ws::closePayload(4001, QString(100, QChar(0x00e9)));  // 2 bytes each
        QVERIFY(payload.size() <= Ws::kMaxControlPayload);
        QCOMPARE(qFromBigEndian<quint16>(payload.constData()), quint16(4001));
        const QByteArray reason = payload.mid(2);
        QCOMPARE(reason.size() % 2, 0);
        QCOMPARE(QString::fromUtf8(reason), QString(reason.size() / 2, QChar(0x00e9)));
        QCOMPARE(Ws::closePayload(1000, QString()), QByteArray("\x03\xe8", 2));
    }

    void reader_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QByteArray>("expected");
        QTest::addRow("text and binary") << serverFrame(Ws::Text, "hi") + serverFrame(Ws::Binary, "yo")
                                         << QByteArray("text:hi|binary:yo");
        QTest::addRow("16-bit length") << serverFrame(Ws::Binary, QByteArray(300, 'a'))
                                       << "binary:" + QByteArray(40, 'a');
        QTest::addRow("64-bit length") << serverFrame(Ws::Binary, QByteArray(70000, 'b'))
                                       << "binary:" + QByteArray(40, 'b');
        QTest::addRow("fragments with a ping between")
            << serverFrame(Ws::Text, "ab", false) + serverFrame(Ws::Ping, "p") + serverFrame(Ws::Continuation, "c", false)
                   + serverFrame(Ws::Continuation, "d")
            << QByteArray("ping:p|text:abcd");
        QTest::addRow("UTF-8 split across fragments")
            << serverFrame(Ws::Text, "\xce", false) + serverFrame(Ws::Continuation, "\xba")
            << QByteArray("text:\xce\xba");
        QTest::addRow("pong") << serverFrame(Ws::Pong, "x") << QByteArray("pong:x");
        QTest::addRow("close with code and reason, nothing after")
            << closeFrame(4001, "bye") + serverFrame(Ws::Text, "late") << QByteArray("close:4001:bye");
        QTest::addRow("close without payload reads as 1000") << serverFrame(Ws::Close, {}) << QByteArray("close:1000:");
        // Violations: one item, then nothing (the frames after it are not read).
        const QByteArray after = serverFrame(Ws::Text, "after");
        QTest::addRow("masked") << serverFrame(Ws::Text, "m", true, 0, true) + after << QByteArray("violation:1002");
        QTest::addRow("RSV1") << serverFrame(Ws::Text, "a", true, 4) + after << QByteArray("violation:1002");
        QTest::addRow("RSV3 on a ping") << serverFrame(Ws::Ping, "a", true, 1) << QByteArray("violation:1002");
        QTest::addRow("opcode 3") << serverFrame(3, "a") << QByteArray("violation:1002");
        QTest::addRow("opcode 11") << serverFrame(11, "a") << QByteArray("violation:1002");
        QTest::addRow("fragmented ping") << serverFrame(Ws::Ping, "a", false) << QByteArray("violation:1002");
        QTest::addRow("ping of 126 bytes") << serverFrame(Ws::Ping, QByteArray(126, 'p')) << QByteArray("violation:1002");
        QTest::addRow("continuation first") << serverFrame(Ws::Continuation, "a") << QByteArray("violation:1002");
        QTest::addRow("text inside a message") << serverFrame(Ws::Text, "a", false) + serverFrame(Ws::Binary, "b")
                                               << QByteArray("violation:1002");
        QTest::addRow("invalid UTF-8") << serverFrame(Ws::Text, "\xed\xa0\x80") << QByteArray("violation:1007");
        QTest::addRow("invalid UTF-8 over fragments") << serverFrame(Ws::Text, "\xce", false) + serverFrame(Ws::Continuation, "a")
                                                      << QByteArray("violation:1007");
        QTest::addRow("binary is not UTF-8 checked") << serverFrame(Ws::Binary, "\xff")
                                                     << QByteArray("binary:\xff");
        QTest::addRow("close with 1 byte") << serverFrame(Ws::Close, "a") << QByteArray("violation:1002");
        QTest::addRow("close 1005 on the wire") << closeFrame(1005) << QByteArray("violation:1002");
        QTest::addRow("close 999") << closeFrame(999) << QByteArray("violation:1002");
        QTest::addRow("close 5000") << closeFrame(5000) << QByteArray("violation:1002");
        QTest::addRow("close reason not UTF-8") << closeFrame(1000, "\xff") << QByteArray("violation:1007");
        QByteArray hugeLength("\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10);
        QTest::addRow("64-bit length with the top bit") << hugeLength << QByteArray("violation:1002");
    }
    void reader()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QByteArray, expected);
        QCOMPARE(read(bytes), expected);
        QCOMPARE(read(bytes, 1 << 20, 1), expected);  // byte by byte
        QCOMPARE(read(bytes, 1 << 20, 7), expected);
    }

    void messageLimit()
    {
        // A frame over the limit is refused from its header, before its payload arrives.
        const QByteArray header = serverFrame(Ws::Binary, QByteArray(1001, 'x')).left(4);
        QCOMPARE(read(header, 1000), QByteArray("violation:1009"));
        QCOMPARE(read(serverFrame(Ws::Binary, QByteArray(1000, 'x')), 1000), "binary:" + QByteArray(40, 'x'));
        // Fragments count together.
        const QByteArray two = serverFrame(Ws::Binary, QByteArray(600, 'x'), false) + serverFrame(Ws::Continuation, QByteArray(401, 'x'));
        QCOMPARE(read(two, 1000), QByteArray("violation:1009"));
    }

    void readerKeepsItsBufferAcrossMessages()
    {
        Ws::FrameReader reader(1 << 20);
        const QByteArray frame = serverFrame(Ws::Binary, QByteArray(4000, 'x'));
        const char *first = nullptr;
        for (int i = 0; i < 50; ++i) {
            char *room = reader.reserve(frame.size());
            if (i == 0)
                first = room;
            QCOMPARE(room, first);  // drained each time: the same storage again
            std::memcpy(room, frame.constData(), size_t(frame.size()));
            reader.commit(frame.size());
            QVERIFY(reader.next());
            QVERIFY(!reader.next());
        }
    }

    void handshakeRequest()
    {
        // RFC 6455 §1.3's example key and accept value.
        const QByteArray key = QByteArray::fromBase64("dGhlIHNhbXBsZSBub25jZQ==");
        const Ws::HandshakeRequest r = Ws::handshakeRequest(
            QUrl(QStringLiteral("ws://example.com:8080/chat/room?token=a%20b")),
            {QStringLiteral("tether.v1.1.cbor"), QStringLiteral("tether.v1.cbor")},
            {{"Cookie", "c=1"}}, key);
        QCOMPARE(r.expectedAccept, QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        QCOMPARE(r.bytes, QByteArray("GET /chat/room?token=a%20b HTTP/1.1\r\n"
                                     "Host: example.com:8080\r\n"
                                     "Upgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n"
                                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                     "Sec-WebSocket-Version: 13\r\n"
                                     "Sec-WebSocket-Protocol: tether.v1.1.cbor, tether.v1.cbor\r\n"
                                     "Cookie: c=1\r\n"
                                     "\r\n"));
        const QByteArray v6 = Ws::handshakeRequest(QUrl(QStringLiteral("wss://u:p@[::1]/")), {}, {}, key).bytes;
        QVERIFY2(v6.startsWith("GET / HTTP/1.1\r\nHost: [::1]\r\n"), v6.constData());
        QVERIFY(v6.contains("Authorization: Basic dTpw\r\n"));
        QVERIFY(!v6.contains("Sec-WebSocket-Protocol"));
        QVERIFY(Ws::isValidHeader("X-Token", "abc def"));
        QVERIFY(!Ws::isValidHeader("X-Token", "abc\r\nEvil: 1"));
        QVERIFY(!Ws::isValidHeader("X Token", "a"));
        QVERIFY(!Ws::isValidHeader("", "a"));
    }

    void handshakeResponse_data()
    {
        QTest::addColumn<QByteArray>("response");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("subprotocolOrError");
        const QByteArray ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        using R = Ws::HandshakeResponse;
        QTest::addRow("accepted, no subprotocol") << ok + "\r\n" << int(R::Accepted) << QString();
        QTest::addRow("accepted with a subprotocol, any case")
            << QByteArray("HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n"
                          "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: tether.v1.cbor\r\n\r\n")
            << int(R::Accepted) << QStringLiteral("tether.v1.cbor");
        QTest::addRow("incomplete") << ok << int(R::Incomplete) << QString();
        QTest::addRow("502") << QByteArray("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n") << int(R::Refused)
                             << QStringLiteral("the server answered the WebSocket upgrade with HTTP 502 Bad Gateway");
        QTest::addRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH\r\n\r\n") << int(R::Refused)
                                  << QStringLiteral("the server did not answer the WebSocket upgrade with HTTP");
        QTest::addRow("wrong accept")
            << QByteArray("HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n")
            << int(R::Refused) << QStringLiteral("the server's Sec-WebSocket-Accept does not match the key sent");
        QTest::addRow("no upgrade header")
            << QByteArray("HTTP/1.1 101 x\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
            << int(R::Refused) << QStringLiteral("the server's 101 response lacks 'Upgrade: websocket' and 'Connection: Upgrade'");
        QTest::addRow("an extension not offered") << ok + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n" << int(R::Refused)
                                                  << QStringLiteral("the server chose the extension 'permessage-deflate'; none was offered");
        QTest::addRow("a subprotocol not offered") << ok + "Sec-WebSocket-Protocol: mqtt\r\n\r\n" << int(R::Refused)
                                                   << QStringLiteral("the server chose the subprotocol 'mqtt', which was not offered");
        QTest::addRow("head too long") << ok + QByteArray(Ws::kMaxResponseHead, 'x') << int(R::Refused)
                                       << QStringLiteral("the server's HTTP response head is longer than 16384 bytes");
    }
    void handshakeResponse()
    {
        QFETCH(QByteArray, response);
        QFETCH(int, status);
        QFETCH(QString, subprotocolOrError);
        const QByteArray frames = serverFrame(Ws::Text, "welcome");
        const Ws::HandshakeResponse r = Ws::parseHandshakeResponse(response + frames, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                                                                   {QStringLiteral("tether.v1.cbor")});
        QCOMPARE(int(r.status), status);
        if (status == Ws::HandshakeResponse::Accepted) {
            QCOMPARE(r.subprotocol, subprotocolOrError);
            QCOMPARE(r.headBytes, response.size());  // the frames behind it are left for the reader
            QCOMPARE(r.httpStatus, 101);
        } else if (status == Ws::HandshakeResponse::Refused) {
            QCOMPARE(r.error, subprotocolOrError);
        }
    }
};

QTEST_APPLESS_MAIN(tst_ClientWebSocket)
#include "tst_client_websocket.moc"
