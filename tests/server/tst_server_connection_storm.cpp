// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// 10 000 connections opening and dropping (issue 5 bad-input suite) while a client that
// behaves keeps being served.
//
// The storm comes in waves of 1 000 raw TCP sockets (POSIX, non-blocking, so ten thousand
// of them do not need ten thousand QObjects). Each socket meets one of three fates, by
// index: reset right after connecting, reset after sending the upgrade request, or reset
// after the server answered 101. Between steps of every wave the canary client (a normal
// Tether session) must get its echo answered within a bounded time; after the storm the
// server must report its connections back to the canary alone (nothing leaked).
#include "conformance.h"

#include <QtCore/QElapsedTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

using namespace Conformance;

namespace {

constexpr int kTotal = 10000;
constexpr int kWave = 1000;
constexpr int kCanaryBoundMs = 2000;  // an echo must never take longer during the storm

enum class Fate { ResetAfterConnect, ResetAfterRequest, ResetAfterUpgrade };

struct StormSocket {
    int fd = -1;
    Fate fate = Fate::ResetAfterConnect;
    bool connected = false;
    bool requestSent = false;
    QByteArray answer;
};

void resetAndClose(int fd)
{
    const linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd);
}

// Polls every socket for `events` until `done(socket)` holds for all or the deadline passes;
// `step(socket, revents)` advances one. Returns how many are done.
template <typename Done, typename Step>
int pollAll(std::vector<StormSocket> &sockets, short events, int timeoutMs, Done done, Step step)
{
    QElapsedTimer clock;
    clock.start();
    std::vector<pollfd> fds;
    std::vector<StormSocket *> owners;
    for (;;) {
        fds.clear();
        owners.clear();
        for (StormSocket &s : sockets) {
            if (s.fd >= 0 && !done(s)) {
                fds.push_back({s.fd, events, 0});
                owners.push_back(&s);
            }
        }
        const qint64 left = timeoutMs - clock.elapsed();
        if (fds.empty() || left <= 0)
            break;
        if (::poll(fds.data(), fds.size(), int(std::min<qint64>(left, 100))) < 0 && errno != EINTR)
            break;
        for (std::size_t i = 0; i < fds.size(); ++i)
            if (fds[i].revents)
                step(*owners[i], fds[i].revents);
    }
    int n = 0;
    for (StormSocket &s : sockets)
        n += s.fd >= 0 && done(s);
    return n;
}

} // namespace

class tst_ServerConnectionStorm : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        // One wave needs ~1 000 descriptors here and as many in the server (which inherits
        // this limit); raise the soft limit to the hard one, as the benchmark scripts do.
        rlimit limit{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
        if (limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            QVERIFY(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
        }
        QVERIFY2(limit.rlim_cur >= rlim_t(kWave + 200),
                 qPrintable(QStringLiteral("RLIMIT_NOFILE %1 is too low for waves of %2")
                                .arg(qulonglong(limit.rlim_cur))
                                .arg(kWave)));
        START_SERVER(m_server);
        CHECK_OK(openSession(m_canary, m_server.url(), Codec::Json));
    }

    void tenThousandConnectionsOpenAndDrop()
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_server.port());
        QVERIFY(::inet_pton(AF_INET, m_server.host().toLatin1().constData(), &address.sin_addr) == 1);
        const QByteArray request = "GET / HTTP/1.1\r\nHost: storm\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tether.v1.json\r\n\r\n";
        qint64 worstCanaryMs = 0;
        int upgraded = 0;
        int expectedUpgrades = 0;
        QElapsedTimer total;
        total.start();
        auto canaryServed = [&](int n) {
            QElapsedTimer clock;
            clock.start();
            const QString why = expectResult(m_canary.request(QStringLiteral("echo"), QCborValue(n), kCanaryBoundMs));
            worstCanaryMs = std::max(worstCanaryMs, clock.elapsed());
            return why;
        };

        for (int wave = 0; wave < kTotal / kWave; ++wave) {
            std::vector<StormSocket> sockets(kWave);
            for (int i = 0; i < kWave; ++i) {
                StormSocket &s = sockets[std::size_t(i)];
                s.fate = Fate(i % 3);
                expectedUpgrades += s.fate == Fate::ResetAfterUpgrade;
                s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                QVERIFY2(s.fd >= 0, strerror(errno));
                const int rc = ::connect(s.fd, reinterpret_cast<const sockaddr *>(&address), sizeof address);
                QVERIFY2(rc == 0 || errno == EINPROGRESS, strerror(errno));
                s.connected = rc == 0;
            }
            // Connected (writable): reset the first fate at once, send the request otherwise.
            pollAll(sockets, POLLOUT, 5000, [](const StormSocket &s) { return s.connected; },
                    [](StormSocket &s, short) { s.connected = true; });
            for (StormSocket &s : sockets) {
                if (s.fate == Fate::ResetAfterConnect) {
                    resetAndClose(s.fd);
                    s.fd = -1;
                } else if (s.connected) {
                    s.requestSent = ::send(s.fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL)
                        == request.size();
                }
            }
            CHECK_OK(canaryServed(wave * 3));  // hundreds of handshakes are in flight now
            for (StormSocket &s : sockets) {
                if (s.fd >= 0 && s.fate == Fate::ResetAfterRequest) {
                    resetAndClose(s.fd);
                    s.fd = -1;
                }
            }
            upgraded += pollAll(
                sockets, POLLIN, 5000,
                [](const StormSocket &s) { return s.answer.contains("\r\n\r\n"); },
                [](StormSocket &s, short) {
                    char buffer[1024];
                    const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
                    if (n > 0)
                        s.answer.append(buffer, n);
                    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                        s.answer += "\r\n\r\n(closed)";
                });
            CHECK_OK(canaryServed(wave * 3 + 1));
            for (StormSocket &s : sockets) {
                if (s.fd >= 0) {
                    if (s.fate == Fate::ResetAfterUpgrade)
                        QVERIFY2(s.answer.startsWith("HTTP/1.1 101"), s.answer.left(100).constData());
                    resetAndClose(s.fd);
                    s.fd = -1;
                }
            }
            CHECK_OK(canaryServed(wave * 3 + 2));
        }
        const qint64 stormMs = total.elapsed();
        QVERIFY2(upgraded >= expectedUpgrades,
                 qPrintable(QStringLiteral("%1 of %2 upgrades answered").arg(upgraded).arg(expectedUpgrades)));

        // Every dropped connection is gone from the server's books: only the canary stays.
        quint64 connections = 0;
        const bool drained = waitUntil(
            [&] {
                const std::optional<QCborMap> res = m_canary.request(QStringLiteral("stats"));
                connections = res ? uintField(res->value(QLatin1StringView("d")).toMap(),
                                              QLatin1StringView("connections")).value_or(0)
                                  : 0;
                return connections == 1;
            },
            5000);
        QVERIFY2(drained, qPrintable(QStringLiteral("server still counts %1 connections").arg(connections)));
        QVERIFY(m_server.isRunning());
        qInfo("%d connections in %lld ms, worst canary echo %lld ms", kTotal, stormMs, worstCanaryMs);
    }

private:
    ServerProcess m_server;
    RawClient m_canary;
};

QTEST_GUILESS_MAIN(tst_ServerConnectionStorm)
#include "tst_server_connection_storm.moc"
