// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: sessions (docs/protocol.md §3): resume with each rx both ways, unknown sid,
// takeover (4409), detached ttl, close 1000 forgets, other closes detach, subscriptions
// survive a resume.
#include "conformance.h"

using namespace Conformance;

namespace {

QString sidOf(const QCborMap &welcome)
{
    return stringField(welcome, QLatin1StringView("sid")).value_or(QString());
}

// Asks the server (built-in `push`) for `count` reliable msgs and collects them in order.
QString pushAndCollect(RawClient &c, int count, QList<QCborMap> *msgs)
{
    const std::optional<QCborMap> res = c.request(
        QStringLiteral("push"), QCborMap{{QStringLiteral("count"), count}});
    if (const QString why = expectResult(res); !why.isEmpty())
        return QStringLiteral("push: ") + why;
    for (int i = 0; i < count; ++i) {
        const std::optional<QCborMap> msg = c.waitForType(QStringLiteral("msg"));
        if (!msg)
            return QStringLiteral("pushed msg %1 of %2 missing: %3").arg(i + 1).arg(count).arg(c.errorString());
        msgs->append(*msg);
    }
    return {};
}

} // namespace

class tst_ServerSession : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        START_SERVER(m_server);
        m_shortTtl.setExtraArgs({QStringLiteral("--session-ttl"), QStringLiteral("500")});
        START_SERVER(m_shortTtl);
    }

    // Client -> server: the server's welcome.rx says what it accepted; numbering continues.
    void resumeContinuesClientNumbering_data() { addCodecColumn(); }
    void resumeContinuesClientNumbering()
    {
        QFETCH(Codec, codec);
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_server.url(), codec, &welcome));
        for (quint64 seq = 1; seq <= 3; ++seq)
            a.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("c%1").arg(seq)));
        CHECK_OK(sendReliable(a, 4, QCborValue(4)));
        a.abort();

        RawClient b;
        QCborMap resumed;
        CHECK_OK(openSession(b, m_server.url(), codec, &resumed, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(sidOf(resumed), sidOf(welcome));
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(4));
        CHECK_OK(sendReliable(b, 5, QCborValue(5)));
        // A retransmission of an accepted seq is a duplicate: dropped but acked again.
        b.sendFrame(msgFrame(2, QCborValue(2), QStringLiteral("c2")));
        const std::optional<QCborMap> ack = b.waitForType(QStringLiteral("ack"));
        QVERIFY2(ack, qPrintable(b.errorString()));
        QCOMPARE(uintField(*ack, QLatin1StringView("seq")), quint64(5));
        QVERIFY(b.isConnected());
    }

    // Server -> client: every reliable message with seq > hello.rx again, in order, same id.
    void resumeRetransmitsAfterHelloRx_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<int>("acked");   // ack frame sent before the drop (0 = none)
        QTest::addColumn<int>("helloRx");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            const char *name = codecName(codec);
            QTest::addRow("%s rx 0: all five again", name) << codec << 0 << 0;
            QTest::addRow("%s rx 2: three to five", name) << codec << 0 << 2;
            QTest::addRow("%s rx 5: nothing", name) << codec << 0 << 5;
            QTest::addRow("%s acked 3, rx 3: four and five", name) << codec << 3 << 3;
        }
    }
    void resumeRetransmitsAfterHelloRx()
    {
        QFETCH(Codec, codec);
        QFETCH(int, acked);
        QFETCH(int, helloRx);
        constexpr int kCount = 5;
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_server.url(), codec, &welcome));
        QList<QCborMap> first;
        CHECK_OK(pushAndCollect(a, kCount, &first));
        QSet<QString> ids;
        for (int i = 0; i < kCount; ++i) {
            QCOMPARE(uintField(first[i], QLatin1StringView("seq")), quint64(i + 1));
            const std::optional<QString> id = stringField(first[i], QLatin1StringView("id"));
            QVERIFY2(id && !id->isEmpty(), describe(first[i]).constData());
            ids.insert(*id);
        }
        QCOMPARE(ids.size(), kCount);  // every reliable server message has its own id
        if (acked > 0) {
            a.sendFrame(ackFrame(quint64(acked)));
            QVERIFY(a.expectSilence(50));  // the ack reaches the server before the drop
        }
        a.abort();

        RawClient b;
        QCborMap resumed;
        CHECK_OK(openSession(b, m_server.url(), codec, &resumed,
                             resumeHello(sidOf(welcome), quint64(helloRx))));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        for (int seq = helloRx + 1; seq <= kCount; ++seq) {
            const std::optional<QCborMap> again = b.next();
            QVERIFY2(again, qPrintable(b.errorString()));
            QCOMPARE(frameType(*again), QStringLiteral("msg"));
            QCOMPARE(uintField(*again, QLatin1StringView("seq")), quint64(seq));
            QCOMPARE(again->value(QLatin1StringView("id")), first[seq - 1].value(QLatin1StringView("id")));
            COMPARE_VALUE(again->value(QLatin1StringView("d")), first[seq - 1].value(QLatin1StringView("d")));
        }
        QVERIFY2(b.expectSilence(150), describe(b.drain().value(0)).constData());
        // New server messages continue the numbering.
        QList<QCborMap> more;
        CHECK_OK(pushAndCollect(b, 1, &more));
        QCOMPARE(uintField(more[0], QLatin1StringView("seq")), quint64(kCount + 1));
    }

    void unknownSidStartsNewSession_data() { addCodecColumn(); }
    void unknownSidStartsNewSession()
    {
        QFETCH(Codec, codec);
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, m_server.url(), codec, &welcome,
                             resumeHello(QStringLiteral("no-such-session"), 7, 3)));
        QCOMPARE(boolField(welcome, QLatin1StringView("resumed")), false);
        QCOMPARE(uintField(welcome, QLatin1StringView("rx")), quint64(0));
        QVERIFY(!sidOf(welcome).isEmpty());
        QVERIFY(sidOf(welcome) != QStringLiteral("no-such-session"));
        // Both directions start again at 1.
        CHECK_OK(sendReliable(c, 1, QCborValue(QStringLiteral("first"))));
        QList<QCborMap> pushed;
        CHECK_OK(pushAndCollect(c, 1, &pushed));
        QCOMPARE(uintField(pushed[0], QLatin1StringView("seq")), quint64(1));
    }

    void takeoverClosesOlderConnectionWith4409_data() { addCodecColumn(); }
    void takeoverClosesOlderConnectionWith4409()
    {
        QFETCH(Codec, codec);
        RawClient older;
        QCborMap welcome;
        CHECK_OK(openSession(older, m_server.url(), codec, &welcome));
        CHECK_OK(sendReliable(older, 1, QCborValue(1)));

        RawClient newer;
        QCborMap resumed;
        CHECK_OK(openSession(newer, m_server.url(), codec, &resumed, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
        CHECK_OK(expectErrorThenClose(older, QStringLiteral("session_taken"), 4409));
        CHECK_OK(sendReliable(newer, 2, QCborValue(2)));
        CHECK_OK(expectResult(newer.request(QStringLiteral("echo"), QCborValue(1))));
    }

    // --session-ttl 500: a detached session resumes at once, but not after the ttl.
    void detachedSessionExpiresAfterTtl()
    {
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_shortTtl.url(), Codec::Json, &welcome));
        QCOMPARE(uintField(welcome, QLatin1StringView("ttl")), quint64(500));
        CHECK_OK(sendReliable(a, 1, QCborValue(1)));
        a.abort();

        RawClient b;
        QCborMap resumed;
        CHECK_OK(openSession(b, m_shortTtl.url(), Codec::Json, &resumed, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        b.abort();

        spin(1500);
        RawClient c;
        QCborMap expired;
        CHECK_OK(openSession(c, m_shortTtl.url(), Codec::Json, &expired, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(expired, QLatin1StringView("resumed")), false);
        QCOMPARE(uintField(expired, QLatin1StringView("rx")), quint64(0));
    }

    void normalCloseForgetsSession_data() { addCodecColumn(); }
    void normalCloseForgetsSession()
    {
        QFETCH(Codec, codec);
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_server.url(), codec, &welcome));
        CHECK_OK(sendReliable(a, 1, QCborValue(1)));
        a.close(QWebSocketProtocol::CloseCodeNormal);
        QVERIFY(a.waitClosed());

        RawClient b;
        QCborMap again;
        CHECK_OK(openSession(b, m_server.url(), codec, &again, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(again, QLatin1StringView("resumed")), false);
        QCOMPARE(uintField(again, QLatin1StringView("rx")), quint64(0));
    }

    void otherClosesDetachSession_data()
    {
        QTest::addColumn<int>("code");  // 0 = TCP dropped without a close frame
        QTest::addRow("1001 going away") << 1001;
        QTest::addRow("4000 application code") << 4000;
        QTest::addRow("1011 internal error") << 1011;
        QTest::addRow("dropped without close") << 0;
    }
    void otherClosesDetachSession()
    {
        QFETCH(int, code);
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_server.url(), Codec::Cbor, &welcome));
        CHECK_OK(sendReliable(a, 1, QCborValue(1)));
        if (code == 0) {
            a.abort();
        } else {
            a.close(QWebSocketProtocol::CloseCode(code));
            QVERIFY(a.waitClosed());
        }
        RawClient b;
        QCborMap resumed;
        CHECK_OK(openSession(b, m_server.url(), Codec::Cbor, &resumed, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(1));
    }

    void subscriptionsSurviveResume_data() { addCodecColumn(); }
    void subscriptionsSurviveResume()
    {
        QFETCH(Codec, codec);
        const QString room = QStringLiteral("survive-%1").arg(QLatin1StringView(codecName(codec)));
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_server.url(), codec, &welcome));
        CHECK_OK(subscribe(a, room));
        a.abort();

        RawClient resumed;
        QCborMap again;
        CHECK_OK(openSession(resumed, m_server.url(), codec, &again, resumeHello(sidOf(welcome), 0, 0)));
        QCOMPARE(boolField(again, QLatin1StringView("resumed")), true);

        RawClient publisher;
        CHECK_OK(openSession(publisher, m_server.url(), Codec::Json));
        CHECK_OK(sendReliable(publisher, 1, QCborValue(QStringLiteral("after resume")), room,
                              QStringLiteral("pub-1")));
        const std::optional<QCborMap> got = nextDataMsg(resumed);
        QVERIFY2(got, qPrintable(resumed.errorString()));
        QCOMPARE(stringField(*got, QLatin1StringView("id")), QStringLiteral("pub-1"));
        QCOMPARE(stringField(*got, QLatin1StringView("ch")), room);
    }

private:
    ServerProcess m_server;
    ServerProcess m_shortTtl;
};

QTEST_GUILESS_MAIN(tst_ServerSession)
#include "tst_server_session.moc"
