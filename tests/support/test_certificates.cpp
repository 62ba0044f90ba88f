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

    QFile extensions(path(QStringLiteral("server.ext")));
    if (!extensions.open(QIODevice::WriteOnly)) {
        m_error = extensions.errorString();
        return false;
    }
    extensions.write("basicConstraints=CA:FALSE\n"
                     "keyUsage=critical,digitalSignature,keyEncipherment\n"
                     "extendedKeyUsage=serverAuth\n"
                     "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    extensions.close();

    return openssl(QStringList{QStringLiteral("req")} + ecKey
                   + QStringList{QStringLiteral("-keyout"), QStringLiteral("server.key"),
                                 QStringLiteral("-out"), QStringLiteral("server.csr"),
                                 QStringLiteral("-subj"), QStringLiteral("/CN=localhost")})
        && openssl({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"),
                    QStringLiteral("server.csr"), QStringLiteral("-CA"), QStringLiteral("ca.pem"),
                    QStringLiteral("-CAkey"), QStringLiteral("ca.key"),
                    QStringLiteral("-CAcreateserial"), QStringLiteral("-days"),
                    QStringLiteral("2"), QStringLiteral("-extfile"),
                    QStringLiteral("server.ext"), QStringLiteral("-out"),
                    QStringLiteral("server.pem")});
}

} // namespace Tether::Testing
