// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The libwebsockets side of tether-server: context, vhost, protocols, callbacks, the
// service loop, timers and signals. Single-threaded: one lws event loop does everything.
//
// Protocols of the vhost (the client's Sec-WebSocket-Protocol list picks one, first
// offered wins): [0] no subprotocol (only on path /raw: raw echo or, with ?sink, sink),
// [1] tether.v1.json, [2] tether.v1.cbor. An upgrade offering no Tether subprotocol on
// any other path is refused with HTTP 400 (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE).
// Plain HTTP: `GET /metrics` answers the Prometheus text format; anything else is a 404.
#pragma once

#include "hub.h"
#include "options.h"
#include "timer_queue.h"

#include <memory>

struct lws_context;
struct lws_vhost;

namespace TetherServer {

class Server {
public:
    explicit Server(Options options);
    ~Server();

    // Binds, prints the ready line, serves until SIGTERM/SIGINT. Returns the exit code.
    int run();

    // The lws protocol callback (reached through a free function in server.cpp).
    int handle(lws *wsi, int reason, void *user, void *in, size_t len);
    void onTimer();

private:
    void armTimer();
    void serviceUntilStopped();
    // GET /metrics: the Prometheus text format of this node's Metrics.
    int serveMetrics(lws *wsi);

    Options m_options;
    TimerQueue m_timers;
    std::unique_ptr<Hub> m_hub;
    lws_context *m_context = nullptr;
    lws_vhost *m_vhost = nullptr;
    std::int64_t m_armedFor = -1;
};

} // namespace TetherServer
