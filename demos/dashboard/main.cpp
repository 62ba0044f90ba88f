// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-dashboard: the live metrics dashboard (qml/Main.qml) over the Tether QML module.
//
//   tether-dashboard [--url ws://host:port/]
//   tether-dashboard --url ... --screenshot out.png --when connected|offline [--settle ms]
//
// The screenshot mode (used by screenshot.sh) grabs the window once the dashboard is in
// the asked state — connected with a metrics sample, or offline with the banner shown —
// plus `settle` ms for animations, saves it and exits (exit code 1 on timeout).
#include <QtCore/QCommandLineParser>
#include <QtCore/QDir>
#include <QtCore/QElapsedTimer>
#include <QtCore/QTimer>
#include <QtCore/QUrl>
#include <QtGui/QGuiApplication>
#include <QtGui/QImage>
#include <QtQml/QQmlApplicationEngine>
#include <QtQuick/QQuickWindow>

#include <cstdio>

namespace {

// The dashboard's QML state, read through objectNames set in Main.qml.
bool reached(QObject *root, const QString &when)
{
    QObject *client = root->findChild<QObject *>(QStringLiteral("client"));
    QObject *channel = root->findChild<QObject *>(QStringLiteral("metricsChannel"));
    QObject *banner = root->findChild<QObject *>(QStringLiteral("offlineBanner"));
    if (!client || !channel || !banner)
        return false;
    const bool connected = client->property("state").toInt() == 2;
    if (when == QLatin1StringView("offline"))
        return !connected && banner->property("offline").toBool();
    return connected && channel->property("received").toInt() >= 2;
}

} // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("tether-dashboard"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Tether dashboard"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Live dashboard of a tether-server's metrics channel."));
    parser.addHelpOption();
    const QCommandLineOption urlOption(QStringLiteral("url"), QStringLiteral("Server URL."),
                                       QStringLiteral("url"), QStringLiteral("ws://127.0.0.1:8765/"));
    const QCommandLineOption shotOption(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a screenshot to <file> and exit."),
                                        QStringLiteral("file"));
    const QCommandLineOption whenOption(QStringLiteral("when"),
                                        QStringLiteral("Screenshot once 'connected' or 'offline'."),
                                        QStringLiteral("state"), QStringLiteral("connected"));
    const QCommandLineOption settleOption(QStringLiteral("settle"),
                                          QStringLiteral("Wait <ms> after reaching the state."),
                                          QStringLiteral("ms"), QStringLiteral("1500"));
    const QCommandLineOption timeoutOption(QStringLiteral("timeout"),
                                           QStringLiteral("Give up after <ms> (screenshot mode)."),
                                           QStringLiteral("ms"), QStringLiteral("120000"));
    parser.addOptions({urlOption, shotOption, whenOption, settleOption, timeoutOption});
    parser.process(app);

    QQmlApplicationEngine engine;
    // The module's import path in this build, then next to the executable (installed).
    engine.addImportPath(QStringLiteral(TETHER_QML_IMPORT_DIR));
    engine.addImportPath(QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("qml")));
    engine.setInitialProperties({{QStringLiteral("serverUrl"), parser.value(urlOption)}});
    engine.load(QUrl(QStringLiteral("qrc:/dashboard/qml/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 2;

    if (!parser.isSet(shotOption))
        return app.exec();

    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    const QString file = parser.value(shotOption);
    const QString when = parser.value(whenOption);
    const int settle = parser.value(settleOption).toInt();
    const qint64 timeout = parser.value(timeoutOption).toLongLong();
    QElapsedTimer clock;
    clock.start();
    QTimer poll;
    poll.setInterval(100);
    QObject::connect(&poll, &QTimer::timeout, &app, [&] {
        if (clock.elapsed() > timeout) {
            std::fprintf(stderr, "tether-dashboard: state '%s' not reached in %lld ms\n",
                         qPrintable(when), static_cast<long long>(timeout));
            QCoreApplication::exit(1);
            return;
        }
        if (!window || !reached(window, when))
            return;
        poll.stop();
        QTimer::singleShot(settle, &app, [&] {
            const QImage image = window->grabWindow();
            const bool saved = image.save(file);
            std::fprintf(stderr, "tether-dashboard: %s %s (%dx%d)\n", saved ? "saved" : "could not save",
                         qPrintable(file), image.width(), image.height());
            QCoreApplication::exit(saved ? 0 : 1);
        });
    });
    poll.start();
    return app.exec();
}
