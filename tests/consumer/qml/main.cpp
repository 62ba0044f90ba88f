// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-consumer-qml[-linked] URL: loads main.qml, which imports the QML module "Tether"
// from the installed import path (Tether_QML_IMPORT_PATH of the CMake package) and makes a
// round trip with a running tether-server. The exit code is the one main.qml passes to
// Qt.exit(); gives up after 20 s. Built twice (see CMakeLists.txt): without and with
// Tether::Qml linked.
#include <QtCore/QTimer>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlEngine>

#include <cstdio>
#include <memory>

#if defined(CONSUMER_QML_LINKED)
// The installed C++ headers of the QML types (libtether-dev): the root object is a
// Tether::Qml::QmlClient, and its C++ client is reachable from here.
#include <TetherQml/qmlclient.h>
#endif

int main(int argc, char **argv)
{
    QGuiApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: tether-consumer-qml ws://host:port\n");
        return 2;
    }

    QQmlEngine engine;
    engine.addImportPath(QStringLiteral(CONSUMER_QML_IMPORT_PATH));
    QObject::connect(&engine, &QQmlEngine::exit, &app, &QCoreApplication::exit);
    QObject::connect(&engine, &QQmlEngine::quit, &app, [] { QCoreApplication::exit(1); });

    QQmlComponent component(&engine, QUrl::fromLocalFile(QStringLiteral(CONSUMER_QML_FILE)));
    if (!component.isReady()) {
        std::fprintf(stderr, "tether-consumer-qml: FAIL: %s\n", qPrintable(component.errorString()));
        return 1;
    }
    std::unique_ptr<QObject> root(component.createWithInitialProperties(
        {{QStringLiteral("serverUrl"), QUrl(QString::fromLocal8Bit(argv[1]))}}));
    if (!root) {
        std::fprintf(stderr, "tether-consumer-qml: FAIL: %s\n", qPrintable(component.errorString()));
        return 1;
    }
#if defined(CONSUMER_QML_LINKED)
    auto *client = qobject_cast<Tether::Qml::QmlClient *>(root.get());
    if (!client || !client->client()) {
        std::fprintf(stderr, "tether-consumer-qml: FAIL: the root is not a Tether::Qml::QmlClient with a client\n");
        return 1;
    }
#endif
    QTimer::singleShot(20000, &app, [] {
        std::fprintf(stderr, "tether-consumer-qml: FAIL: timed out\n");
        QCoreApplication::exit(1);
    });
    return app.exec();
}
