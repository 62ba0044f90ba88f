// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QDebug for ClientOptions: every option, secrets hidden (secrets_p.h).
#include <Tether/options.h>

#include "secrets_p.h"

#include <QtCore/QDebug>

namespace Tether {

QDebug operator<<(QDebug debug, const ClientOptions &o)
{
    QDebugStateSaver saver(debug);
    debug.nospace().noquote() << "Tether::ClientOptions(codec=" << o.codec << ", rawMode=" << o.rawMode
                              << ", handshakeTimeout=" << o.handshakeTimeout.count() << "ms"
                              << ", requestTimeout=" << o.requestTimeout.count() << "ms"
                              << ", maxIncomingFrameSize=" << o.maxIncomingFrameSize
                              << ", backoff=(" << o.backoff.initialDelay.count() << "ms x" << o.backoff.multiplier
                              << " max " << o.backoff.maxDelay.count() << "ms, attempts " << o.backoff.maxAttempts << ')'
                              << ", heartbeat=" << o.heartbeat.interval.count() << "ms/" << o.heartbeat.timeout.count()
                              << "ms, queue=" << o.queue.maxMessages << " msgs/" << o.queue.maxBytes << " bytes"
                              << ", tokenProvider=" << (o.tokenProvider ? "set" : "none") << ", tls=" << o.tls;
    if (o.proxy.type() == QNetworkProxy::DefaultProxy || o.proxy.type() == QNetworkProxy::NoProxy) {
        debug << ", proxy=" << (o.proxy.type() == QNetworkProxy::NoProxy ? "none" : "default");
    } else {
        const char *kind = o.proxy.type() == QNetworkProxy::Socks5Proxy ? "socks5" : o.proxy.type() == QNetworkProxy::HttpProxy ? "http" : "other";
        debug << ", proxy=" << kind << ' ' << o.proxy.hostName() << ':' << o.proxy.port();
        if (!o.proxy.user().isEmpty())
            debug << " user " << o.proxy.user() << " password " << Secrets::kRedacted;
    }
    QStringList headers;
    for (const auto &header : o.extraHeaders)
        headers << QString::fromLatin1(header.first) + QStringLiteral(": ") + Secrets::kRedacted;
    debug << ", extraHeaders=[" << headers.join(QStringLiteral(", ")) << ']';
    if (!o.storage.isEmpty())
        debug << ", storage=" << o.storage << " (" << o.durability << ')';
    debug << ')';
    return debug;
}

} // namespace Tether
