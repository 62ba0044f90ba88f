// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// --ledger FILE: the server's own record of every reliable client message it accepted, for
// tests that must prove from the server's side that nothing an app was promised got lost
// (tests/demos/tst_cli_crash.cpp). Not for production: one line per message, flushed.
//
// Format, one line per accepted msg (a duplicate seq is not accepted again, so a line is a
// first acceptance within its session; a message resent in a new session appears again
// with the same id):  id TAB sid TAB seq TAB channel TAB d-as-compact-JSON
// Appended, never truncated: a restarted server keeps writing after the last line.
#pragma once

#include <protocol/frames.h>

#include <QtCore/QString>

#include <cstdint>
#include <cstdio>
#include <string>

namespace TetherServer {

class Ledger {
public:
    Ledger() = default;
    ~Ledger();
    Ledger(const Ledger &) = delete;
    Ledger &operator=(const Ledger &) = delete;

    // False (with `error` set) when the file cannot be opened for appending.
    bool open(const std::string &path, std::string &error);
    bool isOpen() const { return m_file != nullptr; }
    void record(const QString &sid, std::uint64_t seq, const Tether::Protocol::Msg &msg);

private:
    std::FILE *m_file = nullptr;
};

} // namespace TetherServer
