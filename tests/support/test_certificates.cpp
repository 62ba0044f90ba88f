// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "test_certificates.h"

#include <QtCore/QFile>
#include <QtCore/QProcess>

namespace Tether::Testing {

namespace {
constexpr int kOpensslTimeoutMs = 20000;
}

TestCertificates::TestCertificates() = default;

QString TestCertificates::caCertPath() const { return path(QStringLiteral("ca.pem")); }
QString TestCertificates::serverCertPath() const { return path(QStringLiteral("server.pem")); }
QString TestCertificates::serverKeyPath() const { return path(QStringLiteral("server.key")); }
QString TestCertificates::untrustedCaPath() const { return path(QStringLiteral("other-ca.pem")); }
QString TestCertificates::expiredServerCertPath() const { return path(QStringLiteral("server-expired.pem")); }
QString TestCertificates::wrongHostServerCertPath() const { return path(QStringLiteral("server-wronghost.pem")); }
QString TestCertificates::clientCertPath() const { return path(QStringLiteral("client.pem")); }
QString TestCertificates::clientKeyPath() const { return path(QStringLiteral("client.key")); }
QString TestCertificates::untrustedClientCertPath() const { return path(QStringLiteral("rogue-client.pem")); }
QString TestCertificates::untrustedClientKeyPath() const { return path(QStringLiteral("rogue-client.key")); }
QString TestCertificates::spareKeyPath() const { return path(QStringLiteral("spare.key")); }

bool TestCertificates::writeFile(const QString &name, const QByteArray &contents)
{
    QFile file(path(name));
    if (!file.open(QIODevice::WriteOnly) || file.write(contents) != contents.size()) {
        m_error = file.errorString();
        return false;
    }
    return true;
}

bool TestCertificates::makeKeyAndCsr(const QString &name, const QString &cn)
{
    return openssl({QStringLiteral("req"), QStringLiteral("-newkey"), QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                    QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                    name + QStringLiteral(".key"), QStringLiteral("-out"), name + QStringLiteral(".csr"),
                    QStringLiteral("-subj"), QStringLiteral("/CN=") + cn});
}

// `days` -1 makes a certificate that expired a day before it was made (notAfter < now).
bool TestCertificates::signWithCa(const QString &csr, const QString &ca, const QString &extensions,
                                  const QString &days, const QString &out)
{
    return openssl({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"), csr, QStringLiteral("-CA"),
                    ca + QStringLiteral(".pem"), QStringLiteral("-CAkey"), ca + QStringLiteral(".key"),
                    QStringLiteral("-CAcreateserial"), QStringLiteral("-days"), days, QStringLiteral("-extfile"),
                    extensions, QStringLiteral("-out"), out});
}

QString TestCertificates::publicKeyPin(const QString &keyPath)
{
    const QString der = keyPath + QStringLiteral(".spki.der");
    const QString digest = keyPath + QStringLiteral(".spki.sha256");
    if (!openssl({QStringLiteral("pkey"), QStringLiteral("-in"), keyPath, QStringLiteral("-pubout"),
                  QStringLiteral("-outform"), QStringLiteral("DER"), QStringLiteral("-out"), der})
        || !openssl({QStringLiteral("dgst"), QStringLiteral("-sha256"), QStringLiteral("-binary"),
                     QStringLiteral("-out"), digest, der}))
        return {};
    QFile file(digest);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLatin1(file.readAll().toBase64());
}

bool TestCertificates::openssl(const QStringList &args)
{
    QProcess process;
    process.setWorkingDirectory(m_dir.path());
    process.start(QStringLiteral("openssl"), args);
    if (!process.waitForFinished(kOpensslTimeoutMs) || process.exitStatus() != QProcess::NormalExit
        || process.exitCode() != 0) {
        m_error = QStringLiteral("openssl %1 failed: %2 %3")
                      .arg(args.join(QLatin1Char(' ')), process.errorString(),
                           QString::fromUtf8(process.readAllStandardError()));
        process.kill();
        return false;
    }
    return true;
}

bool TestCertificates::generate()
{
    if (!m_dir.isValid()) {
        m_error = QStringLiteral("cannot create a temporary directory");
        return false;
    }
    const QStringList ecKey = {QStringLiteral("-newkey"), QStringLiteral("ec"),
                               QStringLiteral("-pkeyopt"),
                               QStringLiteral("ec_paramgen_curve:prime256v1"),
                               QStringLiteral("-nodes")};
    auto makeCa = [&](const QString &name, const QString &cn) {
        return openssl(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ecKey
                       + QStringList{QStringLiteral("-keyout"), name + QStringLiteral(".key"),
                                     QStringLiteral("-out"), name + QStringLiteral(".pem"),
                                     QStringLiteral("-days"), QStringLiteral("2"),
                                     QStringLiteral("-subj"), QStringLiteral("/CN=") + cn,
                                     QStringLiteral("-addext"),
                                     QStringLiteral("basicConstraints=critical,CA:TRUE"),
                                     QStringLiteral("-addext"),
                                     QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")});
    };
    if (!makeCa(QStringLiteral("ca"), QStringLiteral("Tether Test CA"))
        || !makeCa(QStringLiteral("other-ca"), QStringLiteral("Untrusted Test CA")))
        return false;

    if (!writeFile(QStringLiteral("server.ext"), "basicConstraints=CA:FALSE\n"
                                                 "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                                 "extendedKeyUsage=serverAuth\n"
                                                 "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        || !writeFile(QStringLiteral("wronghost.ext"), "basicConstraints=CA:FALSE\n"
                                                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                                       "extendedKeyUsage=serverAuth\n"
                                                       "subjectAltName=DNS:wrong.example\n")
        || !writeFile(QStringLiteral("client.ext"), "basicConstraints=CA:FALSE\n"
                                                    "keyUsage=critical,digitalSignature\n"
                                                    "extendedKeyUsage=clientAuth\n"))
        return false;

    const QString ca = QStringLiteral("ca");
    return makeKeyAndCsr(QStringLiteral("server"), QStringLiteral("localhost"))
        && signWithCa(QStringLiteral("server.csr"), ca, QStringLiteral("server.ext"), QStringLiteral("2"),
                      QStringLiteral("server.pem"))
        && signWithCa(QStringLiteral("server.csr"), ca, QStringLiteral("server.ext"), QStringLiteral("-1"),
                      QStringLiteral("server-expired.pem"))
        && signWithCa(QStringLiteral("server.csr"), ca, QStringLiteral("wronghost.ext"), QStringLiteral("2"),
                      QStringLiteral("server-wronghost.pem"))
        && makeKeyAndCsr(QStringLiteral("client"), QStringLiteral("Tether Test Client"))
        && signWithCa(QStringLiteral("client.csr"), ca, QStringLiteral("client.ext"), QStringLiteral("2"),
                      QStringLiteral("client.pem"))
        && makeKeyAndCsr(QStringLiteral("rogue-client"), QStringLiteral("Rogue Client"))
        && signWithCa(QStringLiteral("rogue-client.csr"), QStringLiteral("other-ca"), QStringLiteral("client.ext"),
                      QStringLiteral("2"), QStringLiteral("rogue-client.pem"))
        && makeKeyAndCsr(QStringLiteral("spare"), QStringLiteral("spare"));
}

} // namespace Tether::Testing
