// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Clients on several threads of one process at the same time (client.h: a Client lives in
// the thread that made it; any number of threads may each have their own). Each of
// kThreads event loops (LoopThread) holds kClientsPerThread clients against one
// tether-server; every client subscribes to one channel, then publishes kMessages
// AtLeastOnce messages on it, and must get delivered() for each of its own and every other
// client's publications exactly once (a publication reaches the other subscribers, not its
// sender's session: docs/api.md). Under ThreadSanitizer (the tsan preset) this is the
// proof that clients on different threads share nothing unsynchronised: the SDK's statics,
// logging categories, metatype registrations, the codecs.
//
// The server is started by with_server.sh, not by this process: under TSan a QProcess
// child corrupts the parent's TSan state (tests/tsan.supp).
#include "client_harness.h"

#include <loop_thread.h>

#include <QtTest/QtTest>

#include <atomic>
#include <memory>
#include <vector>

using namespace Tether;
using namespace Tether::Testing;

namespace {

constexpr int kThreads = 4;
constexpr int kClientsPerThread = 3;
constexpr int kClients = kThreads * kClientsPerThread;
constexpr int kMessages = 40;
const QString kChannel = QStringLiteral("threads");

// What one client saw; written on its thread, read by the test thread only after
// LoopThread::run() returned (a hand-off through its mutex).
struct Tally {
    int delivered = 0;
    int duplicateDeliveries = 0;
    QSet<QString> ownIds;
    QHash<QString, int> received;  // "sender/n" -> times
    QList<Error> errors;
};

} // namespace

class tst_ClientThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientsOnSeveralThreadsAtOnce_data();
    void clientsOnSeveralThreadsAtOnce();
};

void tst_ClientThreads::clientsOnSeveralThreadsAtOnce_data()
{
    QTest::addColumn<Codec>("codec");
    QTest::newRow("json") << Codec::Json;
    QTest::newRow("cbor") << Codec::Cbor;
}

void tst_ClientThreads::clientsOnSeveralThreadsAtOnce()
{
    QFETCH(Codec, codec);
    const QUrl url(qEnvironmentVariable("TETHER_TEST_SERVER_URL"));
    QVERIFY2(url.isValid() && !url.isEmpty(), "TETHER_TEST_SERVER_URL unset: run through with_server.sh");

    std::vector<std::unique_ptr<LoopThread>> threads;
    std::vector<std::vector<std::unique_ptr<Client>>> clients(kThreads);  // used on their thread only
    std::vector<Tally> tallies(kClients);
    std::atomic<int> subscribed{0};
    std::atomic<int> deliveredTotal{0};
    std::atomic<int> receivedTotal{0};
    for (int t = 0; t < kThreads; ++t)
        threads.push_back(std::make_unique<LoopThread>());

    // Connect and subscribe everyone first, so every client sees every publication.
    for (int t = 0; t < kThreads; ++t) {
        threads[size_t(t)]->run([&, t] {
            for (int k = 0; k < kClientsPerThread; ++k) {
                const int index = t * kClientsPerThread + k;
                Tally &tally = tallies[size_t(index)];
                auto client = std::make_unique<Client>(url, fastOptions(codec));
                Client *c = client.get();
                QObject::connect(c, &Client::delivered, c, [&tally, &deliveredTotal](const QString &id) {
                    if (!tally.ownIds.contains(id))
                        ++tally.duplicateDeliveries;  // not ours, or twice
                    else
                        ++tally.delivered;
                    tally.ownIds.remove(id);
                    ++deliveredTotal;
                });
                QObject::connect(c, &Client::messageReceived, c, [&tally, &receivedTotal](const Message &m) {
                    // Publications are strings; the server's presence events (maps) also
                    // arrive on the channel.
                    if (m.channel() == kChannel && m.payload().isString()) {
                        ++tally.received[m.payload().toString()];
                        ++receivedTotal;
                    }
                });
                QObject::connect(c, &Client::errorOccurred, c, [&tally](const Error &e) { tally.errors << e; });
                Subscription *s = c->subscription(kChannel);
                QObject::connect(s, &Subscription::statusChanged, c, [&subscribed](SubscriptionStatus status) {
                    if (status == SubscriptionStatus::Subscribed)
                        ++subscribed;
                });
                c->open();
                clients[size_t(t)].push_back(std::move(client));
            }
        });
    }
    QVERIFY2(QTest::qWaitFor([&] { return subscribed.load() == kClients; }, 4 * kWaitMs),
             qPrintable(QStringLiteral("%1 of %2 clients subscribed").arg(subscribed.load()).arg(kClients)));

    // Every thread publishes at once.
    for (int t = 0; t < kThreads; ++t) {
        threads[size_t(t)]->run([&, t] {
            for (int k = 0; k < kClientsPerThread; ++k) {
                const int index = t * kClientsPerThread + k;
                Client *c = clients[size_t(t)][size_t(k)].get();
                SendOptions options;
                options.channel = kChannel;
                for (int n = 0; n < kMessages; ++n) {
                    const SendResult r = c->send(QStringLiteral("%1/%2").arg(index).arg(n), options);
                    if (r.isOk())
                        tallies[size_t(index)].ownIds.insert(r.id());
                    else
                        tallies[size_t(index)].errors << r.error();
                }
            }
        });
    }
    const int expectedDeliveries = kClients * kMessages;
    const int expectedReceived = kClients * (kClients - 1) * kMessages;
    const bool done = QTest::qWaitFor([&] {
        return deliveredTotal.load() >= expectedDeliveries && receivedTotal.load() >= expectedReceived;
    }, 6 * kWaitMs);
    QTest::qWait(200);  // a duplicate or a stray would come now: the checks below count them

    // Stop every client on its own thread before reading what they recorded.
    for (int t = 0; t < kThreads; ++t)
        threads[size_t(t)]->run([&, t] {
            for (auto &c : clients[size_t(t)])
                c->close();
            clients[size_t(t)].clear();
        });
    threads.clear();

    QVERIFY2(done, qPrintable(QStringLiteral("delivered %1 of %2, received %3 of %4")
                                  .arg(deliveredTotal.load()).arg(expectedDeliveries)
                                  .arg(receivedTotal.load()).arg(expectedReceived)));
    for (int index = 0; index < kClients; ++index) {
        const Tally &tally = tallies[size_t(index)];
        if (!tally.errors.isEmpty())
            QFAIL(qPrintable(QStringLiteral("client %1: %2").arg(index).arg(tally.errors.first().toString())));
        QCOMPARE(tally.delivered, kMessages);
        QCOMPARE(tally.duplicateDeliveries, 0);
        QCOMPARE(tally.received.size(), (kClients - 1) * kMessages);  // every other client's...
        for (auto it = tally.received.cbegin(); it != tally.received.cend(); ++it) {
            QVERIFY2(!it.key().startsWith(QString::number(index) + u'/'), qPrintable(it.key()));  // ...none of its own...
            QCOMPARE(it.value(), 1);                                   // ...each exactly once
        }
    }
}

QTEST_GUILESS_MAIN(tst_ClientThreads)
#include "tst_client_threads.moc"
