// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QtQuick.Test suite of the Tether QML module (tst_*.qml in this folder), run headless
// against a real tether-server child process.
//
// The setup object starts the server once per run and hands each test file's engine:
//  - the import path of the module in this build,
//  - `testServer`: the server's URL, start/stop/restart (same port), and
//    setApplicationState(), which emits QGuiApplication::applicationStateChanged the way
//    the platform would (the module listens to the signal, not to a polled getter).
#include <server_process.h>

#include <Tether/Client>

#include <QtCore/QObject>
#include <QtCore/QTemporaryDir>
#include <QtGui/QGuiApplication>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlContext>
#include <QtQml/QQmlEngine>
#include <QtQuickTest/quicktest.h>

#include <memory>

using Tether::Testing::ServerProcess;

namespace {

QStringList g_registrationWarnings;

void recordWarning(QtMsgType, const QMessageLogContext &, const QString &message)
{
    g_registrationWarnings << message;
}

// The module's types, used once before any test file: the engine registers the enums of
// namespace Tether then, and must not print name clashes (State::Closed vs
// DropReason::Closed...). Registration happens once per process, so this runs first.
QString enumRegistrationWarnings()
{
    QQmlEngine engine;
    engine.addImportPath(QStringLiteral(TETHER_QML_IMPORT_DIR));
    QQmlComponent component(&engine);
    component.setData(QByteArrayLiteral(
        "import QtQml\nimport Tether\n"
        "QtObject { property var values: [Tether.State.Closed, Tether.DropReason.Closed,\n"
        "  Tether.TokenReason.Expired, Error.Timeout, Tether.SubscriptionStatus.Error] }\n"),
        QUrl(QStringLiteral("qrc:/enum-check.qml")));
    const QtMessageHandler previous = qInstallMessageHandler(recordWarning);
    std::unique_ptr<QObject> object(component.create());
    qInstallMessageHandler(previous);
    if (!object)
        return component.errorString();
    if (object->property("values").toList().size() != 5)
        return QStringLiteral("the enum values did not resolve");
    return g_registrationWarnings.join(QLatin1Char('\n'));
}

} // namespace

class TestServer : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString url READ url CONSTANT)
    Q_PROPERTY(QString errorString READ errorString)

public:
    using QObject::QObject;

    bool startFirst()
    {
        // Metrics and heartbeats often, so tests do not wait a second per sample.
        m_server.setExtraArgs({QStringLiteral("--metrics-interval"), QStringLiteral("100"),
                               QStringLiteral("--heartbeat"), QStringLiteral("500"),
                               QStringLiteral("--readonly"), QStringLiteral("readonly.*")});
        if (!m_server.start())
            return false;
        m_url = m_server.url(QStringLiteral("/")).toString();
        return true;
    }

    QString url() const { return m_url; }
    QString errorString() const { return m_server.errorString(); }

    // Each returns true on success; the server always comes back on the same port.
    Q_INVOKABLE bool stop() { return m_server.stop(); }
    Q_INVOKABLE bool start() { return m_server.start(m_server.port()); }
    Q_INVOKABLE bool restart() { return m_server.restart(); }
    Q_INVOKABLE bool isRunning() const { return m_server.isRunning(); }

    // A path for a store file (ClientOptions::storage) in this run's temporary directory.
    Q_INVOKABLE QString tempPath(const QString &name) const { return m_dir.filePath(name); }

    // A C++ Tether::Client made outside QML, configured in C++ (a QML Client wraps it:
    // tst_typed.qml). One per call; owned by this object.
    Q_INVOKABLE Tether::Client *makeCppClient()
    {
        Tether::ClientOptions options;
        options.backoff.initialDelay = std::chrono::milliseconds(100);
        options.backoff.initialJitter = std::chrono::milliseconds(0);
        options.statsInterval = std::chrono::milliseconds(50);
        return new Tether::Client(QUrl(m_url), options, this);
    }

    // What a C++ client was configured with and holds, as QML sees it (tst_typed.qml):
    // the enum options as numbers, the desired channels, a channel's holders.
    Q_INVOKABLE QVariantMap optionsOf(Tether::Client *client) const
    {
        const Tether::ClientOptions o = client->options();
        return {{QStringLiteral("codec"), int(o.codec)},
                {QStringLiteral("durability"), int(o.durability)},
                {QStringLiteral("jitter"), int(o.backoff.jitter)},
                {QStringLiteral("overflow"), int(o.queue.overflow)},
                {QStringLiteral("followNetwork"), client->followsNetwork()}};
    }
    Q_INVOKABLE QStringList channelsOf(Tether::Client *client) const { return client->channels(); }
    Q_INVOKABLE int holdersOf(Tether::Client *client, const QString &channel) const
    {
        return client->subscription(channel)->holders();
    }

    Q_INVOKABLE void setApplicationState(int state)
    {
        QMetaObject::invokeMethod(qApp, "applicationStateChanged", Qt::DirectConnection,
                                  Q_ARG(Qt::ApplicationState, Qt::ApplicationState(state)));
    }

private:
    ServerProcess m_server;
    QString m_url;
    QTemporaryDir m_dir;
};

class Setup : public QObject
{
    Q_OBJECT

public Q_SLOTS:
    void applicationAvailable()
    {
        if (const QString warnings = enumRegistrationWarnings(); !warnings.isEmpty())
            qFatal("the Tether QML module's types printed warnings:\n%s", qPrintable(warnings));
        m_server = std::make_unique<TestServer>();
        if (!m_server->startFirst())
            qFatal("tether-server did not start: %s", qPrintable(m_server->errorString()));
    }

    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral(TETHER_QML_IMPORT_DIR));
        engine->rootContext()->setContextProperty(QStringLiteral("testServer"), m_server.get());
    }

    void cleanupTestCase() { m_server.reset(); }

private:
    std::unique_ptr<TestServer> m_server;
};

QUICK_TEST_MAIN_WITH_SETUP(tst_qml, Setup)

#include "tst_qml.moc"
