// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "conformance.h"

namespace Conformance {

bool knownGapsEnabled()
{
    return qEnvironmentVariableIsSet("TETHER_CONFORMANCE_KNOWN_GAPS");
}

void addCodecColumn()
{
    QTest::addColumn<Codec>("codec");
    QTest::newRow("json") << Codec::Json;
    QTest::newRow("cbor") << Codec::Cbor;
}

QString openSession(RawClient &client, const QUrl &url, Codec codec, QCborMap *welcome,
                    const HelloFields &hello)
{
    if (!client.openTether(url, codec))
        return QStringLiteral("connect: ") + client.errorString();
    const std::optional<QCborMap> w = client.handshake(helloFrame(hello));
    if (!w)
        return QStringLiteral("hello: ") + client.errorString();
    if (welcome)
        *welcome = *w;
    return {};
}

QString expectErrorThenClose(RawClient &client, const QString &code, int closeCode, int timeoutMs)
{
    const std::optional<QCborMap> error = client.waitForType(QStringLiteral("error"), timeoutMs);
    if (!error)
        return QStringLiteral("no error frame before the close: %1 (close code %2)")
            .arg(client.errorString())
            .arg(client.isClosed() ? client.closeCode() : -1);
    const std::optional<QString> gotCode = stringField(*error, QLatin1StringView("code"));
    if (!gotCode || !stringField(*error, QLatin1StringView("msg")))
        return QStringLiteral("error frame without string code/msg: ")
            + QString::fromUtf8(describe(*error));
    if (!code.isEmpty() && *gotCode != code)
        return QStringLiteral("error code '%1', expected '%2' (%3)")
            .arg(*gotCode, code, QString::fromUtf8(describe(*error)));
    return expectClose(client, closeCode, timeoutMs);
}

QString expectClose(RawClient &client, int closeCode, int timeoutMs)
{
    if (!client.waitClosed(timeoutMs))
        return QStringLiteral("still open %1 ms later (expected close %2)")
            .arg(timeoutMs)
            .arg(closeCode);
    if (client.closeCode() != closeCode)
        return QStringLiteral("closed with %1 '%2', expected %3")
            .arg(client.closeCode())
            .arg(client.closeReason())
            .arg(closeCode);
    return {};
}

bool isPresence(const QCborMap &frame)
{
    return frameType(frame) == QLatin1StringView("msg")
        && frame.value(QLatin1StringView("d")).toMap().contains(QLatin1StringView("presence"));
}

std::optional<QCborMap> nextDataMsg(RawClient &client, int timeoutMs)
{
    return client.waitFor(
        [](const QCborMap &f) { return frameType(f) == QLatin1StringView("msg") && !isPresence(f); },
        timeoutMs);
}

QString subscribe(RawClient &client, const QString &ch)
{
    const quint64 id = client.nextRequestId();
    client.sendFrame(subFrame(id, ch));
    return expectResult(client.waitForRes(id));
}

QString sendReliable(RawClient &client, quint64 seq, const QCborValue &d, const QString &ch,
                     const QString &id)
{
    client.sendFrame(msgFrame(seq, d, id.isEmpty() ? QStringLiteral("m%1").arg(seq) : id, ch));
    const std::optional<QCborMap> ack = client.waitFor([seq](const QCborMap &f) {
        return frameType(f) == QLatin1StringView("ack")
            && uintField(f, QLatin1StringView("seq")).value_or(0) >= seq;
    });
    if (!ack)
        return QStringLiteral("no ack for seq %1: %2").arg(seq).arg(client.errorString());
    return {};
}

QString expectResult(const std::optional<QCborMap> &res, QCborValue *d)
{
    if (!res)
        return QStringLiteral("no res");
    if (res->contains(QLatin1StringView("err")) || !res->contains(QLatin1StringView("d")))
        return QStringLiteral("res is not a result: ") + QString::fromUtf8(describe(*res));
    if (d)
        *d = res->value(QLatin1StringView("d"));
    return {};
}

QString expectErrorResult(const std::optional<QCborMap> &res, const QString &code)
{
    if (!res)
        return QStringLiteral("no res");
    const QCborMap err = res->value(QLatin1StringView("err")).toMap();
    if (res->contains(QLatin1StringView("d")) || !res->contains(QLatin1StringView("err")))
        return QStringLiteral("res must carry err and no d: ") + QString::fromUtf8(describe(*res));
    if (stringField(err, QLatin1StringView("code")) != code
        || !stringField(err, QLatin1StringView("msg")))
        return QStringLiteral("expected err{code:'%1', msg}: ").arg(code)
            + QString::fromUtf8(describe(*res));
    return {};
}

qint64 msBetween(RawClient::Clock::time_point from, RawClient::Clock::time_point to)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

qint64 rssBytes(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    }
    return 0;
}

} // namespace Conformance
