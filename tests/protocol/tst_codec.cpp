// The JSON and CBOR codecs of protocol v1: round trips of every frame, the same frame
// through both codecs, every rejected input with its error text, and the examples of
// docs/protocol.md decoded as written.
#include "protocol/codec.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtTest/QtTest>

using namespace Tether::Protocol;

Q_DECLARE_METATYPE(Tether::Protocol::Frame)
Q_DECLARE_METATYPE(Tether::Protocol::CodecKind)

namespace {

QString describe(const Frame &frame)
{
    QByteArray json;
    QString error;
    if (jsonCodec().encode(frame, json, &error))
        return QString::fromUtf8(json);
    QByteArray cbor;
    if (cborCodec().encode(frame, cbor, &error))
        return QLatin1StringView("cbor:") + QString::fromLatin1(cbor.toHex());
    return QLatin1StringView("<unencodable: ") + error + QLatin1Char('>');
}

ErrorObject errorObject(const char *code, const char *msg, std::optional<QCborValue> data = std::nullopt)
{
    return ErrorObject{ QString::fromUtf8(code), QString::fromUtf8(msg), std::move(data) };
}

QCborValue nestedPayload()
{
    QCborMap inner;
    inner[QLatin1StringView("text")] = QStringLiteral("h\u00e9llo \"w\\orld\"\n\u2603 \U0001F600");
    inner[QLatin1StringView("n")] = -42;
    inner[QLatin1StringView("big")] = qint64(1) << 62;
    inner[QLatin1StringView("x")] = 1.5;
    inner[QLatin1StringView("whole")] = 2.0;
    inner[QLatin1StringView("ok")] = true;
    inner[QLatin1StringView("none")] = QCborValue(nullptr);
    inner[QLatin1StringView("list")] = QCborArray{ 1, QStringLiteral("two"), QCborArray{}, QCborMap{} };
    return inner;
}

// One row per frame type and shape: every optional field present, every one absent.
void addFrameRows()
{
    QTest::addColumn<Frame>("frame");
    QTest::addRow("hello minimal") << Frame(Hello{});
    QTest::addRow("hello full") << Frame(Hello{ QStringLiteral("s-1"), 7, 3, QStringLiteral("tok"), QStringLiteral("tether-cpp/0.1.0") });
    QTest::addRow("welcome minimal") << Frame(Welcome{ QStringLiteral("s-1"), false, 0, {}, {}, {} });
    QTest::addRow("welcome full") << Frame(Welcome{ QStringLiteral("s-1"), true, 12, 15000, 16777216, 120000 });
    QTest::addRow("msg minimal") << Frame(Msg{ {}, {}, {}, QCborValue(nullptr) });
    QTest::addRow("msg full") << Frame(Msg{ 1, QStringLiteral("m-1"), QStringLiteral("room"), nestedPayload() });
    QTest::addRow("msg max seq") << Frame(Msg{ kMaxUInt, QStringLiteral("m-2"), {}, QCborValue(QStringLiteral("x")) });
    QTest::addRow("msg empty strings") << Frame(Msg{ 2, QString(), QString(), QCborValue(QString()) });
    QTest::addRow("msg number payload") << Frame(Msg{ {}, {}, {}, QCborValue(-0.25) });
    QTest::addRow("ack") << Frame(Ack{ 9 });
    QTest::addRow("ack zero") << Frame(Ack{ 0 });
    QTest::addRow("nack minimal") << Frame(Nack{ 4, errorObject("forbidden", "no publish right") });
    QTest::addRow("nack with data") << Frame(Nack{ 4, errorObject("forbidden", "no", nestedPayload()) });
    QTest::addRow("nack with null data") << Frame(Nack{ 4, errorObject("forbidden", "no", QCborValue(nullptr)) });
    QTest::addRow("req minimal") << Frame(Req{ 1, QStringLiteral("time"), {} });
    QTest::addRow("req full") << Frame(Req{ 2, QStringLiteral("echo"), nestedPayload() });
    QTest::addRow("req null params") << Frame(Req{ 3, QStringLiteral("echo"), QCborValue(nullptr) });
    QTest::addRow("res result") << Frame(Res{ 2, nestedPayload() });
    QTest::addRow("res null result") << Frame(Res{ 2, QCborValue(nullptr) });
    QTest::addRow("res error") << Frame(Res{ 3, errorObject("not_found", "no such method") });
    QTest::addRow("res error with data") << Frame(Res{ 3, errorObject("bad", "x", QCborValue(7)) });
    QTest::addRow("sub") << Frame(Sub{ 5, QStringLiteral("room") });
    QTest::addRow("unsub") << Frame(Unsub{ 6, QStringLiteral("room") });
    QTest::addRow("error minimal") << Frame(ErrorFrame{ QStringLiteral("session_taken"), QStringLiteral("taken over"), {} });
    QTest::addRow("error full") << Frame(ErrorFrame{ QStringLiteral("overloaded"), QStringLiteral("later"), 5000 });
}

} // namespace

class TestCodec : public QObject
{
    Q_OBJECT

private slots:
    void roundTripJson_data() { addFrameRows(); }
    void roundTripJson() { roundTrip(jsonCodec()); }
    void roundTripCbor_data() { addFrameRows(); }
    void roundTripCbor() { roundTrip(cborCodec()); }

private:
    void roundTrip(const Codec &codec)
    {
        QFETCH(Frame, frame);
        QByteArray bytes;
        QString error;
        QVERIFY2(codec.encode(frame, bytes, &error), qPrintable(error));
        QVERIFY(error.isEmpty());
        const DecodeResult decoded = codec.decode(bytes);
        QVERIFY2(decoded.ok(), qPrintable(decoded.error));
        QVERIFY2(*decoded.frame == frame, qPrintable(describe(*decoded.frame) + QLatin1StringView(" != ") + describe(frame)));
        // Canonical: encoding the decoded frame gives the same bytes.
        QByteArray again;
        QVERIFY(codec.encode(*decoded.frame, again));
        QCOMPARE(again, bytes);
    }
};

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
