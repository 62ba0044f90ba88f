// tether-server: the Tether protocol v1 reference server (see README.md next to this file).
#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "server.h"

#include <cstdio>
#include <cstring>

using namespace TetherServer;

namespace {

int runToken(int argc, char **argv)
{
    TokenOptions options;
    std::string error;
    switch (parseTokenOptions(argc, argv, 2, options, error)) {
    case ParseOutcome::Help:
        std::fputs(tokenUsage(), stdout);
        return 0;
    case ParseOutcome::Error:
        std::fprintf(stderr, "tether-server token: %s\n%s", error.c_str(), tokenUsage());
        return 2;
    case ParseOutcome::Run:
        break;
    }
    if (!isValidTokenUser(options.user)) {
        std::fprintf(stderr, "tether-server token: --user must be 1..64 characters of [A-Za-z0-9_-]\n");
        return 2;
    }
    const std::int64_t expiry = Metrics::unixMs() / 1000 + options.ttlSeconds;
    std::printf("%s\n", makeToken(options.secret, options.user, expiry).c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "token") == 0)
        return runToken(argc, argv);

    Options options;
    std::string error;
    switch (parseServeOptions(argc, argv, 1, options, error)) {
    case ParseOutcome::Help:
        std::fputs(serveUsage(), stdout);
        return 0;
    case ParseOutcome::Error:
        std::fprintf(stderr, "tether-server: %s\n(see tether-server --help)\n", error.c_str());
        return 2;
    case ParseOutcome::Run:
        break;
    }
    setLogLevel(options.logLevel);
    Server server(std::move(options));
    return server.run();
}
