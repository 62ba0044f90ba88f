// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The message id source (random_p.h): the ChaCha20 block function against RFC 8439's
// vectors, the base64url encoding against Qt's, and the generator's output across refills
// and reseeds (no repeats, every bit varies). Statistical checks are loose on purpose:
// they catch a broken generator (a constant, a stuck bit, a repeated block), not a weak one.
#include <engine/random_p.h>

#include <QtCore/QByteArray>
#include <QtCore/QSet>
#include <QtCore/QtEndian>
#include <QtTest/QTest>

#include <cstring>
#include <random>

using namespace Tether::Engine;

namespace {

std::array<quint32, 8> keyFromHex(const char *hex)
{
    const QByteArray bytes = QByteArray::fromHex(hex);
    std::array<quint32, 8> key{};
    for (size_t i = 0; i < key.size(); ++i)
        key[i] = qFromLittleEndian<quint32>(bytes.constData() + 4 * i);
    return key;
}

} // namespace

class tst_EngineRandom : public QObject {
    Q_OBJECT
private slots:
    void chacha20KnownAnswers_data();
    void chacha20KnownAnswers();
    void fourBlocksMatchOneByOne();
    void base64UrlMatchesQt();
    void generatorAcrossRefillsAndReseeds();
};

void tst_EngineRandom::chacha20KnownAnswers_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<quint32>("counter");
    QTest::addColumn<QByteArray>("nonce");
    QTest::addColumn<QByteArray>("block");
    // RFC 8439 §2.3.2.
    QTest::addRow("RFC 8439 2.3.2")
        << QByteArray("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f") << quint32(1)
        << QByteArray("000000090000004a00000000")
        << QByteArray("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
    // RFC 8439 A.1, test vector #1: all-zero key and nonce, counter 0.
    QTest::addRow("RFC 8439 A.1 #1")
        << QByteArray("0000000000000000000000000000000000000000000000000000000000000000") << quint32(0)
        << QByteArray("000000000000000000000000")
        << QByteArray("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
                      "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
}

void tst_EngineRandom::chacha20KnownAnswers()
{
    QFETCH(QByteArray, key);
    QFETCH(quint32, counter);
    QFETCH(QByteArray, nonce);
    QFETCH(QByteArray, block);
    const QByteArray nonceBytes = QByteArray::fromHex(nonce);
    const std::array<quint32, 3> nonceWords = {qFromLittleEndian<quint32>(nonceBytes.constData()),
                                               qFromLittleEndian<quint32>(nonceBytes.constData() + 4),
                                               qFromLittleEndian<quint32>(nonceBytes.constData() + 8)};
    QByteArray out(64, '\0');
    chacha20Block(keyFromHex(key.constData()), counter, nonceWords, reinterpret_cast<uchar *>(out.data()));
    QCOMPARE(out.toHex(), block);
}

// The 4-way block function (SSE2 on x86) against the scalar one (checked above against
// the RFC): random keys and nonces, counters including the 2^32 wrap.
void tst_EngineRandom::fourBlocksMatchOneByOne()
{
    std::mt19937 gen(20261207);
    for (int trial = 0; trial < 200; ++trial) {
        std::array<quint32, 8> key;
        for (quint32 &w : key)
            w = gen();
        const std::array<quint32, 3> nonce = {quint32(gen()), quint32(gen()), quint32(gen())};
        const quint32 counter = trial == 0 ? 0xfffffffeu : trial == 1 ? 0xffffffffu : quint32(gen());
        uchar four[256];
        chacha20Blocks4(key, counter, nonce, four);
        for (quint32 i = 0; i < 4; ++i) {
            uchar one[64];
            chacha20Block(key, counter + i, nonce, one);
            QVERIFY2(std::memcmp(one, four + 64 * i, 64) == 0,
                     qPrintable(QStringLiteral("trial %1, block %2").arg(trial).arg(i)));
        }
    }
}

void tst_EngineRandom::base64UrlMatchesQt()
{
    std::mt19937 rng(7);
    for (int i = 0; i < 1000; ++i) {
        std::array<uchar, 16> bits;
        for (auto &b : bits)
            b = uchar(rng());
        if (i == 0)
            bits.fill(0xff);  // the last alphabet characters, '-' and '_'
        const QByteArray raw(reinterpret_cast<const char *>(bits.data()), int(bits.size()));
        const QString expected = QString::fromLatin1(
            raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
        QCOMPARE(base64UrlId(bits), expected);
    }
}

// Enough draws for several refills and two reseeds: no word repeats (two equal 64-bit
// words in 300 000 draws: probability ~2^-28 for a sound generator), every bit of the
// words is set in 45-55 % of them, and two generators differ from their first word.
void tst_EngineRandom::generatorAcrossRefillsAndReseeds()
{
    const RandomSource none;
    Randomness a(none);
    Randomness b(none);
    const int wordsPerRefill = Randomness::kBlockWords - Randomness::kKeyWords;
    const int draws = wordsPerRefill * (2 * Randomness::kRefillsPerReseed + 10);
    QSet<quint64> seen;
    seen.reserve(draws);
    std::array<int, 64> setCount{};
    for (int i = 0; i < draws; ++i) {
        const quint64 word = a.next();
        QVERIFY2(!seen.contains(word), qPrintable(QStringLiteral("word %1 repeats").arg(i)));
        seen.insert(word);
        for (int bit = 0; bit < 64; ++bit)
            setCount[size_t(bit)] += int((word >> bit) & 1);
    }
    for (int bit = 0; bit < 64; ++bit)
        QVERIFY2(setCount[size_t(bit)] > draws * 45 / 100 && setCount[size_t(bit)] < draws * 55 / 100,
                 qPrintable(QStringLiteral("bit %1 set in %2 of %3").arg(bit).arg(setCount[size_t(bit)]).arg(draws)));
    QVERIFY(b.next() != a.next());
    QCOMPARE(a.messageId().size(), 22);
}

QTEST_APPLESS_MAIN(tst_EngineRandom)
#include "tst_engine_random.moc"
