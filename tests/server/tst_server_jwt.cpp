// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: JWT tokens (issue 17, demos/server/README.md "Auth"). HS256 and RS256 with
// exp / nbf / aud checks beside the server's own HMAC tokens. Tokens are made here by hand
// (HS256: QMessageAuthenticationCode; RS256: the `openssl` command line signs with an RSA
// key generated at test time), never with libjwt, so the server is checked against
// independent signers. Every refusal reason gets its own row: expired -> token_expired +
// 4001 (the client refreshes its token), everything else unauthorized + 4401, with the
// reason in `msg`. A second server (--jwt-leeway 0, --jwt-issuer, two keys per algorithm)
// proves the issuer check, the close at expiry mid-connection (and the resume with a new
// token), and key rotation by SIGHUP.
#include "conformance.h"
#include "test_tokens.h"

#include <QtCore/QCborArray>
#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QMessageAuthenticationCode>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>

#include <csignal>

using namespace Conformance;
using Tether::Testing::base64Url;
using Tether::Testing::hs256Jwt;
using Tether::Testing::jwtPart;

namespace {

const QByteArray kHsSecret = "jwt-conformance-secret-of-at-least-32-bytes";
const QString kLegacySecret = QStringLiteral("legacy-secret");
const QString kAudience = QStringLiteral("tether-tests");
const QByteArray kNextHsSecret = "jwt-conformance-next-secret-also-32-bytes-long";
const QString kIssuer = QStringLiteral("https://issuer.tether.test");

qint64 nowSeconds()
{
    return QDateTime::currentSecsSinceEpoch();
}

QJsonObject claims(const QString &sub, qint64 exp)
{
    return QJsonObject{{QStringLiteral("sub"), sub}, {QStringLiteral("exp"), exp},
                       {QStringLiteral("aud"), kAudience}};
}

QString hs256(const QJsonObject &payload, const QByteArray &secret = kHsSecret,
              const QString &alg = QStringLiteral("HS256"))
{
    return hs256Jwt(payload, secret, alg);
}

QString legacyToken(const QString &user, qint64 expiry)
{
    const QByteArray payload = user.toUtf8() + '.' + QByteArray::number(expiry);
    return QString::fromLatin1(payload + '.' + base64Url(QMessageAuthenticationCode::hash(payload, kLegacySecret.toUtf8(),
                                                                                     QCryptographicHash::Sha256)));
}

// RSA keys and RS256 signatures through the openssl command line.
class RsaSigner
{
public:
    bool generate(QString *error)
    {
        return run({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("RSA"),
                    QStringLiteral("-pkeyopt"), QStringLiteral("rsa_keygen_bits:2048"), QStringLiteral("-out"),
                    path(QStringLiteral("rsa.key"))}, {}, error)
            && run({QStringLiteral("pkey"), QStringLiteral("-in"), path(QStringLiteral("rsa.key")),
                    QStringLiteral("-pubout"), QStringLiteral("-out"), publicKeyPath()}, {}, error)
            && run({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("RSA"),
                    QStringLiteral("-pkeyopt"), QStringLiteral("rsa_keygen_bits:2048"), QStringLiteral("-out"),
                    path(QStringLiteral("other.key"))}, {}, error)
            && run({QStringLiteral("pkey"), QStringLiteral("-in"), path(QStringLiteral("other.key")),
                    QStringLiteral("-pubout"), QStringLiteral("-out"), otherPublicKeyPath()}, {}, error);
    }
    QString publicKeyPath() const { return path(QStringLiteral("rsa.pub")); }
    QString otherPublicKeyPath() const { return path(QStringLiteral("other.pub")); }
    QString path(const QString &name) const { return m_dir.filePath(name); }

    // An RS256 token over `payload`; `otherKey`: signed by a key the server does not know.
    QString rs256(const QJsonObject &payload, bool otherKey = false)
    {
        const QByteArray input = jwtPart(QJsonObject{{QStringLiteral("alg"), QStringLiteral("RS256")},
                                                      {QStringLiteral("typ"), QStringLiteral("JWT")}})
                                 + '.' + jwtPart(payload);
        QByteArray signature;
        QString error;
        if (!run({QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-sign"),
                  path(otherKey ? QStringLiteral("other.key") : QStringLiteral("rsa.key"))},
                 input, &error, &signature))
            qWarning("openssl dgst failed: %s", qPrintable(error));
        return QString::fromLatin1(input + '.' + base64Url(signature));
    }

private:
    bool run(const QStringList &args, const QByteArray &input, QString *error, QByteArray *output = nullptr)
    {
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"), args);
        if (!openssl.waitForStarted(10000)) {
            *error = QStringLiteral("openssl: ") + openssl.errorString();
            return false;
        }
        openssl.write(input);
        openssl.closeWriteChannel();
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0) {
            *error = QStringLiteral("openssl %1: %2").arg(args.join(QLatin1Char(' ')),
                                                          QString::fromUtf8(openssl.readAllStandardError()));
            return false;
        }
        if (output)
            *output = openssl.readAllStandardOutput();
        return true;
    }
    QTemporaryDir m_dir;
};

} // namespace

class tst_ServerJwt : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_rsa.generate(&error), qPrintable(error));
        QFile secret(m_rsa.path(QStringLiteral("hs.secret")));
        QVERIFY(secret.open(QIODevice::WriteOnly));
        secret.write(kHsSecret + '\n');  // the trailing newline is not part of the secret
        secret.close();
        m_server.setExtraArgs({QStringLiteral("--jwt-hs256-secret-file"), secret.fileName(),
                               QStringLiteral("--jwt-rs256-public-key"), m_rsa.publicKeyPath(),
                               QStringLiteral("--jwt-audience"), kAudience,
                               QStringLiteral("--auth-secret"), kLegacySecret});
        START_SERVER(m_server);
        // Only RS256 configured: an HS256 token "signed" with the public key is refused.
        m_rsaOnly.setExtraArgs({QStringLiteral("--jwt-rs256-public-key"), m_rsa.publicKeyPath()});
        START_SERVER(m_rsaOnly);
        // Rotation: both HS256 secrets and both RSA keys listed; no clock skew allowed, so
        // that expiry is tested in seconds; an issuer required.
        QVERIFY(writeKeys({kHsSecret, kNextHsSecret}, {m_rsa.publicKeyPath(), m_rsa.otherPublicKeyPath()}));
        m_strict.setExtraArgs({QStringLiteral("--jwt-hs256-secret-file"), strictSecretPath(),
                               QStringLiteral("--jwt-rs256-public-key"), strictPublicKeyPath(),
                               QStringLiteral("--jwt-issuer"), kIssuer, QStringLiteral("--jwt-leeway"),
                               QStringLiteral("0")});
        START_SERVER(m_strict);
    }

    void accepted_data()
    {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("user");
        const qint64 later = nowSeconds() + 600;
        QTest::addRow("HS256") << hs256(claims(QStringLiteral("alice"), later)) << QStringLiteral("alice");
        QTest::addRow("RS256") << m_rsa.rs256(claims(QStringLiteral("bob"), later)) << QStringLiteral("bob");
        QJsonObject arrayAudience = claims(QStringLiteral("carol@example.com"), later);
        arrayAudience[QStringLiteral("aud")] = QJsonArray{QStringLiteral("other"), kAudience};
        QTest::addRow("audience in an array, e-mail subject") << hs256(arrayAudience) << QStringLiteral("carol@example.com");
        QJsonObject started = claims(QStringLiteral("dave"), later);
        started[QStringLiteral("nbf")] = nowSeconds() - 60;
        QTest::addRow("nbf passed") << m_rsa.rs256(started) << QStringLiteral("dave");
        QTest::addRow("exp within the 30 s leeway") << hs256(claims(QStringLiteral("erin"), nowSeconds() - 5))
                                                    << QStringLiteral("erin");
        QTest::addRow("legacy HMAC token beside JWT") << legacyToken(QStringLiteral("frank"), later)
                                                      << QStringLiteral("frank");
    }
    void accepted()
    {
        QFETCH(QString, token);
        QFETCH(QString, user);
        RawClient c;
        HelloFields hello;
        hello.token = token;
        CHECK_OK(openSession(c, m_server.url(), Codec::Json, nullptr, hello));
        // The token's subject is the session's user (presence names it).
        // One channel per row: the sessions of earlier rows stay (detached) in theirs.
        const QString room = QStringLiteral("room-%1").arg(++m_rooms);
        CHECK_OK(subscribe(c, room));
        QCborValue result;
        CHECK_OK(expectResult(c.request(QStringLiteral("presence"),
                                        QCborValue(QCborMap{{QStringLiteral("ch"), room}})),
                              &result));
        const QCborArray list = result.toMap().value(QLatin1StringView("members")).toArray();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list.first().toMap().value(QLatin1StringView("user")).toString(), user);
    }

    void refused_data()
    {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("closeCode");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<bool>("rsaOnlyServer");
        const qint64 later = nowSeconds() + 600;
        const QString unauthorized = QStringLiteral("unauthorized");
        const QJsonObject good = claims(QStringLiteral("mallory"), later);

        // Bad signature.
        QTest::addRow("HS256 other secret") << hs256(good, "another-secret-that-is-long-enough-xxxxx")
                                            << unauthorized << 4401 << QStringLiteral("signature") << false;
        QTest::addRow("RS256 other key") << m_rsa.rs256(good, true) << unauthorized << 4401
                                         << QStringLiteral("signature") << false;
        QString tampered = hs256(good);
        const QStringList parts = tampered.split(QLatin1Char('.'));
        QJsonObject promoted = good;
        promoted[QStringLiteral("sub")] = QStringLiteral("admin");
        tampered = parts[0] + QLatin1Char('.') + QString::fromLatin1(jwtPart(promoted)) + QLatin1Char('.') + parts[2];
        QTest::addRow("payload changed after signing") << tampered << unauthorized << 4401
                                                       << QStringLiteral("signature") << false;
        QTest::addRow("signature missing") << parts[0] + QLatin1Char('.') + parts[1] + QLatin1Char('.')
                                           << unauthorized << 4401 << QStringLiteral("signature") << false;

        // Wrong algorithm.
        const QString none = QString::fromLatin1(
            jwtPart(QJsonObject{{QStringLiteral("alg"), QStringLiteral("none")}}) + '.' + jwtPart(good) + '.');
        QTest::addRow("alg none") << none << unauthorized << 4401 << QStringLiteral("algorithm") << false;
        QTest::addRow("alg none with a signature") << hs256(good, kHsSecret, QStringLiteral("none"))
                                                   << unauthorized << 4401 << QStringLiteral("algorithm") << false;
        QTest::addRow("alg HS512") << hs256(good, kHsSecret, QStringLiteral("HS512")) << unauthorized << 4401
                                   << QStringLiteral("algorithm") << false;
        QFile publicKey(m_rsa.publicKeyPath());
        QVERIFY(publicKey.open(QIODevice::ReadOnly));
        QTest::addRow("HS256 keyed with the RS256 public key") << hs256(good, publicKey.readAll()) << unauthorized
                                                                << 4401 << QStringLiteral("algorithm") << true;

        // Time and audience.
        QTest::addRow("expired an hour ago") << hs256(claims(QStringLiteral("m"), nowSeconds() - 3600))
                                             << QStringLiteral("token_expired") << 4001
                                             << QStringLiteral("expired") << false;
        QTest::addRow("RS256 expired") << m_rsa.rs256(claims(QStringLiteral("m"), nowSeconds() - 3600))
                                       << QStringLiteral("token_expired") << 4001 << QStringLiteral("expired") << false;
        QJsonObject future = good;
        future[QStringLiteral("nbf")] = nowSeconds() + 3600;
        QTest::addRow("not yet valid") << hs256(future) << unauthorized << 4401 << QStringLiteral("not yet valid")
                                       << false;
        QJsonObject otherAudience = good;
        otherAudience[QStringLiteral("aud")] = QStringLiteral("someone-else");
        QTest::addRow("wrong audience") << hs256(otherAudience) << unauthorized << 4401 << QStringLiteral("audience")
                                        << false;
        otherAudience[QStringLiteral("aud")] = QJsonArray{QStringLiteral("a"), QStringLiteral("b")};
        QTest::addRow("audience array without ours") << m_rsa.rs256(otherAudience) << unauthorized << 4401
                                                     << QStringLiteral("audience") << false;
        QJsonObject noAudience = good;
        noAudience.remove(QStringLiteral("aud"));
        QTest::addRow("audience missing") << hs256(noAudience) << unauthorized << 4401 << QStringLiteral("audience")
                                          << false;

        // Malformed.
        QJsonObject noExpiry = good;
        noExpiry.remove(QStringLiteral("exp"));
        QTest::addRow("exp missing") << hs256(noExpiry) << unauthorized << 4401 << QStringLiteral("malformed") << false;
        QJsonObject textExpiry = good;
        textExpiry[QStringLiteral("exp")] = QStringLiteral("tomorrow");
        QTest::addRow("exp not a number") << hs256(textExpiry) << unauthorized << 4401 << QStringLiteral("malformed")
                                          << false;
        QTest::addRow("two parts") << parts[0] + QLatin1Char('.') + parts[1] << unauthorized << 4401
                                   << QStringLiteral("malformed") << false;
        QTest::addRow("four parts") << hs256(good) + QStringLiteral(".x") << unauthorized << 4401
                                    << QStringLiteral("malformed") << false;
        QTest::addRow("payload not JSON") << parts[0] + QStringLiteral(".bm90IGpzb24.") + parts[2] << unauthorized
                                          << 4401 << QStringLiteral("malformed") << false;
        QTest::addRow("payload not base64url") << parts[0] + QStringLiteral(".$$$.") + parts[2] << unauthorized
                                               << 4401 << QStringLiteral("malformed") << false;
        QTest::addRow("oversized") << parts[0] + QLatin1Char('.') + QString(9000, QLatin1Char('A')) + QLatin1Char('.')
                                          + parts[2]
                                   << unauthorized << 4401 << QStringLiteral("malformed") << false;
        QJsonObject noSubject = good;
        noSubject.remove(QStringLiteral("sub"));
        QTest::addRow("sub missing") << hs256(noSubject) << unauthorized << 4401 << QStringLiteral("subject") << false;
    }
    void refused()
    {
        QFETCH(QString, token);
        QFETCH(QString, error);
        QFETCH(int, closeCode);
        QFETCH(QString, reason);
        QFETCH(bool, rsaOnlyServer);
        RawClient c;
        QVERIFY(c.openTether((rsaOnlyServer ? m_rsaOnly : m_server).url(), Codec::Json));
        HelloFields hello;
        hello.token = token;
        c.sendFrame(helloFrame(hello));
        const std::optional<QCborMap> frame = c.waitForType(QStringLiteral("error"));
        QVERIFY2(frame, qPrintable(c.errorString()));
        QCOMPARE(stringField(*frame, QLatin1StringView("code")).value_or(QString()), error);
        const QString msg = stringField(*frame, QLatin1StringView("msg")).value_or(QString());
        QVERIFY2(msg.contains(reason), qPrintable(msg));
        QVERIFY2(!msg.contains(token), "the token is echoed in the error");
        CHECK_OK(expectClose(c, closeCode));
    }

    void issuer_data()
    {
        QTest::addColumn<QJsonValue>("iss");
        QTest::addColumn<bool>("accepted");
        QTest::addRow("equal") << QJsonValue(kIssuer) << true;
        QTest::addRow("missing") << QJsonValue(QJsonValue::Undefined) << false;
        QTest::addRow("other") << QJsonValue(QStringLiteral("https://evil.test")) << false;
        QTest::addRow("a prefix of ours") << QJsonValue(kIssuer.left(10)) << false;
        QTest::addRow("not a string") << QJsonValue(42) << false;
    }
    void issuer()
    {
        QFETCH(QJsonValue, iss);
        QFETCH(bool, accepted);
        QJsonObject payload = claims(QStringLiteral("ivan"), nowSeconds() + 600);
        if (!iss.isUndefined())
            payload[QStringLiteral("iss")] = iss;
        RawClient c;
        HelloFields hello;
        hello.token = hs256(payload);
        if (accepted) {
            CHECK_OK(openSession(c, m_strict.url(), Codec::Json, nullptr, hello));
            return;
        }
        QVERIFY(c.openTether(m_strict.url(), Codec::Json));
        c.sendFrame(helloFrame(hello));
        const std::optional<QCborMap> frame = c.waitForType(QStringLiteral("error"));
        QVERIFY2(frame, qPrintable(c.errorString()));
        QCOMPARE(stringField(*frame, QLatin1StringView("code")).value_or(QString()), QStringLiteral("unauthorized"));
        QCOMPARE(stringField(*frame, QLatin1StringView("msg")).value_or(QString()),
                 QStringLiteral("token issuer not accepted"));
        CHECK_OK(expectClose(c, 4401));
    }

    // No refresh frame exists (docs/protocol.md): the server closes with 4001 when the token
    // runs out, not before, and the client resumes its session with a new token.
    void expiryClosesTheConnectionThenTheSessionResumes_data()
    {
        QTest::addColumn<bool>("rs256");
        QTest::addRow("HS256") << false;
        QTest::addRow("RS256") << true;
    }
    void expiryClosesTheConnectionThenTheSessionResumes()
    {
        QFETCH(bool, rs256);
        const qint64 exp = nowSeconds() + 2;
        RawClient c;
        HelloFields hello;
        hello.token = strictToken(QStringLiteral("judy"), exp, rs256);
        QCborMap welcome;
        CHECK_OK(openSession(c, m_strict.url(), Codec::Json, &welcome, hello));
        const QString sid = stringField(welcome, QLatin1StringView("sid")).value_or(QString());
        QVERIFY(!sid.isEmpty());
        CHECK_OK(sendReliable(c, 1, QCborValue(QStringLiteral("before expiry"))));
        CHECK_OK(expectErrorThenClose(c, QStringLiteral("token_expired"), 4001, 5000));
        const qint64 closedAtMs = QDateTime::currentMSecsSinceEpoch();
        // Not before exp (the server's clock is this one), and soon after it.
        QVERIFY2(closedAtMs >= exp * 1000 - 20, qPrintable(QStringLiteral("closed %1 ms before exp")
                                                               .arg(exp * 1000 - closedAtMs)));
        QVERIFY2(closedAtMs <= exp * 1000 + 1500, qPrintable(QStringLiteral("closed %1 ms after exp")
                                                                .arg(closedAtMs - exp * 1000)));
        // The same token is refused now; a fresh one resumes the session.
        RawClient stale;
        HelloFields again = resumeHello(sid, 0);
        again.token = hello.token;
        QVERIFY(stale.openTether(m_strict.url(), Codec::Json));
        stale.sendFrame(helloFrame(again));
        CHECK_OK(expectErrorThenClose(stale, QStringLiteral("token_expired"), 4001));
        RawClient back;
        again.token = strictToken(QStringLiteral("judy"), nowSeconds() + 600, rs256);
        CHECK_OK(openSession(back, m_strict.url(), Codec::Json, &welcome, again));
        QCOMPARE(welcome.value(QLatin1StringView("resumed")).toBool(), true);
        QCOMPARE(welcome.value(QLatin1StringView("sid")).toString(), sid);
        QCOMPARE(welcome.value(QLatin1StringView("rx")).toInteger(), 1);  // the message sent before
    }

    // Rotation: the key files are rewritten and the server told with SIGHUP. Tokens signed
    // by a key still listed keep working (new and open connections); the connections of a
    // withdrawn key are closed with 4001 (their clients fetch a token signed by a current
    // key), and new hellos with such a token are refused.
    void keyRotationBySighup()
    {
        const qint64 later = nowSeconds() + 600;
        const QString oldHs = hs256(strictClaims(QStringLiteral("kim"), later));
        const QString nextHs = hs256(strictClaims(QStringLiteral("lee"), later), kNextHsSecret);
        const QString oldRs = m_rsa.rs256(strictClaims(QStringLiteral("max"), later));
        const QString nextRs = m_rsa.rs256(strictClaims(QStringLiteral("ned"), later), true);
        RawClient clients[4];
        const QString tokens[4] = {oldHs, nextHs, oldRs, nextRs};
        for (int i = 0; i < 4; ++i) {
            HelloFields hello;
            hello.token = tokens[i];
            CHECK_OK(openSession(clients[i], m_strict.url(), Codec::Json, nullptr, hello));
        }

        QVERIFY(writeKeys({kNextHsSecret}, {m_rsa.otherPublicKeyPath()}));
        QVERIFY(::kill(pid_t(m_strict.pid()), SIGHUP) == 0);
        for (int i : {0, 2})
            CHECK_OK(expectErrorThenClose(clients[i], QStringLiteral("token_expired"), 4001));
        for (int i : {1, 3})
            CHECK_OK(expectResult(clients[i].request(QStringLiteral("echo"), QCborValue(i))));
        for (int i = 0; i < 4; ++i) {
            RawClient fresh;
            HelloFields hello;
            hello.token = tokens[i];
            if (i % 2) {
                CHECK_OK(openSession(fresh, m_strict.url(), Codec::Json, nullptr, hello));
                continue;
            }
            QVERIFY(fresh.openTether(m_strict.url(), Codec::Json));
            fresh.sendFrame(helloFrame(hello));
            CHECK_OK(expectErrorThenClose(fresh, QStringLiteral("unauthorized"), 4401));
        }

        // A reload that fails (a secret too short) keeps the keys in use.
        QVERIFY(writeKeys({QByteArray("short")}, {m_rsa.otherPublicKeyPath()}));
        QVERIFY(::kill(pid_t(m_strict.pid()), SIGHUP) == 0);
        QVERIFY(QTest::qWaitFor([this] { return m_strict.stderrTail().contains("JWT keys not reloaded"); }, 5000));
        RawClient still;
        HelloFields hello;
        hello.token = nextHs;
        CHECK_OK(openSession(still, m_strict.url(), Codec::Json, nullptr, hello));
        CHECK_OK(expectResult(clients[1].request(QStringLiteral("echo"), QCborValue(1))));

        // Back to both keys for the other tests.
        QVERIFY(writeKeys({kHsSecret, kNextHsSecret}, {m_rsa.publicKeyPath(), m_rsa.otherPublicKeyPath()}));
        QVERIFY(::kill(pid_t(m_strict.pid()), SIGHUP) == 0);
        QVERIFY(QTest::qWaitFor([this] { return m_strict.stderrTail().count("JWT keys reloaded") >= 2; }, 5000));
    }

    // Bad key files stop the server at startup with a usage error, never a server that
    // silently accepts nothing (or everything).
    void badKeyFilesRefusedAtStartup_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QFile shortSecret(m_rsa.path(QStringLiteral("short.secret")));
        QVERIFY(shortSecret.open(QIODevice::WriteOnly));
        shortSecret.write("too-short");
        shortSecret.close();
        QTest::addRow("secret shorter than 32 bytes")
            << QStringList{QStringLiteral("--jwt-hs256-secret-file"), shortSecret.fileName()}
            << QStringLiteral("32 bytes");
        QTest::addRow("secret file missing")
            << QStringList{QStringLiteral("--jwt-hs256-secret-file"), m_rsa.path(QStringLiteral("nothing"))}
            << QStringLiteral("cannot read");
        QTest::addRow("public key file is a secret")
            << QStringList{QStringLiteral("--jwt-rs256-public-key"), shortSecret.fileName()}
            << QStringLiteral("no readable RSA public key");
        QTest::addRow("audience without a key") << QStringList{QStringLiteral("--jwt-audience"), kAudience}
                                                << QStringLiteral("needs");
        QTest::addRow("issuer without a key") << QStringList{QStringLiteral("--jwt-issuer"), kIssuer}
                                              << QStringLiteral("--jwt-issuer needs");
        QFile secondShort(m_rsa.path(QStringLiteral("second-short.secret")));
        QVERIFY(secondShort.open(QIODevice::WriteOnly));
        secondShort.write(kHsSecret + "\nshort\n");
        secondShort.close();
        QTest::addRow("second secret shorter than 32 bytes")
            << QStringList{QStringLiteral("--jwt-hs256-secret-file"), secondShort.fileName()}
            << QStringLiteral("32 bytes");
        QFile blank(m_rsa.path(QStringLiteral("blank.secret")));
        QVERIFY(blank.open(QIODevice::WriteOnly));
        blank.write("\n\r\n");
        blank.close();
        QTest::addRow("secret file of empty lines")
            << QStringList{QStringLiteral("--jwt-hs256-secret-file"), blank.fileName()} << QStringLiteral("no secret");
        QTest::addRow("negative leeway") << QStringList{QStringLiteral("--jwt-leeway"), QStringLiteral("-1")}
                                         << QStringLiteral("--jwt-leeway");
        QTest::addRow("leeway above an hour") << QStringList{QStringLiteral("--jwt-leeway"), QStringLiteral("3601")}
                                              << QStringLiteral("--jwt-leeway");
    }
    void badKeyFilesRefusedAtStartup()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const ServerProcess::ToolResult result = ServerProcess::runTool(args);
        QVERIFY(result.finished);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(QString::fromUtf8(result.err).contains(message), result.err.constData());
    }

private:
    QString strictSecretPath() const { return m_rsa.path(QStringLiteral("strict.secret")); }
    QString strictPublicKeyPath() const { return m_rsa.path(QStringLiteral("strict.pub")); }
    static QJsonObject strictClaims(const QString &sub, qint64 exp)
    {
        return QJsonObject{{QStringLiteral("sub"), sub}, {QStringLiteral("exp"), exp}, {QStringLiteral("iss"), kIssuer}};
    }
    QString strictToken(const QString &sub, qint64 exp, bool rs256)
    {
        return rs256 ? m_rsa.rs256(strictClaims(sub, exp)) : hs256(strictClaims(sub, exp));
    }
    // The strict server's key files: one secret per line, the PEM files concatenated.
    bool writeKeys(const QList<QByteArray> &secrets, const QStringList &publicKeyFiles)
    {
        QByteArray pem;
        for (const QString &name : publicKeyFiles) {
            QFile in(name);
            if (!in.open(QIODevice::ReadOnly))
                return false;
            pem += in.readAll();
        }
        QFile secretFile(strictSecretPath());
        QFile pemFile(strictPublicKeyPath());
        return secretFile.open(QIODevice::WriteOnly | QIODevice::Truncate)
               && secretFile.write(secrets.join('\n') + '\n') > 0 && pemFile.open(QIODevice::WriteOnly | QIODevice::Truncate)
               && pemFile.write(pem) == pem.size();
    }

    RsaSigner m_rsa;
    ServerProcess m_server;
    ServerProcess m_rsaOnly;
    ServerProcess m_strict;
    int m_rooms = 0;
};

QTEST_GUILESS_MAIN(tst_ServerJwt)
#include "tst_server_jwt.moc"
