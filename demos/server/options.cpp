// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "options.h"

#include "jwt_auth.h"

#include <QtCore/QCommandLineParser>
#include <QtCore/QStringList>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include <unistd.h>

namespace TetherServer {

namespace {

bool parseInteger(const char *text, std::int64_t min, std::int64_t max, std::int64_t &out)
{
    if (!text || !*text)
        return false;
    errno = 0;
    char *end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    out = value;
    return true;
}

bool parseNumber(const char *text, double min, double max, double &out)
{
    if (!text || !*text)
        return false;
    errno = 0;
    char *end = nullptr;
    const double value = std::strtod(text, &end);
    if (errno != 0 || *end != '\0' || !(value >= min && value <= max))
        return false;
    out = value;
    return true;
}

// One flag: how to consume its value. Returns false with `error` set on a bad value.
using Setter = std::function<bool(const char *value, std::string &error)>;

Setter integerFlag(std::int64_t &target, std::int64_t min, std::int64_t max)
{
    return [&target, min, max](const char *value, std::string &error) {
        if (parseInteger(value, min, max, target))
            return true;
        error = "expects an integer in " + std::to_string(min) + ".." + std::to_string(max);
        return false;
    };
}

Setter intFlag(int &target, int min, int max)
{
    return [&target, min, max](const char *value, std::string &error) {
        std::int64_t v = 0;
        if (parseInteger(value, min, max, v)) {
            target = int(v);
            return true;
        }
        error = "expects an integer in " + std::to_string(min) + ".." + std::to_string(max);
        return false;
    };
}

// A flag with exactly two values, `first` or `second` (in that order in its error);
// `target` is whether it was `trueValue`.
Setter eitherFlag(bool &target, const char *first, const char *second, const char *trueValue)
{
    return [&target, first, second, trueValue](const char *value, std::string &error) {
        if (std::strcmp(value, first) != 0 && std::strcmp(value, second) != 0) {
            error = std::string("must be ") + first + " or " + second;
            return false;
        }
        target = std::strcmp(value, trueValue) == 0;
        return true;
    };
}

Setter stringFlag(std::string &target)
{
    return [&target](const char *value, std::string &error) {
        if (!*value) {
            error = "expects a non-empty value";
            return false;
        }
        target = value;
        return true;
    };
}

// One option: its name (without "--"), value name and help line, and how to take its value.
struct Flag {
    const char *name;
    const char *valueName;
    const char *help;
    Setter set;
};

void addFlags(QCommandLineParser &parser, const std::vector<Flag> &flags, const char *description)
{
    parser.setApplicationDescription(QString::fromUtf8(description));
    parser.addHelpOption();
    for (const Flag &flag : flags) {
        QCommandLineOption option(QString::fromLatin1(flag.name), QString::fromUtf8(flag.help));
        option.setValueName(QString::fromLatin1(flag.valueName));
        parser.addOption(option);
    }
}

std::string usageOf(const std::vector<Flag> &flags, const char *description, const char *usageLine)
{
    QCommandLineParser parser;
    addFlags(parser, flags, description);
    QString text = parser.helpText();
    // helpText() names the program by its path as started; the usage line names the tool.
    text.replace(0, text.indexOf(u'\n'), QString::fromUtf8(usageLine));
    return text.toStdString();
}

// QCommandLineParser reads the arguments; the errors keep the wording this server has
// always used (the parser's own "Missing value after..." is found first, the same way).
ParseOutcome runParser(int argc, char **argv, int first, const std::vector<Flag> &flags, const char *description,
                       std::string &error)
{
    QStringList args{QStringLiteral("tether-server")};
    for (int i = first; i < argc; ++i)
        args.append(QString::fromLocal8Bit(argv[i]));
    QCommandLineParser parser;
    addFlags(parser, flags, description);
    const auto known = [&flags](const QString &name) {
        return std::any_of(flags.begin(), flags.end(), [&name](const Flag &f) { return name == QLatin1StringView(f.name); });
    };
    if (!parser.parse(args)) {
        for (qsizetype i = 1; i < args.size(); ++i) {
            const QString &arg = args.at(i);
            if (arg == u"--help" || arg == u"-h")
                return ParseOutcome::Help;
            if (!arg.startsWith(u"--") || arg.contains(u'='))
                continue;
            if (known(arg.mid(2)) && i + 1 == args.size()) {
                error = arg.toStdString() + " needs a value";
                return ParseOutcome::Error;
            }
            ++i;  // the value
        }
        const QStringList unknown = parser.unknownOptionNames();
        error = unknown.isEmpty() ? parser.errorText().toStdString()
                                  : "unknown option '" + std::string(unknown.constFirst().size() == 1 ? "-" : "--")
                                        + unknown.constFirst().toStdString() + "'";
        return ParseOutcome::Error;
    }
    if (parser.isSet(QStringLiteral("help")) || parser.isSet(QStringLiteral("help-all")))
        return ParseOutcome::Help;
    if (!parser.positionalArguments().isEmpty()) {
        error = "unknown option '" + parser.positionalArguments().constFirst().toStdString() + "'";
        return ParseOutcome::Error;
    }
    // In the order given: a repeated flag's values apply in order, and the first bad value
    // is the one reported.
    std::map<QString, qsizetype> used;
    for (const QString &name : parser.optionNames()) {
        const auto flag = std::find_if(flags.begin(), flags.end(), [&name](const Flag &f) {
            return name == QLatin1StringView(f.name);
        });
        if (flag == flags.end())
            continue;
        const std::string value = parser.values(name).value(used[name]++).toStdString();
        std::string why;
        if (!flag->set(value.c_str(), why)) {
            error = "--" + std::string(flag->name) + " " + why + " (got '" + value + "')";
            return ParseOutcome::Error;
        }
    }
    return ParseOutcome::Run;
}

// Reads the JWT key files named on the command line into `o`.
bool loadJwtOptions(Options &o, std::string &error)
{
    if (!loadJwtKeys(o.jwtHs256SecretFile, o.jwtRs256PublicKeyFile, o.jwtKeys, error))
        return false;
    if (o.jwtKeys.empty() && (!o.jwtPolicy.audience.empty() || !o.jwtPolicy.issuer.empty())) {
        error = std::string(o.jwtPolicy.audience.empty() ? "--jwt-issuer" : "--jwt-audience")
                + " needs --jwt-hs256-secret-file or --jwt-rs256-public-key";
        return false;
    }
    return true;
}

} // namespace

namespace {

constexpr const char *kServeDescription =
    "Reference server of the Tether protocol v1 and v1.1 (see demos/server/README.md).\n"
    "Prints 'listening on <host>:<port>' on stdout when ready.\n"
    "Sub-command: tether-server token --user U --ttl SECONDS [--secret S] (see token --help).";
constexpr const char *kServeUsage = "Usage: tether-server [options]\n       tether-server token --user U --ttl SECONDS [--secret S]";
constexpr const char *kTokenDescription =
    "Prints a token 'user.expiry.signature' valid for SECONDS.\n"
    "The secret defaults to $TETHER_AUTH_SECRET.";
constexpr const char *kTokenUsage = "Usage: tether-server token --user U --ttl SECONDS [--secret S]";

// The serve options, in the order --help lists them; values land in `o` (the port and
// the log level in their own variables, checked after all flags were read).
std::vector<Flag> serveFlags(Options &o, std::int64_t &port, std::string &logLevel)
{
    return {
        {"host", "H", "Address to bind (127.0.0.1).", stringFlag(o.host)},
        {"port", "N", "TCP port, 0 = any free port (8765).", integerFlag(port, 0, 65535)},
        {"tls-cert", "FILE", "Certificate chain (PEM): serve wss:// (with --tls-key).", stringFlag(o.tlsCert)},
        {"tls-key", "FILE", "Private key (PEM) of --tls-cert.", stringFlag(o.tlsKey)},
        {"tls-client-ca", "FILE", "Require client certificates signed by this CA (PEM).", stringFlag(o.tlsClientCa)},
        {"max-frame", "BYTES", "Largest incoming frame (1048576); larger -> close 1009.",
         integerFlag(o.maxFrame, 64, std::int64_t(1) << 30)},
        {"protocol", "VERSION", "Highest protocol version spoken: 1 or 1.1 (1.1: batches).",
         eitherFlag(o.v11, "1", "1.1", "1.1")},
        {"compression", "on|off", "Offer compressed v1.1 batches, tether.v1.1.*+deflate (on).",
         eitherFlag(o.compression, "on", "off", "on")},
        {"compression-threshold", "BYTES", "Smallest batch sent compressed (0: every batch).",
         integerFlag(o.compressionThreshold, 0, std::int64_t(1) << 30)},
        {"max-connections", "N", "Connections held at once (20000).", intFlag(o.maxConnections, 1, 1000000)},
        {"max-per-ip", "N", "Connections per client IP, 0 = no limit (256; loopback not limited unless given).",
         intFlag(o.maxPerIp, 0, 1000000)},
        {"max-frame-rate", "N", "WebSocket frames/s per connection, 0 = off (10000).",
         intFlag(o.maxFrameRate, 0, 100000000)},
        {"max-subscriptions", "N", "Channels one session may subscribe to, 0 = off (1000).",
         intFlag(o.maxSubscriptions, 0, 10000000)},
        {"handshake-timeout", "MS", "Time allowed for the HTTP upgrade (5000).",
         integerFlag(o.handshakeTimeoutMs, 1000, std::int64_t(3600) * 1000)},
        {"rate", "N", "Frames/s per session, token bucket, 0 = off (0).", [&o](const char *v, std::string &e) {
             if (parseNumber(v, 0, 1e9, o.rate))
                 return true;
             e = "expects a number of frames per second >= 0";
             return false;
         }},
        {"burst", "N", "Bucket size (= rate).", [&o](const char *v, std::string &e) {
             if (parseNumber(v, 1, 1e9, o.burst))
                 return true;
             e = "expects a number >= 1";
             return false;
         }},
        {"history", "N", "Publications kept per channel (100).", intFlag(o.history, 0, 100000)},
        {"session-ttl", "MS", "Detached session lifetime (120000).",
         integerFlag(o.sessionTtlMs, 0, std::int64_t(86400) * 1000)},
        {"session-buffer", "N", "Unacked server messages per session (10000).", intFlag(o.sessionBuffer, 1, 10000000)},
        {"max-sessions", "N", "Sessions held, attached or detached (100000).", intFlag(o.maxSessions, 1, 10000000)},
        {"max-channels", "N", "Channels held (100000).", intFlag(o.maxChannels, 1, 10000000)},
        {"readonly", "PATTERN", "Read-only channel glob ('*' wildcard), repeatable.",
         [&o](const char *v, std::string &e) {
             if (!*v) {
                 e = "expects a channel pattern";
                 return false;
             }
             o.readonly.emplace_back(v);
             return true;
         }},
        {"acl", "PATTERN=U1,U2", "Only these token users may use matching channels, repeatable.",
         [&o](const char *v, std::string &e) {
             const std::string text = v;
             const auto eq = text.find('=');
             if (eq == 0 || eq == std::string::npos) {
                 e = "expects PATTERN=user1,user2";
                 return false;
             }
             std::vector<std::string> users;
             size_t from = eq + 1;
             while (from <= text.size()) {
                 const auto comma = std::min(text.find(',', from), text.size());
                 if (comma > from)
                     users.push_back(text.substr(from, comma - from));
                 from = comma + 1;
             }
             o.acl.emplace_back(text.substr(0, eq), std::move(users));
             return true;
         }},
        {"heartbeat", "MS", "Heartbeat interval announced in welcome.hb (15000).",
         integerFlag(o.heartbeatMs, 0, std::int64_t(3600) * 1000)},
        {"ping-interval", "MS", "Server pings idle connections, 0 = off (0).",
         integerFlag(o.pingIntervalMs, 0, std::int64_t(3600) * 1000)},
        {"hello-timeout", "MS", "Time allowed before hello (10000).",
         integerFlag(o.helloTimeoutMs, 1, std::int64_t(3600) * 1000)},
        {"ack-delay", "MS", "Ack batching delay, 0..50 (20).", integerFlag(o.ackDelayMs, 0, 50)},
        {"auth-secret", "S", "Require HMAC-SHA256 tokens.", stringFlag(o.authSecret)},
        {"jwt-hs256-secret-file", "FILE", "Accept (and require) JWTs signed HS256 with this secret.",
         stringFlag(o.jwtHs256SecretFile)},
        {"jwt-rs256-public-key", "FILE", "Accept (and require) JWTs signed RS256 with this public key (PEM).",
         stringFlag(o.jwtRs256PublicKeyFile)},
        {"jwt-audience", "A", "JWTs must name A in 'aud'.", stringFlag(o.jwtPolicy.audience)},
        {"jwt-issuer", "I", "JWTs must have 'iss' equal to I.", stringFlag(o.jwtPolicy.issuer)},
        {"jwt-leeway", "SECONDS", "Clock skew allowed on 'exp' and 'nbf' (30).",
         integerFlag(o.jwtPolicy.leewaySeconds, 0, 3600)},
        {"ledger", "FILE", "Append every accepted reliable client message to FILE (tests).", stringFlag(o.ledgerPath)},
        {"metrics-interval", "MS", "Period of the 'metrics' channel (1000).",
         integerFlag(o.metricsIntervalMs, 10, std::int64_t(3600) * 1000)},
        {"log-level", "L", "error | warn | info | debug (warn).", stringFlag(logLevel)},
        {"redis", "URL", "redis://HOST[:PORT][/DB]: Redis mode; repeat for shards.",
         [&o](const char *v, std::string &e) {
             Options::RedisEndpoint endpoint;
             if (!parseRedisUrl(v, endpoint, e))
                 return false;
             o.redis.push_back(std::move(endpoint));
             return true;
         }},
        {"channel-ttl", "MS", "Redis mode: channel keys expire after MS unused (86400000).",
         integerFlag(o.channelTtlMs, 300, std::int64_t(30) * 86400 * 1000)},
        {"node-id", "NAME", "This node's name in Redis (hostname-pid).", [&o](const char *v, std::string &e) {
             // Part of key and pub/sub channel names: keep it to a safe alphabet.
             const std::string text = v;
             if (text.empty() || text.size() > 64
                 || text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
                        != std::string::npos) {
                 e = "expects 1..64 characters of [A-Za-z0-9_.-]";
                 return false;
             }
             o.nodeId = text;
             return true;
         }},
    };
}

std::vector<Flag> tokenFlags(TokenOptions &o)
{
    return {
        {"user", "U", "The token's user: 1..64 characters of [A-Za-z0-9_-].", stringFlag(o.user)},
        {"ttl", "SECONDS", "Lifetime of the token (60).",
         integerFlag(o.ttlSeconds, -(std::int64_t(1) << 31), std::int64_t(1) << 40)},
        {"secret", "S", "The server's --auth-secret (default: $TETHER_AUTH_SECRET).", stringFlag(o.secret)},
    };
}

} // namespace

ParseOutcome parseServeOptions(int argc, char **argv, int first, Options &o, std::string &error)
{
    std::int64_t port = o.port;
    std::string logLevel;
    const std::vector<Flag> flags = serveFlags(o, port, logLevel);
    const ParseOutcome outcome = runParser(argc, argv, first, flags, kServeDescription, error);
    if (outcome != ParseOutcome::Run)
        return outcome;
    o.port = int(port);
    if (!logLevel.empty()) {
        static const std::map<std::string, LogLevel> levels = {
            {"error", LogLevel::Error}, {"warn", LogLevel::Warn},
            {"info", LogLevel::Info}, {"debug", LogLevel::Debug}};
        const auto it = levels.find(logLevel);
        if (it == levels.end()) {
            error = "--log-level expects error, warn, info or debug (got '" + logLevel + "')";
            return ParseOutcome::Error;
        }
        o.logLevel = it->second;
    }
    if (o.tlsCert.empty() != o.tlsKey.empty()) {
        error = "--tls-cert and --tls-key go together";
        return ParseOutcome::Error;
    }
    if (!o.tlsClientCa.empty() && o.tlsCert.empty()) {
        error = "--tls-client-ca needs --tls-cert and --tls-key";
        return ParseOutcome::Error;
    }
    if (!loadJwtOptions(o, error))
        return ParseOutcome::Error;
    if (o.burst <= 0)
        o.burst = o.rate < 1 ? 1 : o.rate;
    if (o.nodeId.empty()) {
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) != 0 || !*host)
            std::strcpy(host, "node");
        std::string name;
        for (const char *p = host; *p; ++p)
            name += std::isalnum(static_cast<unsigned char>(*p)) || *p == '-' || *p == '.' ? *p : '_';
        o.nodeId = name.substr(0, 40) + "-" + std::to_string(getpid());
    }
    return ParseOutcome::Run;
}

bool parseRedisUrl(const std::string &url, Options::RedisEndpoint &out, std::string &error)
{
    static const std::string scheme = "redis://";
    if (url.compare(0, scheme.size(), scheme) != 0) {
        error = "expects redis://HOST[:PORT][/DB]";
        return false;
    }
    std::string rest = url.substr(scheme.size());
    std::string dbText;
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
        dbText = rest.substr(slash + 1);
        rest.resize(slash);
    }
    std::string portText;
    if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
        portText = rest.substr(colon + 1);
        rest.resize(colon);
    }
    if (rest.empty() || rest.find('@') != std::string::npos) {
        error = "expects redis://HOST[:PORT][/DB] (no credentials)";
        return false;
    }
    std::int64_t port = 6379, db = 0;
    if (!portText.empty() && !parseInteger(portText.c_str(), 1, 65535, port)) {
        error = "bad port in " + url;
        return false;
    }
    if (!dbText.empty() && !parseInteger(dbText.c_str(), 0, 15, db)) {
        error = "bad database number in " + url + " (0..15)";
        return false;
    }
    out.host = rest;
    out.port = int(port);
    out.db = int(db);
    return true;
}

ParseOutcome parseTokenOptions(int argc, char **argv, int first, TokenOptions &o, std::string &error)
{
    const std::vector<Flag> flags = tokenFlags(o);
    const ParseOutcome outcome = runParser(argc, argv, first, flags, kTokenDescription, error);
    if (outcome != ParseOutcome::Run)
        return outcome;
    if (o.user.empty()) {
        error = "--user is required";
        return ParseOutcome::Error;
    }
    if (o.secret.empty()) {
        const char *env = std::getenv("TETHER_AUTH_SECRET");
        if (env && *env)
            o.secret = env;
    }
    if (o.secret.empty()) {
        error = "no secret: pass --secret S or set TETHER_AUTH_SECRET";
        return ParseOutcome::Error;
    }
    return ParseOutcome::Run;
}

std::string serveUsage()
{
    Options o;
    std::int64_t port = 0;
    std::string logLevel;
    return usageOf(serveFlags(o, port, logLevel), kServeDescription, kServeUsage);
}

std::string tokenUsage()
{
    TokenOptions o;
    return usageOf(tokenFlags(o), kTokenDescription, kTokenUsage);
}

} // namespace TetherServer
