// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RFC 6455, client side: a Tether::Client in raw mode against WsTestPeer (tests/support),
// which writes crafted frames in the spirit of the Autobahn client cases — framing
// (group 1), pings/pongs (2), reserved bits (3), reserved opcodes (4), fragmentation (5),
// UTF-8 (6), close handling (7), limits (9, 10) — and records what the client answers.
// Each row states the outcome RFC 6455 asks for; where QWebSocket 6.4 (the SDK's
// transport) does otherwise, the row asserts what it does and docs/security.md
// ("QWebSocket 6.4 deviations") says so and what the SDK does about it.
//
// Outcome string, checked exactly: "msg:<n>" per message received (its byte size), then
// what the client wrote back: "pong:<payload>" per pong, "close:<code>" for its close
// frame, "gone" when it dropped TCP without one; space-separated, each part in order.
#include "ws_test_peer.h"
#include "wait.h"

#include <Tether/Client>

#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

namespace {

enum Op : quint8 { Cont = 0x0, Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

QByteArray frame(quint8 opcode, const QByteArray &payload, bool fin = true, quint8 rsv = 0, bool mask = false)
{
    return WsTestPeer::serverFrame(opcode, payload, fin, rsv, mask);
}

constexpr qint64 kMaxIncoming = 70000;

} // namespace

class tst_ClientRfc6455 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void serverFrames_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        const QByteArray close1000 = frame(Close, WsTestPeer::closePayload(1000));
        // 1 framing
        QTest::addRow("1.1 text 0 bytes") << frame(Text, {}) + close1000 << "msg:0 close:1000";
        QTest::addRow("1.1 text 125 bytes") << frame(Text, QByteArray(125, 'a')) + close1000 << "msg:125 close:1000";
        QTest::addRow("1.1 text 126 bytes") << frame(Text, QByteArray(126, 'a')) + close1000 << "msg:126 close:1000";
        QTest::addRow("1.1 text 65535 bytes") << frame(Text, QByteArray(65535, 'a')) + close1000 << "msg:65535 close:1000";
        QTest::addRow("1.2 binary 65536 bytes") << frame(Binary, QByteArray(65536, 'b')) + close1000 << "msg:65536 close:1000";
        // 2 pings and pongs
        QTest::addRow("2.2 ping with payload") << frame(Ping, "hello") + close1000 << "pong:hello close:1000";
        QTest::addRow("2.3 ping 125 bytes") << frame(Ping, QByteArray(125, 'p')) + close1000 << QStringLiteral("pong:%1 close:1000").arg(QString(125, u'p'));
        QTest::addRow("2.5 ping 126 bytes (too long)") << frame(Ping, QByteArray(126, 'p')) << "close:1002";
        QTest::addRow("2.6 unsolicited pong") << frame(Pong, "x") + close1000 << "close:1000";
        // 3 reserved bits
        QTest::addRow("3.1 RSV1 on text") << frame(Text, "a", true, 4) << "close:1002";
        QTest::addRow("3.2 RSV2 on text") << frame(Text, "a", true, 2) << "close:1002";
        QTest::addRow("3.7 RSV on ping") << frame(Ping, "a", true, 7) << "close:1002";
        // 4 reserved opcodes
        QTest::addRow("4.1 data opcode 3") << frame(3, "a") << "close:1002";
        QTest::addRow("4.2 control opcode 11") << frame(11, "a") << "close:1002";
        // 5 fragmentation
        QTest::addRow("5.3 text in 2 fragments") << frame(Text, "ab", false) + frame(Cont, "cd") + close1000 << "msg:4 close:1000";
        QTest::addRow("5.6 ping between fragments") << frame(Text, "ab", false) + frame(Ping, "p") + frame(Cont, "cd") + close1000 << "msg:4 pong:p close:1000";
        QTest::addRow("5.1 fragmented ping") << frame(Ping, "a", false) + frame(Cont, "b") << "close:1002";
        QTest::addRow("5.9 continuation first") << frame(Cont, "a") << "close:1002";
        QTest::addRow("5.18 text during a fragment") << frame(Text, "a", false) + frame(Text, "b") << "close:1002";
        // 6 UTF-8
        QTest::addRow("6.3 invalid UTF-8 text") << frame(Text, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80") << "close:1007";
        // RFC 6455 §8.1: UTF-8 is checked on the whole message; a fragment may end inside a
        // character (Autobahn 6.2.3/6.2.4).
        QTest::addRow("6.2 UTF-8 character split across fragments")
            << frame(Text, "\xce", false) + frame(Cont, "\xba") + close1000 << "msg:2 close:1000";
        QTest::addRow("6.2 invalid UTF-8 across fragments")
            << frame(Text, "\xce", false) + frame(Cont, "a") << "close:1007";
        // 7 close handling
        QTest::addRow("7.1 close 1000") << close1000 << "close:1000";
        QTest::addRow("7.3 close with no payload") << frame(Close, {}) << "close:1000";
        QTest::addRow("7.3.2 close with 1 byte payload") << frame(Close, "a") << "close:1002";
        QTest::addRow("7.7 close 4001 (app)") << frame(Close, WsTestPeer::closePayload(4001)) << "close:4001";
        QTest::addRow("7.9 close 999 (invalid)") << frame(Close, WsTestPeer::closePayload(999)) << "close:1002";
        QTest::addRow("7.9 close 1005 (invalid on the wire)") << frame(Close, WsTestPeer::closePayload(1005)) << "close:1002";
        QTest::addRow("7.5 close reason invalid UTF-8") << frame(Close, WsTestPeer::closePayload(1000, "\xff")) << "close:1007";
        QTest::addRow("7.1.6 text after close") << close1000 + frame(Text, "late") << "close:1000";
        // 9, 10 limits (maxIncomingFrameSize = kMaxIncoming)
        QTest::addRow("9 frame over the limit") << frame(Binary, QByteArray(kMaxIncoming + 1, 'b')) << "close:1009";
        QTest::addRow("9 fragments over the limit") << frame(Binary, QByteArray(40000, 'b'), false) + frame(Cont, QByteArray(40000, 'b')) << "close:1009";
        // RFC 6455 §5.1: a client must close on a masked frame from the server.
        QTest::addRow("5.1 masked server frame") << frame(Text, "masked", true, 0, true) + close1000 << "close:1002";
        // 1.2 lengths in their 16- and 64-bit forms, a message in many fragments
        QTest::addRow("1.2 binary 16-bit length") << frame(Binary, QByteArray(300, 'b')) + close1000 << "msg:300 close:1000";
        QTest::addRow("5.x 100 fragments")
            << [] { QByteArray b = frame(Binary, "x", false); for (int i = 0; i < 98; ++i) b += frame(Cont, "x", false); return b + frame(Cont, "x") + frame(Close, WsTestPeer::closePayload(1000)); }()
            << "msg:100 close:1000";
        QTest::addRow("2.x ping of 0 bytes") << frame(Ping, {}) + close1000 << "pong: close:1000";
    }
    void serverFrames()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        WsTestPeer peer;
        QVERIFY(peer.listen());
        ClientOptions options;
        options.rawMode = true;
        options.maxIncomingFrameSize = kMaxIncoming;
        Client client(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(peer.port())), options);
        QStringList messages, outcome;
        connect(&client, &Client::messageReceived, this, [&](const Message &m) {
            messages << QStringLiteral("msg:%1").arg(m.toByteArray().size());
        });
        client.open();
        QVERIFY(peer.waitUpgraded(5000));
        QVERIFY(waitUntil([&] { return client.state() == State::Connected; }, 5000));
        peer.write(bytes);
        qsizetype seen = 0;
        bool ended = false;
        waitUntil([&] {
            for (; seen < peer.received().size(); ++seen) {
                const WsTestPeer::ClientFrame &f = peer.received().at(seen);
                if (f.opcode == Pong)
                    outcome << QStringLiteral("pong:") + QString::fromLatin1(f.payload);
                else if (f.opcode == Close) {
                    outcome << QStringLiteral("close:%1").arg(f.closeCode());
                    ended = true;
                }
            }
            if (!ended && peer.clientDisconnected()) {
                outcome << QStringLiteral("gone");
                ended = true;
            }
            return ended;
        }, 3000);
        QVERIFY(!peer.sawUnmaskedFrame());
        QCOMPARE((messages + outcome).join(u' '), expected);
    }
};

QTEST_GUILESS_MAIN(tst_ClientRfc6455)
#include "tst_client_rfc6455.moc"
