// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Shared pieces of the client integration tests: fast client options and a Recorder that
// keeps everything a Client reported, in order, for assertions.
#pragma once

#include <Tether/Client>

#include <QtCore/QElapsedTimer>
#include <QtCore/QHash>
#include <QtCore/QList>
#include <QtCore/QObject>
#include <QtCore/QSet>

#include <chrono>

namespace Tether::Testing {

// Bound for waits on things that take one round trip or a reconnect: generous for a loaded
// 2-core machine or an ASan build; a hung test still fails well before its ctest TIMEOUT.
inline constexpr int kWaitMs = 10000;

// Reconnects fast (tens of ms) so fault tests stay short; everything else at its default.
inline ClientOptions fastOptions(Codec codec = Codec::Json)
{
    ClientOptions o;
    o.codec = codec;
    o.backoff.initialDelay = std::chrono::milliseconds(20);
    o.backoff.maxDelay = std::chrono::milliseconds(200);
    o.backoff.initialJitter = std::chrono::milliseconds(20);
    o.handshakeTimeout = std::chrono::milliseconds(5000);
    return o;
}

// Records what a Client says. Outcome maps are keyed by message id.
class Recorder : public QObject
{
public:
    explicit Recorder(Client *client) : client(client)
    {
        connect(client, &Client::stateChanged, this, [this](State s) { states << s; });
        connect(client, &Client::connected, this, [this](bool resumed) { connects << resumed; });
        connect(client, &Client::disconnected, this, [this](int code, const QString &) { disconnects << code; });
        connect(client, &Client::reconnecting, this, [this](int attempt, std::chrono::milliseconds delay) {
            reconnects << qMakePair(attempt, delay);
            reconnectClock << clock.elapsed();
        });
        connect(client, &Client::failed, this, [this](const Error &e) { failures << e; });
        connect(client, &Client::errorOccurred, this, [this](const Error &e) { errors << e; });
        connect(client, &Client::sessionLost, this, [this] { ++sessionsLost; });
        connect(client, &Client::messageReceived, this, [this](const Message &m) { messages << m; });
        connect(client, &Client::delivered, this, [this](const QString &id) { outcome(id, QStringLiteral("delivered")); });
        connect(client, &Client::sent, this, [this](const QString &id) { outcome(id, QStringLiteral("sent")); });
        connect(client, &Client::rejected, this, [this](const QString &id, const Error &e) {
            outcome(id, QStringLiteral("rejected"));
            rejections.insert(id, e);
        });
        connect(client, &Client::dropped, this, [this](const QString &id, DropReason r) {
            outcome(id, QStringLiteral("dropped"));
            drops.insert(id, r);
        });
        connect(client, &Client::heartbeat, this, [this](std::chrono::microseconds rtt) { rtts << rtt; });
        clock.start();
    }

    void outcome(const QString &id, const QString &what)
    {
        if (outcomes.contains(id))
            ++doubleOutcomes;  // every send ends in exactly one outcome
        outcomes.insert(id, what);
        order << id;
    }
    int count(const QString &what) const
    {
        int n = 0;
        for (const QString &o : outcomes)
            n += o == what;
        return n;
    }
    bool connectedCount(int n) const { return connects.size() >= n && client->state() == State::Connected; }

    Client *client;
    QElapsedTimer clock;
    QList<State> states;
    QList<bool> connects;
    QList<int> disconnects;
    QList<QPair<int, std::chrono::milliseconds>> reconnects;
    QList<qint64> reconnectClock;
    QList<Error> failures;
    QList<Error> errors;
    int sessionsLost = 0;
    QList<Message> messages;
    QHash<QString, QString> outcomes;
    QStringList order;
    QHash<QString, Error> rejections;
    QHash<QString, DropReason> drops;
    QList<std::chrono::microseconds> rtts;
    int doubleOutcomes = 0;
};

} // namespace Tether::Testing
