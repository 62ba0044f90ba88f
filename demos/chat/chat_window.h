// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// ChatWindow: the chat's widgets over a ChatSession. A sign-in page, then the chat page:
// rooms on the left, the conversation in the middle (offline banner on top, composer at
// the bottom, typing line above it), who is in the room on the right.
//
// The window holds no chat logic: everything it shows comes from the ChatSession's
// getters and signals, so the smoke test can drive the real widgets and read the session.
#pragma once

#include "chat_session.h"

#include <QtWidgets/QMainWindow>

class QLabel;
class QLineEdit;
class QListView;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QFrame;

namespace Chat {

class ChatWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit ChatWindow(ChatSession *session, QWidget *parent = nullptr);

    // Pre-fills the sign-in form.
    void setSignInDefaults(const QUrl &url, const QString &user, const QString &token = {});
    // Where the durable outbox lives: one file for every name, or NAME.outbox in a folder
    // (the default of main.cpp); both empty: in memory only.
    void setStoreFile(const QString &path) { m_storeFile = path; }
    void setStoreDirectory(const QString &dir) { m_storeDirectory = dir; }
    // Rooms offered in the sidebar before they are joined.
    void setSuggestedRooms(const QStringList &rooms);
    // Joins `rooms` as soon as the sign-in succeeded (the first one is shown).
    void setAutoJoin(const QStringList &rooms) { m_autoJoin = rooms; }

    QString currentRoom() const { return m_currentRoom; }
    void showRoom(const QString &room);

    // The widgets a test (or the screenshot tool) operates, like a user would.
    QLineEdit *urlEdit() const { return m_urlEdit; }
    QLineEdit *nameEdit() const { return m_nameEdit; }
    QLineEdit *tokenEdit() const { return m_tokenEdit; }
    QPushButton *signInButton() const { return m_signInButton; }
    QLineEdit *composer() const { return m_composer; }
    QPushButton *sendButton() const { return m_sendButton; }
    QListView *messageView() const { return m_messages; }
    QFrame *offlineBanner() const { return m_banner; }
    QLabel *bannerText() const { return m_bannerText; }
    QLabel *typingLabel() const { return m_typing; }
    bool isChatPageShown() const;

public Q_SLOTS:
    void submitSignIn();
    void submitMessage();

private:
    QWidget *buildSignInPage();
    QWidget *buildChatPage();
    QWidget *buildSidebar();
    QWidget *buildConversation();
    QWidget *buildMembersPanel();

    void refreshRooms();
    void refreshMembers();
    void refreshTyping();
    void refreshConnection();
    void scrollToBottomSoon();

    ChatSession *m_session;
    QStringList m_suggested;
    QStringList m_autoJoin;
    QString m_currentRoom;
    bool m_stickToBottom = true;
    bool m_membersOnline = false;

    QStackedWidget *m_pages = nullptr;
    // sign-in
    QLineEdit *m_urlEdit = nullptr;
    QLineEdit *m_nameEdit = nullptr;
    QString m_storeFile;
    QString m_storeDirectory;
    QLineEdit *m_tokenEdit = nullptr;
    QPushButton *m_signInButton = nullptr;
    QLabel *m_signInError = nullptr;
    // sidebar
    QLabel *m_userLabel = nullptr;
    QLabel *m_statusLabel = nullptr;
    QListWidget *m_rooms = nullptr;
    QLineEdit *m_newRoom = nullptr;
    QPushButton *m_leaveButton = nullptr;
    // conversation
    QFrame *m_banner = nullptr;
    QLabel *m_bannerText = nullptr;
    QPushButton *m_retryButton = nullptr;
    QLabel *m_roomTitle = nullptr;
    QLabel *m_roomSubtitle = nullptr;
    QListView *m_messages = nullptr;
    QLabel *m_typing = nullptr;
    QLineEdit *m_composer = nullptr;
    QPushButton *m_sendButton = nullptr;
    // members
    QLabel *m_membersTitle = nullptr;
    QListWidget *m_members = nullptr;
};

} // namespace Chat
