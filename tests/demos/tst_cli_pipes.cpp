// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli in pipes against tether-server: what a script sees (stdout lines, stderr
// events, exit codes), and the promise of issue 8 — a pipeline of 10 000 lines is delivered
// in full through connection cuts and a server restart.
#include "cli_process.h"
#include "fault_proxy.h"
#include "server_process.h"
#include "test_certificates.h"
#include "wait.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QSet>
#include <QtNetwork/QTcpServer>
#include <QtWebSockets/QWebSocket>
#include <QtWebSockets/QWebSocketServer>
#include <QtTest/QTest>

using Tether::Testing::FaultProxy;
using Tether::Testing::ServerProcess;
using Tether::Testing::TestCertificates;
using Tether::Testing::waitUntil;
using TetherDemosTest::CliProcess;

namespace {

constexpr int kRunMs = 30000;     // bound for one short CLI run on a loaded machine
constexpr int kLoadMs = 90000;    // bound for the 10 000-line runs

QByteArray numberLines(int count)
{
    QByteArray data;
    for (int i = 1; i <= count; ++i)
        data += QByteArray::number(i) + '\n';
    return data;
}

quint16 unusedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();  // closed again on return: nothing listens there
}

QJsonObject lastEvent(CliProcess &cli, const QString &name)
{
    const QList<QJsonObject> events = cli.events();
    for (auto it = events.crbegin(); it != events.crend(); ++it) {
        if (it->value(QStringLiteral("event")).toString() == name)
            return *it;
    }
    return {};
}

// The stdout lines of a subscriber that are publications (not presence events).
QList<QJsonObject> publications(CliProcess &cli)
{
    QList<QJsonObject> result;
    for (const QByteArray &line : cli.stdoutLines()) {
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (!o.value(QStringLiteral("d")).toObject().contains(QStringLiteral("presence")))
            result.append(o);
    }
    return result;
}

constexpr int kLoadLines = 10000;

// The pipeline of issue 8, `seq 1 10000 | tether-cli URL --channel load --wait-delivered`,
// through `proxy` (throttled so that faults land mid-stream, yet ~5 s in all).
bool startLoadPublisher(CliProcess &publisher, FaultProxy &proxy)
{
    proxy.setBandwidth(FaultProxy::Direction::ClientToServer, 150'000);
    if (!publisher.start({proxy.url().toString(), QStringLiteral("--channel"), QStringLiteral("load"),
                          QStringLiteral("--wait-delivered"), QStringLiteral("--max-queue"), QStringLiteral("500"),
                          QStringLiteral("--events"), QStringLiteral("json")}))
        return false;
    publisher.write(numberLines(kLoadLines));
    publisher.closeStdin();
    return true;
}

// Checks (QTest macros) that the load publisher ended with every line delivered.
void verifyAllDelivered(CliProcess &publisher)
{
    QVERIFY2(publisher.waitFinished(kLoadMs), publisher.stderrText().right(2000).constData());
    QCOMPARE(publisher.exitCode(), 0);
    const QJsonObject summary = lastEvent(publisher, QStringLiteral("exit"));
    QCOMPARE(summary.value(QStringLiteral("lines")).toInt(), kLoadLines);
    QCOMPARE(summary.value(QStringLiteral("delivered")).toInt(), kLoadLines);
    QCOMPARE(summary.value(QStringLiteral("dropped")).toInt(), 0);
    // Every line has exactly one outcome event.
    QSet<int> lines;
    for (const QJsonObject &e : publisher.events()) {
        if (e.value(QStringLiteral("event")).toString() == u"delivered")
            lines.insert(e.value(QStringLiteral("line")).toInt());
    }
    QCOMPARE(lines.size(), kLoadLines);
}

} // namespace

class tst_CliPipes : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void requestPrintsResultAndExitCode_data();
    void requestPrintsResultAndExitCode();
    void linesReachSubscriberWithTheirIds();
    void exitCodes_data();
    void exitCodes();
    void notATetherServerFailsForGood();
    void interruptedBySignal();
    void tokenCommandProvidesTheToken();
    void rawModeAgainstAnyWebSocketServer();
    void wssTrustsOnlyTheGivenCaAndPins_data();
    void wssTrustsOnlyTheGivenCaAndPins();
    void atMostOnceEndsInSent();
    void tenThousandLinesThroughCutsArriveExactlyOnceInOrder();
    void tenThousandLinesSurviveAServerRestart();
};

void tst_CliPipes::initTestCase()
{
    QVERIFY2(!ServerProcess::binaryPath().isEmpty(), "this build has no tether-server");
    QVERIFY2(QFile::exists(CliProcess::binaryPath()), qPrintable(CliProcess::binaryPath()));
}

void tst_CliPipes::requestPrintsResultAndExitCode_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("stdoutLine");
    QTest::addColumn<int>("exitCode");
    QTest::addRow("echo object, json") << QStringList{QStringLiteral("--request"), QStringLiteral("echo"),
                                                      QStringLiteral("--params"), QStringLiteral("{\"a\":[1,2]}")}
                                       << QByteArray(R"({"a":[1,2]})") << 0;
    QTest::addRow("echo string, cbor") << QStringList{QStringLiteral("--codec"), QStringLiteral("cbor"),
                                                      QStringLiteral("--request"), QStringLiteral("echo"),
                                                      QStringLiteral("--params"), QStringLiteral("\"hi\"")}
                                       << QByteArray(R"("hi")") << 0;
    QTest::addRow("echo without params") << QStringList{QStringLiteral("--request"), QStringLiteral("echo")}
                                         << QByteArray("null") << 0;
    QTest::addRow("server error") << QStringList{QStringLiteral("--request"), QStringLiteral("fail"),
                                                 QStringLiteral("--params"), QStringLiteral("{\"code\":\"nope\"}")}
                                  << QByteArray() << 5;
    QTest::addRow("unknown method") << QStringList{QStringLiteral("--request"), QStringLiteral("no_such_method")}
                                    << QByteArray() << 5;
    QTest::addRow("slower than --timeout") << QStringList{QStringLiteral("--timeout"), QStringLiteral("400"),
                                                          QStringLiteral("--request"), QStringLiteral("sleep"),
                                                          QStringLiteral("--params"), QStringLiteral("{\"ms\":5000}")}
                                           << QByteArray() << 6;
}

void tst_CliPipes::requestPrintsResultAndExitCode()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, stdoutLine);
    QFETCH(int, exitCode);
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    CliProcess cli;
    QVERIFY(cli.start(QStringList{server.url().toString()} + args));
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QCOMPARE(cli.exitCode(), exitCode);
    const QList<QByteArray> out = cli.stdoutLines();
    if (stdoutLine.isEmpty())
        QVERIFY2(out.isEmpty(), out.join('\n').constData());
    else
        QCOMPARE(out, QList<QByteArray>{stdoutLine});
}

void tst_CliPipes::linesReachSubscriberWithTheirIds()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString url = server.url().toString();

    CliProcess subscriber;
    QVERIFY(subscriber.start({url, QStringLiteral("--sub"), QStringLiteral("room"), QStringLiteral("--events"),
                              QStringLiteral("json")}));
    QVERIFY2(subscriber.waitForEvent(QStringLiteral("subscribed"), kRunMs), subscriber.stderrText().constData());

    CliProcess publisher;
    QVERIFY(publisher.start({url, QStringLiteral("--channel"), QStringLiteral("room"), QStringLiteral("--wait-delivered"),
                             QStringLiteral("--events"), QStringLiteral("json")}));
    publisher.write("hello there\n{\"x\":1}\n42\n");
    publisher.closeStdin();
    QVERIFY2(publisher.waitFinished(kRunMs), publisher.stderrText().constData());
    QCOMPARE(publisher.exitCode(), 0);
    QCOMPARE(publisher.countEvents(QStringLiteral("delivered")), 3);
    QStringList sentIds;
    for (const QJsonObject &e : publisher.events()) {
        if (e.value(QStringLiteral("event")).toString() == u"queued")
            sentIds.append(e.value(QStringLiteral("id")).toString());
    }
    QCOMPARE(sentIds.size(), 3);

    QVERIFY2(waitUntil([&] { return publications(subscriber).size() >= 3; }, kRunMs),
             subscriber.stdoutLines().join('\n').constData());
    const QList<QJsonObject> got = publications(subscriber);
    QCOMPARE(got.size(), 3);
    const QJsonArray expected{QStringLiteral("hello there"), QJsonObject{{QStringLiteral("x"), 1}}, 42};
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(got.at(i).value(QStringLiteral("ch")).toString(), QStringLiteral("room"));
        QCOMPARE(got.at(i).value(QStringLiteral("id")).toString(), sentIds.at(i));  // the publisher's id
        QCOMPARE(got.at(i).value(QStringLiteral("d")), expected.at(i));
    }
    subscriber.terminate();
    QVERIFY(subscriber.waitFinished(kRunMs));
    QCOMPARE(subscriber.exitCode(), 130);
}

void tst_CliPipes::exitCodes_data()
{
    QTest::addColumn<QStringList>("serverArgs");  // empty: no server at all
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("cliArgs");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("event");            // an event the run must report

    const QStringList noServer;
    const QStringList plain{QStringLiteral("--log-level"), QStringLiteral("error")};
    QTest::addRow("0: every line delivered")
        << plain << QStringLiteral("/") << QStringList{QStringLiteral("--wait-delivered")}
        << QByteArray("a\nb\n") << 0 << QStringLiteral("delivered");
    QTest::addRow("0: no input, nothing to do")
        << plain << QStringLiteral("/") << QStringList{} << QByteArray() << 0 << QStringLiteral("stdinClosed");
    QTest::addRow("2: usage")
        << noServer << QStringLiteral("/") << QStringList{QStringLiteral("--count"), QStringLiteral("ten")}
        << QByteArray() << 2 << QString();
    QTest::addRow("3: unauthorized (no token)")
        << QStringList{QStringLiteral("--auth-secret"), QStringLiteral("s3cret")} << QStringLiteral("/")
        << QStringList{QStringLiteral("--wait-delivered")} << QByteArray("x\n") << 3 << QStringLiteral("failed");
    QTest::addRow("3: unauthorized (bad token)")
        << QStringList{QStringLiteral("--auth-secret"), QStringLiteral("s3cret")} << QStringLiteral("/")
        << QStringList{QStringLiteral("--token"), QStringLiteral("alice.1.bad"), QStringLiteral("--wait-delivered")}
        << QByteArray("x\n") << 3
        << QStringLiteral("failed");
    QTest::addRow("3: max attempts spent")
        << noServer << QStringLiteral("/")
        << QStringList{QStringLiteral("--max-attempts"), QStringLiteral("2"), QStringLiteral("--wait-delivered")}
        << QByteArray("x\n") << 3 << QStringLiteral("failed");
    QTest::addRow("4: rejected on a read-only channel")
        << QStringList{QStringLiteral("--readonly"), QStringLiteral("news.*")} << QStringLiteral("/")
        << QStringList{QStringLiteral("--channel"), QStringLiteral("news.today"), QStringLiteral("--wait-delivered")}
        << QByteArray("breaking\n") << 4 << QStringLiteral("rejected");
    QTest::addRow("4: dropped at exit without --wait-delivered")
        << noServer << QStringLiteral("/") << QStringList{} << QByteArray("x\n") << 4 << QStringLiteral("dropped");
    QTest::addRow("5: subscription refused")
        << plain << QStringLiteral("/") << QStringList{QStringLiteral("--sub"), QString(201, u'c')}
        << QByteArray() << 5 << QStringLiteral("subscribeFailed");
    QTest::addRow("6: server away past --timeout")
        << noServer << QStringLiteral("/")
        << QStringList{QStringLiteral("--wait-delivered"), QStringLiteral("--timeout"), QStringLiteral("700")}
        << QByteArray("x\n") << 6 << QStringLiteral("reconnecting");
}

void tst_CliPipes::exitCodes()
{
    QFETCH(QStringList, serverArgs);
    QFETCH(QString, path);
    QFETCH(QStringList, cliArgs);
    QFETCH(QByteArray, input);
    QFETCH(int, exitCode);
    QFETCH(QString, event);

    ServerProcess server(serverArgs);
    QUrl url;
    if (serverArgs.isEmpty()) {
        url = QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(unusedPort()).arg(path));
    } else {
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        url = server.url(path);
    }
    CliProcess cli;
    QVERIFY(cli.start(QStringList{url.toString(), QStringLiteral("--events"), QStringLiteral("json")} + cliArgs));
    cli.write(input);
    cli.closeStdin();
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QVERIFY2(cli.exitCode() == exitCode,
             qPrintable(QStringLiteral("exit %1, expected %2\n%3").arg(cli.exitCode()).arg(exitCode)
                            .arg(QString::fromUtf8(cli.stderrText()))));
    if (!event.isEmpty()) {
        QVERIFY2(cli.countEvents(event) > 0, cli.stderrText().constData());
        // The closing summary carries the same code.
        QCOMPARE(lastEvent(cli, QStringLiteral("exit")).value(QStringLiteral("code")).toInt(), exitCode);
    }
}

// A WebSocket server that speaks no Tether (it picks no subprotocol): a permanent
// ProtocolMismatch, not an endless retry loop.
void tst_CliPipes::notATetherServerFailsForGood()
{
    QWebSocketServer plain(QStringLiteral("plain"), QWebSocketServer::NonSecureMode);
    QVERIFY(plain.listen(QHostAddress::LocalHost, 0));
    QList<QWebSocket *> sockets;
    connect(&plain, &QWebSocketServer::newConnection, this, [&] {
        while (QWebSocket *socket = plain.nextPendingConnection())
            sockets.append(socket);
    });
    CliProcess cli;
    QVERIFY(cli.start({QStringLiteral("ws://127.0.0.1:%1/").arg(plain.serverPort()), QStringLiteral("--wait-delivered"),
                       QStringLiteral("--events"), QStringLiteral("json")}));
    cli.write("x\n");
    cli.closeStdin();
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QVERIFY2(cli.exitCode() == 3, cli.stderrText().constData());
    QVERIFY2(cli.stderrText().contains("\"code\":\"ProtocolMismatch\""), cli.stderrText().constData());
    qDeleteAll(sockets);
}

void tst_CliPipes::interruptedBySignal()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    CliProcess cli;
    QVERIFY(cli.start({server.url().toString(), QStringLiteral("--sub"), QStringLiteral("x"),
                       QStringLiteral("--events"), QStringLiteral("json")}));
    QVERIFY(cli.waitForEvent(QStringLiteral("subscribed"), kRunMs));
    cli.terminate();
    QVERIFY(cli.waitFinished(kRunMs));
    QCOMPARE(cli.exitCode(), 130);
    QCOMPARE(lastEvent(cli, QStringLiteral("exit")).value(QStringLiteral("reason")).toString(),
             QStringLiteral("interrupted"));
}

void tst_CliPipes::tokenCommandProvidesTheToken()
{
    const QString secret = QStringLiteral("s3cret");
    ServerProcess server({QStringLiteral("--auth-secret"), secret});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QString command = QStringLiteral("'%1' token --user cli --ttl 60 --secret %2")
                                .arg(ServerProcess::binaryPath(), secret);
    CliProcess cli;
    QVERIFY(cli.start({server.url().toString(), QStringLiteral("--token-cmd"), command,
                       QStringLiteral("--events"), QStringLiteral("json"), QStringLiteral("--request"),
                       QStringLiteral("echo"), QStringLiteral("--params=7")}));
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QCOMPARE(cli.exitCode(), 0);
    QCOMPARE(cli.stdoutLines(), QList<QByteArray>{QByteArray("7")});
    QCOMPARE(cli.countEvents(QStringLiteral("token")), 1);
    // Never log a token: the token's signature part must appear nowhere on stderr.
    const ServerProcess::ToolResult token = ServerProcess::runTool(
        {QStringLiteral("token"), QStringLiteral("--user"), QStringLiteral("cli"), QStringLiteral("--ttl"),
         QStringLiteral("60"), QStringLiteral("--secret"), secret});
    QCOMPARE(token.exitCode, 0);
    QVERIFY(!cli.stderrText().contains(token.out.split('.').value(2)));

    // A failing command: each attempt reports the failure (never a token), and the client
    // gives up after --max-attempts (exit 3).
    CliProcess failing;
    QVERIFY(failing.start({server.url().toString(), QStringLiteral("--token-cmd"), QStringLiteral("exit 7"),
                           QStringLiteral("--max-attempts"), QStringLiteral("2"),
                           QStringLiteral("--events"), QStringLiteral("json"), QStringLiteral("--request"),
                           QStringLiteral("time")}));
    QVERIFY2(failing.waitFinished(kRunMs), failing.stderrText().constData());
    QVERIFY2(failing.exitCode() == 3, failing.stderrText().constData());
    QVERIFY(failing.countEvents(QStringLiteral("tokenFailed")) > 0);
}

void tst_CliPipes::rawModeAgainstAnyWebSocketServer()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    CliProcess cli;
    QVERIFY(cli.start({server.url(QStringLiteral("/raw")).toString(), QStringLiteral("--raw"),
                       QStringLiteral("--count"), QStringLiteral("2"), QStringLiteral("--events"),
                       QStringLiteral("json")}));
    cli.write("hello\n{\"a\":1}\n");
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QCOMPARE(cli.exitCode(), 0);
    // Raw frames come back as text, exactly as typed; no channel, no id.
    const QList<QByteArray> expected{QByteArray(R"({"ch":null,"id":null,"d":"hello"})"),
                                     QByteArray(R"({"ch":null,"id":null,"d":"{\"a\":1}"})")};
    QCOMPARE(cli.stdoutLines(), expected);
    QCOMPARE(cli.countEvents(QStringLiteral("sent")), 2);
}

void tst_CliPipes::wssTrustsOnlyTheGivenCaAndPins_data()
{
    QTest::addColumn<bool>("trusted");
    QTest::addColumn<QStringList>("pins");  // "server", "spare" (a key the server does not use)
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("errorCode");
    const QString server = QStringLiteral("server");
    const QString spare = QStringLiteral("spare");
    QTest::addRow("--ca is the server's CA: answered") << true << QStringList() << 0 << QString();
    QTest::addRow("--ca is another CA: TLS error, failed for good")
        << false << QStringList() << 3 << QStringLiteral("TlsError");
    QTest::addRow("--pin the server's key: answered") << true << QStringList{server} << 0 << QString();
    QTest::addRow("--pin a wrong key and the server's as backup: answered")
        << true << QStringList{spare, server} << 0 << QString();
    QTest::addRow("--pin only a wrong key: TlsPinMismatch, failed for good")
        << true << QStringList{spare} << 3 << QStringLiteral("TlsPinMismatch");
}

void tst_CliPipes::wssTrustsOnlyTheGivenCaAndPins()
{
    QFETCH(bool, trusted);
    QFETCH(QStringList, pins);
    QFETCH(int, exitCode);
    QFETCH(QString, errorCode);
    TestCertificates certificates;
    QVERIFY2(certificates.generate(), qPrintable(certificates.errorString()));
    ServerProcess server({QStringLiteral("--tls-cert"), certificates.serverCertPath(), QStringLiteral("--tls-key"),
                          certificates.serverKeyPath(), QStringLiteral("--log-level"), QStringLiteral("error")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    // --max-attempts: should the TLS error count as temporary, the run still ends (exit 3).
    QStringList args{QStringLiteral("wss://localhost:%1/").arg(server.port()), QStringLiteral("--ca"),
                     trusted ? certificates.caCertPath() : certificates.untrustedCaPath(),
                     QStringLiteral("--max-attempts"), QStringLiteral("2"), QStringLiteral("--events"),
                     QStringLiteral("json"), QStringLiteral("--request"), QStringLiteral("echo"),
                     QStringLiteral("--params"), QStringLiteral("\"over tls\"")};
    for (const QString &which : pins) {
        const QString pin = certificates.publicKeyPin(which == QLatin1StringView("server") ? certificates.serverKeyPath()
                                                                                        : certificates.spareKeyPath());
        QVERIFY2(!pin.isEmpty(), qPrintable(certificates.errorString()));
        args << QStringLiteral("--pin") << QStringLiteral("sha256/") + pin;
    }
    CliProcess cli;
    QVERIFY(cli.start(args));
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QVERIFY2(cli.exitCode() == exitCode, cli.stderrText().constData());
    if (errorCode.isEmpty())
        QCOMPARE(cli.stdoutLines(), QList<QByteArray>{QByteArray("\"over tls\"")});
    else
        QVERIFY2(cli.stderrText().contains("\"code\":\"" + errorCode.toUtf8() + '"'), cli.stderrText().constData());
}

void tst_CliPipes::atMostOnceEndsInSent()
{
    ServerProcess server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    CliProcess cli;
    QVERIFY(cli.start({server.url().toString(), QStringLiteral("--at-most-once"), QStringLiteral("--wait-delivered"),
                       QStringLiteral("--events"), QStringLiteral("json")}));
    cli.write("1\n2\n3\n");
    cli.closeStdin();
    QVERIFY2(cli.waitFinished(kRunMs), cli.stderrText().constData());
    QCOMPARE(cli.exitCode(), 0);
    QCOMPARE(cli.countEvents(QStringLiteral("sent")), 3);
    QCOMPARE(cli.countEvents(QStringLiteral("delivered")), 0);
}

// `seq 1 10000 | tether-cli URL --channel load --wait-delivered` with the link cut twice
// midway: the publisher ends with every line delivered, and a subscriber sees each value
// exactly once, in order (resume retransmits; the server drops duplicates).
void tst_CliPipes::tenThousandLinesThroughCutsArriveExactlyOnceInOrder()
{
    ServerProcess server({QStringLiteral("--log-level"), QStringLiteral("error")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), server.port()));
    CliProcess subscriber;
    QVERIFY(subscriber.start({server.url().toString(), QStringLiteral("--sub"), QStringLiteral("load"),
                              QStringLiteral("--events"), QStringLiteral("json")}));
    QVERIFY(subscriber.waitForEvent(QStringLiteral("subscribed"), kRunMs));

    CliProcess publisher;
    QVERIFY(startLoadPublisher(publisher, proxy));
    QVERIFY2(publisher.waitForEvent(QStringLiteral("delivered"), kLoadMs, 2500),
             publisher.stderrText().right(2000).constData());
    proxy.cut();
    QVERIFY2(publisher.waitForEvent(QStringLiteral("delivered"), kLoadMs, 6000),
             publisher.stderrText().right(2000).constData());
    proxy.cut();
    verifyAllDelivered(publisher);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(publisher.countEvents(QStringLiteral("disconnected")) >= 2, "the cuts did not land mid-stream");

    QVERIFY2(waitUntil([&] { return publications(subscriber).size() >= kLoadLines; }, kLoadMs),
             qPrintable(QString::number(publications(subscriber).size())));
    const QList<QJsonObject> got = publications(subscriber);
    QCOMPARE(got.size(), kLoadLines);
    for (int i = 0; i < kLoadLines; ++i) {
        const int value = got.at(i).value(QStringLiteral("d")).toInt();
        if (value != i + 1)
            QFAIL(qPrintable(QStringLiteral("position %1 holds %2").arg(i).arg(value)));
    }
    subscriber.terminate();
    QVERIFY(subscriber.waitFinished(kRunMs));
}

// The same pipeline while the server is restarted midway (a new session: the CLI's
// unacknowledged lines are renumbered and sent again): still every line delivered.
void tst_CliPipes::tenThousandLinesSurviveAServerRestart()
{
    ServerProcess server({QStringLiteral("--log-level"), QStringLiteral("error")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    FaultProxy proxy;
    QVERIFY(proxy.start(server.host(), server.port()));
    CliProcess publisher;
    QVERIFY(startLoadPublisher(publisher, proxy));
    QVERIFY2(publisher.waitForEvent(QStringLiteral("delivered"), kLoadMs, 3000),
             publisher.stderrText().right(2000).constData());
    QVERIFY2(server.restart(), qPrintable(server.errorString()));
    verifyAllDelivered(publisher);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(publisher.countEvents(QStringLiteral("sessionLost")) == 1, "the restart did not land mid-stream");
}

QTEST_GUILESS_MAIN(tst_CliPipes)
#include "tst_cli_pipes.moc"
