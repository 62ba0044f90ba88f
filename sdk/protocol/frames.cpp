// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "frames.h"

namespace Tether::Protocol {

bool operator==(const ErrorObject &a, const ErrorObject &b)
{
    return a.code == b.code && a.msg == b.msg && a.data == b.data;
}

bool operator==(const Hello &a, const Hello &b)
{
    return a.sid == b.sid && a.rx == b.rx && a.ak == b.ak && a.token == b.token && a.agent == b.agent;
}

bool operator==(const Welcome &a, const Welcome &b)
{
    return a.sid == b.sid && a.resumed == b.resumed && a.rx == b.rx && a.hb == b.hb
        && a.maxFrame == b.maxFrame && a.ttl == b.ttl;
}

bool operator==(const Msg &a, const Msg &b)
{
    return a.seq == b.seq && a.id == b.id && a.ch == b.ch && a.d == b.d && a.payloadSkipped == b.payloadSkipped;
}

bool operator==(const Req &a, const Req &b)
{
    return a.id == b.id && a.m == b.m && a.d == b.d;
}

bool operator==(const Res &a, const Res &b)
{
    return a.id == b.id && a.result == b.result;
}

bool operator==(const ErrorFrame &a, const ErrorFrame &b)
{
    return a.code == b.code && a.msg == b.msg && a.retryAfter == b.retryAfter;
}

namespace {
struct TypeName {
    QLatin1StringView operator()(const Hello &) const { return QLatin1StringView("hello"); }
    QLatin1StringView operator()(const Welcome &) const { return QLatin1StringView("welcome"); }
    QLatin1StringView operator()(const Msg &) const { return QLatin1StringView("msg"); }
    QLatin1StringView operator()(const Ack &) const { return QLatin1StringView("ack"); }
    QLatin1StringView operator()(const Nack &) const { return QLatin1StringView("nack"); }
    QLatin1StringView operator()(const Req &) const { return QLatin1StringView("req"); }
    QLatin1StringView operator()(const Res &) const { return QLatin1StringView("res"); }
    QLatin1StringView operator()(const Sub &) const { return QLatin1StringView("sub"); }
    QLatin1StringView operator()(const Unsub &) const { return QLatin1StringView("unsub"); }
    QLatin1StringView operator()(const ErrorFrame &) const { return QLatin1StringView("error"); }
};
} // namespace

QLatin1StringView frameTypeName(const Frame &frame)
{
    return std::visit(TypeName{}, frame);
}

} // namespace Tether::Protocol
