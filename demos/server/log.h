// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Logging of tether-server: leveled lines on stderr (stdout carries only the ready line).
//
// Rules: never log a token; payloads only at Debug.
#pragma once

#include <cstdarg>

namespace TetherServer {

enum class LogLevel { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void setLogLevel(LogLevel level);
LogLevel logLevel();
bool logEnabled(LogLevel level);

// printf-style; a newline is appended.
void logLine(LogLevel level, const char *format, ...) __attribute__((format(printf, 2, 3)));

// Routes libwebsockets' own log lines through ours (errors and warnings only, more at Debug).
void installLwsLogging(LogLevel level);

} // namespace TetherServer

#define TS_LOG(level, ...)                                                                      \
    do {                                                                                        \
        if (::TetherServer::logEnabled(level))                                                  \
            ::TetherServer::logLine(level, __VA_ARGS__);                                        \
    } while (0)
#define TS_ERROR(...) TS_LOG(::TetherServer::LogLevel::Error, __VA_ARGS__)
#define TS_WARN(...) TS_LOG(::TetherServer::LogLevel::Warn, __VA_ARGS__)
#define TS_INFO(...) TS_LOG(::TetherServer::LogLevel::Info, __VA_ARGS__)
#define TS_DEBUG(...) TS_LOG(::TetherServer::LogLevel::Debug, __VA_ARGS__)
