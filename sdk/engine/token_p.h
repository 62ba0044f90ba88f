// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: the token provider protocol. Not public API.
//
// Rules (issue 4):
// - With Options::useToken, a token is asked for (TokenRequired) before each connect and
//   after close 4001 (token expired); hello carries it. Never logged.
// - The question says why (TokenReason): Expired from a 4001 until the app provides a
//   token (a failed provider does not make the expired token valid again), else Connect.
//   The Qt layer only converts it: knowing what 4001 means stays here.
// - Single flight: one question at a time; a second need while one is pending asks nothing.
// - An answer must come within Options::tokenTimeout; no answer counts as a failure.
// - Failures (tokenFailed(), timeout) and rejections (4001 again) are counted; after
//   Options::maxTokenAttempts in a row the engine fails (Unauthorized / TokenUnavailable)
//   instead of looping. The count resets when a connection stays up for the stable period.
//
// Theory of operation: a tiny state holder; the connection decides what each outcome does
// to the state machine (TokenReady opens the socket; TokenFailed backs off or fails).
#pragma once

#include "options.h"
#include "sink_p.h"
#include "timers_p.h"

namespace Tether::Engine {

class TokenState {
public:
    explicit TokenState(const Options &options) : m_options(options) {}

    // Asks the app for a token unless a question is already pending. Returns true if asked.
    bool request(TimePoint now, Sink &sink, TimerTable &timers);
    bool pending() const { return m_pending; }
    // The app answered: stores the token and ends the question.
    void answered(const QString &token, TimerTable &timers);
    // The question ended without a token (tokenFailed or timeout), or a token was rejected
    // (4001). Returns true when the tries are exhausted.
    bool failed(TimerTable &timers);
    void cancel(TimerTable &timers);
    // The server refused the current token as expired (4001): later questions say Expired
    // until answered() stores a new token.
    void expired() { m_expired = true; }
    void reset() { m_failures = 0; }
    int failures() const { return m_failures; }
    const QString &token() const { return m_token; }

private:
    const Options &m_options;
    QString m_token;
    bool m_pending = false;
    bool m_expired = false;
    int m_failures = 0;
};

} // namespace Tether::Engine
