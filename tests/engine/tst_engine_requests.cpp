// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Requests and channels: one res finishes each, unknown ids ignored, per-request timeouts
// counted from the call (even offline), Timeout vs ConnectionLost vs retryable, requests
// waiting offline, cancel, channel restore after a new session, refused subscriptions.
#include "engine_harness.h"

#include <QtTest/QTest>

using namespace EngineTest;

namespace {

std::optional<RequestFinished> finished(const Harness &h, quint64 id)
{
    std::optional<RequestFinished> out;
    int n = 0;
    for (const auto &f : h.eventsOf<RequestFinished>())
        if (f.id == id) {
            out = f;
            ++n;
        }
    if (n > 1)
        qFatal("request finished %d times", n);
    return out;
}

} // namespace

class tst_EngineRequests : public QObject {
    Q_OBJECT
private slots:
    void resultAndError();
    void unknownResIgnored();
    void idsUniqueAmongPending();
    void lossOutcome_data();
    void lossOutcome();
    void timeoutCountsFromCallEvenOffline();
    void requestWaitsOfflineInOrder();
    void cancel();
    void closeFailsPending();
    void channelRestoredAfterNewSessionOnly_data();
    void channelRestoredAfterNewSessionOnly();
    void refusedSubscriptionLeavesDesiredSet();
    void unsubscribeLeavesDesiredSet();
    void invalidArguments();
};

void tst_EngineRequests::resultAndError()
{
    Harness h;
    h.connect();
    const auto ok = h->request(h.now, QStringLiteral("echo"), text("hi"));
    const auto bad = h->request(h.now, QStringLiteral("nope"));
    h.pump();
    const auto reqs = h.takeSentOf<P::Req>();
    QCOMPARE(int(reqs.size()), 2);
    QCOMPARE(reqs[0].m, QStringLiteral("echo"));
    QCOMPARE(*reqs[0].d, text("hi"));
    QVERIFY(!reqs[1].d);
    h.serverFrame(P::Res{ok.id, text("hi")});
    h.serverFrame(P::Res{bad.id, P::ErrorObject{QStringLiteral("no_method"), QStringLiteral("unknown"), std::nullopt}});
    QCOMPARE(finished(h, ok.id)->result, text("hi"));
    QVERIFY(!finished(h, ok.id)->error);
    QCOMPARE(finished(h, bad.id)->error->remoteCode, QStringLiteral("no_method"));
    QCOMPARE(finished(h, bad.id)->error->kind, ErrorKind::Remote);
}

void tst_EngineRequests::unknownResIgnored()
{
    Harness h;
    h.connect();
    const auto r = h->request(h.now, QStringLiteral("a"));
    h.pump();
    h.serverFrame(P::Res{r.id + 100, QCborValue(1)});
    h.serverFrame(P::Res{r.id, QCborValue(2)});
    h.serverFrame(P::Res{r.id, QCborValue(3)});  // already finished: ignored
    QCOMPARE(h.countEvents<RequestFinished>(), 1);
    QCOMPARE(finished(h, r.id)->result, QCborValue(2));
    QCOMPARE(h->state(), State::Connected);
}

void tst_EngineRequests::idsUniqueAmongPending()
{
    Harness h;
    QSet<quint64> ids;
    for (int i = 0; i < 100; ++i)
        ids.insert(h->request(h.now, QStringLiteral("m")).id);
    QCOMPARE(ids.size(), 100);
}

void tst_EngineRequests::lossOutcome_data()
{
    QTest::addColumn<bool>("retryable");
    QTest::addRow("plain request fails ConnectionLost") << false;
    QTest::addRow("retryable request is resent after welcome") << true;
}

void tst_EngineRequests::lossOutcome()
{
    QFETCH(bool, retryable);
    Harness h;
    h.connect();
    RequestOptions ro;
    ro.retryable = retryable;
    const auto r = h->request(h.now, QStringLiteral("pay"), QCborValue(5), ro);
    h.pump();
    QCOMPARE(int(h.takeSentOf<P::Req>().size()), 1);
    h.closed(1006);
    if (!retryable) {
        QCOMPARE(finished(h, r.id)->error->code, ErrorCode::ConnectionLost);
        QCOMPARE(finished(h, r.id)->error->kind, ErrorKind::Transport);
        return;
    }
    QVERIFY(!finished(h, r.id));
    h.advanceTo(*h->pollTimeout());
    h.opened();
    h.serverFrame(h.welcome(QStringLiteral("s1"), true, 0));
    const auto again = h.takeSentOf<P::Req>();
    QCOMPARE(int(again.size()), 1);
    QCOMPARE(again.front().id, r.id);
    h.serverFrame(P::Res{r.id, QCborValue(6)});
    QCOMPARE(finished(h, r.id)->result, QCborValue(6));
}

void tst_EngineRequests::timeoutCountsFromCallEvenOffline()
{
    Options o = baseOptions();
    o.heartbeatInterval = milliseconds(0);  // no pings: this server never answers them
    Harness h(o);
    RequestOptions ro;
    ro.timeout = milliseconds(5000);
    const auto r = h->request(h.now, QStringLiteral("slow"), {}, ro);
    const auto dflt = h->request(h.now, QStringLiteral("default"));
    h.advance(milliseconds(3000));
    h.connect();
    QCOMPARE(int(h.takeSentOf<P::Req>().size()), 2);
    h.advance(milliseconds(1999));
    QVERIFY(!finished(h, r.id));
    h.advance(milliseconds(1));
    QCOMPARE(finished(h, r.id)->error->code, ErrorCode::Timeout);
    QCOMPARE(finished(h, r.id)->error->kind, ErrorKind::Timeout);
    h.advance(milliseconds(24'999));
    QVERIFY(!finished(h, dflt.id));
    h.advance(milliseconds(1));  // default 30 s from the call
    QCOMPARE(finished(h, dflt.id)->error->code, ErrorCode::Timeout);
    QCOMPARE(int(h->stats().requestsTimedOut), 2);
    h.serverFrame(P::Res{r.id, QCborValue(1)});  // too late: ignored
    QCOMPARE(h.countEvents<RequestFinished>(), 2);
}

void tst_EngineRequests::requestWaitsOfflineInOrder()
{
    Harness h;
    const auto a = h->request(h.now, QStringLiteral("a"));
    const auto b = h->request(h.now, QStringLiteral("b"));
    h.pump();
    QVERIFY(h.takeSentOf<P::Req>().empty());
    h.connect();
    const auto reqs = h.takeSentOf<P::Req>();
    QCOMPARE(int(reqs.size()), 2);
    QCOMPARE(reqs[0].id, a.id);
    QCOMPARE(reqs[1].id, b.id);
}

void tst_EngineRequests::cancel()
{
    Harness h;
    h.connect();
    const auto r = h->request(h.now, QStringLiteral("a"));
    QVERIFY(h->cancelRequest(h.now, r.id));
    QVERIFY(!h->cancelRequest(h.now, r.id));
    h.pump();
    QCOMPARE(finished(h, r.id)->error->code, ErrorCode::Closed);
    h.serverFrame(P::Res{r.id, QCborValue(1)});
    QCOMPARE(h.countEvents<RequestFinished>(), 1);
}

void tst_EngineRequests::closeFailsPending()
{
    Harness h;
    const auto offline = h->request(h.now, QStringLiteral("a"));
    h.connect();
    const auto sent = h->request(h.now, QStringLiteral("b"));
    h->close(h.now);
    h.pump();
    QCOMPARE(finished(h, offline.id)->error->code, ErrorCode::Closed);
    QCOMPARE(finished(h, sent.id)->error->code, ErrorCode::Closed);
    QCOMPARE(h->stats().pendingRequests, 0);
    QVERIFY(!h->pollTimeout());
}

void tst_EngineRequests::channelRestoredAfterNewSessionOnly_data()
{
    QTest::addColumn<bool>("resumed");
    QTest::addRow("resumed: subscriptions survive") << true;
    QTest::addRow("new session: re-subscribe") << false;
}

void tst_EngineRequests::channelRestoredAfterNewSessionOnly()
{
    QFETCH(bool, resumed);
    Harness h;
    h.connect();
    const auto a = h->subscribe(h.now, QStringLiteral("a"));
    const auto b = h->subscribe(h.now, QStringLiteral("b"));
    h.pump();
    h.serverFrame(P::Res{a.id, QCborValue(true)});
    h.serverFrame(P::Res{b.id, QCborValue(true)});
    QCOMPARE(h->channels(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    h.takeSent();
    h.dropAndReopen();
    h.takeSent();
    h.serverFrame(h.welcome(resumed ? QStringLiteral("s1") : QStringLiteral("s2"), resumed, 0));
    const auto subs = h.takeSentOf<P::Sub>();
    if (resumed) {
        QVERIFY(subs.empty());
        return;
    }
    QCOMPARE(int(subs.size()), 2);
    QCOMPARE(subs[0].ch, QStringLiteral("a"));
    QCOMPARE(subs[1].ch, QStringLiteral("b"));
    // A refused re-subscribe is reported, not silently forgotten.
    h.serverFrame(P::Res{subs[0].id, QCborValue(true)});
    h.serverFrame(P::Res{subs[1].id, P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("no"), std::nullopt}});
    QCOMPARE(h.countEvents<RequestFinished>(), 2);  // only the app's two
    QCOMPARE(h.eventsOf<ErrorOccurred>().back().error.remoteCode, QStringLiteral("forbidden"));
    QCOMPARE(h->channels(), QStringList{QStringLiteral("a")});
}

void tst_EngineRequests::refusedSubscriptionLeavesDesiredSet()
{
    Harness h;
    h.connect();
    const auto s = h->subscribe(h.now, QStringLiteral("secret"));
    h.pump();
    h.serverFrame(P::Res{s.id, P::ErrorObject{QStringLiteral("forbidden"), QStringLiteral("no"), std::nullopt}});
    QVERIFY(h->channels().isEmpty());
    QCOMPARE(finished(h, s.id)->error->code, ErrorCode::Rejected);
}

void tst_EngineRequests::unsubscribeLeavesDesiredSet()
{
    Harness h;
    h.connect();
    h->subscribe(h.now, QStringLiteral("a"));
    const auto u = h->unsubscribe(h.now, QStringLiteral("a"));
    h.pump();
    QVERIFY(h->channels().isEmpty());
    const auto unsubs = h.takeSentOf<P::Unsub>();
    QCOMPARE(int(unsubs.size()), 1);
    QCOMPARE(unsubs.front().id, u.id);
}

void tst_EngineRequests::invalidArguments()
{
    Harness h;
    QCOMPARE(h->request(h.now, QString()).error->code, ErrorCode::InvalidArgument);
    QCOMPARE(h->subscribe(h.now, QString()).error->code, ErrorCode::InvalidArgument);
    QCOMPARE(h->unsubscribe(h.now, QString()).error->code, ErrorCode::InvalidArgument);
    QCOMPARE(h->request(h.now, QStringLiteral("m"), QCborValue(QByteArray("b"))).error->code, ErrorCode::NotSupported);
    h.pump();
    QCOMPARE(h.countEvents<RequestFinished>(), 0);
}

QTEST_GUILESS_MAIN(tst_EngineRequests)
#include "tst_engine_requests.moc"
