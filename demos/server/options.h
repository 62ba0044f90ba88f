// Command line of tether-server: the serve options and the `token` sub-command.
// Documented (flags, defaults, ranges) in README.md next to this file; keep both in step.
#pragma once

#include "log.h"

#include <cstdint>
#include <string>
#include <vector>

namespace TetherServer {

struct Options {
    std::string host = "127.0.0.1";
    int port = 8765;
    std::string tlsCert;
    std::string tlsKey;
    std::int64_t maxFrame = 1048576;
    int maxConnections = 20000;
    // Connections per client address. kMaxPerIpDefault: kDefaultMaxPerIp for every address
    // but loopback (local tests and a proxy on the same host are not limited); an explicit
    // N applies to every address, loopback included; 0 = no limit.
    static constexpr int kMaxPerIpDefault = -1;
    static constexpr int kDefaultMaxPerIp = 256;
    int maxPerIp = kMaxPerIpDefault;
    double rate = 0;               // frames per second per session, 0 = no limit
    double burst = 0;              // 0 = same as rate
    int history = 100;
    std::int64_t sessionTtlMs = 120000;
    int sessionBuffer = 10000;
    int maxSessions = 100000;
    int maxChannels = 100000;
    std::vector<std::string> readonly;
    // --acl PATTERN=user1,user2: only these users may subscribe or publish (first match wins)
    std::vector<std::pair<std::string, std::vector<std::string>>> acl;
    std::int64_t heartbeatMs = 15000;
    std::int64_t pingIntervalMs = 0;
    std::int64_t helloTimeoutMs = 10000;
    // The HTTP upgrade must be complete within this (slowloris); lws counts whole seconds.
    std::int64_t handshakeTimeoutMs = 5000;
    // WebSocket data frames (fragments count one each) a connection may send per second,
    // bucket of the same size; 0 = no limit. Before hello too: a flood of tiny frames.
    int maxFrameRate = 10000;
    // Channels one session may be subscribed to at once; 0 = no limit.
    int maxSubscriptions = 1000;
    std::int64_t ackDelayMs = 20;
    std::string authSecret;
    std::int64_t metricsIntervalMs = 1000;
    LogLevel logLevel = LogLevel::Warn;
    std::string ledgerPath;        // --ledger: tests' record of accepted client messages
    // Redis mode (README.md, "Redis mode"): one entry per shard; empty = in-memory mode.
    struct RedisEndpoint {
        std::string host;
        int port = 6379;
        int db = 0;
    };
    std::vector<RedisEndpoint> redis;
    std::string nodeId;            // default: <hostname>-<pid>
};

// Parses redis://HOST[:PORT][/DB]. False with `error` set otherwise.
bool parseRedisUrl(const std::string &url, Options::RedisEndpoint &out, std::string &error);

struct TokenOptions {
    std::string user;
    std::int64_t ttlSeconds = 60;
    std::string secret;
};

// Redis mode: entries a channel's stream keeps (MAXLEN ~), and how many a resuming
// session may have missed and still be recovered. Not just --history: a session whose
// node died is owed what the stream holds after its position, as a detached session in
// memory mode is owed up to --session-buffer messages (README.md, "Recovery on resume").
inline int streamLength(const Options &o) { return o.history > o.sessionBuffer ? o.history : o.sessionBuffer; }

enum class ParseOutcome { Run, Help, Error };

// Parses argv[first..argc) into `options`. On Error, `error` says which flag and why.
ParseOutcome parseServeOptions(int argc, char **argv, int first, Options &options, std::string &error);
ParseOutcome parseTokenOptions(int argc, char **argv, int first, TokenOptions &options, std::string &error);

const char *serveUsage();
const char *tokenUsage();

} // namespace TetherServer
