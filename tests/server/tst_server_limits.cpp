// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: limits and operations (issue 5 "Auth, limits, bad input"; docs/protocol.md §1,
// §7, §8): --max-frame (announced, larger -> 1009), rate limit (rate_limited + retryAfter,
// then 4029), connection limits (4013), session buffer overflow (4008), server pings and
// dead-peer detection, SIGTERM -> 1001 to every client and exit 0, and /raw echo and sink.
#include "conformance.h"
#include "raw_tcp_client.h"

using namespace Conformance;

namespace {

constexpr int kMaxFrame = 4096;

// A msg frame padded so that its encoding is exactly `size` bytes in `codec`.
QCborMap msgOfSize(qsizetype size, Codec codec, quint64 seq)
{
    qsizetype padding = size;
    for (int attempt = 0; attempt < 8; ++attempt) {
        const QCborMap frame = msgFrame(seq, QCborValue(QString(padding, QLatin1Char('x'))),
                                        QStringLiteral("big%1").arg(seq));
        const qsizetype actual = encodeFrame(frame, codec).size();
        if (actual == size)
            return frame;
        padding += size - actual;
    }
    return {};
}

} // namespace

class tst_ServerLimits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server.setExtraArgs({QStringLiteral("--max-frame"), QString::number(kMaxFrame),
                               QStringLiteral("--rate"), QStringLiteral("50"),
                               QStringLiteral("--burst"), QStringLiteral("50"),
                               QStringLiteral("--session-buffer"), QStringLiteral("10")});
        START_SERVER(m_server);
    }

    // A frame of exactly maxFrame bytes is accepted; one byte more closes with 1009.
    void maxFrameBoundary_data() { addCodecColumn(); }
    void maxFrameBoundary()
    {
        QFETCH(Codec, codec);
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, m_server.url(), codec, &welcome));
        QCOMPARE(uintField(welcome, QLatin1StringView("maxFrame")), quint64(kMaxFrame));
        const QCborMap fits = msgOfSize(kMaxFrame, codec, 1);
        QVERIFY(!fits.isEmpty());
        c.sendFrame(fits);
        QVERIFY2(c.waitForType(QStringLiteral("ack")), qPrintable(c.errorString()));
        const QCborMap tooBig = msgOfSize(kMaxFrame + 1, codec, 2);
        QVERIFY(!tooBig.isEmpty());
        c.sendFrame(tooBig);
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("frame_too_large"), 1009));
    }

    // Far over the limit, and before hello too.
    void oversizeFrameCloses1009_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<bool>("afterHello");
        QTest::addColumn<int>("size");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s 64 KiB after hello", codecName(codec)) << codec << true << 65536;
            QTest::addRow("%s 1 MiB after hello", codecName(codec)) << codec << true << (1 << 20);
            QTest::addRow("%s 64 KiB as first frame", codecName(codec)) << codec << false << 65536;
        }
    }
    void oversizeFrameCloses1009()
    {
        QFETCH(Codec, codec);
        QFETCH(bool, afterHello);
        QFETCH(int, size);
        RawClient c;
        if (afterHello)
            CHECK_OK(openSession(c, m_server.url(), codec));
        else
            QVERIFY(c.openTether(m_server.url(), codec));
        c.sendFrame(msgOfSize(size, codec, 1));
        CHECK_OK(expectClose(c, 1009));
    }

    // --rate 50 --burst 50: a burst of 80 frames is refused with rate_limited (retryAfter)
    // then 4029; a calm client on the same server is not affected.
    void rateLimit_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QString>("kind");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s at-most-once msgs", codecName(codec)) << codec << QStringLiteral("msg");
            QTest::addRow("%s requests", codecName(codec)) << codec << QStringLiteral("req");
            QTest::addRow("%s subs", codecName(codec)) << codec << QStringLiteral("sub");
        }
    }
    void rateLimit()
    {
        QFETCH(Codec, codec);
        QFETCH(QString, kind);
        RawClient calm, flood;
        CHECK_OK(openSession(calm, m_server.url(), codec));
        CHECK_OK(openSession(flood, m_server.url(), codec));
        for (int i = 1; i <= 80; ++i) {
            if (kind == QLatin1StringView("msg"))
                flood.sendFrame(msgFrame(std::nullopt, QCborValue(i)));
            else if (kind == QLatin1StringView("req"))
                flood.sendFrame(reqFrame(quint64(i), QStringLiteral("echo"), QCborValue(i)));
            else
                flood.sendFrame(subFrame(quint64(i), QStringLiteral("rate-%1-%2")
                                                         .arg(QLatin1StringView(codecName(codec)))
                                                         .arg(i)));
        }
        const std::optional<QCborMap> error = flood.waitForType(QStringLiteral("error"));
        QVERIFY2(error, qPrintable(flood.errorString()));
        QVERIFY2(stringField(*error, QLatin1StringView("code")) == QStringLiteral("rate_limited"),
                 describe(*error).constData());
        const std::optional<quint64> retryAfter = uintField(*error, QLatin1StringView("retryAfter"));
        QVERIFY2(retryAfter && *retryAfter > 0 && *retryAfter <= 60000, describe(*error).constData());
        CHECK_OK(expectClose(flood, 4029));
        for (int i = 0; i < 10; ++i)
            CHECK_OK(expectResult(calm.request(QStringLiteral("echo"), QCborValue(i))));
    }

    // --session-buffer 10: an attached session holding more unacked server messages is
    // dropped with buffer_overflow + 4008; acked messages do not count.
    void sessionBufferOverflowAttached()
    {
        RawClient acking, hoarding;
        CHECK_OK(openSession(acking, m_server.url(), Codec::Json));
        for (int round = 0; round < 3; ++round) {
            CHECK_OK(expectResult(acking.request(QStringLiteral("push"), QCborMap{{QStringLiteral("count"), 8}})));
            for (int i = 0; i < 8; ++i)
                QVERIFY(acking.waitForType(QStringLiteral("msg")));
            acking.sendFrame(ackFrame(quint64((round + 1) * 8)));
        }
        QVERIFY(acking.isConnected());

        CHECK_OK(openSession(hoarding, m_server.url(), Codec::Json));
        hoarding.sendFrame(reqFrame(1, QStringLiteral("push"), QCborMap{{QStringLiteral("count"), 11}}));
        CHECK_OK(expectErrorThenClose(hoarding, QStringLiteral("buffer_overflow"), 4008));
    }

    // A detached session whose buffer overflows is forgotten: the next hello is a new session.
    void sessionBufferOverflowDetached()
    {
        const QString ch = QStringLiteral("overflow");
        RawClient sleeper;
        QCborMap welcome;
        CHECK_OK(openSession(sleeper, m_server.url(), Codec::Cbor, &welcome));
        CHECK_OK(subscribe(sleeper, ch));
        sleeper.abort();
        RawClient publisher;
        CHECK_OK(openSession(publisher, m_server.url(), Codec::Cbor));
        for (quint64 seq = 1; seq <= 11; ++seq)
            publisher.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("o%1").arg(seq), ch));
        QVERIFY(publisher.waitFor([](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("ack") && uintField(f, QLatin1StringView("seq")) == 11u;
        }));
        RawClient back;
        QCborMap again;
        CHECK_OK(openSession(back, m_server.url(), Codec::Cbor, &again,
                             resumeHello(stringField(welcome, QLatin1StringView("sid")).value_or(QString()), 0)));
        QCOMPARE(boolField(again, QLatin1StringView("resumed")), false);
    }

    // --max-connections / --max-per-ip: one more is refused with server_full + 4013.
    void connectionLimits_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addRow("--max-connections 3") << QStringLiteral("--max-connections");
        QTest::addRow("--max-per-ip 3") << QStringLiteral("--max-per-ip");
    }
    void connectionLimits()
    {
        QFETCH(QString, flag);
        ServerProcess small({flag, QStringLiteral("3")});
        START_SERVER(small);
        RawClient clients[3];
        for (RawClient &c : clients)
            CHECK_OK(openSession(c, small.url(), Codec::Json));
        // 4013, a temporary code (docs/protocol.md §8: 4000-4399), not 1013: Qt 6.4's QWebSocket
        // rejects 1012-1014 as invalid close codes and would report 1002. Read on the wire...
        RawTcpClient extra;
        QVERIFY2(extra.upgrade(small.host(), small.port(), QStringLiteral("/"),
                               {subprotocolName(Codec::Json)}, kDefaultWaitMs),
                 extra.responseHead().constData());
        const std::optional<WsWire::ServerFrame> frame = extra.nextFrame(kDefaultWaitMs);
        QVERIFY(frame && frame->opcode == WsWire::Text);
        const std::optional<QCborMap> error = decodeFrame(frame->payload, false);
        QVERIFY(error && frameType(*error) == QLatin1StringView("error"));
        QCOMPARE(stringField(*error, QLatin1StringView("code")), QStringLiteral("server_full"));
        QCOMPARE(uintField(*error, QLatin1StringView("retryAfter")), quint64(1000));
        QCOMPARE(extra.waitCloseCode(kDefaultWaitMs), 4013);
        // ... and as QWebSocket (the SDK's transport) sees it.
        RawClient viaQt;
        QVERIFY2(viaQt.openTether(small.url(), Codec::Cbor), qPrintable(viaQt.errorString()));
        CHECK_OK(expectErrorThenClose(viaQt, QStringLiteral("server_full"), 4013));
        // A slot frees up when a client leaves.
        clients[0].close();
        QVERIFY(clients[0].waitClosed());
        RawClient later;
        QVERIFY(waitUntil([&] { return openSession(later, small.url(), Codec::Json).isEmpty(); }, 3000));
    }

    // --ping-interval 150: the server pings; a peer that answers (and sends nothing else)
    // stays connected, one that never answers nor sends anything is dropped after about
    // 2 x 150 ms, its session detached (it resumes).
    void serverPingsAndDropsDeadPeers()
    {
        ServerProcess pinging({QStringLiteral("--ping-interval"), QStringLiteral("150")});
        START_SERVER(pinging);
        RawClient idleQt;  // QWebSocket answers pings by itself
        CHECK_OK(openSession(idleQt, pinging.url(), Codec::Json));

        auto rawSession = [&](RawTcpClient &raw, QCborMap *welcome) {
            if (!raw.upgrade(pinging.host(), pinging.port(), QStringLiteral("/"),
                             {subprotocolName(Codec::Json)}, kDefaultWaitMs))
                return QStringLiteral("upgrade failed: ") + QString::fromUtf8(raw.responseHead());
            raw.write(WsWire::clientFrame(WsWire::Text, encodeFrame(helloFrame(), Codec::Json)));
            const std::optional<WsWire::ServerFrame> frame = raw.nextFrame(kDefaultWaitMs);
            const std::optional<QCborMap> decoded =
                frame ? decodeFrame(frame->payload, false) : std::nullopt;
            if (!decoded || frameType(*decoded) != QLatin1StringView("welcome"))
                return QStringLiteral("no welcome");
            *welcome = *decoded;
            return QString();
        };
        RawTcpClient answering, dead;
        QCborMap answeringWelcome, deadWelcome;
        CHECK_OK(rawSession(answering, &answeringWelcome));
        CHECK_OK(rawSession(dead, &deadWelcome));
        dead.setAnswerPings(false);

        QElapsedTimer clock;
        clock.start();
        QCOMPARE(dead.waitCloseCode(3000), 1006);  // dropped, no close frame
        QVERIFY2(clock.elapsed() >= 250, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(dead.pingsReceived() >= 1);

        // Healthy peers stay: keep the answering peer's pongs flowing for a second (six ping
        // intervals): it must still be there, and so must an idle QWebSocket.
        QCOMPARE(answering.waitCloseCode(1000), -1);
        QVERIFY2(answering.pingsReceived() >= 3, qPrintable(QString::number(answering.pingsReceived())));
        QVERIFY2(idleQt.isConnected(),
                 qPrintable(QStringLiteral("an idle QWebSocket (it answers pings) was dropped, "
                                           "close code %1").arg(idleQt.closeCode())));
        CHECK_OK(expectResult(idleQt.request(QStringLiteral("echo"), QCborValue(1))));

        // Dropped, not forgotten: the session resumes.
        RawClient back;
        QCborMap resumed;
        CHECK_OK(openSession(back, pinging.url(), Codec::Json, &resumed,
                             resumeHello(stringField(deadWelcome, QLatin1StringView("sid")).value_or(QString()), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
    }

    // SIGTERM: every client (sessions of both codecs, a raw client, a connection that has
    // not said hello) gets close 1001, and the server exits 0.
    void sigtermCloses1001AndExits0()
    {
        ServerProcess doomed;
        START_SERVER(doomed);
        RawClient json, cbor, raw, silent;
        CHECK_OK(openSession(json, doomed.url(), Codec::Json));
        CHECK_OK(openSession(cbor, doomed.url(), Codec::Cbor));
        QVERIFY(raw.open(doomed.url(QStringLiteral("/raw"))));
        QVERIFY(silent.openTether(doomed.url(), Codec::Json));
        QVERIFY2(doomed.stop(), qPrintable(doomed.errorString()));
        QCOMPARE(doomed.exitCode(), 0);
        for (RawClient *c : {&json, &cbor, &raw, &silent})
            CHECK_OK(expectClose(*c, 1001));
    }

    void rawEchoesFrames()
    {
        ServerProcess plain;  // default --max-frame (1 MiB): room for a large raw frame
        START_SERVER(plain);
        RawClient c;
        QVERIFY2(c.open(plain.url(QStringLiteral("/raw"))), qPrintable(c.errorString()));
        QCOMPARE(c.subprotocol(), QString());
        c.sendText("plain text, no envelope");
        const QByteArray binary("\x00\xff\x10 binary", 10);
        c.sendBinary(binary);
        const QByteArray large(200 * 1000, 'L');
        c.sendBinary(large);
        const std::optional<RawClient::Frame> text = c.nextRaw();
        QVERIFY2(text, qPrintable(c.errorString()));
        QVERIFY(!text->binary);
        QCOMPARE(text->bytes, QByteArray("plain text, no envelope"));
        const std::optional<RawClient::Frame> bin = c.nextRaw();
        QVERIFY(bin && bin->binary);
        QCOMPARE(bin->bytes, binary);
        const std::optional<RawClient::Frame> big = c.nextRaw();
        QVERIFY(big && big->binary);
        QCOMPARE(big->bytes.size(), large.size());
        QVERIFY(big->bytes == large);
    }

    void rawSinkNeverAnswers()
    {
        RawClient c;
        QVERIFY2(c.open(m_server.url(QStringLiteral("/raw?sink"))), qPrintable(c.errorString()));
        for (int i = 0; i < 100; ++i)
            c.sendText("into the sink");
        QVERIFY(c.expectSilence(200));
        QVERIFY(c.isConnected());
    }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerLimits)
#include "tst_server_limits.moc"
