// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// wss (issue 5 "--tls-cert/--tls-key serve TLS"): tether-server with a certificate made at
// test time by TestCertificates; a client trusting the test CA gets a Tether session, a
// client trusting another CA is refused with an SSL error.
#include "conformance.h"
#include "test_certificates.h"

#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslSocket>

using namespace Conformance;

namespace {

QSslConfiguration trusting(const QString &caPath)
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setCaCertificates(QSslCertificate::fromPath(caPath));
    config.setPeerVerifyMode(QSslSocket::VerifyPeer);
    return config;
}

QUrl wssUrl(const ServerProcess &server)
{
    // The certificate names localhost and 127.0.0.1; the server binds 127.0.0.1.
    QUrl url = server.url();
    url.setScheme(QStringLiteral("wss"));
    return url;
}

} // namespace

class tst_ServerTls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!QSslSocket::supportsSsl())
            QFAIL("Qt has no TLS backend here");
        QVERIFY2(m_certificates.generate(), qPrintable(m_certificates.errorString()));
        m_server.setExtraArgs({QStringLiteral("--tls-cert"), m_certificates.serverCertPath(),
                               QStringLiteral("--tls-key"), m_certificates.serverKeyPath()});
        START_SERVER(m_server);
    }

    void trustedCaGetsSession_data() { addCodecColumn(); }
    void trustedCaGetsSession()
    {
        QFETCH(Codec, codec);
        RawClient c;
        c.setSslConfiguration(trusting(m_certificates.caCertPath()));
        QCborMap welcome;
        CHECK_OK(openSession(c, wssUrl(m_server), codec, &welcome));
        CHECK_OK(expectResult(c.request(QStringLiteral("echo"), QCborValue(QStringLiteral("over TLS")))));
    }

    void untrustedCaIsRefused()
    {
        RawClient c;
        c.setSslConfiguration(trusting(m_certificates.untrustedCaPath()));
        QVERIFY(!c.openTether(wssUrl(m_server), Codec::Json));
        QVERIFY2(!c.sslErrors().isEmpty(), qPrintable(c.errorString()));
    }

    // Plain ws:// to the TLS port is no WebSocket handshake at all.
    void plainTextToTlsPortFails()
    {
        RawClient c;
        QVERIFY(!c.openTether(m_server.url(), Codec::Json, 3000));
    }

private:
    TestCertificates m_certificates;
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerTls)
#include "tst_server_tls.moc"
