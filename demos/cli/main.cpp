// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli: a terminal client for Tether servers (see `tether-cli --help` and
// docs/demos.md). Parses the command line, runs one CliSession, exits with its code.
#include "cli_options.h"
#include "cli_session.h"

#include <Tether/Client>

#include <QtCore/QCoreApplication>
#include <QtCore/QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace {

int g_signalPipe[2] = {-1, -1};

// Async-signal-safe: only write() to a pipe the event loop watches.
void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_signalPipe[1], &byte, 1);
}

bool installSignalPipe()
{
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGINT, &action, nullptr) == 0 && ::sigaction(SIGTERM, &action, nullptr) == 0;
}

void print(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stream);
    std::fflush(stream);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tether-cli"));

    QStringList arguments = QCoreApplication::arguments();
    arguments.removeFirst();
    const TetherCli::ParseResult parsed = TetherCli::parseArguments(arguments);
    if (!parsed.ok()) {
        print(stderr, QStringLiteral("tether-cli: %1\nTry 'tether-cli --help'.\n").arg(parsed.error));
        return TetherCli::ExitUsage;
    }
    if (parsed.options.help) {
        print(stdout, TetherCli::usageText());
        return TetherCli::ExitOk;
    }
    if (parsed.options.version) {
        print(stdout, QStringLiteral("tether-cli %1 (Tether library %2, Qt %3)\n")
                          .arg(QStringLiteral(TETHER_VERSION_STRING),
                               QString::fromLatin1(Tether::version()),
                               QString::fromLatin1(qVersion())));
        return TetherCli::ExitOk;
    }

    if (!installSignalPipe()) {
        print(stderr, QStringLiteral("tether-cli: cannot install signal handlers\n"));
        return TetherCli::ExitInternal;
    }
    TetherCli::CliSession session(parsed.options);
    QSocketNotifier signalNotifier(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &session, [&session] {
        char drain[16];
        while (::read(g_signalPipe[0], drain, sizeof drain) > 0) {
        }
        session.interrupt();
    });
    QObject::connect(&session, &TetherCli::CliSession::finished, &app, [](int code) {
        QCoreApplication::exit(code);
    });

    QString error;
    if (!session.start(&error)) {
        print(stderr, QStringLiteral("tether-cli: %1\n").arg(error));
        return TetherCli::ExitUsage;
    }
    return QCoreApplication::exec();
}
