// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "cli_options.h"

#include "cli_format.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QFileInfo>

#include <algorithm>
#include <functional>
#include <iterator>

namespace TetherCli {

namespace {

// A strictly positive integer within [1, max], or nullopt.
std::optional<int> positiveInt(const QString &text, int max)
{
    bool ok = false;
    const qlonglong value = text.toLongLong(&ok);
    if (!ok || value < 1 || value > max)
        return std::nullopt;
    return int(value);
}

constexpr int kMaxMs = 24 * 3600 * 1000;

// The options, in the order --help lists them. Flags have no value name.
struct OptionSpec {
    const char *names;      // "q,quiet": the short name first
    const char *valueName;  // nullptr: a flag
    const char *description;
};

constexpr OptionSpec kOptions[] = {
    {"channel", "C", "Publish every line on channel C, and subscribe to C."},
    {"sub", "C", "Subscribe to channel C (repeatable)."},
    {"request", "M", "Send request M, print its result on stdout, exit."},
    {"params", "JSON", "The params of --request (any JSON value)."},
    {"codec", "json|cbor", "Wire codec (default json)."},
    {"raw", nullptr, "Raw mode: any WebSocket server, each line is one text frame."},
    {"at-most-once", nullptr, "Send lines at most once (no acks, no retransmission)."},
    {"token", "T", "Token sent in hello."},
    {"token-cmd", "CMD", "Run CMD (sh -c) for a token before each connection."},
    {"ca", "FILE", "Trust the CA certificate(s) in FILE (PEM) for wss://."},
    {"pin", "SHA256",
     "wss://: accept the server only if its chain holds a key with this SPKI SHA-256 pin (base64, "
     "'sha256/' optional; repeatable: give a backup pin too)."},
    {"header", "K:V", "An extra HTTP header on the upgrade request (repeatable)."},
    {"subprotocol", "P", "With --raw: offer WebSocket subprotocol P (repeatable)."},
    {"heartbeat", "MS", "Heartbeat interval (default 15000, or the server's wish)."},
    {"store", "PATH",
     "Keep the outbox and the session in the SQLite file PATH: lines read survive a killed tether-cli "
     "(each one is reported persisted), and the next run with the same PATH sends them first; one "
     "tether-cli per PATH at a time."},
    {"durability", "crash|power",
     "With --store: survive a killed process (crash, default) or power loss too (power: fsync per commit)."},
    {"max-queue", "N", "Outbox size in messages (default 10000); stdin is read only as fast as the queue drains."},
    {"max-attempts", "N", "Give up after N failed connection attempts (default: never)."},
    {"count", "N", "Exit after N messages received."},
    {"wait-delivered", nullptr, "At stdin EOF, wait until every message has an outcome, exit."},
    {"timeout", "MS", "Give up after MS milliseconds (also the request timeout)."},
    {"events", "human|json", "Format of the stderr events (default human)."},
    {"q,quiet", nullptr, "No per-message outcome lines (failures are still shown)."},
    {"version", nullptr, "Print the versions and exit."},
};

void addOptions(QCommandLineParser &parser)
{
    parser.setApplicationDescription(QStringLiteral(
        "A terminal client for a Tether server (like wscat, but reliable and scriptable).\n"
        "Each line read from stdin is sent as one reliable message: as JSON when the line is\n"
        "valid JSON, else as a string. Received messages are printed to stdout, one compact\n"
        "JSON object per line: {\"ch\":CHANNEL|null,\"id\":ID|null,\"d\":PAYLOAD}. Connection\n"
        "events, delivery outcomes and errors go to stderr. The client reconnects by itself;\n"
        "messages typed while the server is away are queued and sent when it is back."));
    parser.addPositionalArgument(QStringLiteral("URL"), QStringLiteral("ws://host:port/path or wss://..."));
    parser.addHelpOption();
    for (const OptionSpec &spec : kOptions) {
        QCommandLineOption option(QString::fromLatin1(spec.names).split(u','), QString::fromLatin1(spec.description));
        if (spec.valueName)
            option.setValueName(QString::fromLatin1(spec.valueName));
        parser.addOption(option);
    }
}

// QCommandLineParser's own wording for the two errors it finds itself ("Missing value
// after...") is replaced by ours, so the messages stay what they were: a first pass finds
// them the way the parser reads the arguments.
QString shapeError(const QCommandLineParser &parser, const QStringList &args)
{
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args.at(i);
        if (arg == u"--")
            break;
        if (!arg.startsWith(u"--") || arg.size() == 2)
            continue;
        const qsizetype eq = arg.indexOf(u'=');
        const QString name = arg.mid(2, eq < 0 ? -1 : eq - 2);
        const auto spec = std::find_if(std::begin(kOptions), std::end(kOptions), [&name](const OptionSpec &s) {
            return QString::fromLatin1(s.names).split(u',').contains(name);
        });
        const bool known = spec != std::end(kOptions);
        const bool takesValue = known && spec->valueName;
        if (known && !takesValue && eq >= 0)
            return QStringLiteral("--%1 takes no value").arg(name);
        if (takesValue && eq < 0) {
            if (i + 1 == args.size())
                return QStringLiteral("--%1 needs a value").arg(name);
            ++i;  // the value, whatever it looks like
        }
    }
    if (!parser.unknownOptionNames().isEmpty()) {
        const QString name = parser.unknownOptionNames().constFirst();
        return QStringLiteral("unknown option %1%2").arg(name.size() == 1 ? QStringLiteral("-") : QStringLiteral("--"), name);
    }
    return parser.errorText();
}

class Reader
{
public:
    explicit Reader(const QCommandLineParser &parser) : m_parser(parser) {}

    ParseResult run()
    {
        Options &o = m_result.options;
        o.help = m_parser.isSet(QStringLiteral("help")) || m_parser.isSet(QStringLiteral("help-all"));
        o.version = m_parser.isSet(QStringLiteral("version"));
        o.raw = m_parser.isSet(QStringLiteral("raw"));
        o.atMostOnce = m_parser.isSet(QStringLiteral("at-most-once"));
        o.waitDelivered = m_parser.isSet(QStringLiteral("wait-delivered"));
        o.quiet = m_parser.isSet(QStringLiteral("quiet"));
        channels();
        request();
        choices();
        credentials();
        store();
        intValue(QStringLiteral("heartbeat"), kMaxMs, [&o](int n) { o.heartbeatMs = n; });
        intValue(QStringLiteral("max-queue"), 10'000'000, [&o](int n) { o.maxQueue = n; });
        intValue(QStringLiteral("max-attempts"), 1'000'000, [&o](int n) { o.maxAttempts = n; });
        intValue(QStringLiteral("count"), 2'000'000'000, [&o](int n) { o.count = n; });
        intValue(QStringLiteral("timeout"), kMaxMs, [&o](int n) { o.timeoutMs = n; });
        url();
        if (m_result.error.isEmpty())
            validate();
        return m_result;
    }

private:
    void fail(const QString &why)
    {
        if (m_result.error.isEmpty())
            m_result.error = why;
    }

    // The value of a single-valued option (the last one given), or nullopt when absent.
    std::optional<QString> value(const QString &name) const
    {
        if (!m_parser.isSet(name))
            return std::nullopt;
        return m_parser.value(name);
    }

    void intValue(const QString &name, int max, const std::function<void(int)> &set)
    {
        const std::optional<QString> text = value(name);
        if (!text)
            return;
        const std::optional<int> n = positiveInt(*text, max);
        if (!n)
            fail(QStringLiteral("--%1 wants a whole number from 1 to %2, not '%3'").arg(name).arg(max).arg(*text));
        else
            set(*n);
    }

    void channels()
    {
        Options &o = m_result.options;
        const QStringList channel = m_parser.values(QStringLiteral("channel"));
        if (channel.size() > 1)
            fail(QStringLiteral("--channel is given once (use --sub for more channels)"));
        else if (channel.size() == 1 && channel.constFirst().isEmpty())
            fail(QStringLiteral("--channel needs a non-empty name"));
        else if (channel.size() == 1)
            o.channel = channel.constFirst();
        for (const QString &sub : m_parser.values(QStringLiteral("sub"))) {
            if (sub.isEmpty())
                fail(QStringLiteral("--sub needs a non-empty name"));
            else if (!o.subscriptions.contains(sub))
                o.subscriptions.append(sub);
        }
    }

    void request()
    {
        Options &o = m_result.options;
        const QStringList methods = m_parser.values(QStringLiteral("request"));
        if (methods.size() > 1)
            return fail(QStringLiteral("--request is given once"));
        if (methods.size() == 1) {
            if (methods.constFirst().isEmpty() || methods.constFirst().startsWith(u"--"))
                return fail(QStringLiteral("--request needs a method name"));
            o.requestMethod = methods.constFirst();
        }
        if (const std::optional<QString> params = value(QStringLiteral("params"))) {
            if (!o.requestMethod)
                return fail(QStringLiteral("--params goes with --request"));
            const std::optional<QJsonValue> json = parseJson(*params);
            if (!json)
                return fail(QStringLiteral("--params is not JSON: '%1'").arg(*params));
            o.requestParams = *json;
        }
    }

    void choices()
    {
        Options &o = m_result.options;
        if (const auto v = value(QStringLiteral("codec"))) {
            if (*v == u"json")
                o.codec = WireCodec::Json;
            else if (*v == u"cbor")
                o.codec = WireCodec::Cbor;
            else
                fail(QStringLiteral("--codec is json or cbor, not '%1'").arg(*v));
        }
        if (const auto v = value(QStringLiteral("events"))) {
            if (*v == u"human")
                o.events = EventFormat::Human;
            else if (*v == u"json")
                o.events = EventFormat::Json;
            else
                fail(QStringLiteral("--events is human or json, not '%1'").arg(*v));
        }
    }

    void credentials()
    {
        Options &o = m_result.options;
        if (const auto v = value(QStringLiteral("token"))) {
            if (v->isEmpty())
                fail(QStringLiteral("--token needs a non-empty token"));
            o.token = *v;
        }
        if (const auto v = value(QStringLiteral("token-cmd"))) {
            if (v->trimmed().isEmpty())
                fail(QStringLiteral("--token-cmd needs a command"));
            o.tokenCommand = *v;
        }
        if (const auto v = value(QStringLiteral("ca"))) {
            if (!QFileInfo(*v).isFile())
                fail(QStringLiteral("--ca: no such file '%1'").arg(*v));
            o.caFile = *v;
        }
        for (const QString &v : m_parser.values(QStringLiteral("pin"))) {
            // The SDK refuses a bad pin at open(); here it is a usage error (exit 2) instead.
            const QString digest = v.startsWith(QLatin1StringView("sha256/")) ? v.mid(7) : v;
            const auto decoded = QByteArray::fromBase64Encoding(digest.toLatin1(),
                                                                QByteArray::AbortOnBase64DecodingErrors);
            if (!decoded || decoded.decoded.size() != 32)
                fail(QStringLiteral("--pin needs a base64 SHA-256 digest (44 characters), not '%1'").arg(v));
            else
                o.pins.append(v);
        }
        for (const QString &v : m_parser.values(QStringLiteral("header"))) {
            const qsizetype colon = v.indexOf(u':');
            const QString key = colon > 0 ? v.left(colon).trimmed() : QString();
            if (key.isEmpty() || key.contains(u' '))
                fail(QStringLiteral("--header is NAME:VALUE, not '%1'").arg(v));
            else
                o.headers.append({key.toUtf8(), v.mid(colon + 1).trimmed().toUtf8()});
        }
        for (const QString &v : m_parser.values(QStringLiteral("subprotocol"))) {
            if (v.isEmpty() || v.contains(u',') || v.contains(u' '))
                fail(QStringLiteral("--subprotocol needs one token, not '%1'").arg(v));
            else
                o.subprotocols.append(v.toUtf8());
        }
    }

    void store()
    {
        Options &o = m_result.options;
        if (const auto v = value(QStringLiteral("store"))) {
            if (v->isEmpty())
                fail(QStringLiteral("--store needs a file path"));
            else if (QFileInfo(*v).isDir())
                fail(QStringLiteral("--store: '%1' is a directory; give a file path").arg(*v));
            o.storePath = *v;
        }
        if (const auto v = value(QStringLiteral("durability"))) {
            if (*v == u"crash")
                o.durability = StoreDurability::CrashSafe;
            else if (*v == u"power")
                o.durability = StoreDurability::PowerSafe;
            else
                fail(QStringLiteral("--durability: '%1' is not crash or power").arg(*v));
        }
    }

    void url()
    {
        const QStringList positional = m_parser.positionalArguments();
        if (positional.size() > 1)
            return fail(QStringLiteral("unexpected argument '%1' (one URL only)").arg(positional.at(1)));
        if (positional.isEmpty())
            return;
        const QString &arg = positional.constFirst();
        const QUrl url(arg, QUrl::StrictMode);
        const QString scheme = url.scheme();
        if (!url.isValid() || url.host().isEmpty() || (scheme != u"ws" && scheme != u"wss"))
            return fail(QStringLiteral("'%1' is not a ws:// or wss:// URL").arg(arg));
        m_result.options.url = url;
    }

    void validate()
    {
        Options &o = m_result.options;
        if (o.help || o.version)
            return;
        if (o.url.isEmpty())
            return fail(QStringLiteral("missing URL (ws://host:port/ or wss://...)"));
        if (!o.token.isEmpty() && !o.tokenCommand.isEmpty())
            return fail(QStringLiteral("--token and --token-cmd exclude each other"));
        if (!o.subprotocols.isEmpty() && !o.raw)
            return fail(QStringLiteral("--subprotocol needs --raw (Tether mode offers the codec's own)"));
        if (o.raw) {
            if (!o.channel.isEmpty() || !o.subscriptions.isEmpty())
                return fail(QStringLiteral("--raw has no channels (--channel/--sub)"));
            if (o.requestMethod)
                return fail(QStringLiteral("--raw has no requests (--request)"));
            if (o.codec == WireCodec::Cbor)
                return fail(QStringLiteral("--raw sends the lines as text frames: no --codec"));
            o.atMostOnce = true;  // raw frames are never acknowledged
        }
        if (o.durability && o.storePath.isEmpty())
            return fail(QStringLiteral("--durability needs --store"));
        if (o.raw && !o.storePath.isEmpty())
            return fail(QStringLiteral("--raw sends at most once: nothing to --store"));
        if (o.requestMethod && (o.count > 0 || o.waitDelivered || !o.channel.isEmpty()))
            return fail(QStringLiteral("--request reads no stdin: no --channel, --count or --wait-delivered"));
        if (!o.channel.isEmpty() && !o.subscriptions.contains(o.channel))
            o.subscriptions.prepend(o.channel);
    }

    const QCommandLineParser &m_parser;
    ParseResult m_result;
};

} // namespace

ParseResult parseArguments(const QStringList &arguments)
{
    QCommandLineParser parser;
    addOptions(parser);
    if (!parser.parse(QStringList{QStringLiteral("tether-cli")} + arguments)) {
        ParseResult refused;
        refused.error = shapeError(parser, arguments);
        return refused;
    }
    return Reader(parser).run();
}

QString usageText()
{
    QCommandLineParser parser;
    addOptions(parser);
    QString text = parser.helpText();
    // helpText() names the program by its path as started; the usage line names the tool.
    text.replace(0, text.indexOf(u'\n'), QStringLiteral("Usage: tether-cli [options] URL"));
    return text + QStringLiteral(
        "\n"
        "When stdin ends: with --wait-delivered, exit once every message has an outcome;\n"
        "else, when subscribed or with --count, keep receiving; else exit at once (messages\n"
        "still queued are reported dropped).\n"
        "\n"
        "Exit codes:\n"
        "  0    success: every message delivered (request answered, --count reached)\n"
        "  1    internal error\n"
        "  2    usage error\n"
        "  3    connection failed for good (unauthorized, not a Tether server, TLS not\n"
        "       trusted, --max-attempts spent) or closed by the server\n"
        "  4    a message was rejected, dropped or left without an outcome\n"
        "  5    the request (or a subscription) failed\n"
        "  6    --timeout elapsed\n"
        "  130  interrupted (SIGINT/SIGTERM)\n");
}

} // namespace TetherCli
