// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The dashboard demo (demos/dashboard/qml/Main.qml) loads without a single QML warning,
// connects to a real tether-server, shows its metrics, and shows / hides the offline
// banner when the server goes away and comes back.
#include <server_process.h>
#include <wait.h>

#include <QtCore/QDir>
#include <QtCore/QPointer>
#include <QtQml/QQmlComponent>
#include <QtQml/QQmlEngine>
#include <QtQuick/QQuickWindow>
#include <QtTest/QtTest>

#include <memory>

using Tether::Testing::ServerProcess;
using Tether::Testing::waitUntil;

namespace {

QStringList g_messages;  // warnings and worse, from Qt or QML, while a test runs
QtMessageHandler g_previous = nullptr;

void collect(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type != QtDebugMsg && type != QtInfoMsg)
        g_messages << message;
    g_previous(type, context, message);
}

} // namespace

class tst_Dashboard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init() { g_messages.clear(); }
    void cleanup();
    void loadsWithoutWarnings();
    void showsMetricsAndOfflineBanner();

private:
    QObject *load();

    ServerProcess m_server{{QStringLiteral("--metrics-interval"), QStringLiteral("100"),
                            QStringLiteral("--heartbeat"), QStringLiteral("500")}};
    std::unique_ptr<QQmlEngine> m_engine;
    std::unique_ptr<QObject> m_root;
};

void tst_Dashboard::initTestCase()
{
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    g_previous = qInstallMessageHandler(collect);
}

void tst_Dashboard::cleanup()
{
    m_root.reset();
    m_engine.reset();
    if (!m_server.isRunning())
        QVERIFY(m_server.start(m_server.port()));
}

QObject *tst_Dashboard::load()
{
    m_engine = std::make_unique<QQmlEngine>();
    m_engine->addImportPath(QStringLiteral(TETHER_QML_IMPORT_DIR));
    const QString main = QDir(qEnvironmentVariable("TETHER_SOURCE_DIR", QStringLiteral(TETHER_SOURCE_DIR)))
                             .filePath(QStringLiteral("demos/dashboard/qml/Main.qml"));
    QQmlComponent component(m_engine.get(), QUrl::fromLocalFile(main));
    if (!component.isReady()) {
        qWarning("%s", qPrintable(component.errorString()));
        return nullptr;
    }
    m_root.reset(component.createWithInitialProperties(
        {{QStringLiteral("serverUrl"), m_server.url(QStringLiteral("/")).toString()}}));
    return m_root.get();
}

void tst_Dashboard::loadsWithoutWarnings()
{
    QObject *root = load();
    QVERIFY2(root, qPrintable(g_messages.join(u'\n')));
    QVERIFY(qobject_cast<QQuickWindow *>(root));
    QObject *channel = root->findChild<QObject *>(QStringLiteral("metricsChannel"));
    QVERIFY(channel);
    // Run long enough for every binding to see real data (connect, backfill, samples).
    QVERIFY(waitUntil([&] { return channel->property("received").toInt() >= 3; }, 10000));
    QTest::qWait(300);
    QVERIFY2(g_messages.isEmpty(), qPrintable(g_messages.join(u'\n')));
}

void tst_Dashboard::showsMetricsAndOfflineBanner()
{
    QObject *root = load();
    QVERIFY(root);
    QObject *client = root->findChild<QObject *>(QStringLiteral("client"));
    QObject *banner = root->findChild<QObject *>(QStringLiteral("offlineBanner"));
    QObject *state = root->findChild<QObject *>(QStringLiteral("statusState"));
    QVERIFY(client && banner && state);

    QVERIFY(waitUntil([&] { return client->property("state").toInt() == 2; }, 10000));
    QVERIFY(waitUntil([&] { return state->property("text").toString() == QLatin1StringView("Connected"); }, 2000));
    QCOMPARE(banner->property("offline").toBool(), false);

    QVERIFY(m_server.stop());
    QVERIFY(waitUntil([&] { return banner->property("offline").toBool(); }, 5000));
    QObject *message = root->findChild<QObject *>(QStringLiteral("offlineMessage"));
    QVERIFY(message);
    QVERIFY2(message->property("text").toString().contains(QLatin1StringView("Offline")),
             qPrintable(message->property("text").toString()));
    QVERIFY(waitUntil([&] { return banner->property("visible").toBool(); }, 2000));

    QVERIFY(m_server.start(m_server.port()));
    // The banner's "Retry now" path: try at once instead of waiting out the backoff.
    QMetaObject::invokeMethod(client, "notifyNetworkChanged");
    QVERIFY(waitUntil([&] { return client->property("state").toInt() == 2; }, 10000));
    QVERIFY(waitUntil([&] { return !banner->property("visible").toBool(); }, 3000));
    QVERIFY2(g_messages.isEmpty(), qPrintable(g_messages.join(u'\n')));
}

QTEST_MAIN(tst_Dashboard)

#include "tst_dashboard.moc"
