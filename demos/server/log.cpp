// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "log.h"

#include <libwebsockets.h>

#include <cstdio>
#include <cstring>
#include <ctime>

namespace TetherServer {

namespace {
LogLevel g_level = LogLevel::Warn;

const char *levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Error: return "error";
    case LogLevel::Warn: return "warn";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
    }
    return "?";
}

void lwsEmit(int level, const char *line)
{
    // lws lines already end with a newline.
    std::fprintf(stderr, "tether-server: lws(%d): %s", level, line);
}
} // namespace

void setLogLevel(LogLevel level) { g_level = level; }
LogLevel logLevel() { return g_level; }
bool logEnabled(LogLevel level) { return int(level) <= int(g_level); }

void logLine(LogLevel level, const char *format, ...)
{
    char text[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::fprintf(stderr, "tether-server: %s: %s\n", levelName(level), text);
}

void installLwsLogging(LogLevel level)
{
    int mask = LLL_ERR;
    if (level >= LogLevel::Info)
        mask |= LLL_WARN;
    if (level >= LogLevel::Debug)
        mask |= LLL_NOTICE;
    lws_set_log_level(mask, lwsEmit);
}

} // namespace TetherServer
