// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-server: the Tether protocol v1 reference server (see README.md next to this file).
#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "server.h"

#include <cstdio>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

using namespace TetherServer;

namespace {

// glibc gives freed memory at the top of the heap back to the kernel once 128 KiB are free
// and hands out fresh (zero-filled) pages when it grows again. A connection receiving
// 64 KiB messages made it shrink and grow the heap for every message: brk() with its TLB
// shootdowns and the page faults behind it were 25 % of the server's time and capped a
// client's throughput. Keeping up to 64 MiB of free heap for reuse removes both.
void tuneAllocator()
{
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);  // a fixed threshold: large frames stay on the heap too
#endif
}

int runToken(int argc, char **argv)
{
    TokenOptions options;
    std::string error;
    switch (parseTokenOptions(argc, argv, 2, options, error)) {
    case ParseOutcome::Help:
        std::fputs(tokenUsage().c_str(), stdout);
        return 0;
    case ParseOutcome::Error:
        std::fprintf(stderr, "tether-server token: %s\n%s", error.c_str(), tokenUsage().c_str());
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
        std::fputs(serveUsage().c_str(), stdout);
        return 0;
    case ParseOutcome::Error:
        std::fprintf(stderr, "tether-server: %s\n(see tether-server --help)\n", error.c_str());
        return 2;
    case ParseOutcome::Run:
        break;
    }
    setLogLevel(options.logLevel);
    tuneAllocator();
    Server server(std::move(options));
    return server.run();
}
