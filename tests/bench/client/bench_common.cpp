// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "bench_common.h"

#include <wait.h>

#include <QtCore/QElapsedTimer>
#include <QtCore/QFile>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <sys/resource.h>
#include <unistd.h>

namespace Bench {

namespace {
QStringList g_failures;
}

QStringList serverArguments()
{
    return {QStringLiteral("--max-frame"), QString::number(16 * 1024 * 1024),
            QStringLiteral("--max-connections"), QStringLiteral("20000"),
            QStringLiteral("--max-sessions"), QStringLiteral("100000"),
            QStringLiteral("--rate"), QStringLiteral("0"),
            // A benchmark is a flood by design: no per-connection frame or subscription limit.
            QStringLiteral("--max-frame-rate"), QStringLiteral("0"),
            QStringLiteral("--max-subscriptions"), QStringLiteral("0"),
            QStringLiteral("--log-level"), QStringLiteral("error")};
}

void fail(const QString &why)
{
    std::fprintf(stderr, "bench: FAILED: %s\n", qPrintable(why));
    g_failures << why;
}

bool failed() { return !g_failures.isEmpty(); }

Usage Usage::now(qint64 serverPid)
{
    static QElapsedTimer clock;
    if (!clock.isValid())
        clock.start();
    Usage u;
    u.wallS = double(clock.nsecsElapsed()) / 1e9;
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    u.cpuS = double(self.ru_utime.tv_sec + self.ru_stime.tv_sec)
        + double(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
    u.minorFaults = self.ru_minflt;
    u.waits = self.ru_nvcsw;
    if (serverPid > 0) {
        // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks; the
        // command name (field 2) may hold spaces, so count from its closing parenthesis.
        QFile stat(QStringLiteral("/proc/%1/stat").arg(serverPid));
        if (stat.open(QIODevice::ReadOnly)) {
            const QByteArray text = stat.readAll();
            const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
            if (fields.size() > 13) {
                const double ticks = double(sysconf(_SC_CLK_TCK));
                u.serverCpuS = (fields.at(11).toDouble() + fields.at(12).toDouble()) / ticks;
            }
        }
    }
    return u;
}

Usage Usage::operator-(const Usage &before) const
{
    Usage d;
    d.wallS = wallS - before.wallS;
    d.cpuS = cpuS - before.cpuS;
    d.minorFaults = minorFaults - before.minorFaults;
    d.waits = waits - before.waits;
    d.serverCpuS = serverCpuS - before.serverCpuS;
    return d;
}

qint64 rssKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

double loadAverage()
{
    double load[1] = {0};
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

double percentile(std::vector<double> &samples, double p)
{
    if (samples.empty())
        return 0;
    const size_t index = std::min(samples.size() - 1, size_t(std::floor(p * double(samples.size()))));
    std::nth_element(samples.begin(), samples.begin() + qptrdiff(index), samples.end());
    return samples[index];
}

double median(std::vector<double> values) { return percentile(values, 0.5); }

bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    return Tether::Testing::waitUntil(done, timeoutMs);
}

void spinFor(int ms) { Tether::Testing::spin(ms); }

Table::Table(QString title, QStringList header, QString align)
    : m_title(std::move(title)), m_header(std::move(header)), m_align(std::move(align))
{
}

void Table::addRow(const QStringList &cells) { m_rows << cells; }

void Table::addNote(const QString &note) { m_notes << note; }

void Table::print() const
{
    QList<qsizetype> widths;
    for (const QString &h : m_header)
        widths << h.size();
    for (const QStringList &row : m_rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], row.at(i).size());
    }
    auto line = [&](const QStringList &cells) {
        QString out = QStringLiteral("|");
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString cell = cells.value(i);
            const bool right = i < m_align.size() && m_align.at(i) == u'r';
            out += u' ' + (right ? cell.rightJustified(widths[i]) : cell.leftJustified(widths[i])) + QStringLiteral(" |");
        }
        std::printf("%s\n", qPrintable(out));
    };
    std::printf("\n### %s\n\n", qPrintable(m_title));
    line(m_header);
    QString rule = QStringLiteral("|");
    for (qsizetype i = 0; i < widths.size(); ++i) {
        const bool right = i < m_align.size() && m_align.at(i) == u'r';
        rule += QString(widths[i] + 1, u'-') + (right ? QStringLiteral(":|") : QStringLiteral("-|"));
    }
    std::printf("%s\n", qPrintable(rule));
    for (const QStringList &row : m_rows)
        line(row);
    if (!m_notes.isEmpty())
        std::printf("\n");
    for (const QString &note : m_notes)
        std::printf("%s\n", qPrintable(note));
    std::fflush(stdout);
}

QString integer(double value)
{
    QString digits = QString::number(qint64(std::llround(value)));
    const bool negative = digits.startsWith(u'-');
    if (negative)
        digits.remove(0, 1);
    for (qsizetype at = digits.size() - 3; at > 0; at -= 3)
        digits.insert(at, u' ');
    return negative ? u'-' + digits : digits;
}

QString fixed(double value, int decimals) { return QString::number(value, 'f', decimals); }

QString ratio(double value) { return QString::number(value, 'f', 2) + u'x'; }

QString verdict(bool met) { return met ? QStringLiteral("met") : QStringLiteral("MISSED"); }

} // namespace Bench
