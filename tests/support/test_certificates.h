// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// TestCertificates: a throwaway CA and a server certificate signed by it, made with the
// `openssl` command line at test time (nothing secret is ever committed).
//
// The server certificate is valid for DNS:localhost and IP:127.0.0.1, for two days. Keys
// are EC P-256 so generation takes milliseconds. Files live in a QTemporaryDir removed with
// the object. A second, unrelated CA (untrustedCaPath) lets a test prove that a client
// refuses a server whose CA it was not told to trust.
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
    QString errorString() const { return m_error; }

private:
    bool openssl(const QStringList &args);
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
    QString m_error;
};

} // namespace Tether::Testing
