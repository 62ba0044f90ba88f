// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: protocol v1.1 (docs/protocol.md §10) on tether-server. Negotiation by
// subprotocol (v1.1 when offered first, v1 for a v1 client, never v1.1 with --protocol 1),
// client batches handled frame by frame in order, server frames batched per connection
// (acks and fan-out deliveries in fewer WebSocket messages than frames), and a bad frame
// inside a batch: error{bad_frame} then 4400. Each test names its version explicitly, so
// this suite is the same whatever TETHER_TEST_PROTOCOL says.
#include "conformance.h"

using namespace Conformance;

namespace {

// A v1.1 session: the v1.1 name offered alone, hello, welcome.
QString openV11(RawClient &c, const QUrl &url, Codec codec)
{
    if (!c.open(url, {subprotocolName(codec, true)}))
        return QStringLiteral("connect: ") + c.errorString();
    if (c.subprotocol() != subprotocolName(codec, true))
        return QStringLiteral("server picked '%1'").arg(c.subprotocol());
    return c.handshake() ? QString() : QStringLiteral("hello: ") + c.errorString();
}

void sendBatch(RawClient &c, const QList<QCborMap> &frames, Codec codec)
{
    QList<QByteArray> encoded;
    for (const QCborMap &f : frames)
        encoded.append(encodeFrame(f, codec));
    const QByteArray message = joinBatch(encoded, codec);
    if (codec == Codec::Json)
        c.sendText(message);
    else
        c.sendBinary(message);
}

} // namespace

class tst_ServerBatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        START_SERVER(m_server);
        m_v1Only.setExtraArgs({QStringLiteral("--protocol"), QStringLiteral("1")});
        START_SERVER(m_v1Only);
    }

    void picksTheFirstOfferedVersion_data()
    {
        QTest::addColumn<QStringList>("offered");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<QString>("expectedByV1Only");
        for (const Codec codec : {Codec::Json, Codec::Cbor}) {
            const QString v1 = subprotocolName(codec, false);
            const QString v11 = subprotocolName(codec, true);
            QTest::addRow("%s: v1.1 then v1", codecName(codec)) << QStringList{v11, v1} << v11 << v1;
            QTest::addRow("%s: v1 only (a v1 client)", codecName(codec)) << QStringList{v1} << v1 << v1;
            QTest::addRow("%s: v1 then v1.1", codecName(codec)) << QStringList{v1, v11} << v1 << v1;
        }
    }
    void picksTheFirstOfferedVersion()
    {
        QFETCH(QStringList, offered);
        QFETCH(QString, expected);
        QFETCH(QString, expectedByV1Only);
        RawClient c;
        QVERIFY2(c.open(m_server.url(), offered), qPrintable(c.errorString()));
        QCOMPARE(c.subprotocol(), expected);
        RawClient old;
        QVERIFY2(old.open(m_v1Only.url(), offered), qPrintable(old.errorString()));
        QCOMPARE(old.subprotocol(), expectedByV1Only);
    }

    // A v1-only server refuses a client that offers v1.1 alone (HTTP 400 or 4400).
    void v1OnlyServerRefusesV11Alone()
    {
        RawClient c;
        if (c.open(m_v1Only.url(), {subprotocolName(Codec::Json, true)}))
            CHECK_OK(expectClose(c, 4400));
    }

    void clientBatchHandledInOrder_data() { addCodecColumn(); }
    void clientBatchHandledInOrder()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openV11(c, m_server.url(), codec));
        QList<QCborMap> frames;
        for (quint64 seq = 1; seq <= 5; ++seq)
            frames.append(msgFrame(seq, QCborValue(qint64(seq)), QStringLiteral("b%1").arg(seq)));
        frames.append(reqFrame(77, QStringLiteral("echo"), QCborValue(QStringLiteral("x"))));
        sendBatch(c, frames, codec);
        const auto res = c.waitForRes(77);
        QVERIFY2(res, qPrintable(c.errorString()));
        QCborValue d;
        CHECK_OK(expectResult(res, &d));
        const auto ack = c.waitFor([](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("ack") && uintField(f, QLatin1StringView("seq")).value_or(0) >= 5;
        });
        QVERIFY2(ack, qPrintable(c.errorString()));
        QVERIFY(!c.isClosed());
    }

    // Publications of one batch reach a subscriber in fewer messages than frames, in order.
    void fanOutIsBatched_data() { addCodecColumn(); }
    void fanOutIsBatched()
    {
        QFETCH(Codec, codec);
        RawClient sub;
        CHECK_OK(openV11(sub, m_server.url(), codec));
        CHECK_OK(subscribe(sub, QStringLiteral("room:batch")));
        RawClient pub;
        CHECK_OK(openV11(pub, m_server.url(), codec));
        sub.drain();
        const int before = sub.messagesReceived();
        constexpr int kCount = 50;
        QList<QCborMap> frames;
        for (int i = 1; i <= kCount; ++i)
            frames.append(msgFrame(quint64(i), QCborValue(i), QStringLiteral("p%1").arg(i), QStringLiteral("room:batch")));
        sendBatch(pub, frames, codec);
        for (int i = 1; i <= kCount; ++i) {
            const auto msg = nextDataMsg(sub);
            QVERIFY2(msg, qPrintable(QStringLiteral("publication %1: %2").arg(i).arg(sub.errorString())));
            QVERIFY(equivalent(msg->value(QLatin1StringView("d")), QCborValue(i)));
        }
        const int messages = sub.messagesReceived() - before;
        QVERIFY2(messages < kCount, qPrintable(QStringLiteral("%1 messages for %2 publications").arg(messages).arg(kCount)));
    }

    // §10.2: every v1.1 message the server sends is binary, JSON too; it reads a JSON
    // batch from a text or a binary message alike, and refuses CBOR in a text message.
    void v11MessagesAreBinary_data() { addCodecColumn(); }
    void v11MessagesAreBinary()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openV11(c, m_server.url(), codec));
        const QByteArray first = joinBatch({encodeFrame(reqFrame(1, QStringLiteral("echo"), QCborValue(1)), codec),
                                            encodeFrame(msgFrame(1, QCborValue(1), QStringLiteral("m1")), codec)},
                                           codec);
        c.sendBinary(first);
        QVERIFY2(c.waitForRes(1), qPrintable(c.errorString()));
        if (codec == Codec::Json) {
            c.sendText(joinBatch({encodeFrame(reqFrame(2, QStringLiteral("echo"), QCborValue(2)), codec)}, codec));
            QVERIFY2(c.waitForRes(2), qPrintable(c.errorString()));
        }
        QVERIFY(c.messagesReceived() >= 2);  // welcome, then at least one answer
        QCOMPARE(c.binaryMessagesReceived(), c.messagesReceived());
        if (codec == Codec::Cbor) {
            c.sendText(encodeFrame(ackFrame(0), Codec::Cbor).toHex());  // text on CBOR: refused
            CHECK_OK(expectErrorThenClose(c, QStringLiteral("bad_frame"), 4400));
        }
    }

    // A v1 client of the same server still gets one frame per message, JSON in text.
    void v1ClientGetsOneFramePerMessage()
    {
        RawClient sub;
        sub.setSplitBatches(false);
        QVERIFY(sub.open(m_server.url(), {subprotocolName(Codec::Json, false)}));
        QVERIFY(sub.handshake());
        CHECK_OK(subscribe(sub, QStringLiteral("room:v1")));
        RawClient pub;
        CHECK_OK(openV11(pub, m_server.url(), Codec::Json));
        QList<QCborMap> frames;
        for (int i = 1; i <= 20; ++i)
            frames.append(msgFrame(std::nullopt, QCborValue(i), {}, QStringLiteral("room:v1")));
        sendBatch(pub, frames, Codec::Json);
        for (int i = 1; i <= 20; ++i) {
            const auto msg = nextDataMsg(sub);  // decodeFrame() would fail on a batch
            QVERIFY2(msg, qPrintable(QStringLiteral("publication %1: %2").arg(i).arg(sub.errorString())));
        }
        QCOMPARE(sub.binaryMessagesReceived(), 0);
    }

    void badFrameInBatchCloses4400_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QByteArray>("message");
        const QByteArray ack = encodeFrame(ackFrame(0), Codec::Json);
        QTest::addRow("json: seq 0 in frame 2") << Codec::Json << ack + "\n{\"t\":\"msg\",\"seq\":0,\"d\":1}";
        QTest::addRow("json: LF at the end") << Codec::Json << ack + "\n";
        QTest::addRow("json: empty line") << Codec::Json << ack + "\n\n" + ack;
        QTest::addRow("cbor: truncated frame 2") << Codec::Cbor
            << encodeFrame(ackFrame(0), Codec::Cbor) + QByteArray::fromHex("a2 61 74 63 61 63 6b 63 73 65 71");
        QTest::addRow("cbor: an array as frame 2") << Codec::Cbor
            << encodeFrame(ackFrame(0), Codec::Cbor) + QByteArray::fromHex("81 01");
    }
    void badFrameInBatchCloses4400()
    {
        QFETCH(Codec, codec);
        QFETCH(QByteArray, message);
        RawClient c;
        CHECK_OK(openV11(c, m_server.url(), codec));
        if (codec == Codec::Json)
            c.sendText(message);
        else
            c.sendBinary(message);
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("bad_frame"), 4400));
    }

private:
    ServerProcess m_server;
    ServerProcess m_v1Only;
};

QTEST_GUILESS_MAIN(tst_ServerBatch)
#include "tst_server_batch.moc"
