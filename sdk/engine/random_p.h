// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: randomness for backoff jitter and message ids. Not public API.
//
// Rules (issue 16):
// - A message id is 128 random bits (docs/api.md, SendOptions::id) in base64url without
//   padding: 22 characters. Ids are visible to the server and, on channels, to other
//   clients, so nobody may predict the next one: without an injected source the bits come
//   from the operating system's CSPRNG, never from a PRNG that its own output reveals:
//   getrandom(2) on Linux, QRandomGenerator::system() elsewhere (arc4random, BCrypt...).
//   Not QRandomGenerator::system() on Linux: it prefers the CPU's RDRAND, which costs
//   ~2 µs per id on the AMD EPYC of our CI (measured; getrandom: ~90 ns per id).
// - Options::random, when set, replaces that source for everything (ids and jitter), so a
//   seeded source replays the same run: the tests' deterministic clock and ids.
// - The encoding is Qt's (QByteArray::toBase64 with Base64UrlEncoding|OmitTrailingEquals).
//
// Theory of operation: the system source is read in blocks of kBlockWords words (1 KiB,
// allocated at the first draw: an engine with an injected source never has one), so a
// message costs a copy from the block, not a system call (one call per 64 ids). A forked
// child must not reuse a parent's engine (it would repeat the block's remaining words);
// the SDK never forks.
#pragma once

#include "options.h"

#include <QtCore/QString>

#include <array>
#include <memory>

namespace Tether::Engine {

class Randomness {
public:
    // `injected` empty: the system CSPRNG. Kept by reference (Options outlives this).
    explicit Randomness(const RandomSource &injected) : m_injected(injected) {}

    quint64 next();
    // 128 random bits (two next() values, least significant byte first) in base64url.
    QString messageId();

private:
    static constexpr int kBlockWords = 128;
    const RandomSource &m_injected;
    std::unique_ptr<std::array<quint64, kBlockWords>> m_block;
    int m_used = kBlockWords;  // all used: the first next() reads a block
};

// The id of the 16 bytes `bits` (exposed for the known-answer test).
QString base64UrlId(const std::array<uchar, 16> &bits);

} // namespace Tether::Engine
