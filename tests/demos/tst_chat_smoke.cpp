// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The chat demo, offscreen, against tether-server: the real window signed in and used like a
// person would (type, Return), other participants as headless ChatSessions.
#include "chat_session.h"
#include "chat_window.h"
#include "fault_proxy.h"
#include "server_process.h"
#include "wait.h"

#include <QtCore/QTemporaryDir>
#include <QtTest/QSignalSpy>
#include <QtTest/QTest>
#include <QtWidgets/QApplication>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QListView>
#include <QtWidgets/QPushButton>

using Chat::ChatSession;
using Chat::ChatWindow;
using Chat::Entry;
using Chat::Tick;
using Tether::Testing::FaultProxy;
using Tether::Testing::ServerProcess;
using Tether::Testing::waitUntil;

namespace {

constexpr int kWaitMs = 15000;
const QString kGeneral = QStringLiteral("general");

// The window of one participant, signed in through its form.
struct Participant {
    ChatSession session;
    ChatWindow window{&session};

    // Signs in and waits until the rooms' history arrived (so a later fetch is the only one).
    bool signIn(const QUrl &url, const QString &name, const QStringList &rooms = {kGeneral})
    {
        QSignalSpy histories(&session, &ChatSession::historyLoaded);
        window.setAutoJoin(rooms);
        window.urlEdit()->setText(url.toString());
        window.nameEdit()->setText(name);
        window.show();
        QTest::mouseClick(window.signInButton(), Qt::LeftButton);
        return waitUntil([&] { return window.isChatPageShown() && session.state() == Tether::State::Connected
                                   && histories.count() >= rooms.size(); }, kWaitMs);
    }
    void type(const QString &text)
    {
        QTest::keyClicks(window.composer(), text);
        QTest::keyClick(window.composer(), Qt::Key_Return);
    }
    // The last own message in `room`.
    const Entry *lastOwn(const QString &room = kGeneral) const
    {
        const Chat::RoomModel *m = session.model(room);
        for (int row = m ? m->rowCount() - 1 : -1; row >= 0; --row) {
            if (m->entry(row).own)
                return &m->entry(row);
        }
        return nullptr;
    }
    bool waitForTick(Tick tick, const QString &room = kGeneral)
    {
        return waitUntil([&] { const Entry *e = lastOwn(room); return e && e->tick == tick; }, kWaitMs);
    }
};

bool hasText(const ChatSession &session, const QString &room, const QString &text)
{
    const Chat::RoomModel *m = session.model(room);
    for (int row = 0; m && row < m->rowCount(); ++row) {
        if (m->entry(row).text == text)
            return true;
    }
    return false;
}

bool signInHeadless(ChatSession &session, const QUrl &url, const QString &name)
{
    session.signIn({url, name, {}, {}});
    if (!waitUntil([&] { return session.state() == Tether::State::Connected; }, kWaitMs))
        return false;
    QSignalSpy histories(&session, &ChatSession::historyLoaded);
    session.joinRoom(kGeneral);
    return waitUntil([&] { return histories.count() > 0; }, kWaitMs);
}

} // namespace

class tst_ChatSmoke : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sentMessageGetsDeliveredTickAndReachesOthers();
    void signInErrorsAreShownOnTheForm_data();
    void signInErrorsAreShownOnTheForm();
    void offlineMessagesAreQueuedThenDelivered();
    void queuedMessagesSurviveARestartOfTheChat();
    void readOnlyRoomShowsRejected();
    void lostSessionIsMarkedAndRefilledFromHistory();
    void historyOnJoinTypingAndPresence();
};

void tst_ChatSmoke::sentMessageGetsDeliveredTickAndReachesOthers()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    ChatSession bob;
    QVERIFY(signInHeadless(bob, server.url(), QStringLiteral("bob")));

    Participant alice;
    QVERIFY(alice.signIn(server.url(), QStringLiteral("alice")));
    QCOMPARE(alice.window.currentRoom(), kGeneral);
    QVERIFY(!alice.window.offlineBanner()->isVisible());
    QVERIFY(waitUntil([&] { return bob.model(kGeneral) != nullptr; }, kWaitMs));

    alice.type(QStringLiteral("hello from the smoke test"));
    QVERIFY(alice.lastOwn());
    QCOMPARE(alice.lastOwn()->text, QStringLiteral("hello from the smoke test"));
    QVERIFY(alice.window.composer()->text().isEmpty());
    QVERIFY2(alice.waitForTick(Tick::Delivered), qPrintable(Chat::tickName(alice.lastOwn()->tick)));
    QVERIFY(waitUntil([&] { return hasText(bob, kGeneral, QStringLiteral("hello from the smoke test")); }, kWaitMs));
    // The list paints it (the delegate runs over the delivered row without trouble).
    QVERIFY(!alice.window.messageView()->viewport()->grab().isNull());
    QCOMPARE(alice.window.messageView()->model()->rowCount(), 1);
}

void tst_ChatSmoke::signInErrorsAreShownOnTheForm_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("errorPart");
    QTest::addRow("not a websocket url") << QStringLiteral("http://127.0.0.1:1/") << QStringLiteral("alice")
                                         << QStringLiteral("ws://");
    QTest::addRow("no name") << QStringLiteral("ws://127.0.0.1:1/") << QString() << QStringLiteral("name");
}

void tst_ChatSmoke::signInErrorsAreShownOnTheForm()
{
    QFETCH(QString, url);
    QFETCH(QString, name);
    QFETCH(QString, errorPart);
    Participant p;
    p.window.urlEdit()->setText(url);
    p.window.nameEdit()->setText(name);
    p.window.show();
    QTest::mouseClick(p.window.signInButton(), Qt::LeftButton);
    QVERIFY(!p.session.isSignedIn());
    QVERIFY(!p.window.isChatPageShown());
    const QLabel *error = p.window.findChild<QLabel *>(QStringLiteral("signInError"));
    QVERIFY(error);
    QVERIFY2(error->text().contains(errorPart), qPrintable(error->text()));
}

void tst_ChatSmoke::offlineMessagesAreQueuedThenDelivered()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), server.port()));
    Participant alice;
    QVERIFY(alice.signIn(proxy.url(), QStringLiteral("alice")));

    QVERIFY(proxy.setRefuseNewConnections(true));
    proxy.cut();
    QVERIFY(waitUntil([&] { return alice.session.state() == Tether::State::Reconnecting; }, kWaitMs));
    alice.type(QStringLiteral("typed while offline"));
    QCOMPARE(alice.lastOwn()->tick, Tick::Queued);
    QVERIFY(waitUntil([&] { return alice.window.offlineBanner()->isVisible(); }, kWaitMs));
    QVERIFY2(alice.window.bannerText()->text().contains(QStringLiteral("1 message queued")),
             qPrintable(alice.window.bannerText()->text()));
    QVERIFY2(alice.window.bannerText()->text().contains(QStringLiteral("offline")),
             qPrintable(alice.window.bannerText()->text()));

    QVERIFY(proxy.setRefuseNewConnections(false));
    auto *retry = alice.window.offlineBanner()->findChild<QPushButton *>();
    QVERIFY(retry && retry->isVisible());
    QTest::mouseClick(retry, Qt::LeftButton);  // "Retry now": no waiting out the backoff
    QVERIFY2(alice.waitForTick(Tick::Delivered), qPrintable(Chat::tickName(alice.lastOwn()->tick)));
    QVERIFY(waitUntil([&] { return !alice.window.offlineBanner()->isVisible(); }, kWaitMs));
}

// Issue 13: typed while offline, the chat closed (its window and client destroyed without
// signing out, as when the app is killed or quits), started again: the messages are shown
// queued in their room and delivered once the server is reachable; bob receives each once.
void tst_ChatSmoke::queuedMessagesSurviveARestartOfTheChat()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString store = dir.filePath(QStringLiteral("alice.outbox"));
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), server.port()));
    ChatSession bob;
    QVERIFY(signInHeadless(bob, server.url(), QStringLiteral("bob")));
    QStringList ids;
    {
        auto alice = std::make_unique<Participant>();
        alice->window.setStoreFile(store);
        QVERIFY(alice->signIn(proxy.url(), QStringLiteral("alice")));
        QVERIFY(proxy.setRefuseNewConnections(true));
        proxy.cut();
        QVERIFY(waitUntil([&] { return alice->session.state() == Tether::State::Reconnecting; }, kWaitMs));
        QSignalSpy persisted(alice->session.client(), &Tether::Client::persisted);
        alice->type(QStringLiteral("first, typed offline"));
        alice->type(QStringLiteral("second, typed offline"));
        QCOMPARE(alice->lastOwn()->tick, Tick::Queued);
        QVERIFY(waitUntil([&] { return persisted.count() == 2; }, kWaitMs));
        for (const QList<QVariant> &args : std::as_const(persisted))
            ids << args.at(0).toString();
    }   // the chat is gone; its outbox is in the store

    QVERIFY(proxy.setRefuseNewConnections(false));
    Participant alice;
    alice.window.setStoreFile(store);
    QVERIFY(alice.signIn(proxy.url(), QStringLiteral("alice")));
    const Chat::RoomModel *room = alice.session.model(kGeneral);
    QVERIFY(room);
    QVERIFY(waitUntil([&] { const Entry *e = alice.lastOwn(); return e && e->tick == Tick::Delivered; }, kWaitMs));
    int restoredShown = 0;
    for (int row = 0; row < room->rowCount(); ++row) {
        const Entry &e = room->entry(row);
        if (e.own && ids.contains(e.id)) {
            ++restoredShown;
            QVERIFY2(waitUntil([&] { return room->entry(row).tick == Tick::Delivered; }, kWaitMs),
                     qPrintable(e.text));
        }
    }
    QCOMPARE(restoredShown, 2);
    QVERIFY(waitUntil([&] { return hasText(bob, kGeneral, QStringLiteral("second, typed offline")); }, kWaitMs));
    int copies = 0;
    const Chat::RoomModel *bobs = bob.model(kGeneral);
    for (int row = 0; row < bobs->rowCount(); ++row)
        copies += bobs->entry(row).text == u"first, typed offline" ? 1 : 0;
    QCOMPARE(copies, 1);
}

void tst_ChatSmoke::readOnlyRoomShowsRejected()
{
    ServerProcess server({QStringLiteral("--readonly"), QStringLiteral("announcements")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    Participant alice;
    QVERIFY(alice.signIn(server.url(), QStringLiteral("alice"), {QStringLiteral("announcements")}));
    alice.type(QStringLiteral("may I?"));
    QVERIFY(alice.waitForTick(Tick::Rejected, QStringLiteral("announcements")));
    QVERIFY2(alice.lastOwn(QStringLiteral("announcements"))->detail.contains(QStringLiteral("forbidden")),
             qPrintable(alice.lastOwn(QStringLiteral("announcements"))->detail));
}

void tst_ChatSmoke::lostSessionIsMarkedAndRefilledFromHistory()
{
    // alice's session is forgotten 300 ms after her link drops; bob talks meanwhile.
    ServerProcess server({QStringLiteral("--session-ttl"), QStringLiteral("300")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), server.port()));
    Participant alice;
    QVERIFY(alice.signIn(proxy.url(), QStringLiteral("alice")));
    ChatSession bob;
    QVERIFY(signInHeadless(bob, server.url(), QStringLiteral("bob")));

    QVERIFY(proxy.setRefuseNewConnections(true));
    proxy.cut();
    QVERIFY(waitUntil([&] { return alice.session.state() == Tether::State::Reconnecting; }, kWaitMs));
    bob.sendText(kGeneral, QStringLiteral("said while alice was away"));
    QVERIFY(waitUntil([&] { return bob.model(kGeneral)->entry(bob.model(kGeneral)->rowCount() - 1).tick
                                   == Tick::Delivered; }, kWaitMs));
    Tether::Testing::spin(800);  // past the session TTL
    QVERIFY(proxy.setRefuseNewConnections(false));
    alice.session.retryNow();

    const Chat::RoomModel *m = alice.session.model(kGeneral);
    QVERIFY2(waitUntil([&] {
        for (int row = 0; row < m->rowCount(); ++row) {
            if (m->entry(row).kind == Entry::Gap && m->entry(row).text.contains(QStringLiteral("1 missed message")))
                return true;
        }
        return false;
    }, kWaitMs), qPrintable(m->rowCount() ? m->entry(m->rowCount() - 1).text : QString()));
    // The recovered message sits before the mark.
    int recovered = -1;
    int gap = -1;
    for (int row = 0; row < m->rowCount(); ++row) {
        if (m->entry(row).text == u"said while alice was away")
            recovered = row;
        if (m->entry(row).kind == Entry::Gap)
            gap = row;
    }
    QVERIFY(recovered >= 0);
    QVERIFY(recovered < gap);
}

void tst_ChatSmoke::historyOnJoinTypingAndPresence()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    ChatSession bob;
    QVERIFY(signInHeadless(bob, server.url(), QStringLiteral("bob")));
    bob.sendText(kGeneral, QStringLiteral("before alice came"));
    QVERIFY(waitUntil([&] { return bob.model(kGeneral)->entry(0).tick == Tick::Delivered; }, kWaitMs));

    Participant alice;
    QVERIFY(alice.signIn(server.url(), QStringLiteral("alice")));
    // History on join.
    QVERIFY(waitUntil([&] { return hasText(alice.session, kGeneral, QStringLiteral("before alice came")); }, kWaitMs));
    // Presence: the roll call finds bob, and bob learns about alice.
    QVERIFY(waitUntil([&] { return alice.session.members(kGeneral).contains(QStringLiteral("bob")); }, kWaitMs));
    QVERIFY(waitUntil([&] { return bob.members(kGeneral).contains(QStringLiteral("alice")); }, kWaitMs));

    // Typing: shown, then gone after a while without news; repeated keystrokes coalesce.
    QSignalSpy typingChanges(&alice.session, &ChatSession::typingChanged);
    for (int i = 0; i < 5; ++i)
        bob.userTyping(kGeneral);
    QVERIFY(waitUntil([&] { return alice.window.typingLabel()->text() == u"bob is typing…"; }, kWaitMs));
    QVERIFY(waitUntil([&] { return alice.window.typingLabel()->text().isEmpty(); },
                      ChatSession::kTypingShownMs + 3000));
    QCOMPARE(typingChanges.count(), 2);  // one "typing" shown (not five), one expiry

    // bob leaves: gone from alice's member list.
    bob.leaveRoom(kGeneral);
    QVERIFY(waitUntil([&] { return !alice.session.members(kGeneral).contains(QStringLiteral("bob")); }, kWaitMs));
}

QTEST_MAIN(tst_ChatSmoke)
#include "tst_chat_smoke.moc"
