// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli's pure parts: the command line (every accepted and refused form) and the text
// formats (stdin line -> payload, received message -> stdout line).
#include "cli_format.h"
#include "cli_options.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QTemporaryFile>
#include <QtTest/QTest>

using namespace TetherCli;

class tst_CliOptions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refusesBadCommandLines_data();
    void refusesBadCommandLines();
    void parsesOptions();
    void parsesHeadersAndSubprotocols();
    void parsesStore();
    void requestParamsAreJson_data();
    void requestParamsAreJson();
    void rawImpliesAtMostOnce();
    void channelIsAlsoASubscription();
    void helpAndVersionNeedNoUrl();
    void usageDocumentsEveryExitCode();
    void linePayload_data();
    void linePayload();
    void receivedLine_data();
    void receivedLine();
};

static const QString kUrl = QStringLiteral("ws://127.0.0.1:1/");

void tst_CliOptions::refusesBadCommandLines_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("errorPart");
    const auto row = [](const char *name, QStringList args, const char *part) {
        QTest::addRow("%s", name) << args << QString::fromLatin1(part);
    };
    row("no url", {}, "missing URL");
    row("http url", {QStringLiteral("http://x/")}, "not a ws://");
    row("url without host", {QStringLiteral("ws://")}, "not a ws://");
    row("two urls", {kUrl, kUrl}, "one URL only");
    row("unknown long option", {kUrl, QStringLiteral("--bogus")}, "unknown option --bogus");
    row("unknown short option", {kUrl, QStringLiteral("-x")}, "unknown option -x");
    row("missing value", {kUrl, QStringLiteral("--channel")}, "needs a value");
    row("empty channel", {kUrl, QStringLiteral("--channel=")}, "non-empty");
    row("empty sub", {kUrl, QStringLiteral("--sub"), QString()}, "non-empty");
    row("channel twice", {kUrl, QStringLiteral("--channel"), QStringLiteral("a"), QStringLiteral("--channel"),
                          QStringLiteral("b")}, "given once");
    row("bad codec", {kUrl, QStringLiteral("--codec"), QStringLiteral("xml")}, "json or cbor");
    row("pin not base64", {kUrl, QStringLiteral("--pin"), QStringLiteral("not*base64")}, "--pin needs");
    row("pin of 16 bytes", {kUrl, QStringLiteral("--pin"), QStringLiteral("sha256/AAAAAAAAAAAAAAAAAAAAAA==")},
        "--pin needs");
    row("empty pin", {kUrl, QStringLiteral("--pin=")}, "--pin needs");
    row("bad events", {kUrl, QStringLiteral("--events=yaml")}, "human or json");
    row("count zero", {kUrl, QStringLiteral("--count"), QStringLiteral("0")}, "whole number");
    row("count negative", {kUrl, QStringLiteral("--count=-3")}, "whole number");
    row("count not a number", {kUrl, QStringLiteral("--count"), QStringLiteral("ten")}, "whole number");
    row("timeout too large", {kUrl, QStringLiteral("--timeout"), QStringLiteral("999999999999")}, "whole number");
    row("heartbeat zero", {kUrl, QStringLiteral("--heartbeat=0")}, "whole number");
    row("max-queue zero", {kUrl, QStringLiteral("--max-queue=0")}, "whole number");
    row("max-attempts text", {kUrl, QStringLiteral("--max-attempts=x")}, "whole number");
    row("flag with value", {kUrl, QStringLiteral("--raw=yes")}, "takes no value");
    row("token and token-cmd", {kUrl, QStringLiteral("--token"), QStringLiteral("t"), QStringLiteral("--token-cmd"),
                                QStringLiteral("echo t")}, "exclude each other");
    row("empty token", {kUrl, QStringLiteral("--token=")}, "non-empty");
    row("blank token-cmd", {kUrl, QStringLiteral("--token-cmd"), QStringLiteral("  ")}, "needs a command");
    row("missing ca file", {kUrl, QStringLiteral("--ca"), QStringLiteral("/nonexistent/ca.pem")}, "no such file");
    row("raw with channel", {kUrl, QStringLiteral("--raw"), QStringLiteral("--channel"), QStringLiteral("c")}, "no channels");
    row("raw with sub", {kUrl, QStringLiteral("--raw"), QStringLiteral("--sub"), QStringLiteral("c")}, "no channels");
    row("raw with request", {kUrl, QStringLiteral("--raw"), QStringLiteral("--request"), QStringLiteral("echo")}, "no requests");
    row("raw with cbor", {kUrl, QStringLiteral("--raw"), QStringLiteral("--codec"), QStringLiteral("cbor")}, "text frames");
    row("empty store", {kUrl, QStringLiteral("--store=")}, "needs a file path");
    row("store is a directory", {kUrl, QStringLiteral("--store"), QStringLiteral("/tmp")}, "is a directory");
    row("durability without store", {kUrl, QStringLiteral("--durability"), QStringLiteral("power")}, "needs --store");
    row("bad durability", {kUrl, QStringLiteral("--store"), QStringLiteral("/tmp/x.db"), QStringLiteral("--durability"),
                           QStringLiteral("disk")}, "crash or power");
    row("raw with store", {kUrl, QStringLiteral("--raw"), QStringLiteral("--store"), QStringLiteral("/tmp/x.db")},
        "nothing to --store");
    row("request without method", {kUrl, QStringLiteral("--request")}, "needs a value");
    row("request method is an option", {kUrl, QStringLiteral("--request"), QStringLiteral("--raw")}, "method name");
    row("request twice", {kUrl, QStringLiteral("--request"), QStringLiteral("a"), QStringLiteral("--request"),
                          QStringLiteral("b")}, "given once");
    row("request with count", {kUrl, QStringLiteral("--request"), QStringLiteral("time"), QStringLiteral("--count"),
                               QStringLiteral("1")}, "reads no stdin");
    row("request with wait-delivered", {kUrl, QStringLiteral("--request"), QStringLiteral("time"),
                                        QStringLiteral("--wait-delivered")}, "reads no stdin");
    row("request params after the method (old form)", {kUrl, QStringLiteral("--request"), QStringLiteral("echo"),
                                                        QStringLiteral("{}")}, "one URL only");
    row("params not json", {kUrl, QStringLiteral("--request"), QStringLiteral("echo"), QStringLiteral("--params"),
                            QStringLiteral("hello")}, "--params is not JSON: 'hello'");
    row("params without request", {kUrl, QStringLiteral("--params=1")}, "--params goes with --request");
    row("help-like unknown", {kUrl, QStringLiteral("--helpme")}, "unknown option --helpme");
    row("header without colon", {kUrl, QStringLiteral("--header"), QStringLiteral("Cookie")}, "NAME:VALUE");
    row("header without name", {kUrl, QStringLiteral("--header"), QStringLiteral(":v")}, "NAME:VALUE");
    row("subprotocol without raw", {kUrl, QStringLiteral("--subprotocol"), QStringLiteral("chat")}, "needs --raw");
    row("subprotocol list", {kUrl, QStringLiteral("--raw"), QStringLiteral("--subprotocol"), QStringLiteral("a,b")},
        "one token");
}

void tst_CliOptions::refusesBadCommandLines()
{
    QFETCH(QStringList, args);
    QFETCH(QString, errorPart);
    const ParseResult r = parseArguments(args);
    QVERIFY2(!r.ok(), "accepted a bad command line");
    QVERIFY2(r.error.contains(errorPart), qPrintable(r.error));
}

void tst_CliOptions::parsesOptions()
{
    const QString kPin = QString::fromLatin1(QByteArray(32, 'p').toBase64());
    QTemporaryFile ca;
    QVERIFY(ca.open());
    const ParseResult r = parseArguments(
        {kUrl, QStringLiteral("--sub"), QStringLiteral("a"), QStringLiteral("--sub=b"), QStringLiteral("--sub"),
         QStringLiteral("a"), QStringLiteral("--codec"), QStringLiteral("cbor"), QStringLiteral("--at-most-once"),
         QStringLiteral("--token-cmd"), QStringLiteral("echo tok"), QStringLiteral("--ca"), ca.fileName(),
         QStringLiteral("--pin"), kPin, QStringLiteral("--pin"), QStringLiteral("sha256/") + kPin,
         QStringLiteral("--heartbeat"), QStringLiteral("2000"), QStringLiteral("--max-queue=50"),
         QStringLiteral("--max-attempts"), QStringLiteral("3"), QStringLiteral("--count"), QStringLiteral("7"),
         QStringLiteral("--wait-delivered"), QStringLiteral("--timeout"), QStringLiteral("1500"),
         QStringLiteral("--events"), QStringLiteral("json"), QStringLiteral("-q")});
    QVERIFY2(r.ok(), qPrintable(r.error));
    const Options &o = r.options;
    QCOMPARE(o.url, QUrl(kUrl));
    QCOMPARE(o.subscriptions, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));  // no duplicate
    QCOMPARE(o.codec, WireCodec::Cbor);
    QVERIFY(o.atMostOnce);
    QCOMPARE(o.tokenCommand, QStringLiteral("echo tok"));
    QCOMPARE(o.caFile, ca.fileName());
    QCOMPARE(o.pins, (QStringList{kPin, QStringLiteral("sha256/") + kPin}));
    QCOMPARE(o.heartbeatMs, std::optional<int>(2000));
    QCOMPARE(o.maxQueue, std::optional<int>(50));
    QCOMPARE(o.maxAttempts, std::optional<int>(3));
    QCOMPARE(o.count, 7);
    QVERIFY(o.waitDelivered);
    QCOMPARE(o.timeoutMs, std::optional<int>(1500));
    QCOMPARE(o.events, EventFormat::Json);
    QVERIFY(o.quiet);
    QVERIFY(o.receives());
    QVERIFY(!o.raw);
    QVERIFY(!o.requestMethod);
    QVERIFY(o.storePath.isEmpty());
    QVERIFY(!o.durability);
}

void tst_CliOptions::parsesHeadersAndSubprotocols()
{
    const ParseResult r = parseArguments({kUrl, QStringLiteral("--raw"), QStringLiteral("--header"),
                                          QStringLiteral("X-Team: blue:green"), QStringLiteral("--header=Cookie:a=1"),
                                          QStringLiteral("--subprotocol"), QStringLiteral("chat.v2"),
                                          QStringLiteral("--subprotocol=chat.v1")});
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QList<QPair<QByteArray, QByteArray>> headers{{"X-Team", "blue:green"}, {"Cookie", "a=1"}};
    QCOMPARE(r.options.headers, headers);
    QCOMPARE(r.options.subprotocols, (QList<QByteArray>{"chat.v2", "chat.v1"}));
}

void tst_CliOptions::parsesStore()
{
    const ParseResult r = parseArguments({kUrl, QStringLiteral("--store"), QStringLiteral("/tmp/out.db"),
                                          QStringLiteral("--durability=power")});
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.options.storePath, QStringLiteral("/tmp/out.db"));
    QCOMPARE(r.options.durability, std::optional<StoreDurability>(StoreDurability::PowerSafe));
    const ParseResult crash = parseArguments({kUrl, QStringLiteral("--store=/tmp/out.db"),
                                              QStringLiteral("--durability"), QStringLiteral("crash")});
    QVERIFY2(crash.ok(), qPrintable(crash.error));
    QCOMPARE(crash.options.durability, std::optional<StoreDurability>(StoreDurability::CrashSafe));
}

void tst_CliOptions::requestParamsAreJson_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<bool>("hasParams");
    QTest::addColumn<QJsonValue>("params");
    const auto arg = [](const char *text) { return QString::fromUtf8(text); };
    QTest::addRow("object params") << QStringList{kUrl, arg("--request"), arg("echo"), arg("--params"), arg("{\"a\":1}")}
                                   << true << QJsonValue(QJsonObject{{QStringLiteral("a"), 1}});
    QTest::addRow("number params") << QStringList{kUrl, arg("--request"), arg("echo"), arg("--params=42")}
                                   << true << QJsonValue(42);
    QTest::addRow("string params") << QStringList{kUrl, arg("--params"), arg("\"hi\""), arg("--request"), arg("echo")}
                                   << true << QJsonValue(QStringLiteral("hi"));
    QTest::addRow("no params, url after") << QStringList{arg("--request"), arg("time"), kUrl} << false << QJsonValue();
    QTest::addRow("no params, option after") << QStringList{kUrl, arg("--request"), arg("time"), arg("--timeout"),
                                                            arg("100")}
                                             << false << QJsonValue();
    QTest::addRow("method via =") << QStringList{kUrl, arg("--request=echo"), arg("--params"), arg("[1,2]")}
                                  << true << QJsonValue(QJsonArray{1, 2});
}

void tst_CliOptions::requestParamsAreJson()
{
    QFETCH(QStringList, args);
    QFETCH(bool, hasParams);
    QFETCH(QJsonValue, params);
    const ParseResult r = parseArguments(args);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QVERIFY(r.options.requestMethod.has_value());
    QCOMPARE(r.options.requestParams.has_value(), hasParams);
    if (hasParams)
        QCOMPARE(*r.options.requestParams, params);
    QCOMPARE(r.options.url, QUrl(kUrl));
}

void tst_CliOptions::rawImpliesAtMostOnce()
{
    const ParseResult r = parseArguments({kUrl, QStringLiteral("--raw")});
    QVERIFY2(r.ok(), qPrintable(r.error));
    QVERIFY(r.options.raw);
    QVERIFY(r.options.atMostOnce);
    QVERIFY(!r.options.receives());
}

void tst_CliOptions::channelIsAlsoASubscription()
{
    const ParseResult r = parseArguments({kUrl, QStringLiteral("--sub"), QStringLiteral("b"),
                                          QStringLiteral("--channel"), QStringLiteral("a")});
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.options.channel, QStringLiteral("a"));
    QCOMPARE(r.options.subscriptions, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QVERIFY(r.options.receives());
}

void tst_CliOptions::helpAndVersionNeedNoUrl()
{
    QVERIFY(parseArguments({QStringLiteral("--help")}).options.help);
    QVERIFY(parseArguments({QStringLiteral("-h")}).options.help);
    QVERIFY(parseArguments({QStringLiteral("--version")}).options.version);
    QVERIFY(parseArguments({QStringLiteral("--version")}).ok());
}

void tst_CliOptions::usageDocumentsEveryExitCode()
{
    const QString usage = usageText();
    for (int code : {ExitOk, ExitInternal, ExitUsage, ExitConnectionFailed, ExitNotDelivered,
                     ExitRequestFailed, ExitTimeout, ExitInterrupted}) {
        QVERIFY2(usage.contains(QStringLiteral("\n  %1 ").arg(code)), qPrintable(QString::number(code)));
    }
    // Every option of the parser is documented.
    for (const char *option : {"--channel", "--sub", "--request", "--params", "--codec", "--raw", "--at-most-once",
                               "--token ", "--token-cmd", "--ca", "--heartbeat", "--max-queue", "--max-attempts",
                               "--count", "--wait-delivered", "--timeout", "--events", "--quiet", "--version"}) {
        QVERIFY2(usage.contains(QLatin1StringView(option)), option);
    }
}

void tst_CliOptions::linePayload_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QJsonValue>("payload");
    QTest::addRow("plain text") << QStringLiteral("hello world") << QJsonValue(QStringLiteral("hello world"));
    QTest::addRow("integer") << QStringLiteral("42") << QJsonValue(42);
    QTest::addRow("negative float") << QStringLiteral("-1.5") << QJsonValue(-1.5);
    QTest::addRow("true") << QStringLiteral("true") << QJsonValue(true);
    QTest::addRow("null") << QStringLiteral("null") << QJsonValue(QJsonValue::Null);
    QTest::addRow("quoted string") << QStringLiteral("\"quoted\"") << QJsonValue(QStringLiteral("quoted"));
    QTest::addRow("object") << QStringLiteral("{\"a\":[1,2]}")
                            << QJsonValue(QJsonObject{{QStringLiteral("a"), QJsonArray{1, 2}}});
    QTest::addRow("object with spaces") << QStringLiteral("  { \"a\" : 1 }  ")
                                        << QJsonValue(QJsonObject{{QStringLiteral("a"), 1}});
    QTest::addRow("two values are text") << QStringLiteral("1,2") << QJsonValue(QStringLiteral("1,2"));
    QTest::addRow("broken json is text") << QStringLiteral("{\"a\":") << QJsonValue(QStringLiteral("{\"a\":"));
    QTest::addRow("empty line") << QString() << QJsonValue(QString());
    QTest::addRow("CRLF line") << QStringLiteral("7\r") << QJsonValue(7);
    QTest::addRow("CRLF text") << QStringLiteral("hi\r") << QJsonValue(QStringLiteral("hi"));
    QTest::addRow("unicode") << QStringLiteral("grüße ✓") << QJsonValue(QStringLiteral("grüße ✓"));
    QTest::addRow("bracket closes early") << QStringLiteral("1],[2") << QJsonValue(QStringLiteral("1],[2"));
}

void tst_CliOptions::linePayload()
{
    QFETCH(QString, line);
    QFETCH(QJsonValue, payload);
    QCOMPARE(TetherCli::linePayload(line), payload);
}

void tst_CliOptions::receivedLine_data()
{
    QTest::addColumn<QString>("channel");
    QTest::addColumn<QString>("id");
    QTest::addColumn<QJsonValue>("payload");
    QTest::addColumn<QByteArray>("line");
    QTest::addRow("channel message") << QStringLiteral("room") << QStringLiteral("m1") << QJsonValue(42)
                                     << QByteArray(R"({"ch":"room","id":"m1","d":42})");
    QTest::addRow("direct, no id") << QString() << QString() << QJsonValue(QStringLiteral("x"))
                                   << QByteArray(R"({"ch":null,"id":null,"d":"x"})");
    QTest::addRow("object payload compact") << QStringLiteral("c") << QStringLiteral("i")
                                            << QJsonValue(QJsonObject{{QStringLiteral("k"), QJsonArray{1, true}}})
                                            << QByteArray(R"({"ch":"c","id":"i","d":{"k":[1,true]}})");
    QTest::addRow("null payload") << QStringLiteral("c") << QStringLiteral("i") << QJsonValue(QJsonValue::Null)
                                  << QByteArray(R"({"ch":"c","id":"i","d":null})");
    QTest::addRow("escapes") << QStringLiteral("a\"b") << QStringLiteral("i") << QJsonValue(QStringLiteral("l1\nl2"))
                             << QByteArray(R"({"ch":"a\"b","id":"i","d":"l1\nl2"})");
}

void tst_CliOptions::receivedLine()
{
    QFETCH(QString, channel);
    QFETCH(QString, id);
    QFETCH(QJsonValue, payload);
    QFETCH(QByteArray, line);
    QCOMPARE(TetherCli::receivedLine(channel, id, payload), line);
}

QTEST_GUILESS_MAIN(tst_CliOptions)
#include "tst_cli_options.moc"
