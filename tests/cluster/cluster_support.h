// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Shared pieces of the cluster tests: a node's /metrics read as numbers (to see which node
// holds a connection), and the client options these tests start from.
#pragma once

#include "server_process.h"
#include "wait.h"

#include <Tether/Client>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <chrono>
#include <memory>
#include <optional>

namespace Tether::Testing {

// Samples of GET http://node/metrics ("tether_connections" -> 3); empty on failure.
inline QHash<QString, double> scrapeNode(QNetworkAccessManager &nam, const ServerProcess &node, int timeoutMs = 5000)
{
    QHash<QString, double> samples;
    QNetworkRequest request(QUrl(QStringLiteral("http://%1:%2/metrics").arg(node.host()).arg(node.port())));
    request.setTransferTimeout(timeoutMs);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    if (!waitUntil([&] { return reply->isFinished(); }, timeoutMs) || reply->error() != QNetworkReply::NoError)
        return samples;
    const QList<QByteArray> lines = reply->readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        samples.insert(QString::fromUtf8(line.left(space)), line.mid(space + 1).toDouble());
    }
    return samples;
}

// The node's open WebSocket connections, -1 when the scrape failed.
inline double nodeConnections(QNetworkAccessManager &nam, const ServerProcess &node)
{
    return scrapeNode(nam, node).value(QStringLiteral("tether_connections"), -1);
}

// Polls `done` every 20 ms (for predicates that run the event loop themselves, such as a
// scrape, which waitUntil() cannot re-check: it waits for events the predicate consumed).
inline bool pollUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        if (done())
            return true;
        if (clock.elapsed() > timeoutMs)
            return false;
        spin(20);
    }
}

} // namespace Tether::Testing
