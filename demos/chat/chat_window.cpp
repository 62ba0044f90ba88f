// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "chat_window.h"

#include "message_delegate.h"

#include <QtCore/QDir>
#include <QtCore/QRegularExpression>

#include <QtCore/QTimer>
#include <QtGui/QPainter>
#include <QtWidgets/QBoxLayout>
#include <QtWidgets/QFormLayout>
#include <QtWidgets/QFrame>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QListView>
#include <QtWidgets/QListWidget>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QScrollBar>
#include <QtWidgets/QStackedWidget>
#include <QtWidgets/QStyle>

namespace Chat {

namespace {

// One light theme, in one place.
const char *const kStyle = R"(
QWidget { font-size: 10.5pt; color: #1d2129; }
QMainWindow, #chatPage, #signInPage { background: #ffffff; }
#sidebar { background: #1f2430; }
#sidebar QLabel { color: #c9d1e0; }
#appTitle { color: #ffffff; font-size: 13pt; font-weight: 600; }
#sectionTitle { color: #8a94a8; font-size: 8.5pt; font-weight: 600; letter-spacing: 1px; }
#sidebar QListWidget { background: transparent; border: none; color: #c9d1e0; outline: 0; }
#sidebar QListWidget::item { padding: 5px 8px; border-radius: 6px; }
#sidebar QListWidget::item:selected { background: #2f6fed; color: #ffffff; }
#sidebar QListWidget::item:hover:!selected { background: #2a3140; }
#sidebar QLineEdit { background: #2a3140; border: 1px solid #39425a; border-radius: 6px;
                     padding: 5px 8px; color: #e6ebf5; }
#sidebar QPushButton { background: transparent; color: #8a94a8; border: 1px solid #39425a;
                       border-radius: 6px; padding: 4px 10px; }
#sidebar QPushButton:hover { color: #ffffff; border-color: #5a6680; }
#roomHeader { border-bottom: 1px solid #e6e8ec; }
#roomTitle { font-size: 13pt; font-weight: 600; }
#roomSubtitle { color: #6b7280; }
#banner { background: #fff4ce; border-bottom: 1px solid #f0c36d; }
#banner[failed="true"] { background: #fdecec; border-bottom: 1px solid #f3a6a6; }
#bannerText { color: #5c4400; }
#banner[failed="true"] #bannerText { color: #8a1c1c; }
#banner QPushButton { background: #ffffff; border: 1px solid #d9a93a; border-radius: 6px;
                      padding: 4px 12px; color: #5c4400; font-weight: 600; }
QListView#messages { border: none; background: #ffffff; }
#typing { color: #6b7280; font-style: italic; padding-left: 18px; }
#composerBar { border-top: 1px solid #e6e8ec; }
#composer { border: 1px solid #d5d9e0; border-radius: 18px; padding: 8px 14px; background: #f7f8fa; }
#composer:focus { border-color: #2f6fed; background: #ffffff; }
#sendButton, #signInButton { background: #2f6fed; color: #ffffff; border: none; border-radius: 18px;
                             padding: 8px 20px; font-weight: 600; }
#sendButton:disabled { background: #a9c0f5; }
#membersPanel { background: #f7f8fa; border-left: 1px solid #e6e8ec; }
#membersPanel QListWidget { background: transparent; border: none; outline: 0; }
#membersPanel QListWidget::item { padding: 4px 2px; }
#signInCard { background: #ffffff; border: 1px solid #e6e8ec; border-radius: 14px; }
#signInCard QLineEdit { border: 1px solid #d5d9e0; border-radius: 8px; padding: 7px 10px; }
#signInTitle { font-size: 18pt; font-weight: 700; }
#signInHint { color: #6b7280; }
#signInError { color: #c62828; }
)";

QIcon dotIcon(const QColor &color)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawEllipse(QRectF(2, 2, 8, 8));
    return QIcon(pixmap);
}

QLabel *label(const QString &text, const char *objectName, QWidget *parent = nullptr)
{
    auto *l = new QLabel(text, parent);
    l->setObjectName(QLatin1StringView(objectName));
    return l;
}

} // namespace

ChatWindow::ChatWindow(ChatSession *session, QWidget *parent) : QMainWindow(parent), m_session(session)
{
    setWindowTitle(tr("Tether Chat"));
    setStyleSheet(QString::fromUtf8(kStyle));
    resize(1040, 660);
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(buildSignInPage());
    m_pages->addWidget(buildChatPage());
    setCentralWidget(m_pages);

    connect(m_session, &ChatSession::signedIn, this, [this] {
        m_signInError->clear();
        m_signInButton->setEnabled(true);
        setWindowTitle(tr("Tether Chat — %1").arg(m_session->user()));
        m_userLabel->setText(m_session->user());
        m_pages->setCurrentIndex(1);
        for (const QString &room : std::as_const(m_autoJoin))
            m_session->joinRoom(room);
        if (!m_autoJoin.isEmpty())
            showRoom(m_autoJoin.first());
        m_composer->setFocus();
        refreshConnection();
    });
    connect(m_session, &ChatSession::signInFailed, this, [this](const QString &why) {
        m_signInError->setText(tr("Could not sign in: %1").arg(why));
        m_signInButton->setEnabled(true);
        m_pages->setCurrentIndex(0);
    });
    connect(m_session, &ChatSession::roomsChanged, this, [this] {
        if (!m_currentRoom.isEmpty() && !m_session->isJoined(m_currentRoom)) {
            const QStringList rooms = m_session->rooms();
            showRoom(rooms.isEmpty() ? QString() : rooms.first());
        }
        refreshRooms();
    });
    connect(m_session, &ChatSession::unreadChanged, this, [this](const QString &room) {
        if (room == m_currentRoom && isChatPageShown())
            m_session->markRead(room);
        refreshRooms();
    });
    connect(m_session, &ChatSession::membersChanged, this, [this](const QString &room) {
        if (room == m_currentRoom)
            refreshMembers();
    });
    connect(m_session, &ChatSession::typingChanged, this, [this](const QString &room) {
        if (room == m_currentRoom)
            refreshTyping();
    });
    connect(m_session, &ChatSession::messageArrived, this, [this](const QString &room) {
        if (room == m_currentRoom)
            scrollToBottomSoon();
    });
    connect(m_session, &ChatSession::connectionChanged, this, &ChatWindow::refreshConnection);
    refreshConnection();
}

bool ChatWindow::isChatPageShown() const
{
    return m_pages->currentIndex() == 1;
}

void ChatWindow::setSignInDefaults(const QUrl &url, const QString &user, const QString &token)
{
    m_urlEdit->setText(url.toString());
    m_nameEdit->setText(user);
    m_tokenEdit->setText(token);
}

void ChatWindow::setSuggestedRooms(const QStringList &rooms)
{
    m_suggested = rooms;
    refreshRooms();
}

// ---- building ---------------------------------------------------------------------------

QWidget *ChatWindow::buildSignInPage()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("signInPage"));
    auto *outer = new QVBoxLayout(page);
    auto *card = new QFrame;
    card->setObjectName(QStringLiteral("signInCard"));
    card->setFixedWidth(420);
    auto *layout = new QVBoxLayout(card);
    layout->setContentsMargins(32, 28, 32, 28);
    layout->setSpacing(10);
    layout->addWidget(label(tr("Tether Chat"), "signInTitle"));
    layout->addWidget(label(tr("Messages that survive bad networks. Sign in to start."), "signInHint"));
    layout->addSpacing(8);

    auto *form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    m_urlEdit = new QLineEdit;
    m_urlEdit->setPlaceholderText(QStringLiteral("ws://127.0.0.1:8765/"));
    m_nameEdit = new QLineEdit;
    m_nameEdit->setPlaceholderText(tr("Your name"));
    m_nameEdit->setMaxLength(40);
    m_tokenEdit = new QLineEdit;
    m_tokenEdit->setPlaceholderText(tr("Only if the server requires one"));
    m_tokenEdit->setEchoMode(QLineEdit::Password);
    form->addRow(tr("Server"), m_urlEdit);
    form->addRow(tr("Name"), m_nameEdit);
    form->addRow(tr("Token"), m_tokenEdit);
    layout->addLayout(form);

    m_signInError = label(QString(), "signInError");
    m_signInError->setWordWrap(true);
    layout->addWidget(m_signInError);
    m_signInButton = new QPushButton(tr("Sign in"));
    m_signInButton->setObjectName(QStringLiteral("signInButton"));
    m_signInButton->setDefault(true);
    layout->addWidget(m_signInButton, 0, Qt::AlignRight);

    outer->addStretch();
    outer->addWidget(card, 0, Qt::AlignHCenter);
    outer->addStretch(2);

    connect(m_signInButton, &QPushButton::clicked, this, &ChatWindow::submitSignIn);
    connect(m_nameEdit, &QLineEdit::returnPressed, this, &ChatWindow::submitSignIn);
    connect(m_tokenEdit, &QLineEdit::returnPressed, this, &ChatWindow::submitSignIn);
    return page;
}

QWidget *ChatWindow::buildChatPage()
{
    auto *page = new QWidget;
    page->setObjectName(QStringLiteral("chatPage"));
    auto *layout = new QHBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(buildSidebar());
    layout->addWidget(buildConversation(), 1);
    layout->addWidget(buildMembersPanel());
    return page;
}

QWidget *ChatWindow::buildSidebar()
{
    auto *sidebar = new QFrame;
    sidebar->setObjectName(QStringLiteral("sidebar"));
    sidebar->setFixedWidth(220);
    auto *layout = new QVBoxLayout(sidebar);
    layout->setContentsMargins(14, 16, 14, 14);
    layout->setSpacing(6);
    layout->addWidget(label(tr("Tether Chat"), "appTitle"));
    auto *userRow = new QHBoxLayout;
    m_statusLabel = label(QString(), "statusDot");
    m_userLabel = label(QString(), "userName");
    userRow->addWidget(m_statusLabel);
    userRow->addWidget(m_userLabel, 1);
    layout->addLayout(userRow);
    layout->addSpacing(14);
    layout->addWidget(label(tr("ROOMS"), "sectionTitle"));

    m_rooms = new QListWidget;
    m_rooms->setObjectName(QStringLiteral("rooms"));
    layout->addWidget(m_rooms, 1);
    m_newRoom = new QLineEdit;
    m_newRoom->setPlaceholderText(tr("Join or create a room…"));
    layout->addWidget(m_newRoom);
    m_leaveButton = new QPushButton(tr("Leave room"));
    layout->addWidget(m_leaveButton, 0, Qt::AlignLeft);

    connect(m_rooms, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        const QString room = item->data(Qt::UserRole).toString();
        if (!m_session->isJoined(room))
            m_session->joinRoom(room);
        showRoom(room);
    });
    connect(m_newRoom, &QLineEdit::returnPressed, this, [this] {
        const QString room = m_newRoom->text().trimmed().remove(u' ');
        if (room.isEmpty())
            return;
        m_newRoom->clear();
        m_session->joinRoom(room);
        showRoom(room);
    });
    connect(m_leaveButton, &QPushButton::clicked, this, [this] {
        if (!m_currentRoom.isEmpty())
            m_session->leaveRoom(m_currentRoom);
    });
    return sidebar;
}

QWidget *ChatWindow::buildConversation()
{
    auto *conversation = new QWidget;
    auto *layout = new QVBoxLayout(conversation);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    m_banner = new QFrame;
    m_banner->setObjectName(QStringLiteral("banner"));
    auto *bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->setContentsMargins(18, 8, 12, 8);
    m_bannerText = label(QString(), "bannerText");
    m_bannerText->setWordWrap(true);
    m_retryButton = new QPushButton(tr("Retry now"));
    bannerLayout->addWidget(m_bannerText, 1);
    bannerLayout->addWidget(m_retryButton);
    connect(m_retryButton, &QPushButton::clicked, m_session, &ChatSession::retryNow);
    layout->addWidget(m_banner);

    auto *header = new QFrame;
    header->setObjectName(QStringLiteral("roomHeader"));
    auto *headerLayout = new QVBoxLayout(header);
    headerLayout->setContentsMargins(18, 10, 18, 10);
    headerLayout->setSpacing(0);
    m_roomTitle = label(QString(), "roomTitle");
    m_roomSubtitle = label(QString(), "roomSubtitle");
    headerLayout->addWidget(m_roomTitle);
    headerLayout->addWidget(m_roomSubtitle);
    layout->addWidget(header);

    m_messages = new QListView;
    m_messages->setObjectName(QStringLiteral("messages"));
    m_messages->setItemDelegate(new MessageDelegate(m_messages));
    m_messages->setSelectionMode(QAbstractItemView::NoSelection);
    m_messages->setFocusPolicy(Qt::NoFocus);
    m_messages->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_messages->setResizeMode(QListView::Adjust);
    m_messages->setUniformItemSizes(false);
    m_messages->setWordWrap(true);
    // Stick to the newest message while the user is at the bottom (like every chat app);
    // rows are laid out lazily, so follow the scroll range rather than the row count.
    QScrollBar *scroll = m_messages->verticalScrollBar();
    connect(scroll, &QScrollBar::valueChanged, this, [this, scroll](int value) {
        m_stickToBottom = value >= scroll->maximum() - 4;
    });
    connect(scroll, &QScrollBar::rangeChanged, this, [this, scroll](int, int max) {
        if (m_stickToBottom)
            scroll->setValue(max);
    });
    layout->addWidget(m_messages, 1);

    m_typing = label(QString(), "typing");
    m_typing->setFixedHeight(22);
    layout->addWidget(m_typing);

    auto *composerBar = new QFrame;
    composerBar->setObjectName(QStringLiteral("composerBar"));
    auto *composerLayout = new QHBoxLayout(composerBar);
    composerLayout->setContentsMargins(16, 10, 16, 12);
    m_composer = new QLineEdit;
    m_composer->setObjectName(QStringLiteral("composer"));
    m_sendButton = new QPushButton(tr("Send"));
    m_sendButton->setObjectName(QStringLiteral("sendButton"));
    composerLayout->addWidget(m_composer, 1);
    composerLayout->addWidget(m_sendButton);
    layout->addWidget(composerBar);

    connect(m_composer, &QLineEdit::returnPressed, this, &ChatWindow::submitMessage);
    connect(m_sendButton, &QPushButton::clicked, this, &ChatWindow::submitMessage);
    connect(m_composer, &QLineEdit::textEdited, this, [this](const QString &text) {
        if (!text.isEmpty() && !m_currentRoom.isEmpty())
            m_session->userTyping(m_currentRoom);
    });
    return conversation;
}

QWidget *ChatWindow::buildMembersPanel()
{
    auto *panel = new QFrame;
    panel->setObjectName(QStringLiteral("membersPanel"));
    panel->setFixedWidth(190);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(14, 16, 14, 14);
    m_membersTitle = label(QString(), "sectionTitle");
    layout->addWidget(m_membersTitle);
    m_members = new QListWidget;
    m_members->setSelectionMode(QAbstractItemView::NoSelection);
    m_members->setFocusPolicy(Qt::NoFocus);
    layout->addWidget(m_members, 1);
    return panel;
}

// ---- behaviour --------------------------------------------------------------------------

void ChatWindow::submitSignIn()
{
    const QUrl url(m_urlEdit->text().trimmed(), QUrl::StrictMode);
    const QString name = m_nameEdit->text().trimmed();
    if (!url.isValid() || (url.scheme() != u"ws" && url.scheme() != u"wss") || url.host().isEmpty()) {
        m_signInError->setText(tr("The server address starts with ws:// or wss://"));
        return;
    }
    if (name.isEmpty()) {
        m_signInError->setText(tr("Choose a name others will see"));
        return;
    }
    m_signInError->setText(tr("Connecting…"));
    m_signInButton->setEnabled(false);
    QString store = m_storeFile;
    if (store.isEmpty() && !m_storeDirectory.isEmpty()) {
        // One outbox per name: two people on one machine do not share their queues.
        QString file = name;
        file.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
        store = QDir(m_storeDirectory).filePath(file + QStringLiteral(".outbox"));
    }
    m_session->signIn({url, name, m_tokenEdit->text().trimmed(), store});
}

void ChatWindow::submitMessage()
{
    const QString text = m_composer->text().trimmed();
    if (text.isEmpty() || m_currentRoom.isEmpty())
        return;
    m_session->sendText(m_currentRoom, text);
    m_composer->clear();
    scrollToBottomSoon();
}

void ChatWindow::showRoom(const QString &room)
{
    m_currentRoom = room;
    RoomModel *model = m_session->model(room);
    m_messages->setModel(model);
    m_roomTitle->setText(room.isEmpty() ? tr("No room") : QStringLiteral("# ") + room);
    m_composer->setPlaceholderText(room.isEmpty() ? tr("Join a room to chat")
                                                  : tr("Message #%1").arg(room));
    m_composer->setEnabled(model != nullptr);
    m_sendButton->setEnabled(model != nullptr);
    m_leaveButton->setEnabled(model != nullptr);
    if (model)
        m_session->markRead(room);
    refreshRooms();
    refreshMembers();
    refreshTyping();
    scrollToBottomSoon();
}

void ChatWindow::refreshRooms()
{
    QStringList all = m_suggested;
    for (const QString &room : m_session->rooms()) {
        if (!all.contains(room))
            all.append(room);
    }
    m_rooms->clear();
    for (const QString &room : std::as_const(all)) {
        const bool joined = m_session->isJoined(room);
        const int unread = m_session->unread(room);
        QString text = QStringLiteral("# ") + room;
        if (unread > 0 && room != m_currentRoom)
            text += QStringLiteral("   %1").arg(unread);
        auto *item = new QListWidgetItem(text, m_rooms);
        item->setData(Qt::UserRole, room);
        QFont font = item->font();
        font.setBold(joined && unread > 0 && room != m_currentRoom);
        font.setItalic(!joined);
        item->setFont(font);
        item->setToolTip(joined ? tr("Joined") : tr("Click to join"));
        if (!joined)
            item->setForeground(QColor(0x7a, 0x84, 0x99));
        if (room == m_currentRoom)
            item->setSelected(true);
    }
}

void ChatWindow::refreshMembers()
{
    const QStringList members = m_session->members(m_currentRoom);
    m_membersTitle->setText(tr("IN THIS ROOM — %1").arg(members.size()));
    m_roomSubtitle->setText(members.isEmpty() ? QString()
                            : members.size() == 1 ? tr("Only you are here")
                                                  : tr("%1 people here").arg(members.size()));
    m_members->clear();
    // Offline, the list is only what we knew last: grey, not green.
    const QIcon online = dotIcon(m_session->state() == Tether::State::Connected ? QColor(0x22, 0xc5, 0x5e)
                                                                                 : QColor(0xb0, 0xb7, 0xc3));
    for (const QString &member : members) {
        auto *item = new QListWidgetItem(online, member == m_session->user()
                                                     ? tr("%1 (you)").arg(member) : member, m_members);
        Q_UNUSED(item);
    }
}

void ChatWindow::refreshTyping()
{
    const QStringList typing = m_session->typingUsers(m_currentRoom);
    if (typing.isEmpty())
        m_typing->clear();
    else if (typing.size() == 1)
        m_typing->setText(tr("%1 is typing…").arg(typing.first()));
    else if (typing.size() == 2)
        m_typing->setText(tr("%1 and %2 are typing…").arg(typing.at(0), typing.at(1)));
    else
        m_typing->setText(tr("Several people are typing…"));
}

void ChatWindow::refreshConnection()
{
    const Tether::State state = m_session->state();
    const int queued = m_session->queueDepth();
    const QString queuedText = queued == 1
        ? tr(" · 1 message queued — it will be sent when the connection is back")
        : queued > 1 ? tr(" · %1 messages queued — they will be sent when the connection is back").arg(queued)
                     : QString();
    QString text;
    bool failed = false;
    bool retry = true;
    QColor dot(0x22, 0xc5, 0x5e);
    QString status = tr("online");
    switch (state) {
    case Tether::State::Connected: {
        const qint64 rttUs = m_session->client() ? m_session->client()->lastRttUs() : -1;
        if (rttUs >= 0)
            status = tr("online · %1 ms").arg(qMax<qint64>(1, (rttUs + 500) / 1000));
        break;
    }
    case Tether::State::Idle:
    case Tether::State::Connecting:
        text = tr("Connecting to %1…").arg(m_session->url().toString()) + queuedText;
        retry = false;
        dot = QColor(0xf5, 0x9e, 0x0b);
        status = tr("connecting");
        break;
    case Tether::State::Reconnecting: {
        const qint64 ms = m_session->reconnectInMs();
        text = ms > 0 ? tr("You're offline. Reconnecting in %1 s").arg((ms + 999) / 1000)
                      : tr("You're offline. Reconnecting now…");
        text += queuedText;
        dot = QColor(0xf5, 0x9e, 0x0b);
        status = tr("offline");
        break;
    }
    case Tether::State::Failed:
    case Tether::State::Closed:
        text = tr("Disconnected: %1").arg(m_session->lastError().isEmpty() ? tr("closed by the server")
                                                                            : m_session->lastError());
        failed = true;
        dot = QColor(0xef, 0x44, 0x44);
        status = tr("disconnected");
        break;
    }
    m_banner->setVisible(!text.isEmpty() && isChatPageShown());
    m_bannerText->setText(text);
    m_retryButton->setVisible(retry);
    m_retryButton->setText(failed ? tr("Reconnect") : tr("Retry now"));
    if (m_banner->property("failed").toBool() != failed) {
        m_banner->setProperty("failed", failed);
        m_banner->style()->unpolish(m_banner);
        m_banner->style()->polish(m_banner);
        m_bannerText->style()->unpolish(m_bannerText);
        m_bannerText->style()->polish(m_bannerText);
    }
    QPixmap pixmap = dotIcon(dot).pixmap(12, 12);
    m_statusLabel->setPixmap(pixmap);
    m_userLabel->setText(m_session->user().isEmpty() ? QString()
                         : QStringLiteral("%1  <span style='color:#8a94a8'>%2</span>")
                               .arg(m_session->user().toHtmlEscaped(), status));
    if (m_membersOnline != (state == Tether::State::Connected)) {
        m_membersOnline = state == Tether::State::Connected;
        refreshMembers();
    }
    // Messages that were waiting just changed tick: repaint.
    m_messages->viewport()->update();
}

void ChatWindow::scrollToBottomSoon()
{
    m_stickToBottom = true;
    // After the view laid out the new rows.
    QTimer::singleShot(0, m_messages, [view = m_messages] { view->scrollToBottom(); });
}

} // namespace Chat
