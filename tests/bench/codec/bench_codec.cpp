// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Codec benchmark: ns per frame to encode and to decode the frames of the hot path (msg
// with a 64-byte string payload, ack) and two others (req, res), in both codecs, plus
// the engine's hot path (a payload encoded once, re-wrapped by encodeMsg on every send)
// and, for scale, Qt's DOM types doing the same job.
//
// Method: time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other processes on
// a busy machine inflate the figures less than wall time would. Each cell runs `iterations` operations per run, `runs` times, and reports the
// minimum and the median ns per operation. Every encode writes into a fresh QByteArray
// (as the engine does, since the bytes are handed to the socket) and every decode builds
// the whole Frame, payload included. Results feed a sink so nothing is optimised away.
//
// Usage: tether_codec_bench [--smoke] [--runs N] [--iterations N]
#include "protocol/codec.h"

#include <QtCore/QCborMap>
#include <QtCore/QCoreApplication>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <functional>
#include <vector>

using namespace Tether::Protocol;

namespace {

volatile qsizetype g_sink = 0;

struct Timing {
    double minNs = 0;
    double medianNs = 0;
};

qint64 cpuNs()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Timing measure(int runs, int iterations, const std::function<qsizetype()> &op)
{
    std::vector<double> perOp;
    for (int i = 0; i < iterations / 10 + 1; ++i)  // warm caches and allocator
        g_sink = g_sink + op();
    for (int r = 0; r < runs; ++r) {
        const qint64 start = cpuNs();
        qsizetype sink = 0;
        for (int i = 0; i < iterations; ++i)
            sink += op();
        perOp.push_back(double(cpuNs() - start) / iterations);
        g_sink = g_sink + sink;
    }
    std::sort(perOp.begin(), perOp.end());
    return { perOp.front(), perOp[perOp.size() / 2] };
}

QString payload64()
{
    // 64 ASCII bytes, a typical chat line.
    return QStringLiteral("The quick brown fox jumps over the lazy dog; then it sleeps. 0123");
}

struct Case {
    const char *name;
    Frame frame;
};

std::vector<Case> cases()
{
    QCborMap params;
    params.insert(QLatin1StringView("room"), QStringLiteral("general"));
    params.insert(QLatin1StringView("limit"), 50);
    QCborMap result;
    result.insert(QLatin1StringView("ok"), true);
    result.insert(QLatin1StringView("count"), 3);
    return {
        { "msg (64-byte string)", Msg{ 123, QStringLiteral("m-000123"), QStringLiteral("room"), QCborValue(payload64()) } },
        { "ack", Ack{ 123 } },
        { "req", Req{ 7, QStringLiteral("history"), QCborValue(params) } },
        { "res", Res{ 7, QCborValue(result) } },
    };
}

void row(const char *codec, const char *what, const Timing &t)
{
    std::printf("| %-5s | %-38s | %8.0f | %9.0f |\n", codec, what, t.minNs, t.medianNs);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int runs = 7;
    int iterations = 200000;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == QLatin1StringView("--smoke")) {
            runs = 1;
            iterations = 200;
        } else if (args[i] == QLatin1StringView("--runs") && i + 1 < args.size()) {
            runs = std::max(1, args[++i].toInt());
        } else if (args[i] == QLatin1StringView("--iterations") && i + 1 < args.size()) {
            iterations = std::max(1, args[++i].toInt());
        }
    }

    std::printf("tether codec benchmark: %d runs x %d operations per cell, ns per operation\n\n", runs, iterations);
    std::printf("| codec | operation                              |   min ns | median ns |\n");
    std::printf("|-------|----------------------------------------|---------:|----------:|\n");

    for (const Codec *codec : { &jsonCodec(), &cborCodec() }) {
        const char *name = codec->kind() == CodecKind::Json ? "JSON" : "CBOR";
        for (const Case &c : cases()) {
            QByteArray encoded;
            QString error;
            if (!codec->encode(c.frame, encoded, &error)) {
                std::fprintf(stderr, "encode failed: %s\n", qPrintable(error));
                return 1;
            }
            const Timing enc = measure(runs, iterations, [&] {
                QByteArray out;
                codec->encode(c.frame, out);
                return out.size();
            });
            const Timing dec = measure(runs, iterations, [&] {
                const DecodeResult r = codec->decode(encoded);
                return r.ok() ? qsizetype(r.frame->index()) : -1;
            });
            const Timing both = measure(runs, iterations, [&] {
                const DecodeResult r = codec->decode(encoded);
                QByteArray out;
                codec->encode(*r.frame, out);
                return out.size();
            });
            row(name, (std::string("encode ") + c.name).c_str(), enc);
            row(name, (std::string("decode ") + c.name).c_str(), dec);
            row(name, (std::string("decode+encode ") + c.name).c_str(), both);
        }

        // The engine's hot path: payload encoded once, envelope re-written per (re)send.
        const QCborValue payload(payload64());
        QByteArray encodedPayload;
        codec->encodeValue(payload, encodedPayload);
        const QString id = QStringLiteral("m-000123");
        const QString ch = QStringLiteral("room");
        const Timing value = measure(runs, iterations, [&] {
            QByteArray out;
            codec->encodeValue(payload, out);
            return out.size();
        });
        const Timing wrap = measure(runs, iterations, [&] {
            QByteArray out;
            MsgHeader header;
            header.seq = 123;
            header.id = id;
            header.ch = ch;
            codec->encodeMsg(header, encodedPayload, out);
            return out.size();
        });
        row(name, "encodeValue (64-byte string)", value);
        row(name, "encodeMsg (stored payload)", wrap);
    }

    // For scale: Qt's DOM types doing a msg round trip (parse + serialise), no validation.
    QByteArray json;
    jsonCodec().encode(cases()[0].frame, json);
    QByteArray cbor;
    cborCodec().encode(cases()[0].frame, cbor);
    const Timing jsonDom = measure(runs, iterations, [&] {
        const QJsonDocument doc = QJsonDocument::fromJson(json);
        return doc.toJson(QJsonDocument::Compact).size();
    });
    const Timing cborDom = measure(runs, iterations, [&] {
        const QCborValue v = QCborValue::fromCbor(cbor);
        return v.toCbor().size();
    });
    row("JSON", "QJsonDocument parse+toJson msg (ref.)", jsonDom);
    row("CBOR", "QCborValue fromCbor+toCbor msg (ref.)", cborDom);
    return g_sink == -42 ? 1 : 0;
}
