// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Grouped properties of the QML Client: `backoff { ... }`, `heartbeat { ... }`,
// `queue { ... }`, `tls { ... }`. Each mirrors one struct of <Tether/options.h> with the
// same names and defaults (durations in milliseconds); Client turns them into a
// Tether::ClientOptions and applies it whenever one of them changes.
#pragma once

#include "qmlglobal.h"

#include <Tether/options.h>

#include <QtCore/QObject>
#include <QtCore/QStringList>
#include <QtQml/qqmlregistration.h>

namespace Tether::Qml {

class TETHER_QML_EXPORT BackoffGroup : public QObject
{
    Q_OBJECT
    QML_ANONYMOUS
    Q_PROPERTY(int initialDelay MEMBER initialDelay NOTIFY changed)
    Q_PROPERTY(double multiplier MEMBER multiplier NOTIFY changed)
    Q_PROPERTY(int maxDelay MEMBER maxDelay NOTIFY changed)
    // Tether.JitterMode.Full (default), .Equal or .None. Unqualified: see qmlclient.h.
    Q_PROPERTY(JitterMode jitter MEMBER jitter NOTIFY changed)
    Q_PROPERTY(int maxAttempts MEMBER maxAttempts NOTIFY changed)
    Q_PROPERTY(int initialJitter MEMBER initialJitter NOTIFY changed)
    Q_PROPERTY(int stablePeriod MEMBER stablePeriod NOTIFY changed)

public:
    explicit BackoffGroup(QObject *parent = nullptr);
    void applyTo(BackoffOptions &options) const;

    int initialDelay;
    double multiplier;
    int maxDelay;
    JitterMode jitter;
    int maxAttempts;
    int initialJitter;
    int stablePeriod;

Q_SIGNALS:
    void changed();
};

class TETHER_QML_EXPORT HeartbeatGroup : public QObject
{
    Q_OBJECT
    QML_ANONYMOUS
    Q_PROPERTY(int interval MEMBER interval NOTIFY changed)
    Q_PROPERTY(int timeout MEMBER timeout NOTIFY changed)
    Q_PROPERTY(int probeTimeout MEMBER probeTimeout NOTIFY changed)

public:
    explicit HeartbeatGroup(QObject *parent = nullptr);
    void applyTo(HeartbeatOptions &options) const;

    int interval;
    int timeout;
    int probeTimeout;

Q_SIGNALS:
    void changed();
};

class TETHER_QML_EXPORT QueueGroup : public QObject
{
    Q_OBJECT
    QML_ANONYMOUS
    Q_PROPERTY(int maxMessages MEMBER maxMessages NOTIFY changed)
    Q_PROPERTY(double maxBytes MEMBER maxBytes NOTIFY changed)
    // Tether.OverflowPolicy.RejectNew (default) or .DropOldest.
    Q_PROPERTY(OverflowPolicy overflow MEMBER overflow NOTIFY changed)
    Q_PROPERTY(int maxInFlight MEMBER maxInFlight NOTIFY changed)
    Q_PROPERTY(bool keepOnClose MEMBER keepOnClose NOTIFY changed)

public:
    explicit QueueGroup(QObject *parent = nullptr);
    void applyTo(QueueOptions &options) const;

    int maxMessages;
    double maxBytes;  // a JS number: exact up to 2^53
    OverflowPolicy overflow;
    int maxInFlight;
    bool keepOnClose;

Q_SIGNALS:
    void changed();
};

class TETHER_QML_EXPORT TlsGroup : public QObject
{
    Q_OBJECT
    QML_ANONYMOUS
    // PEM files of extra CAs to trust (local paths or file: URLs).
    Q_PROPERTY(QStringList caCertificateFiles MEMBER caCertificateFiles NOTIFY changed)
    Q_PROPERTY(bool useSystemCaCertificates MEMBER useSystemCaCertificates NOTIFY changed)
    Q_PROPERTY(bool verifyPeer MEMBER verifyPeer NOTIFY changed)
    // Base64 SHA-256 pins of the server's public keys (TlsOptions::pinnedPublicKeys).
    Q_PROPERTY(QStringList pinnedPublicKeys MEMBER pinnedPublicKeys NOTIFY changed)

public:
    explicit TlsGroup(QObject *parent = nullptr);
    // False (with `failure` set) when a certificate file cannot be read.
    bool applyTo(TlsOptions &options, QString *failure) const;

    QStringList caCertificateFiles;
    bool useSystemCaCertificates;
    bool verifyPeer;
    QStringList pinnedPublicKeys;

Q_SIGNALS:
    void changed();
};

} // namespace Tether::Qml
