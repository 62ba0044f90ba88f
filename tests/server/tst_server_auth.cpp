// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: auth (issue 5, demos/server/README.md "Auth"): HMAC-SHA256 tokens
// `user.expiry.signature`; missing/invalid -> error{unauthorized} + 4401, expired ->
// error{token_expired} + 4001 (docs/protocol.md §8); the `token` sub-command; a token of
// another user never resumes a session.
#include "conformance.h"

#include <QtCore/QDateTime>
#include <QtCore/QMessageAuthenticationCode>
#include <QtCore/QRegularExpression>
#include <QtCore/QScopeGuard>

using namespace Conformance;

namespace {

const QString kSecret = QStringLiteral("conformance-secret");

// A token made by hand from the documented format, so the test proves the format and can
// make tokens the sub-command cannot (expired, forged).
QString makeToken(const QString &user, qint64 expiry, const QString &secret = kSecret)
{
    const QByteArray payload = user.toUtf8() + '.' + QByteArray::number(expiry);
    const QByteArray mac = QMessageAuthenticationCode::hash(payload, secret.toUtf8(),
                                                            QCryptographicHash::Sha256);
    return QString::fromLatin1(
        payload + '.'
        + mac.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

qint64 nowSeconds()
{
    return QDateTime::currentSecsSinceEpoch();
}

HelloFields withToken(const QString &token)
{
    HelloFields hello;
    hello.token = token;
    return hello;
}

} // namespace

class tst_ServerAuth : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server.setExtraArgs({QStringLiteral("--auth-secret"), kSecret});
        START_SERVER(m_server);
    }

    void tokenSubcommandPrintsSignedToken()
    {
        const ServerProcess::ToolResult result = ServerProcess::runTool(
            {QStringLiteral("token"), QStringLiteral("--user"), QStringLiteral("alice"),
             QStringLiteral("--ttl"), QStringLiteral("60"), QStringLiteral("--secret"), kSecret});
        QVERIFY2(result.finished && result.exitCode == 0, result.err.constData());
        const QString token = QString::fromUtf8(result.out);
        static const QRegularExpression format(QStringLiteral("^alice\\.(\\d+)\\.[A-Za-z0-9_-]+$"));
        const QRegularExpressionMatch match = format.match(token);
        QVERIFY2(match.hasMatch(), qPrintable(token));
        const qint64 expiry = match.captured(1).toLongLong();
        QVERIFY(expiry >= nowSeconds() + 55 && expiry <= nowSeconds() + 65);
        // The signature is HMAC-SHA256 over "user.expiry", unpadded base64url.
        QCOMPARE(token, makeToken(QStringLiteral("alice"), expiry));
    }

    // The secret comes from --secret or $TETHER_AUTH_SECRET; with neither, a usage error.
    // The child inherits this process's environment, so each case sets it explicitly.
    void tokenSubcommandNeedsSecret()
    {
        const QByteArray saved = qgetenv("TETHER_AUTH_SECRET");
        const bool wasSet = qEnvironmentVariableIsSet("TETHER_AUTH_SECRET");
        const auto restore = qScopeGuard([&] {
            if (wasSet)
                qputenv("TETHER_AUTH_SECRET", saved);
            else
                qunsetenv("TETHER_AUTH_SECRET");
        });
        const QStringList args{QStringLiteral("token"), QStringLiteral("--user"), QStringLiteral("alice"),
                               QStringLiteral("--ttl"), QStringLiteral("60")};

        qunsetenv("TETHER_AUTH_SECRET");
        const ServerProcess::ToolResult without = ServerProcess::runTool(args);
        QVERIFY(without.finished);
        QCOMPARE(without.exitCode, 2);
        QVERIFY(without.out.isEmpty());

        qputenv("TETHER_AUTH_SECRET", kSecret.toUtf8());
        const ServerProcess::ToolResult fromEnv = ServerProcess::runTool(args);
        QVERIFY2(fromEnv.finished && fromEnv.exitCode == 0, fromEnv.err.constData());
        QVERIFY(QString::fromUtf8(fromEnv.out).startsWith(QStringLiteral("alice.")));
    }

    void validTokenIsWelcomed_data() { addCodecColumn(); }
    void validTokenIsWelcomed()
    {
        QFETCH(Codec, codec);
        const ServerProcess::ToolResult result = ServerProcess::runTool(
            {QStringLiteral("token"), QStringLiteral("--user"), QStringLiteral("bob"),
             QStringLiteral("--ttl"), QStringLiteral("60"), QStringLiteral("--secret"), kSecret});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        RawClient c;
        QCborMap welcome;
        CHECK_OK(openSession(c, m_server.url(), codec, &welcome, withToken(QString::fromUtf8(result.out))));
        CHECK_OK(expectResult(c.request(QStringLiteral("echo"), QCborValue(1))));
    }

    void refusedTokens_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<std::optional<QString>>("token");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("closeCode");
        const qint64 later = nowSeconds() + 600;
        const QString good = makeToken(QStringLiteral("carol"), later);
        const QString unauthorized = QStringLiteral("unauthorized");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            const char *c = codecName(codec);
            QTest::addRow("%s missing", c) << codec << std::optional<QString>() << unauthorized << 4401;
            QTest::addRow("%s empty", c) << codec << std::optional<QString>(QString()) << unauthorized << 4401;
            QTest::addRow("%s garbage", c)
                << codec << std::optional<QString>(QStringLiteral("not-a-token")) << unauthorized << 4401;
            QTest::addRow("%s other secret", c)
                << codec << std::optional<QString>(makeToken(QStringLiteral("carol"), later, QStringLiteral("guess")))
                << unauthorized << 4401;
            QTest::addRow("%s user changed", c)
                << codec << std::optional<QString>(QStringLiteral("mallory") + good.mid(5)) << unauthorized << 4401;
            QTest::addRow("%s expiry extended", c)
                << codec
                << std::optional<QString>(QStringLiteral("carol.%1.").arg(later + 1000)
                                          + good.section(QLatin1Char('.'), 2))
                << unauthorized << 4401;
            QTest::addRow("%s signature cut", c)
                << codec << std::optional<QString>(good.left(good.size() - 4)) << unauthorized << 4401;
            QTest::addRow("%s expiry not a number", c)
                << codec << std::optional<QString>(makeToken(QStringLiteral("carol"), later).replace(
                                                       QString::number(later), QStringLiteral("soon")))
                << unauthorized << 4401;
            QTest::addRow("%s expired a minute ago", c)
                << codec << std::optional<QString>(makeToken(QStringLiteral("carol"), nowSeconds() - 60))
                << QStringLiteral("token_expired") << 4001;
        }
    }
    void refusedTokens()
    {
        QFETCH(Codec, codec);
        QFETCH(std::optional<QString>, token);
        QFETCH(QString, error);
        QFETCH(int, closeCode);
        RawClient c;
        QVERIFY(c.openTether(m_server.url(), codec));
        HelloFields hello;
        hello.token = token;
        c.sendFrame(helloFrame(hello));
        CHECK_OK(expectErrorThenClose(c, error, closeCode));
        const QList<QCborMap> rest = c.drain();
        for (const QCborMap &f : rest)
            QVERIFY2(frameType(f) != QLatin1StringView("welcome"), "welcomed with a refused token");
    }

    // A session belongs to its user: bob's token cannot resume alice's session.
    void otherUserCannotResume()
    {
        const qint64 later = nowSeconds() + 600;
        RawClient alice;
        QCborMap welcome;
        CHECK_OK(openSession(alice, m_server.url(), Codec::Json, &welcome,
                             withToken(makeToken(QStringLiteral("alice"), later))));
        CHECK_OK(sendReliable(alice, 1, QCborValue(1)));
        alice.abort();

        const QString sid = stringField(welcome, QLatin1StringView("sid")).value_or(QString());
        HelloFields hello = resumeHello(sid, 0, 0);
        hello.token = makeToken(QStringLiteral("bob"), later);
        RawClient bob;
        QCborMap bobWelcome;
        CHECK_OK(openSession(bob, m_server.url(), Codec::Json, &bobWelcome, hello));
        QCOMPARE(boolField(bobWelcome, QLatin1StringView("resumed")), false);
        QVERIFY(stringField(bobWelcome, QLatin1StringView("sid")) != sid);

        // alice herself still can.
        hello.token = makeToken(QStringLiteral("alice"), later);
        RawClient again;
        QCborMap resumed;
        CHECK_OK(openSession(again, m_server.url(), Codec::Json, &resumed, hello));
        QCOMPARE(boolField(resumed, QLatin1StringView("resumed")), true);
    }

    // With auth on, presence names the token's user.
    void presenceCarriesUser()
    {
        const qint64 later = nowSeconds() + 600;
        RawClient watcher, dave;
        CHECK_OK(openSession(watcher, m_server.url(), Codec::Cbor, nullptr,
                             withToken(makeToken(QStringLiteral("watcher"), later))));
        CHECK_OK(subscribe(watcher, QStringLiteral("users")));
        CHECK_OK(openSession(dave, m_server.url(), Codec::Cbor, nullptr,
                             withToken(makeToken(QStringLiteral("dave"), later))));
        CHECK_OK(subscribe(dave, QStringLiteral("users")));
        const std::optional<QCborMap> join = watcher.waitFor(&isPresence);
        QVERIFY2(join, qPrintable(watcher.errorString()));
        QCOMPARE(stringField(join->value(QLatin1StringView("d")).toMap(), QLatin1StringView("user")),
                 QStringLiteral("dave"));
    }

    // Without --auth-secret a token is ignored.
    void tokenIgnoredWithoutAuth()
    {
        ServerProcess open;
        START_SERVER(open);
        RawClient c;
        CHECK_OK(openSession(c, open.url(), Codec::Json, nullptr, withToken(QStringLiteral("whatever"))));
        RawClient none;
        CHECK_OK(openSession(none, open.url(), Codec::Json));
    }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerAuth)
#include "tst_server_auth.moc"
