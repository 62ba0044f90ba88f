// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Abuse limits of tether-server (issue 17), each attack with its limit, and the attack
// driver that measures what the other clients see meanwhile:
//   slowloris       many sockets dribbling an HTTP upgrade that never ends: cut after
//                   --handshake-timeout;
//   silent sockets  many upgraded sockets that never send hello: cut with 4400 after
//                   --hello-timeout;
//   frame flood     one connection writing tiny frames as fast as it can: rate_limited +
//                   4029 past --max-frame-rate;
//   subscriptions   10 000 sub from one session: the ones past --max-subscriptions get
//                   err{too_many_subscriptions}, the connection stays;
//   one address     many connections from one address: refused with 4013 past
//                   --max-per-ip (loopback is not limited by default: tested too).
// During each attack a canary session sends an echo request every 20 ms; its latency
// (p50/p99/max) and the server's RSS are printed ("abuse:" lines, the figures of
// docs/security.md) and bounded.
#include "conformance.h"
#include "raw_tcp_client.h"

#include <QtNetwork/QTcpSocket>

#include <algorithm>
#include <memory>
#include <vector>

using namespace Conformance;

namespace {

constexpr int kHandshakeTimeoutMs = 1000;
constexpr int kHelloTimeoutMs = 1000;
constexpr int kMaxSubscriptions = 100;
constexpr int kMaxFrameRate = 2000;
constexpr int kSockets = 300;
// Canary bound: generous for an ASan build on a loaded 2-core machine; an attack that
// starves the loop shows up as seconds.
constexpr qint64 kCanaryP99BoundMs = 1000;

struct Figures {
    QList<qint64> latenciesMs;
    qint64 rssBefore = 0;
    qint64 rssPeak = 0;
};

// Echo round trips of `canary`, one every 20 ms, until `done` (bounded by timeoutMs).
QString measureCanary(RawClient &canary, qint64 serverPid, Figures &figures,
                      const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > timeoutMs)
            return QStringLiteral("the attack did not end within %1 ms").arg(timeoutMs);
        QElapsedTimer rtt;
        rtt.start();
        const std::optional<QCborMap> res = canary.request(QStringLiteral("echo"), QCborValue(1));
        if (!res)
            return QStringLiteral("canary got no answer: ") + canary.errorString();
        figures.latenciesMs << rtt.elapsed();
        figures.rssPeak = std::max(figures.rssPeak, rssBytes(serverPid));
        QTest::qWait(20);
    }
    return {};
}

QString report(const char *attack, Figures &figures)
{
    if (figures.latenciesMs.isEmpty())
        return QStringLiteral("no canary sample");
    std::sort(figures.latenciesMs.begin(), figures.latenciesMs.end());
    const auto at = [&](double q) { return figures.latenciesMs.at(qsizetype(q * double(figures.latenciesMs.size() - 1))); };
    qInfo("abuse: %s: canary echo p50 %lld ms, p99 %lld ms, max %lld ms (%lld samples); server RSS %.1f MiB before, %.1f MiB peak",
          attack, at(0.5), at(0.99), figures.latenciesMs.last(), qint64(figures.latenciesMs.size()),
          double(figures.rssBefore) / 1048576.0, double(figures.rssPeak) / 1048576.0);
    if (at(0.99) > kCanaryP99BoundMs)
        return QStringLiteral("canary p99 %1 ms over %2 ms").arg(at(0.99)).arg(kCanaryP99BoundMs);
    return {};
}

int openCount(const std::vector<std::unique_ptr<QTcpSocket>> &sockets)
{
    return int(std::count_if(sockets.begin(), sockets.end(), [](const auto &s) {
        return s->state() != QAbstractSocket::UnconnectedState;
    }));
}

} // namespace

class tst_ServerAbuse : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server.setExtraArgs({QStringLiteral("--handshake-timeout"), QString::number(kHandshakeTimeoutMs),
                               QStringLiteral("--hello-timeout"), QString::number(kHelloTimeoutMs),
                               QStringLiteral("--max-subscriptions"), QString::number(kMaxSubscriptions),
                               QStringLiteral("--max-frame-rate"), QString::number(kMaxFrameRate)});
        START_SERVER(m_server);
    }

    void init()
    {
        m_canary = std::make_unique<RawClient>();
        CHECK_OK(openSession(*m_canary, m_server.url(), Codec::Cbor));
        m_figures = Figures{};
        m_figures.rssBefore = m_figures.rssPeak = rssBytes(m_server.pid());
    }

    // Slowloris: kSockets connections each send part of an upgrade request, then one more
    // header byte every 100 ms, never the blank line. All are cut after the handshake
    // deadline (lws counts whole seconds: by 1 s + 2 s of slack here).
    void slowloris()
    {
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        for (int i = 0; i < kSockets; ++i) {
            sockets.push_back(std::make_unique<QTcpSocket>());
            sockets.back()->connectToHost(m_server.host(), m_server.port());
            sockets.back()->write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        }
        QTimer drip;
        QObject::connect(&drip, &QTimer::timeout, [&] {
            for (auto &s : sockets)
                if (s->state() == QAbstractSocket::ConnectedState)
                    s->write("a");
        });
        drip.start(100);
        QElapsedTimer clock;
        clock.start();
        CHECK_OK(measureCanary(*m_canary, m_server.pid(), m_figures, [&] { return openCount(sockets) == 0; },
                               kHandshakeTimeoutMs + 4000));
        QVERIFY2(clock.elapsed() >= kHandshakeTimeoutMs - 100, qPrintable(QString::number(clock.elapsed())));
        qInfo("abuse: slowloris: %d dribbling sockets all cut after %lld ms", kSockets, clock.elapsed());
        CHECK_OK(report("slowloris", m_figures));
    }

    // Upgraded sockets that never say hello: error{hello_timeout} + 4400 after the deadline.
    void silentSockets()
    {
        std::vector<std::unique_ptr<RawTcpClient>> silent;
        for (int i = 0; i < kSockets; ++i) {
            silent.push_back(std::make_unique<RawTcpClient>());
            QVERIFY(silent.back()->upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                                           {subprotocolName(Codec::Json)}, kDefaultWaitMs));
        }
        QElapsedTimer clock;
        clock.start();
        CHECK_OK(measureCanary(*m_canary, m_server.pid(), m_figures, [&] {
            return std::all_of(silent.begin(), silent.end(), [](const auto &c) { return !c->isConnected(); });
        }, kHelloTimeoutMs + 5000));
        for (auto &c : silent)
            QCOMPARE(c->waitCloseCode(0), 4400);
        qInfo("abuse: silent sockets: %d upgraded, never hello, all closed with 4400 within %lld ms", kSockets,
              clock.elapsed());
        CHECK_OK(report("silent sockets", m_figures));
    }

    // Tiny frames as fast as the socket takes them (1 MiB of them in one write, about
    // 45 000 frames): rate_limited + 4029 once the bucket (--max-frame-rate) is empty.
    // 20 flooding connections one after the other while the canary is measured.
    void tinyFrameFlood()
    {
        const QByteArray tiny = WsWire::clientFrame(WsWire::Text, R"({"t":"msg","d":1})");
        QByteArray burst;
        while (burst.size() < (1 << 20))
            burst += tiny;
        constexpr int kFloods = 20;
        std::unique_ptr<RawTcpClient> flood;
        QList<int> codes;
        QString setupError;
        CHECK_OK(measureCanary(*m_canary, m_server.pid(), m_figures, [&] {
            if (flood) {
                const int code = flood->waitCloseCode(0);
                if (code == -1)
                    return false;
                codes << code;
                flood.reset();
            }
            if (codes.size() == kFloods)
                return true;
            flood = std::make_unique<RawTcpClient>();
            if (!flood->upgrade(m_server.host(), m_server.port(), QStringLiteral("/"), {subprotocolName(Codec::Json)},
                                kDefaultWaitMs)) {
                setupError = QStringLiteral("flood connection %1 refused").arg(codes.size());
                return true;
            }
            flood->write(WsWire::clientFrame(WsWire::Text, R"({"t":"hello","v":1})") + burst);
            return false;
        }, 60000));
        QVERIFY2(setupError.isEmpty(), qPrintable(setupError));
        QCOMPARE(codes, QList<int>(kFloods, 4029));
        qInfo("abuse: tiny-frame flood: %d connections each writing %lld frames at once, each closed with 4029 past "
              "%d frames/s", kFloods, qint64(burst.size() / tiny.size()), kMaxFrameRate);
        CHECK_OK(report("tiny-frame flood", m_figures));
    }

    // 10 000 subscriptions from one session: the first --max-subscriptions are answered,
    // the rest get err{too_many_subscriptions}; the session stays and is still served.
    void tenThousandSubscriptions()
    {
        RawClient greedy;
        CHECK_OK(openSession(greedy, m_server.url(), Codec::Cbor));
        constexpr int kSubs = 10000;
        // In slices of 30 between canary samples, so the frame-rate limit is not what
        // stops it.
        int answered = 0, refused = 0, sent = 0;
        CHECK_OK(measureCanary(*m_canary, m_server.pid(), m_figures, [&] {
            for (int i = 0; i < 30 && sent < kSubs; ++i, ++sent)
                greedy.sendFrame(subFrame(quint64(sent + 1), QStringLiteral("greedy.%1").arg(sent + 1)));
            while (const std::optional<QCborMap> res = greedy.waitForType(QStringLiteral("res"), 0)) {
                if (res->contains(QStringLiteral("err"))) {
                    QCborMap err = res->value(QStringLiteral("err")).toMap();
                    if (err.value(QStringLiteral("code")).toString() == QStringLiteral("too_many_subscriptions"))
                        ++refused;
                } else {
                    ++answered;
                }
            }
            return answered + refused == kSubs || greedy.isClosed();
        }, 60000));
        QVERIFY2(!greedy.isClosed(), qPrintable(QString::number(greedy.closeCode())));
        QCOMPARE(answered, kMaxSubscriptions);
        QCOMPARE(refused, kSubs - kMaxSubscriptions);
        CHECK_OK(expectResult(greedy.request(QStringLiteral("echo"), QCborValue(1))));
        qInfo("abuse: subscriptions: %d asked, %d granted, %d refused with too_many_subscriptions", kSubs, answered,
              refused);
        CHECK_OK(report("10 000 subscriptions", m_figures));
    }

    // Many connections from one address. Loopback is not limited by default (300 open);
    // with --max-per-ip 50, connections 51.. are refused with 4013, the first 50 served.
    void oneAddress()
    {
        std::vector<std::unique_ptr<RawClient>> many;
        for (int i = 0; i < kSockets; ++i) {
            many.push_back(std::make_unique<RawClient>());
            CHECK_OK(openSession(*many.back(), m_server.url(), Codec::Json));
        }
        many.clear();
        ServerProcess limited({QStringLiteral("--max-per-ip"), QStringLiteral("50")});
        START_SERVER(limited);
        RawClient canary;
        CHECK_OK(openSession(canary, limited.url(), Codec::Cbor));
        int refused = 0;
        for (int i = 0; i < 100; ++i) {
            auto c = std::make_unique<RawClient>();
            if (!openSession(*c, limited.url(), Codec::Json).isEmpty()) {
                QVERIFY(c->waitClosed());
                QCOMPARE(c->closeCode(), 4013);
                ++refused;
            }
            many.push_back(std::move(c));
        }
        QCOMPARE(refused, 51);   // the canary holds one of the 50
        m_figures.rssBefore = m_figures.rssPeak = rssBytes(limited.pid());
        int rounds = 0;
        CHECK_OK(measureCanary(canary, limited.pid(), m_figures, [&] { return ++rounds > 50; }, 30000));
        qInfo("abuse: one address: %d loopback connections accepted by default; with --max-per-ip 50, 100 more: "
              "%d refused with 4013", kSockets, refused);
        CHECK_OK(report("one address", m_figures));
    }

    void cleanupTestCase() { QVERIFY2(m_server.stop(), m_server.stderrTail().constData()); }

private:
    ServerProcess m_server;
    std::unique_ptr<RawClient> m_canary;
    Figures m_figures;
};

QTEST_GUILESS_MAIN(tst_ServerAbuse)
#include "tst_server_abuse.moc"
