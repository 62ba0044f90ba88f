#include "cluster_common.h"

#include <bench_common.h>

#include <QtCore/QFile>
#include <QtNetwork/QTcpSocket>

#include <cstdio>
#include <cstring>

#include <unistd.h>

namespace ClusterBench {

Settings g_settings;

double processCpuSeconds(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray text = stat.readAll();
    // utime and stime are fields 14 and 15; the command name may hold spaces, so count
    // from its closing parenthesis.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return (fields.at(11).toDouble() + fields.at(12).toDouble()) / double(sysconf(_SC_CLK_TCK));
}

std::unique_ptr<Tether::Testing::ServerProcess> startNode(const QString &redisUrl, const QString &nodeId)
{
    QStringList args = Bench::serverArguments();
    if (!redisUrl.isEmpty())
        args << QStringLiteral("--redis") << redisUrl << QStringLiteral("--node-id") << nodeId;
    // The tether_redis_* counters of /metrics are live; the default metrics tick (1 s)
    // would publish the `metrics` channel less often, which no scenario reads.
    auto node = std::make_unique<Tether::Testing::ServerProcess>(args);
    if (!node->start()) {
        Bench::fail(QStringLiteral("node %1 did not start: %2").arg(nodeId, node->errorString()));
        return nullptr;
    }
    return node;
}

double nodeMetric(quint16 port, const QByteArray &name)
{
    // Blocking on purpose: read between measurements, never while clients are pumping.
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(3000))
        return -1;
    socket.write("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray body;
    while (socket.waitForReadyRead(3000))
        body += socket.readAll();
    body += socket.readAll();
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).trimmed().toDouble();
    }
    return -1;
}

RedisSample RedisSample::take(const Tether::Testing::RedisProcess &redis)
{
    RedisSample s;
    const QByteArray info = redis.cli({QStringLiteral("INFO")});
    for (QByteArray line : info.split('\n')) {
        line = line.trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray key = line.left(colon);
        const double value = line.mid(colon + 1).toDouble();
        if (key == "process_id")
            s.pid = qint64(value);
        else if (key == "total_commands_processed")
            s.commands = value;
        else if (key == "total_reads_processed")
            s.reads = value;
    }
    s.cpuS = processCpuSeconds(s.pid);
    return s;
}

quint64 jsonNumber(const char *frame, qsizetype size, QByteArrayView key)
{
    const QByteArrayView view(frame, size);
    const qsizetype at = view.indexOf(key);
    if (at < 0)
        return 0;
    quint64 value = 0;
    for (qsizetype i = at + key.size(); i < size && frame[i] >= '0' && frame[i] <= '9'; ++i)
        value = value * 10 + quint64(frame[i] - '0');
    return value;
}

void printCommandStats(const Tether::Testing::RedisProcess &redis, const QString &row)
{
    if (g_settings.commandStats)
        std::fprintf(stderr, "%s:\n%s\n", qPrintable(row),
                     redis.cli({QStringLiteral("INFO"), QStringLiteral("commandstats")}).constData());
}

void writeDigits(char *at, int width, quint64 value, char pad)
{
    for (int c = width - 1; c >= 0; --c) {
        at[c] = value || c == width - 1 ? char('0' + value % 10) : pad;
        value /= 10;
    }
}

bool spinUntil(const std::function<bool()> &done, int timeoutMs) { return Bench::waitFor(done, timeoutMs); }

JsonPeer::JsonPeer()
    : client([this](int opcode, const char *p, qsizetype n) {
          if (opcode != 1)
              return;
          if (FastClient::startsWith(p, n, "{\"t\":\"msg\"")) {
              lastSeq = jsonNumber(p, n, "\"seq\":");
              if (onMsg)
                  onMsg(p, n);
              if (lastSeq >= ackedSeq + 64)
                  ackNow();
          } else if (FastClient::startsWith(p, n, "{\"t\":\"ack\"")) {
              if (onAck)
                  onAck(jsonNumber(p, n, "\"seq\":"));
          } else if (FastClient::startsWith(p, n, "{\"t\":\"welcome\"")) {
              welcomed = true;
          } else if (FastClient::startsWith(p, n, "{\"t\":\"res\"")) {
              answered = true;
          }
      })
{
}

bool JsonPeer::open(quint16 port, const char *channel)
{
    if (!client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)), "tether.v1.json"))
        return false;
    client.send(FastClient::textFrame("{\"t\":\"hello\",\"v\":1}"));
    if (!spinUntil([this] { return welcomed; }, 10000))
        return false;
    if (!channel)
        return true;
    client.send(FastClient::textFrame(QByteArray("{\"t\":\"sub\",\"id\":1,\"ch\":\"") + channel + "\"}"));
    return spinUntil([this] { return answered; }, 10000);
}

void JsonPeer::ackNow()
{
    if (lastSeq <= ackedSeq)
        return;
    ackedSeq = lastSeq;
    client.send(FastClient::textFrame("{\"t\":\"ack\",\"seq\":" + QByteArray::number(lastSeq) + '}'));
}

} // namespace ClusterBench
