// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether engine: randomness for backoff jitter and message ids. Not public API.
//
// Rules (issue 16):
// - A message id is 128 random bits (docs/api.md, SendOptions::id) in base64url without
//   padding: 22 characters. Ids are visible to the server and, on channels, to other
//   clients, so nobody may predict the next one: without an injected source the bits come
//   from a cryptographic generator keyed by the operating system's CSPRNG, never from a
//   PRNG that its own output reveals: getrandom(2) on Linux, QRandomGenerator::system()
//   elsewhere (arc4random, BCrypt...). Not QRandomGenerator::system() on Linux: it
//   prefers the CPU's RDRAND, which costs ~2 µs per id on the AMD EPYC of our CI.
// - Options::random, when set, replaces that source for everything (ids and jitter), so a
//   seeded source replays the same run: the tests' deterministic clock and ids.
// - The encoding is Qt's (QByteArray::toBase64 with Base64UrlEncoding|OmitTrailingEquals).
//
// - The system CSPRNG keys a ChaCha20 generator (RFC 8439 block function) here, in the
//   process, instead of being read for every id: getrandom(2) costs ~7 ns a byte on the
//   AMD EPYC of our CI (112 ns per id even in 64 KiB reads, 10-20 % of a message's client
//   CPU, issue 18), ChaCha20 ~1.5 ns. Nobody can predict an id without the key, which
//   never leaves this object and is replaced at every refill (fast key erasure: the
//   first 32 bytes of each 1 KiB of keystream become the next key, so a key read from
//   memory later does not reveal earlier ids); words are wiped as they are handed out.
//   Every kRefillsPerReseed refills (~1 MiB) fresh system bits are mixed into the key.
//
// Theory of operation: the generator (key + 1 KiB of keystream, allocated at the first
// draw: an engine with an injected source never has one) is refilled when its words are
// used up: 16 ChaCha20 blocks under the current key, nonce 0, counters 0-15 (a key is
// used for one refill only, so counters never repeat under it). A forked child must not
// reuse a parent's engine (it would repeat the parent's keystream); the SDK never forks.
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

    static constexpr int kBlockWords = 128;         // 1 KiB of keystream per refill
    static constexpr int kKeyWords = 4;             // ...whose first 32 bytes are the next key
    static constexpr int kRefillsPerReseed = 1024;  // fresh system bits every ~1 MiB

private:
    struct Generator {
        std::array<quint32, 8> key{};
        std::array<quint64, kBlockWords> block{};
        int refills = 0;
    };
    void refill();

    const RandomSource &m_injected;
    std::unique_ptr<Generator> m_generator;
    int m_used = kBlockWords;  // all used: the first next() refills
};

// One 64-byte ChaCha20 block (RFC 8439 §2.3) for `key` (the key bytes as little-endian
// words), block `counter` and `nonce` (little-endian words), serialized as §2.3.2 does.
// Exposed for its known-answer tests.
void chacha20Block(const std::array<quint32, 8> &key, quint32 counter, const std::array<quint32, 3> &nonce,
                   uchar *out);

// Blocks counter .. counter+3 (mod 2^32), as four chacha20Block() calls write them, into
// 256 bytes at `out`: SSE2 computes the four together (~2.5x fewer instructions), other
// targets call chacha20Block().
void chacha20Blocks4(const std::array<quint32, 8> &key, quint32 counter, const std::array<quint32, 3> &nonce,
                     uchar *out);

// The id of the 16 bytes `bits` (exposed for the known-answer test).
QString base64UrlId(const std::array<uchar, 16> &bits);

} // namespace Tether::Engine
