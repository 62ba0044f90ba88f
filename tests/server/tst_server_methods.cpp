// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: requests (docs/protocol.md §5) and every built-in method of the reference server:
// echo, time, sleep, fail, stats, push, unknown methods and bad params. history and
// presence are in tst_server_channels.
#include "conformance.h"

#include <QtCore/QDateTime>

using namespace Conformance;

class tst_ServerMethods : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { START_SERVER(m_server); }

    void echoReturnsParams_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QCborValue>("value");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            const char *c = codecName(codec);
            QTest::addRow("%s integer", c) << codec << QCborValue(42);
            QTest::addRow("%s negative", c) << codec << QCborValue(-7);
            QTest::addRow("%s 2^53-1", c) << codec << QCborValue(qint64(9007199254740991));
            QTest::addRow("%s double", c) << codec << QCborValue(1.5);
            QTest::addRow("%s true", c) << codec << QCborValue(true);
            QTest::addRow("%s null", c) << codec << QCborValue(nullptr);
            QTest::addRow("%s empty string", c) << codec << QCborValue(QString());
            QTest::addRow("%s unicode string", c)
                << codec << QCborValue(QStringLiteral("h\u00e9llo \u4e16\u754c \U0001F600"));
            QTest::addRow("%s nested", c)
                << codec
                << QCborValue(QCborMap{{QStringLiteral("a"), QCborArray{1, QStringLiteral("x"), QCborMap{}}},
                                       {QStringLiteral("b"), QCborMap{{QStringLiteral("c"), false}}}});
            QTest::addRow("%s empty array", c) << codec << QCborValue(QCborArray{});
        }
        // Only CBOR carries byte strings (docs/protocol.md §1).
        QTest::addRow("cbor byte string") << Codec::Cbor << QCborValue(QByteArray("\x00\x01\xfe\xff", 4));
    }
    void echoReturnsParams()
    {
        QFETCH(Codec, codec);
        QFETCH(QCborValue, value);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        QCborValue d;
        CHECK_OK(expectResult(c.request(QStringLiteral("echo"), value), &d));
        COMPARE_VALUE(d, value);
    }

    void echoWithoutParamsIsNull_data() { addCodecColumn(); }
    void echoWithoutParamsIsNull()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        QCborValue d(42);
        CHECK_OK(expectResult(c.request(QStringLiteral("echo")), &d));
        QVERIFY(d.isNull());
    }

    // A large request id comes back exactly (2^53-1 is the largest uint both codecs carry).
    void resCarriesRequestId_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<qint64>("id");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s id 0", codecName(codec)) << codec << qint64(0);
            QTest::addRow("%s id 2^32", codecName(codec)) << codec << qint64(1) * 4294967296;
            QTest::addRow("%s id 2^53-1", codecName(codec)) << codec << qint64(9007199254740991);
        }
    }
    void resCarriesRequestId()
    {
        QFETCH(Codec, codec);
        QFETCH(qint64, id);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        c.sendFrame(reqFrame(quint64(id), QStringLiteral("echo"), QCborValue(QStringLiteral("x"))));
        CHECK_OK(expectResult(c.waitForRes(quint64(id))));
    }

    void timeIsNow_data() { addCodecColumn(); }
    void timeIsNow()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        const qint64 before = QDateTime::currentMSecsSinceEpoch();
        QCborValue d;
        CHECK_OK(expectResult(c.request(QStringLiteral("time")), &d));
        const qint64 after = QDateTime::currentMSecsSinceEpoch();
        const std::optional<quint64> ms = uintField(d.toMap(), QLatin1StringView("ms"));
        QVERIFY2(ms, describe(d.toMap()).constData());
        QVERIFY(qint64(*ms) >= before - 1000 && qint64(*ms) <= after + 1000);
    }

    // sleep answers later; requests are answered independently (out of order).
    void sleepAnswersLater_data() { addCodecColumn(); }
    void sleepAnswersLater()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        const quint64 sleepId = c.nextRequestId();
        const auto sentAt = RawClient::Clock::now();
        c.sendFrame(reqFrame(sleepId, QStringLiteral("sleep"), QCborMap{{QStringLiteral("ms"), 300}}));
        const quint64 echoId = c.nextRequestId();
        c.sendFrame(reqFrame(echoId, QStringLiteral("echo"), QCborValue(1)));
        const std::optional<QCborMap> first = c.waitForType(QStringLiteral("res"));
        QVERIFY2(first, qPrintable(c.errorString()));
        QCOMPARE(uintField(*first, QLatin1StringView("id")), echoId);
        QCborValue d;
        CHECK_OK(expectResult(c.waitForRes(sleepId), &d));
        const qint64 elapsed = msBetween(sentAt, c.lastTakenAt());
        QVERIFY2(elapsed >= 290, qPrintable(QString::number(elapsed)));
        QVERIFY2(elapsed < 3000, qPrintable(QString::number(elapsed)));
        QCOMPARE(uintField(d.toMap(), QLatin1StringView("ms")), quint64(300));
    }

    // A request whose connection is gone gets no answer anywhere (docs/protocol.md §5: never on
    // a later connection).
    void sleepNotAnsweredOnLaterConnection()
    {
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_server.url(), Codec::Json, &welcome));
        a.sendFrame(reqFrame(77, QStringLiteral("sleep"), QCborMap{{QStringLiteral("ms"), 150}}));
        QVERIFY(a.expectSilence(30));
        a.abort();
        RawClient b;
        QCborMap resumed;
        CHECK_OK(openSession(b, m_server.url(), Codec::Json, &resumed,
                             resumeHello(stringField(welcome, QLatin1StringView("sid")).value_or(QString()), 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QVERIFY(!b.waitForRes(77, 500));
    }

    void failAnswersWithErr_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QCborValue>("params");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("msg");
        QTest::addColumn<QCborValue>("data");  // undefined = absent
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s defaults", codecName(codec))
                << codec << QCborValue(QCborMap{}) << QStringLiteral("failed")
                << QStringLiteral("requested failure") << QCborValue();
            QTest::addRow("%s no params", codecName(codec))
                << codec << QCborValue() << QStringLiteral("failed")
                << QStringLiteral("requested failure") << QCborValue();
            QTest::addRow("%s code, msg and data", codecName(codec))
                << codec
                << QCborValue(QCborMap{{QStringLiteral("code"), QStringLiteral("no_such_user")},
                                       {QStringLiteral("msg"), QStringLiteral("who?")},
                                       {QStringLiteral("data"), QCborArray{1, 2}}})
                << QStringLiteral("no_such_user") << QStringLiteral("who?")
                << QCborValue(QCborArray{1, 2});
        }
    }
    void failAnswersWithErr()
    {
        QFETCH(Codec, codec);
        QFETCH(QCborValue, params);
        QFETCH(QString, code);
        QFETCH(QString, msg);
        QFETCH(QCborValue, data);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        const std::optional<QCborMap> res = c.request(
            QStringLiteral("fail"), params.isUndefined() ? std::nullopt : std::optional<QCborValue>(params));
        CHECK_OK(expectErrorResult(res, code));
        const QCborMap err = res->value(QLatin1StringView("err")).toMap();
        QCOMPARE(stringField(err, QLatin1StringView("msg")), msg);
        if (data.isUndefined())
            QVERIFY(!err.contains(QLatin1StringView("data")));
        else
            COMPARE_VALUE(err.value(QLatin1StringView("data")), data);
    }

    void unknownMethod_data() { addCodecColumn(); }
    void unknownMethod()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        CHECK_OK(expectErrorResult(c.request(QStringLiteral("no.such.method"), QCborValue(1)),
                                   QStringLiteral("unknown_method")));
        CHECK_OK(expectErrorResult(c.request(QString()), QStringLiteral("unknown_method")));
        QVERIFY(c.isConnected());  // an error result, not a violation
    }

    void badParams_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QCborValue>("params");
        auto ms = [](const QCborValue &v) { return QCborValue(QCborMap{{QStringLiteral("ms"), v}}); };
        QTest::addRow("sleep without params") << QStringLiteral("sleep") << QCborValue();
        QTest::addRow("sleep ms negative") << QStringLiteral("sleep") << ms(-1);
        QTest::addRow("sleep ms too long") << QStringLiteral("sleep") << ms(60001);
        QTest::addRow("sleep ms a string") << QStringLiteral("sleep") << ms(QStringLiteral("10"));
        QTest::addRow("sleep params an array") << QStringLiteral("sleep") << QCborValue(QCborArray{10});
        QTest::addRow("history without ch") << QStringLiteral("history") << QCborValue(QCborMap{});
        QTest::addRow("history ch a number")
            << QStringLiteral("history") << QCborValue(QCborMap{{QStringLiteral("ch"), 5}});
        QTest::addRow("history limit negative")
            << QStringLiteral("history")
            << QCborValue(QCborMap{{QStringLiteral("ch"), QStringLiteral("a")}, {QStringLiteral("limit"), -1}});
        QTest::addRow("presence without ch") << QStringLiteral("presence") << QCborValue(QCborMap{});
        QTest::addRow("fail code a number")
            << QStringLiteral("fail") << QCborValue(QCborMap{{QStringLiteral("code"), 3}});
        QTest::addRow("fail msg a map")
            << QStringLiteral("fail") << QCborValue(QCborMap{{QStringLiteral("msg"), QCborMap{}}});
        QTest::addRow("push count 0")
            << QStringLiteral("push") << QCborValue(QCborMap{{QStringLiteral("count"), 0}});
        QTest::addRow("push count too large")
            << QStringLiteral("push") << QCborValue(QCborMap{{QStringLiteral("count"), 100001}});
        QTest::addRow("push reliable a string")
            << QStringLiteral("push")
            << QCborValue(QCborMap{{QStringLiteral("count"), 1}, {QStringLiteral("reliable"), QStringLiteral("yes")}});
    }
    void badParams()
    {
        QFETCH(QString, method);
        QFETCH(QCborValue, params);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), Codec::Cbor));
        CHECK_OK(expectErrorResult(
            c.request(method, params.isUndefined() ? std::nullopt : std::optional<QCborValue>(params)),
            QStringLiteral("bad_params")));
        QVERIFY(c.isConnected());
    }

    void statsReportsMetrics_data() { addCodecColumn(); }
    void statsReportsMetrics()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        QCborValue d;
        CHECK_OK(expectResult(c.request(QStringLiteral("stats")), &d));
        const QCborMap stats = d.toMap();
        const char *fields[] = {"ts", "uptimeMs", "connections", "sessions", "sessionsAttached",
                                "sessionsDetached", "channels", "msgsIn", "msgsOut", "bytesIn",
                                "bytesOut", "msgsInPerSec", "msgsOutPerSec", "bytesInPerSec",
                                "bytesOutPerSec", "rssBytes"};
        for (const char *field : fields) {
            const QCborValue v = stats.value(QLatin1StringView(field));
            QVERIFY2(v.isInteger() || v.isDouble(), qPrintable(QStringLiteral("%1 in %2").arg(
                QLatin1StringView(field), QString::fromUtf8(describe(stats)))));
        }
        QVERIFY(uintField(stats, QLatin1StringView("connections")).value_or(0) >= 1);
        QVERIFY(uintField(stats, QLatin1StringView("sessionsAttached")).value_or(0) >= 1);
        QVERIFY(uintField(stats, QLatin1StringView("msgsIn")).value_or(0) >= 2);  // hello + req
        QVERIFY(uintField(stats, QLatin1StringView("rssBytes")).value_or(0) > 0);
    }

    // push: reliable by default (seq + id), at-most-once on request, `d` as given.
    void pushSendsServerMessages_data() { addCodecColumn(); }
    void pushSendsServerMessages()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        QCborValue d;
        CHECK_OK(expectResult(c.request(QStringLiteral("push"), QCborMap{{QStringLiteral("count"), 3}}), &d));
        QCOMPARE(uintField(d.toMap(), QLatin1StringView("count")), quint64(3));
        for (int n = 1; n <= 3; ++n) {
            const std::optional<QCborMap> msg = c.waitForType(QStringLiteral("msg"));
            QVERIFY2(msg, qPrintable(c.errorString()));
            QCOMPARE(uintField(*msg, QLatin1StringView("seq")), quint64(n));
            QVERIFY(stringField(*msg, QLatin1StringView("id")));
            QCOMPARE(uintField(msg->value(QLatin1StringView("d")).toMap(), QLatin1StringView("n")), quint64(n));
        }
        CHECK_OK(expectResult(c.request(QStringLiteral("push"),
                                        QCborMap{{QStringLiteral("count"), 2},
                                                 {QStringLiteral("reliable"), false},
                                                 {QStringLiteral("d"), QStringLiteral("typing")}})));
        for (int n = 1; n <= 2; ++n) {
            const std::optional<QCborMap> msg = c.waitForType(QStringLiteral("msg"));
            QVERIFY2(msg, qPrintable(c.errorString()));
            QVERIFY2(!msg->contains(QLatin1StringView("seq")), describe(*msg).constData());
            QCOMPARE(msg->value(QLatin1StringView("d")), QCborValue(QStringLiteral("typing")));
        }
    }

    // Many requests in flight are each answered once, by id.
    void manyPendingRequests_data() { addCodecColumn(); }
    void manyPendingRequests()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        constexpr int kCount = 500;
        for (int i = 1; i <= kCount; ++i)
            c.sendFrame(reqFrame(quint64(i), QStringLiteral("echo"), QCborValue(i * 3)));
        QSet<quint64> answered;
        for (int i = 1; i <= kCount; ++i) {
            const std::optional<QCborMap> res = c.waitForType(QStringLiteral("res"));
            QVERIFY2(res, qPrintable(c.errorString()));
            const quint64 id = uintField(*res, QLatin1StringView("id")).value_or(0);
            QVERIFY2(!answered.contains(id), "answered twice");
            answered.insert(id);
            QCOMPARE(res->value(QLatin1StringView("d")), QCborValue(qint64(id) * 3));
        }
        QCOMPARE(answered.size(), kCount);
    }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerMethods)
#include "tst_server_methods.moc"
