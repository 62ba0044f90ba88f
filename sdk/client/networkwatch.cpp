// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// NetworkWatch: see networkwatch_p.h.
#include "networkwatch_p.h"

#include "logging_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QPointer>

namespace Tether {

NetworkWatch *NetworkWatch::instance()
{
    // Lives as long as the application object; made again if a test makes a new one.
    static QPointer<NetworkWatch> watch;
    if (!watch && QCoreApplication::instance())
        watch = new NetworkWatch(QCoreApplication::instance());
    return watch;
}

NetworkWatch::NetworkWatch(QObject *parent)
    : QObject(parent)
{
    if (!QNetworkInformation::instance() && !QNetworkInformation::loadDefaultBackend()) {
        qCDebug(lcClient) << "no QNetworkInformation backend: network changes are not watched";
        return;
    }
    QNetworkInformation *info = QNetworkInformation::instance();
    m_backend = info->backendName();
    m_reachable = info->reachability() != QNetworkInformation::Reachability::Disconnected;
    qCDebug(lcClient) << "network backend" << m_backend << "reachability" << info->reachability();
    connect(info, &QNetworkInformation::reachabilityChanged, this, &NetworkWatch::reportReachability);
    connect(info, &QNetworkInformation::transportMediumChanged, this,
            &NetworkWatch::reportTransportMediumChange);
}

void NetworkWatch::reportReachability(QNetworkInformation::Reachability reachability)
{
    const bool reachable = reachability != QNetworkInformation::Reachability::Disconnected;
    qCDebug(lcClient) << "network reachability" << reachability;
    if (reachable != m_reachable) {
        m_reachable = reachable;
        Q_EMIT reachableChanged(reachable);
    }
    Q_EMIT networkChanged();
}

void NetworkWatch::reportTransportMediumChange()
{
    qCDebug(lcClient) << "network transport medium changed";
    Q_EMIT networkChanged();
}

} // namespace Tether
