// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// PlatformWatch: see platformwatch_p.h.
#include "platformwatch_p.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QPointer>
#include <QtGui/QGuiApplication>

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

} // namespace Tether::Qml
