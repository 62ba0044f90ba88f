// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// CliSession: one run of tether-cli. It owns the Tether::Client, reads stdin line by line
// into send(), prints what arrives, reports every outcome on stderr and decides when the
// run is over and with which exit code (cli_options.h).
//
// Theory of operation:
// - stdin is watched with a QSocketNotifier (pipes, files and terminals alike) and read in
//   chunks; complete lines are sent at once. When send() answers QueueFull the reader
//   pauses (the notifier is disabled, the rest stays buffered) until the queue shrinks:
//   back-pressure, so `seq 1 10000000 | tether-cli ...` never loses or refuses a line.
// - Every accepted line is pending until the client reports its outcome (delivered, or
//   sent for at-most-once; rejected; dropped). The run ends (finish()) when what the
//   options ask for is done, on a permanent failure, on --timeout, or on a signal.
// - finish() closes the client: anything still queued is reported dropped, which is what
//   the exit code then says. It waits (bounded) for the close handshake so the server
//   forgets the session instead of keeping it for its TTL.
#pragma once

#include "cli_options.h"
#include "event_log.h"

#include <Tether/Client>

#include <QtCore/QHash>
#include <QtCore/QObject>
#include <QtCore/QPointer>
#include <QtCore/QSocketNotifier>
#include <QtCore/QTimer>

#include <memory>

namespace TetherCli {

class CliSession : public QObject
{
    Q_OBJECT
public:
    explicit CliSession(const Options &options, QObject *parent = nullptr);
    ~CliSession() override;

    // Builds the client and starts the run. False (with `error`) when an option cannot be
    // applied (e.g. no certificate in the --ca file): a usage error.
    bool start(QString *error);

    // SIGINT/SIGTERM: end now with ExitInterrupted.
    void interrupt();

Q_SIGNALS:
    void finished(int exitCode);

private:
    enum class Ending { None, Done, Failed, RequestFailed, TimedOut, Interrupted };

    Tether::ClientOptions clientOptions(QString *error);
    void connectClientSignals();
    void adoptRestored();
    void startRequest();
    void subscribeAll();
    void runTokenCommand(Tether::TokenReason reason, const Tether::TokenReply &reply);

    void readStdin();
    void pumpLines();
    bool sendLine(const QByteArray &bytes);  // false: queue full, try again later
    void outcome(const QString &id, const QString &what, bool success, const QString &detail = {});
    void checkDone();
    void finish(Ending ending);
    int exitCode() const;
    void summarise(int code);

    QString lineLabel(qint64 line) const;

    Options m_options;
    EventLog m_log;
    std::unique_ptr<Tether::Client> m_client;
    std::unique_ptr<QSocketNotifier> m_stdin;
    QTimer m_pumpTimer;      // zero-delay re-pump after the queue shrank
    QTimer m_deadline;       // --timeout
    QTimer m_closeWait;      // bounded wait for the close handshake

    QByteArray m_buffer;     // stdin bytes not yet sent (at most one chunk past a pause)
    bool m_stdinEof = false;
    bool m_paused = false;   // queue full: stdin not read until it shrinks
    bool m_pumping = false;

    qint64 m_lines = 0;      // lines accepted by send()
    QString m_lineId;        // --store: the id of the line being sent (announced by `reading`)
    QHash<QString, qint64> m_pending;  // message id -> line number, until its outcome
    qint64 m_delivered = 0;  // delivered, or sent (at-most-once)
    qint64 m_rejected = 0;
    qint64 m_dropped = 0;
    qint64 m_refused = 0;    // send() refused the line (not queued)
    qint64 m_unfinished = 0; // pending when the run ended
    qint64 m_received = 0;

    Ending m_ending = Ending::None;
    bool m_closing = false;
    QString m_endReason;
};

} // namespace TetherCli
