// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Bad input (issue 5): malformed frames of both codecs, wrong types, invalid UTF-8, a
// 100 MB length header, garbage instead of frames or HTTP, protocol-level WebSocket
// violations. Every row must end the offending connection the documented way, and after
// every test the server must still be running and serving a canary client.
#include "conformance.h"
#include "raw_tcp_client.h"

#include <QtCore/QFile>
#include <QtCore/QRandomGenerator>

using namespace Conformance;

namespace {

QByteArray cbor(const QCborValue &value)
{
    return value.toCbor();
}

QByteArray randomBytes(int n, quint32 seed)
{
    QRandomGenerator random(seed);
    QByteArray bytes(n, Qt::Uninitialized);
    for (char &b : bytes)
        b = char(random.bounded(256));
    return bytes;
}

} // namespace

class tst_ServerBadInput : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        START_SERVER(m_server);
        CHECK_OK(openSession(m_canary, m_server.url(), Codec::Cbor));
    }

    // The server survives everything and keeps serving the client that behaves.
    void cleanup()
    {
        QVERIFY2(m_server.isRunning(), m_server.stderrTail().right(2000).constData());
        QVERIFY2(m_canary.isConnected(), "the canary client lost its connection");
        CHECK_OK(expectResult(m_canary.request(QStringLiteral("echo"), QCborValue(QStringLiteral("still here")))));
    }

    void malformedFrame_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<bool>("binary");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("error");  // empty: any error code (still error + 4400)
        const QString bad = QStringLiteral("bad_frame");
        auto json = [&](const char *name, const QByteArray &text, const QString &code) {
            QTest::addRow("json %s", name) << Codec::Json << false << text << code;
        };
        json("not json", "hello?", bad);
        json("truncated object", R"({"t":"msg","seq":1)", bad);
        json("array", "[1,2,3]", bad);
        json("string", R"("msg")", bad);
        json("number", "42", bad);
        json("empty frame", "", bad);
        json("no t", R"({"seq":1,"d":1})", bad);
        json("t a number", R"({"t":5})", bad);
        json("t null", R"({"t":null})", bad);
        json("unknown t", R"({"t":"bonjour","d":1})", bad);
        json("msg seq a string", R"({"t":"msg","seq":"1","d":1})", bad);
        json("msg seq negative", R"({"t":"msg","seq":-1,"d":1})", bad);
        json("msg seq fraction", R"({"t":"msg","seq":1.5,"d":1})", bad);
        json("msg seq 1e300", R"({"t":"msg","seq":1e300,"d":1})", bad);
        json("msg seq null", R"({"t":"msg","seq":null,"d":1})", bad);
        json("msg seq beyond 2^53", R"({"t":"msg","seq":9007199254740993,"d":1})", QString());
        json("msg without d", R"({"t":"msg","seq":1,"id":"a"})", bad);
        json("msg id a number", R"({"t":"msg","seq":1,"id":7,"d":1})", bad);
        json("msg ch null", R"({"t":"msg","ch":null,"d":1})", bad);
        json("msg ch an array", R"({"t":"msg","ch":["a"],"d":1})", bad);
        json("req without m", R"({"t":"req","id":1})", bad);
        json("req without id", R"({"t":"req","m":"echo"})", bad);
        json("req id a string", R"({"t":"req","id":"1","m":"echo"})", bad);
        json("req id negative", R"({"t":"req","id":-1,"m":"echo"})", bad);
        json("req m a number", R"({"t":"req","id":1,"m":3})", bad);
        json("sub without ch", R"({"t":"sub","id":1})", bad);
        json("sub ch a number", R"({"t":"sub","id":1,"ch":3})", bad);
        json("unsub without id", R"({"t":"unsub","ch":"a"})", bad);
        json("ack seq a string", R"({"t":"ack","seq":"x"})", bad);
        json("ack without seq", R"({"t":"ack"})", bad);
        json("d nested 10000 deep",
             "{\"t\":\"msg\",\"d\":" + QByteArray(10000, '[') + QByteArray(10000, ']') + "}", bad);
        json("two objects in one frame", R"({"t":"ack","seq":0}{"t":"ack","seq":0})", bad);
        QTest::addRow("json binary frame") << Codec::Json << true
                                           << cbor(QCborMap{{QStringLiteral("t"), QStringLiteral("ack")},
                                                            {QStringLiteral("seq"), 0}})
                                           << bad;

        auto binary = [&](const char *name, const QByteArray &bytes, const QString &code) {
            QTest::addRow("cbor %s", name) << Codec::Cbor << true << bytes << code;
        };
        const QByteArray msg = cbor(msgFrame(1, QCborValue(QStringLiteral("payload")), QStringLiteral("id-1")));
        binary("garbage", QByteArray("\xff\xfe\xfd\xfc", 4), bad);
        binary("empty frame", QByteArray(), bad);
        binary("truncated map", msg.left(msg.size() / 2), bad);
        binary("trailing bytes", msg + QByteArray(1, '\0'), bad);
        binary("array", cbor(QCborArray{1, 2}), bad);
        binary("integer keys", cbor(QCborMap{{1, QStringLiteral("msg")}}), bad);
        binary("t a byte string", cbor(QCborMap{{QStringLiteral("t"), QByteArray("msg")}}), bad);
        binary("seq negative", cbor(QCborMap{{QStringLiteral("t"), QStringLiteral("msg")},
                                             {QStringLiteral("seq"), -1}, {QStringLiteral("d"), 1}}), bad);
        binary("seq a float", cbor(QCborMap{{QStringLiteral("t"), QStringLiteral("msg")},
                                            {QStringLiteral("seq"), 1.5}, {QStringLiteral("d"), 1}}), bad);
        binary("seq a string", cbor(QCborMap{{QStringLiteral("t"), QStringLiteral("msg")},
                                             {QStringLiteral("seq"), QStringLiteral("1")}, {QStringLiteral("d"), 1}}), bad);
        binary("req id a tag", cbor(QCborMap{{QStringLiteral("t"), QStringLiteral("req")},
                                             {QStringLiteral("id"), QCborValue(QCborKnownTags::PositiveBignum, QByteArray("\x01", 1))},
                                             {QStringLiteral("m"), QStringLiteral("echo")}}), bad);
        // {"t":"msg","d": <text string claiming 2^60 bytes>}: must not allocate it.
        binary("string length 2^60",
               QByteArray("\xa2\x61t\x63msg\x61" "d\x7b\x10\x00\x00\x00\x00\x00\x00\x00xx", 18), bad);
        binary("array length 2^60",
               QByteArray("\xa2\x61t\x63msg\x61" "d\x9b\x10\x00\x00\x00\x00\x00\x00\x00\x01", 18), bad);
        binary("map length 2^60", QByteArray("\xbb\x10\x00\x00\x00\x00\x00\x00\x00\x61t", 11), bad);
        binary("invalid UTF-8 text string",
               QByteArray("\xa2\x61t\x63msg\x61" "d\x62\xff\xfe", 11), bad);
        binary("d nested 10000 deep (indefinite arrays)",
               QByteArray("\xa2\x61t\x63msg\x61" "d", 8) + QByteArray(10000, '\x9f') + QByteArray(10000, '\xff'), bad);
        QTest::addRow("cbor text frame") << Codec::Cbor << false << QByteArray(R"({"t":"ack","seq":0})") << bad;
    }
    void malformedFrame()
    {
        QFETCH(Codec, codec);
        QFETCH(bool, binary);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, error);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        if (binary)
            c.sendBinary(bytes);
        else
            c.sendText(bytes);
        CHECK_OK(expectErrorThenClose(c, error, 4400));
    }

    // QWebSocket cannot send invalid UTF-8 in a text frame: write the frame by hand.
    void invalidUtf8InTextFrame_data()
    {
        QTest::addColumn<bool>("afterHello");
        QTest::addColumn<QByteArray>("payload");
        QTest::addRow("as first frame") << false << QByteArray("{\"t\":\"hello\",\"v\":1,\"agent\":\"\xff\xfe\"}");
        QTest::addRow("in msg d") << true << QByteArray("{\"t\":\"msg\",\"seq\":1,\"d\":\"\xc3\x28\"}");
        QTest::addRow("overlong encoding") << true << QByteArray("{\"t\":\"msg\",\"d\":\"\xc0\xaf\"}");
        QTest::addRow("surrogate half") << true << QByteArray("{\"t\":\"msg\",\"d\":\"\xed\xa0\x80\"}");
        QTest::addRow("truncated sequence at end") << true << QByteArray("{\"t\":\"msg\",\"d\":\"a\"}\xe2\x82");
    }
    void invalidUtf8InTextFrame()
    {
        QFETCH(bool, afterHello);
        QFETCH(QByteArray, payload);
        RawTcpClient raw;
        QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                            {subprotocolName(Codec::Json)}, kDefaultWaitMs));
        if (afterHello) {
            raw.write(WsWire::clientFrame(WsWire::Text, R"({"t":"hello","v":1})"));
            QVERIFY(raw.nextFrame(kDefaultWaitMs));
        }
        raw.write(WsWire::clientFrame(WsWire::Text, payload));
        const int code = raw.waitCloseCode(kDefaultWaitMs);
        // README: bad_frame + 4400; RFC 6455 §8.1 allows the WebSocket layer's 1007.
        QVERIFY2(code == 4400 || code == 1007, qPrintable(QString::number(code)));
    }

    // A header claiming 100 MB: closed with 1009 at once, without buffering 100 MB.
    void hugeLengthHeader_data()
    {
        QTest::addColumn<bool>("afterHello");
        QTest::addColumn<int>("opcode");
        QTest::addRow("binary, as first frame") << false << int(WsWire::Binary);
        QTest::addRow("text, after hello") << true << int(WsWire::Text);
        QTest::addRow("binary, after hello") << true << int(WsWire::Binary);
        QTest::addRow("continuation of a fragment") << true << int(WsWire::Continuation);
    }
    void hugeLengthHeader()
    {
        QFETCH(bool, afterHello);
        QFETCH(int, opcode);
        constexpr qint64 kClaimed = 100 * 1000 * 1000;
        const qint64 rssBefore = rssBytes(m_server.pid());
        RawTcpClient raw;
        QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                            {subprotocolName(Codec::Cbor)}, kDefaultWaitMs));
        if (afterHello) {
            raw.write(WsWire::clientFrame(WsWire::Binary, encodeFrame(helloFrame(), Codec::Cbor)));
            QVERIFY(raw.nextFrame(kDefaultWaitMs));
        }
        if (opcode == WsWire::Continuation)
            raw.write(WsWire::clientFrame(WsWire::Binary, QByteArray(10, 'a'), false));
        // The claimed payload starts, 256 KiB of it; the rest never comes.
        raw.write(WsWire::clientFrame(quint8(opcode), QByteArray(256 * 1024, 'x'), true, kClaimed));
        QElapsedTimer clock;
        clock.start();
        const int code = raw.waitCloseCode(kDefaultWaitMs);
        QVERIFY2(code == 1009, qPrintable(QString::number(code)));
        QVERIFY2(clock.elapsed() < 3000, qPrintable(QString::number(clock.elapsed())));
        const qint64 rssAfter = rssBytes(m_server.pid());
        QVERIFY2(rssAfter - rssBefore < 20 * 1024 * 1024,
                 qPrintable(QStringLiteral("server RSS grew by %1 bytes").arg(rssAfter - rssBefore)));
    }

    // Many small fragments adding up to more than --max-frame (default 1 MiB): 1009 too.
    void fragmentsOverMaxFrame()
    {
        RawTcpClient raw;
        QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                            {subprotocolName(Codec::Json)}, kDefaultWaitMs));
        raw.write(WsWire::clientFrame(WsWire::Text, R"({"t":"hello","v":1})"));
        QVERIFY(raw.nextFrame(kDefaultWaitMs));
        const QByteArray chunk(64 * 1024, ' ');
        raw.write(WsWire::clientFrame(WsWire::Text, "{\"t\":\"msg\",\"d\":\"", false));
        for (int i = 0; i < 20; ++i)
            raw.write(WsWire::clientFrame(WsWire::Continuation, chunk, false));
        QCOMPARE(raw.waitCloseCode(kDefaultWaitMs), 1009);
    }

    // Fragmentation is legal WebSocket: a hello in three fragments with a ping between them.
    void fragmentedHelloIsAccepted()
    {
        RawTcpClient raw;
        QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                            {subprotocolName(Codec::Json)}, kDefaultWaitMs));
        raw.write(WsWire::clientFrame(WsWire::Text, R"({"t":"hel)", false));
        raw.write(WsWire::clientFrame(WsWire::Ping, "mid-message ping"));
        raw.write(WsWire::clientFrame(WsWire::Continuation, R"(lo","v")", false));
        raw.write(WsWire::clientFrame(WsWire::Continuation, R"(:1})", true));
        const std::optional<WsWire::ServerFrame> frame = raw.nextFrame(kDefaultWaitMs);
        QVERIFY(frame);
        // JSON welcome: a text message in v1, binary in v1.1 (docs/protocol.md §10.2).
        QCOMPARE(frame->opcode, quint8(testingV11() ? WsWire::Binary : WsWire::Text));
        const std::optional<QCborMap> welcome = decodeFrame(frame->payload, false);
        QVERIFY2(welcome && frameType(*welcome) == QLatin1StringView("welcome"), frame->payload.constData());
    }

    // Bytes that are not WebSocket frames, or a frame RFC 6455 forbids: the connection ends.
    void webSocketViolation_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addRow("random bytes") << randomBytes(4096, 1);
        QByteArray unmasked = WsWire::clientFrame(WsWire::Text, R"({"t":"hello","v":1})");
        unmasked[1] = char(quint8(unmasked[1]) & 0x7f);  // clear the MASK bit
        unmasked.remove(2, 4);
        for (int i = 2; i < unmasked.size(); ++i)
            unmasked[i] = R"({"t":"hello","v":1})"[i - 2];
        if (knownGapsEnabled())  // known gap: lws 4.1 accepts unmasked client frames
            QTest::addRow("unmasked client frame") << unmasked;
        QTest::addRow("reserved opcode 0x3") << WsWire::clientFrame(0x3, "x");
        QByteArray rsv = WsWire::clientFrame(WsWire::Text, R"({"t":"hello","v":1})");
        rsv[0] = char(quint8(rsv[0]) | 0x40);  // RSV1 without an extension
        QTest::addRow("RSV1 set") << rsv;
        QTest::addRow("fragmented ping") << WsWire::clientFrame(WsWire::Ping, "x", false);
        QTest::addRow("ping over 125 bytes") << WsWire::clientFrame(WsWire::Ping, QByteArray(126, 'p'));
        QTest::addRow("continuation without start") << WsWire::clientFrame(WsWire::Continuation, "x");
    }
    void webSocketViolation()
    {
        QFETCH(QByteArray, bytes);
        RawTcpClient raw;
        QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                            {subprotocolName(Codec::Json)}, kDefaultWaitMs));
        raw.write(bytes);
        const int code = raw.waitCloseCode(kDefaultWaitMs);
        QVERIFY2(code != -1, "the connection is still open");
        QVERIFY2(code != 1000, "a violation closed as if all were well");
    }

    // Not even HTTP: the server drops the connection (or answers 4xx) and carries on.
    void garbageInsteadOfHttp_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addRow("random bytes") << randomBytes(4096, 2);
        QTest::addRow("endless header line") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(64 * 1024, 'a');
        QTest::addRow("not an upgrade") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        if (knownGapsEnabled())  // known gap: lws 4.1 upgrades any Sec-WebSocket-Version
            QTest::addRow("unknown websocket version 99")
            << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n"
                          "Sec-WebSocket-Protocol: tether.v1.json\r\n\r\n");
    }
    void garbageInsteadOfHttp()
    {
        QFETCH(QByteArray, bytes);
        QTcpSocket socket;
        QByteArray answer;
        connect(&socket, &QTcpSocket::readyRead, &socket, [&] { answer += socket.readAll(); });
        socket.connectToHost(m_server.host(), m_server.port());
        socket.write(bytes);
        // A 4xx answer is a complete refusal: HTTP keep-alive may then hold the socket open
        // for the server's idle timeout, which is no business of this test.
        const auto refused = [&] {
            return socket.state() == QAbstractSocket::UnconnectedState
                || (answer.startsWith("HTTP/1.1 4") && answer.contains("\r\n\r\n"));
        };
        QVERIFY2(waitUntil(refused, kDefaultWaitMs), answer.left(200).constData());
        QVERIFY2(!answer.startsWith("HTTP/1.1 101"), answer.left(200).constData());
    }

    // A client that vanishes mid-frame leaves nothing behind.
    void droppedMidFrame()
    {
        for (int i = 0; i < 20; ++i) {
            RawTcpClient raw;
            QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                                {subprotocolName(Codec::Cbor)}, kDefaultWaitMs));
            raw.write(WsWire::clientFrame(WsWire::Binary, encodeFrame(helloFrame(), Codec::Cbor)));
            QVERIFY(raw.nextFrame(kDefaultWaitMs));
            const QByteArray frame = WsWire::clientFrame(WsWire::Binary, QByteArray(1000, 'z'));
            raw.write(frame.left(i * 40 + 1));
            raw.socket().flush();
            raw.socket().abort();
        }
    }

private:
    ServerProcess m_server;
    RawClient m_canary;
};

QTEST_GUILESS_MAIN(tst_ServerBadInput)
#include "tst_server_bad_input.moc"
