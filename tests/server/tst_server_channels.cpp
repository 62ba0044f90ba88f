// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: channels (docs/protocol.md §6): sub/unsub answered by res, fan-out to the other
// subscribers without echo, the publisher's id kept, per-receiver seq, at-most-once
// publications, history ring, presence join/leave and the presence method.
#include "conformance.h"

using namespace Conformance;

namespace {

std::optional<QCborMap> waitPresence(RawClient &c, const QString &kind, int timeoutMs = kDefaultWaitMs)
{
    return c.waitFor(
        [&kind](const QCborMap &f) {
            return isPresence(f)
                && stringField(f.value(QLatin1StringView("d")).toMap(), QLatin1StringView("presence")) == kind;
        },
        timeoutMs);
}

QString peerOf(const QCborMap &presence)
{
    return stringField(presence.value(QLatin1StringView("d")).toMap(), QLatin1StringView("peer"))
        .value_or(QString());
}

QString channelName(const char *base, Codec codec)
{
    return QStringLiteral("%1-%2").arg(QLatin1StringView(base), QLatin1StringView(codecName(codec)));
}

} // namespace

class tst_ServerChannels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server.setExtraArgs({QStringLiteral("--history"), QStringLiteral("5")});
        START_SERVER(m_server);
    }

    void subAndUnsubAnswered_data() { addCodecColumn(); }
    void subAndUnsubAnswered()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        const QString ch = channelName("subunsub", codec);
        for (const char *type : {"sub", "sub", "unsub", "unsub"}) {  // both idempotent
            const quint64 id = c.nextRequestId();
            c.sendFrame(QLatin1StringView(type) == QLatin1StringView("sub") ? subFrame(id, ch)
                                                                            : unsubFrame(id, ch));
            QCborValue d;
            CHECK_OK(expectResult(c.waitForRes(id), &d));
            QCOMPARE(stringField(d.toMap(), QLatin1StringView("ch")), ch);
        }
    }

    void badChannelName_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("ch");
        for (const QString &type : {QStringLiteral("sub"), QStringLiteral("unsub")}) {
            QTest::addRow("%s empty", qPrintable(type)) << type << QString();
            QTest::addRow("%s 201 chars", qPrintable(type)) << type << QString(201, QLatin1Char('c'));
        }
    }
    void badChannelName()
    {
        QFETCH(QString, type);
        QFETCH(QString, ch);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), Codec::Json));
        const quint64 id = c.nextRequestId();
        c.sendFrame(type == QLatin1StringView("sub") ? subFrame(id, ch) : unsubFrame(id, ch));
        CHECK_OK(expectErrorResult(c.waitForRes(id), QStringLiteral("bad_channel")));
        // 200 characters is still a channel.
        CHECK_OK(subscribe(c, QString(200, QLatin1Char('c'))));
    }

    // A publication reaches every other subscriber, with the publisher's id and d, each on
    // its own session seq; never the publisher itself (subscribed or not).
    void fanOutWithoutEcho_data()
    {
        QTest::addColumn<Codec>("publisherCodec");
        QTest::addColumn<Codec>("subscriberCodec");
        QTest::addRow("json to json") << Codec::Json << Codec::Json;
        QTest::addRow("cbor to cbor") << Codec::Cbor << Codec::Cbor;
        QTest::addRow("json to cbor") << Codec::Json << Codec::Cbor;
        QTest::addRow("cbor to json") << Codec::Cbor << Codec::Json;
    }
    void fanOutWithoutEcho()
    {
        QFETCH(Codec, publisherCodec);
        QFETCH(Codec, subscriberCodec);
        const QString ch = QStringLiteral("fan-%1-%2").arg(QLatin1StringView(codecName(publisherCodec)),
                                                          QLatin1StringView(codecName(subscriberCodec)));
        RawClient publisher, first, second;
        CHECK_OK(openSession(publisher, m_server.url(), publisherCodec));
        CHECK_OK(subscribe(publisher, ch));
        CHECK_OK(openSession(first, m_server.url(), subscriberCodec));
        CHECK_OK(subscribe(first, ch));
        CHECK_OK(openSession(second, m_server.url(), subscriberCodec));
        // `second` already holds two server messages: the publication gets its seq 3.
        CHECK_OK(expectResult(second.request(QStringLiteral("push"), QCborMap{{QStringLiteral("count"), 2}})));
        CHECK_OK(subscribe(second, ch));

        const QCborValue d(QCborMap{{QStringLiteral("text"), QStringLiteral("hi all")},
                                    {QStringLiteral("n"), 1}});
        CHECK_OK(sendReliable(publisher, 1, d, ch, QStringLiteral("pub-id-1")));
        // Each receiver numbers it in its own session: `first` had one presence event
        // (second's join) before it, `second` had the two pushed messages.
        const std::pair<RawClient *, quint64> receivers[] = {{&first, 2}, {&second, 3}};
        for (const auto &[receiver, expectedSeq] : receivers) {
            const std::optional<QCborMap> got = receiver->waitFor([&ch](const QCborMap &f) {
                return !isPresence(f) && stringField(f, QLatin1StringView("ch")) == ch;
            });
            QVERIFY2(got, qPrintable(receiver->errorString()));
            QCOMPARE(stringField(*got, QLatin1StringView("id")), QStringLiteral("pub-id-1"));
            QCOMPARE(stringField(*got, QLatin1StringView("ch")), ch);
            COMPARE_VALUE(got->value(QLatin1StringView("d")), d);
            QCOMPARE(uintField(*got, QLatin1StringView("seq")), expectedSeq);
        }
        // The publisher never sees its own publication.
        QVERIFY(!publisher.waitFor([](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("msg") && !isPresence(f);
        }, 200));
    }

    void perReceiverSeq()
    {
        const QString ch = QStringLiteral("seq-per-receiver");
        RawClient publisher, receiver;
        CHECK_OK(openSession(receiver, m_server.url(), Codec::Cbor));
        CHECK_OK(expectResult(receiver.request(QStringLiteral("push"), QCborMap{{QStringLiteral("count"), 2}})));
        CHECK_OK(subscribe(receiver, ch));
        CHECK_OK(openSession(publisher, m_server.url(), Codec::Json));
        CHECK_OK(sendReliable(publisher, 1, QCborValue(1), ch, QStringLiteral("ps-1")));
        QList<quint64> seqs;
        for (int i = 0; i < 3; ++i) {
            const std::optional<QCborMap> msg = receiver.waitForType(QStringLiteral("msg"));
            QVERIFY2(msg, qPrintable(receiver.errorString()));
            seqs.append(uintField(*msg, QLatin1StringView("seq")).value_or(0));
            if (i == 2)
                QCOMPARE(stringField(*msg, QLatin1StringView("id")), QStringLiteral("ps-1"));
        }
        QCOMPARE(seqs, (QList<quint64>{1, 2, 3}));
    }

    // Without seq: copies without seq, id kept when given, not in history.
    void atMostOncePublication_data() { addCodecColumn(); }
    void atMostOncePublication()
    {
        QFETCH(Codec, codec);
        const QString ch = channelName("typing", codec);
        RawClient publisher, receiver;
        CHECK_OK(openSession(receiver, m_server.url(), codec));
        CHECK_OK(subscribe(receiver, ch));
        CHECK_OK(openSession(publisher, m_server.url(), codec));
        publisher.sendFrame(msgFrame(std::nullopt, QCborValue(QStringLiteral("typing...")),
                                     QStringLiteral("typing-1"), ch));
        const std::optional<QCborMap> got = nextDataMsg(receiver);
        QVERIFY2(got, qPrintable(receiver.errorString()));
        QVERIFY2(!got->contains(QLatin1StringView("seq")), describe(*got).constData());
        QCOMPARE(stringField(*got, QLatin1StringView("id")), QStringLiteral("typing-1"));
        QVERIFY(publisher.expectSilence(100));  // never acked
        QCborValue history;
        CHECK_OK(expectResult(publisher.request(QStringLiteral("history"),
                                                QCborMap{{QStringLiteral("ch"), ch}}), &history));
        QCOMPARE(history.toArray().size(), 0);
    }

    // A reliable publication without id gets one from the server ("s<n>"), the same for
    // every receiver.
    void publicationWithoutIdGetsOne()
    {
        const QString ch = QStringLiteral("no-id");
        RawClient publisher, a, b;
        CHECK_OK(openSession(a, m_server.url(), Codec::Json));
        CHECK_OK(subscribe(a, ch));
        CHECK_OK(openSession(b, m_server.url(), Codec::Cbor));
        CHECK_OK(subscribe(b, ch));
        CHECK_OK(openSession(publisher, m_server.url(), Codec::Json));
        publisher.sendText(R"({"t":"msg","seq":1,"ch":"no-id","d":"anonymous"})");
        const std::optional<QCborMap> atA = nextDataMsg(a);
        const std::optional<QCborMap> atB = nextDataMsg(b);
        QVERIFY(atA && atB);
        const std::optional<QString> id = stringField(*atA, QLatin1StringView("id"));
        QVERIFY2(id && !id->isEmpty(), describe(*atA).constData());
        QCOMPARE(stringField(*atB, QLatin1StringView("id")), id);
    }

    // After unsub nothing more arrives.
    void unsubStopsDelivery()
    {
        const QString ch = QStringLiteral("unsub-stops");
        RawClient publisher, receiver;
        CHECK_OK(openSession(receiver, m_server.url(), Codec::Json));
        CHECK_OK(subscribe(receiver, ch));
        const quint64 id = receiver.nextRequestId();
        receiver.sendFrame(unsubFrame(id, ch));
        CHECK_OK(expectResult(receiver.waitForRes(id)));
        CHECK_OK(openSession(publisher, m_server.url(), Codec::Json));
        CHECK_OK(sendReliable(publisher, 1, QCborValue(1), ch));
        QVERIFY(!nextDataMsg(receiver, 200));
    }

    // --history 5: the last five reliable publications, oldest first; limit takes the last N.
    void historyRing_data() { addCodecColumn(); }
    void historyRing()
    {
        QFETCH(Codec, codec);
        const QString ch = channelName("history", codec);
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), codec));
        for (quint64 seq = 1; seq <= 8; ++seq)
            c.sendFrame(msgFrame(seq, QCborValue(qint64(seq * 10)), QStringLiteral("h%1").arg(seq), ch));
        c.sendFrame(msgFrame(std::nullopt, QCborValue(QStringLiteral("ephemeral")), QStringLiteral("amo"), ch));
        QVERIFY(c.waitFor([](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("ack") && uintField(f, QLatin1StringView("seq")) == 8u;
        }));

        QCborValue all;
        CHECK_OK(expectResult(c.request(QStringLiteral("history"), QCborMap{{QStringLiteral("ch"), ch}}), &all));
        const QCborArray entries = all.toArray();
        QCOMPARE(entries.size(), 5);
        for (int i = 0; i < 5; ++i) {
            const QCborMap e = entries.at(i).toMap();
            QCOMPARE(stringField(e, QLatin1StringView("id")), QStringLiteral("h%1").arg(i + 4));
            QCOMPARE(e.value(QLatin1StringView("d")), QCborValue(qint64((i + 4) * 10)));
            QVERIFY(uintField(e, QLatin1StringView("ts")));
        }
        QCborValue last2;
        CHECK_OK(expectResult(c.request(QStringLiteral("history"),
                                        QCborMap{{QStringLiteral("ch"), ch}, {QStringLiteral("limit"), 2}}),
                              &last2));
        QCOMPARE(last2.toArray().size(), 2);
        QCOMPARE(stringField(last2.toArray().at(0).toMap(), QLatin1StringView("id")), QStringLiteral("h7"));
        QCOMPARE(stringField(last2.toArray().at(1).toMap(), QLatin1StringView("id")), QStringLiteral("h8"));

        QCborValue none;
        CHECK_OK(expectResult(c.request(QStringLiteral("history"),
                                        QCborMap{{QStringLiteral("ch"), QStringLiteral("never-used")}}), &none));
        QVERIFY(none.isArray());
        QCOMPARE(none.toArray().size(), 0);
    }

    // join/leave events reach the other subscribers; the presence method lists members.
    void presenceJoinAndLeave_data() { addCodecColumn(); }
    void presenceJoinAndLeave()
    {
        QFETCH(Codec, codec);
        const QString ch = channelName("presence", codec);
        RawClient watcher, visitor;
        CHECK_OK(openSession(watcher, m_server.url(), codec));
        CHECK_OK(subscribe(watcher, ch));
        QCborMap visitorWelcome;
        CHECK_OK(openSession(visitor, m_server.url(), codec, &visitorWelcome));
        CHECK_OK(subscribe(visitor, ch));

        const std::optional<QCborMap> join = waitPresence(watcher, QStringLiteral("join"));
        QVERIFY2(join, qPrintable(watcher.errorString()));
        QCOMPARE(stringField(*join, QLatin1StringView("ch")), ch);
        QVERIFY(uintField(*join, QLatin1StringView("seq")));  // reliable
        QVERIFY(stringField(*join, QLatin1StringView("id")));
        const QString peer = peerOf(*join);
        QVERIFY(!peer.isEmpty());
        QVERIFY(peer != stringField(visitorWelcome, QLatin1StringView("sid")));  // never the sid
        QVERIFY(!waitPresence(visitor, QStringLiteral("join"), 100));  // not told of itself

        QCborValue members;
        CHECK_OK(expectResult(watcher.request(QStringLiteral("presence"), QCborMap{{QStringLiteral("ch"), ch}}),
                              &members));
        QCOMPARE(stringField(members.toMap(), QLatin1StringView("ch")), ch);
        QStringList peers;
        for (const QCborValue &m : members.toMap().value(QLatin1StringView("members")).toArray())
            peers.append(stringField(m.toMap(), QLatin1StringView("peer")).value_or(QString()));
        QCOMPARE(peers.size(), 2);
        QVERIFY(peers.contains(peer));

        const quint64 id = visitor.nextRequestId();
        visitor.sendFrame(unsubFrame(id, ch));
        CHECK_OK(expectResult(visitor.waitForRes(id)));
        const std::optional<QCborMap> leave = waitPresence(watcher, QStringLiteral("leave"));
        QVERIFY2(leave, qPrintable(watcher.errorString()));
        QCOMPARE(peerOf(*leave), peer);
        // Presence events are not publications: not in history.
        QCborValue history;
        CHECK_OK(expectResult(watcher.request(QStringLiteral("history"), QCborMap{{QStringLiteral("ch"), ch}}),
                              &history));
        QCOMPARE(history.toArray().size(), 0);
    }

    // A session forgotten (close 1000) leaves; a detached one (dropped) stays present.
    void presenceOnCloseAndDrop()
    {
        const QString ch = QStringLiteral("presence-close");
        RawClient watcher, closer, dropper;
        CHECK_OK(openSession(watcher, m_server.url(), Codec::Json));
        CHECK_OK(subscribe(watcher, ch));
        CHECK_OK(openSession(dropper, m_server.url(), Codec::Json));
        CHECK_OK(subscribe(dropper, ch));
        CHECK_OK(openSession(closer, m_server.url(), Codec::Json));
        CHECK_OK(subscribe(closer, ch));
        const std::optional<QCborMap> dropperJoin = waitPresence(watcher, QStringLiteral("join"));
        const std::optional<QCborMap> closerJoin = waitPresence(watcher, QStringLiteral("join"));
        QVERIFY(dropperJoin && closerJoin);

        dropper.abort();
        QVERIFY(!waitPresence(watcher, QStringLiteral("leave"), 300));
        closer.close(QWebSocketProtocol::CloseCodeNormal);
        const std::optional<QCborMap> leave = waitPresence(watcher, QStringLiteral("leave"));
        QVERIFY2(leave, qPrintable(watcher.errorString()));
        QCOMPARE(peerOf(*leave), peerOf(*closerJoin));

        QCborValue members;
        CHECK_OK(expectResult(watcher.request(QStringLiteral("presence"), QCborMap{{QStringLiteral("ch"), ch}}),
                              &members));
        QCOMPARE(members.toMap().value(QLatin1StringView("members")).toArray().size(), 2);  // watcher + dropper
    }

    // The metrics channel publishes at-most-once every --metrics-interval (1 s default).
    void metricsChannelPublishes()
    {
        RawClient c;
        CHECK_OK(openSession(c, m_server.url(), Codec::Cbor));
        CHECK_OK(subscribe(c, QStringLiteral("metrics")));
        const std::optional<QCborMap> tick = c.waitFor([](const QCborMap &f) {
            return stringField(f, QLatin1StringView("ch")) == QStringLiteral("metrics");
        }, 3000);
        QVERIFY2(tick, qPrintable(c.errorString()));
        QVERIFY(!tick->contains(QLatin1StringView("seq")));
        QVERIFY(uintField(tick->value(QLatin1StringView("d")).toMap(), QLatin1StringView("connections")));
    }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerChannels)
#include "tst_server_channels.moc"
