// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Grouped option properties: see qmloptions.h. Defaults are read from the C++ structs so
// the two can never disagree.
#include "qmloptions.h"

#include <QtCore/QUrl>

namespace Tether::Qml {
namespace {

int ms(std::chrono::milliseconds d) { return int(d.count()); }

} // namespace

BackoffGroup::BackoffGroup(QObject *parent)
    : QObject(parent)
{
    const BackoffOptions d;
    initialDelay = ms(d.initialDelay);
    multiplier = d.multiplier;
    maxDelay = ms(d.maxDelay);
    jitter = d.jitter;
    maxAttempts = d.maxAttempts;
    initialJitter = ms(d.initialJitter);
    stablePeriod = ms(d.stablePeriod);
}

void BackoffGroup::applyTo(BackoffOptions &o) const
{
    o.initialDelay = std::chrono::milliseconds(initialDelay);
    o.multiplier = multiplier;
    o.maxDelay = std::chrono::milliseconds(maxDelay);
    o.jitter = jitter;
    o.maxAttempts = maxAttempts;
    o.initialJitter = std::chrono::milliseconds(initialJitter);
    o.stablePeriod = std::chrono::milliseconds(stablePeriod);
}

HeartbeatGroup::HeartbeatGroup(QObject *parent)
    : QObject(parent)
{
    const HeartbeatOptions d;
    interval = ms(d.interval);
    timeout = ms(d.timeout);
    probeTimeout = ms(d.probeTimeout);
}

void HeartbeatGroup::applyTo(HeartbeatOptions &o) const
{
    o.interval = std::chrono::milliseconds(interval);
    o.timeout = std::chrono::milliseconds(timeout);
    o.probeTimeout = std::chrono::milliseconds(probeTimeout);
}

QueueGroup::QueueGroup(QObject *parent)
    : QObject(parent)
{
    const QueueOptions d;
    maxMessages = d.maxMessages;
    maxBytes = double(d.maxBytes);
    overflow = d.overflow;
    maxInFlight = d.maxInFlight;
    keepOnClose = d.keepOnClose;
}

void QueueGroup::applyTo(QueueOptions &o) const
{
    o.maxMessages = maxMessages;
    o.maxBytes = qint64(maxBytes);
    o.overflow = overflow;
    o.maxInFlight = maxInFlight;
    o.keepOnClose = keepOnClose;
}

TlsGroup::TlsGroup(QObject *parent)
    : QObject(parent)
{
    const TlsOptions d;
    useSystemCaCertificates = d.useSystemCaCertificates();
    verifyPeer = true;
}

bool TlsGroup::applyTo(TlsOptions &o, QString *failure) const
{
    QList<QSslCertificate> cas;
    for (const QString &file : caCertificateFiles) {
        const QUrl url(file);
        const QString path = url.isLocalFile() ? url.toLocalFile() : file;
        const QList<QSslCertificate> certificates = QSslCertificate::fromPath(path);
        if (certificates.isEmpty()) {
            *failure = QStringLiteral("no PEM certificate could be read from %1").arg(path);
            return false;
        }
        cas += certificates;
    }
    o.setCaCertificates(cas);
    o.setUseSystemCaCertificates(useSystemCaCertificates);
    o.setPinnedPublicKeys(pinnedPublicKeys);
    QT_WARNING_PUSH
    QT_WARNING_DISABLE_DEPRECATED
    o.setVerifyPeer(verifyPeer);  // ### Tether 2: goes with TlsOptions::setVerifyPeer()
    QT_WARNING_POP
    return true;
}

} // namespace Tether::Qml
