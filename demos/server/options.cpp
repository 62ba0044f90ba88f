#include "options.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

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

ParseOutcome runParser(int argc, char **argv, int first, const std::map<std::string, Setter> &flags,
                       std::string &error)
{
    for (int i = first; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h")
            return ParseOutcome::Help;
        const char *inlineValue = nullptr;
        const auto eq = arg.find('=');
        if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            inlineValue = argv[i] + eq + 1;
            arg.resize(eq);
        }
        const auto it = flags.find(arg);
        if (it == flags.end()) {
            error = "unknown option '" + arg + "'";
            return ParseOutcome::Error;
        }
        const char *value = inlineValue;
        if (!value) {
            if (i + 1 >= argc) {
                error = arg + " needs a value";
                return ParseOutcome::Error;
            }
            value = argv[++i];
        }
        std::string why;
        if (!it->second(value, why)) {
            error = arg + " " + why + " (got '" + value + "')";
            return ParseOutcome::Error;
        }
    }
    return ParseOutcome::Run;
}

} // namespace

ParseOutcome parseServeOptions(int argc, char **argv, int first, Options &o, std::string &error)
{
    std::int64_t port = o.port;
    std::string logLevel;
    std::map<std::string, Setter> flags = {
        {"--host", stringFlag(o.host)},
        {"--port", integerFlag(port, 0, 65535)},
        {"--tls-cert", stringFlag(o.tlsCert)},
        {"--tls-key", stringFlag(o.tlsKey)},
        {"--max-frame", integerFlag(o.maxFrame, 64, std::int64_t(1) << 30)},
        {"--max-connections", intFlag(o.maxConnections, 1, 1000000)},
        {"--max-per-ip", intFlag(o.maxPerIp, 0, 1000000)},
        {"--max-frame-rate", intFlag(o.maxFrameRate, 0, 100000000)},
        {"--max-subscriptions", intFlag(o.maxSubscriptions, 0, 10000000)},
        {"--handshake-timeout", integerFlag(o.handshakeTimeoutMs, 1000, std::int64_t(3600) * 1000)},
        {"--rate", [&o](const char *v, std::string &e) {
             if (parseNumber(v, 0, 1e9, o.rate))
                 return true;
             e = "expects a number of frames per second >= 0";
             return false;
         }},
        {"--burst", [&o](const char *v, std::string &e) {
             if (parseNumber(v, 1, 1e9, o.burst))
                 return true;
             e = "expects a number >= 1";
             return false;
         }},
        {"--history", intFlag(o.history, 0, 100000)},
        {"--session-ttl", integerFlag(o.sessionTtlMs, 0, std::int64_t(86400) * 1000)},
        {"--session-buffer", intFlag(o.sessionBuffer, 1, 10000000)},
        {"--max-sessions", intFlag(o.maxSessions, 1, 10000000)},
        {"--max-channels", intFlag(o.maxChannels, 1, 10000000)},
        {"--readonly", [&o](const char *v, std::string &e) {
             if (!*v) {
                 e = "expects a channel pattern";
                 return false;
             }
             o.readonly.emplace_back(v);
             return true;
         }},
        {"--acl", [&o](const char *v, std::string &e) {
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
        {"--heartbeat", integerFlag(o.heartbeatMs, 0, std::int64_t(3600) * 1000)},
        {"--ping-interval", integerFlag(o.pingIntervalMs, 0, std::int64_t(3600) * 1000)},
        {"--hello-timeout", integerFlag(o.helloTimeoutMs, 1, std::int64_t(3600) * 1000)},
        {"--ack-delay", integerFlag(o.ackDelayMs, 0, 50)},
        {"--auth-secret", stringFlag(o.authSecret)},
        {"--ledger", stringFlag(o.ledgerPath)},
        {"--metrics-interval", integerFlag(o.metricsIntervalMs, 10, std::int64_t(3600) * 1000)},
        {"--log-level", stringFlag(logLevel)},
        {"--redis", [&o](const char *v, std::string &e) {
             Options::RedisEndpoint endpoint;
             if (!parseRedisUrl(v, endpoint, e))
                 return false;
             o.redis.push_back(std::move(endpoint));
             return true;
         }},
        {"--node-id", [&o](const char *v, std::string &e) {
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
    const ParseOutcome outcome = runParser(argc, argv, first, flags, error);
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
    std::map<std::string, Setter> flags = {
        {"--user", stringFlag(o.user)},
        {"--ttl", integerFlag(o.ttlSeconds, -(std::int64_t(1) << 31), std::int64_t(1) << 40)},
        {"--secret", stringFlag(o.secret)},
    };
    const ParseOutcome outcome = runParser(argc, argv, first, flags, error);
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

const char *serveUsage()
{
    return "usage: tether-server [options]\n"
           "       tether-server token --user U --ttl SECONDS [--secret S]\n"
           "\n"
           "Reference server of the Tether protocol v1 (see demos/server/README.md).\n"
           "Prints 'listening on <host>:<port>' on stdout when ready.\n"
           "\n"
           "  --host H               address to bind (127.0.0.1)\n"
           "  --port N               TCP port, 0 = any free port (8765)\n"
           "  --tls-cert F --tls-key F   serve wss://\n"
           "  --max-frame BYTES      largest incoming frame (1048576); larger -> close 1009\n"
           "  --max-connections N    connections held at once (20000)\n"
           "  --max-per-ip N         connections per client IP, 0 = no limit\n"
           "                         (256, loopback not limited unless given)\n"
           "  --max-frame-rate N     WebSocket frames/s per connection, 0 = off (10000)\n"
           "  --max-subscriptions N  channels one session may subscribe to, 0 = off (1000)\n"
           "  --handshake-timeout MS time allowed for the HTTP upgrade (5000)\n"
           "  --rate N               frames/s per session, token bucket, 0 = off (0)\n"
           "  --burst N              bucket size (= rate)\n"
           "  --history N            publications kept per channel (100)\n"
           "  --session-ttl MS       detached session lifetime (120000)\n"
           "  --session-buffer N     unacked server messages per session (10000)\n"
           "  --max-sessions N       sessions held, attached or detached (100000)\n"
           "  --max-channels N       channels held (100000)\n"
           "  --readonly PATTERN     read-only channel glob ('*' wildcard), repeatable\n"
           "  --acl PATTERN=U1,U2    only these token users may use matching channels, repeatable\n"
           "  --heartbeat MS         heartbeat interval announced in welcome.hb (15000)\n"
           "  --ping-interval MS     server pings idle connections, 0 = off (0)\n"
           "  --hello-timeout MS     time allowed before hello (10000)\n"
           "  --ack-delay MS         ack batching delay, 0..50 (20)\n"
           "  --auth-secret S        require HMAC-SHA256 tokens\n"
           "  --ledger FILE          append every accepted reliable client message to FILE (tests)\n"
           "  --metrics-interval MS  period of the 'metrics' channel (1000)\n"
           "  --log-level L          error | warn | info | debug (warn)\n"
           "  --redis URL            redis://HOST[:PORT][/DB]: Redis mode; repeat for shards\n"
           "  --node-id NAME         this node's name in Redis (hostname-pid)\n"
           "  --help                 this text\n";
}

const char *tokenUsage()
{
    return "usage: tether-server token --user U --ttl SECONDS [--secret S]\n"
           "Prints a token 'user.expiry.signature' valid for SECONDS.\n"
           "The secret defaults to $TETHER_AUTH_SECRET.\n";
}

} // namespace TetherServer
