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

} // namespace Tether::Testing
