// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// PlatformWatch: see platformwatch_p.h.
#include "platformwatch_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QLoggingCategory>
#include <QtCore/QPointer>
#include <QtGui/QGuiApplication>
#include <QtNetwork/QNetworkInformation>

Q_LOGGING_CATEGORY(lcQmlPlatform, "tether.qml.platform", QtWarningMsg)

namespace Tether::Qml {

PlatformWatch *PlatformWatch::instance()
{
    // Lives as long as the application object; recreated if a test makes a new one.
    static QPointer<PlatformWatch> watch;
    if (!watch && QCoreApplication::instance())
        watch = new PlatformWatch(QCoreApplication::instance());
    return watch;
}

PlatformWatch::PlatformWatch(QObject *parent)
    : QObject(parent)
{
    watchApplication();
    watchNetwork();
}

void PlatformWatch::watchApplication()
{
    auto *app = qobject_cast<QGuiApplication *>(QCoreApplication::instance());
    if (!app)
        return;  // a QCoreApplication has no lifecycle to follow
    m_appState = QGuiApplication::applicationState();
    // The signal's argument, not applicationState(): the state is what the platform said.
    connect(app, &QGuiApplication::applicationStateChanged, this,
            [this](Qt::ApplicationState state) {
                if (state == m_appState)
                    return;
                m_appState = state;
                Q_EMIT applicationStateChanged(state);
            });
}

void PlatformWatch::watchNetwork()
{
    if (!QNetworkInformation::instance() && !QNetworkInformation::loadDefaultBackend()) {
        qCDebug(lcQmlPlatform) << "no QNetworkInformation backend: network changes are not watched";
        return;
    }
    QNetworkInformation *info = QNetworkInformation::instance();
    m_backend = info->backendName();
    m_reachable = info->reachability() != QNetworkInformation::Reachability::Disconnected;
    qCDebug(lcQmlPlatform) << "network backend" << m_backend << "reachability" << info->reachability();
    connect(info, &QNetworkInformation::reachabilityChanged, this,
            [this](QNetworkInformation::Reachability reachability) {
                const bool reachable = reachability != QNetworkInformation::Reachability::Disconnected;
                if (reachable != m_reachable) {
                    m_reachable = reachable;
                    Q_EMIT reachableChanged(reachable);
                }
                Q_EMIT networkChanged();
            });
    connect(info, &QNetworkInformation::transportMediumChanged, this,
            &PlatformWatch::networkChanged);
}

} // namespace Tether::Qml
