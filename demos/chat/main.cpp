// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-chat: the desktop chat demo (docs/demos.md).
//   tether-chat [--url ws://127.0.0.1:8765/] [--name NAME] [--token T] [--room R]...
// With --url and --name it signs in at once and joins the --room rooms (default: general).
#include "chat_session.h"
#include "chat_window.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QStandardPaths>
#include <QtWidgets/QApplication>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("tether-chat"));
    QApplication::setApplicationDisplayName(QStringLiteral("Tether Chat"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Tether Chat: a desktop chat over a Tether server."));
    parser.addHelpOption();
    const QCommandLineOption urlOption(QStringLiteral("url"), QStringLiteral("Server URL."),
                                       QStringLiteral("url"), QStringLiteral("ws://127.0.0.1:8765/"));
    const QCommandLineOption nameOption(QStringLiteral("name"), QStringLiteral("Your name (signs in at once)."),
                                        QStringLiteral("name"));
    const QCommandLineOption tokenOption(QStringLiteral("token"), QStringLiteral("Token, when the server needs one."),
                                         QStringLiteral("token"));
    const QCommandLineOption roomOption(QStringLiteral("room"), QStringLiteral("Room to join (repeatable)."),
                                        QStringLiteral("room"));
    const QCommandLineOption storeOption(
        QStringLiteral("store"),
        QStringLiteral("Durable outbox file (default: NAME.outbox in the app data folder); queued "
                       "messages survive a killed or restarted chat."),
        QStringLiteral("path"));
    const QCommandLineOption noStoreOption(QStringLiteral("no-store"),
                                           QStringLiteral("Keep the outbox in memory only."));
    parser.addOptions({urlOption, nameOption, tokenOption, roomOption, storeOption, noStoreOption});
    parser.process(app);

    Chat::ChatSession session;
    Chat::ChatWindow window(&session);
    const QUrl url(parser.value(urlOption), QUrl::StrictMode);
    const QString name = parser.isSet(nameOption) ? parser.value(nameOption)
                                                  : qEnvironmentVariable("USER");
    window.setSignInDefaults(url, name, parser.value(tokenOption));
    if (parser.isSet(storeOption))
        window.setStoreFile(parser.value(storeOption));
    else if (!parser.isSet(noStoreOption))
        window.setStoreDirectory(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation));
    window.setSuggestedRooms({QStringLiteral("general"), QStringLiteral("random"),
                              QStringLiteral("announcements")});
    QStringList rooms = parser.values(roomOption);
    if (rooms.isEmpty())
        rooms = {QStringLiteral("general")};
    window.setAutoJoin(rooms);
    window.show();
    if (parser.isSet(nameOption))
        window.submitSignIn();
    return QApplication::exec();
}
