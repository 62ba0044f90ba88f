// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-chat-record: records what the chat demo puts on the wire, for the compression
// measurements (docs/benchmarks.md "Compression", tests/data/chat-stream.txt).
//
//   tether-chat-record --server PATH/tether-server --out FILE
//
// It starts its own tether-server and plays a scripted conversation between four headless
// ChatSessions (the demo's own logic: typing notices, roll calls, history on join, acks).
// alice reaches the server through a TCP relay that also reads the WebSocket frames
// passing through (client frames unmasked, fragments joined) and writes every data
// message of her connection, in order, one protocol frame a line:
//   "< " a frame the server sent, "> " one alice sent; "<+"/">+" a frame that travelled
//   in the same WebSocket message (v1.1 batch) as the line before.
// The client does not ask for compression, so the frames are the plain v1.1 JSON ones.
#include "chat_session.h"
#include "scripted_wait.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QDateTime>
#include <QtCore/QFile>
#include <QtCore/QProcess>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>

#include <cstdio>
#include <functional>

namespace {

// One direction of a WebSocket connection, read from the raw bytes: the HTTP upgrade is
// skipped, then each complete data message is handed to `onMessage`.
class FrameReader
{
public:
    std::function<void(const QByteArray &)> onMessage;

    void feed(const QByteArray &bytes)
    {
        m_buffer += bytes;
        if (!m_upgraded) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            m_buffer.remove(0, end + 4);
            m_upgraded = true;
        }
        while (readOne()) {
        }
    }

private:
    bool readOne()
    {
        if (m_buffer.size() < 2)
            return false;
        const auto at = [this](qsizetype i) { return quint8(m_buffer[i]); };
        const bool fin = at(0) & 0x80;
        const int opcode = at(0) & 0x0f;
        const bool masked = at(1) & 0x80;
        quint64 length = at(1) & 0x7f;
        qsizetype pos = 2;
        const int extra = length == 126 ? 2 : length == 127 ? 8 : 0;
        if (m_buffer.size() < pos + extra)
            return false;
        if (extra) {
            length = 0;
            for (int i = 0; i < extra; ++i)
                length = length << 8 | at(pos + i);
            pos += extra;
        }
        const qsizetype maskAt = pos;
        pos += masked ? 4 : 0;
        if (quint64(m_buffer.size() - pos) < length)
            return false;
        QByteArray payload = m_buffer.mid(pos, qsizetype(length));
        if (masked) {
            for (qsizetype i = 0; i < payload.size(); ++i)
                payload[i] = char(payload[i] ^ m_buffer[maskAt + (i % 4)]);
        }
        m_buffer.remove(0, pos + qsizetype(length));
        if (opcode >= 8)
            return true;   // ping, pong, close
        m_message += payload;
        if (fin) {
            if (onMessage)
                onMessage(m_message);
            m_message.clear();
        }
        return true;
    }

    QByteArray m_buffer;
    QByteArray m_message;
    bool m_upgraded = false;
};

// Forwards connections to the server and reads both directions of each.
class TappingRelay : public QObject
{
public:
    std::function<void(bool fromServer, const QByteArray &message)> onMessage;

    bool start(quint16 target)
    {
        m_target = target;
        connect(&m_listener, &QTcpServer::newConnection, this, [this] { accept(); });
        return m_listener.listen(QHostAddress::LocalHost, 0);
    }
    quint16 port() const { return m_listener.serverPort(); }

private:
    void accept()
    {
        while (QTcpSocket *client = m_listener.nextPendingConnection()) {
            auto *server = new QTcpSocket(this);
            auto *up = new FrameReader;
            auto *down = new FrameReader;
            up->onMessage = [this](const QByteArray &m) { onMessage(false, m); };
            down->onMessage = [this](const QByteArray &m) { onMessage(true, m); };
            connect(client, &QTcpSocket::readyRead, server, [client, server, up] {
                const QByteArray bytes = client->readAll();
                up->feed(bytes);
                server->write(bytes);
            });
            connect(server, &QTcpSocket::readyRead, client, [client, server, down] {
                const QByteArray bytes = server->readAll();
                down->feed(bytes);
                client->write(bytes);
            });
            connect(client, &QTcpSocket::disconnected, server, &QTcpSocket::disconnectFromHost);
            connect(server, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
            connect(client, &QObject::destroyed, [up, down] {
                delete up;
                delete down;
            });
            server->connectToHost(QHostAddress::LocalHost, m_target);
        }
    }

    QTcpServer m_listener;
    quint16 m_target = 0;
};

using Chat::settle;
using Chat::waitFor;

int fail(const char *what)
{
    std::fprintf(stderr, "tether-chat-record: %s\n", what);
    return 1;
}

// The conversation: who says what where. "+room" joins it, "-room" leaves it.
struct Line {
    const char *who;
    const char *room;
    const char *text;
};

const Line kScript[] = {
    {"bob", "general", "Morning! Is the release build green?"},
    {"carol", "general", "Not yet, the arm64 job is still running"},
    {"alice", "general", "morning all"},
    {"bob", "general", "ok, ping me when it's done"},
    {"dave", "general", "I just pushed the fix for the reconnect issue"},
    {"alice", "general", "nice, which branch?"},
    {"dave", "general", "fix/reconnect-backoff, PR is up"},
    {"carol", "general", "I'll review it after lunch"},
    {"bob", "random", "anyone up for coffee?"},
    {"alice", "random", "yes! 5 minutes"},
    {"carol", "random", "count me in"},
    {"dave", "+release", ""},
    {"bob", "release", "release checklist for 1.1 is in the wiki"},
    {"dave", "release", "thanks, I'll go through it"},
    {"alice", "general", "the arm64 job failed again, looks like a flaky test"},
    {"carol", "general", "which one?"},
    {"alice", "general", "tst_client_faults, the proxy one"},
    {"bob", "general", "that one has been flaky since Tuesday"},
    {"dave", "general", "I can take a look this afternoon"},
    {"carol", "general", "thanks Dave"},
    {"alice", "general", "re-running it now"},
    {"bob", "random", "coffee machine on 3rd floor is broken again"},
    {"carol", "random", "classic"},
    {"alice", "random", "let's go to the place across the street"},
    {"alice", "general", "green now 🎉"},
    {"bob", "general", "great, I'll tag the release"},
    {"dave", "release", "tagged v1.1.0-rc1"},
    {"bob", "release", "release notes draft is ready for review"},
    {"carol", "release", "reading it now"},
    {"carol", "release", "small typo in the compression section, fixed it"},
    {"dave", "release", "👍"},
    {"alice", "general", "did anyone try the new chat demo on a phone?"},
    {"bob", "general", "yes, on the train, it reconnected fine after the tunnel"},
    {"carol", "general", "the offline banner is really helpful"},
    {"dave", "general", "battery usage looks ok too"},
    {"alice", "general", "good to hear"},
    {"bob", "general", "lunch at 12:30?"},
    {"carol", "general", "sure"},
    {"dave", "general", "I'll join a bit later"},
    {"alice", "general", "see you there"},
    {"dave", "-release", ""},
    {"carol", "random", "has anyone seen my charger? the white one"},
    {"bob", "random", "there's one in the meeting room"},
    {"carol", "random", "found it, thanks"},
    {"alice", "general", "standup in 10 minutes"},
    {"bob", "general", "on my way"},
    {"dave", "general", "can we move it to 10:15? I'm finishing a call"},
    {"alice", "general", "ok, 10:15 then"},
    {"carol", "general", "works for me"},
    {"bob", "general", "same"},
    {"alice", "general", "see you at 10:15"},
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption serverOption(QStringLiteral("server"), QStringLiteral("tether-server binary"),
                                          QStringLiteral("path"));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("output file"), QStringLiteral("file"));
    parser.addOptions({serverOption, outOption});
    parser.addHelpOption();
    parser.process(app);
    if (!parser.isSet(serverOption) || !parser.isSet(outOption))
        return fail("--server and --out are required");

    QProcess server;
    const std::optional<quint16> started = Chat::startServer(server, parser.value(serverOption));
    if (!started)
        return fail("tether-server did not start");
    const quint16 serverPort = *started;
    const auto stopServer = [&server] { Chat::stopServer(server); };

    QByteArray recorded;
    int messages = 0;
    int frames = 0;
    TappingRelay relay;
    relay.onMessage = [&](bool fromServer, const QByteArray &message) {
        ++messages;
        bool first = true;
        for (const QByteArray &frame : message.split('\n')) {
            recorded += fromServer ? "<" : ">";
            recorded += first ? " " : "+ ";
            recorded += frame;
            recorded += '\n';
            first = false;
            ++frames;
        }
    };
    if (serverPort == 0 || !relay.start(serverPort)) {
        stopServer();
        return fail("no server port or relay");
    }
    const QUrl direct(QStringLiteral("ws://127.0.0.1:%1/").arg(serverPort));
    const QUrl tapped(QStringLiteral("ws://127.0.0.1:%1/").arg(relay.port()));

    QHash<QString, Chat::ChatSession *> people;
    Chat::ChatSession alice, bob, carol, dave;
    people.insert(QStringLiteral("alice"), &alice);
    people.insert(QStringLiteral("bob"), &bob);
    people.insert(QStringLiteral("carol"), &carol);
    people.insert(QStringLiteral("dave"), &dave);
    for (auto it = people.cbegin(); it != people.cend(); ++it)
        it.value()->signIn({it.key() == u"alice" ? tapped : direct, it.key(), {}, {}});
    const auto allConnected = [&] {
        for (Chat::ChatSession *s : std::as_const(people)) {
            if (s->state() != Tether::State::Connected)
                return false;
        }
        return true;
    };
    if (!waitFor(allConnected, 10000)) {
        stopServer();
        return fail("the four could not connect");
    }
    for (Chat::ChatSession *s : std::as_const(people))
        s->joinRoom(QStringLiteral("general"));
    for (const char *who : {"alice", "bob", "carol"})
        people.value(QLatin1StringView(who))->joinRoom(QStringLiteral("random"));
    settle(500);

    // Each line: the author types (the composer's typing notice), then sends; the pause
    // between lines lets every frame leave on its own, as in a real conversation.
    for (const Line &line : kScript) {
        Chat::ChatSession *who = people.value(QLatin1StringView(line.who));
        const QString room = QString::fromUtf8(line.room);
        if (room.startsWith(u'+')) {
            who->joinRoom(room.mid(1));
        } else if (room.startsWith(u'-')) {
            who->leaveRoom(room.mid(1));
        } else {
            who->userTyping(room);
            settle(120);
            who->sendText(room, QString::fromUtf8(line.text));
        }
        settle(250);
    }
    settle(500);
    alice.signOut();
    settle(300);
    stopServer();

    QFile out(parser.value(outOption));
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail("cannot write the output file");
    out.write("# SPDX-FileCopyrightText: 2026 The Tether authors\n# SPDX-License-Identifier: MIT\n");
    out.write("# Recorded by tether-chat-record (demos/chat/record_stream.cpp) on "
              + QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toUtf8()
              + ": alice's connection to tether-server in a scripted conversation of four chat\n"
                "# demo sessions. \"<\" server to alice, \">\" alice to server; \"<+\"/\">+\": same WebSocket message as the line before.\n");
    out.write(recorded);
    std::printf("%d WebSocket messages, %d frames written to %s\n", messages, frames,
                qPrintable(parser.value(outOption)));
    return 0;
}
