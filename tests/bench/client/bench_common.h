// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Shared plumbing of the client benchmark: run settings, resource usage snapshots, the
// table printer and small statistics. See bench_client.cpp for what is measured and why.
#pragma once

#include <QtCore/QList>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

#include <server_process.h>

#include <functional>
#include <vector>

namespace Bench {

// How big a run is. `smoke` shrinks every count so the whole program ends in a few
// seconds: it proves the scenarios still work end to end, the figures mean nothing.
struct Settings {
    bool smoke = false;
    int runs = 3;  // throughput runs per cell (best wall figure kept)
    int trials = 3;  // recovery and storm trials per row
    int stormClients = 1000;
    int stormDownMs = 2000;  // how long the storm's server stays down
    int stormThreads = 4;    // event loops the storm's clients are spread over
    QString only;  // run only this scenario (empty: all)
    int payloadSize = 0;  // throughput: only this payload size (0: all), e.g. for perf
    QString mode;         // throughput: only this mode (raw, sink, atleastonce, atmostonce, v1), e.g. for perf
};

// The one server all scenarios use: `tether-server --port 0` with limits raised for
// benchmarks (64 KiB frames, thousands of connections, no rate limit).
QStringList serverArguments();

// A scenario that could not complete (a message never delivered, a server that did not
// start) records why; main() exits non-zero if any did. Slow figures are never failures.
void fail(const QString &why);
bool failed();

// Process-wide resource usage at one instant: wall clock, this process's CPU time
// (user + system, all threads), its minor page faults and voluntary context switches, and
// the server's CPU time.
struct Usage {
    double wallS = 0;
    double cpuS = 0;
    long minorFaults = 0;
    long waits = 0;  // voluntary context switches: times this process blocked (e.g. in poll)
    double serverCpuS = 0;

    static Usage now(qint64 serverPid);
    Usage operator-(const Usage &before) const;
};

// Resident set size of this process (kB), from /proc/self/status.
qint64 rssKb();
// The 1-minute load average (the machine is shared; figures are read against it).
double loadAverage();

// p in [0, 1] of an unsorted sample (sorted in place).
double percentile(std::vector<double> &samples, double p);
double median(std::vector<double> values);

// Runs the event loop until `done()` holds or `timeoutMs` passes; false on timeout.
bool waitFor(const std::function<bool()> &done, int timeoutMs);
// Runs the event loop for `ms`.
void spinFor(int ms);

// A Markdown table, printed with aligned columns. `align` has one letter per column:
// 'l' left, 'r' right.
class Table
{
public:
    Table(QString title, QStringList header, QString align);
    void addRow(const QStringList &cells);
    void addNote(const QString &note);
    void print() const;

private:
    QString m_title;
    QStringList m_header;
    QString m_align;
    QList<QStringList> m_rows;
    QStringList m_notes;
};

// Number formatting for the tables.
QString integer(double value);  // 1234567 -> "1 234 567"
QString fixed(double value, int decimals);
QString ratio(double value);  // "0.42x"
QString verdict(bool met);  // "met" / "MISSED"

} // namespace Bench
