// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The token provider (single flight, 4001 refresh, bounded tries, timeout, 4401/4403
// permanent) and raw mode (docs/protocol.md §9).
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

namespace {

Options tokenOptions()
{
    Options o = baseOptions();
    o.useToken = true;
    return o;
}

} // namespace

class tst_EngineToken : public QObject {
    Q_OBJECT
private slots:
    void tokenBeforeEachConnect();
    void singleFlight();
    void expiredTokenRefreshedAtOnce();
    void expiredReasonLastsUntilANewToken();
    void rejectedTokensBounded();
    void providerFailuresBounded_data();
    void providerFailuresBounded();
    void permanentAuthCodes_data();
    void permanentAuthCodes();
    void staleAnswersIgnored();
    void rawModeLifecycleAndQueue();
    void rawModeRefusesProtocolFeatures();
    void rawModeInbound();
};

void tst_EngineToken::tokenBeforeEachConnect()
{
    Harness h(tokenOptions());
    h->open(h.now);
    h.pump();
    QCOMPARE(h.countEvents<TokenRequired>(), 1);
    QCOMPARE(h.countActions<OpenSocket>(), 0);  // no socket before the token
    h->provideToken(h.now, QStringLiteral("secret-1"));
    h.opened();
    QCOMPARE(*h.takeSentOf<P::Hello>().front().token, QStringLiteral("secret-1"));
    h.serverFrame(h.welcome());
    h.closed(1006);
    h.advanceTo(*h->pollTimeout());
    QCOMPARE(h.countEvents<TokenRequired>(), 2);  // asked again for the reconnect
    for (const TokenRequired &asked : h.eventsOf<TokenRequired>())
        QCOMPARE(asked.reason, TokenReason::Connect);  // a drop is no reason to distrust the token
}

void tst_EngineToken::singleFlight()
{
    Harness h(tokenOptions());
    h->open(h.now);
    h->notifyNetworkChanged(h.now);
    h->open(h.now);
    h.pump();
    QCOMPARE(h.countEvents<TokenRequired>(), 1);
}

void tst_EngineToken::expiredTokenRefreshedAtOnce()
{
    Harness h(tokenOptions());
    h->open(h.now);
    h->provideToken(h.now, QStringLiteral("t1"));
    h.opened();
    h.serverFrame(h.welcome());
    h.clearEvents();
    h.closed(4001);
    QCOMPARE(h->state(), State::Connecting);  // no backoff wait
    QCOMPARE(h.countEvents<TokenRequired>(), 1);
    QCOMPARE(h.eventsOf<TokenRequired>().front().reason, TokenReason::Expired);
    QCOMPARE(h.eventsOf<TokenRequired>().front().attempt, 2);  // the expired token counts as a failure
    QCOMPARE(h.countEvents<Reconnecting>(), 0);
    h->provideToken(h.now, QStringLiteral("t2"));
    h.pump();
    QCOMPARE(h.countActions<OpenSocket>(), 2);
    h.opened();
    QCOMPARE(*h.takeSentOf<P::Hello>().back().token, QStringLiteral("t2"));
}

// Expired (docs/protocol.md §8: 4001) holds for every question until the app provides a token:
// a failed refresh does not make the old token valid again; a new one, even if its
// connection then fails for another reason, is not known to be expired.
void tst_EngineToken::expiredReasonLastsUntilANewToken()
{
    Harness h(tokenOptions());
    h->open(h.now);
    h->provideToken(h.now, QStringLiteral("t1"));
    h.opened();
    h.serverFrame(h.welcome());
    h.closed(4001);
    h->tokenFailed(h.now, u"offline");
    h.pump();
    QCOMPARE(h->state(), State::Reconnecting);
    h.advanceTo(*h->pollTimeout());
    h->provideToken(h.now, QStringLiteral("t2"));
    h.pump();
    h->handleTransportError(h.now, u"connection refused");
    h.pump();
    h.advanceTo(*h->pollTimeout());
    QList<TokenReason> reasons;
    for (const TokenRequired &asked : h.eventsOf<TokenRequired>())
        reasons << asked.reason;
    QCOMPARE(reasons, (QList<TokenReason>{TokenReason::Connect, TokenReason::Expired, TokenReason::Expired,
                                          TokenReason::Connect}));
}

void tst_EngineToken::rejectedTokensBounded()
{
    Options o = tokenOptions();
    o.maxTokenAttempts = 3;
    Harness h(o);
    h->open(h.now);
    for (int i = 0; i < 10 && h->state() == State::Connecting; ++i) {
        h->provideToken(h.now, QStringLiteral("bad"));
        h.opened();
        h.closed(4001);  // rejected before welcome
    }
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.countActions<OpenSocket>(), 3);
    QCOMPARE(h.eventsOf<Failed>().front().error.code, ErrorCode::Unauthorized);
}

void tst_EngineToken::providerFailuresBounded_data()
{
    QTest::addColumn<bool>("timeout");
    QTest::addRow("provider reports failure") << false;
    QTest::addRow("provider never answers") << true;
}

void tst_EngineToken::providerFailuresBounded()
{
    QFETCH(bool, timeout);
    Options o = tokenOptions();
    o.maxTokenAttempts = 3;
    Harness h(o);
    h->open(h.now);
    h.pump();
    for (int i = 0; i < 10 && h->state() != State::Failed; ++i) {
        if (timeout)
            h.advance(milliseconds(10'000));
        else
            h->tokenFailed(h.now, u"keychain locked");
        h.pump();
        if (h->state() == State::Reconnecting)
            h.advanceTo(*h->pollTimeout());
    }
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.countEvents<TokenRequired>(), 3);
    QCOMPARE(h.countActions<OpenSocket>(), 0);
    QCOMPARE(h.eventsOf<Failed>().front().error.code, ErrorCode::TokenUnavailable);
    QCOMPARE(h.countEvents<Reconnecting>(), 2);  // backed off between tries
}

void tst_EngineToken::permanentAuthCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("error");
    QTest::addRow("4401") << 4401 << int(ErrorCode::Unauthorized);
    QTest::addRow("4403") << 4403 << int(ErrorCode::Forbidden);
}

void tst_EngineToken::permanentAuthCodes()
{
    QFETCH(int, code);
    QFETCH(int, error);
    Harness h(tokenOptions());
    h->open(h.now);
    h->provideToken(h.now, QStringLiteral("t"));
    h.opened();
    P::ErrorFrame e;
    e.code = QStringLiteral("unauthorized");
    e.msg = QStringLiteral("bad token");
    h.serverFrame(e);
    h.closed(code);
    QCOMPARE(h->state(), State::Failed);
    const auto failed = h.eventsOf<Failed>().front().error;
    QCOMPARE(failed.code, ErrorCode(error));
    QCOMPARE(failed.closeCode, code);
    QCOMPARE(failed.remoteCode, QStringLiteral("unauthorized"));
    h.advance(milliseconds(600'000));
    QCOMPARE(h.countEvents<TokenRequired>(), 1);  // no retry loop
}

void tst_EngineToken::staleAnswersIgnored()
{
    Harness h(tokenOptions());
    h->provideToken(h.now, QStringLiteral("unasked"));
    h->tokenFailed(h.now, u"unasked");
    h.pump();
    QCOMPARE(h->state(), State::Idle);
    QCOMPARE(h.countActions<OpenSocket>(), 0);
}

void tst_EngineToken::rawModeLifecycleAndQueue()
{
    Options o = baseOptions();
    o.rawMode = true;
    o.rawSubprotocols = {QByteArray("echo")};
    Harness h(o);
    const auto bin = h.send(QCborValue(QByteArray("\x00\x01", 2)));
    const auto txt = h.send(text("hello"));
    const auto reliable = h.send(text("treated as at-most-once"), SendOptions{Delivery::AtLeastOnce, {}, {}, {}, {}, {}});
    QVERIFY(bin.ok() && txt.ok() && reliable.ok());
    h->open(h.now);
    h.pump();
    QCOMPARE(h.actionsOf<OpenSocket>().front().subprotocols, QList<QByteArray>{QByteArray("echo")});
    h->handleOpened(h.now, "echo");
    h.pump();
    QCOMPARE(h->state(), State::Connected);  // no hello, no welcome
    const auto frames = h.actionsOf<SendFrame>();
    QCOMPARE(int(frames.size()), 3);
    QCOMPARE(frames[0].bytes, QByteArray("\x00\x01", 2));
    QVERIFY(frames[0].binary);
    QCOMPARE(frames[1].bytes, QByteArray("hello"));
    QVERIFY(!frames[1].binary);
    QCOMPARE(h.countEvents<Sent>(), 3);
    // Heartbeats and backoff still work.
    h.advance(milliseconds(15'000));
    QCOMPARE(h.countActions<SendPing>(), 1);
    h.closed(1006);
    QCOMPARE(h->state(), State::Reconnecting);
    h.advanceTo(*h->pollTimeout());
    h->handleOpened(h.now, "");
    h.pump();
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(int(h.actionsOf<SendFrame>().size()), 3);  // nothing retransmitted
}

void tst_EngineToken::rawModeRefusesProtocolFeatures()
{
    Options o = baseOptions();
    o.rawMode = true;
    Harness h(o);
    QCOMPARE(h->request(h.now, QStringLiteral("m")).error->code, ErrorCode::NotSupported);
    QCOMPARE(h->subscribe(h.now, QStringLiteral("c")).error->code, ErrorCode::NotSupported);
    QCOMPARE(h->unsubscribe(h.now, QStringLiteral("c")).error->code, ErrorCode::NotSupported);
    QCOMPARE(h.send(QCborValue(42)).error->code, ErrorCode::NotSupported);
    SendOptions onChannel;
    onChannel.channel = QStringLiteral("c");
    const SendResult published = h.send(QCborValue(QStringLiteral("text")), onChannel);
    QVERIFY(!published.ok());
    QCOMPARE(published.error->code, ErrorCode::NotSupported);
    QCOMPARE(h->queueDepth(), 0);
}

void tst_EngineToken::rawModeInbound()
{
    Options o = baseOptions();
    o.rawMode = true;
    Harness h(o);
    h->open(h.now);
    h->handleOpened(h.now, "");
    h->handleFrame(h.now, "not json at all {", false);
    h->handleFrame(h.now, QByteArray("\xff\x00", 2), true);
    h.pump();
    const auto got = h.eventsOf<MessageReceived>();
    QCOMPARE(int(got.size()), 2);
    QCOMPARE(got[0].payload, text("not json at all {"));
    QCOMPARE(got[1].payload, QCborValue(QByteArray("\xff\x00", 2)));
    QCOMPARE(h->state(), State::Connected);
}

QTEST_GUILESS_MAIN(tst_EngineToken)
#include "tst_engine_token.moc"
