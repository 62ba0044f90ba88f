// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli and tether-server as a user meets them: every refused command line and every
// startup failure, run as a real process, with its exit code and the words of its error
// (issue 16: recorded before the switch to QCommandLineParser, unchanged after it), and the
// generated --help listing every option.
#include "cli_process.h"

#include <server_process.h>

#include <QtCore/QProcess>
#include <QtCore/QTemporaryDir>
#include <QtNetwork/QTcpServer>
#include <QtTest/QTest>

using namespace TetherDemosTest;
using Tether::Testing::ServerProcess;

namespace {

constexpr int kRunMs = 15000;

struct Run {
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run run(const QString &binary, const QStringList &args)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("TETHER_AUTH_SECRET"));  // the "no secret" row needs none
    process.setProcessEnvironment(env);
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(binary, args);
    Run r;
    r.finished = process.waitForFinished(kRunMs);
    if (!r.finished) {
        process.kill();
        process.waitForFinished(kRunMs);
    }
    r.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    r.out = process.readAllStandardOutput();
    r.err = process.readAllStandardError();
    return r;
}

QString binaryOf(const QString &tool)
{
    return tool == u"cli" ? CliProcess::binaryPath() : ServerProcess::binaryPath();
}

QString describe(const Run &r)
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3")
        .arg(r.exitCode)
        .arg(QString::fromUtf8(r.out), QString::fromUtf8(r.err));
}

} // namespace

class tst_ToolExitCodes : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refusedCommandLines_data();
    void refusedCommandLines();
    void helpAndVersion_data();
    void helpAndVersion();
    void serverStartupFailures();
    void tokenIsPrinted();
};

// Usage errors: exit 2, nothing on stdout, the reason on stderr.
void tst_ToolExitCodes::refusedCommandLines_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("errorPart");
    const auto row = [](const char *tool, const char *name, const QStringList &args, int code, const char *part) {
        QTest::addRow("%s: %s", tool, name) << QString::fromLatin1(tool) << args << code << QString::fromUtf8(part);
    };
    const QString url = QStringLiteral("ws://127.0.0.1:1/");
    const auto s = [](const char *text) { return QString::fromUtf8(text); };

    row("cli", "no url", {}, 2, "missing URL");
    row("cli", "http url", {s("http://x/")}, 2, "not a ws://");
    row("cli", "two urls", {url, url}, 2, "one URL only");
    row("cli", "unknown long option", {url, s("--bogus")}, 2, "unknown option --bogus");
    row("cli", "unknown short option", {url, s("-x")}, 2, "unknown option -x");
    row("cli", "missing value", {url, s("--channel")}, 2, "--channel needs a value");
    row("cli", "empty channel", {url, s("--channel=")}, 2, "--channel needs a non-empty name");
    row("cli", "channel twice", {url, s("--channel=a"), s("--channel=b")}, 2, "--channel is given once");
    row("cli", "empty sub", {url, s("--sub"), QString()}, 2, "--sub needs a non-empty name");
    row("cli", "bad codec", {url, s("--codec"), s("xml")}, 2, "--codec is json or cbor, not 'xml'");
    row("cli", "bad events", {url, s("--events=yaml")}, 2, "--events is human or json, not 'yaml'");
    row("cli", "count not a number", {url, s("--count"), s("ten")}, 2, "--count wants a whole number from 1 to");
    row("cli", "timeout zero", {url, s("--timeout=0")}, 2, "--timeout wants a whole number from 1 to");
    row("cli", "flag with a value", {url, s("--raw=yes")}, 2, "--raw takes no value");
    row("cli", "token and token-cmd", {url, s("--token=t"), s("--token-cmd=echo t")}, 2, "exclude each other");
    row("cli", "missing ca file", {url, s("--ca"), s("/nonexistent/ca.pem")}, 2, "--ca: no such file");
    row("cli", "raw with channel", {url, s("--raw"), s("--channel=c")}, 2, "--raw has no channels");
    row("cli", "store is a directory", {url, s("--store"), s("/tmp")}, 2, "is a directory");
    row("cli", "durability without store", {url, s("--durability=power")}, 2, "--durability needs --store");
    row("cli", "bad durability", {url, s("--store=/tmp/x.db"), s("--durability=disk")}, 2, "not crash or power");
    row("cli", "request without method", {url, s("--request")}, 2, "--request needs a value");
    row("cli", "request method is an option", {url, s("--request"), s("--raw")}, 2, "--request needs a method name");
    row("cli", "request twice", {url, s("--request=a"), s("--request=b")}, 2, "--request is given once");
    row("cli", "params not json", {url, s("--request=echo"), s("--params=hello")}, 2, "--params is not JSON");
    row("cli", "request with count", {url, s("--request=time"), s("--count=1")}, 2, "--request reads no stdin");

    row("server", "unknown option", {s("--bogus")}, 2, "unknown option '--bogus'");
    row("server", "stray argument", {s("extra")}, 2, "'extra'");
    row("server", "missing value", {s("--port")}, 2, "--port needs a value");
    row("server", "port out of range", {s("--port"), s("70000")}, 2, "--port expects an integer in 0..65535 (got '70000')");
    row("server", "port not a number", {s("--port=abc")}, 2, "--port expects an integer in 0..65535 (got 'abc')");
    row("server", "empty host", {s("--host=")}, 2, "--host expects a non-empty value");
    row("server", "max-frame too small", {s("--max-frame=10")}, 2, "--max-frame expects an integer in 64..");
    row("server", "negative rate", {s("--rate=-1")}, 2, "--rate expects a number of frames per second >= 0");
    row("server", "burst below 1", {s("--burst=0")}, 2, "--burst expects a number >= 1");
    row("server", "ack delay above 50", {s("--ack-delay=51")}, 2, "--ack-delay expects an integer in 0..50");
    row("server", "empty readonly", {s("--readonly=")}, 2, "--readonly expects a channel pattern");
    row("server", "acl without users", {s("--acl"), s("room")}, 2, "--acl expects PATTERN=user1,user2");
    row("server", "bad log level", {s("--log-level=loud")}, 2, "--log-level expects error, warn, info or debug (got 'loud')");
    row("server", "cert without key", {s("--tls-cert=/tmp/c.pem")}, 2, "--tls-cert and --tls-key go together");
    row("server", "redis: not a redis url", {s("--redis=http://h")}, 2, "--redis expects redis://HOST[:PORT][/DB]");
    row("server", "redis: credentials", {s("--redis=redis://u@h")}, 2, "(no credentials)");
    row("server", "redis: bad port", {s("--redis=redis://h:0")}, 2, "bad port in redis://h:0");
    row("server", "redis: bad db", {s("--redis=redis://h/16")}, 2, "bad database number");
    row("server", "bad node id", {s("--node-id"), s("a b")}, 2, "--node-id expects 1..64 characters");
    row("server", "token: no user", {s("token"), s("--secret=s")}, 2, "--user is required");
    row("server", "token: no secret", {s("token"), s("--user=u")}, 2, "no secret: pass --secret S or set TETHER_AUTH_SECRET");
    row("server", "token: bad user", {s("token"), s("--user=a b"), s("--secret=s")}, 2, "--user must be 1..64 characters");
    row("server", "token: bad ttl", {s("token"), s("--user=u"), s("--secret=s"), s("--ttl=x")}, 2, "--ttl expects an integer");
    row("server", "token: unknown option", {s("token"), s("--port=1")}, 2, "unknown option '--port'");
}

void tst_ToolExitCodes::refusedCommandLines()
{
    QFETCH(QString, tool);
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, errorPart);
    const Run r = run(binaryOf(tool), args);
    QVERIFY2(r.finished, qPrintable(describe(r)));
    QVERIFY2(r.exitCode == exitCode, qPrintable(describe(r)));
    QVERIFY2(QString::fromUtf8(r.err).contains(errorPart), qPrintable(describe(r)));
    QVERIFY2(r.out.isEmpty(), qPrintable(describe(r)));
    // A bad option points to the help (the token sub-command prints its usage).
    if (args.value(0) != u"token")
        QVERIFY2(r.err.contains("--help"), qPrintable(describe(r)));
}

// Exit 0 and the text on stdout; --help lists every option the tool accepts.
void tst_ToolExitCodes::helpAndVersion_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("mentions");
    const auto words = [](const char *text) { return QString::fromUtf8(text).split(u' '); };
    const QStringList cliOptions = words(
        "--channel --sub --request --params --codec --raw --at-most-once --token --token-cmd --ca --heartbeat "
        "--store --durability --max-queue --max-attempts --count --wait-delivered --timeout --events --quiet "
        "--help --version");
    const QStringList cliExitCodes = words("0 1 2 3 4 5 6 130");
    const QStringList serverOptions = words(
        "--host --port --tls-cert --tls-key --max-frame --max-connections --max-per-ip --rate --burst --history "
        "--session-ttl --session-buffer --max-sessions --max-channels --readonly --acl --heartbeat --ping-interval "
        "--hello-timeout --ack-delay --auth-secret --ledger --metrics-interval --log-level --redis --node-id --help");
    QTest::addRow("cli --help") << QStringLiteral("cli") << QStringList{QStringLiteral("--help")}
                                << cliOptions + cliExitCodes;
    QTest::addRow("cli -h") << QStringLiteral("cli") << QStringList{QStringLiteral("-h")} << cliOptions;
    QTest::addRow("cli --version") << QStringLiteral("cli") << QStringList{QStringLiteral("--version")}
                                   << words("tether-cli Tether Qt");
    QTest::addRow("server --help") << QStringLiteral("server") << QStringList{QStringLiteral("--help")}
                                   << serverOptions + words("token");
    QTest::addRow("server -h") << QStringLiteral("server") << QStringList{QStringLiteral("-h")} << serverOptions;
    QTest::addRow("server token --help") << QStringLiteral("server")
                                         << QStringList{QStringLiteral("token"), QStringLiteral("--help")}
                                         << words("--user --ttl --secret TETHER_AUTH_SECRET");
}

void tst_ToolExitCodes::helpAndVersion()
{
    QFETCH(QString, tool);
    QFETCH(QStringList, args);
    QFETCH(QStringList, mentions);
    const Run r = run(binaryOf(tool), args);
    QVERIFY2(r.finished && r.exitCode == 0, qPrintable(describe(r)));
    const QString out = QString::fromUtf8(r.out);
    for (const QString &word : mentions)
        QVERIFY2(out.contains(word), qPrintable(word + QStringLiteral(" missing from:\n") + out));
}

// Failures after the command line was accepted: exit 1 with the reason, no "listening".
void tst_ToolExitCodes::serverStartupFailures()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    const Run busy = run(ServerProcess::binaryPath(),
                         {QStringLiteral("--port"), QString::number(taken.serverPort())});
    QVERIFY2(busy.finished && busy.exitCode == 1, qPrintable(describe(busy)));
    QVERIFY2(busy.err.contains("cannot listen on 127.0.0.1:" + QByteArray::number(taken.serverPort())),
             qPrintable(describe(busy)));
    QVERIFY2(!busy.out.contains("listening"), qPrintable(describe(busy)));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const Run noCert = run(ServerProcess::binaryPath(),
                           {QStringLiteral("--port=0"), QStringLiteral("--tls-cert"), dir.filePath(QStringLiteral("no.pem")),
                            QStringLiteral("--tls-key"), dir.filePath(QStringLiteral("no.key"))});
    QVERIFY2(noCert.finished && noCert.exitCode == 1, qPrintable(describe(noCert)));
    QVERIFY2(noCert.err.contains("cannot listen"), qPrintable(describe(noCert)));

    // tether-cli: a --ca file that exists but holds no certificate is refused before connecting.
    QTemporaryDir cliDir;
    QFile notPem(cliDir.filePath(QStringLiteral("ca.txt")));
    QVERIFY(notPem.open(QIODevice::WriteOnly));
    notPem.write("not a certificate\n");
    notPem.close();
    const Run badCa = run(CliProcess::binaryPath(),
                          {QStringLiteral("wss://127.0.0.1:1/"), QStringLiteral("--ca"), notPem.fileName()});
    QVERIFY2(badCa.finished && badCa.exitCode == 2, qPrintable(describe(badCa)));
    QVERIFY2(badCa.err.contains("--ca: no PEM certificate in"), qPrintable(describe(badCa)));
}

void tst_ToolExitCodes::tokenIsPrinted()
{
    const Run r = run(ServerProcess::binaryPath(), {QStringLiteral("token"), QStringLiteral("--user"),
                                                    QStringLiteral("alice"), QStringLiteral("--ttl"),
                                                    QStringLiteral("60"), QStringLiteral("--secret=s3cret")});
    QVERIFY2(r.finished && r.exitCode == 0, qPrintable(describe(r)));
    QVERIFY2(r.out.startsWith("alice.") && r.out.endsWith('\n') && r.out.count('.') == 2, qPrintable(describe(r)));
    QVERIFY(r.err.isEmpty());
}

QTEST_GUILESS_MAIN(tst_ToolExitCodes)
#include "tst_tool_exit_codes.moc"
