// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Bounded waits that keep the event loop running.
//
// Unlike QTest::qWaitFor (which sleeps in 10 ms steps between polls), waitUntil() blocks in
// the event dispatcher and re-checks the predicate after every batch of events, so a frame
// is handled (and time-stamped) the moment it arrives: the ack-timing checks depend on it.
#pragma once

#include <functional>

namespace Tether::Testing {

// Runs the event loop until `predicate` holds or `timeoutMs` has passed; returns the
// predicate's final value. The predicate is checked once before waiting.
bool waitUntil(const std::function<bool()> &predicate, int timeoutMs);

// Runs the event loop for `ms` milliseconds (like QTest::qWait, without its polling).
void spin(int ms);

// TETHER_TEST_TIME_SCALE (default 1; the asan test preset sets 3): how much slower this
// build runs than the optimised one. For the protocol timers a test sets tight on purpose
// (a 500 ms heartbeat timeout) where a slow build would trip them and turn a check of
// behaviour into a check of speed; never a blanket increase of every wait.
double timeScale();
int scaledMs(int ms);

} // namespace Tether::Testing
