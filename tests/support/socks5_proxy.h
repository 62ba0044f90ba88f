// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// A minimal SOCKS5 proxy (RFC 1928) on 127.0.0.1, for the client's proxy option
// (QNetworkProxy::Socks5Proxy): CONNECT only, IPv4, IPv6 and domain targets, no
// authentication or, when credentials are set, username/password (RFC 1929) only. Every
// tunnel and every refused login is counted, so a test proves the connection went through
// it. Hand-written: no new dependency, and a bad reply is ours to make when a test needs it.
#pragma once

#include <QtCore/QObject>
#include <QtCore/QStringList>
#include <QtNetwork/QTcpServer>

namespace Tether::Testing {

class Socks5Proxy : public QObject
{
public:
    Socks5Proxy();
    ~Socks5Proxy() override;

    // Empty user: no authentication (method 0). Else only method 2 with these credentials.
    void requireCredentials(const QString &user, const QString &password);
    bool start();
    quint16 port() const { return m_server.serverPort(); }

    int tunnels() const { return m_tunnels; }             // CONNECTs answered "succeeded"
    QStringList targets() const { return m_targets; }     // "host:port" of each CONNECT
    int refusedLogins() const { return m_refusedLogins; } // wrong credentials or no method 2

private:
    class Session;
    void onNewConnection();

    QTcpServer m_server;
    QByteArray m_user;
    QByteArray m_password;
    int m_tunnels = 0;
    QStringList m_targets;
    int m_refusedLogins = 0;
};

} // namespace Tether::Testing
