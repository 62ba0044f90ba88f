// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Test hooks into a Client: inject a transport and a clock, drive the one timer.
//
// Not public API, and not in a normal build's ABI: exported only where tests are built
// (TETHER_AUTOTEST_EXPORTS, see autotest_p.h), for tests/client/tst_client_facade.cpp. They
// swap the Client's I/O and nothing else, so a test runs the very code an app runs:
// - setTransport(): a fake transport in place of the WebSocket one;
// - setEngineOptions(): engine settings the public API does not expose (a seeded random
//   source for repeatable ids and jitter);
// - setClock(): a fake steady clock handed to the engine. With it the QTimer never starts
//   (real milliseconds mean nothing on a fake clock): the test reads timerDeadline(), moves
//   its clock and calls fireTimer(), as the QTimer would at that deadline.
#pragma once

#include "autotest_p.h"

#include <Tether/client.h>

#include <engine/options.h>

#include <QtNetwork/QNetworkInformation>

#include <chrono>
#include <functional>
#include <optional>

namespace Tether {

class Transport;

namespace Testing {

using SteadyTimePoint = std::chrono::steady_clock::time_point;

// Replaces `client`'s transport by `transport` (the client takes ownership; the previous
// one is deleted). Only before open(): a socket in use would never report its end.
TETHER_AUTOTEST_EXPORT void setTransport(Client *client, Transport *transport);

// Recreates `client`'s engine (as Client::setOptions() does: before open() only) with its
// usual options changed by `adjust`; later setOptions() calls apply `adjust` too.
TETHER_AUTOTEST_EXPORT void setEngineOptions(Client *client, std::function<void(Engine::Options &)> adjust);

// Replaces the steady clock `client` hands to its engine by `clock` (empty: the real one).
TETHER_AUTOTEST_EXPORT void setClock(Client *client, std::function<SteadyTimePoint()> clock);

// The deadline `client`'s single timer is armed for: the engine's earliest deadline as of
// the last input; nullopt while the timer is stopped.
TETHER_AUTOTEST_EXPORT std::optional<SteadyTimePoint> timerDeadline(const Client *client);

// The timer fires now (whether due or not: an early timeout is a no-op for the engine).
TETHER_AUTOTEST_EXPORT void fireTimer(Client *client);

// The process's network watcher (Client::setFollowNetwork()) reports what a
// QNetworkInformation backend would: a reachability, or a transport medium change.
TETHER_AUTOTEST_EXPORT void reportReachability(QNetworkInformation::Reachability reachability);
TETHER_AUTOTEST_EXPORT void reportTransportMediumChange();

} // namespace Testing
} // namespace Tether
