// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// quickchat: a phone-sized chat in QML over the Tether module (Main.qml).
//   quickchat [ws://127.0.0.1:8080/] [--name NAME]
//   --check                CI: publish one message, exit 0 once it is Delivered (1 after 20 s)
//   --demo                 a second client ("Alice") chats along, for screenshots
//   --grab FILE --when online|offline
//                          save the window to FILE once the chat has settled in that state
//                          (Main.qml: `settledOnline`, `settledOffline`), then exit
#include <QtCore/QCommandLineParser>
#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtGui/QImage>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickWindow>

#include <cstdio>

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("url"), QStringLiteral("the Tether server"));
    parser.addOption({QStringLiteral("name"), QStringLiteral("Your name."), QStringLiteral("name"), QStringLiteral("Me")});
    parser.addOption({QStringLiteral("check"), QStringLiteral("Exit 0 once a message is delivered.")});
    parser.addOption({QStringLiteral("demo"), QStringLiteral("A second client chats along.")});
    parser.addOption({QStringLiteral("grab"), QStringLiteral("Save the window to this file."), QStringLiteral("file")});
    parser.addOption({QStringLiteral("when"), QStringLiteral("online or offline."), QStringLiteral("state"), QStringLiteral("online")});
    parser.process(app);
    const QUrl url(parser.positionalArguments().value(0, QStringLiteral("ws://127.0.0.1:8080/")));

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral(QUICKCHAT_QML_IMPORT_PATH));
    engine.setInitialProperties({{QStringLiteral("serverUrl"), url},
                                 {QStringLiteral("userName"), parser.value(QStringLiteral("name"))},
                                 {QStringLiteral("demo"), parser.isSet(QStringLiteral("demo"))},
                                 {QStringLiteral("check"), parser.isSet(QStringLiteral("check"))}});
    engine.load(QUrl(QStringLiteral("qrc:/Main.qml")));
    auto *window = engine.rootObjects().isEmpty() ? nullptr
                                                  : qobject_cast<QQuickWindow *>(engine.rootObjects().first());
    if (!window)
        return 1;

    if (parser.isSet(QStringLiteral("check"))) {
        QObject::connect(window, SIGNAL(checkPassed()), &app, SLOT(quit()));
        QTimer::singleShot(20000, &app, [] {
            std::fprintf(stderr, "quickchat: FAIL: no message delivered within 20 s\n");
            QCoreApplication::exit(1);
        });
    }
    if (parser.isSet(QStringLiteral("grab"))) {
        const QString file = parser.value(QStringLiteral("grab"));
        const QByteArray settled = parser.value(QStringLiteral("when")) == QLatin1String("offline")
            ? QByteArrayLiteral("settledOffline") : QByteArrayLiteral("settledOnline");
        auto *poll = new QTimer(&app);
        QObject::connect(poll, &QTimer::timeout, &app, [=] {
            if (!window->property(settled.constData()).toBool())
                return;
            poll->stop();
            // A moment for the last status change to be painted.
            QTimer::singleShot(1000, window, [=] {
                const bool saved = window->grabWindow().save(file);
                std::printf("quickchat: %s %s\n", saved ? "saved" : "could not save", qPrintable(file));
                QCoreApplication::exit(saved ? 0 : 1);
            });
        });
        poll->start(100);
        QTimer::singleShot(60000, &app, [] { QCoreApplication::exit(1); });
    }
    return app.exec();
}
