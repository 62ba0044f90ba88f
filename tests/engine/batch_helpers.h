// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Helpers of the v1.1 engine tests (tst_engine_batch, tst_engine_compression): what was
// sent since a point, a burst of sends in one turn, the seqs of decoded frames.
#pragma once

#include "engine_harness.h"

#include <QtTest/QtTest>

namespace EngineTest {

inline std::vector<SendFrame> framesSince(const Harness &h, size_t from)
{
    std::vector<SendFrame> out;
    for (size_t i = from; i < h.actions.size(); ++i)
        if (auto *f = std::get_if<SendFrame>(&h.actions[i]))
            out.push_back(*f);
    return out;
}

// `count` messages sent in one engine call sequence (no poll in between), then one pump.
inline void sendMany(Harness &h, int count, int payloadBytes = 8)
{
    for (int i = 0; i < count; ++i)
        QVERIFY(h->send(h.now, QCborValue(QString(payloadBytes, QLatin1Char('x'))), {}).ok());
    h.pump();
}

inline std::vector<quint64> seqsOf(const std::vector<P::Frame> &frames)
{
    std::vector<quint64> out;
    for (const P::Frame &f : frames)
        if (auto *m = std::get_if<P::Msg>(&f))
            out.push_back(m->seq.value_or(0));
    return out;
}

inline std::vector<quint64> range(quint64 from, quint64 to)
{
    std::vector<quint64> out;
    for (quint64 s = from; s <= to; ++s)
        out.push_back(s);
    return out;
}

} // namespace EngineTest
