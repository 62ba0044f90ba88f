// GET /metrics (demos/server/README.md, "Prometheus metrics"): the text exposition format,
// every documented family present (tether_redis_* at 0 in memory mode), and counters and
// gauges that move with the traffic a raw client makes. Scraped with QNetworkAccessManager,
// the way any HTTP scraper would, from a tether-server child process.
#include "conformance.h"

#include <QtCore/QRegularExpression>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>
#include <QtNetwork/QNetworkRequest>

using namespace Conformance;

namespace {

// One scrape: sample name with its labels ("tether_sessions{state=\"attached\"}") -> value,
// and the TYPE of each family.
struct Scrape {
    QString error;
    QByteArray contentType;
    QHash<QString, double> samples;
    QHash<QString, QString> types;

    double value(const QString &sample) const { return samples.value(sample, -1); }
};

// Parses the text format strictly enough that a malformed line fails the test.
QString parseExposition(const QByteArray &body, Scrape &scrape)
{
    if (!body.endsWith('\n'))
        return QStringLiteral("the body does not end with a newline");
    const QList<QByteArray> lines = body.split('\n');
    static const QRegularExpression sampleLine(
        QStringLiteral(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"\})?) ([-+0-9.eE]+|\+Inf)$)"));
    for (const QByteArray &raw : lines) {
        const QString line = QString::fromUtf8(raw);
        if (line.isEmpty())
            continue;
        if (line.startsWith(QLatin1StringView("# HELP ")))
            continue;
        if (line.startsWith(QLatin1StringView("# TYPE "))) {
            const QStringList parts = line.mid(7).split(QLatin1Char(' '));
            if (parts.size() != 2)
                return QStringLiteral("bad TYPE line: ") + line;
            scrape.types.insert(parts[0], parts[1]);
            continue;
        }
        const QRegularExpressionMatch m = sampleLine.match(line);
        if (!m.hasMatch())
            return QStringLiteral("not a sample line: ") + line;
        bool ok = false;
        const double v = m.captured(3).toDouble(&ok);
        if (!ok)
            return QStringLiteral("bad value: ") + line;
        if (scrape.samples.contains(m.captured(1)))
            return QStringLiteral("sample twice: ") + line;
        scrape.samples.insert(m.captured(1), v);
    }
    return {};
}

Scrape scrape(QNetworkAccessManager &nam, const QUrl &url)
{
    Scrape result;
    QNetworkRequest request(url);
    request.setTransferTimeout(kDefaultWaitMs);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    if (!waitUntil([&] { return reply->isFinished(); }, kDefaultWaitMs)) {
        result.error = QStringLiteral("no answer to GET ") + url.toString();
        return result;
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() != QNetworkReply::NoError || status != 200) {
        result.error = QStringLiteral("GET %1: HTTP %2, %3").arg(url.toString()).arg(status).arg(reply->errorString());
        return result;
    }
    result.contentType = reply->rawHeader("Content-Type");
    result.error = parseExposition(reply->readAll(), result);
    return result;
}

// Scrapes until `done` holds for a scrape (a plain loop: a scrape runs the event loop
// itself, so it cannot be the predicate of waitUntil(), which waits for further events).
Scrape scrapeUntil(QNetworkAccessManager &nam, const QUrl &url, const std::function<bool(const Scrape &)> &done)
{
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        Scrape s = scrape(nam, url);
        if (!s.error.isEmpty() || done(s))
            return s;
        if (clock.elapsed() > kDefaultWaitMs) {
            s.error = QStringLiteral("the values did not move within %1 ms").arg(kDefaultWaitMs);
            return s;
        }
        spin(20);
    }
}

QUrl metricsUrl(const ServerProcess &server)
{
    return QUrl(QStringLiteral("http://%1:%2/metrics").arg(server.host()).arg(server.port()));
}

} // namespace

class tst_ServerMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // A short metrics tick: the session and channel gauges are as of the last tick.
        m_server.setExtraArgs({QStringLiteral("--metrics-interval"), QStringLiteral("100")});
        START_SERVER(m_server);
    }
    void cleanupTestCase() { QVERIFY(m_server.stop()); }

    void everyFamilyIsExposed()
    {
        const Scrape s = scrape(m_nam, metricsUrl(m_server));
        QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
        QVERIFY2(s.contentType.startsWith("text/plain; version=0.0.4"), s.contentType.constData());
        const QList<QPair<QString, QString>> families = {
            {QStringLiteral("tether_connections"), QStringLiteral("gauge")},
            {QStringLiteral("tether_sessions"), QStringLiteral("gauge")},
            {QStringLiteral("tether_channels"), QStringLiteral("gauge")},
            {QStringLiteral("tether_messages_in_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_messages_out_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_bytes_in_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_bytes_out_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_session_resumes_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_session_takeovers_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_redis_replies_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_redis_errors_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_redis_reply_wait_seconds"), QStringLiteral("summary")},
            {QStringLiteral("tether_redis_script_reloads_total"), QStringLiteral("counter")},
            {QStringLiteral("tether_uptime_seconds"), QStringLiteral("gauge")},
            {QStringLiteral("tether_resident_memory_bytes"), QStringLiteral("gauge")},
        };
        for (const auto &[name, type] : families)
            QVERIFY2(s.types.value(name) == type, qPrintable(name + QStringLiteral(" is not a ") + type));
        // The Redis families exist in both modes (one dashboard fits both): 0 in memory
        // mode; in Redis mode (the suite run with a --redis wrapper) consistent and healthy.
        const double replies = s.value(QStringLiteral("tether_redis_replies_total"));
        QCOMPARE(s.value(QStringLiteral("tether_redis_reply_wait_seconds_count")), replies);
        QCOMPARE(s.value(QStringLiteral("tether_redis_errors_total")), 0.0);
        QCOMPARE(s.value(QStringLiteral("tether_redis_script_reloads_total")), 0.0);
        if (replies == 0)
            QCOMPARE(s.value(QStringLiteral("tether_redis_reply_wait_seconds_sum")), 0.0);
        QVERIFY(s.samples.contains(QStringLiteral("tether_sessions{state=\"attached\"}")));
        QVERIFY(s.samples.contains(QStringLiteral("tether_sessions{state=\"detached\"}")));
        QVERIFY(s.value(QStringLiteral("tether_resident_memory_bytes")) > 0);
    }

    // Keep-alive: a scraper reusing its connection gets every answer, and other paths 404.
    void repeatedScrapesAndOtherPaths()
    {
        for (int i = 0; i < 20; ++i) {
            const Scrape s = scrape(m_nam, metricsUrl(m_server));
            QVERIFY2(s.error.isEmpty(), qPrintable(s.error));
        }
        QUrl other = metricsUrl(m_server);
        other.setPath(QStringLiteral("/metricsx"));
        std::unique_ptr<QNetworkReply> reply(m_nam.get(QNetworkRequest(other)));
        QVERIFY(waitUntil([&] { return reply->isFinished(); }, kDefaultWaitMs));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
    }

    void trafficMovesTheNumbers()
    {
        const Scrape before = scrape(m_nam, metricsUrl(m_server));
        QVERIFY2(before.error.isEmpty(), qPrintable(before.error));

        RawClient subscriber, publisher;
        CHECK_OK(openSession(subscriber, m_server.url(), Codec::Json));
        CHECK_OK(openSession(publisher, m_server.url(), Codec::Cbor));
        CHECK_OK(subscribe(subscriber, QStringLiteral("metrics-test")));
        const int n = 50;
        for (int seq = 1; seq <= n; ++seq)
            CHECK_OK(sendReliable(publisher, quint64(seq), QCborValue(seq), QStringLiteral("metrics-test")));
        for (int i = 0; i < n; ++i)
            QVERIFY(nextDataMsg(subscriber).has_value());

        const auto attached = QStringLiteral("tether_sessions{state=\"attached\"}");
        // The session and channel gauges follow the metrics tick (100 ms here).
        const Scrape during = scrapeUntil(m_nam, metricsUrl(m_server), [&](const Scrape &s) {
            return s.value(attached) >= before.value(attached) + 2;
        });
        QVERIFY2(during.error.isEmpty(), qPrintable(during.error));
        QCOMPARE(during.value(QStringLiteral("tether_connections")), before.value(QStringLiteral("tether_connections")) + 2);
        QVERIFY(during.value(QStringLiteral("tether_channels")) > before.value(QStringLiteral("tether_channels")));
        // hellos + sub + n msgs in; welcomes, res, acks and n deliveries out.
        QVERIFY(during.value(QStringLiteral("tether_messages_in_total"))
                >= before.value(QStringLiteral("tether_messages_in_total")) + n + 3);
        QVERIFY(during.value(QStringLiteral("tether_messages_out_total"))
                >= before.value(QStringLiteral("tether_messages_out_total")) + n + 3);
        QVERIFY(during.value(QStringLiteral("tether_bytes_in_total"))
                > before.value(QStringLiteral("tether_bytes_in_total")) + n);
        QVERIFY(during.value(QStringLiteral("tether_bytes_out_total"))
                > before.value(QStringLiteral("tether_bytes_out_total")) + n);

        // A dropped connection detaches its session (kept for resume).
        publisher.abort();
        const auto detached = QStringLiteral("tether_sessions{state=\"detached\"}");
        const Scrape after = scrapeUntil(m_nam, metricsUrl(m_server), [&](const Scrape &s) {
            return s.value(detached) >= before.value(detached) + 1
                && s.value(QStringLiteral("tether_connections")) == before.value(QStringLiteral("tether_connections")) + 1;
        });
        QVERIFY2(after.error.isEmpty(), qPrintable(after.error));
        subscriber.close(QWebSocketProtocol::CloseCodeNormal);
        QVERIFY(subscriber.waitClosed());
    }

    void resumeAndTakeoverAreCounted_data()
    {
        QTest::addColumn<bool>("takeover");
        QTest::addRow("resume after a drop") << false;
        QTest::addRow("takeover of an attached session") << true;
        QTest::addRow("new session is neither") << false;
    }
    void resumeAndTakeoverAreCounted()
    {
        QFETCH(bool, takeover);
        const bool newSessionOnly = QByteArray(QTest::currentDataTag()).startsWith("new session");
        const Scrape before = scrape(m_nam, metricsUrl(m_server));
        QVERIFY2(before.error.isEmpty(), qPrintable(before.error));

        RawClient first, second;
        QCborMap welcome;
        CHECK_OK(openSession(first, m_server.url(), Codec::Json, &welcome));
        if (!newSessionOnly) {
            if (!takeover) {
                first.abort();
                QVERIFY(first.waitClosed());
            }
            const QString sid = stringField(welcome, QLatin1StringView("sid")).value_or(QString());
            QCborMap resumed;
            CHECK_OK(openSession(second, m_server.url(), Codec::Json, &resumed, resumeHello(sid, 0, 0)));
            QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), std::optional<bool>(true));
            if (takeover)
                CHECK_OK(expectClose(first, 4409));
        }
        const Scrape after = scrape(m_nam, metricsUrl(m_server));
        QVERIFY2(after.error.isEmpty(), qPrintable(after.error));
        const auto delta = [&](const char *name) {
            return after.value(QLatin1StringView(name)) - before.value(QLatin1StringView(name));
        };
        QCOMPARE(delta("tether_session_resumes_total"), newSessionOnly ? 0.0 : 1.0);
        QCOMPARE(delta("tether_session_takeovers_total"), takeover ? 1.0 : 0.0);
    }

private:
    ServerProcess m_server;
    QNetworkAccessManager m_nam;
};

QTEST_GUILESS_MAIN(tst_ServerMetrics)
#include "tst_server_metrics.moc"
