// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-chat-screenshots: plays a short scripted conversation with the real chat window
// and saves what it looks like, for docs/demos.md (run by demos/chat/take-screenshots.sh).
//
//   tether-chat-screenshots --server PATH/tether-server --out DIR
//
// It starts its own tether-server, signs "alice" in through the window and two more people
// (bob, carol) through headless ChatSessions. alice reaches the server through a tiny TCP
// relay that this program can take down, so she goes offline while the others keep talking:
//   chat-online.png     conversation with delivery ticks, typing indicator, unread room
//   chat-offline.png    relay down: offline banner with countdown, messages queued
//   chat-recovered.png  relay back after her session expired: queued messages delivered,
//                       the gap marked and the missed message recovered from history
//   chat-restored.png   dave (with a durable outbox) typed offline and closed the chat;
//                       started again, his messages are restored, shown and delivered
#include "chat_session.h"
#include "scripted_wait.h"
#include "chat_window.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QTcpServer>
#include <QtNetwork/QTcpSocket>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLineEdit>

#include <cstdio>
#include <functional>

namespace {

// Forwards TCP connections to the server; down() resets them all and refuses new ones.
class Relay : public QObject
{
public:
    bool start(quint16 target)
    {
        m_target = target;
        connect(&m_listener, &QTcpServer::newConnection, this, [this] { accept(); });
        if (!m_listener.listen(QHostAddress::LocalHost, 0))
            return false;
        m_port = m_listener.serverPort();
        return true;
    }
    quint16 port() const { return m_port; }
    void down()
    {
        m_listener.close();
        for (QTcpSocket *s : m_sockets.keys())
            s->abort();
    }
    bool up() { return m_listener.listen(QHostAddress::LocalHost, m_port); }

private:
    void accept()
    {
        while (QTcpSocket *client = m_listener.nextPendingConnection()) {
            auto *server = new QTcpSocket(this);
            m_sockets.insert(client, server);
            m_sockets.insert(server, client);
            const auto pipe = [](QTcpSocket *from, QTcpSocket *to) {
                connect(from, &QTcpSocket::readyRead, to, [from, to] { to->write(from->readAll()); });
                connect(from, &QTcpSocket::disconnected, to, [to] { to->disconnectFromHost(); });
            };
            pipe(client, server);
            pipe(server, client);
            for (QTcpSocket *s : {client, server}) {
                connect(s, &QTcpSocket::disconnected, this, [this, s] {
                    m_sockets.remove(s);
                    s->deleteLater();
                });
            }
            server->connectToHost(QHostAddress::LocalHost, m_target);
        }
    }

    QTcpServer m_listener;
    QHash<QTcpSocket *, QTcpSocket *> m_sockets;
    quint16 m_target = 0;
    quint16 m_port = 0;
};

using Chat::settle;
using Chat::waitFor;

bool allDelivered(Chat::ChatSession &session, const QString &room)
{
    const Chat::RoomModel *model = session.model(room);
    if (!model)
        return false;
    for (int row = 0; row < model->rowCount(); ++row) {
        const Chat::Entry &e = model->entry(row);
        if (e.own && e.tick != Chat::Tick::Delivered)
            return false;
    }
    return true;
}

int fail(const char *what)
{
    std::fprintf(stderr, "tether-chat-screenshots: %s\n", what);
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption serverOption(QStringLiteral("server"), QStringLiteral("tether-server binary"),
                                          QStringLiteral("path"));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("output directory"),
                                       QStringLiteral("dir"));
    parser.addOptions({serverOption, outOption});
    parser.addHelpOption();
    parser.process(app);
    if (!parser.isSet(serverOption) || !parser.isSet(outOption))
        return fail("--server and --out are required");
    const QDir out(parser.value(outOption));
    if (!QDir().mkpath(out.absolutePath()))
        return fail("cannot create the output directory");

    // The server: alice's session expires 1.5 s after she drops off, so the tour shows a
    // lost session; #announcements is read-only.
    QProcess server;
    const std::optional<quint16> started = Chat::startServer(
        server, parser.value(serverOption),
        {QStringLiteral("--session-ttl"), QStringLiteral("1500"), QStringLiteral("--readonly"),
         QStringLiteral("announcements")});
    if (!started)
        return fail("tether-server did not start");
    const quint16 serverPort = *started;
    const auto stopServer = [&server] { Chat::stopServer(server); };

    Relay relay;
    if (serverPort == 0 || !relay.start(serverPort)) {
        stopServer();
        return fail("no server port or relay");
    }
    const QUrl direct(QStringLiteral("ws://127.0.0.1:%1/").arg(serverPort));
    const QUrl viaRelay(QStringLiteral("ws://127.0.0.1:%1/").arg(relay.port()));
    const QString general = QStringLiteral("general");
    const QString random = QStringLiteral("random");

    Chat::ChatSession bob;
    Chat::ChatSession carol;
    Chat::ChatSession alice;
    Chat::ChatWindow window(&alice);
    window.setFixedSize(1040, 660);
    window.setSuggestedRooms({general, random, QStringLiteral("announcements"), QStringLiteral("design")});
    window.setAutoJoin({general, random});
    window.setSignInDefaults(viaRelay, QStringLiteral("alice"));
    window.show();

    bob.signIn({direct, QStringLiteral("bob"), {}, {}});
    carol.signIn({direct, QStringLiteral("carol"), {}, {}});
    const auto connected = [](Chat::ChatSession &s) { return s.state() == Tether::State::Connected; };
    if (!waitFor([&] { return connected(bob) && connected(carol); }, 10000)) {
        stopServer();
        return fail("bob/carol could not connect");
    }
    bob.joinRoom(general);
    bob.joinRoom(random);
    carol.joinRoom(general);
    settle(300);
    bob.sendText(general, QStringLiteral("Morning! Is the release build green?"));
    settle(200);

    window.submitSignIn();
    if (!waitFor([&] { return connected(alice) && window.isChatPageShown(); }, 10000)) {
        stopServer();
        return fail("alice could not sign in");
    }
    // Let the roll call settle so everyone is listed.
    waitFor([&] { return alice.members(general).size() == 3; }, 5000);

    const auto aliceSays = [&](const QString &text) {
        window.composer()->setText(text);
        window.submitMessage();
    };
    aliceSays(QStringLiteral("Yes, all 214 tests passed on the CI runner."));
    settle(300);
    carol.sendText(general, QStringLiteral("Nice. I'll tag v0.1 after lunch."));
    settle(300);
    bob.sendText(general, QStringLiteral("Perfect. I'll update the changelog and the demo screenshots."));
    settle(300);
    aliceSays(QStringLiteral("Thanks both! I'm on the train this afternoon, the connection may come and go."));
    bob.sendText(random, QStringLiteral("Anyone up for lunch at 12:30?"));
    if (!waitFor([&] { return allDelivered(alice, general); }, 5000)) {
        stopServer();
        return fail("alice's messages were not delivered");
    }
    settle(300);
    bob.userTyping(general);
    waitFor([&] { return !alice.typingUsers(general).isEmpty(); }, 3000);
    settle(150);
    window.grab().save(out.filePath(QStringLiteral("chat-online.png")));

    // alice loses her network: the others keep talking.
    relay.down();
    waitFor([&] { return alice.state() == Tether::State::Reconnecting; }, 5000);
    aliceSays(QStringLiteral("Going through a tunnel, back in a minute."));
    aliceSays(QStringLiteral("Can someone review PR #42 meanwhile?"));
    bob.sendText(general, QStringLiteral("Sure, I'll take PR #42."));
    // Show the countdown, not the instant of an attempt.
    waitFor([&] { return alice.reconnectInMs() > 1500; }, 15000);
    settle(300);
    window.grab().save(out.filePath(QStringLiteral("chat-offline.png")));

    // Her session has expired on the server by now (1.5 s TTL): back online, she gets a
    // new session, the gap is marked and the missed message is fetched from history.
    settle(1600);
    relay.up();
    alice.retryNow();
    const bool recovered = waitFor([&] {
        const Chat::RoomModel *m = alice.model(general);
        if (!m || !allDelivered(alice, general))
            return false;
        for (int row = 0; row < m->rowCount(); ++row) {
            if (m->entry(row).kind == Chat::Entry::Gap && !m->entry(row).text.contains(u'…'))
                return true;
        }
        return false;
    }, 15000);
    settle(300);
    window.grab().save(out.filePath(QStringLiteral("chat-recovered.png")));

    // dave, with a durable outbox, writes while offline and closes the chat; started again
    // on the same store, the chat shows and sends what he wrote.
    QTemporaryDir storeDir;
    const QString daveStore = storeDir.filePath(QStringLiteral("dave.outbox"));
    bool restoredShown = false;
    {
        Chat::ChatSession dave;
        Chat::ChatWindow daveWindow(&dave);
        daveWindow.setAutoJoin({general});
        daveWindow.setSignInDefaults(viaRelay, QStringLiteral("dave"));
        daveWindow.setStoreFile(daveStore);
        daveWindow.submitSignIn();
        waitFor([&] { return connected(dave) && daveWindow.isChatPageShown(); }, 10000);
        relay.down();
        waitFor([&] { return dave.state() == Tether::State::Reconnecting; }, 5000);
        int persisted = 0;
        QObject::connect(dave.client(), &Tether::Client::persisted, [&persisted] { ++persisted; });
        dave.sendText(general, QStringLiteral("Landing now, the wifi on this plane is hopeless."));
        dave.sendText(general, QStringLiteral("I'll review PR #42 tonight."));
        waitFor([&] { return persisted == 2; }, 5000);
    }   // the chat closes with both messages queued: they are in dave.outbox
    relay.up();
    {
        Chat::ChatSession dave;
        Chat::ChatWindow daveWindow(&dave);
        daveWindow.setFixedSize(1040, 660);
        daveWindow.setSuggestedRooms({general, random});
        daveWindow.setAutoJoin({general});
        daveWindow.setSignInDefaults(viaRelay, QStringLiteral("dave"));
        daveWindow.setStoreFile(daveStore);
        daveWindow.show();
        daveWindow.submitSignIn();
        restoredShown = waitFor([&] {
            const Chat::RoomModel *m = dave.model(general);
            return connected(dave) && daveWindow.isChatPageShown() && m && allDelivered(dave, general)
                && m->rowCount() > 0;
        }, 10000);
        daveWindow.showRoom(general);
        settle(400);
        daveWindow.grab().save(out.filePath(QStringLiteral("chat-restored.png")));
        dave.signOut();
    }

    alice.signOut();
    bob.signOut();
    carol.signOut();
    settle(200);
    stopServer();
    if (!recovered)
        return fail("alice did not recover after the relay came back");
    if (!restoredShown)
        return fail("dave's restored messages were not delivered");
    std::printf("saved chat-online.png, chat-offline.png, chat-recovered.png, chat-restored.png in %s\n",
                qPrintable(QDir::toNativeSeparators(out.absolutePath())));
    return 0;
}
