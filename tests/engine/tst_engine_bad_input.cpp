// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Bad input from the server never crashes the engine: it ends in a reported protocol
// error (kind Remote), a close with 1002 (or 1003/1009) and a reconnect with backoff.
// A res for an unknown id is the one thing that is merely ignored.
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

namespace {

QByteArray json(const char *s) { return QByteArray(s); }

} // namespace

class tst_EngineBadInput : public QObject {
    Q_OBJECT
private slots:
    void badFrameWhenConnected_data();
    void badFrameWhenConnected();
    void badFrameDuringHandshake_data();
    void badFrameDuringHandshake();
    void impossibleWelcomeOnResume_data();
    void impossibleWelcomeOnResume();
    void resForUnknownIdIgnored();
    void randomGarbageNeverCrashes();
};

void tst_EngineBadInput::badFrameWhenConnected_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<int>("closeCode");
    QTest::addRow("garbage") << json("\x01\x02garbage") << false << 1002;
    QTest::addRow("empty") << QByteArray() << false << 1002;
    QTest::addRow("json array") << json("[1,2,3]") << false << 1002;
    QTest::addRow("unknown t") << json(R"({"t":"party"})") << false << 1002;
    QTest::addRow("msg without d") << json(R"({"t":"msg","seq":1})") << false << 1002;
    QTest::addRow("seq of wrong type") << json(R"({"t":"msg","seq":"1","d":1})") << false << 1002;
    QTest::addRow("msg seq 0") << json(R"({"t":"msg","seq":0,"d":1})") << false << 1002;
    QTest::addRow("gap") << json(R"({"t":"msg","seq":2,"d":1})") << false << 1002;
    QTest::addRow("ack for a seq never sent") << json(R"({"t":"ack","seq":5})") << false << 1002;
    QTest::addRow("nack for a seq never sent") << json(R"({"t":"nack","seq":4,"err":{"code":"x","msg":"y"}})") << false << 1002;
    QTest::addRow("second welcome") << json(R"({"t":"welcome","v":1,"sid":"s1","resumed":false,"rx":0})") << false << 1002;
    QTest::addRow("hello from the server") << json(R"({"t":"hello","v":1})") << false << 1002;
    QTest::addRow("req from the server") << json(R"({"t":"req","id":1,"m":"x"})") << false << 1002;
    QTest::addRow("sub from the server") << json(R"({"t":"sub","id":1,"ch":"x"})") << false << 1002;
    QTest::addRow("binary frame on json") << json(R"({"t":"ack","seq":0})") << true << 1003;
}

void tst_EngineBadInput::badFrameWhenConnected()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, binary);
    QFETCH(int, closeCode);
    Harness h;
    h.connect();
    h.send(text("pending"));  // something in flight, to make sure nothing is lost with it
    h.clearEvents();
    h.serverBytes(bytes, binary);
    QCOMPARE(h->state(), State::Reconnecting);
    const auto errors = h.eventsOf<ErrorOccurred>();
    QCOMPARE(int(errors.size()), 1);
    QCOMPARE(errors.front().error.code, ErrorCode::ProtocolError);
    QCOMPARE(errors.front().error.kind, ErrorKind::Remote);
    QVERIFY(!errors.front().error.message.isEmpty());
    QCOMPARE(h.actionsOf<CloseSocket>().back().code, closeCode);
    QCOMPARE(h.countEvents<Reconnecting>(), 1);
    QCOMPARE(int(h->stats().protocolErrors), 1);
    QCOMPARE(h->queueDepth(), 1);  // the message waits for the next connection
}

void tst_EngineBadInput::badFrameDuringHandshake_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addRow("msg before welcome") << json(R"({"t":"msg","d":1})");
    QTest::addRow("ack before welcome") << json(R"({"t":"ack","seq":1})");
    QTest::addRow("res before welcome") << json(R"({"t":"res","id":1,"d":1})");
    QTest::addRow("welcome with wrong version") << json(R"({"t":"welcome","v":2,"sid":"s","resumed":false,"rx":0})");
    QTest::addRow("garbage") << json("}{");
}

void tst_EngineBadInput::badFrameDuringHandshake()
{
    QFETCH(QByteArray, bytes);
    Harness h;
    h->open(h.now);
    h.opened();
    h.serverBytes(bytes, false);
    QCOMPARE(h->state(), State::Reconnecting);
    QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.code, ErrorCode::ProtocolError);
}

void tst_EngineBadInput::impossibleWelcomeOnResume_data()
{
    QTest::addColumn<QString>("sid");
    QTest::addColumn<int>("rx");
    QTest::addRow("rx beyond what was sent") << QStringLiteral("s1") << 9;
    QTest::addRow("rx below what the server acked") << QStringLiteral("s1") << 1;
    QTest::addRow("resumes another session") << QStringLiteral("other") << 3;
}

void tst_EngineBadInput::impossibleWelcomeOnResume()
{
    QFETCH(QString, sid);
    QFETCH(int, rx);
    Harness h;
    h.connect();
    for (int i = 0; i < 3; ++i)
        h.send(QCborValue(i));
    h.takeSent();
    h.serverFrame(P::Ack{2});
    h.dropAndReopen();
    h.clearEvents();
    h.serverFrame(h.welcome(sid, true, quint64(rx)));
    QCOMPARE(h->state(), State::Reconnecting);
    QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.code, ErrorCode::ProtocolError);
    QCOMPARE(h->queueDepth(), 1);
}

void tst_EngineBadInput::resForUnknownIdIgnored()
{
    Harness h;
    h.connect();
    h.serverBytes(json(R"({"t":"res","id":77,"d":1})"), false);
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(h.countEvents<ErrorOccurred>(), 0);
}

void tst_EngineBadInput::randomGarbageNeverCrashes()
{
    // Random bytes and mutated valid frames, in both codecs, at every stage of a session.
    const QList<QByteArray> seeds = {
        json(R"({"t":"msg","seq":1,"id":"a","ch":"c","d":{"x":[1,2,{"y":null}]}})"),
        json(R"({"t":"ack","seq":1})"),
        json(R"({"t":"nack","seq":1,"err":{"code":"c","msg":"m","data":[1]}})"),
        json(R"({"t":"res","id":1,"err":{"code":"c","msg":"m"}})"),
        json(R"({"t":"error","code":"x","msg":"y","retryAfter":100})"),
        json(R"({"t":"welcome","v":1,"sid":"s1","resumed":true,"rx":1,"hb":1000,"maxFrame":100})"),
    };
    std::mt19937_64 rng(99);
    for (P::CodecKind kind : {P::CodecKind::Json, P::CodecKind::Cbor}) {
        Options o = baseOptions(3);
        o.codec = kind;
        Harness h(o);
        const P::Codec &codec = P::codecFor(kind);
        for (int round = 0; round < 1000; ++round) {
            if (h->state() != State::Connected) {
                if (h->state() == State::Reconnecting)
                    h.advanceTo(*h->pollTimeout());
                else
                    h->open(h.now);
                h.pump();
                h.opened();
                h.serverFrame(h.welcome(QStringLiteral("s%1").arg(round)));
                h.send(QCborValue(round));
                h.pump();
            }
            QByteArray bytes;
            if (rng() % 3 == 0) {
                bytes.resize(int(rng() % 64));
                for (char &c : bytes)
                    c = char(rng());
            } else {
                const auto decoded = P::jsonCodec().decode(seeds.at(int(rng() % seeds.size())));
                QVERIFY(decoded.ok());
                codec.encode(*decoded.frame, bytes);
                const int flips = 1 + int(rng() % 3);
                for (int i = 0; i < flips && !bytes.isEmpty(); ++i)
                    bytes[int(rng() % bytes.size())] = char(rng());
            }
            h.serverBytes(bytes, codec.usesBinaryFrames());
        }
        QVERIFY(h->stats().protocolErrors > 100);
        h->close(h.now);
        h.pump();
        QCOMPARE(h->state(), State::Closed);
    }
}

QTEST_GUILESS_MAIN(tst_EngineBadInput)
#include "tst_engine_bad_input.moc"
