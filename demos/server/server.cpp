// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "server.h"

#include "clock.h"
#include "log.h"

#include <libwebsockets.h>
#include <protocol/batch.h>

#include <csignal>
#include <sys/resource.h>
#include <cstdio>
#include <cstring>

namespace TetherServer {

using namespace Tether::Protocol;

namespace {

// Per-connection receive buffer lws allocates (frame payload per RECEIVE callback; larger
// messages arrive in pieces and are reassembled). Reads from the socket use the 256 KiB
// service buffer, so this does not limit throughput; it bounds memory per connection.
constexpr size_t kRxBufferSize = 16 * 1024;
constexpr unsigned kServiceBufferSize = 256 * 1024;
constexpr std::int64_t kShutdownGraceMs = 2000;
constexpr std::int64_t kStoreWaitMs = 2000;

Server *g_server = nullptr;
lws_context *g_context = nullptr;
volatile std::sig_atomic_t g_stopRequested = 0;
volatile std::sig_atomic_t g_reloadRequested = 0;   // SIGHUP: reread the JWT key files
lws_sorted_usec_list_t g_sul;

// What lws keeps per connection for us (its per_session_data, zeroed by lws).
struct WsiData {
    Connection *connection;
    bool rawSink;
};

enum ProtocolIndex : unsigned { kRawProtocol = 0, kJsonProtocol = 1, kCborProtocol = 2, kJsonV11Protocol = 3,
                                kCborV11Protocol = 4, kJsonV11DeflateProtocol = 5, kCborV11DeflateProtocol = 6 };

void onSignal(int signal)
{
    if (signal == SIGHUP)
        g_reloadRequested = 1;
    else
        g_stopRequested = 1;
    if (g_context)
        lws_cancel_service(g_context);   // wakes the loop; only writes to a pipe
}

int lwsCallback(lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    // --tls-client-ca: lws asks protocol[0] about each client certificate and, unanswered,
    // would accept it whatever OpenSSL found (return 0 = accept). Keep OpenSSL's verdict
    // (`len` is preverify_ok). `user` is no WsiData here.
    if (reason == LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION)
        return len ? 0 : 1;
    if (g_server)
        return g_server->handle(wsi, int(reason), user, in, len);
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

void sulCallback(lws_sorted_usec_list_t *)
{
    if (g_server)
        g_server->onTimer();
}

// Does the comma-separated Sec-WebSocket-Protocol list name a Tether subprotocol this
// server speaks (v1.1 names only with `v11`, +deflate names only with `deflate` too)?
bool offersTether(const char *list, bool v11, bool deflate)
{
    std::string token;
    for (const char *p = list;; ++p) {
        if (*p == ',' || *p == '\0') {
            const auto named = parseSubprotocol(QByteArrayView(token.data(), qsizetype(token.size())));
            if (named && (v11 || named->version == Version::V1) && (deflate || !named->deflate))
                return true;
            token.clear();
            if (*p == '\0')
                return false;
        } else if (*p != ' ' && *p != '\t') {
            if (token.size() < 64)
                token += *p;
        }
    }
}

bool isRawPath(lws *wsi)
{
    char uri[64];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
        return false;
    return std::strcmp(uri, "/raw") == 0 || std::strcmp(uri, "/raw/") == 0;
}

bool hasSinkArgument(lws *wsi)
{
    char arg[64];
    for (int i = 0; i < 8 && lws_hdr_copy_fragment(wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, i) > 0; ++i) {
        if (std::strncmp(arg, "sink", 4) == 0)
            return true;
    }
    return false;
}

// No lws "validity" (idle ping/hang-up) timers: lws 4.1 keeps one per connection in a single
// sorted list per thread, and each (re)insertion walks that list, O(open connections).
// Dead peers are found by --ping-interval instead (Hub::pingTick).
const lws_retry_bo_t kNoValidityPolicy = {nullptr, 0, 0, 0, 0, 0};

// lws picks the first name of the client's list it knows, so the client's order (v1.1
// first, docs/protocol.md §10.1; +deflate before it, §10.5) decides. --protocol 1 serves
// the list cut before the v1.1 names and --compression off the list cut before the
// +deflate names: the server then does not know them, exactly like a server without them.
const lws_protocols kProtocols[] = {
    {"tether-raw", lwsCallback, sizeof(WsiData), kRxBufferSize, kRawProtocol, nullptr, Connection::kMaxWriteChunk},
    {"tether.v1.json", lwsCallback, sizeof(WsiData), kRxBufferSize, kJsonProtocol, nullptr, Connection::kMaxWriteChunk},
    {"tether.v1.cbor", lwsCallback, sizeof(WsiData), kRxBufferSize, kCborProtocol, nullptr, Connection::kMaxWriteChunk},
    {"tether.v1.1.json", lwsCallback, sizeof(WsiData), kRxBufferSize, kJsonV11Protocol, nullptr, Connection::kMaxWriteChunk},
    {"tether.v1.1.cbor", lwsCallback, sizeof(WsiData), kRxBufferSize, kCborV11Protocol, nullptr, Connection::kMaxWriteChunk},
    {"tether.v1.1.json+deflate", lwsCallback, sizeof(WsiData), kRxBufferSize, kJsonV11DeflateProtocol, nullptr,
     Connection::kMaxWriteChunk},
    {"tether.v1.1.cbor+deflate", lwsCallback, sizeof(WsiData), kRxBufferSize, kCborV11DeflateProtocol, nullptr,
     Connection::kMaxWriteChunk},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
const lws_protocols kProtocolsNoDeflate[] = {
    kProtocols[0], kProtocols[1], kProtocols[2], kProtocols[3], kProtocols[4],
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
const lws_protocols kProtocolsV1[] = {
    kProtocols[0], kProtocols[1], kProtocols[2],
    {nullptr, nullptr, 0, 0, 0, nullptr, 0}};

} // namespace

Server::Server(Options options) : m_options(std::move(options)) {}

Server::~Server()
{
    if (m_context) {
        lws_context_destroy(m_context);
        m_context = nullptr;
        g_context = nullptr;
    }
    m_hub.reset();
    g_server = nullptr;
}

int Server::handle(lws *wsi, int reasonCode, void *user, void *in, size_t len)
{
    const auto reason = static_cast<lws_callback_reasons>(reasonCode);
    auto *data = static_cast<WsiData *>(user);
    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        // Refuse, with an HTTP answer, an upgrade that offers no Tether subprotocol,
        // unless it is for the raw path.
        if (isRawPath(wsi))
            return 0;
        char list[256];
        const int n = lws_hdr_copy(wsi, list, sizeof list, WSI_TOKEN_PROTOCOL);
        if (n > 0 && offersTether(list, m_options.v11, m_options.compression))
            return 0;
        TS_INFO("refusing an upgrade that offers no Tether subprotocol");
        lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, "offer tether.v1.json or tether.v1.cbor");
        return 1;
    }
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (lws_get_protocol(wsi)->id == kRawProtocol) {
            if (!isRawPath(wsi))
                return 1;
            if (data)
                data->rawSink = hasSinkArgument(wsi);
        }
        return 0;
    case LWS_CALLBACK_ESTABLISHED: {
        if (!data)
            return -1;
        char ip[64] = "";
        lws_get_peer_simple(wsi, ip, sizeof ip);
        // What the picked name means (codec, version, compression) is the protocol's rule:
        // parseSubprotocol(), the one the SDK reads the server's answer with.
        const lws_protocols *picked = lws_get_protocol(wsi);
        const auto tether = parseSubprotocol(QByteArrayView(picked->name, qsizetype(std::strlen(picked->name))));
        if (!tether) {
            const auto mode = data->rawSink ? Connection::Mode::RawSink : Connection::Mode::RawEcho;
            data->connection = &m_hub->addConnection(wsi, mode, nullptr, ip);
            return 0;
        }
        data->connection = &m_hub->addConnection(wsi, Connection::Mode::Tether, &codecFor(tether->codec), ip);
        data->connection->setBatching(tether->version == Version::V1_1);
        if (tether->deflate)
            data->connection->setCompression(size_t(m_options.compressionThreshold));
        return 0;
    }
    case LWS_CALLBACK_RECEIVE: {
        Connection *c = data ? data->connection : nullptr;
        if (!c)
            return -1;
        c->lastReceiveMs = coarseNowMs();
        if (c->rxDiscarding)
            return 0;
        const bool final = lws_is_final_fragment(wsi);
        const bool binary = lws_frame_is_binary(wsi);
        const size_t remaining = lws_remaining_packet_payload(wsi);
        const auto *bytes = static_cast<const char *>(in);
        if (remaining == 0 && !m_hub->admitFrame(*c, c->lastReceiveMs)) {
            c->rxDiscarding = true;
            std::string().swap(c->rx);
            return 0;
        }
        if (c->rx.size() + len + remaining > size_t(m_options.maxFrame)) {
            c->rxDiscarding = true;
            std::string().swap(c->rx);
            m_hub->onOversize(*c);
            return 0;
        }
        if (final && c->rx.empty()) {
            m_hub->onMessage(*c, bytes, len, binary);   // the common case: no copy
            return 0;
        }
        if (c->rx.empty())
            c->rx.reserve(len + remaining);  // one allocation per message, not a doubling series
        c->rx.append(bytes, len);
        if (final) {
            std::string message;
            message.swap(c->rx);
            m_hub->onMessage(*c, message.data(), message.size(), binary);
        }
        return 0;
    }
    case LWS_CALLBACK_RECEIVE_PONG:
        if (data && data->connection)
            data->connection->lastReceiveMs = coarseNowMs();
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!data || !data->connection)
            return -1;
        return data->connection->onWritable();
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (data && data->connection) {
            const auto *payload = static_cast<const unsigned char *>(in);
            data->connection->peerCloseCode = len >= 2 ? (payload[0] << 8) | payload[1] : 1005;
        }
        return 0;
    case LWS_CALLBACK_CLOSED:
        if (data && data->connection) {
            Connection *c = data->connection;
            data->connection = nullptr;
            m_hub->onClosed(*c);
        }
        return 0;
    case LWS_CALLBACK_HTTP: {
        // Plain HTTP: WebSocket only, except the Prometheus scrape of this node.
        const char *path = static_cast<const char *>(in);
        if (path && std::strcmp(path, "/metrics") == 0 && lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
            return serveMetrics(wsi);
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "WebSocket only"))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int Server::serveMetrics(lws *wsi)
{
    const Metrics *metrics = Metrics::live();
    if (!metrics) {
        if (lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "no metrics yet"))
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    Gauges gauges = metrics->lastGauges();
    gauges.connections = m_hub->connectionCount();   // the one gauge that can be live here
    const std::string body = metrics->prometheusText(gauges, steadyNowMs());

    // Headers, then the body as the final HTTP write (lws counts it against the
    // Content-Length). A scrape is a few KiB; what the socket does not take now lws keeps
    // and sends before it reads the next request.
    std::string buffer(LWS_PRE + 512 + body.size(), '\0');
    auto *start = reinterpret_cast<unsigned char *>(&buffer[LWS_PRE]);
    unsigned char *p = start;
    unsigned char *end = start + 512;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                                    body.size(), &p, end)
        || lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                        reinterpret_cast<const unsigned char *>("no-store"), 8, &p, end)
        || lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    auto *bodyStart = reinterpret_cast<unsigned char *>(&buffer[LWS_PRE]);
    std::memcpy(bodyStart, body.data(), body.size());
    if (lws_write(wsi, bodyStart, body.size(), LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

void Server::onTimer()
{
    m_armedFor = -1;
    m_timers.runDue(steadyNowMs());
    // Re-arm here, not only after lws_service() returns: lws runs ripe timers *before*
    // computing its poll timeout, so a timer armed later would wait for network input.
    armTimer();
}

void Server::armTimer()
{
    const std::optional<std::int64_t> next = m_timers.nextDeadline();
    if (!next) {
        if (m_armedFor >= 0) {
            lws_sul_cancel(&g_sul);
            m_armedFor = -1;
        }
        return;
    }
    if (*next == m_armedFor)
        return;
    const std::int64_t delayMs = std::max<std::int64_t>(0, *next - steadyNowMs());
    lws_sul_schedule(m_context, 0, &g_sul, sulCallback, lws_usec_t(delayMs) * LWS_US_PER_MS);
    m_armedFor = *next;
}

// Raises the soft limit on open files towards what --max-connections needs (the hard limit
// caps it), before lws sizes its fd table from it.
static void raiseFileLimit(int maxConnections)
{
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    const rlim_t wanted = rlim_t(maxConnections) + 64;
    if (limit.rlim_cur >= wanted)
        return;
    const rlim_t previous = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
    if (limit.rlim_cur > previous && setrlimit(RLIMIT_NOFILE, &limit) == 0)
        TS_INFO("open files limit raised from %llu to %llu", static_cast<unsigned long long>(previous),
                static_cast<unsigned long long>(limit.rlim_cur));
    if (limit.rlim_cur < wanted)
        TS_INFO("open files limited to %llu: fewer than --max-connections %d can be served",
                static_cast<unsigned long long>(limit.rlim_cur), maxConnections);
}

int Server::run()
{
    installLwsLogging(m_options.logLevel);
    raiseFileLimit(m_options.maxConnections);
    g_server = this;
    m_hub = std::make_unique<Hub>(m_options, m_timers);

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    const bool tls = !m_options.tlsCert.empty();
    if (tls)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (m_options.host.find(':') == std::string::npos)
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.pt_serv_buf_size = kServiceBufferSize;
    info.retry_and_idle_policy = &kNoValidityPolicy;
    // Also the deadline of the HTTP upgrade (a slowloris peer is cut after it).
    info.timeout_secs = unsigned((m_options.handshakeTimeoutMs + 999) / 1000);
    info.timeout_secs_ah_idle = info.timeout_secs;   // headers arriving byte by byte
    info.gid = -1;
    info.uid = -1;
    m_context = lws_create_context(&info);
    if (!m_context) {
        TS_ERROR("cannot create the libwebsockets context");
        return 1;
    }
    g_context = m_context;

    info.port = m_options.port;
    const bool anyAddress = m_options.host == "0.0.0.0" || m_options.host == "*";
    info.iface = anyAddress ? nullptr : m_options.host.c_str();
    info.protocols = !m_options.v11 ? kProtocolsV1 : m_options.compression ? kProtocols : kProtocolsNoDeflate;
    info.vhost_name = "tether";
    if (tls) {
        info.ssl_cert_filepath = m_options.tlsCert.c_str();
        info.ssl_private_key_filepath = m_options.tlsKey.c_str();
        if (!m_options.tlsClientCa.empty()) {
            info.ssl_ca_filepath = m_options.tlsClientCa.c_str();
            info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
        }
    }
    m_vhost = lws_create_vhost(m_context, &info);
    if (!m_vhost) {
        TS_ERROR("cannot listen on %s:%d", m_options.host.c_str(), m_options.port);
        return 1;
    }

    // Redis mode: the Redis sockets join this loop. The ready line waits (bounded) for
    // Redis, so that "listening" means sessions can be made; if Redis is down the node
    // starts all the same and refuses sessions until it is back.
    if (!m_hub->attachLoop(m_context)) {
        TS_ERROR("cannot attach the Redis connections to the event loop");
        return 1;
    }
    for (const std::int64_t until = steadyNowMs() + kStoreWaitMs; !m_hub->storeAvailable() && steadyNowMs() < until;) {
        armTimer();
        if (lws_service(m_context, 0) < 0)
            break;
    }

    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::printf("listening on %s:%d\n", m_options.host.c_str(), lws_get_vhost_listen_port(m_vhost));
    std::fflush(stdout);

    serviceUntilStopped();

    TS_INFO("shutting down: closing %zu connections with 1001", m_hub->connectionCount());
    m_hub->shutdown();
    const std::int64_t deadline = steadyNowMs() + kShutdownGraceMs;
    // Also until Redis confirmed the last writes (detached sessions' TTLs, owed messages).
    while ((m_hub->connectionCount() > 0 || m_hub->stateInFlight() > 0) && steadyNowMs() < deadline) {
        armTimer();
        if (lws_service(m_context, 0) < 0)
            break;
    }
    m_hub->stopStore();
    lws_context_destroy(m_context);
    m_context = nullptr;
    g_context = nullptr;
    return 0;
}

void Server::serviceUntilStopped()
{
    while (!g_stopRequested) {
        if (g_reloadRequested) {
            g_reloadRequested = 0;
            m_hub->reloadJwtKeys();
        }
        armTimer();
        if (lws_service(m_context, 0) < 0)
            break;
    }
}

} // namespace TetherServer
