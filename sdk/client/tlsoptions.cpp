// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether::TlsOptions (an implicitly shared value) and what the transport makes of it
// (tls_p.h).
#include "tls_p.h"

#include <QtCore/QCryptographicHash>
#include <QtCore/QDebug>
#include <QtCore/QMetaEnum>

namespace Tether {

class TlsOptionsData : public QSharedData
{
public:
    std::optional<QSslConfiguration> sslConfiguration;  // nullopt: the default at connection time
    QList<QSslCertificate> caCertificates;
    bool useSystemCaCertificates = true;
    QSsl::SslProtocol minimumProtocol = QSsl::TlsV1_2OrLater;
    QStringList pinnedPublicKeys;
    QSslCertificate localCertificate;
    QSslKey privateKey;
    QList<QSslError::SslError> ignoredErrors;
    bool verifyPeer = true;

    static bool verifyPeerOf(const TlsOptions &options) { return options.d->verifyPeer; }
};

TlsOptions::TlsOptions() : d(new TlsOptionsData) {}
TlsOptions::TlsOptions(const TlsOptions &other) = default;
TlsOptions::TlsOptions(TlsOptions &&other) noexcept = default;
TlsOptions &TlsOptions::operator=(const TlsOptions &other) = default;
TlsOptions &TlsOptions::operator=(TlsOptions &&other) noexcept = default;
TlsOptions::~TlsOptions() = default;

QSslConfiguration TlsOptions::sslConfiguration() const
{
    return d->sslConfiguration.value_or(QSslConfiguration::defaultConfiguration());
}
void TlsOptions::setSslConfiguration(const QSslConfiguration &configuration) { d->sslConfiguration = configuration; }
QList<QSslCertificate> TlsOptions::caCertificates() const { return d->caCertificates; }
void TlsOptions::setCaCertificates(const QList<QSslCertificate> &certificates) { d->caCertificates = certificates; }
bool TlsOptions::useSystemCaCertificates() const { return d->useSystemCaCertificates; }
void TlsOptions::setUseSystemCaCertificates(bool use) { d->useSystemCaCertificates = use; }
QSsl::SslProtocol TlsOptions::minimumProtocol() const { return d->minimumProtocol; }
void TlsOptions::setMinimumProtocol(QSsl::SslProtocol protocol) { d->minimumProtocol = protocol; }
QStringList TlsOptions::pinnedPublicKeys() const { return d->pinnedPublicKeys; }
void TlsOptions::setPinnedPublicKeys(const QStringList &sha256Base64) { d->pinnedPublicKeys = sha256Base64; }
QSslCertificate TlsOptions::localCertificate() const { return d->localCertificate; }
void TlsOptions::setLocalCertificate(const QSslCertificate &certificate) { d->localCertificate = certificate; }
QSslKey TlsOptions::privateKey() const { return d->privateKey; }
void TlsOptions::setPrivateKey(const QSslKey &key) { d->privateKey = key; }
QList<QSslError::SslError> TlsOptions::ignoredErrors() const { return d->ignoredErrors; }
void TlsOptions::setIgnoredErrors(const QList<QSslError::SslError> &errors) { d->ignoredErrors = errors; }
bool TlsOptions::verifyPeer() const { return d->verifyPeer; }
void TlsOptions::setVerifyPeer(bool verify) { d->verifyPeer = verify; }

bool operator==(const TlsOptions &a, const TlsOptions &b)
{
    const TlsOptionsData &x = *a.d;
    const TlsOptionsData &y = *b.d;
    return x.sslConfiguration == y.sslConfiguration && x.caCertificates == y.caCertificates
        && x.useSystemCaCertificates == y.useSystemCaCertificates && x.minimumProtocol == y.minimumProtocol
        && x.pinnedPublicKeys == y.pinnedPublicKeys && x.localCertificate == y.localCertificate
        && x.privateKey == y.privateKey && x.ignoredErrors == y.ignoredErrors && x.verifyPeer == y.verifyPeer;
}

QDebug operator<<(QDebug debug, const TlsOptions &options)
{
    QDebugStateSaver saver(debug);
    debug.nospace().noquote() << "Tether::TlsOptions(";
    QStringList cas;
    for (const QSslCertificate &ca : options.caCertificates())
        cas << ca.subjectDisplayName();
    debug << "caCertificates=[" << cas.join(QStringLiteral(", ")) << ']'
          << ", useSystemCaCertificates=" << options.useSystemCaCertificates()
          << ", minimumProtocol=" << int(options.minimumProtocol())
          << ", pinnedPublicKeys=[" << options.pinnedPublicKeys().join(QStringLiteral(", ")) << ']';
    if (!options.localCertificate().isNull())
        debug << ", localCertificate=" << options.localCertificate().subjectDisplayName();
    // The key is a secret: only whether there is one.
    debug << ", privateKey=" << (options.privateKey().isNull() ? "none" : "<set>");
    QStringList ignored;
    const QMetaEnum errorEnum = QMetaEnum::fromType<QSslError::SslError>();
    for (QSslError::SslError error : options.ignoredErrors())
        ignored << QString::fromLatin1(errorEnum.valueToKey(error));
    debug << ", ignoredErrors=[" << ignored.join(QStringLiteral(", ")) << ']';
    if (Tls::verificationDisabled(options))
        debug << ", verifyPeer=false";
    debug << ')';
    return debug;
}

namespace Tls {

namespace {

constexpr qsizetype kSha256Size = 32;

std::optional<QByteArray> decodePin(QString pin)
{
    pin = pin.trimmed();
    if (pin.startsWith(QLatin1StringView("sha256/")))
        pin = pin.mid(7);
    const auto decoded = QByteArray::fromBase64Encoding(pin.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != kSha256Size)
        return std::nullopt;
    return decoded.decoded;
}

// How new the oldest version a protocol value allows is: 13, 12, or 0 for anything older
// or unknown (the deprecated TLS 1.0/1.1 values are not named here on purpose).
int oldestVersion(QSsl::SslProtocol protocol)
{
    switch (protocol) {
    case QSsl::TlsV1_3:
    case QSsl::TlsV1_3OrLater:
        return 13;
    case QSsl::TlsV1_2:
    case QSsl::TlsV1_2OrLater:
        return 12;
    default:
        return 0;
    }
}

} // namespace

QString validate(const TlsOptions &options)
{
    for (const QString &pin : options.pinnedPublicKeys()) {
        if (!decodePin(pin))
            return QStringLiteral("TlsOptions pin '%1' is not the base64 of a SHA-256 digest (32 bytes)").arg(pin);
    }
    if (options.minimumProtocol() != QSsl::TlsV1_2OrLater && options.minimumProtocol() != QSsl::TlsV1_3OrLater)
        return QStringLiteral("TlsOptions::minimumProtocol must be QSsl::TlsV1_2OrLater or QSsl::TlsV1_3OrLater");
    if (options.localCertificate().isNull() != options.privateKey().isNull())
        return QStringLiteral("TlsOptions: a client certificate needs its private key (and the key its certificate)");
    return {};
}

QSslConfiguration socketConfiguration(const TlsOptions &options)
{
    QSslConfiguration ssl = options.sslConfiguration();
    if (!options.useSystemCaCertificates())
        ssl.setCaCertificates(options.caCertificates());
    else if (!options.caCertificates().isEmpty())
        ssl.addCaCertificates(options.caCertificates());
    if (oldestVersion(ssl.protocol()) < oldestVersion(options.minimumProtocol()))
        ssl.setProtocol(options.minimumProtocol());
    if (!options.localCertificate().isNull()) {
        ssl.setLocalCertificate(options.localCertificate());
        ssl.setPrivateKey(options.privateKey());
    }
    ssl.setPeerVerifyMode(verificationDisabled(options) ? QSslSocket::VerifyNone : QSslSocket::VerifyPeer);
    return ssl;
}

bool verificationDisabled(const TlsOptions &options)
{
    return !TlsOptionsData::verifyPeerOf(options);
}

QByteArray publicKeySha256(const QSslCertificate &certificate)
{
    // QSslKey::toDer() of a public key is its SubjectPublicKeyInfo (PEM "PUBLIC KEY").
    return QCryptographicHash::hash(certificate.publicKey().toDer(), QCryptographicHash::Sha256);
}

bool chainMatchesPins(const QList<QSslCertificate> &chain, const TlsOptions &options)
{
    const QStringList pins = options.pinnedPublicKeys();
    if (pins.isEmpty())
        return true;
    for (const QSslCertificate &certificate : chain) {
        const QByteArray digest = publicKeySha256(certificate);
        for (const QString &pin : pins) {
            if (decodePin(pin) == digest)
                return true;
        }
    }
    return false;
}

QList<QSslError> unacceptedErrors(const QList<QSslError> &errors, const TlsOptions &options)
{
    QList<QSslError> out;
    const QList<QSslError::SslError> ignored = options.ignoredErrors();
    for (const QSslError &error : errors) {
        if (!ignored.contains(error.error()))
            out << error;
    }
    return out;
}

} // namespace Tls

} // namespace Tether
