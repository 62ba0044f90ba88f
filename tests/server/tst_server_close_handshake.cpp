// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Conformance: every close the server starts follows RFC 6455 §7.1.1 — close frame sent,
// then input drained until the peer closes (or a short timeout), only then the TCP close —
// so the close code reaches a client that is still writing when the server decides to
// close. Closing the socket while unread input sits in it makes the kernel send a reset,
// and the client then loses the close frame it had not read yet (1006 instead of the code).
//
// Each case is tried kTries times in a row: a race that loses one time in two shows up.
#include "conformance.h"
#include "raw_tcp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Conformance;

namespace {

constexpr int kTries = 50;
constexpr int kMaxFrame = 65536;

// A client as most WebSocket libraries write: the whole frame goes out with blocking
// send()s, nothing is read until it has; then it reads, answers the close frame and waits
// for the end. What the server sent meanwhile waits in the kernel's receive buffer, which a
// reset from the server would discard.
class BlockingClient
{
public:
    ~BlockingClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    bool connectTo(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval timeout{5, 0};   // every blocking call is bounded
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        return ::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    }

    bool sendAll(const QByteArray &bytes)
    {
        for (qsizetype sent = 0; sent < bytes.size();) {
            const ssize_t n = ::send(m_fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            sent += n;
        }
        return true;
    }

    // Reads until the HTTP head has come; true on 101.
    bool readUpgradeResponse()
    {
        while (!m_buffer.contains("\r\n\r\n")) {
            if (!readSome())
                return false;
        }
        const qsizetype end = m_buffer.indexOf("\r\n\r\n") + 4;
        const bool switched = m_buffer.startsWith("HTTP/1.1 101");
        m_buffer.remove(0, end);
        return switched;
    }

    std::optional<WsWire::ServerFrame> readFrame()
    {
        for (;;) {
            if (auto frame = WsWire::takeServerFrame(m_buffer))
                return frame;
            if (!readSome())
                return std::nullopt;
        }
    }

    // The code of the server's close frame, 1006 when the connection ended or was reset
    // before one arrived.
    int readCloseCode()
    {
        while (const auto frame = readFrame()) {
            if (frame->opcode == WsWire::Close)
                return frame->closeCode();
        }
        return 1006;
    }

    // After the server's close: RFC 6455 §7.1.1 has the server wait for our close while
    // it drains what we still send. Writes `trailing` (frames the server must discard),
    // checks for `quietMs` that the server has not ended the connection, then sends our
    // close and expects an orderly end (EOF, not a reset). Empty on success, else why not.
    QString finishCloseHandshake(const QByteArray &trailing, int quietMs, int closeCode)
    {
        if (!sendAll(trailing))
            return QStringLiteral("the server reset the connection while we still wrote (errno %1)").arg(errno);
        pollfd watch{m_fd, POLLIN, 0};
        if (::poll(&watch, 1, quietMs) != 0) {
            char byte;
            const ssize_t n = ::recv(m_fd, &byte, 1, MSG_DONTWAIT);
            return n == 0 ? QStringLiteral("the server closed TCP before our close frame")
                          : QStringLiteral("unexpected input after the close (%1, errno %2)").arg(n).arg(errno);
        }
        if (!sendAll(WsWire::closeFrame(quint16(closeCode))))
            return QStringLiteral("cannot send our close (errno %1)").arg(errno);
        char chunk[256];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n != 0)
            return QStringLiteral("expected EOF after our close, got %1 (errno %2)").arg(n).arg(errno);
        return {};
    }

private:
    bool readSome()
    {
        char chunk[65536];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return false;
        m_buffer.append(chunk, n);
        return true;
    }

    int m_fd = -1;
    QByteArray m_buffer;
};

QByteArray helloBytes(Codec codec)
{
    return WsWire::clientFrame(codec == Codec::Cbor ? WsWire::Binary : WsWire::Text,
                               encodeFrame(helloFrame(), codec));
}

} // namespace

class tst_ServerCloseHandshake : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_server.setExtraArgs({QStringLiteral("--max-frame"), QString::number(kMaxFrame),
                               QStringLiteral("--rate"), QStringLiteral("100"),
                               QStringLiteral("--hello-timeout"), QStringLiteral("300")});
        START_SERVER(m_server);
    }

    // The client writes its whole burst at once and then reads: whatever the server decided
    // while the rest of the burst was still arriving, the close frame must reach the client.
    void closeCodeSurvivesUnreadInput_data()
    {
        QTest::addColumn<Codec>("codec");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("expected");
        for (Codec codec : {Codec::Json, Codec::Cbor}) {
            const char *name = codecName(codec);
            QTest::addRow("%s frame 4x max-frame in one write", name) << codec << QStringLiteral("oversize") << 1009;
            QTest::addRow("%s frame 40x max-frame in one write", name) << codec << QStringLiteral("oversize40") << 1009;
            QTest::addRow("%s oversize before hello", name) << codec << QStringLiteral("oversizeFirst") << 1009;
            QTest::addRow("%s bad frame then 1 MiB more", name) << codec << QStringLiteral("bad") << 4400;
            QTest::addRow("%s rate limit flood", name) << codec << QStringLiteral("flood") << 4029;
        }
    }
    void closeCodeSurvivesUnreadInput()
    {
        QFETCH(Codec, codec);
        QFETCH(QString, kind);
        QFETCH(int, expected);
        const quint8 dataOpcode = codec == Codec::Cbor ? WsWire::Binary : WsWire::Text;
        QByteArray burst;
        bool hello = true;
        if (kind.startsWith(QLatin1StringView("oversize"))) {
            const int size = kind == QLatin1StringView("oversize40") ? 40 * kMaxFrame : 4 * kMaxFrame;
            burst = WsWire::clientFrame(dataOpcode, QByteArray(size, 'x'));
            hello = kind != QLatin1StringView("oversizeFirst");
        } else if (kind == QLatin1StringView("bad")) {
            burst = WsWire::clientFrame(dataOpcode, "not a frame");
            const QByteArray filler = WsWire::clientFrame(dataOpcode, encodeFrame(msgFrame(std::nullopt, QCborValue(QString(4000, QLatin1Char('f')))), codec));
            while (burst.size() < (1 << 20))
                burst += filler;
        } else {
            const QByteArray tiny = WsWire::clientFrame(dataOpcode, encodeFrame(msgFrame(std::nullopt, QCborValue(1)), codec));
            while (burst.size() < (1 << 20))
                burst += tiny;
        }
        // After the close frame the client still sends a ping and 256 KiB of valid frames.
        QByteArray trailing = WsWire::clientFrame(WsWire::Ping, "still here");
        const QByteArray oneMsg = WsWire::clientFrame(dataOpcode, encodeFrame(msgFrame(std::nullopt, QCborValue(QString(1000, QLatin1Char('t')))), codec));
        while (trailing.size() < 256 * 1024)
            trailing += oneMsg;
        int failures = 0;
        QStringList seen;
        for (int i = 0; i < kTries; ++i) {
            BlockingClient client;
            QVERIFY(client.connectTo(m_server.port()));
            QVERIFY(client.sendAll(WsWire::upgradeRequest(QStringLiteral("%1:%2").arg(m_server.host()).arg(m_server.port()),
                                                          QStringLiteral("/"), {subprotocolName(codec)})));
            QVERIFY(client.readUpgradeResponse());
            if (hello) {
                QVERIFY(client.sendAll(helloBytes(codec)));
                QVERIFY(client.readFrame());
            }
            const bool sent = client.sendAll(burst);
            const int code = client.readCloseCode();
            QString why;
            if (!sent)   // the server must read (and drop) what follows its decision to close
                why = QStringLiteral("reset while the client wrote its burst (close %1)").arg(code);
            else if (code != expected)
                why = QStringLiteral("close %1").arg(code);
            else
                why = client.finishCloseHandshake(trailing, 20, code);
            if (!why.isEmpty()) {
                if (++failures <= 3)   // the first few reasons say enough
                    seen << why;
            }
        }
        QVERIFY2(failures == 0, qPrintable(QStringLiteral("%1 of %2 tries saw another code: %3")
                                               .arg(failures).arg(kTries).arg(seen.join(QStringLiteral(", ")))));
    }

    // Closes the server starts on a timer, while the client keeps writing: hello timeout.
    void helloTimeoutWhileWriting()
    {
        int failures = 0;
        QStringList seen;
        for (int i = 0; i < 10; ++i) {
            RawTcpClient raw;
            QVERIFY(raw.upgrade(m_server.host(), m_server.port(), QStringLiteral("/"),
                                {subprotocolName(Codec::Json)}, kDefaultWaitMs));
            // Pings are not hello: the deadline runs while the client keeps the socket busy.
            const QByteArray ping = WsWire::clientFrame(WsWire::Ping, QByteArray(100, 'p'));
            QElapsedTimer clock;
            clock.start();
            int code = -1;
            while (code == -1 && clock.elapsed() < kDefaultWaitMs) {
                raw.write(ping);
                code = raw.waitCloseCode(5);
            }
            if (code != 4400) {
                ++failures;
                seen << QString::number(code);
            }
        }
        QVERIFY2(failures == 0, qPrintable(seen.join(u' ')));
    }

    // The QWebSocket client, as an application would use it: one sendBinaryMessage larger
    // than the limit. kTries in a row must all see 1009.
    void qwebsocketOversize_data()
    {
        QTest::addColumn<int>("size");
        QTest::addRow("2x max-frame") << 2 * kMaxFrame;
        QTest::addRow("16x max-frame") << 16 * kMaxFrame;
        QTest::addRow("64x max-frame") << 64 * kMaxFrame;
    }
    void qwebsocketOversize()
    {
        QFETCH(int, size);
        int failures = 0;
        QStringList seen;
        for (int i = 0; i < kTries; ++i) {
            RawClient c;
            CHECK_OK(openSession(c, m_server.url(), Codec::Cbor));
            c.sendBinary(QByteArray(size, 'x'));
            if (!c.waitClosed(kDefaultWaitMs) || c.closeCode() != 1009) {
                ++failures;
                seen << QString::number(c.closeCode());
            }
        }
        QVERIFY2(failures == 0, qPrintable(QStringLiteral("%1 of %2 tries: %3").arg(failures).arg(kTries).arg(seen.join(u' '))));
    }

    void cleanupTestCase() { QVERIFY2(m_server.stop(), m_server.stderrTail().constData()); }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(tst_ServerCloseHandshake)
#include "tst_server_close_handshake.moc"
