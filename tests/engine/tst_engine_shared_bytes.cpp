// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Connection::sendBytes(): a large byte payload is never copied into the outbox. The entry
// shares the app's QByteArray until the message ends, the CBOR codec writes it into each
// frame (the one copy per transmission), and raw mode hands the very buffer to the
// transport. On the wire nothing differs from send(QCborValue(bytes)), and every outcome
// (delivered, rejected, each drop reason) still names the right id. Connection::sendText()
// and a small sendBytes() encode straight from the app's buffer, no QCborValue built: the
// same wire bytes and refusals as send(QCborValue).
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

namespace {

Options cborOptions(quint64 seed = 1)
{
    Options o = baseOptions(seed);
    o.codec = P::CodecKind::Cbor;
    return o;
}

// Raw mode (no envelope), opened: no welcome in raw mode.
Options rawOptions()
{
    Options o = baseOptions();
    o.rawMode = true;
    return o;
}

void openRaw(Harness &h)
{
    h->open(h.now);
    h.pump();
    h.opened();
}

QByteArray payload(qsizetype size, char fill = 'p')
{
    QByteArray bytes(size, fill);
    bytes[0] = char(size & 0x7f);  // rows differ in content, not only in length
    return bytes;
}

SendOptions withId(const QString &id, const QString &channel = QString())
{
    SendOptions o;
    o.id = id;
    o.channel = channel;
    return o;
}

SendResult sendBytes(Harness &h, const QByteArray &bytes, const SendOptions &o = {})
{
    auto r = h->sendBytes(h.now, bytes, o);
    h.pump();
    return r;
}

std::vector<QByteArray> sentFrameBytes(Harness &h)
{
    h.pump();
    std::vector<QByteArray> out;
    for (; h.actionsSeen < h.actions.size(); ++h.actionsSeen)
        if (auto *f = std::get_if<SendFrame>(&h.actions[h.actionsSeen]))
            out.push_back(f->bytes);
    return out;
}

} // namespace

class tst_EngineSharedBytes : public QObject {
    Q_OBJECT
private slots:
    void sharedUntilDelivered_data();
    void sharedUntilDelivered();
    void sameWireBytesAsCborValue_data();
    void sameWireBytesAsCborValue();
    void rawModeHandsTheBufferToTheTransport();
    void refusalsKeepNothing_data();
    void refusalsKeepNothing();
    void resumeAndNewSessionResendTheSameMessage();
    void everyOutcomeNamesItsId();
    void tooLargeForANewMaxFrameIsRejected();
    void sendTextMatchesCborValue_data();
    void sendTextMatchesCborValue();
    void rawModeTypedSends();
};

void tst_EngineSharedBytes::sharedUntilDelivered_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<bool>("shared");
    QTest::addRow("1023 B: copied (below the threshold)") << qsizetype(1023) << false;
    QTest::addRow("1 KiB: shared") << qsizetype(1024) << true;
    QTest::addRow("64 KiB: shared") << qsizetype(64 * 1024) << true;
    QTest::addRow("4 MiB: shared") << qsizetype(4 * 1024 * 1024) << true;
}

void tst_EngineSharedBytes::sharedUntilDelivered()
{
    QFETCH(qsizetype, size);
    QFETCH(bool, shared);
    Harness h(cborOptions());
    h.connect();
    const QByteArray bytes = payload(size);
    const auto r = sendBytes(h, bytes, withId(QStringLiteral("big-1"), QStringLiteral("room")));
    QVERIFY(r.ok());
    QCOMPARE(r.id, QStringLiteral("big-1"));
    QCOMPARE(h->queueBytes() >= size, true);
    // Shared: the outbox holds a reference to the app's buffer, not a copy of it.
    QCOMPARE(!bytes.isDetached(), shared);

    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 1);
    QCOMPARE(*msgs.front().seq, quint64(1));
    QCOMPARE(*msgs.front().id, QStringLiteral("big-1"));
    QCOMPARE(*msgs.front().ch, QStringLiteral("room"));
    QVERIFY(msgs.front().d.isByteArray());
    QCOMPARE(msgs.front().d.toByteArray(), bytes);

    h.serverFrame(P::Ack{1});
    const auto delivered = h.eventsOf<Delivered>();
    QCOMPARE(int(delivered.size()), 1);
    QCOMPARE(delivered.front().id, QStringLiteral("big-1"));
    QCOMPARE(h->queueDepth(), qsizetype(0));
    QCOMPARE(h->queueBytes(), qsizetype(0));
    QVERIFY(bytes.isDetached());  // released with the message
}

void tst_EngineSharedBytes::sameWireBytesAsCborValue_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<bool>("reliable");
    QTest::addRow("16 B reliable") << qsizetype(16) << true;
    QTest::addRow("1023 B reliable") << qsizetype(1023) << true;
    QTest::addRow("1 KiB reliable") << qsizetype(1024) << true;
    QTest::addRow("70 000 B reliable") << qsizetype(70000) << true;
    QTest::addRow("70 000 B at-most-once") << qsizetype(70000) << false;
}

void tst_EngineSharedBytes::sameWireBytesAsCborValue()
{
    QFETCH(qsizetype, size);
    QFETCH(bool, reliable);
    const QByteArray bytes = payload(size);
    SendOptions o = withId(QStringLiteral("same"), QStringLiteral("ch"));
    o.delivery = reliable ? Delivery::AtLeastOnce : Delivery::AtMostOnce;

    Harness viaBytes(cborOptions());
    viaBytes.connect();
    QVERIFY(sendBytes(viaBytes, bytes, o).ok());
    Harness viaValue(cborOptions());
    viaValue.connect();
    QVERIFY(viaValue.send(QCborValue(bytes), o).ok());

    const auto a = sentFrameBytes(viaBytes);
    const auto b = sentFrameBytes(viaValue);
    QCOMPARE(int(a.size()), 1);
    QCOMPARE(int(b.size()), 1);
    QCOMPARE(a.front(), b.front());  // canonical CBOR either way
    QCOMPARE(viaBytes.countEvents<Sent>(), reliable ? 0 : 1);
}

void tst_EngineSharedBytes::rawModeHandsTheBufferToTheTransport()
{
    Harness h(rawOptions());
    openRaw(h);
    const QByteArray bytes = payload(64 * 1024);
    const auto r = sendBytes(h, bytes);
    QVERIFY(r.ok());
    const auto frames = h.actionsOf<SendFrame>();
    QCOMPARE(int(frames.size()), 1);
    QVERIFY(frames.front().binary);
    QVERIFY(frames.front().bytes.isSharedWith(bytes));  // zero copies in the SDK
    const auto sent = h.eventsOf<Sent>();
    QCOMPARE(int(sent.size()), 1);
    QCOMPARE(sent.front().id, r.id);
}

void tst_EngineSharedBytes::refusalsKeepNothing_data()
{
    QTest::addColumn<bool>("cbor");
    QTest::addColumn<bool>("raw");
    QTest::addColumn<QString>("channel");
    QTest::addColumn<qint64>("maxQueuedBytes");
    QTest::addColumn<quint64>("maxFrame");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<qsizetype>("size");
    QTest::addRow("JSON cannot carry bytes") << false << false << QString() << qint64(1 << 30) << quint64(0)
                                             << int(ErrorCode::NotSupported) << QStringLiteral("byte string") << qsizetype(64 * 1024);
    QTest::addRow("raw mode has no channels") << false << true << QStringLiteral("room") << qint64(1 << 30)
                                              << quint64(0) << int(ErrorCode::NotSupported)
                                              << QStringLiteral("channels are not available in raw mode") << qsizetype(64 * 1024);
    QTest::addRow("outbox bytes bound") << true << false << QString() << qint64(32 * 1024) << quint64(0)
                                        << int(ErrorCode::QueueFull) << QStringLiteral("outbox full") << qsizetype(64 * 1024);
    QTest::addRow("server maxFrame") << true << false << QString() << qint64(1 << 30) << quint64(16 * 1024)
                                     << int(ErrorCode::FrameTooLarge) << QStringLiteral("exceeds the server's maxFrame")
                                     << qsizetype(64 * 1024);
    // Below Outbox::kShareBytesFrom: encoded at once, not shared; the same refusals.
    QTest::addRow("JSON cannot carry bytes, 16 B") << false << false << QString() << qint64(1 << 30) << quint64(0)
                                                   << int(ErrorCode::NotSupported) << QStringLiteral("byte string")
                                                   << qsizetype(16);
    QTest::addRow("raw mode has no channels, 16 B") << false << true << QStringLiteral("room") << qint64(1 << 30)
                                                    << quint64(0) << int(ErrorCode::NotSupported)
                                                    << QStringLiteral("channels are not available in raw mode")
                                                    << qsizetype(16);
    QTest::addRow("outbox bytes bound, 16 B") << true << false << QString() << qint64(8) << quint64(0)
                                              << int(ErrorCode::QueueFull) << QStringLiteral("outbox full")
                                              << qsizetype(16);
}

void tst_EngineSharedBytes::refusalsKeepNothing()
{
    QFETCH(bool, cbor);
    QFETCH(bool, raw);
    QFETCH(QString, channel);
    QFETCH(qint64, maxQueuedBytes);
    QFETCH(quint64, maxFrame);
    QFETCH(int, code);
    QFETCH(QString, message);
    QFETCH(qsizetype, size);
    Options o = cbor ? cborOptions() : baseOptions();
    o.rawMode = raw;
    o.maxQueuedBytes = maxQueuedBytes;
    Harness h(o);
    if (maxFrame) {
        h->open(h.now);
        h.pump();
        h.opened();
        P::Welcome w = h.welcome();
        w.maxFrame = maxFrame;
        h.serverFrame(w);
    }
    const QByteArray bytes = payload(size);
    const auto r = sendBytes(h, bytes, withId(QStringLiteral("x"), channel));
    QVERIFY(!r.ok());
    QCOMPARE(int(r.error->code), code);
    QCOMPARE(r.error->kind, ErrorKind::Local);
    QVERIFY2(r.error->message.contains(message), qPrintable(r.error->message));
    QCOMPARE(h->queueDepth(), qsizetype(0));
    QVERIFY(bytes.isDetached());
    QCOMPARE(int(outcomes(h).size()), 0);  // refused at once: no event follows
}

void tst_EngineSharedBytes::resumeAndNewSessionResendTheSameMessage()
{
    Harness h(cborOptions());
    h.connect();
    QList<QByteArray> bodies;
    QStringList ids;
    for (int i = 0; i < 3; ++i) {
        bodies.append(payload(8 * 1024, char('a' + i)));
        ids.append(QStringLiteral("m%1").arg(i));
        QVERIFY(sendBytes(h, bodies.back(), withId(ids.back(), QStringLiteral("room"))).ok());
    }
    QCOMPARE(int(h.takeSentOf<P::Msg>().size()), 3);

    // Resumed with rx = 1: the two others go again, same seq, same bytes.
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 1));
    auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 2);
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(*msgs[size_t(i)].seq, quint64(i + 2));
        QCOMPARE(*msgs[size_t(i)].id, ids[i + 1]);
        QCOMPARE(msgs[size_t(i)].d.toByteArray(), bodies[i + 1]);
    }
    h.serverFrame(P::Ack{1});  // settles what welcome.rx covered
    QCOMPARE(int(h.eventsOf<Delivered>().size()), 1);
    QVERIFY(bodies[0].isDetached());

    // Session lost: renumbered from 1, ids and bytes kept.
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s2"), false, 0));
    msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 2);
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(*msgs[size_t(i)].seq, quint64(i + 1));
        QCOMPARE(*msgs[size_t(i)].id, ids[i + 1]);
        QCOMPARE(*msgs[size_t(i)].ch, QStringLiteral("room"));
        QCOMPARE(msgs[size_t(i)].d.toByteArray(), bodies[i + 1]);
    }
    h.serverFrame(P::Ack{2});
    const auto delivered = h.eventsOf<Delivered>();
    QCOMPARE(int(delivered.size()), 3);
    QCOMPARE(delivered[0].id, ids[0]);
    QCOMPARE(delivered[2].id, ids[2]);
    for (const QByteArray &body : std::as_const(bodies))
        QVERIFY(body.isDetached());
}

void tst_EngineSharedBytes::everyOutcomeNamesItsId()
{
    Options o = cborOptions();
    o.maxQueuedMessages = 3;
    o.overflow = OverflowPolicy::DropOldest;
    o.maxInFlight = 1;
    Harness h(o);
    h.connect();
    QList<QByteArray> bodies;
    auto send = [&](const QString &id, SendOptions so = {}) {
        bodies.append(payload(2048));
        so.id = id;
        const auto r = sendBytes(h, bodies.back(), so);
        QVERIFY(r.ok());
    };
    send(QStringLiteral("nacked"));             // in flight (window of 1)
    SendOptions keyed;
    keyed.coalescingKey = QStringLiteral("k");
    send(QStringLiteral("superseded"), keyed);
    send(QStringLiteral("replacement"), keyed);  // supersedes the queued one
    SendOptions shortLived;
    shortLived.ttl = milliseconds(50);
    send(QStringLiteral("expired"), shortLived);
    send(QStringLiteral("overflowed"));          // full: the oldest queued one goes
    h.takeSent();
    h.advance(milliseconds(60));  // still queued behind the window: expires
    h.serverFrame(P::Nack{1, P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("no"), {}}});
    QCOMPARE(int(h.takeSentOf<P::Msg>().size()), 1);  // the window moves on to "overflowed"
    h->close(h.now);
    h.pump();

    const auto got = outcomes(h);
    QCOMPARE(got.value(QStringLiteral("nacked")), QStringList{QStringLiteral("rejected")});
    QCOMPARE(got.value(QStringLiteral("superseded")), QStringList{QStringLiteral("dropped:Superseded")});
    QCOMPARE(got.value(QStringLiteral("replacement")), QStringList{QStringLiteral("dropped:QueueFull")});
    QCOMPARE(got.value(QStringLiteral("expired")), QStringList{QStringLiteral("dropped:Expired")});
    QCOMPARE(got.value(QStringLiteral("overflowed")), QStringList{QStringLiteral("dropped:Closed")});
    QCOMPARE(int(got.size()), 5);
    for (const QByteArray &body : std::as_const(bodies))
        QVERIFY(body.isDetached());  // nothing left behind in the outbox
}

void tst_EngineSharedBytes::tooLargeForANewMaxFrameIsRejected()
{
    Harness h(cborOptions());
    h.connect();
    h.closed(1006);
    const QByteArray bytes = payload(32 * 1024);
    const auto big = sendBytes(h, bytes, withId(QStringLiteral("big")));
    const auto after = sendBytes(h, payload(2048), withId(QStringLiteral("after")));
    QVERIFY(big.ok());
    QVERIFY(after.ok());
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.takeSent();
    P::Welcome w = h.welcome(QStringLiteral("s1"), true, 0);
    w.maxFrame = 16 * 1024;
    h.serverFrame(w);
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 1);
    QCOMPARE(*msgs.front().id, QStringLiteral("after"));
    QCOMPARE(*msgs.front().seq, quint64(1));
    const auto rejected = h.eventsOf<Rejected>();
    QCOMPARE(int(rejected.size()), 1);
    QCOMPARE(rejected.front().id, QStringLiteral("big"));
    QCOMPARE(rejected.front().error.code, ErrorCode::FrameTooLarge);
    QCOMPARE(h->state(), State::Connected);
    QVERIFY(bytes.isDetached());
}

void tst_EngineSharedBytes::sendTextMatchesCborValue_data()
{
    QTest::addColumn<bool>("cbor");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("id");
    const QString ascii = QStringLiteral("same");
    for (const bool cbor : {false, true}) {
        const char *codec = cbor ? "cbor" : "json";
        QTest::addRow("%s: ASCII", codec) << cbor << QString(62, u'x') << ascii;
        QTest::addRow("%s: empty", codec) << cbor << QString() << ascii;
        QTest::addRow("%s: escapes", codec) << cbor << QStringLiteral("a \"quote\" and \\ and \n") << ascii;
        QTest::addRow("%s: non-ASCII", codec) << cbor << QStringLiteral("caf\u00e9 \u2603 \U0001F600") << ascii;
        // The outbox keeps such an id as UTF-8 and hands those bytes to the codec.
        QTest::addRow("%s: non-ASCII app id", codec) << cbor << QStringLiteral("x")
                                                    << QStringLiteral("id-\u00e9-\u2603-\"q\"-\U0001F600");
        QTest::addRow("%s: app id needing JSON escapes", codec) << cbor << QStringLiteral("x")
                                                               << QStringLiteral("a\\b\"c\td");
    }
}

void tst_EngineSharedBytes::sendTextMatchesCborValue()
{
    QFETCH(bool, cbor);
    QFETCH(QString, text);
    QFETCH(QString, id);
    const SendOptions o = withId(id, QStringLiteral("ch"));
    Harness viaText(cbor ? cborOptions() : baseOptions());
    viaText.connect();
    const auto r = viaText->sendText(viaText.now, text, o);
    QVERIFY(r.ok());
    QCOMPARE(r.id, id);
    Harness viaValue(cbor ? cborOptions() : baseOptions());
    viaValue.connect();
    QVERIFY(viaValue.send(QCborValue(text), o).ok());

    const auto a = sentFrameBytes(viaText);
    const auto b = sentFrameBytes(viaValue);
    QCOMPARE(int(a.size()), 1);
    QCOMPARE(int(b.size()), 1);
    QCOMPARE(a.front(), b.front());
    // And the frame decodes back to the text.
    const P::DecodeResult decoded = P::codecFor(cbor ? P::CodecKind::Cbor : P::CodecKind::Json).decode(a.front());
    QVERIFY2(decoded.ok(), qPrintable(decoded.error));
    const P::Msg &msg = std::get<P::Msg>(*decoded.frame);
    QCOMPARE(msg.d.toString(), text);
    QCOMPARE(msg.id.value_or(QString()), id);
    // Its outcome names the same id.
    viaText.serverFrame(P::Ack{1});
    const auto delivered = viaText.eventsOf<Delivered>();
    QCOMPARE(int(delivered.size()), 1);
    QCOMPARE(delivered.front().id, id);
}

// Raw mode (no envelope): text leaves as a text frame of its UTF-8, small bytes as a binary
// frame; a channel is refused by both before anything is queued.
void tst_EngineSharedBytes::rawModeTypedSends()
{
    Harness h(rawOptions());
    openRaw(h);
    const QString text = QStringLiteral("caf\u00e9");
    QVERIFY(h->sendText(h.now, text).ok());
    QVERIFY(h->sendBytes(h.now, QByteArray("\x01\x02", 2)).ok());
    h.pump();
    const auto sent = h.actionsOf<SendFrame>();
    QCOMPARE(int(sent.size()), 2);
    QVERIFY(!sent[0].binary);
    QCOMPARE(sent[0].bytes, text.toUtf8());
    QVERIFY(sent[1].binary);
    QCOMPARE(sent[1].bytes, QByteArray("\x01\x02", 2));
    QCOMPARE(int(h.eventsOf<Sent>().size()), 2);

    const auto refusedText = h->sendText(h.now, text, withId(QStringLiteral("t"), QStringLiteral("room")));
    QVERIFY(!refusedText.ok());
    QCOMPARE(refusedText.error->code, ErrorCode::NotSupported);
    const auto refusedValue = h->send(h.now, QCborValue(42));
    QVERIFY(!refusedValue.ok());
    QVERIFY2(refusedValue.error->message.contains(QStringLiteral("byte arrays or strings only")),
             qPrintable(refusedValue.error->message));
    QCOMPARE(h->queueDepth(), qsizetype(0));
}

QTEST_APPLESS_MAIN(tst_EngineSharedBytes)
#include "tst_engine_shared_bytes.moc"
