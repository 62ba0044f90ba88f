#include "cli_options.h"

#include "cli_format.h"

#include <QtCore/QFileInfo>

#include <functional>

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

class Parser
{
public:
    explicit Parser(const QStringList &args) : m_args(args) {}

    ParseResult run()
    {
        while (m_pos < m_args.size() && m_result.error.isEmpty()) {
            const QString arg = m_args.at(m_pos++);
            if (arg.startsWith(u"--") && arg.size() > 2)
                option(arg);
            else if (arg == u"-h")
                m_result.options.help = true;
            else if (arg == u"-q")
                m_result.options.quiet = true;
            else if (arg.startsWith(u'-') && arg.size() > 1)
                fail(QStringLiteral("unknown option %1").arg(arg));
            else
                positional(arg);
        }
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

    // The value of `--name value` or `--name=value`.
    std::optional<QString> value(const QString &name)
    {
        if (m_inlineValue)
            return std::exchange(m_inlineValue, std::nullopt);
        if (m_pos >= m_args.size()) {
            fail(QStringLiteral("%1 needs a value").arg(name));
            return std::nullopt;
        }
        return m_args.at(m_pos++);
    }

    void intValue(const QString &name, int max, const std::function<void(int)> &set)
    {
        const std::optional<QString> text = value(name);
        if (!text)
            return;
        const std::optional<int> n = positiveInt(*text, max);
        if (!n)
            fail(QStringLiteral("%1 wants a whole number from 1 to %2, not '%3'").arg(name).arg(max).arg(*text));
        else
            set(*n);
    }

    void option(const QString &arg)
    {
        QString name = arg;
        m_inlineValue.reset();
        const qsizetype eq = arg.indexOf(u'=');
        if (eq > 0) {
            name = arg.left(eq);
            m_inlineValue = arg.mid(eq + 1);
        }
        Options &o = m_result.options;
        constexpr int kMaxMs = 24 * 3600 * 1000;
        const bool takesValue = name != u"--help" && name != u"--version" && name != u"--raw"
            && name != u"--at-most-once" && name != u"--wait-delivered" && name != u"--quiet";
        if (!takesValue && m_inlineValue) {
            fail(QStringLiteral("%1 takes no value").arg(name));
            return;
        }

        if (name == u"--help") {
            o.help = true;
        } else if (name == u"--version") {
            o.version = true;
        } else if (name == u"--raw") {
            o.raw = true;
        } else if (name == u"--at-most-once") {
            o.atMostOnce = true;
        } else if (name == u"--wait-delivered") {
            o.waitDelivered = true;
        } else if (name == u"--quiet") {
            o.quiet = true;
        } else if (name == u"--channel") {
            if (const auto v = value(name)) {
                if (!o.channel.isEmpty())
                    fail(QStringLiteral("--channel is given once (use --sub for more channels)"));
                else if (v->isEmpty())
                    fail(QStringLiteral("--channel needs a non-empty name"));
                o.channel = *v;
            }
        } else if (name == u"--sub") {
            if (const auto v = value(name)) {
                if (v->isEmpty())
                    fail(QStringLiteral("--sub needs a non-empty name"));
                else if (!o.subscriptions.contains(*v))
                    o.subscriptions.append(*v);
            }
        } else if (name == u"--request") {
            requestOption(name);
        } else if (name == u"--codec") {
            if (const auto v = value(name)) {
                if (*v == u"json")
                    o.codec = WireCodec::Json;
                else if (*v == u"cbor")
                    o.codec = WireCodec::Cbor;
                else
                    fail(QStringLiteral("--codec is json or cbor, not '%1'").arg(*v));
            }
        } else if (name == u"--events") {
            if (const auto v = value(name)) {
                if (*v == u"human")
                    o.events = EventFormat::Human;
                else if (*v == u"json")
                    o.events = EventFormat::Json;
                else
                    fail(QStringLiteral("--events is human or json, not '%1'").arg(*v));
            }
        } else if (name == u"--token") {
            if (const auto v = value(name)) {
                if (v->isEmpty())
                    fail(QStringLiteral("--token needs a non-empty token"));
                o.token = *v;
            }
        } else if (name == u"--token-cmd") {
            if (const auto v = value(name)) {
                if (v->trimmed().isEmpty())
                    fail(QStringLiteral("--token-cmd needs a command"));
                o.tokenCommand = *v;
            }
        } else if (name == u"--header") {
            if (const auto v = value(name)) {
                const qsizetype colon = v->indexOf(u':');
                const QString key = colon > 0 ? v->left(colon).trimmed() : QString();
                if (key.isEmpty() || key.contains(u' '))
                    fail(QStringLiteral("--header is NAME:VALUE, not '%1'").arg(*v));
                else
                    o.headers.append({key.toUtf8(), v->mid(colon + 1).trimmed().toUtf8()});
            }
        } else if (name == u"--subprotocol") {
            if (const auto v = value(name)) {
                if (v->isEmpty() || v->contains(u',') || v->contains(u' '))
                    fail(QStringLiteral("--subprotocol needs one token, not '%1'").arg(*v));
                else
                    o.subprotocols.append(v->toUtf8());
            }
        } else if (name == u"--ca") {
            if (const auto v = value(name)) {
                if (!QFileInfo(*v).isFile())
                    fail(QStringLiteral("--ca: no such file '%1'").arg(*v));
                o.caFile = *v;
            }
        } else if (name == u"--store") {
            if (const auto v = value(name)) {
                if (v->isEmpty())
                    fail(QStringLiteral("--store needs a file path"));
                else if (QFileInfo(*v).isDir())
                    fail(QStringLiteral("--store: '%1' is a directory; give a file path").arg(*v));
                o.storePath = *v;
            }
        } else if (name == u"--durability") {
            if (const auto v = value(name)) {
                if (*v == u"crash")
                    o.durability = StoreDurability::CrashSafe;
                else if (*v == u"power")
                    o.durability = StoreDurability::PowerSafe;
                else
                    fail(QStringLiteral("--durability: '%1' is not crash or power").arg(*v));
            }
        } else if (name == u"--heartbeat") {
            intValue(name, kMaxMs, [&o](int n) { o.heartbeatMs = n; });
        } else if (name == u"--max-queue") {
            intValue(name, 10'000'000, [&o](int n) { o.maxQueue = n; });
        } else if (name == u"--max-attempts") {
            intValue(name, 1'000'000, [&o](int n) { o.maxAttempts = n; });
        } else if (name == u"--count") {
            intValue(name, 2'000'000'000, [&o](int n) { o.count = n; });
        } else if (name == u"--timeout") {
            intValue(name, kMaxMs, [&o](int n) { o.timeoutMs = n; });
        } else {
            fail(QStringLiteral("unknown option %1").arg(name));
        }
    }

    void requestOption(const QString &name)
    {
        Options &o = m_result.options;
        const std::optional<QString> method = value(name);
        if (!method)
            return;
        if (method->isEmpty() || method->startsWith(u"--")) {
            fail(QStringLiteral("--request needs a method name"));
            return;
        }
        if (o.requestMethod) {
            fail(QStringLiteral("--request is given once"));
            return;
        }
        o.requestMethod = *method;
        // The optional params: the next argument, when it is JSON.
        if (m_pos < m_args.size()) {
            if (const std::optional<QJsonValue> params = parseJson(m_args.at(m_pos))) {
                o.requestParams = *params;
                ++m_pos;
            }
        }
    }

    void positional(const QString &arg)
    {
        Options &o = m_result.options;
        if (!o.url.isEmpty()) {
            fail(QStringLiteral("unexpected argument '%1' (one URL only)").arg(arg));
            return;
        }
        const QUrl url(arg, QUrl::StrictMode);
        const QString scheme = url.scheme();
        if (!url.isValid() || url.host().isEmpty() || (scheme != u"ws" && scheme != u"wss")) {
            fail(QStringLiteral("'%1' is not a ws:// or wss:// URL").arg(arg));
            return;
        }
        o.url = url;
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

    const QStringList &m_args;
    qsizetype m_pos = 0;
    std::optional<QString> m_inlineValue;
    ParseResult m_result;
};

} // namespace

ParseResult parseArguments(const QStringList &arguments)
{
    return Parser(arguments).run();
}

QString usageText()
{
    return QStringLiteral(
        "Usage: tether-cli URL [options]\n"
        "\n"
        "A terminal client for a Tether server (like wscat, but reliable and scriptable).\n"
        "Each line read from stdin is sent as one reliable message: as JSON when the line is\n"
        "valid JSON, else as a string. Received messages are printed to stdout, one compact\n"
        "JSON object per line: {\"ch\":CHANNEL|null,\"id\":ID|null,\"d\":PAYLOAD}. Connection\n"
        "events, delivery outcomes and errors go to stderr. The client reconnects by itself;\n"
        "messages typed while the server is away are queued and sent when it is back.\n"
        "\n"
        "Options:\n"
        "  --channel C          publish every line on channel C, and subscribe to C\n"
        "  --sub C              subscribe to channel C (repeatable)\n"
        "  --request M [JSON]   send request M (params JSON), print the result, exit\n"
        "  --codec json|cbor    wire codec (default json)\n"
        "  --raw                raw mode: any WebSocket server, each line is one text frame\n"
        "  --at-most-once       send lines at most once (no acks, no retransmission)\n"
        "  --token T            token sent in hello\n"
        "  --token-cmd CMD      run CMD (sh -c) for a token before each connection\n"
        "  --ca FILE            trust the CA certificate(s) in FILE (PEM) for wss://\n"
        "  --header K:V         an extra HTTP header on the upgrade request (repeatable)\n"
        "  --subprotocol P      with --raw: offer WebSocket subprotocol P (repeatable)\n"
        "  --heartbeat MS       heartbeat interval (default 15000, or the server's wish)\n"
        "  --store PATH         keep the outbox and the session in the SQLite file PATH:\n"
        "                       lines read survive a killed tether-cli (each one is\n"
        "                       reported persisted), and the next run with the same\n"
        "                       PATH sends them first; one tether-cli per PATH at a time\n"
        "  --durability crash|power  with --store: survive a killed process (crash,\n"
        "                       default) or power loss too (power: fsync per commit)\n"
        "  --max-queue N        outbox size in messages (default 10000); stdin is read\n"
        "                       only as fast as the queue drains\n"
        "  --max-attempts N     give up after N failed connection attempts (default: never)\n"
        "  --count N            exit after N messages received\n"
        "  --wait-delivered     at stdin EOF, wait until every message has an outcome, exit\n"
        "  --timeout MS         give up after MS milliseconds (also the request timeout)\n"
        "  --events human|json  format of the stderr events (default human)\n"
        "  -q, --quiet          no per-message outcome lines (failures are still shown)\n"
        "  -h, --help           this text\n"
        "  --version            print the versions and exit\n"
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
