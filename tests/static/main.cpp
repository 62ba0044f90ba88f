// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// A statically linked Tether application (tests/static/CMakeLists.txt): exit 0 when the
// C++ API and the QML module both work from the static libraries, else 1 with the reason.
#include <Tether/Client>

#include <QtCore/QUrl>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlEngine>
#include <QtQml/QQmlExtensionPlugin>

#include <cstdio>
#include <memory>

Q_IMPORT_QML_PLUGIN(TetherPlugin)

namespace {

int fail(const QString &why)
{
    std::fprintf(stderr, "tether-static-consumer: %s\n", qPrintable(why));
    return 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);

    // C++: the SDK's code and meta-objects are in this executable.
    if (QByteArray(Tether::version()).isEmpty())
        return fail(QStringLiteral("Tether::version() is empty"));
    Tether::Client client(QUrl(QStringLiteral("ws://127.0.0.1:9/")));
    if (QString::fromLatin1(client.metaObject()->className()) != u"Tether::Client")
        return fail(QStringLiteral("unexpected meta-object %1").arg(QString::fromLatin1(client.metaObject()->className())));
    if (client.state() != Tether::State::Idle)
        return fail(QStringLiteral("a new client is not idle"));
    client.open();
    if (client.state() == Tether::State::Idle)
        return fail(QStringLiteral("open() left the client idle"));
    client.close();

    // QML: `import Tether` from the static plugin (no import path holds the module).
    QQmlEngine engine;
    QQmlComponent component(&engine, QUrl(QStringLiteral("qrc:/consumer/main.qml")));
    std::unique_ptr<QObject> root(component.create());
    if (!root)
        return fail(component.errorString());
    QObject *qmlClient = root->property("client").value<QObject *>();
    if (!qmlClient || !root->property("typed").toBool())
        return fail(QStringLiteral("the QML Client is missing or did not take its url"));
    std::printf("static consumer: Tether %s, QML type %s\n", Tether::version(), qmlClient->metaObject()->className());
    return 0;
}
