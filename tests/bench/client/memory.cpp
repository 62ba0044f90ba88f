// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Memory: RSS growth while 100 000 messages of 100 bytes wait in the outbox of a client
// that is offline (never connected). Each codec runs in a fresh child process (this
// program with --memory-child), so heap freed by earlier scenarios cannot hide growth.
// The payload is a 98-character string: 100 bytes encoded in either codec, as in the
// engine benchmark, so the two sections can be read together.
#include "scenarios.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QProcess>

#include <cstdio>

#include <malloc.h>

namespace Bench {

namespace {
constexpr double kTargetMb = 30;
}

int memoryChild(const QString &codec, int count)
{
    Tether::ClientOptions options;
    options.codec = codec == QLatin1StringView("cbor") ? Tether::Codec::Cbor : Tether::Codec::Json;
    options.queue.maxMessages = count;
    options.queue.maxBytes = qint64(1) << 30;
    // A URL nobody serves; the client is never opened, so it never tries it.
    Tether::Client client(QUrl(QStringLiteral("ws://127.0.0.1:9/")), options);
    const QString payload(98, u'x');
    client.send(payload);  // warm up lazily built structures before the first snapshot
    const qint64 rssBefore = rssKb();
    const size_t heapBefore = mallinfo2().uordblks;
    const Usage before = Usage::now(0);
    for (int i = 1; i < count; ++i) {
        if (!client.send(payload)) {
            std::fprintf(stderr, "memory child: send %d refused\n", i);
            return 1;
        }
    }
    const Usage used = Usage::now(0) - before;
    const qint64 rssAfter = rssKb();
    const size_t heapAfter = mallinfo2().uordblks;
    std::printf("%lld %lld %lld %.6f %d\n", rssBefore, rssAfter, qint64(heapAfter) - qint64(heapBefore),
                used.cpuS, client.queueDepth());
    return 0;
}

void memory(const Settings &settings)
{
    const int count = settings.smoke ? 1000 : 100000;
    Table table(QStringLiteral("Client memory, %1 queued 100-byte messages, offline").arg(integer(count)),
                {QStringLiteral("codec"), QStringLiteral("RSS before MB"), QStringLiteral("RSS growth MB"),
                 QStringLiteral("RSS bytes/msg"), QStringLiteral("heap bytes/msg"),
                 QStringLiteral("send() CPU µs/msg"), QStringLiteral("target")},
                QStringLiteral("lrrrrrl"));
    for (const QString &codec : {QStringLiteral("json"), QStringLiteral("cbor")}) {
        QProcess child;
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(),
                    {QStringLiteral("--memory-child"), codec, QString::number(count)});
        if (!child.waitForFinished(120000) || child.exitStatus() != QProcess::NormalExit || child.exitCode() != 0) {
            fail(QStringLiteral("memory: the %1 child failed").arg(codec));
            return;
        }
        const QList<QByteArray> f = child.readAllStandardOutput().trimmed().split(' ');
        if (f.size() != 5 || f.at(4).toInt() != count) {
            fail(QStringLiteral("memory: the %1 child reported '%2'").arg(codec, QString::fromLatin1(f.join(' '))));
            return;
        }
        const double before = f.at(0).toDouble() * 1024, after = f.at(1).toDouble() * 1024;
        const double growthMb = (after - before) / 1e6;
        table.addRow({codec.toUpper(), fixed(before / 1e6, 1), fixed(growthMb, 1), fixed((after - before) / count, 0),
                      fixed(f.at(2).toDouble() / count, 0), fixed(f.at(3).toDouble() * 1e6 / count, 2),
                      settings.smoke ? QStringLiteral("(smoke)")
                                     : QStringLiteral("<= 30 MB ") + verdict(growthMb <= kTargetMb)});
    }
    table.addNote(QStringLiteral("MB = 10^6 bytes. heap = glibc mallinfo2().uordblks (bytes in use, "
                                 "allocator overhead included)."));
    table.print();
}

} // namespace Bench
