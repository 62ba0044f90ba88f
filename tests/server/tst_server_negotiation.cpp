// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: subprotocol negotiation (docs/protocol.md §1), hello/welcome and the hello rules
// (§2, §3), heartbeats answered (§7).
#include "conformance.h"
#include "raw_tcp_client.h"

using namespace Conformance;

class tst_ServerNegotiation : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server.setExtraArgs({QStringLiteral("--heartbeat"), QStringLiteral("7000"),
                               QStringLiteral("--max-frame"), QStringLiteral("500000"),
                               QStringLiteral("--session-ttl"), QStringLiteral("90000"),
                               QStringLiteral("--hello-timeout"), QStringLiteral("400")});
        START_SERVER(m_server);
    }

    void picksAnOfferedTetherSubprotocol_data()
    {
        QTest::addColumn<QStringList>("offered");
        QTest::addColumn<QString>("expected");
        const QString json = subprotocolName(Codec::Json);
        const QString cbor = subprotocolName(Codec::Cbor);
        QTest::addRow("json only") << QStringList{json} << json;
        QTest::addRow("cbor only") << QStringList{cbor} << cbor;
        QTest::addRow("json then cbor: first offered") << QStringList{json, cbor} << json;
        QTest::addRow("cbor then json: first offered") << QStringList{cbor, json} << cbor;
        QTest::addRow("unknown one skipped")
            << QStringList{QStringLiteral("chat.v2"), cbor} << cbor;
    }
    void picksAnOfferedTetherSubprotocol()
    {
        QFETCH(QStringList, offered);
        QFETCH(QString, expected);
        RawClient c;
        QVERIFY2(c.open(m_server.url(), offered), qPrintable(c.errorString()));
        QCOMPARE(c.subprotocol(), expected);
    }

    // docs/protocol.md §1: refused with HTTP 400, or accepted and closed at once with 4400.
    void refusesClientOfferingNoTetherSubprotocol_data()
    {
        QTest::addColumn<QStringList>("offered");
        QTest::addRow("none") << QStringList{};
        QTest::addRow("another protocol") << QStringList{QStringLiteral("mqtt")};
        QTest::addRow("a future version") << QStringList{QStringLiteral("tether.v2.json")};
        QTest::addRow("case differs") << QStringList{QStringLiteral("Tether.V1.Json")};
    }
    void refusesClientOfferingNoTetherSubprotocol()
    {
        QFETCH(QStringList, offered);
        RawTcpClient raw;
        const bool upgraded = raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                                          offered, kDefaultWaitMs);
        if (upgraded) {
            QCOMPARE(raw.waitCloseCode(kDefaultWaitMs), 4400);
        } else {
            QVERIFY2(raw.httpStatus() == 400, raw.responseHead().constData());
        }
        // The same through QWebSocket: no connection results.
        RawClient c;
        if (c.open(m_server.url(), offered))
            CHECK_OK(expectClose(c, 4400));
    }

    void welcomeAnnouncesSession_data() { addCodecColumn(); }
    void welcomeAnnouncesSession()
    {
        QFETCH(Codec, codec);
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, m_server.url(), codec, &welcome));
        QVERIFY2(c.lastTakenAt() != RawClient::Clock::time_point(), "no time stamp");
        QCOMPARE(uintField(welcome, QLatin1StringView("v")), quint64(1));
        const std::optional<QString> sid = stringField(welcome, QLatin1StringView("sid"));
        QVERIFY2(sid && !sid->isEmpty(), describe(welcome).constData());
        QCOMPARE(boolField(welcome, QLatin1StringView("resumed")), false);
        QCOMPARE(uintField(welcome, QLatin1StringView("rx")), quint64(0));
        QCOMPARE(uintField(welcome, QLatin1StringView("hb")), quint64(7000));
        QCOMPARE(uintField(welcome, QLatin1StringView("maxFrame")), quint64(500000));
        QCOMPARE(uintField(welcome, QLatin1StringView("ttl")), quint64(90000));
        // No field of the welcome is null (docs/protocol.md §2).
        for (auto it = welcome.cbegin(); it != welcome.cend(); ++it)
            QVERIFY2(!it.value().isNull() && !it.value().isUndefined(), describe(welcome).constData());
    }

    // Each codec answers in its own frame kind: text for JSON, binary for CBOR.
    void framesUseTheCodecsFrameKind_data() { addCodecColumn(); }
    void framesUseTheCodecsFrameKind()
    {
        QFETCH(Codec, codec);
        RawClient c;
        QVERIFY(c.openTether(m_server.url(), codec));
        c.sendFrame(helloFrame());
        const std::optional<RawClient::Frame> frame = c.nextRaw();
        QVERIFY2(frame, qPrintable(c.errorString()));
        QCOMPARE(frame->binary, codec == Codec::Cbor);
    }

    // Hand-written JSON proves the server reads the text of docs/protocol.md, not just our codec.
    void handWrittenJsonHello()
    {
        RawClient c;
        QVERIFY(c.openTether(m_server.url(), Codec::Json));
        c.sendText(R"({"t":"hello","v":1,"agent":"conformance/1","extra":{"ignored":[1,2]}})");
        const std::optional<QCborMap> welcome = c.next();
        QVERIFY2(welcome, qPrintable(c.errorString()));
        QCOMPARE(frameType(*welcome), QStringLiteral("welcome"));
        // A request in hand-written JSON, too.
        c.sendText(R"({"id":9,"t":"req","m":"echo","d":{"a":[true,null,"\u00e9"]}})");
        const std::optional<QCborMap> res = c.waitForRes(9);
        QVERIFY2(res, qPrintable(c.errorString()));
        QCOMPARE(QJsonDocument(res->value(QLatin1StringView("d")).toMap().toJsonObject())
                     .toJson(QJsonDocument::Compact),
                 QByteArray(R"({"a":[true,null,"é"]})"));
    }

    void firstFrameMustBeHello_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<QString>("error");
        QTest::addRow("msg") << QByteArray(R"({"t":"msg","seq":1,"id":"a","d":1})")
                             << QStringLiteral("hello_required");
        QTest::addRow("req") << QByteArray(R"({"t":"req","id":1,"m":"echo"})")
                             << QStringLiteral("hello_required");
        QTest::addRow("sub") << QByteArray(R"({"t":"sub","id":1,"ch":"a"})")
                             << QStringLiteral("hello_required");
        QTest::addRow("ack") << QByteArray(R"({"t":"ack","seq":1})")
                             << QStringLiteral("hello_required");
        QTest::addRow("unknown t") << QByteArray(R"({"t":"bonjour","v":1})") << QString();
        QTest::addRow("not json") << QByteArray("hello?") << QString();
    }
    void firstFrameMustBeHello()
    {
        QFETCH(QByteArray, frame);
        QFETCH(QString, error);
        RawClient c;
        QVERIFY(c.openTether(m_server.url(), Codec::Json));
        c.sendText(frame);
        CHECK_OK(expectErrorThenClose(c, error, 4400));
    }

    void secondHelloIsUnexpected_data() { addCodecColumn(); }
    void secondHelloIsUnexpected()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        c.sendFrame(helloFrame());
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("unexpected_frame"), 4400));
    }

    void serverOnlyFramesAreUnexpected_data()
    {
        QTest::addColumn<QByteArray>("frame");
        QTest::addRow("welcome")
            << QByteArray(R"({"t":"welcome","v":1,"sid":"x","resumed":false,"rx":0})");
        QTest::addRow("nack")
            << QByteArray(R"({"t":"nack","seq":1,"err":{"code":"x","msg":"y"}})");
        QTest::addRow("res") << QByteArray(R"({"t":"res","id":1,"d":1})");
        QTest::addRow("error") << QByteArray(R"({"t":"error","code":"x","msg":"y"})");
    }
    void serverOnlyFramesAreUnexpected()
    {
        QFETCH(QByteArray, frame);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), Codec::Json));
        c.sendText(frame);
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("unexpected_frame"), 4400));
    }

    // --hello-timeout 400: silence after the upgrade ends with hello_timeout + 4400, not early.
    void helloTimeout()
    {
        RawClient c;
        QElapsedTimer clock;
        QVERIFY(c.openTether(m_server.url(), Codec::Cbor));
        clock.start();
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("hello_timeout"), 4400));
        QVERIFY2(clock.elapsed() >= 350, qPrintable(QString::number(clock.elapsed())));
    }

    // A hello in time stops the timer: the session outlives the hello timeout.
    void helloInTimeKeepsConnection()
    {
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), Codec::Json));
        spin(600);
        QVERIFY(c.isConnected());
        CHECK_OK(expectResult(c.request(QStringLiteral("time"))));
    }

    // docs/protocol.md §7: servers answer pings.
    void answersPing_data() { addCodecColumn(); }
    void answersPing()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        QSignalSpy pongs(c.socket(), &QWebSocket::pong);
        c.socket()->ping("are you there");
        QVERIFY(pongs.wait(kDefaultWaitMs));
        QCOMPARE(pongs.first().at(1).toByteArray(), QByteArray("are you there"));
    }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerNegotiation)
#include "tst_server_negotiation.moc"
