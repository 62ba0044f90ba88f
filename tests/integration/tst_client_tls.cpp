// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// wss:// against real TLS servers with a CA and certificates made at test time (openssl
// command line; no key is ever committed): tether-server with a good, an expired and a
// wrong-host certificate and one requiring client certificates, plus `openssl s_server`
// for a TLS 1.1-only server and to see what the client sent after the handshake.
//
// Every refusal is a specific Error (TlsError with the QSslError names in data(), or
// TlsPinMismatch), fatal, state Failed, and permanent: a counting proxy in front of the
// server proves that no second TCP connection is attempted. Also: pins (good, wrong,
// backup), the per-error ignore list, a full QSslConfiguration, mutual TLS, and an HTTP
// CONNECT proxy (ClientOptions::proxy).
#include "client_harness.h"
#include "tls_peers.h"

#include "fault_proxy.h"
#include "socks5_proxy.h"
#include "server_process.h"
#include "test_certificates.h"
#include "wait.h"

#include <QtCore/QCborArray>
#include <QtNetwork/QNetworkProxy>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslKey>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

namespace {

// Long enough for several backoff delays of fastOptions() (20..200 ms): a client that
// retried would have connected to the proxy again within it.
constexpr int kNoRetryWindowMs = 1200;

enum class Peer { Good, Expired, WrongHost, MutualTls, Tls11 };

QSslKey readKey(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QSslKey(file.readAll(), QSsl::Ec);
}

} // namespace

Q_DECLARE_METATYPE(Peer)

class tst_ClientTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void trustedCaConnects();
    void fullSslConfigurationIsTheBase();
    void pinsAccepted_data();
    void pinsAccepted();
    void refusedPermanently_data();
    void refusedPermanently();
    void pinMismatchSendsNothing();
    void ignoredErrorsOneByOne_data();
    void ignoredErrorsOneByOne();
    void clientCertificateAccepted();
    void invalidTlsOptionsRefused_data();
    void invalidTlsOptionsRefused();
    void throughHttpConnectProxy_data();
    void throughHttpConnectProxy();
    void throughSocks5Proxy_data();
    void throughSocks5Proxy();
    void socks5WrongPasswordIsAnError();

private:
    ServerProcess *server(Peer peer) const;
    quint16 portOf(Peer peer) const;
    QUrl wssUrl(quint16 port) const { return QUrl(QStringLiteral("wss://127.0.0.1:%1/").arg(port)); }
    ClientOptions trustingOptions() const;
    // Connects, checks an echo, closes.
    void expectEcho(const QUrl &url, const ClientOptions &options);
    // expectEcho() with `options` (its proxy set) to the plain or the TLS server (with its
    // pin); returns the server's port.
    quint16 expectEchoThroughProxy(ClientOptions options, bool secure);

    TestCertificates m_certs;
    std::unique_ptr<ServerProcess> m_good, m_expired, m_wrongHost, m_mutual, m_plain;
    OpenSslServer m_tls11;
    QString m_serverPin, m_sparePin;
};

void tst_ClientTls::initTestCase()
{
    QVERIFY2(m_certs.generate(), qPrintable(m_certs.errorString()));
    m_serverPin = m_certs.publicKeyPin(m_certs.serverKeyPath());
    m_sparePin = m_certs.publicKeyPin(m_certs.spareKeyPath());
    QVERIFY2(!m_serverPin.isEmpty() && !m_sparePin.isEmpty(), qPrintable(m_certs.errorString()));
    auto tlsServer = [&](const QString &cert, const QStringList &more = {}) {
        auto server = std::make_unique<ServerProcess>(QStringList{QStringLiteral("--tls-cert"), cert,
                                                                  QStringLiteral("--tls-key"), m_certs.serverKeyPath()}
                                                      + more);
        return server;
    };
    m_good = tlsServer(m_certs.serverCertPath());
    m_expired = tlsServer(m_certs.expiredServerCertPath());
    m_wrongHost = tlsServer(m_certs.wrongHostServerCertPath());
    m_mutual = tlsServer(m_certs.serverCertPath(), {QStringLiteral("--tls-client-ca"), m_certs.caCertPath()});
    m_plain = std::make_unique<ServerProcess>();
    for (ServerProcess *s : {m_good.get(), m_expired.get(), m_wrongHost.get(), m_mutual.get(), m_plain.get()})
        QVERIFY2(s->start(), qPrintable(s->errorString()));
    QVERIFY2(m_tls11.start(m_certs.serverCertPath(), m_certs.serverKeyPath(), {QStringLiteral("-tls1_1")}, true),
             qPrintable(m_tls11.errorString()));
}

void tst_ClientTls::cleanupTestCase()
{
    m_good.reset();
    m_expired.reset();
    m_wrongHost.reset();
    m_mutual.reset();
    m_plain.reset();
}

ServerProcess *tst_ClientTls::server(Peer peer) const
{
    switch (peer) {
    case Peer::Good: return m_good.get();
    case Peer::Expired: return m_expired.get();
    case Peer::WrongHost: return m_wrongHost.get();
    case Peer::MutualTls: return m_mutual.get();
    case Peer::Tls11: return nullptr;
    }
    return nullptr;
}

quint16 tst_ClientTls::portOf(Peer peer) const
{
    return peer == Peer::Tls11 ? m_tls11.port() : server(peer)->port();
}

ClientOptions tst_ClientTls::trustingOptions() const
{
    ClientOptions o = fastOptions();
    o.tls.setCaCertificates(QSslCertificate::fromPath(m_certs.caCertPath()));
    return o;
}

void tst_ClientTls::expectEcho(const QUrl &url, const ClientOptions &options)
{
    Client client(url, options);
    Recorder rec(&client);
    client.open();
    QVERIFY2(waitUntil([&] { return rec.connectedCount(1) || !rec.failures.isEmpty(); }, kWaitMs),
             "neither connected nor failed");
    QVERIFY2(rec.failures.isEmpty(), qPrintable(rec.failures.value(0).toString()));
    std::unique_ptr<Reply> echo(client.request(QStringLiteral("echo"), QCborValue(QStringLiteral("secure"))));
    QVERIFY(waitUntil([&] { return echo->isFinished(); }, kWaitMs));
    QCOMPARE(echo->result(), QCborValue(QStringLiteral("secure")));
    client.close();
}

void tst_ClientTls::trustedCaConnects()
{
    ClientOptions o = trustingOptions();
    QCOMPARE(o.tls.caCertificates().size(), 1);
    expectEcho(wssUrl(m_good->port()), o);
}

// The app's own QSslConfiguration is the base: here it alone brings the private CA.
void tst_ClientTls::fullSslConfigurationIsTheBase()
{
    ClientOptions o = fastOptions();
    QSslConfiguration base = QSslConfiguration::defaultConfiguration();
    base.addCaCertificates(QSslCertificate::fromPath(m_certs.caCertPath()));
    o.tls.setSslConfiguration(base);
    expectEcho(wssUrl(m_good->port()), o);
}

void tst_ClientTls::pinsAccepted_data()
{
    QTest::addColumn<QStringList>("pins");
    QTest::addRow("the server's pin") << QStringList{m_serverPin};
    QTest::addRow("with the sha256/ prefix") << QStringList{QStringLiteral("sha256/") + m_serverPin};
    QTest::addRow("backup pin listed first") << QStringList{m_sparePin, m_serverPin};
}

void tst_ClientTls::pinsAccepted()
{
    QFETCH(QStringList, pins);
    ClientOptions o = trustingOptions();
    o.tls.setPinnedPublicKeys(pins);
    expectEcho(wssUrl(m_good->port()), o);
}

void tst_ClientTls::refusedPermanently_data()
{
    QTest::addColumn<Peer>("peer");
    QTest::addColumn<bool>("trustCa");
    QTest::addColumn<QStringList>("pins");
    QTest::addColumn<QString>("clientCert");  // "", "trusted", "rogue"
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("sslError");    // expected in data() (certificate errors), or ""
    QTest::addColumn<QString>("message");     // expected in message(), case-insensitive
    const QStringList none;
    QTest::addRow("untrusted CA") << Peer::Good << false << none << QString() << Error::TlsError
                                  << QStringLiteral("UnableToGetLocalIssuerCertificate")
                                  << QStringLiteral("certificate rejected");
    QTest::addRow("expired certificate") << Peer::Expired << true << none << QString() << Error::TlsError
                                         << QStringLiteral("CertificateExpired") << QStringLiteral("expired");
    QTest::addRow("wrong host name") << Peer::WrongHost << true << none << QString() << Error::TlsError
                                     << QStringLiteral("HostNameMismatch") << QStringLiteral("host name");
    QTest::addRow("wrong pin") << Peer::Good << true << QStringList{m_sparePin} << QString() << Error::TlsPinMismatch
                               << QString() << QStringLiteral("pin mismatch");
    // The handshake failures below say "TLS handshake failed: <OpenSSL's alert>".
    QTest::addRow("client certificate required, none given") << Peer::MutualTls << true << none << QString()
                                                             << Error::TlsError << QString() << QStringLiteral("alert certificate required");
    QTest::addRow("client certificate of another CA") << Peer::MutualTls << true << none << QStringLiteral("rogue")
                                                      << Error::TlsError << QString() << QStringLiteral("alert unknown ca");
    QTest::addRow("TLS 1.1-only server") << Peer::Tls11 << true << none << QString() << Error::TlsError << QString()
                                         << QStringLiteral("alert protocol version");
}

void tst_ClientTls::refusedPermanently()
{
    QFETCH(Peer, peer);
    QFETCH(bool, trustCa);
    QFETCH(QStringList, pins);
    QFETCH(QString, clientCert);
    QFETCH(Error::Code, code);
    QFETCH(QString, sslError);
    QFETCH(QString, message);

    FaultProxy counter;  // counts the TCP connections the client makes
    QVERIFY2(counter.start(QStringLiteral("127.0.0.1"), portOf(peer)), qPrintable(counter.errorString()));
    ClientOptions o = trustCa ? trustingOptions() : fastOptions();
    if (!trustCa)
        o.tls.setCaCertificates(QSslCertificate::fromPath(m_certs.untrustedCaPath()));
    o.tls.setPinnedPublicKeys(pins);
    if (!clientCert.isEmpty()) {
        const bool trusted = clientCert == QLatin1StringView("trusted");
        o.tls.setLocalCertificate(QSslCertificate::fromPath(trusted ? m_certs.clientCertPath()
                                                                    : m_certs.untrustedClientCertPath()).value(0));
        o.tls.setPrivateKey(readKey(trusted ? m_certs.clientKeyPath() : m_certs.untrustedClientKeyPath()));
        QVERIFY(!o.tls.localCertificate().isNull() && !o.tls.privateKey().isNull());
    }
    Client client(wssUrl(counter.port()), o);
    Recorder rec(&client);
    // Certificate errors and pin mismatches are warnings (tether.transport).
    if (code == Error::TlsPinMismatch || !sslError.isEmpty())
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("TLS (certificate rejected|public key pin)")));
    client.open();
    QVERIFY(waitUntil([&] { return !rec.failures.isEmpty(); }, kWaitMs));
    Testing::spin(kNoRetryWindowMs);

    const Error e = rec.failures.first();
    QCOMPARE(e.code(), code);
    QCOMPARE(e.kind(), Error::Transport);
    QVERIFY(e.isFatal());
    if (!sslError.isEmpty()) {
        QStringList names;
        for (const QCborValue &name : e.data().toArray())
            names << name.toString();
        QVERIFY2(names.contains(sslError), qPrintable(names.join(u',') + QStringLiteral(" / ") + e.message()));
    }
    QVERIFY2(e.message().contains(message, Qt::CaseInsensitive), qPrintable(e.message()));
    if (code == Error::TlsError && sslError.isEmpty())
        QVERIFY2(e.message().startsWith(QLatin1StringView("TLS handshake failed: ")), qPrintable(e.message()));
    qInfo("%s", qPrintable(e.toString()));
    // Permanent: Failed, never Reconnecting, one TCP connection only.
    QCOMPARE(client.state(), State::Failed);
    QCOMPARE(client.error().code(), code);
    QCOMPARE(rec.failures.size(), 1);
    QVERIFY(rec.reconnects.isEmpty());
    QVERIFY(rec.connects.isEmpty());
    QVERIFY(!rec.states.contains(State::Reconnecting));
    QCOMPARE(counter.connectionsAccepted(), 1);
    QCOMPARE(client.stats().reconnects, quint64(0));
}

// A pin mismatch is found when the TLS handshake completes, before the HTTP upgrade (with
// its headers) leaves the client: an openssl s_server shows nothing arrived. The control
// run with the right pin shows the upgrade request does arrive there.
void tst_ClientTls::pinMismatchSendsNothing()
{
    for (const bool rightPin : {false, true}) {
        OpenSslServer peer;
        QVERIFY2(peer.start(m_certs.serverCertPath(), m_certs.serverKeyPath(), {}, false),
                 qPrintable(peer.errorString()));
        ClientOptions o = trustingOptions();
        o.tls.setPinnedPublicKeys({rightPin ? m_serverPin : m_sparePin});
        o.extraHeaders = {{QByteArrayLiteral("Cookie"), QByteArrayLiteral("session=must-not-leak")}};
        Client client(wssUrl(peer.port()), o);
        Recorder rec(&client);
        if (!rightPin)
            QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("pin mismatch")));
        client.open();
        if (rightPin) {
            QVERIFY2(waitUntil([&] { return peer.output().contains("GET / HTTP/1.1"); }, kWaitMs), peer.output().constData());
            QVERIFY(peer.output().contains("must-not-leak"));  // the control: headers do reach a pinned server
        } else {
            QVERIFY(waitUntil([&] { return !rec.failures.isEmpty(); }, kWaitMs));
            QCOMPARE(rec.failures.first().code(), Error::TlsPinMismatch);
            Testing::spin(300);
            QVERIFY2(!peer.output().contains("GET"), peer.output().constData());
            QVERIFY2(!peer.output().contains("must-not-leak"), peer.output().constData());
        }
        client.close();
    }
}

void tst_ClientTls::ignoredErrorsOneByOne_data()
{
    QTest::addColumn<Peer>("peer");
    QTest::addColumn<QList<QSslError::SslError>>("ignored");
    QTest::addColumn<bool>("connects");
    using E = QSslError;
    QTest::addRow("expired, CertificateExpired ignored") << Peer::Expired << QList<E::SslError>{E::CertificateExpired}
                                                         << true;
    QTest::addRow("wrong host, HostNameMismatch ignored") << Peer::WrongHost
                                                          << QList<E::SslError>{E::HostNameMismatch} << true;
    QTest::addRow("expired, only HostNameMismatch ignored") << Peer::Expired
                                                            << QList<E::SslError>{E::HostNameMismatch} << false;
    QTest::addRow("wrong host, only CertificateExpired ignored") << Peer::WrongHost
                                                                 << QList<E::SslError>{E::CertificateExpired} << false;
}

// Each accepted error is still logged; any error not listed fails the handshake.
void tst_ClientTls::ignoredErrorsOneByOne()
{
    QFETCH(Peer, peer);
    QFETCH(QList<QSslError::SslError>, ignored);
    QFETCH(bool, connects);
    ClientOptions o = trustingOptions();
    o.tls.setIgnoredErrors(ignored);
    if (connects) {
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("TLS error accepted")));
        expectEcho(wssUrl(portOf(peer)), o);
        return;
    }
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("TLS certificate rejected")));
    Client client(wssUrl(portOf(peer)), o);
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return !rec.failures.isEmpty(); }, kWaitMs));
    QCOMPARE(rec.failures.first().code(), Error::TlsError);
    QVERIFY(rec.connects.isEmpty());
}

void tst_ClientTls::clientCertificateAccepted()
{
    ClientOptions o = trustingOptions();
    o.tls.setLocalCertificate(QSslCertificate::fromPath(m_certs.clientCertPath()).value(0));
    o.tls.setPrivateKey(readKey(m_certs.clientKeyPath()));
    QVERIFY(!o.tls.privateKey().isNull());
    expectEcho(wssUrl(m_mutual->port()), o);
}

void tst_ClientTls::invalidTlsOptionsRefused_data()
{
    QTest::addColumn<QStringList>("pins");
    QTest::addColumn<int>("protocol");
    QTest::addColumn<bool>("certificateWithoutKey");
    QTest::addRow("pin not base64") << QStringList{QStringLiteral("not a pin!")} << int(QSsl::TlsV1_2OrLater) << false;
    QTest::addRow("pin of 16 bytes") << QStringList{QString::fromLatin1(QByteArray(16, 'x').toBase64())}
                                     << int(QSsl::TlsV1_2OrLater) << false;
    QTest::addRow("minimum TLS 1.2 exactly") << QStringList() << int(QSsl::TlsV1_2) << false;
    QTest::addRow("minimum any protocol") << QStringList() << int(QSsl::AnyProtocol) << false;
    QTest::addRow("certificate without key") << QStringList() << int(QSsl::TlsV1_2OrLater) << true;
}

// setOptions() refuses (InvalidArgument, not fatal, nothing changed); open() with such
// options from the constructor fails at once (fatal) without touching the network.
void tst_ClientTls::invalidTlsOptionsRefused()
{
    QFETCH(QStringList, pins);
    QFETCH(int, protocol);
    QFETCH(bool, certificateWithoutKey);
    ClientOptions bad = trustingOptions();
    bad.tls.setPinnedPublicKeys(pins);
    bad.tls.setMinimumProtocol(QSsl::SslProtocol(protocol));
    if (certificateWithoutKey)
        bad.tls.setLocalCertificate(QSslCertificate::fromPath(m_certs.clientCertPath()).value(0));

    Client configured(wssUrl(m_good->port()), trustingOptions());
    QVERIFY(!configured.setOptions(bad));
    QCOMPARE(configured.error().code(), Error::InvalidArgument);
    QVERIFY(!configured.error().isFatal());
    QCOMPARE(configured.options().tls, trustingOptions().tls);

    FaultProxy counter;
    QVERIFY(counter.start(QStringLiteral("127.0.0.1"), m_good->port()));
    Client constructed(wssUrl(counter.port()), bad);
    Recorder rec(&constructed);
    constructed.open();
    QCOMPARE(rec.errors.size(), 1);
    QCOMPARE(rec.errors.first().code(), Error::InvalidArgument);
    QVERIFY(rec.errors.first().isFatal());
    Testing::spin(200);
    QCOMPARE(counter.connectionsAccepted(), 0);
}

quint16 tst_ClientTls::expectEchoThroughProxy(ClientOptions options, bool secure)
{
    if (secure)
        options.tls.setPinnedPublicKeys({m_serverPin});
    const quint16 port = secure ? m_good->port() : m_plain->port();
    expectEcho(secure ? wssUrl(port) : QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)), options);
    return port;
}

void tst_ClientTls::throughHttpConnectProxy_data()
{
    QTest::addColumn<bool>("secure");
    QTest::addRow("ws://") << false;
    QTest::addRow("wss:// with a pin") << true;
}

// ClientOptions::proxy: the connection goes through the proxy (one CONNECT to the server's
// address), even to a loopback address.
void tst_ClientTls::throughHttpConnectProxy()
{
    QFETCH(bool, secure);
    ConnectProxy proxy;
    QVERIFY(proxy.start());
    ClientOptions o = trustingOptions();
    o.proxy = QNetworkProxy(QNetworkProxy::HttpProxy, QStringLiteral("127.0.0.1"), proxy.port());
    const quint16 port = expectEchoThroughProxy(o, secure);
    QCOMPARE(proxy.tunnels(), 1);
    QCOMPARE(proxy.targets(), QStringList{QStringLiteral("127.0.0.1:%1").arg(port)});
}

void tst_ClientTls::throughSocks5Proxy_data()
{
    QTest::addColumn<bool>("secure");
    QTest::addColumn<bool>("login");
    QTest::addRow("ws://") << false << false;
    QTest::addRow("wss:// with a pin") << true << false;
    QTest::addRow("ws://, user and password") << false << true;
    QTest::addRow("wss://, user and password") << true << true;
}

// The same through a SOCKS5 proxy (tests/support/socks5_proxy.h), with and without a login
// (RFC 1929): one tunnel, to the server's address.
void tst_ClientTls::throughSocks5Proxy()
{
    QFETCH(bool, secure);
    QFETCH(bool, login);
    Socks5Proxy proxy;
    if (login)
        proxy.requireCredentials(QStringLiteral("socks-user"), QStringLiteral("socks-password"));
    QVERIFY(proxy.start());
    ClientOptions o = trustingOptions();
    o.proxy = QNetworkProxy(QNetworkProxy::Socks5Proxy, QStringLiteral("127.0.0.1"), proxy.port());
    if (login) {
        o.proxy.setUser(QStringLiteral("socks-user"));
        o.proxy.setPassword(QStringLiteral("socks-password"));
    }
    const quint16 port = expectEchoThroughProxy(o, secure);
    QCOMPARE(proxy.tunnels(), 1);
    QCOMPARE(proxy.targets(), QStringList{QStringLiteral("127.0.0.1:%1").arg(port)});
    QCOMPARE(proxy.refusedLogins(), 0);
}

// A proxy that refuses the login: the client never reaches the server, says why, and
// stops (Failed, ProxyAuthenticationFailed): retrying the same login cannot succeed and
// proxies lock accounts that keep trying. It never goes around the proxy.
void tst_ClientTls::socks5WrongPasswordIsAnError()
{
    Socks5Proxy proxy;
    proxy.requireCredentials(QStringLiteral("socks-user"), QStringLiteral("socks-password"));
    QVERIFY(proxy.start());
    ClientOptions o = trustingOptions();
    o.proxy = QNetworkProxy(QNetworkProxy::Socks5Proxy, QStringLiteral("127.0.0.1"), proxy.port(),
                            QStringLiteral("socks-user"), QStringLiteral("wrong"));
    Client client(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(m_plain->port())), o);
    Recorder rec(&client);
    client.open();
    QVERIFY2(waitUntil([&] { return client.state() == State::Failed; }, kWaitMs),
             "a refused proxy login did not fail the client");
    QVERIFY(rec.connects.isEmpty());
    QCOMPARE(proxy.tunnels(), 0);
    QCOMPARE(rec.failures.size(), 1);
    const Error e = rec.failures.first();
    QCOMPARE(e.code(), Error::ProxyAuthenticationFailed);
    QVERIFY(e.isFatal());
    QVERIFY2(!e.toString().contains(QStringLiteral("wrong")), qPrintable(e.toString()));  // no password
    // No second attempt: the proxy saw exactly one login in 500 ms (fastOptions() would
    // have retried within 20-200 ms).
    QTest::qWait(500);
    QCOMPARE(proxy.refusedLogins(), 1);
    QCOMPARE(client.state(), State::Failed);
}

QTEST_GUILESS_MAIN(tst_ClientTls)
#include "tst_client_tls.moc"
