// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// wss:// against the reference server with a throwaway CA made at test time: trusted when
// the app adds the CA, refused (and reported as TlsError, never ignored) when it does not.
#include "client_harness.h"

#include "server_process.h"
#include "test_certificates.h"
#include "wait.h"

#include <QtNetwork/QSslCertificate>
#include <QtTest/QtTest>

using namespace Tether;
using namespace Tether::Testing;

class tst_ClientTls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void trustedCaConnects();
    void untrustedCaIsRefused();

private:
    QUrl wssUrl(const QString &host) const
    {
        return QUrl(QStringLiteral("wss://%1:%2/").arg(host).arg(m_server->port()));
    }
    TestCertificates m_certs;
    std::unique_ptr<ServerProcess> m_server;
};

void tst_ClientTls::initTestCase()
{
    QVERIFY2(m_certs.generate(), qPrintable(m_certs.errorString()));
    m_server = std::make_unique<ServerProcess>(QStringList{
        QStringLiteral("--tls-cert"), m_certs.serverCertPath(),
        QStringLiteral("--tls-key"), m_certs.serverKeyPath()});
    QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
}

void tst_ClientTls::cleanupTestCase()
{
    m_server.reset();
}

void tst_ClientTls::trustedCaConnects()
{
    ClientOptions o = fastOptions();
    o.tls.caCertificates = QSslCertificate::fromPath(m_certs.caCertPath());
    QCOMPARE(o.tls.caCertificates.size(), 1);
    Client client(wssUrl(QStringLiteral("127.0.0.1")), o);
    Recorder rec(&client);
    client.open();
    QVERIFY(waitUntil([&] { return rec.connectedCount(1); }, kWaitMs));
    std::unique_ptr<Reply> echo(client.request(QStringLiteral("echo"), QCborValue(QStringLiteral("secure"))));
    QVERIFY(waitUntil([&] { return echo->isFinished(); }, kWaitMs));
    QCOMPARE(echo->result(), QCborValue(QStringLiteral("secure")));
}

void tst_ClientTls::untrustedCaIsRefused()
{
    ClientOptions o = fastOptions();
    o.tls.caCertificates = QSslCertificate::fromPath(m_certs.untrustedCaPath());
    Client client(wssUrl(QStringLiteral("127.0.0.1")), o);
    Recorder rec(&client);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("TLS certificate rejected")));
    client.open();
    QVERIFY(waitUntil([&] { return !rec.errors.isEmpty(); }, kWaitMs));
    const Error e = rec.errors.first();
    QCOMPARE(e.code(), Error::TlsError);
    QCOMPARE(e.kind(), Error::Transport);
    QVERIFY2(e.message().contains(QStringLiteral("certificate"), Qt::CaseInsensitive), qPrintable(e.message()));
    Testing::spin(300);
    QVERIFY(rec.connects.isEmpty());  // never connected, whatever the retries
    client.close();
}

QTEST_GUILESS_MAIN(tst_ClientTls)
#include "tst_client_tls.moc"
