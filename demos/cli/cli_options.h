// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli's command line: what the user asked for, parsed and validated before anything
// connects. Parsing is a pure function (argument list in, Options or a usage error out) so
// every accepted and refused combination is unit-tested without starting a process.
//
// Grammar (QCommandLineParser): tether-cli URL [options]. Options take their value as the
// next argument or after '=' (`--sub=a`); `--request METHOD [--params JSON]`.
#pragma once

#include <QtCore/QJsonValue>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <optional>

namespace TetherCli {

// Documented in `tether-cli --help` and docs/demos.md; values never change.
enum ExitCode : int {
    ExitOk = 0,                // every message delivered (or request answered, --count reached)
    ExitInternal = 1,          // an unexpected local error (e.g. stdout closed)
    ExitUsage = 2,             // bad option or value
    ExitConnectionFailed = 3,  // the client failed for good (refused token, not a Tether server,
                               // TLS not trusted, --max-attempts spent) or the server closed (1000)
    ExitNotDelivered = 4,      // at least one message was rejected, dropped or left without outcome
    ExitRequestFailed = 5,     // --request answered with an error, or a subscription refused
    ExitTimeout = 6,           // --timeout elapsed first
    ExitInterrupted = 130,     // SIGINT or SIGTERM
};

enum class EventFormat { Human, Json };
enum class WireCodec { Json, Cbor };
enum class StoreDurability { CrashSafe, PowerSafe };

struct Options {
    QUrl url;
    QString channel;                 // --channel: publish here and subscribe
    QStringList subscriptions;       // --sub (repeatable), plus --channel
    std::optional<QString> requestMethod;
    std::optional<QJsonValue> requestParams;
    WireCodec codec = WireCodec::Json;
    bool raw = false;
    bool atMostOnce = false;         // also implied by --raw
    QString token;
    QString tokenCommand;
    QString caFile;
    QStringList pins;                // --pin (repeatable): SPKI SHA-256, base64
    QList<QPair<QByteArray, QByteArray>> headers;  // --header K:V (repeatable)
    QList<QByteArray> subprotocols;                // --subprotocol P (repeatable, with --raw)
    std::optional<int> heartbeatMs;
    std::optional<int> maxQueue;
    std::optional<int> maxAttempts;
    QString storePath;               // --store: the durable outbox file (empty: in memory)
    std::optional<StoreDurability> durability;
    int count = 0;                   // 0: no limit
    bool waitDelivered = false;
    std::optional<int> timeoutMs;
    EventFormat events = EventFormat::Human;
    bool quiet = false;              // no per-message outcome lines (failures still shown)
    bool help = false;
    bool version = false;

    // True when messages may arrive for the user (so stdin EOF alone does not end the run).
    bool receives() const { return !subscriptions.isEmpty() || count > 0; }
};

struct ParseResult {
    Options options;
    QString error;  // non-empty: a usage error, say it and exit with ExitUsage
    bool ok() const { return error.isEmpty(); }
};

// `arguments` excludes the program name.
ParseResult parseArguments(const QStringList &arguments);

// The text of --help (exit codes included).
QString usageText();

} // namespace TetherCli
