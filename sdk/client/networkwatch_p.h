// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// NetworkWatch: the network's reachability and transport medium, for every Client of the
// process that follows it (Client::setFollowNetwork()). Not public API.
//
// One instance per process, created on first use and parented to the application object.
// It loads QNetworkInformation's default backend (NetworkManager on Linux, the OS APIs on
// Android/iOS/macOS/Windows) and turns its signals into two plain ones the Clients follow.
// No backend is not an error: networkChanged() simply never fires and reachable() stays
// true. Tests drive it through report*() (client_testing_p.h), as the backend would.
#pragma once

#include "autotest_p.h"

#include <QtCore/QObject>
#include <QtCore/QString>
#include <QtNetwork/QNetworkInformation>

namespace Tether {

class NetworkWatch : public QObject
{
    Q_OBJECT

public:
    // The process's watcher; nullptr before a QCoreApplication exists.
    static NetworkWatch *instance();

    // The QNetworkInformation backend in use, empty when none could be loaded.
    QString backend() const { return m_backend; }
    // False only while the backend says the network is Disconnected.
    bool reachable() const { return m_reachable; }

    // What the backend reported (connected to QNetworkInformation; the tests' entry too).
    void reportReachability(QNetworkInformation::Reachability reachability);
    void reportTransportMediumChange();

Q_SIGNALS:
    // Reachability or transport medium changed: worth probing the link or retrying now.
    void networkChanged();
    // reachable() changed; comes before the networkChanged() of the same report.
    void reachableChanged(bool reachable);

private:
    explicit NetworkWatch(QObject *parent);

    QString m_backend;
    bool m_reachable = true;
};

} // namespace Tether
