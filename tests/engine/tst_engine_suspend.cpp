// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// suspend(): an app going to background closes the socket with 1001 (the server keeps the
// session, docs/protocol.md §3) but keeps its outbox, its retryable requests and its session;
// no reconnect follows. The next open() resumes the session when the server still has it,
// else takes the usual session-lost path. close() after suspend() forgets it all.
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

namespace {

// Brings a fresh engine into `state` (Connecting: the socket opening, or open with hello
// sent when `socketOpen`).
void reach(Harness &h, State state, bool socketOpen)
{
    switch (state) {
    case State::Idle:
        break;
    case State::Connecting:
        h->open(h.now);
        h.pump();
        if (socketOpen)
            h.opened();
        break;
    case State::Connected:
        h.connect();
        break;
    case State::Reconnecting:
        h.connect();
        h.closed(1006);
        break;
    case State::Failed:
        h.connect();
        h.closed(4401);
        break;
    case State::Closed:
        h->open(h.now);
        h->close(h.now);
        h.pump();
        break;
    }
}

} // namespace

class tst_EngineSuspend : public QObject {
    Q_OBJECT
private slots:
    void fromEveryState_data();
    void fromEveryState();
    void reopen_data();
    void reopen();
    void closeAfterSuspendForgetsTheSession();
    void ttlAndTimeoutsRunWhileSuspended();
};

void tst_EngineSuspend::fromEveryState_data()
{
    QTest::addColumn<int>("state");
    QTest::addColumn<bool>("socketOpen");
    QTest::addColumn<int>("socketAction");  // 0 none, 1 CloseSocket 1001, 2 AbortSocket
    QTest::addRow("Idle") << int(State::Idle) << false << 0;
    QTest::addRow("Connecting, socket opening: aborted") << int(State::Connecting) << false << 2;
    QTest::addRow("Connecting, hello sent: closed 1001") << int(State::Connecting) << true << 1;
    QTest::addRow("Connected: closed 1001") << int(State::Connected) << true << 1;
    QTest::addRow("Reconnecting") << int(State::Reconnecting) << false << 0;
    QTest::addRow("Failed") << int(State::Failed) << false << 0;
    QTest::addRow("Closed") << int(State::Closed) << false << 0;
}

void tst_EngineSuspend::fromEveryState()
{
    QFETCH(int, state);
    QFETCH(bool, socketOpen);
    QFETCH(int, socketAction);
    Harness h;
    reach(h, State(state), socketOpen);
    QCOMPARE(h->state(), State(state));
    const int closes = h.countActions<CloseSocket>();
    const int aborts = h.countActions<AbortSocket>();
    const int opens = h.countActions<OpenSocket>();
    h.clearEvents();
    h->suspend(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Closed);
    QCOMPARE(h.countActions<CloseSocket>() - closes, socketAction == 1 ? 1 : 0);
    QCOMPARE(h.countActions<AbortSocket>() - aborts, socketAction == 2 ? 1 : 0);
    if (socketAction == 1)
        QCOMPARE(h.actionsOf<CloseSocket>().back().code, 1001);  // never 1000: keeps the session
    QCOMPARE(h.countEvents<Disconnected>(), State(state) == State::Connected ? 1 : 0);
    QCOMPARE(h.countEvents<StateChanged>(), State(state) == State::Closed ? 0 : 1);
    QVERIFY(!h->pollTimeout());  // no reconnect, no heartbeat, nothing to wake up for
    h.advance(milliseconds(600'000));
    QCOMPARE(h.countActions<OpenSocket>(), opens);
    QCOMPARE(h->state(), State::Closed);
}

void tst_EngineSuspend::reopen_data()
{
    QTest::addColumn<bool>("serverKeptSession");
    QTest::addRow("server still has the session: resumed") << true;
    QTest::addRow("server lost the session: new session") << false;
}

void tst_EngineSuspend::reopen()
{
    QFETCH(bool, serverKeptSession);
    Harness h;
    h.connect(QStringLiteral("s1"));
    h->subscribe(h.now, QStringLiteral("room"));
    h.pump();
    h.serverFrame(P::Res{h.takeSentOf<P::Sub>().front().id, QCborValue(true)});
    h.serverFrame(serverMsg(1, QStringLiteral("srv-1"), text("hello")));
    h.advance(milliseconds(50));  // the engine acks it
    QStringList ids;
    for (int i = 0; i < 3; ++i)
        ids.append(h.send(QCborValue(i)).id);
    RequestOptions retry;
    retry.retryable = true;
    const quint64 retryable = h->request(h.now, QStringLiteral("get"), QCborValue(1), retry).id;
    const quint64 plain = h->request(h.now, QStringLiteral("put"), QCborValue(2)).id;
    h.pump();
    QCOMPARE(int(h.takeSentOf<P::Msg>().size()), 3);
    h.serverFrame(P::Ack{1});

    h.clearEvents();
    h->suspend(h.now);
    h.pump();
    QCOMPARE(h.actionsOf<CloseSocket>().back().code, 1001);
    // Only the non-retryable request on the wire ends; no message ends.
    const auto finished = h.eventsOf<RequestFinished>();
    QCOMPARE(int(finished.size()), 1);
    QCOMPARE(finished.front().id, plain);
    QCOMPARE(finished.front().error->code, ErrorCode::ConnectionLost);
    QCOMPARE(h.countEvents<Dropped>(), 0);
    QCOMPARE(h->queueDepth(), 2);
    const QString late = h.send(text("while suspended")).id;
    QCOMPARE(h->queueDepth(), 3);
    h.advance(milliseconds(20'000));  // within the requests' 30 s timeout
    QCOMPARE(h.countActions<OpenSocket>(), 1);  // no reconnect while suspended

    // Back to the foreground: hello resumes the old session.
    h->open(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Connecting);
    h.opened();
    const auto hellos = h.takeSentOf<P::Hello>();
    QCOMPARE(int(hellos.size()), 1);
    QCOMPARE(hellos.front().sid.value_or(QString()), QStringLiteral("s1"));
    QCOMPARE(hellos.front().rx.value_or(99), quint64(1));
    QCOMPARE(hellos.front().ak.value_or(99), quint64(1));
    // The server had accepted seq 2 (its ack was lost with the socket).
    h.serverFrame(serverKeptSession ? h.welcome(QStringLiteral("s1"), true, 2) : h.welcome(QStringLiteral("s2")));
    QCOMPARE(h->state(), State::Connected);
    QCOMPARE(h.countEvents<SessionLost>(), serverKeptSession ? 0 : 1);
    QCOMPARE(h.eventsOf<Connected>().back().resumed, serverKeptSession);

    std::vector<P::Msg> msgs;
    std::vector<P::Sub> subs;
    std::vector<P::Req> reqs;
    for (auto &f : h.takeSent()) {
        if (auto *m = std::get_if<P::Msg>(&f))
            msgs.push_back(*m);
        else if (auto *s = std::get_if<P::Sub>(&f))
            subs.push_back(*s);
        else if (auto *r = std::get_if<P::Req>(&f))
            reqs.push_back(*r);
    }
    // Resumed: seq 3 again, then the new one as 4; subscriptions survive on the server.
    // New session: the three unacked ones renumbered from 1, re-subscribed.
    const QStringList expectedIds = serverKeptSession ? QStringList{ids.at(2), late}
                                                      : QStringList{ids.at(1), ids.at(2), late};
    QCOMPARE(int(msgs.size()), int(expectedIds.size()));
    const quint64 firstSeq = serverKeptSession ? 3 : 1;
    for (size_t i = 0; i < msgs.size(); ++i) {
        QCOMPARE(*msgs[i].id, expectedIds.at(int(i)));
        QCOMPARE(*msgs[i].seq, firstSeq + i);
    }
    QCOMPARE(int(subs.size()), serverKeptSession ? 0 : 1);
    QCOMPARE(int(reqs.size()), 1);  // the retryable request, resent after welcome
    QCOMPARE(reqs.front().id, retryable);

    h.serverFrame(P::Ack{msgs.back().seq.value()});
    h.serverFrame(P::Res{retryable, QCborValue(7)});
    if (!subs.empty())
        h.serverFrame(P::Res{subs.front().id, QCborValue(true)});
    h.advance(milliseconds(2000));  // a resumed session settles what welcome.rx covered
    const auto out = outcomes(h);
    for (const QString &id : ids.mid(1) + QStringList{late})
        QCOMPARE(out.value(id), QStringList{QStringLiteral("delivered")});
    QCOMPARE(h->queueDepth(), 0);
    const auto done = h.eventsOf<RequestFinished>();
    QCOMPARE(int(done.size()), 2);  // the ConnectionLost one, then the retryable one
    QCOMPARE(done.back().id, retryable);
    QVERIFY(!done.back().error);
}

void tst_EngineSuspend::closeAfterSuspendForgetsTheSession()
{
    Harness h;
    h.connect(QStringLiteral("s1"));
    const QString id = h.send(text("a")).id;
    h->suspend(h.now);
    h.pump();
    QCOMPARE(h.countEvents<Dropped>(), 0);
    h->close(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Closed);
    QCOMPARE(outcomes(h).value(id), QStringList{QStringLiteral("dropped:Closed")});
    h->open(h.now);
    h.pump();
    h.opened();
    const auto hellos = h.takeSentOf<P::Hello>();
    QCOMPARE(int(hellos.size()), 1);
    QVERIFY(!hellos.front().sid);  // a new session: close() said the app is done with it
}

void tst_EngineSuspend::ttlAndTimeoutsRunWhileSuspended()
{
    // While suspended, a TTL only expires what was never written in the session; a
    // waiting request still times out from its call.
    Harness h;
    h.connect();
    SendOptions shortLived;
    shortLived.ttl = milliseconds(1000);
    const QString onWire = h.send(text("on the wire"), shortLived).id;
    h.takeSent();
    h->suspend(h.now);
    h.pump();
    const QString queued = h.send(text("queued"), shortLived).id;
    RequestOptions ro;
    ro.timeout = milliseconds(1500);
    const quint64 req = h->request(h.now, QStringLiteral("get"), {}, ro).id;
    h.pump();
    QVERIFY(h->pollTimeout());
    h.advance(milliseconds(2000));
    QCOMPARE(outcomes(h).value(queued), QStringList{QStringLiteral("dropped:Expired")});
    QVERIFY(!outcomes(h).contains(onWire));
    const auto finished = h.eventsOf<RequestFinished>();
    QCOMPARE(int(finished.size()), 1);
    QCOMPARE(finished.front().id, req);
    QCOMPARE(finished.front().error->code, ErrorCode::Timeout);
    // Resumed: the message written before suspend() is sent again and delivered.
    h->open(h.now);
    h.pump();
    h.opened();
    h.takeSent();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    const auto msgs = h.takeSentOf<P::Msg>();
    QCOMPARE(int(msgs.size()), 1);
    QCOMPARE(*msgs.front().id, onWire);
    h.serverFrame(P::Ack{1});
    QCOMPARE(outcomes(h).value(onWire), QStringList{QStringLiteral("delivered")});
}

QTEST_GUILESS_MAIN(tst_EngineSuspend)
#include "tst_engine_suspend.moc"
