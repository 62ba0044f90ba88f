// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: compressed v1.1 batches (docs/protocol.md §10.5) on tether-server. The +deflate
// name picked when offered first (never with --compression off or --protocol 1), compressed
// client batches handled frame by frame in order, read by one stream per connection across
// messages (context takeover, a 32 KiB client window), server batches compressed by one
// stream per connection (fan-out too: each subscriber's stream sees what it is sent, warm
// or fresh), a new connection (a resume) starting fresh streams, the threshold, and a bad
// compressed message: a bomb is error{frame_too_large} + 1009; a truncated, corrupt or
// skipped one, or a stream that ends, error{bad_frame} + 4400. The client side here is
// written from the docs with zlib (tests/support/frames.h), not with sdk/protocol.
#include "conformance.h"

using namespace Conformance;

namespace {

// A +deflate session: the name offered alone, hello, welcome.
QString openDeflate(RawClient &c, const QUrl &url, Codec codec)
{
    if (!c.open(url, {deflateSubprotocolName(codec)}))
        return QStringLiteral("connect: ") + c.errorString();
    if (c.subprotocol() != deflateSubprotocolName(codec))
        return QStringLiteral("server picked '%1'").arg(c.subprotocol());
    return c.handshake() ? QString() : QStringLiteral("hello: ") + c.errorString();
}

QByteArray batchOf(const QList<QCborMap> &frames, Codec codec)
{
    QList<QByteArray> encoded;
    for (const QCborMap &f : frames)
        encoded.append(encodeFrame(f, codec));
    return joinBatch(encoded, codec);
}

QList<QCborMap> publications(int count, const QString &ch)
{
    QList<QCborMap> frames;
    for (int i = 1; i <= count; ++i) {
        const QCborMap d{{QStringLiteral("type"), QStringLiteral("chat")}, {QStringLiteral("user"), QStringLiteral("alice")},
                         {QStringLiteral("text"), QStringLiteral("chat line number %1 of the batch").arg(i)},
                         {QStringLiteral("n"), i}};
        frames.append(msgFrame(quint64(i), QCborValue(d), QStringLiteral("z%1").arg(i), ch));
    }
    return frames;
}

} // namespace

class tst_ServerCompression : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        START_SERVER(m_server);
        m_plain.setExtraArgs({QStringLiteral("--compression"), QStringLiteral("off")});
        START_SERVER(m_plain);
        m_v1Only.setExtraArgs({QStringLiteral("--protocol"), QStringLiteral("1")});
        START_SERVER(m_v1Only);
        m_threshold.setExtraArgs({QStringLiteral("--compression-threshold"), QStringLiteral("1024")});
        START_SERVER(m_threshold);
    }

    void picksDeflateOnlyWhenItCompresses_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<int>("server");   // 0 default, 1 --compression off, 2 --protocol 1
        QTest::addColumn<QString>("expected");
        for (const Codec codec : {Codec::Json, Codec::Cbor}) {
            QTest::addRow("%s: default server", codecName(codec)) << codec << 0 << deflateSubprotocolName(codec);
            QTest::addRow("%s: --compression off", codecName(codec)) << codec << 1 << subprotocolName(codec, true);
            QTest::addRow("%s: --protocol 1", codecName(codec)) << codec << 2 << subprotocolName(codec, false);
        }
    }
    void picksDeflateOnlyWhenItCompresses()
    {
        QFETCH(Codec, codec);
        QFETCH(int, server);
        QFETCH(QString, expected);
        const ServerProcess &s = server == 0 ? m_server : server == 1 ? m_plain : m_v1Only;
        RawClient c;
        QVERIFY2(c.open(s.url(), {deflateSubprotocolName(codec), subprotocolName(codec, true),
                                  subprotocolName(codec, false)}),
                 qPrintable(c.errorString()));
        QCOMPARE(c.subprotocol(), expected);
        QVERIFY(c.handshake());
    }

    // A server without compression does not know the name: refused (HTTP 400 or 4400).
    void plainServerRefusesDeflateAlone()
    {
        RawClient c;
        if (c.open(m_plain.url(), {deflateSubprotocolName(Codec::Json)}))
            CHECK_OK(expectClose(c, 4400));
    }

    void compressedClientBatchHandledInOrder_data() { addCodecColumn(); }
    void compressedClientBatchHandledInOrder()
    {
        QFETCH(Codec, codec);
        RawClient sub;
        CHECK_OK(openDeflate(sub, m_server.url(), codec));
        CHECK_OK(subscribe(sub, QStringLiteral("room:z-in")));
        RawClient pub;
        CHECK_OK(openDeflate(pub, m_server.url(), codec));
        QList<QCborMap> frames = publications(40, QStringLiteral("room:z-in"));
        frames.append(reqFrame(77, QStringLiteral("echo"), QCborValue(QStringLiteral("x"))));
        const QByteArray plain = batchOf(frames.mid(0, 20), codec);
        const QByteArray compressed = pub.compressed(plain);
        QVERIFY(compressed.size() * 3 < plain.size());
        pub.sendBinary(compressed);
        // The rest refers back to the first message: the server's one stream reads it.
        const QByteArray rest = batchOf(frames.mid(20), codec);
        const QByteArray compressedRest = pub.compressed(rest);
        QVERIFY(compressedRest.size() * 5 < rest.size());
        pub.sendBinary(compressedRest);
        const auto res = pub.waitForRes(77);
        QVERIFY2(res, qPrintable(pub.errorString()));
        CHECK_OK(expectResult(res));
        const auto ack = pub.waitFor([](const QCborMap &f) {
            return frameType(f) == QLatin1StringView("ack") && uintField(f, QLatin1StringView("seq")).value_or(0) >= 40;
        });
        QVERIFY2(ack, qPrintable(pub.errorString()));
        for (int i = 1; i <= 40; ++i) {
            const auto msg = nextDataMsg(sub);
            QVERIFY2(msg, qPrintable(QStringLiteral("publication %1: %2").arg(i).arg(sub.errorString())));
            QCOMPARE(msg->value(QLatin1StringView("d")).toMap().value(QLatin1StringView("n")).toInteger(), i);
        }
        // 40 publications of ~110 bytes: the fan-out left in compressed batches.
        QVERIFY2(sub.compressedMessagesReceived() > 0, "no compressed batch reached the subscriber");
        QVERIFY(!pub.isClosed());
    }

    // The default threshold is 0: even a small answer leaves compressed, on the stream
    // the earlier ones warmed (each inflates here only if read in order on one stream).
    // With --compression-threshold 1024 it stays plain.
    void thresholdDecidesWhatIsCompressed_data() { addCodecColumn(); }
    void thresholdDecidesWhatIsCompressed()
    {
        QFETCH(Codec, codec);
        RawClient c;
        CHECK_OK(openDeflate(c, m_server.url(), codec));
        const int before = c.compressedMessagesReceived();   // the welcome
        for (quint64 id = 5; id < 10; ++id) {
            c.sendFrame(reqFrame(id, QStringLiteral("echo"), QCborValue(QStringLiteral("short"))));
            CHECK_OK(expectResult(c.waitForRes(id)));
        }
        QCOMPARE(c.compressedMessagesReceived(), before + 5);
        RawClient t;
        CHECK_OK(openDeflate(t, m_threshold.url(), codec));
        t.sendFrame(reqFrame(5, QStringLiteral("echo"), QCborValue(QStringLiteral("short"))));
        CHECK_OK(expectResult(t.waitForRes(5)));
        QCOMPARE(t.compressedMessagesReceived(), 0);
    }

    // Fan-out: one publication reaches two subscribers whose streams are in different
    // states (one warmed by earlier traffic, one fresh); each reads it on its own stream,
    // so the server compressed it once per subscriber connection.
    void fanOutCompressesPerSubscriber_data() { addCodecColumn(); }
    void fanOutCompressesPerSubscriber()
    {
        QFETCH(Codec, codec);
        const QString ch = QStringLiteral("room:z-fan-%1").arg(QLatin1StringView(codecName(codec)));
        RawClient warm;
        CHECK_OK(openDeflate(warm, m_server.url(), codec));
        CHECK_OK(subscribe(warm, ch));
        RawClient pub;
        CHECK_OK(openDeflate(pub, m_server.url(), codec));
        pub.sendBinary(pub.compressed(batchOf(publications(10, ch), codec)));
        for (int i = 1; i <= 10; ++i)
            QVERIFY2(nextDataMsg(warm), qPrintable(warm.errorString()));
        RawClient fresh;
        CHECK_OK(openDeflate(fresh, m_server.url(), codec));
        CHECK_OK(subscribe(fresh, ch));
        QList<QCborMap> more = publications(15, ch).mid(10);
        pub.sendBinary(pub.compressed(batchOf(more, codec)));
        for (RawClient *sub : {&warm, &fresh}) {
            for (int i = 11; i <= 15; ++i) {
                const auto msg = nextDataMsg(*sub);
                QVERIFY2(msg, qPrintable(sub->errorString()));
                QCOMPARE(msg->value(QLatin1StringView("d")).toMap().value(QLatin1StringView("n")).toInteger(), i);
            }
            QVERIFY(sub->compressedMessagesReceived() >= 2);
            QVERIFY(!sub->isClosed());
        }
    }

    // A new connection starts fresh streams both ways: after a reconnect that resumes the
    // session, the client's new stream (a new zlib header) is read, and the server's
    // replay and new traffic read on the client's fresh inflate stream.
    void newConnectionStartsFreshStreams_data() { addCodecColumn(); }
    void newConnectionStartsFreshStreams()
    {
        QFETCH(Codec, codec);
        const QString ch = QStringLiteral("room:z-again-%1").arg(QLatin1StringView(codecName(codec)));
        RawClient c;
        QVERIFY(c.open(m_server.url(), {deflateSubprotocolName(codec)}));
        const auto welcome = c.handshake();
        QVERIFY2(welcome, qPrintable(c.errorString()));
        CHECK_OK(subscribe(c, ch));
        c.sendBinary(c.compressed(batchOf({reqFrame(8, QStringLiteral("echo"), QCborValue(QStringLiteral("once")))}, codec)));
        CHECK_OK(expectResult(c.waitForRes(8)));
        QVERIFY(c.compressedMessagesReceived() > 0);
        const QString sid = stringField(*welcome, QLatin1StringView("sid")).value_or(QString());
        QVERIFY(!sid.isEmpty());
        c.abort();
        QVERIFY(c.open(m_server.url(), {deflateSubprotocolName(codec)}));   // new socket, new streams
        const auto resumed = c.handshake(helloFrame(resumeHello(sid, 0)));
        QVERIFY2(resumed, qPrintable(c.errorString()));
        QCOMPARE(boolField(*resumed, QLatin1StringView("resumed")), true);
        c.sendBinary(c.compressed(batchOf({reqFrame(9, QStringLiteral("echo"), QCborValue(QStringLiteral("again")))}, codec)));
        CHECK_OK(expectResult(c.waitForRes(9)));
        QVERIFY(c.compressedMessagesReceived() > 0);
        QVERIFY(!c.isClosed());
    }

    // --compression off: a +deflate-less v1.1 client of that server gets plain batches only.
    void plainServerSendsPlainBatches()
    {
        RawClient sub;
        QVERIFY(sub.open(m_plain.url(), {subprotocolName(Codec::Cbor, true)}));
        QVERIFY(sub.handshake());
        CHECK_OK(subscribe(sub, QStringLiteral("room:z-plain")));
        RawClient pub;
        QVERIFY(pub.open(m_plain.url(), {subprotocolName(Codec::Cbor, true)}));
        QVERIFY(pub.handshake());
        pub.sendBinary(batchOf(publications(40, QStringLiteral("room:z-plain")), Codec::Cbor));
        for (int i = 1; i <= 40; ++i)
            QVERIFY2(nextDataMsg(sub), qPrintable(sub.errorString()));
        QCOMPARE(sub.compressedMessagesReceived(), 0);
    }

    void badCompressedMessageCloses_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("closeCode");
        for (const Codec codec : {Codec::Json, Codec::Cbor}) {
            // As the connection's first compressed message, and its second.
            DeflateStream stream;
            const QByteArray good = stream.message(batchOf(publications(20, QStringLiteral("room:z-bad")), codec));
            const QByteArray second = stream.message(batchOf(publications(20, QStringLiteral("room:z-bad")), codec));
            // Claims 2 MiB (the server's maxFrame is 1 MiB); the stream is empty.
            QTest::addRow("%s: bomb", codecName(codec))
                << codec << QByteArray::fromHex("ff00200000789c030000000001") << QStringLiteral("frame_too_large") << 1009;
            // A real one: 4 MiB of zeros, about 4 KiB on the wire.
            QTest::addRow("%s: 4 MiB of zeros", codecName(codec))
                << codec << DeflateStream().message(QByteArray(4 << 20, '\0')) << QStringLiteral("frame_too_large") << 1009;
            QTest::addRow("%s: truncated", codecName(codec)) << codec << good.chopped(7) << QStringLiteral("bad_frame") << 4400;
            QTest::addRow("%s: first message skipped", codecName(codec)) << codec << second << QStringLiteral("bad_frame") << 4400;
            QTest::addRow("%s: a stream that ends", codecName(codec))
                << codec << DeflateStream::completeStream(batchOf(publications(3, QStringLiteral("room:z-bad")), codec))
                << QStringLiteral("bad_frame") << 4400;
            QByteArray corrupt = good;
            corrupt[6] = char(corrupt[6] ^ 0x55);   // the zlib header's check fails
            QTest::addRow("%s: corrupt", codecName(codec)) << codec << corrupt << QStringLiteral("bad_frame") << 4400;
        }
    }
    void badCompressedMessageCloses()
    {
        QFETCH(Codec, codec);
        QFETCH(QByteArray, message);
        QFETCH(QString, error);
        QFETCH(int, closeCode);
        RawClient c;
        CHECK_OK(openDeflate(c, m_server.url(), codec));
        c.sendBinary(message);
        CHECK_OK(expectErrorThenClose(c, error, closeCode));
    }

private:
    ServerProcess m_server;
    ServerProcess m_plain;
    ServerProcess m_v1Only;
    ServerProcess m_threshold;
};

QTEST_GUILESS_MAIN(tst_ServerCompression)
#include "tst_server_compression.moc"
