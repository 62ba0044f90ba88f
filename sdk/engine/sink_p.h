// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: where the parts of a connection put what they produce. Not public API.
//
// Rules: components never emit anything but through a Sink; events and actions leave the
// engine only through Connection::pollEvent()/pollAction(), in the order they were put.
#pragma once

#include "fifo_p.h"
#include "outputs.h"

namespace Tether::Engine {

struct Sink {
    Fifo<Action> actions;
    Fifo<Event> events;
    Stats stats;
    std::optional<Error> lastError;

    void post(Event event) { events.push_back(std::move(event)); }
    void act(Action action) { actions.push_back(std::move(action)); }
    void reportError(const Error &error)
    {
        lastError = error;
        events.push_back(ErrorOccurred{error});
    }
};

} // namespace Tether::Engine
