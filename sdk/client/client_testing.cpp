// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Test hooks into a Client: see client_testing_p.h.
#include "client_testing_p.h"

#include "client_p.h"
#include "networkwatch_p.h"

namespace Tether::Testing {

void setTransport(Client *client, Transport *transport)
{
    ClientPrivate::get(client)->setTransport(transport);
}

void setEngineOptions(Client *client, std::function<void(Engine::Options &)> adjust)
{
    ClientPrivate *d = ClientPrivate::get(client);
    d->adjustEngineOptions = std::move(adjust);
    // A store is read into the engine it was opened for: read it again into the new one.
    d->closeStorage();
    d->openStorage();
    d->createEngine();
    d->restoreStorage();
}

void setClock(Client *client, std::function<SteadyTimePoint()> clock)
{
    ClientPrivate *d = ClientPrivate::get(client);
    d->clock = std::move(clock);
    d->timer.stop();
    d->armedDeadline.reset();
    d->armTimer();
}

std::optional<SteadyTimePoint> timerDeadline(const Client *client)
{
    return ClientPrivate::get(client)->armedDeadline;
}

void fireTimer(Client *client)
{
    ClientPrivate::get(client)->onTimeout();
}

void reportReachability(QNetworkInformation::Reachability reachability)
{
    if (NetworkWatch *watch = NetworkWatch::instance())
        watch->reportReachability(reachability);
}

void reportTransportMediumChange()
{
    if (NetworkWatch *watch = NetworkWatch::instance())
        watch->reportTransportMediumChange();
}

} // namespace Tether::Testing
