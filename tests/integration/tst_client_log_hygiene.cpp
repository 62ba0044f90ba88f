// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Secrets never reach the log (issue 17): every tether.* category at debug, every message
// captured (qInstallMessageHandler, Qt's own categories included), while a Client goes
// through connects, a token refresh (4001), a server restart and reconnects, a refused
// token (4401, Failed), a refused connection and a URL with a credential in its query.
// The log must hold none of the tokens (nor their signatures or claims), the extra header
// values, the URL's secret, or the payloads sent and received — and must not be empty
// (debug output really was on).
#include "client_harness.h"

#include "server_process.h"
#include "test_tokens.h"
#include "wait.h"

#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QJsonObject>
#include <QtCore/QLoggingCategory>
#include <QtCore/QMutex>
#include <QtCore/QTemporaryDir>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

namespace {

const QByteArray kSecret = "log-hygiene-secret-of-at-least-32-bytes!";

QMutex g_logMutex;
QStringList g_log;
QtMessageHandler g_previous = nullptr;

void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        QMutexLocker lock(&g_logMutex);
        g_log << QStringLiteral("[%1] %2").arg(QLatin1StringView(context.category ? context.category : "default"),
                                                message);
    }
    if (g_previous && type >= QtWarningMsg)
        g_previous(type, context, message);  // warnings still reach QTest (ignoreMessage, failures)
}

QString token(const QString &user, qint64 exp, const QByteArray &secret = kSecret)
{
    return hs256Jwt(QJsonObject{{QStringLiteral("sub"), user}, {QStringLiteral("exp"), exp}}, secret);
}

} // namespace

class tst_ClientLogHygiene : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void nothingSecretIsLogged();
};

void tst_ClientLogHygiene::initTestCase()
{
    QLoggingCategory::setFilterRules(QStringLiteral("tether.*=true"));
    g_previous = qInstallMessageHandler(capture);
}

void tst_ClientLogHygiene::cleanupTestCase()
{
    qInstallMessageHandler(g_previous);
    QLoggingCategory::setFilterRules(QString());
}

void tst_ClientLogHygiene::nothingSecretIsLogged()
{
    QTemporaryDir dir;
    QFile secretFile(dir.filePath(QStringLiteral("jwt.secret")));
    QVERIFY(secretFile.open(QIODevice::WriteOnly));
    secretFile.write(kSecret);
    secretFile.close();
    ServerProcess server({QStringLiteral("--jwt-hs256-secret-file"), secretFile.fileName()});
    QVERIFY2(server.start(), qPrintable(server.errorString()));

    // The provider hands out an expired token first (4001: refresh), then fresh valid ones
    // (each distinct), and, once `refuse` is set, tokens of another key (4401: Failed).
    QStringList tokens;
    QList<TokenReason> reasons;
    bool refuse = false;
    ClientOptions o = fastOptions();
    o.tokenProvider = [&](TokenReason reason, const TokenReply &reply) {
        reasons << reason;
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QString user = QStringLiteral("user-%1").arg(reasons.size());
        if (reasons.size() == 1)
            tokens << token(user, now - 3600);
        else if (refuse)
            tokens << token(user, now + 600, "wrong-secret-wrong-secret-wrong-secret!");
        else
            tokens << token(user, now + 600);
        reply(tokens.last(), QString());
    };
    o.extraHeaders = {{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer header-secret-h1")},
                      {QByteArrayLiteral("Cookie"), QByteArrayLiteral("session=cookie-secret-c2")}};
    const QString urlSecret = QStringLiteral("url-secret-u3");
    QUrl url(QStringLiteral("ws://127.0.0.1:%1/live?access_token=%2&room=1").arg(server.port()).arg(urlSecret));
    const QString payloadOut = QStringLiteral("payload-secret-p4");
    const QString payloadBack = QStringLiteral("payload-secret-p5");

    Client client(url, o);
    Recorder rec(&client);
    // The one warning about the URL (redacted), then quiet.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("looks like a credential")));
    client.open();

    // Connect: the first token is expired (4001), the provider is asked again (Expired).
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    QCOMPARE(reasons.mid(0, 2), (QList<TokenReason>{TokenReason::Connect, TokenReason::Expired}));
    qDebug() << "options in use:" << client.options();  // the QDebug operator, also checked

    // Payloads both ways.
    SendOptions toRoom;
    toRoom.channel = QStringLiteral("room");
    const SendResult sent = client.send(QJsonObject{{QStringLiteral("text"), payloadOut}}, toRoom);
    QVERIFY(sent.isOk());
    std::unique_ptr<Reply> echo(client.request(QStringLiteral("echo"), QCborValue(payloadBack)));
    QVERIFY(waitUntil([&] { return echo->isFinished() && rec.outcomes.value(sent.id()) == QLatin1StringView("delivered"); },
                      kWaitMs));
    QCOMPARE(echo->result(), QCborValue(payloadBack));

    // A server restart: reconnect with a fresh token (Connect).
    QVERIFY(server.restart());
    QVERIFY(waitUntil([&] { return rec.connectedCount(2); }, kWaitMs));
    QVERIFY(reasons.size() >= 3);
    QCOMPARE(reasons.last(), TokenReason::Connect);

    // The server goes away: refused connections (retried), then it comes back and refuses
    // the next token for good (4401, Failed).
    const quint16 port = server.port();
    QVERIFY(server.stop());
    const qsizetype before = rec.reconnects.size();
    QVERIFY(waitUntil([&] { return rec.reconnects.size() >= before + 3; }, kWaitMs));
    refuse = true;
    QVERIFY2(server.start(port), qPrintable(server.errorString()));
    QVERIFY(waitUntil([&] { return client.state() == State::Failed; }, kWaitMs));
    QCOMPARE(client.error().code(), Error::Unauthorized);
    qDebug() << "last error:" << client.error();

    QStringList log;
    {
        QMutexLocker lock(&g_logMutex);
        log = g_log;
    }
    const QString all = log.join(QLatin1Char('\n'));
    // Debug output was on: the connects, the state changes and the warning are there.
    QVERIFY2(all.contains(QLatin1StringView("[tether.client] connecting to")), qPrintable(all.left(2000)));
    QVERIFY(all.contains(QLatin1StringView("[tether.transport]")));
    QVERIFY2(all.contains(QLatin1StringView("access_token=<redacted>")), qPrintable(all));
    QVERIFY(all.contains(QLatin1StringView("Authorization: <redacted>")));

    QStringList forbidden{urlSecret, payloadOut, payloadBack, QStringLiteral("header-secret-h1"),
                          QStringLiteral("cookie-secret-c2"), QString::fromLatin1(kSecret)};
    for (const QString &t : tokens) {
        forbidden << t;
        forbidden << t.split(QLatin1Char('.'));  // header, claims and signature alone
    }
    forbidden.removeAll(QString::fromLatin1(jwtPart(QJsonObject{{QStringLiteral("alg"), QStringLiteral("HS256")},
                                                                 {QStringLiteral("typ"), QStringLiteral("JWT")}})));
    for (const QString &secret : std::as_const(forbidden)) {
        for (const QString &line : std::as_const(log))
            QVERIFY2(!line.contains(secret), qPrintable(QStringLiteral("'%1' logged: %2").arg(secret, line)));
    }
    qInfo("%lld log lines checked against %lld secrets", qlonglong(log.size()), qlonglong(forbidden.size()));
    if (qEnvironmentVariableIsSet("TETHER_PRINT_LOG"))
        qInfo().noquote() << all;
}

QTEST_GUILESS_MAIN(tst_ClientLogHygiene)
#include "tst_client_log_hygiene.moc"
