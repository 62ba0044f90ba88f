// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// FaultProxy: an in-process TCP proxy that injects network faults on command.
//
// It listens on 127.0.0.1 and forwards every accepted connection to a target (the server
// under test). It runs in the caller's thread and event loop, like the code under test, so
// a test says `proxy.cut()` and the very next event the client sees is the reset.
//
// Faults:
//   cut()            RST now: both sides of every current connection are aborted.
//   closeAll()       clean close: what is in flight is flushed, then FIN both ways.
//   setDelay()       each direction delayed by a fixed latency (order kept).
//   setBandwidth()   each direction throttled to N bytes/s (token bucket, 50 ms burst).
//   setBlackhole()   half-open link: current connections (and new ones accepted while it is
//                    on) stay open but pass nothing, not even a close. A blackholed
//                    connection never recovers (bytes were lost mid-stream): turning the
//                    blackhole off only lets new connections through.
//   setRefuseNewConnections()  the listening socket is closed: connects get ECONNREFUSED
//                    until it is turned off (then it listens again on the same port).
// Counters: connections accepted since start(), connections currently open, bytes received
// and forwarded per direction.
//
// When the target refuses (server down), the accepted client connection is reset, which is
// what a client would see from a real server that went away.
#pragma once

#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QUrl>
#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpServer>

namespace Tether::Testing {

class FaultProxy : public QObject
{
    Q_OBJECT
public:
    enum class Direction { ClientToServer, ServerToClient, Both };
    Q_ENUM(Direction)

    explicit FaultProxy(QObject *parent = nullptr);
    ~FaultProxy() override;  // aborts every connection

    // Listens on 127.0.0.1:listenPort (0 = a free port) and forwards to target. False when
    // it cannot listen (errorString()).
    bool start(const QString &targetHost, quint16 targetPort, quint16 listenPort = 0);
    // New connections go to this target from now on (e.g. a server restarted elsewhere).
    void setTarget(const QString &targetHost, quint16 targetPort);
    quint16 port() const { return m_port; }
    // ws://127.0.0.1:port<path>
    QUrl url(const QString &path = QStringLiteral("/")) const;
    QString errorString() const { return m_error; }

    // One-shot faults on the connections open now.
    void cut();
    void closeAll();

    // Link properties: apply to current and future connections until changed.
    void setDelay(Direction direction, int ms);
    void setBandwidth(Direction direction, qint64 bytesPerSecond);  // 0 = unlimited
    void setBlackhole(bool on);
    bool setRefuseNewConnections(bool refuse);  // false if it cannot listen again
    // Back to a transparent proxy: no delay, no throttle, no blackhole, accepting.
    // (Connections already blackholed stay so.)
    void clearFaults();

    int connectionsAccepted() const { return m_accepted; }
    int connectionsOpen() const { return int(m_links.size()); }
    // Bytes read from the sending side / written to the receiving side (the difference is
    // what is held in the proxy or was lost to a blackhole).
    qint64 bytesReceived(Direction direction) const;
    qint64 bytesForwarded(Direction direction) const;

Q_SIGNALS:
    void connectionAccepted();

private:
    class Link;
    struct Pipe;
    friend class Link;

    void acceptPending();
    void linkFinished(Link *link);

    QTcpServer m_server;
    QString m_targetHost;
    quint16 m_targetPort = 0;
    quint16 m_port = 0;
    QString m_error;
    int m_delayMs[2] = {0, 0};
    qint64 m_bandwidth[2] = {0, 0};
    bool m_blackhole = false;
    int m_accepted = 0;
    qint64 m_received[2] = {0, 0};
    qint64 m_forwarded[2] = {0, 0};
    QList<Link *> m_links;
};

} // namespace Tether::Testing
