// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// docs/quickstart.md's program, run against the reference server: it must connect, see its
// message delivered and its request answered, and exit 0.
#include "server_process.h"

#include <QtCore/QProcess>
#include <QtTest/QtTest>

using namespace Tether::Testing;

class tst_Quickstart : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void runsAgainstTheServer();
    void failsCleanlyWithoutAServer();
};

void tst_Quickstart::runsAgainstTheServer()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    QProcess quickstart;
    quickstart.start(QStringLiteral(TETHER_QUICKSTART_BINARY), {server.url().toString()});
    QVERIFY(quickstart.waitForFinished(20000));
    const QByteArray out = quickstart.readAllStandardOutput();
    QCOMPARE(quickstart.exitStatus(), QProcess::NormalExit);
    QVERIFY2(quickstart.exitCode() == 0, out.constData());
    QVERIFY2(out.contains("connected, new session"), out.constData());
    QVERIFY2(out.contains("delivered "), out.constData());
    QVERIFY2(out.contains("echo answered: 1"), out.constData());
}

// Nothing listens: the program keeps retrying (it never exits on its own), so this only
// proves it does not crash or exit early while offline.
void tst_Quickstart::failsCleanlyWithoutAServer()
{
    QProcess quickstart;
    quickstart.start(QStringLiteral(TETHER_QUICKSTART_BINARY), {QStringLiteral("ws://127.0.0.1:1/")});
    QVERIFY(quickstart.waitForStarted(5000));
    QVERIFY(!quickstart.waitForFinished(1500));  // still running, still retrying
    quickstart.kill();
    quickstart.waitForFinished(5000);
}

QTEST_GUILESS_MAIN(tst_Quickstart)
#include "tst_quickstart.moc"
