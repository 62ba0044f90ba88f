// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The Sink's queue (fifo_p.h): first in, first out whatever the interleaving, the popped
// prefix given back to a consumer that never drains it, a burst's storage released once
// drained, and move-only payloads carried intact.
#include <engine/fifo_p.h>

#include <QtTest/QTest>

#include <memory>
#include <string>

using Tether::Engine::Fifo;

class tst_EngineFifo : public QObject {
    Q_OBJECT
private slots:
    void firstInFirstOutAcrossInterleaving();
    void neverDrainedStaysBounded();
    void burstStorageReleasedWhenDrained();
    void moveOnlyPayloads();
};

void tst_EngineFifo::firstInFirstOutAcrossInterleaving()
{
    Fifo<int> fifo;
    QVERIFY(fifo.empty());
    int next = 0, expected = 0;
    // Push three, pop two, many times (the queue never drains), then drain.
    for (int round = 0; round < 1000; ++round) {
        for (int i = 0; i < 3; ++i)
            fifo.push_back(int(next++));
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(fifo.front(), expected++);
            fifo.pop_front();
        }
        QCOMPARE(fifo.size(), size_t(next - expected));
    }
    while (!fifo.empty()) {
        QCOMPARE(fifo.front(), expected++);
        fifo.pop_front();
    }
    QCOMPARE(expected, next);
    // Usable again after draining.
    fifo.push_back(7);
    QCOMPARE(fifo.front(), 7);
}

void tst_EngineFifo::neverDrainedStaysBounded()
{
    // A consumer that pops one for each one pushed, always one behind: the storage must
    // not grow with the number of elements that ever went through.
    Fifo<std::string> fifo;
    fifo.push_back(std::string("first"));
    for (int i = 0; i < 100000; ++i) {
        fifo.push_back(std::to_string(i));
        QCOMPARE(fifo.size(), size_t(2));
        fifo.pop_front();
        QCOMPARE(fifo.front(), std::to_string(i));
    }
    QVERIFY2(fifo.storage() <= 2 * Fifo<std::string>::kCompactFrom + 2,
             qPrintable(QString::number(fifo.storage())));
}

void tst_EngineFifo::burstStorageReleasedWhenDrained()
{
    Fifo<int> fifo;
    for (int i = 0; i < 100; ++i)
        fifo.push_back(int(i));
    while (!fifo.empty())
        fifo.pop_front();
    QVERIFY(fifo.capacity() >= 100);  // a small burst keeps its storage: no allocation next time

    for (int i = 0; i < 50000; ++i)
        fifo.push_back(int(i));
    for (int i = 0; i < 50000; ++i) {
        QCOMPARE(fifo.front(), i);
        fifo.pop_front();
    }
    QVERIFY(fifo.empty());
    QCOMPARE(fifo.capacity(), size_t(0));  // a burst above kKeepCapacity is given back
}

void tst_EngineFifo::moveOnlyPayloads()
{
    Fifo<std::unique_ptr<int>> fifo;
    for (int i = 0; i < 200; ++i)
        fifo.push_back(std::make_unique<int>(i));
    for (int i = 0; i < 200; ++i) {
        std::unique_ptr<int> item = std::move(fifo.front());
        fifo.pop_front();
        QVERIFY(item);
        QCOMPARE(*item, i);
    }
}

QTEST_APPLESS_MAIN(tst_EngineFifo)
#include "tst_engine_fifo.moc"
