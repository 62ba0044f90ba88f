// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Peers for tst_client_tls that tether-server cannot play: an `openssl s_server` (a TLS
// 1.1-only server, or a TLS server that shows what the client sent after the handshake)
// and an HTTP CONNECT proxy that counts the tunnels it opened.
#pragma once

#include <QtCore/QObject>
#include <QtCore/QProcess>
#include <QtCore/QStringList>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <memory>

namespace Tether::Testing {

// `openssl s_server` on 127.0.0.1 with a free port. It prints what the client sends after
// the handshake (output()). Stopped (killed) with the object.
class OpenSslServer
{
public:
    OpenSslServer() = default;
    ~OpenSslServer();
    OpenSslServer(const OpenSslServer &) = delete;
    OpenSslServer &operator=(const OpenSslServer &) = delete;

    // Extra s_server arguments (e.g. -tls1_1). `legacyConfig`: OPENSSL_CONF=/dev/null and
    // security level 0, so the server may speak TLS 1.1 at all. False (errorString()) when
    // it does not print its ACCEPT line in time.
    bool start(const QString &cert, const QString &key, const QStringList &extraArgs, bool legacyConfig);
    quint16 port() const { return m_port; }
    QByteArray output();  // everything it printed so far
    QString errorString() const { return m_error; }

private:
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
    QString m_error;
};

// A minimal HTTP CONNECT proxy on 127.0.0.1 (what QNetworkProxy::HttpProxy speaks for a
// raw socket): each CONNECT opens a tunnel to its target and is counted.
class ConnectProxy : public QObject
{
public:
    ConnectProxy();
    ~ConnectProxy() override;
    bool start();
    quint16 port() const { return m_server.serverPort(); }
    int tunnels() const { return m_tunnels; }
    QStringList targets() const { return m_targets; }  // "host:port" of each CONNECT

private:
    void onNewConnection();
    QTcpServer m_server;
    int m_tunnels = 0;
    QStringList m_targets;
};

} // namespace Tether::Testing
