// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: reliable messages client -> server (docs/protocol.md §4): ack timing (<= 50 ms)
// and batching (at once at 64 unacknowledged), cumulative acks, duplicates dropped but
// acked, gaps and seq 0 are violations, at-most-once msgs are never acked, nack on a
// read-only channel (before the ack covering it) and nacks repeated after a resume.
#include "conformance.h"

using namespace Conformance;

namespace {

// One ack on a loaded 2-core machine, scheduling noise included (measured: 655 ms under a
// load average of 12 in Redis mode, where 50 + 40 ms failed 1 run in 15).
constexpr qint64 kMaxNoisyAckMs = 2000;

bool isAckCovering(const QCborMap &f, quint64 seq)
{
    return frameType(f) == QLatin1StringView("ack")
        && uintField(f, QLatin1StringView("seq")).value_or(0) >= seq;
}

} // namespace

class tst_ServerDelivery : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_default.setExtraArgs({QStringLiteral("--readonly"), QStringLiteral("news.*")});
        START_SERVER(m_default);
        m_slowAck.setExtraArgs({QStringLiteral("--ack-delay"), QStringLiteral("50")});
        START_SERVER(m_slowAck);
    }

    // "must send one within 50 ms of delivering a message": also with the longest
    // --ack-delay the server allows.
    void ackWithin50ms_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<bool>("slowAck");
        QTest::addRow("json, default ack delay") << Codec::Json << false;
        QTest::addRow("cbor, default ack delay") << Codec::Cbor << false;
        QTest::addRow("json, --ack-delay 50") << Codec::Json << true;
        QTest::addRow("cbor, --ack-delay 50") << Codec::Cbor << true;
    }
    void ackWithin50ms()
    {
        QFETCH(Codec, codec);
        QFETCH(bool, slowAck);
        RawClient c;
        CHECK_OK(openSession(c, (slowAck ? m_slowAck : m_default).url(), codec));
        // Noise only ever adds (a loaded machine, Redis mode's round trip): the best sample
        // shows the server's own delay. At least five, and more while none is within 55 ms,
        // so that a busy machine cannot fail it; each one within kMaxNoisyAckMs still
        // catches an ack left to some other trigger.
        qint64 best = std::numeric_limits<qint64>::max();
        for (quint64 seq = 1; seq <= 5 || (best > 55 && seq <= 40); ++seq) {
            const auto sentAt = RawClient::Clock::now();
            c.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("t%1").arg(seq)));
            const std::optional<QCborMap> ack = c.waitForType(QStringLiteral("ack"));
            QVERIFY2(ack, qPrintable(c.errorString()));
            QCOMPARE(uintField(*ack, QLatin1StringView("seq")), seq);
            const qint64 latency = msBetween(sentAt, c.lastTakenAt());
            QVERIFY2(latency <= kMaxNoisyAckMs, qPrintable(QStringLiteral("ack after %1 ms").arg(latency)));
            best = std::min(best, latency);
        }
        QVERIFY2(best <= 55, qPrintable(QStringLiteral("best ack latency %1 ms").arg(best)));
    }

    // "at once when 64 messages are unacknowledged": with --ack-delay 50 an ack that waits
    // for the timer is easy to tell from one sent at once.
    void ackAtOnceAt64Unacked_data() { addCodecColumn(); }
    void ackAtOnceAt64Unacked()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_slowAck.url(), codec));
        qint64 best = std::numeric_limits<qint64>::max();
        quint64 seq = 0;
        for (int burst = 0; burst < 3; ++burst) {
            for (int i = 0; i < 64; ++i) {
                ++seq;
                c.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("b%1").arg(seq)));
            }
            c.socket()->flush();
            const auto sentAt = RawClient::Clock::now();
            const std::optional<QCborMap> ack =
                c.waitFor([seq](const QCborMap &f) { return isAckCovering(f, seq); });
            QVERIFY2(ack, qPrintable(c.errorString()));
            QCOMPARE(uintField(*ack, QLatin1StringView("seq")), seq);
            best = std::min(best, msBetween(sentAt, c.lastTakenAt()));
            c.drain();
        }
        QVERIFY2(best < 25, qPrintable(QStringLiteral("best ack latency at 64 unacked: %1 ms "
                                                      "(the ack timer is 50 ms)").arg(best)));
    }

    // Ten messages sent together are covered by one cumulative ack (a second one at most
    // if the server read them in two batches).
    void acksAreCumulative_data() { addCodecColumn(); }
    void acksAreCumulative()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_slowAck.url(), codec));
        for (quint64 seq = 1; seq <= 10; ++seq)
            c.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("c%1").arg(seq)));
        QVERIFY(c.waitFor([](const QCborMap &f) { return isAckCovering(f, 10); }));
        QVERIFY(c.expectSilence(150));  // no further ack
        int acks = 1;
        quint64 last = 0;
        for (const QCborMap &f : c.drain()) {
            QCOMPARE(frameType(f), QStringLiteral("ack"));
            const quint64 s = uintField(f, QLatin1StringView("seq")).value_or(0);
            QVERIFY(s > last && s < 10);  // increasing, never beyond what was sent
            last = s;
            ++acks;
        }
        QVERIFY2(acks <= 2, qPrintable(QStringLiteral("%1 acks for 10 messages").arg(acks)));
    }

    void duplicateIsAckedButNotDeliveredAgain_data() { addCodecColumn(); }
    void duplicateIsAckedButNotDeliveredAgain()
    {
        QFETCH(Codec, codec);
        const QString ch = QStringLiteral("dup-%1").arg(QLatin1StringView(codecName(codec)));
        RawClient subscriber, publisher;
        CHECK_OK(openSession(subscriber, m_default.url(), codec));
        CHECK_OK(subscribe(subscriber, ch));
        CHECK_OK(openSession(publisher, m_default.url(), codec));
        CHECK_OK(sendReliable(publisher, 1, QCborValue(QStringLiteral("once")), ch, QStringLiteral("dup-1")));
        publisher.drain();
        // The same seq again (a retransmission): acked again, not delivered again.
        publisher.sendFrame(msgFrame(1, QCborValue(QStringLiteral("once")), QStringLiteral("dup-1"), ch));
        const std::optional<QCborMap> ack = publisher.waitForType(QStringLiteral("ack"));
        QVERIFY2(ack, qPrintable(publisher.errorString()));
        QCOMPARE(uintField(*ack, QLatin1StringView("seq")), quint64(1));

        const std::optional<QCborMap> first = nextDataMsg(subscriber);
        QVERIFY2(first, qPrintable(subscriber.errorString()));
        QCOMPARE(stringField(*first, QLatin1StringView("id")), QStringLiteral("dup-1"));
        QVERIFY(!nextDataMsg(subscriber, 200));
        QVERIFY(publisher.isConnected());
    }

    void gapIsViolation_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QList<quint64>>("seqs");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s: 1 then 3", codecName(codec)) << codec << QList<quint64>{1, 3};
            QTest::addRow("%s: first is 2", codecName(codec)) << codec << QList<quint64>{2};
            QTest::addRow("%s: 1, 2, 2, 4", codecName(codec)) << codec << QList<quint64>{1, 2, 2, 4};
        }
    }
    void gapIsViolation()
    {
        QFETCH(Codec, codec);
        QFETCH(QList<quint64>, seqs);
        RawClient c;
        CHECK_OK(openSession(c, m_default.url(), codec));
        for (quint64 seq : seqs)
            c.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("g%1").arg(seq)));
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("seq_gap"), 4400));
    }

    void seqZeroIsInvalid_data() { addCodecColumn(); }
    void seqZeroIsInvalid()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_default.url(), codec));
        c.sendFrame(msgFrame(0, QCborValue(0), QStringLiteral("zero")));
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("bad_frame"), 4400));
    }

    void atMostOnceIsNeverAcked_data() { addCodecColumn(); }
    void atMostOnceIsNeverAcked()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_slowAck.url(), codec));
        c.sendFrame(msgFrame(std::nullopt, QCborValue(QStringLiteral("fire and forget")),
                             QStringLiteral("amo-1")));
        QVERIFY(c.expectSilence(150));  // three times the longest ack delay
        QVERIFY(c.isConnected());
        // And it does not shift the reliable numbering.
        CHECK_OK(sendReliable(c, 1, QCborValue(1)));
    }

    // An ack for a seq the server never sent is a violation; a lower ack than before is
    // ignored.
    void ackOfUnsentSeq_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<int>("pushed");
        QTest::addColumn<int>("acked");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s ack 1, nothing sent", codecName(codec)) << codec << 0 << 1;
            QTest::addRow("%s ack 4, three sent", codecName(codec)) << codec << 3 << 4;
        }
    }
    void ackOfUnsentSeq()
    {
        QFETCH(Codec, codec);
        QFETCH(int, pushed);
        QFETCH(int, acked);
        RawClient c;
        CHECK_OK(openSession(c, m_default.url(), codec));
        if (pushed > 0) {
            CHECK_OK(expectResult(c.request(QStringLiteral("push"), QCborMap{{QStringLiteral("count"), pushed}})));
            c.sendFrame(ackFrame(quint64(pushed)));
            c.sendFrame(ackFrame(1));  // lower than before: ignored
            CHECK_OK(expectResult(c.request(QStringLiteral("echo"), QCborValue(1))));
        }
        c.sendFrame(ackFrame(quint64(acked)));
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("bad_ack"), 4400));
    }

    // A reliable publication on a read-only channel gets nack{forbidden}, sent before the
    // ack that covers it; it reaches no subscriber.
    void nackOnReadonlyChannel_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QString>("channel");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s, --readonly news.*", codecName(codec)) << codec << QStringLiteral("news.today");
            QTest::addRow("%s, metrics (always)", codecName(codec)) << codec << QStringLiteral("metrics");
        }
    }
    void nackOnReadonlyChannel()
    {
        QFETCH(Codec, codec);
        QFETCH(QString, channel);
        RawClient subscriber, c;
        CHECK_OK(openSession(subscriber, m_default.url(), codec));
        CHECK_OK(subscribe(subscriber, channel));
        CHECK_OK(openSession(c, m_default.url(), codec));
        c.sendFrame(msgFrame(1, QCborValue(QStringLiteral("not allowed")), QStringLiteral("ro-1"), channel));
        c.sendFrame(msgFrame(2, QCborValue(QStringLiteral("allowed")), QStringLiteral("ok-2"),
                             QStringLiteral("open-channel")));
        const std::optional<QCborMap> first = c.next();
        QVERIFY2(first, qPrintable(c.errorString()));
        QCOMPARE(frameType(*first), QStringLiteral("nack"));  // before any ack covering seq 1
        QCOMPARE(uintField(*first, QLatin1StringView("seq")), quint64(1));
        const QCborMap err = first->value(QLatin1StringView("err")).toMap();
        QCOMPARE(stringField(err, QLatin1StringView("code")), QStringLiteral("forbidden"));
        QVERIFY(stringField(err, QLatin1StringView("msg")));
        QVERIFY(c.waitFor([](const QCborMap &f) { return isAckCovering(f, 2); }));
        QVERIFY(!c.waitForType(QStringLiteral("nack"), 100));  // seq 2 was accepted
        // Nothing reached the read-only channel's subscriber (metrics ticks are not ours).
        const bool leaked = bool(subscriber.waitFor(
            [](const QCborMap &f) {
                return frameType(f) == QLatin1StringView("msg")
                    && stringField(f, QLatin1StringView("id")) == QStringLiteral("ro-1");
            },
            200));
        QVERIFY(!leaked);
        QVERIFY(c.isConnected());
    }

    // The nack precedes the ack also when it sits inside a burst acked at once.
    void nackPrecedesAckInsideBurst()
    {
        RawClient c;
        CHECK_OK(openSession(c, m_default.url(), Codec::Cbor));
        for (quint64 seq = 1; seq <= 64; ++seq)
            c.sendFrame(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("n%1").arg(seq),
                                 seq == 30 ? QStringLiteral("news.burst") : QStringLiteral("free")));
        const std::optional<QCborMap> first = c.waitFor([](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("nack") || isAckCovering(f, 30);
        });
        QVERIFY2(first, qPrintable(c.errorString()));
        QCOMPARE(frameType(*first), QStringLiteral("nack"));
        QCOMPARE(uintField(*first, QLatin1StringView("seq")), quint64(30));
        QVERIFY(c.waitFor([](const QCborMap &f) { return isAckCovering(f, 64); }));
    }

    void atMostOnceOnReadonlyIsDroppedSilently()
    {
        RawClient c;
        CHECK_OK(openSession(c, m_default.url(), Codec::Json));
        c.sendText(R"({"t":"msg","ch":"news.flash","id":"amo-ro","d":"typing"})");
        QVERIFY(c.expectSilence(150));
        QVERIFY(c.isConnected());
    }

    // After a resume the server repeats, right after welcome, every nack for a seq in
    // (hello.ak, welcome.rx].
    void nacksRepeatedAfterResume_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<int>("ak");  // -1 = absent
        QTest::addColumn<QList<quint64>>("repeated");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s, no ak: 1 and 3", codecName(codec)) << codec << -1 << QList<quint64>{1, 3};
            QTest::addRow("%s, ak 0: 1 and 3", codecName(codec)) << codec << 0 << QList<quint64>{1, 3};
            QTest::addRow("%s, ak 1: 3", codecName(codec)) << codec << 1 << QList<quint64>{3};
            QTest::addRow("%s, ak 2: 3", codecName(codec)) << codec << 2 << QList<quint64>{3};
            QTest::addRow("%s, ak 3: none", codecName(codec)) << codec << 3 << QList<quint64>{};
        }
    }
    void nacksRepeatedAfterResume()
    {
        QFETCH(Codec, codec);
        QFETCH(int, ak);
        QFETCH(QList<quint64>, repeated);
        RawClient a;
        QCborMap welcome;
        CHECK_OK(openSession(a, m_default.url(), codec, &welcome));
        a.sendFrame(msgFrame(1, QCborValue(1), QStringLiteral("r1"), QStringLiteral("news.a")));
        a.sendFrame(msgFrame(2, QCborValue(2), QStringLiteral("r2"), QStringLiteral("chat")));
        a.sendFrame(msgFrame(3, QCborValue(3), QStringLiteral("r3"), QStringLiteral("news.b")));
        QVERIFY(a.waitFor([](const QCborMap &f) { return isAckCovering(f, 3); }));
        a.abort();

        const QString sid = stringField(welcome, QLatin1StringView("sid")).value_or(QString());
        RawClient b;
        QCborMap resumed;
        CHECK_OK(openSession(b, m_default.url(), codec, &resumed,
                             resumeHello(sid, 0, ak < 0 ? std::nullopt : std::optional<quint64>(ak))));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
        QCOMPARE(uintField(resumed, QLatin1StringView("rx")), quint64(3));
        for (quint64 seq : repeated) {
            const std::optional<QCborMap> nack = b.next();
            QVERIFY2(nack, qPrintable(b.errorString()));
            QCOMPARE(frameType(*nack), QStringLiteral("nack"));
            QCOMPARE(uintField(*nack, QLatin1StringView("seq")), seq);
            QCOMPARE(stringField(nack->value(QLatin1StringView("err")).toMap(), QLatin1StringView("code")),
                     QStringLiteral("forbidden"));
        }
        const QList<QCborMap> extra = b.expectSilence(150) ? QList<QCborMap>{} : b.drain();
        QVERIFY2(extra.isEmpty(), describe(extra.value(0)).constData());
    }

private:
    ServerProcess m_default;
    ServerProcess m_slowAck;
};

QTEST_GUILESS_MAIN(tst_ServerDelivery)
#include "tst_server_delivery.moc"
