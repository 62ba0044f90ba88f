// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "fault_proxy.h"

#include <QtCore/QTimer>
#include <QtNetwork/QTcpSocket>

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>

namespace Tether::Testing {

namespace {
using Clock = std::chrono::steady_clock;

constexpr int kUp = 0;    // client -> server
constexpr int kDown = 1;  // server -> client

// Closing a socket whose SO_LINGER is {on, 0 s} makes the kernel send RST instead of FIN:
// the peer sees "connection reset", exactly what a crashed middlebox or a lost route gives.
void resetHard(QTcpSocket *socket)
{
    const qintptr fd = socket->socketDescriptor();
    if (fd != -1) {
        const linger hard{1, 0};
        ::setsockopt(int(fd), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    socket->abort();
}

bool affects(FaultProxy::Direction direction, int dir)
{
    return direction == FaultProxy::Direction::Both
        || (dir == kUp && direction == FaultProxy::Direction::ClientToServer)
        || (dir == kDown && direction == FaultProxy::Direction::ServerToClient);
}
} // namespace

// One direction of one connection: a queue of chunks, each released at its due time and
// at most as fast as the bandwidth allows.
struct FaultProxy::Pipe {
    struct Chunk {
        Clock::time_point due;
        QByteArray bytes;
        bool eof = false;  // the source closed: close the destination after the bytes before
    };
    std::deque<Chunk> queue;
    double tokens = -1;  // < 0: bucket not initialised yet
    Clock::time_point refilledAt;
    QTimer timer;
};

// One proxied connection: the accepted client socket and its upstream socket.
class FaultProxy::Link : public QObject
{
public:
    Link(FaultProxy *proxy, QTcpSocket *client, bool blackholed)
        : QObject(proxy), m_proxy(proxy), m_client(client), m_blackholed(blackholed)
    {
        m_client->setParent(this);
        m_client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        for (int dir : {kUp, kDown}) {
            m_pipes[dir].timer.setSingleShot(true);
            m_pipes[dir].timer.setTimerType(Qt::PreciseTimer);
            connect(&m_pipes[dir].timer, &QTimer::timeout, this, [this, dir] { pump(dir); });
        }
        connect(m_client, &QTcpSocket::readyRead, this, [this] { onReadable(kUp); });
        connect(m_client, &QTcpSocket::disconnected, this, [this] { onSourceClosed(kUp); });
        if (m_blackholed)
            return;  // a blackholed connection never reaches the server
        m_server = new QTcpSocket(this);
        connect(m_server, &QTcpSocket::connected, this, [this] {
            m_server->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            pump(kUp);
        });
        connect(m_server, &QTcpSocket::readyRead, this, [this] { onReadable(kDown); });
        connect(m_server, &QTcpSocket::disconnected, this, [this] { onSourceClosed(kDown); });
        connect(m_server, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
            if (!m_upstreamConnected && m_server->state() != QAbstractSocket::ConnectedState) {
                // The target refused or is unreachable: reset the client as a dead server would.
                resetHard(m_client);
                finish();
            }
        });
        connect(m_server, &QTcpSocket::connected, this, [this] { m_upstreamConnected = true; });
        m_server->connectToHost(m_proxy->m_targetHost, m_proxy->m_targetPort);
    }

    void cut()
    {
        resetHard(m_client);
        if (m_server)
            resetHard(m_server);
        finish();
    }

    void closeCleanly()
    {
        if (!m_blackholed) {
            for (int dir : {kUp, kDown}) {
                QTcpSocket *dest = destination(dir);
                for (const Pipe::Chunk &chunk : m_pipes[dir].queue)
                    if (!chunk.eof && dest->state() == QAbstractSocket::ConnectedState) {
                        dest->write(chunk.bytes);
                        m_proxy->m_forwarded[dir] += chunk.bytes.size();
                    }
                m_pipes[dir].queue.clear();
                m_pipes[dir].timer.stop();
            }
        }
        m_client->disconnectFromHost();
        if (m_server)
            m_server->disconnectFromHost();
        finishIfBothClosed();
    }

    void blackhole()
    {
        m_blackholed = true;
        for (Pipe &pipe : m_pipes) {
            pipe.queue.clear();
            pipe.timer.stop();
        }
    }

    // A changed bandwidth or delay applies to queued chunks at once.
    void kick()
    {
        pump(kUp);
        pump(kDown);
    }

private:
    QTcpSocket *destination(int dir) const { return dir == kUp ? m_server : m_client; }
    QTcpSocket *source(int dir) const { return dir == kUp ? m_client : m_server; }

    void onReadable(int dir)
    {
        QTcpSocket *src = source(dir);
        if (!src->isOpen())
            return;  // closed: everything it had was read on readyRead()
        const QByteArray bytes = src->readAll();
        m_proxy->m_received[dir] += bytes.size();
        if (m_blackholed || bytes.isEmpty())
            return;  // a half-open link: what is sent is lost
        m_pipes[dir].queue.push_back(
            {Clock::now() + std::chrono::milliseconds(m_proxy->m_delayMs[dir]), bytes, false});
        pump(dir);
    }

    void onSourceClosed(int dir)
    {
        onReadable(dir);  // bytes that arrived with the FIN
        if (!m_blackholed) {
            m_pipes[dir].queue.push_back(
                {Clock::now() + std::chrono::milliseconds(m_proxy->m_delayMs[dir]), {}, true});
            pump(dir);
        }
        finishIfBothClosed();
    }

    void pump(int dir)
    {
        Pipe &pipe = m_pipes[dir];
        QTcpSocket *dest = destination(dir);
        if (m_blackholed || !dest || dest->state() != QAbstractSocket::ConnectedState)
            return;  // upstream still connecting: pumped again on connected()
        const qint64 bandwidth = m_proxy->m_bandwidth[dir];
        while (!pipe.queue.empty()) {
            Pipe::Chunk &chunk = pipe.queue.front();
            const Clock::time_point now = Clock::now();
            if (chunk.due > now) {
                armTimer(pipe, chunk.due - now);
                return;
            }
            if (chunk.eof) {
                pipe.queue.clear();
                dest->disconnectFromHost();
                return;
            }
            qsizetype n = chunk.bytes.size();
            if (bandwidth > 0) {
                const double capacity = std::max(double(bandwidth) / 20.0, 1.0);  // 50 ms burst
                if (pipe.tokens < 0) {
                    pipe.tokens = capacity;
                } else {
                    const double elapsed =
                        std::chrono::duration<double>(now - pipe.refilledAt).count();
                    pipe.tokens = std::min(capacity, pipe.tokens + elapsed * double(bandwidth));
                }
                pipe.refilledAt = now;
                if (pipe.tokens < 1.0) {
                    const double wait = (1.0 - pipe.tokens) / double(bandwidth);
                    armTimer(pipe, std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(wait)));
                    return;
                }
                n = std::min(n, qsizetype(std::floor(pipe.tokens)));
                pipe.tokens -= double(n);
            }
            dest->write(chunk.bytes.constData(), n);
            m_proxy->m_forwarded[dir] += n;
            if (n == chunk.bytes.size())
                pipe.queue.pop_front();
            else
                chunk.bytes.remove(0, n);
        }
    }

    static void armTimer(Pipe &pipe, Clock::duration wait)
    {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
        pipe.timer.start(int(std::max<qint64>(ms, 1)));
    }

    void finishIfBothClosed()
    {
        const bool clientClosed = m_client->state() == QAbstractSocket::UnconnectedState;
        const bool serverClosed = !m_server || m_server->state() == QAbstractSocket::UnconnectedState;
        if (clientClosed && serverClosed)
            finish();
    }

    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        for (Pipe &pipe : m_pipes)
            pipe.timer.stop();
        m_proxy->linkFinished(this);
    }

    FaultProxy *m_proxy;
    QTcpSocket *m_client;
    QTcpSocket *m_server = nullptr;
    Pipe m_pipes[2];
    bool m_blackholed;
    bool m_upstreamConnected = false;
    bool m_finished = false;
};

FaultProxy::FaultProxy(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &FaultProxy::acceptPending);
}

FaultProxy::~FaultProxy()
{
    const QList<Link *> links = m_links;
    for (Link *link : links)
        link->cut();
}

bool FaultProxy::start(const QString &targetHost, quint16 targetPort, quint16 listenPort)
{
    setTarget(targetHost, targetPort);
    // Qt's default backlog (50) drops the SYNs of a burst of connects (the client's kernel
    // resends them 1 s later); a server's is usually far longer (somaxconn, 4096 here).
    m_server.setListenBacklogSize(4096);
    if (!m_server.listen(QHostAddress::LocalHost, listenPort)) {
        m_error = m_server.errorString();
        return false;
    }
    m_port = m_server.serverPort();
    return true;
}

void FaultProxy::setTarget(const QString &targetHost, quint16 targetPort)
{
    m_targetHost = targetHost;
    m_targetPort = targetPort;
}

QUrl FaultProxy::url(const QString &path) const
{
    return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(m_port).arg(path));
}

void FaultProxy::acceptPending()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        ++m_accepted;
        m_links.append(new Link(this, client, m_blackhole));
        Q_EMIT connectionAccepted();
    }
}

void FaultProxy::linkFinished(Link *link)
{
    m_links.removeOne(link);
    link->deleteLater();
}

void FaultProxy::cut()
{
    const QList<Link *> links = m_links;
    for (Link *link : links)
        link->cut();
}

void FaultProxy::closeAll()
{
    const QList<Link *> links = m_links;
    for (Link *link : links)
        link->closeCleanly();
}

void FaultProxy::setDelay(Direction direction, int ms)
{
    for (int dir : {kUp, kDown})
        if (affects(direction, dir))
            m_delayMs[dir] = std::max(ms, 0);
}

void FaultProxy::setBandwidth(Direction direction, qint64 bytesPerSecond)
{
    for (int dir : {kUp, kDown})
        if (affects(direction, dir))
            m_bandwidth[dir] = std::max<qint64>(bytesPerSecond, 0);
    for (Link *link : std::as_const(m_links))
        link->kick();
}

void FaultProxy::setBlackhole(bool on)
{
    m_blackhole = on;
    if (on)
        for (Link *link : std::as_const(m_links))
            link->blackhole();
}

bool FaultProxy::setRefuseNewConnections(bool refuse)
{
    if (refuse) {
        m_server.close();
        return true;
    }
    if (m_server.isListening())
        return true;
    if (!m_server.listen(QHostAddress::LocalHost, m_port)) {
        m_error = m_server.errorString();
        return false;
    }
    return true;
}

void FaultProxy::clearFaults()
{
    setDelay(Direction::Both, 0);
    setBandwidth(Direction::Both, 0);
    setBlackhole(false);
    setRefuseNewConnections(false);
}

qint64 FaultProxy::bytesForwarded(Direction direction) const
{
    qint64 total = 0;
    for (int dir : {kUp, kDown})
        if (affects(direction, dir))
            total += m_forwarded[dir];
    return total;
}

qint64 FaultProxy::bytesReceived(Direction direction) const
{
    qint64 total = 0;
    for (int dir : {kUp, kDown})
        if (affects(direction, dir))
            total += m_received[dir];
    return total;
}

} // namespace Tether::Testing
