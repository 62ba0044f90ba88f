// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Unit tests of what the SDK does with secrets and TLS settings, without sockets:
// secrets_p.h (what looks like a credential, URL and text redaction), the QDebug
// operators of ClientOptions, TlsOptions and Error, and tls_p.h (validation, the socket's
// QSslConfiguration, the ignore list, SPKI pins).
#include <Tether/Client>

#include "../../sdk/client/secrets_p.h"
#include "../../sdk/client/tls_p.h"

#include <QtCore/QDebug>
#include <QtNetwork/QSslCipher>
#include <QtTest/QTest>

using namespace Tether;

namespace {

// A self-signed certificate (no key is committed; made once with openssl) and the pin of
// its public key computed by the openssl command line:
//   openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der
//   | openssl dgst -sha256 -binary | base64
const char kCertificatePem[] = R"(-----BEGIN CERTIFICATE-----
MIIBgzCCASmgAwIBAgIUN9iwsDdw6/QE9j/aUdlwBfBPIJAwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLcGluLmV4YW1wbGUwIBcNMjYxMjA3MDExNzQ0WhgPMjEyNjEx
MTMwMTE3NDRaMBYxFDASBgNVBAMMC3Bpbi5leGFtcGxlMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEIbbC0qgObUG5J8niFHEljVLtFyH0OTsYEegY8cD6HvXMnlVQ
MAJcwyf+gcY7mefy47Fru3O43GU2wCrjEkoU86NTMFEwHQYDVR0OBBYEFPtJWT+V
x9eN0nivdsSQ+GeV656PMB8GA1UdIwQYMBaAFPtJWT+Vx9eN0nivdsSQ+GeV656P
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAN0uzEvKHOO8eJgp
/bFdPIfGk1L62asO8eLtxL/U5h6MAiAzekdNx3MziyIKWK/bwXLmJ9hIa0ZsbvPp
11IaAMYosQ==
-----END CERTIFICATE-----
)";
const QString kCertificatePin = QStringLiteral("QY8VaDHmU/TWvDgLY+8yEkSYmqNrvoWsUebOTiHhSO0=");
const QString kOtherPin = QString::fromLatin1(QByteArray(32, '\x07').toBase64());

QSslCertificate certificate()
{
    return QSslCertificate(QByteArray(kCertificatePem), QSsl::Pem);
}

template<class T>
QString debugString(const T &value)
{
    QString out;
    QDebug(&out) << value;
    return out;
}

} // namespace

class tst_ClientSecrets : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void looksSecret_data();
    void looksSecret();
    void redactedUrl_data();
    void redactedUrl();
    void redactText_data();
    void redactText();
    void clientOptionsDebugHidesSecrets();
    void errorDebugRedactsMessage();
    void tlsDefaults();
    void tlsValidate_data();
    void tlsValidate();
    void socketConfigurationLayers();
    void minimumProtocolRaisesOnly_data();
    void minimumProtocolRaisesOnly();
    void ignoredErrorsOneByOne();
    void pinsMatchTheOpensslDigest();
};

void tst_ClientSecrets::looksSecret_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("secret");
    for (const char *name : {"token", "access_token", "refreshToken", "id-token", "jwt", "auth", "Authorization",
                             "key", "api_key", "apiKey", "X-Api-Key", "password", "passwd", "pwd", "client_secret",
                             "sig", "X-Amz-Signature", "credentials", "bearer", "session"})
        QTest::addRow("%s", name) << QString::fromLatin1(name) << true;
    for (const char *name : {"room", "author", "keyboard", "monkey", "user", "v", "sid", "channel", "page"})
        QTest::addRow("%s", name) << QString::fromLatin1(name) << false;
}

void tst_ClientSecrets::looksSecret()
{
    QFETCH(QString, name);
    QFETCH(bool, secret);
    QCOMPARE(Secrets::looksSecret(name), secret);
}

void tst_ClientSecrets::redactedUrl_data()
{
    QTest::addColumn<QUrl>("url");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QStringList>("keys");
    QTest::addRow("no query") << QUrl(QStringLiteral("wss://h.example/live")) << QStringLiteral("wss://h.example/live")
                              << QStringList();
    QTest::addRow("harmless query") << QUrl(QStringLiteral("wss://h.example/?room=1"))
                                    << QStringLiteral("wss://h.example/?room=1") << QStringList();
    QTest::addRow("token and room") << QUrl(QStringLiteral("wss://h.example/?access_token=abc.def&room=1"))
                                    << QStringLiteral("wss://h.example/?access_token=<redacted>&room=1")
                                    << QStringList{QStringLiteral("access_token")};
    QTest::addRow("two secrets") << QUrl(QStringLiteral("ws://h:1/?jwt=x&password=y"))
                                 << QStringLiteral("ws://h:1/?jwt=<redacted>&password=<redacted>")
                                 << QStringList{QStringLiteral("jwt"), QStringLiteral("password")};
    QTest::addRow("user info dropped") << QUrl(QStringLiteral("wss://bob:hunter2@h.example/"))
                                       << QStringLiteral("wss://h.example/") << QStringList();
}

void tst_ClientSecrets::redactedUrl()
{
    QFETCH(QUrl, url);
    QFETCH(QString, expected);
    QFETCH(QStringList, keys);
    QCOMPARE(Secrets::redactedUrl(url), expected);
    QCOMPARE(Secrets::secretQueryKeys(url), keys);
}

void tst_ClientSecrets::redactText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::addRow("prose untouched") << QStringLiteral("server code token_expired: token expired")
                                     << QStringLiteral("server code token_expired: token expired");
    QTest::addRow("name=value") << QStringLiteral("refused token=abc.def.ghi for room=7")
                                << QStringLiteral("refused token=<redacted> for room=7");
    QTest::addRow("json") << QStringLiteral(R"(bad {"password": "hunter2", "user": "bob"})")
                          << QStringLiteral(R"(bad {"password": <redacted>, "user": "bob"})");
    QTest::addRow("bearer") << QStringLiteral("Authorization: Bearer eyJabc.def")
                            << QStringLiteral("Authorization: Bearer <redacted>");
}

void tst_ClientSecrets::redactText()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(Secrets::redactText(text), expected);
}

void tst_ClientSecrets::clientOptionsDebugHidesSecrets()
{
    ClientOptions o;
    o.tokenProvider = [](TokenReason, const TokenReply &reply) { reply(QStringLiteral("tok-secret"), {}); };
    o.extraHeaders = {{QByteArrayLiteral("Authorization"), QByteArrayLiteral("Bearer hdr-secret")},
                      {QByteArrayLiteral("Cookie"), QByteArrayLiteral("sid=cookie-secret")}};
    o.proxy = QNetworkProxy(QNetworkProxy::Socks5Proxy, QStringLiteral("proxy.example"), 1080,
                            QStringLiteral("carol"), QStringLiteral("proxy-secret"));
    o.tls.setLocalCertificate(certificate());
    o.tls.setPinnedPublicKeys({kCertificatePin});
    const QString text = debugString(o);
    for (const char *secret : {"tok-secret", "hdr-secret", "cookie-secret", "proxy-secret"})
        QVERIFY2(!text.contains(QLatin1StringView(secret)), qPrintable(text));
    for (const char *shown : {"tokenProvider=set", "Authorization: <redacted>", "Cookie: <redacted>",
                              "socks5 proxy.example:1080 user carol password <redacted>", "pin.example",
                              "QY8VaDHmU/TWvDgLY+8yEkSYmqNrvoWsUebOTiHhSO0="})
        QVERIFY2(text.contains(QLatin1StringView(shown)), qPrintable(text));
    QVERIFY(debugString(ClientOptions()).contains(QLatin1StringView("tokenProvider=none")));
}

void tst_ClientSecrets::errorDebugRedactsMessage()
{
    const Error e = Error(Error::ServerError, QStringLiteral("rejected token=abc.def.ghi"), true).setCloseCode(4401);
    const QString text = debugString(e);
    QVERIFY2(!text.contains(QLatin1StringView("abc.def")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1StringView("token=<redacted>")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1StringView("ServerError")) && text.contains(QLatin1StringView("4401")),
             qPrintable(text));
    // data() is the server's or the app's: never printed.
    Error withData(Error::Rejected, QStringLiteral("nack"));
    withData.setData(QCborValue(QStringLiteral("payload-secret")));
    QVERIFY(!debugString(withData).contains(QLatin1StringView("payload-secret")));
}

void tst_ClientSecrets::tlsDefaults()
{
    const TlsOptions tls;
    QVERIFY(tls.useSystemCaCertificates());
    QCOMPARE(tls.minimumProtocol(), QSsl::TlsV1_2OrLater);
    QVERIFY(tls.pinnedPublicKeys().isEmpty());
    QVERIFY(tls.ignoredErrors().isEmpty());
    QVERIFY(!Tls::verificationDisabled(tls));
    QVERIFY(Tls::validate(tls).isEmpty());
    const QSslConfiguration ssl = Tls::socketConfiguration(tls);
    QCOMPARE(ssl.peerVerifyMode(), QSslSocket::VerifyPeer);
    QCOMPARE(ssl.protocol(), QSsl::TlsV1_2OrLater);
    // Implicitly shared value with ==.
    TlsOptions copy = tls;
    QCOMPARE(copy, tls);
    copy.setPinnedPublicKeys({kOtherPin});
    QVERIFY(copy != tls);
    QVERIFY(tls.pinnedPublicKeys().isEmpty());
}

void tst_ClientSecrets::tlsValidate_data()
{
    QTest::addColumn<QStringList>("pins");
    QTest::addColumn<int>("protocol");
    QTest::addColumn<bool>("certificateOnly");
    QTest::addColumn<QString>("problem");  // empty: valid
    const int modern = int(QSsl::TlsV1_2OrLater);
    QTest::addRow("pins ok, sha256/ prefix too") << QStringList{kCertificatePin, QStringLiteral("sha256/") + kOtherPin}
                                                 << modern << false << QString();
    QTest::addRow("TLS 1.3 minimum") << QStringList() << int(QSsl::TlsV1_3OrLater) << false << QString();
    QTest::addRow("pin not base64") << QStringList{QStringLiteral("%%%")} << modern << false << QStringLiteral("pin");
    QTest::addRow("pin too short") << QStringList{QStringLiteral("AAAA")} << modern << false << QStringLiteral("pin");
    QTest::addRow("TLS 1.2 exactly") << QStringList() << int(QSsl::TlsV1_2) << false << QStringLiteral("minimumProtocol");
    QTest::addRow("any protocol") << QStringList() << int(QSsl::AnyProtocol) << false << QStringLiteral("minimumProtocol");
    QTest::addRow("certificate without key") << QStringList() << modern << true << QStringLiteral("private key");
}

void tst_ClientSecrets::tlsValidate()
{
    QFETCH(QStringList, pins);
    QFETCH(int, protocol);
    QFETCH(bool, certificateOnly);
    QFETCH(QString, problem);
    TlsOptions tls;
    tls.setPinnedPublicKeys(pins);
    tls.setMinimumProtocol(QSsl::SslProtocol(protocol));
    if (certificateOnly)
        tls.setLocalCertificate(certificate());
    const QString why = Tls::validate(tls);
    if (problem.isEmpty())
        QVERIFY2(why.isEmpty(), qPrintable(why));
    else
        QVERIFY2(why.contains(problem), qPrintable(why));
    // And the Client says so: setOptions() refuses, open() fails at once.
    ClientOptions o;
    o.tls = tls;
    Client client(QUrl(QStringLiteral("wss://127.0.0.1:1/")), ClientOptions());
    QCOMPARE(client.setOptions(o), problem.isEmpty());
}

// The app's configuration is the base; CAs added (or replacing), verification forced on.
void tst_ClientSecrets::socketConfigurationLayers()
{
    QSslConfiguration base = QSslConfiguration::defaultConfiguration();
    base.setPeerVerifyMode(QSslSocket::VerifyNone);
    base.setCiphers(QSslConfiguration::supportedCiphers().mid(0, 3));
    const qsizetype systemCas = base.caCertificates().size();
    TlsOptions tls;
    tls.setSslConfiguration(base);
    tls.setCaCertificates({certificate()});
    QSslConfiguration ssl = Tls::socketConfiguration(tls);
    QCOMPARE(ssl.peerVerifyMode(), QSslSocket::VerifyPeer);
    QCOMPARE(ssl.ciphers(), base.ciphers());
    QCOMPARE(ssl.caCertificates().size(), systemCas + 1);
    QVERIFY(ssl.caCertificates().contains(certificate()));
    tls.setUseSystemCaCertificates(false);
    ssl = Tls::socketConfiguration(tls);
    QCOMPARE(ssl.caCertificates(), QList<QSslCertificate>{certificate()});
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    tls.setVerifyPeer(false);
    QT_WARNING_POP
    QVERIFY(Tls::verificationDisabled(tls));
    QCOMPARE(Tls::socketConfiguration(tls).peerVerifyMode(), QSslSocket::VerifyNone);
}

void tst_ClientSecrets::minimumProtocolRaisesOnly_data()
{
    QTest::addColumn<int>("base");
    QTest::addColumn<int>("minimum");
    QTest::addColumn<int>("expected");
    QTest::addRow("any raised to 1.2+") << int(QSsl::AnyProtocol) << int(QSsl::TlsV1_2OrLater) << int(QSsl::TlsV1_2OrLater);
    QTest::addRow("secure protocols pinned to 1.2+") << int(QSsl::SecureProtocols) << int(QSsl::TlsV1_2OrLater)
                                                     << int(QSsl::TlsV1_2OrLater);
    QTest::addRow("1.3+ kept") << int(QSsl::TlsV1_3OrLater) << int(QSsl::TlsV1_2OrLater) << int(QSsl::TlsV1_3OrLater);
    QTest::addRow("1.2 exactly kept") << int(QSsl::TlsV1_2) << int(QSsl::TlsV1_2OrLater) << int(QSsl::TlsV1_2);
    QTest::addRow("1.2+ raised to 1.3+") << int(QSsl::TlsV1_2OrLater) << int(QSsl::TlsV1_3OrLater)
                                         << int(QSsl::TlsV1_3OrLater);
}

void tst_ClientSecrets::minimumProtocolRaisesOnly()
{
    QFETCH(int, base);
    QFETCH(int, minimum);
    QFETCH(int, expected);
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::SslProtocol(base));
    TlsOptions tls;
    tls.setSslConfiguration(configuration);
    tls.setMinimumProtocol(QSsl::SslProtocol(minimum));
    QCOMPARE(int(Tls::socketConfiguration(tls).protocol()), expected);
}

void tst_ClientSecrets::ignoredErrorsOneByOne()
{
    const QList<QSslError> errors{QSslError(QSslError::CertificateExpired, certificate()),
                                  QSslError(QSslError::HostNameMismatch, certificate())};
    TlsOptions tls;
    QCOMPARE(Tls::unacceptedErrors(errors, tls), errors);
    tls.setIgnoredErrors({QSslError::CertificateExpired});
    QCOMPARE(Tls::unacceptedErrors(errors, tls), QList<QSslError>{errors.at(1)});
    tls.setIgnoredErrors({QSslError::CertificateExpired, QSslError::HostNameMismatch});
    QVERIFY(Tls::unacceptedErrors(errors, tls).isEmpty());
}

void tst_ClientSecrets::pinsMatchTheOpensslDigest()
{
    const QSslCertificate cert = certificate();
    QVERIFY(!cert.isNull());
    QCOMPARE(QString::fromLatin1(Tls::publicKeySha256(cert).toBase64()), kCertificatePin);
    TlsOptions tls;
    QVERIFY(Tls::chainMatchesPins({cert}, tls));  // no pins: no pinning
    tls.setPinnedPublicKeys({kOtherPin});
    QVERIFY(!Tls::chainMatchesPins({cert}, tls));
    QVERIFY(!Tls::chainMatchesPins({}, tls));
    tls.setPinnedPublicKeys({kOtherPin, QStringLiteral("sha256/") + kCertificatePin});  // a backup pin
    QVERIFY(Tls::chainMatchesPins({cert}, tls));
}

QTEST_GUILESS_MAIN(tst_ClientSecrets)
#include "tst_client_secrets.moc"
