// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The engine's step invariants, shared by the model test (tst_engine_model.cpp) and the
// engine fuzzer (tests/fuzz/fuzz_engine.cpp): what must hold after every call, whatever the
// input. Not public API; test code only.
//
//   OutcomeLedger    every send ends in at most one outcome per process (exactly one once
//                    the engine is closed), never one for an id it did not accept; every
//                    request finishes at most once (exactly once after close), never one
//                    it did not accept.
//   TransportLedger  the engine asks only for actions legal in its state and the socket's:
//                    OpenSocket only in Connecting and with no socket; frames and pings
//                    only on an open socket; hello first, nothing else before welcome;
//                    close/abort only with a socket.
//   queueBoundProblem  the outbox within maxQueuedMessages / maxQueuedBytes.
#pragma once

#include <engine/connection.h>
#include <protocol/batch.h>
#include <protocol/codec.h>
#include <protocol/compression.h>

#include <QtCore/QHash>
#include <QtCore/QSet>
#include <QtCore/QStringList>

#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace EngineTest {

using namespace Tether::Engine;

// The send an event ends and how ("delivered", "rejected", "dropped:<Reason>", "sent");
// nullopt for events that end no send.
inline std::optional<std::pair<QString, QString>> sendOutcome(const Event &e)
{
    if (auto *d = std::get_if<Delivered>(&e))
        return std::make_pair(d->id, QStringLiteral("delivered"));
    if (auto *r = std::get_if<Rejected>(&e))
        return std::make_pair(r->id, QStringLiteral("rejected"));
    if (auto *x = std::get_if<Dropped>(&e))
        return std::make_pair(x->id, QStringLiteral("dropped:") + dropReasonName(x->reason));
    if (auto *s = std::get_if<Sent>(&e))
        return std::make_pair(s->id, QStringLiteral("sent"));
    return std::nullopt;
}

struct OutcomeLedger {
    QHash<QString, QStringList> outcomes;  // every outcome, over every process
    QSet<QString> accepted;                // ids send() accepted
    QSet<QString> endedThisProcess;
    std::map<quint64, int> finished;       // request id -> RequestFinished count
    QStringList violations;

    void sendAccepted(const QString &id) { accepted.insert(id); }
    void requestAccepted(quint64 id) { finished.emplace(id, 0); }
    // A new process restored the outbox: an id may end again there (its end was not
    // stored yet); request ids start over with the new engine.
    void newProcess()
    {
        endedThisProcess.clear();
        finished.clear();
    }

    // Records `e`; a violation is noted as it happens.
    void observe(const Event &e)
    {
        if (const auto outcome = sendOutcome(e)) {
            const QString &id = outcome->first;
            if (!accepted.contains(id))
                violations << QStringLiteral("outcome %1 for %2, never accepted").arg(outcome->second, id);
            if (endedThisProcess.contains(id))
                violations << QStringLiteral("send %1 ended twice in one process (%2, then %3)")
                                  .arg(id, outcomes.value(id).join(u','), outcome->second);
            endedThisProcess.insert(id);
            outcomes[id] << outcome->second;
        } else if (auto *f = std::get_if<RequestFinished>(&e)) {
            const auto it = finished.find(f->id);
            if (it == finished.end())
                violations << QStringLiteral("RequestFinished for unknown %1").arg(f->id);
            else if (++it->second > 1)
                violations << QStringLiteral("request %1 finished %2 times").arg(f->id).arg(it->second);
        }
    }

    // After close(): what has not ended (sends and requests).
    QStringList unended() const
    {
        QStringList out;
        for (const QString &id : accepted)
            if (!endedThisProcess.contains(id))
                out << QStringLiteral("send %1 never ended").arg(id);
        for (const auto &[id, count] : finished)
            if (count == 0)
                out << QStringLiteral("request %1 never finished").arg(id);
        return out;
    }
};

struct TransportLedger {
    enum class Socket { None, Opening, Open };
    Socket socket = Socket::None;
    bool helloSent = false;
    bool welcomed = false;  // the caller says when a welcome was handed in
    // The server's inflate stream of the current socket (docs/protocol.md §10.5).
    std::unique_ptr<Tether::Protocol::BatchInflater> inflater;

    // The transport reports: the socket opened / is gone (closed, failed, refused).
    void opened() { socket = Socket::Open; }
    void gone()
    {
        socket = Socket::None;
        helloSent = welcomed = false;
    }

    // hello first and once per socket, nothing else before the welcome.
    QString checkOrder(const Tether::Protocol::Frame &frame)
    {
        const bool hello = std::holds_alternative<Tether::Protocol::Hello>(frame);
        if (!helloSent && !hello)
            return QStringLiteral("%1 before hello").arg(Tether::Protocol::frameTypeName(frame));
        if (helloSent && hello)
            return QStringLiteral("second hello on one socket");
        if (helloSent && !welcomed)
            return QStringLiteral("%1 before welcome").arg(Tether::Protocol::frameTypeName(frame));
        helloSent = true;
        return {};
    }

    // Checks `action` asked for in `state`; updates the socket. Empty when legal. `batched`:
    // protocol v1.1 was negotiated, so a SendFrame may carry several frames (a batch).
    // `deflate`: the +deflate name was negotiated, so a batch may leave compressed
    // (docs/protocol.md §10.5); it must then inflate to a batch that reads as above.
    QString check(State state, const Action &action, const Tether::Protocol::Codec *codec, bool rawMode,
                  bool batched = false, bool deflate = false)
    {
        if (std::holds_alternative<OpenSocket>(action)) {
            const Socket before = socket;
            socket = Socket::Opening;
            helloSent = welcomed = false;
            inflater = std::make_unique<Tether::Protocol::BatchInflater>();
            if (state != State::Connecting)
                return QStringLiteral("OpenSocket in state %1").arg(stateName(state));
            if (before != Socket::None)
                return QStringLiteral("OpenSocket while a socket exists");
            return {};
        }
        if (auto *frame = std::get_if<SendFrame>(&action)) {
            if (socket != Socket::Open)
                return QStringLiteral("SendFrame with no open socket");
            if (rawMode || !codec)
                return {};
            if (!batched) {
                const auto decoded = codec->decode(frame->bytes);
                if (!decoded.ok())
                    return QStringLiteral("the engine sent an undecodable frame: ") + decoded.error;
                return checkOrder(*decoded.frame);
            }
            Tether::Protocol::InflatedBatch inflated;
            QByteArrayView bytes = frame->bytes;
            if (frame->binary && Tether::Protocol::isCompressedMessage(bytes)) {
                if (!deflate)
                    return QStringLiteral("a compressed batch on a connection without +deflate");
                if (!inflater)
                    return QStringLiteral("a compressed batch before any OpenSocket");
                // One stream per socket: a batch that does not inflate here was compressed
                // by a stream that is not this socket's (not reset, or out of order).
                inflated = inflater->inflate(bytes, qsizetype(1) << 30);
                if (!inflated.ok())
                    return QStringLiteral("the engine sent a compressed batch that does not inflate: ") + inflated.error;
                bytes = inflated.batch;
            }
            Tether::Protocol::BatchReader reader(*codec, bytes);
            while (!reader.atEnd()) {
                const auto decoded = reader.next();
                if (!decoded.ok())
                    return QStringLiteral("the engine sent an undecodable batch: ") + decoded.error;
                if (const QString problem = checkOrder(*decoded.frame); !problem.isEmpty())
                    return problem;
            }
            return {};
        }
        if (std::holds_alternative<SendPing>(action))
            return socket == Socket::Open ? QString() : QStringLiteral("SendPing with no open socket");
        if (std::holds_alternative<CloseSocket>(action) || std::holds_alternative<AbortSocket>(action)) {
            const bool had = socket != Socket::None;
            gone();
            return had ? QString() : QStringLiteral("close with no socket");
        }
        return {};
    }
};

// The outbox within its bounds (as long as setOptions() never lowered them).
inline QString queueBoundProblem(const Connection &c)
{
    const Options &o = c.options();
    if (c.queueDepth() > o.maxQueuedMessages)
        return QStringLiteral("queue holds %1 messages, bound %2").arg(c.queueDepth()).arg(o.maxQueuedMessages);
    if (c.queueBytes() > o.maxQueuedBytes)
        return QStringLiteral("queue holds %1 bytes, bound %2").arg(c.queueBytes()).arg(o.maxQueuedBytes);
    return {};
}

} // namespace EngineTest
