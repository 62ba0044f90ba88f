// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// TestCertificates: a throwaway CA and a server certificate signed by it, made with the
// `openssl` command line at test time (nothing secret is ever committed).
//
// The server certificate is valid for DNS:localhost and IP:127.0.0.1, for two days. Keys
// are EC P-256 so generation takes milliseconds. Files live in a QTemporaryDir removed with
// the object. A second, unrelated CA (untrustedCaPath) lets a test prove that a client
// refuses a server whose CA it was not told to trust. Variants of the server certificate
// (same key) are expired or name another host; client certificates (for mutual TLS) are
// signed by the CA and by the untrusted one.
#pragma once

#include <QtCore/QString>
#include <QtCore/QTemporaryDir>

namespace Tether::Testing {

class TestCertificates
{
public:
    TestCertificates();

    // Runs openssl; false (errorString()) when openssl is missing or fails.
    bool generate();

    QString caCertPath() const;         // PEM: the CA that signed the server certificate
    QString serverCertPath() const;     // PEM: for `tether-server --tls-cert`
    QString serverKeyPath() const;      // PEM: for `tether-server --tls-key`
    QString untrustedCaPath() const;    // PEM: a CA that signed nothing we serve
    QString expiredServerCertPath() const;    // server.key's certificate, expired yesterday
    QString wrongHostServerCertPath() const;  // server.key's certificate for DNS:wrong.example only
    QString clientCertPath() const;     // PEM: a client certificate (clientAuth) signed by the CA
    QString clientKeyPath() const;
    QString untrustedClientCertPath() const;  // a client certificate signed by the untrusted CA
    QString untrustedClientKeyPath() const;
    QString spareKeyPath() const;       // PEM: a key no certificate uses (a "backup pin")

    // base64(SHA-256(SubjectPublicKeyInfo DER)) of the key in `keyPath`, computed by the
    // openssl command line (independent of the SDK's own computation). Empty on failure.
    QString publicKeyPin(const QString &keyPath);
    QString errorString() const { return m_error; }

private:
    bool openssl(const QStringList &args);
    bool writeFile(const QString &name, const QByteArray &contents);
    bool signWithCa(const QString &csr, const QString &ca, const QString &extensions, const QString &days,
                    const QString &out);
    bool makeKeyAndCsr(const QString &name, const QString &cn);
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
    QString m_error;
};

} // namespace Tether::Testing
