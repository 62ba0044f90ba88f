// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// PlatformWatch: the app's lifecycle and the network's reachability, for every Client of
// the process. Not public API.
//
// One instance per process (created on first use, parented to the application object).
// It listens to QGuiApplication::applicationStateChanged and, when a QNetworkInformation
// backend loads (NetworkManager on Linux, the OS APIs on Android/iOS/macOS/Windows), to its
// reachability and transport-medium changes, and re-emits them as two plain signals the
// QML Client forwards to Tether::Client::notifyAppStateChanged()/notifyNetworkChanged().
// No backend (a container, a minimal Linux) is not an error: networkChanged() simply never
// fires and reachable() stays true — the client's heartbeats and backoff still work.
#pragma once

#include <QtCore/QObject>
#include <QtCore/QString>

namespace Tether::Qml {

class PlatformWatch : public QObject
{
    Q_OBJECT

public:
    static PlatformWatch *instance();

    Qt::ApplicationState applicationState() const { return m_appState; }
    // The QNetworkInformation backend in use, empty when none could be loaded.
    QString networkBackend() const { return m_backend; }
    // False only when a backend says the network is Disconnected.
    bool reachable() const { return m_reachable; }

Q_SIGNALS:
    void applicationStateChanged(Qt::ApplicationState state);
    // Reachability or transport medium changed (Wi-Fi <-> cellular, link up/down).
    void networkChanged();
    void reachableChanged(bool reachable);

private:
    explicit PlatformWatch(QObject *parent);
    void watchApplication();
    void watchNetwork();

    Qt::ApplicationState m_appState = Qt::ApplicationActive;
    QString m_backend;
    bool m_reachable = true;
};

} // namespace Tether::Qml
