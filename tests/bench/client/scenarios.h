// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The client benchmark's scenarios, one file each. Each prints its own table(s) and calls
// Bench::fail() when something that must happen (a delivery, a reconnect) did not.
#pragma once

#include "bench_common.h"

#include <Tether/Client>

#include <memory>

namespace Bench {

using Tether::Testing::ServerProcess;

// A Client opened on `url`, waited (bounded) until Connected; nullptr after fail().
std::unique_ptr<Tether::Client> connectedClient(const QUrl &url, const Tether::ClientOptions &options,
                                                const QString &what);

// AtLeastOnce sends with `window` unconfirmed, a new one per delivered(id), until `count`
// are delivered; `used` is the client's and the server's usage. False after fail().
bool reliableWindow(const ServerProcess &server, const Tether::ClientOptions &options, const QByteArray &payload,
                    qint64 count, int window, Usage *used);

void throughput(const Settings &settings, ServerProcess &server);
void latency(const Settings &settings, ServerProcess &server);
void memory(const Settings &settings);
// The child side of memory(): queues messages offline and prints one line of figures.
int memoryChild(const QString &codec, int count);
void recovery(const Settings &settings, ServerProcess &server);
void storm(const Settings &settings, ServerProcess &server);
void durable(const Settings &settings, ServerProcess &server);

} // namespace Bench
