// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// PlatformWatch: the app's lifecycle, for every QML Client of the process. Not public API.
//
// One instance per process (created on first use, parented to the application object).
// It listens to QGuiApplication::applicationStateChanged (QtGui, so not in the SDK) and
// re-emits it for the QML Clients, which forward it to Tether::Client::notifyAppStateChanged().
// The network half is the SDK's own watcher (Client::setFollowNetwork()).
#pragma once

#include <QtCore/QObject>

namespace Tether::Qml {

class PlatformWatch : public QObject
{
    Q_OBJECT

public:
    static PlatformWatch *instance();

    Qt::ApplicationState applicationState() const { return m_appState; }

Q_SIGNALS:
    void applicationStateChanged(Qt::ApplicationState state);

private:
    explicit PlatformWatch(QObject *parent);

    Qt::ApplicationState m_appState = Qt::ApplicationActive;
};

} // namespace Tether::Qml
