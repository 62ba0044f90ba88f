// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::TlsOptions: how a Client secures wss:// (ClientOptions::tls). An implicitly
// shared value with getters and setters, so that TLS settings can grow without changing
// ClientOptions' layout.
//
// The defaults are safe: the server's certificate chain is verified against the system's
// CAs and its host name, TLS 1.2 is the oldest protocol spoken, and every certificate
// problem fails the connection for good (Client state Failed, Error::TlsError; never
// retried as if the network had failed).
//
// How the socket's QSslConfiguration is made: sslConfiguration() (by default
// QSslConfiguration::defaultConfiguration()) with, on top of it,
//   - caCertificates() added to its CAs, or replacing them when useSystemCaCertificates()
//     is false;
//   - the protocol raised to minimumProtocol() when it allows older versions;
//   - localCertificate()/privateKey() when set (mutual TLS);
//   - peer verification always on (its peerVerifyMode is not used; see ignoredErrors()).
#pragma once

#include <Tether/global.h>

#include <QtCore/QList>
#include <QtCore/QSharedDataPointer>
#include <QtCore/QStringList>
#include <QtNetwork/QSsl>
#include <QtNetwork/QSslCertificate>
#include <QtNetwork/QSslConfiguration>
#include <QtNetwork/QSslError>
#include <QtNetwork/QSslKey>

class QDebug;

namespace Tether {

class TlsOptionsData;

// TLS settings of a Client (ClientOptions::tls): an implicitly shared value, so that a
// new setting never changes ClientOptions' layout. Verification is on by default.
class TETHER_EXPORT TlsOptions
{
public:
    TlsOptions();  // the safe defaults above
    // Copies share the settings until one of them changes (implicit sharing).
    TlsOptions(const TlsOptions &other);
    // Takes the other's settings; the other is left with the defaults' share.
    TlsOptions(TlsOptions &&other) noexcept;
    // Shares the other's settings.
    TlsOptions &operator=(const TlsOptions &other);
    // Takes the other's settings.
    TlsOptions &operator=(TlsOptions &&other) noexcept;
    ~TlsOptions();

    // The base configuration (ciphers, curves, session tickets, ALPN...). Default:
    // QSslConfiguration::defaultConfiguration() at the time of the connection.
    QSslConfiguration sslConfiguration() const;
    // Sets sslConfiguration().
    void setSslConfiguration(const QSslConfiguration &configuration);

    // Extra CA certificates trusted in addition to the system's (e.g. a private CA).
    QList<QSslCertificate> caCertificates() const;
    // Sets caCertificates().
    void setCaCertificates(const QList<QSslCertificate> &certificates);
    // Trust the system's CAs as well (default true); false: only caCertificates().
    bool useSystemCaCertificates() const;
    // Sets useSystemCaCertificates().
    void setUseSystemCaCertificates(bool use);

    // The oldest TLS version accepted: QSsl::TlsV1_2OrLater (default) or
    // QSsl::TlsV1_3OrLater. A server that offers only older versions is refused
    // (Error::TlsError, fatal). Any other value is refused by Client::setOptions() and
    // open() (Error::InvalidArgument).
    QSsl::SslProtocol minimumProtocol() const;
    // Sets minimumProtocol().
    void setMinimumProtocol(QSsl::SslProtocol protocol);

    // Certificate pinning (HPKP/OkHttp style): base64 SHA-256 digests of the
    // SubjectPublicKeyInfo of a certificate the server presents (its own or an
    // intermediate), optionally prefixed "sha256/". Empty (default): no pinning. When set,
    // a server whose chain matches none of them is refused after the TLS handshake and
    // before any HTTP byte is sent (Error::TlsPinMismatch, fatal). List a backup key's pin
    // too, so that a key rotation does not lock every installed app out. A pin that is not
    // base64 of 32 bytes makes setOptions()/open() fail with Error::InvalidArgument. Get a
    // pin with (one line):
    //   openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der
    //   | openssl dgst -sha256 -binary | base64
    QStringList pinnedPublicKeys() const;
    // Sets pinnedPublicKeys().
    void setPinnedPublicKeys(const QStringList &sha256Base64);

    // Mutual TLS: the client certificate and its private key (both or neither), sent when
    // the server asks for one. A server that requires one and gets none refuses the
    // handshake (Error::TlsError, fatal).
    QSslCertificate localCertificate() const;
    // Sets localCertificate().
    void setLocalCertificate(const QSslCertificate &certificate);
    // The private key of localCertificate() (never printed: QDebug shows only that it is set).
    QSslKey privateKey() const;
    // Sets privateKey().
    void setPrivateKey(const QSslKey &key);

    // Certificate errors to accept, one by one (e.g. QSslError::SelfSignedCertificate for a
    // development server): a handshake whose errors are all in this list goes on (each is
    // still logged as a warning in tether.transport); any other error fails it. Empty
    // (default): none is accepted. Pins still apply.
    QList<QSslError::SslError> ignoredErrors() const;
    // Sets ignoredErrors().
    void setIgnoredErrors(const QList<QSslError::SslError> &errors);

    // ### Tether 2: remove. false = every certificate accepted without verification (a
    // warning is logged at each connection); pins still apply. Use setIgnoredErrors().
    [[deprecated("use setIgnoredErrors() for the errors to accept")]] bool verifyPeer() const;
    [[deprecated("use setIgnoredErrors() for the errors to accept")]] void setVerifyPeer(bool verify);

    friend TETHER_EXPORT bool operator==(const TlsOptions &a, const TlsOptions &b);
    friend bool operator!=(const TlsOptions &a, const TlsOptions &b) { return !(a == b); }

private:
    friend class TlsOptionsData;
    QSharedDataPointer<TlsOptionsData> d;
};

// Certificates by subject, pins, ignored errors and whether a private key is set; never
// the key itself.
TETHER_EXPORT QDebug operator<<(QDebug debug, const TlsOptions &options);

} // namespace Tether
