// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "socks5_proxy.h"

#include <QtNetwork/QHostAddress>
#include <QtNetwork/QTcpSocket>

namespace Tether::Testing {

namespace {

constexpr char kVersion = 5;
constexpr char kNoAuthentication = 0;
constexpr char kUserPassword = 2;
constexpr char kNoAcceptableMethod = char(0xff);
constexpr char kConnect = 1;
constexpr char kSucceeded = 0;
constexpr char kHostUnreachable = 4;
constexpr char kCommandNotSupported = 7;
constexpr char kAddressTypeNotSupported = 8;

// A reply to a request: the bound address is not meaningful for a client of CONNECT here.
QByteArray reply(char status)
{
    return QByteArray("\x05", 1) + status + QByteArray("\x00\x01\x00\x00\x00\x00\x00\x00", 8);
}

} // namespace

// One client: the greeting, the login when required, the request, then bytes both ways.
// Input is parsed from `m_in` as it arrives (a step waits until its bytes are all there).
class Socks5Proxy::Session : public QObject
{
public:
    Session(Socks5Proxy *proxy, QTcpSocket *client) : QObject(proxy), m_proxy(proxy), m_client(client)
    {
        client->setParent(this);
        connect(client, &QTcpSocket::readyRead, this, [this] {
            m_in += m_client->readAll();
            advance();
        });
        connect(client, &QTcpSocket::disconnected, this, [this] {
            if (m_upstream)
                m_upstream->disconnectFromHost();
            deleteLater();
        });
    }

private:
    enum class Step { Greeting, Login, Request, Connecting, Relaying, Closed };

    void advance()
    {
        while (true) {
            const Step before = m_step;
            switch (m_step) {
            case Step::Greeting: greeting(); break;
            case Step::Login: login(); break;
            case Step::Request: request(); break;
            case Step::Connecting: return;  // the rest waits for the upstream connection
            case Step::Relaying:
                m_upstream->write(m_in);
                m_in.clear();
                return;
            case Step::Closed: m_in.clear(); return;
            }
            if (m_step == before)
                return;  // needs more bytes
        }
    }

    void greeting()
    {
        if (m_in.size() < 2 || m_in.size() < 2 + quint8(m_in[1]))
            return;
        const QByteArray methods = m_in.mid(2, quint8(m_in[1]));
        const bool versionOk = m_in[0] == kVersion;
        m_in.remove(0, 2 + methods.size());
        const char wanted = m_proxy->m_user.isEmpty() ? kNoAuthentication : kUserPassword;
        if (!versionOk || !methods.contains(wanted)) {
            if (wanted == kUserPassword)
                ++m_proxy->m_refusedLogins;
            finish(QByteArray("\x05", 1) + kNoAcceptableMethod);
            return;
        }
        m_client->write(QByteArray("\x05", 1) + wanted);
        m_step = wanted == kUserPassword ? Step::Login : Step::Request;
    }

    // RFC 1929: VER(1) ULEN UNAME PLEN PASSWD.
    void login()
    {
        if (m_in.size() < 2)
            return;
        const int userLength = quint8(m_in[1]);
        if (m_in.size() < 3 + userLength || m_in.size() < 3 + userLength + quint8(m_in[2 + userLength]))
            return;
        const QByteArray user = m_in.mid(2, userLength);
        const QByteArray password = m_in.mid(3 + userLength, quint8(m_in[2 + userLength]));
        m_in.remove(0, 3 + userLength + password.size());
        if (user != m_proxy->m_user || password != m_proxy->m_password) {
            ++m_proxy->m_refusedLogins;
            finish(QByteArray("\x01\x01", 2));
            return;
        }
        m_client->write(QByteArray("\x01\x00", 2));
        m_step = Step::Request;
    }

    // VER CMD RSV ATYP DST.ADDR DST.PORT
    void request()
    {
        if (m_in.size() < 5)
            return;
        int addressLength = 0;
        switch (m_in[3]) {
        case 1: addressLength = 4; break;
        case 3: addressLength = 1 + quint8(m_in[4]); break;
        case 4: addressLength = 16; break;
        default: finish(reply(kAddressTypeNotSupported)); return;
        }
        if (m_in.size() < 4 + addressLength + 2)
            return;
        const QByteArray address = m_in.mid(4, addressLength);
        const quint16 port = quint16(quint8(m_in[4 + addressLength]) << 8 | quint8(m_in[5 + addressLength]));
        const char command = m_in[1];
        const char atyp = m_in[3];
        m_in.remove(0, 4 + addressLength + 2);
        if (command != kConnect) {
            finish(reply(kCommandNotSupported));
            return;
        }
        QString host;
        if (atyp == 1)
            host = QHostAddress(quint32(quint8(address[0]) << 24 | quint8(address[1]) << 16 | quint8(address[2]) << 8
                                        | quint8(address[3])))
                       .toString();
        else if (atyp == 4)
            host = QHostAddress(reinterpret_cast<const quint8 *>(address.constData())).toString();
        else
            host = QString::fromLatin1(address.mid(1));
        m_proxy->m_targets << host + QLatin1Char(':') + QString::number(port);

        m_upstream = new QTcpSocket(this);
        connect(m_upstream, &QTcpSocket::connected, this, [this] {
            ++m_proxy->m_tunnels;
            m_client->write(reply(kSucceeded));
            m_step = Step::Relaying;
            advance();  // what the client sent right after its request
        });
        connect(m_upstream, &QTcpSocket::readyRead, this, [this] { m_client->write(m_upstream->readAll()); });
        connect(m_upstream, &QTcpSocket::disconnected, this, [this] { m_client->disconnectFromHost(); });
        connect(m_upstream, &QTcpSocket::errorOccurred, this, [this] {
            if (m_step == Step::Connecting)
                finish(reply(kHostUnreachable));
            else
                m_client->abort();
        });
        m_step = Step::Connecting;
        m_upstream->connectToHost(host, port);
    }

    void finish(const QByteArray &lastReply)
    {
        m_step = Step::Closed;
        m_client->write(lastReply);
        m_client->disconnectFromHost();
    }

    Socks5Proxy *m_proxy;
    QTcpSocket *m_client;
    QTcpSocket *m_upstream = nullptr;
    QByteArray m_in;
    Step m_step = Step::Greeting;
};

Socks5Proxy::Socks5Proxy()
{
    connect(&m_server, &QTcpServer::newConnection, this, &Socks5Proxy::onNewConnection);
}

Socks5Proxy::~Socks5Proxy() = default;

void Socks5Proxy::requireCredentials(const QString &user, const QString &password)
{
    m_user = user.toUtf8();
    m_password = password.toUtf8();
}

bool Socks5Proxy::start()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

void Socks5Proxy::onNewConnection()
{
    while (QTcpSocket *client = m_server.nextPendingConnection())
        new Session(this, client);
}

} // namespace Tether::Testing
