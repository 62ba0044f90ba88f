// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The JSON and CBOR codecs of protocol v1: round trips of every frame, the same frame
// through both codecs, every rejected input with its error text, and the examples of
// docs/protocol.md decoded as written.
#include "protocol/ascii_p.h"
#include "protocol/batch.h"
#include "protocol/byte_writer_p.h"
#include "protocol/codec.h"
#include "protocol/codec_p.h"

#include "doc_blocks.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QDir>
#include <QtCore/QFile>
#include <QtCore/QSet>
#include <QtCore/QJsonDocument>
#include <QtCore/QJsonObject>
#include <QtCore/QUrl>
#include <QtTest/QtTest>

using namespace Tether::Protocol;
using namespace DocExamples;

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

// QVERIFY2 evaluates its message even when the check passes: never dereference blindly.
QString describe(const DecodeResult &result)
{
    return result.ok() ? describe(*result.frame) : QLatin1StringView("<error: ") + result.error + QLatin1Char('>');
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

QByteArray nested(int levels)
{
    return QByteArray(levels, '[') + QByteArray(levels, ']');
}

QByteArray nestedCbor(int levels)
{
    return QByteArray(levels, char(0x81)) + QByteArray(1, char(0x01));
}

// CBOR bytes from spaced hex ("a1 61 74 ...").
QByteArray hex(const char *spaced)
{
    return QByteArray::fromHex(QByteArray(spaced));
}

QByteArray msgWithCborPayload(const char *payloadHex)
{
    return hex("a2 6174 636d7367 6164") + hex(payloadHex);
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

    void invalidJson_data();
    void invalidJson();
    void invalidCbor_data();
    void invalidCbor();
    void acceptedJson_data();
    void acceptedJson();
    void acceptedCbor_data();
    void acceptedCbor();
    void sameFrameBothCodecs_data();
    void sameFrameBothCodecs();
    void encodeErrors_data();
    void encodeErrors();
    void encodeFailureLeavesOutputAlone();
    void hotPathMatchesEncode_data();
    void hotPathMatchesEncode();
    void typedPayloadsMatchEncodeValue_data();
    void typedPayloadsMatchEncodeValue();
    void asciiNarrowingStopsAtTheFirstMiss_data();
    void asciiNarrowingStopsAtTheFirstMiss();
    void utf8ValidationAfterAsciiRuns();
    void plainJsonStringRuns();
    void decimalDigits();
    void envelopeReusedWithoutStaleFields();
    void msgAroundSeqIsEncodeMsg();
    void msgIdInAnyEncoding();
    void keyLookup();
    void decodedValuesOwnTheirBytes();
    void skipPlainMsgPayload_data();
    void skipPlainMsgPayload();
    void depthLimit_data();
    void depthLimit();
    void largeMapsStayLinear_data();
    void largeMapsStayLinear();
    void subprotocols();
    void fuzzCorpusReplays_data();
    void fuzzCorpusReplays();
    void docsHaveEveryFrameType();
    void docsFrameExamples_data();
    void docsFrameExamples();
    void docsAcceptedExamples_data();
    void docsAcceptedExamples();
    void docsRejectedExamples_data();
    void docsRejectedExamples();

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
        QVERIFY2(*decoded.frame == frame, qPrintable(describe(decoded) + QLatin1StringView(" != ") + describe(frame)));
        // Canonical: encoding the decoded frame gives the same bytes.
        QByteArray again;
        QVERIFY(codec.encode(*decoded.frame, again));
        QCOMPARE(again, bytes);
    }
};

// ---- rejected inputs: every row asserts the exact error ---------------------------------

void TestCodec::invalidJson_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("error");
    const auto row = [](const char *name, QByteArray input, const char *error) {
        QTest::addRow("%s", name) << input << QString::fromUtf8(error);
    };
    // Syntax: the reader stops at the first bad byte.
    row("empty", "", "invalid JSON at byte 0: unexpected end of data");
    row("only whitespace", "  \n ", "invalid JSON at byte 4: unexpected end of data");
    row("top level array", "[]", "frame: top level must be a JSON object");
    row("top level string", "\"msg\"", "frame: top level must be a JSON object");
    row("top level null", "null", "frame: top level must be a JSON object");
    row("byte order mark", "\xef\xbb\xbf{\"t\":\"ack\",\"seq\":1}", "frame: top level must be a JSON object");
    row("unterminated object", "{", "invalid JSON at byte 1: unexpected end of data");
    row("unterminated after field", "{\"t\":\"ack\",\"seq\":1", "invalid JSON at byte 18: unexpected end of data");
    row("trailing comma", "{\"t\":\"ack\",\"seq\":1,}", "invalid JSON at byte 19: expected a string key");
    row("missing comma", "{\"t\":\"ack\" \"seq\":1}", "invalid JSON at byte 11: expected ',' or '}'");
    row("missing colon", "{\"t\" \"ack\"}", "invalid JSON at byte 5: expected ':'");
    row("single quotes", "{'t':'ack'}", "invalid JSON at byte 1: expected a string key");
    row("unquoted key", "{t:\"ack\"}", "invalid JSON at byte 1: expected a string key");
    row("trailing garbage", "{\"t\":\"ack\",\"seq\":1} x", "invalid JSON at byte 20: trailing data after the object");
    row("two objects", "{\"t\":\"ack\",\"seq\":1}{}", "invalid JSON at byte 19: trailing data after the object");
    row("leading zero", "{\"t\":\"ack\",\"seq\":01}", "invalid JSON at byte 18: expected ',' or '}'");
    row("dot without digits", "{\"t\":\"ack\",\"seq\":1.}", "invalid JSON at byte 19: invalid number");
    row("leading dot", "{\"t\":\"ack\",\"seq\":.5}", "invalid JSON at byte 17: expected a value");
    row("exponent without digits", "{\"t\":\"ack\",\"seq\":1e}", "invalid JSON at byte 19: invalid number");
    row("plus sign", "{\"t\":\"ack\",\"seq\":+1}", "invalid JSON at byte 17: expected a value");
    row("minus alone", "{\"t\":\"ack\",\"seq\":-}", "invalid JSON at byte 18: invalid number");
    row("NaN", "{\"t\":\"ack\",\"seq\":NaN}", "invalid JSON at byte 17: expected a value");
    row("Infinity", "{\"t\":\"msg\",\"d\":Infinity}", "invalid JSON at byte 15: expected a value");
    row("truncated literal", "{\"t\":\"ack\",\"seq\":tru}", "invalid JSON at byte 17: expected a value");
    row("capitalised literal", "{\"t\":\"msg\",\"d\":True}", "invalid JSON at byte 15: expected a value");
    row("number overflows double", "{\"t\":\"msg\",\"d\":1e400}", "invalid JSON at byte 20: number out of range");
    row("control character in string", "{\"t\":\"msg\",\"d\":\"a\x01\"}", "invalid JSON at byte 17: control character in a string");
    row("raw newline in string", "{\"t\":\"msg\",\"d\":\"a\nb\"}", "invalid JSON at byte 17: control character in a string");
    row("unknown escape", "{\"t\":\"msg\",\"d\":\"\\x\"}", "invalid JSON at byte 17: invalid escape in a string");
    row("bad hex in \\u", "{\"t\":\"msg\",\"d\":\"\\u12G4\"}", "invalid JSON at byte 18: invalid \\u escape");
    row("short \\u", "{\"t\":\"msg\",\"d\":\"\\u12\"}", "invalid JSON at byte 18: invalid \\u escape");
    row("lone high surrogate", "{\"t\":\"msg\",\"d\":\"\\ud800\"}", "invalid JSON at byte 22: unpaired surrogate in a \\u escape");
    row("lone low surrogate", "{\"t\":\"msg\",\"d\":\"\\udc00\"}", "invalid JSON at byte 22: unpaired surrogate in a \\u escape");
    row("high surrogate then BMP", "{\"t\":\"msg\",\"d\":\"\\ud800\\u0041\"}", "invalid JSON at byte 28: unpaired surrogate in a \\u escape");
    row("invalid UTF-8 byte", "{\"t\":\"msg\",\"d\":\"\xff\"}", "invalid JSON at byte 17: invalid UTF-8 in a string");
    row("overlong UTF-8", "{\"t\":\"msg\",\"d\":\"\xc0\xaf\"}", "invalid JSON at byte 18: invalid UTF-8 in a string");
    row("UTF-8 surrogate", "{\"t\":\"msg\",\"d\":\"\xed\xa0\x80\"}", "invalid JSON at byte 19: invalid UTF-8 in a string");
    row("truncated UTF-8", "{\"t\":\"msg\",\"d\":\"\xe2\x82\"}", "invalid JSON at byte 18: invalid UTF-8 in a string");
    row("UTF-8 above U+10FFFF", "{\"t\":\"msg\",\"d\":\"\xf4\x90\x80\x80\"}", "invalid JSON at byte 20: invalid UTF-8 in a string");
    row("invalid UTF-8 after an escape", "{\"t\":\"msg\",\"d\":\"\\n\xff\"}", "invalid JSON at byte 20: invalid UTF-8 in a string");
    row("invalid UTF-8 in a key", "{\"t\":\"msg\",\"\xff\":1,\"d\":1}", "invalid JSON at byte 13: invalid UTF-8 in a string");
    row("array missing comma", "{\"t\":\"msg\",\"d\":[1 2]}", "invalid JSON at byte 18: expected ',' or ']'");
    row("array closed by brace", "{\"t\":\"msg\",\"d\":[1,2}", "invalid JSON at byte 19: expected ',' or ']'");
    row("array trailing comma", "{\"t\":\"msg\",\"d\":[1,]}", "invalid JSON at byte 18: expected a value");
    row("comment", "{\"t\":\"msg\",\"d\":/*c*/1}", "invalid JSON at byte 15: expected a value");
    row("nesting too deep", "{\"t\":\"msg\",\"d\":" + nested(64) + "}", "invalid JSON at byte 78: nesting deeper than kMaxDepth (64) levels");
    row("nesting too deep in unknown field", "{\"t\":\"ack\",\"seq\":1,\"x\":" + nested(64) + "}", "invalid JSON at byte 86: nesting deeper than kMaxDepth (64) levels");

    // The rules of docs/protocol.md §2, worded "<type>: field '<name>' ...".
    row("no t", "{}", "frame: missing field 't'");
    row("no t but fields", "{\"seq\":1}", "frame: missing field 't'");
    row("t not a string", "{\"t\":1}", "frame: field 't' must be a string");
    row("t null", "{\"t\":null}", "frame: field 't' must be a string, not null");
    row("unknown type", "{\"t\":\"bogus\"}", "frame: unknown type 'bogus'");
    row("type is case sensitive", "{\"t\":\"MSG\",\"d\":1}", "frame: unknown type 'MSG'");
    row("duplicate t", "{\"t\":\"ack\",\"t\":\"ack\",\"seq\":1}", "frame: duplicate field 't'");
    row("duplicate field", "{\"t\":\"ack\",\"seq\":1,\"seq\":1}", "ack: duplicate field 'seq'");
    row("duplicate field through escape", "{\"t\":\"ack\",\"seq\":1,\"s\\u0065q\":1}", "ack: duplicate field 'seq'");
    row("duplicate unknown field", "{\"t\":\"ack\",\"seq\":1,\"x\":1,\"x\":2}", "ack: an unknown field appears twice");
    row("ack without seq", "{\"t\":\"ack\"}", "ack: missing field 'seq'");
    row("uint negative", "{\"t\":\"ack\",\"seq\":-1}", "ack: field 'seq' must be an unsigned integer");
    row("uint fraction", "{\"t\":\"ack\",\"seq\":1.5}", "ack: field 'seq' must be an unsigned integer");
    row("uint written 1.0", "{\"t\":\"ack\",\"seq\":1.0}", "ack: field 'seq' must be an unsigned integer");
    row("uint exponent 1e300", "{\"t\":\"ack\",\"seq\":1e300}", "ack: field 'seq' must be an unsigned integer");
    row("uint exponent 1e2", "{\"t\":\"ack\",\"seq\":1e2}", "ack: field 'seq' must be an unsigned integer");
    row("uint minus zero", "{\"t\":\"ack\",\"seq\":-0}", "ack: field 'seq' must be an unsigned integer");
    row("uint as string", "{\"t\":\"ack\",\"seq\":\"1\"}", "ack: field 'seq' must be an unsigned integer");
    row("uint null", "{\"t\":\"ack\",\"seq\":null}", "ack: field 'seq' must be an unsigned integer, not null");
    row("uint bool", "{\"t\":\"ack\",\"seq\":true}", "ack: field 'seq' must be an unsigned integer");
    row("uint array", "{\"t\":\"ack\",\"seq\":[1]}", "ack: field 'seq' must be an unsigned integer");
    row("uint 2^53", "{\"t\":\"ack\",\"seq\":9007199254740992}", "ack: field 'seq' must be at most 2^53-1");
    row("uint 2^64", "{\"t\":\"ack\",\"seq\":18446744073709551616}", "ack: field 'seq' must be at most 2^53-1");
    row("msg without d", "{\"t\":\"msg\",\"seq\":1}", "msg: missing field 'd'");
    row("msg seq 0", "{\"t\":\"msg\",\"seq\":0,\"d\":1}", "msg: field 'seq' must not be 0");
    row("msg id number", "{\"t\":\"msg\",\"id\":7,\"d\":1}", "msg: field 'id' must be a string");
    row("msg ch null", "{\"t\":\"msg\",\"ch\":null,\"d\":1}", "msg: field 'ch' must be a string, not null");
    row("msg d duplicate key", "{\"t\":\"msg\",\"d\":{\"a\":1,\"a\":2}}", "msg: field 'd' contains a duplicate map key");
    row("msg d nested duplicate key", "{\"t\":\"msg\",\"d\":[{\"b\":[{\"a\":1,\"a\":2}]}]}", "msg: field 'd' contains a duplicate map key");
    row("hello without v", "{\"t\":\"hello\"}", "hello: missing field 'v'");
    row("hello v 2", "{\"t\":\"hello\",\"v\":2}", "hello: field 'v' must be 1 (the only protocol version this side speaks)");
    row("hello v string", "{\"t\":\"hello\",\"v\":\"1\"}", "hello: field 'v' must be an unsigned integer");
    row("hello sid null", "{\"t\":\"hello\",\"v\":1,\"sid\":null}", "hello: field 'sid' must be a string, not null");
    row("hello rx negative", "{\"t\":\"hello\",\"v\":1,\"rx\":-5}", "hello: field 'rx' must be an unsigned integer");
    row("hello token number", "{\"t\":\"hello\",\"v\":1,\"token\":42}", "hello: field 'token' must be a string");
    row("welcome without resumed", "{\"t\":\"welcome\",\"v\":1,\"sid\":\"s\",\"rx\":0}", "welcome: missing field 'resumed'");
    row("welcome resumed string", "{\"t\":\"welcome\",\"v\":1,\"sid\":\"s\",\"resumed\":\"yes\",\"rx\":0}", "welcome: field 'resumed' must be a boolean");
    row("welcome without rx", "{\"t\":\"welcome\",\"v\":1,\"sid\":\"s\",\"resumed\":false}", "welcome: missing field 'rx'");
    row("welcome hb fraction", "{\"t\":\"welcome\",\"v\":1,\"sid\":\"s\",\"resumed\":false,\"rx\":0,\"hb\":1.5}", "welcome: field 'hb' must be an unsigned integer");
    row("nack without err", "{\"t\":\"nack\",\"seq\":1}", "nack: missing field 'err'");
    row("nack err string", "{\"t\":\"nack\",\"seq\":1,\"err\":\"denied\"}", "nack: field 'err' must be an error object");
    row("nack err null", "{\"t\":\"nack\",\"seq\":1,\"err\":null}", "nack: field 'err' must be an error object, not null");
    row("nack err without code", "{\"t\":\"nack\",\"seq\":1,\"err\":{\"msg\":\"m\"}}", "nack: missing field 'err.code'");
    row("nack err code number", "{\"t\":\"nack\",\"seq\":1,\"err\":{\"code\":1,\"msg\":\"m\"}}", "nack: field 'err.code' must be a string");
    row("nack err msg null", "{\"t\":\"nack\",\"seq\":1,\"err\":{\"code\":\"c\",\"msg\":null}}", "nack: field 'err.msg' must be a string, not null");
    row("nack err duplicate key", "{\"t\":\"nack\",\"seq\":1,\"err\":{\"code\":\"c\",\"code\":\"c\",\"msg\":\"m\"}}", "nack: field 'err' contains a duplicate map key");
    row("req without m", "{\"t\":\"req\",\"id\":1}", "req: missing field 'm'");
    row("req id string", "{\"t\":\"req\",\"id\":\"1\",\"m\":\"x\"}", "req: field 'id' must be an unsigned integer");
    row("res with d and err", "{\"t\":\"res\",\"id\":1,\"d\":1,\"err\":{\"code\":\"c\",\"msg\":\"m\"}}", "res: fields 'd' and 'err' are mutually exclusive");
    row("res with neither", "{\"t\":\"res\",\"id\":1}", "res: missing field 'd' or 'err'");
    row("res err array", "{\"t\":\"res\",\"id\":1,\"err\":[]}", "res: field 'err' must be an error object");
    row("sub without ch", "{\"t\":\"sub\",\"id\":1}", "sub: missing field 'ch'");
    row("unsub ch number", "{\"t\":\"unsub\",\"id\":1,\"ch\":5}", "unsub: field 'ch' must be a string");
    row("error without code", "{\"t\":\"error\",\"msg\":\"m\"}", "error: missing field 'code'");
    row("error retryAfter negative", "{\"t\":\"error\",\"code\":\"c\",\"msg\":\"m\",\"retryAfter\":-1}", "error: field 'retryAfter' must be an unsigned integer");
}

void TestCodec::invalidJson()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, error);
    const DecodeResult result = jsonCodec().decode(input);
    QVERIFY2(!result.ok(), qPrintable(describe(result)));
    QCOMPARE(result.error, error);
}

void TestCodec::invalidCbor_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("error");
    const auto row = [](const char *name, QByteArray input, const char *error) {
        QTest::addRow("%s", name) << input << QString::fromUtf8(error);
    };
    // Syntax (RFC 8949 well-formedness), UTF-8 and limits.
    row("empty", "", "invalid CBOR at byte 0: unexpected end of data");
    row("top level uint", hex("01"), "frame: top level must be a CBOR map");
    row("top level array", hex("80"), "frame: top level must be a CBOR map");
    row("top level tagged map", hex("d9d9f7 a0"), "frame: top level must be a CBOR map");
    row("map head only", hex("a1"), "invalid CBOR at byte 1: unexpected end of data");
    row("missing second entry", hex("a2 6174 6361636b"), "invalid CBOR at byte 7: unexpected end of data");
    row("trailing byte", hex("a2 6174 6361636b 63736571 01 00"), "invalid CBOR at byte 12: trailing bytes after the frame");
    row("two frames", hex("a1 6174 6361636b a0"), "invalid CBOR at byte 7: trailing bytes after the frame");
    row("truncated string", hex("a1 6174 65 61"), "invalid CBOR at byte 3: unexpected end of data");
    row("truncated head argument", hex("a1 6174 19 01"), "invalid CBOR at byte 3: unexpected end of data");
    row("string longer than the frame", hex("a1 6174 7b 7fffffffffffffff"), "invalid CBOR at byte 3: unexpected end of data");
    row("array longer than the frame", msgWithCborPayload("9b 0fffffffffffffff 01"), "invalid CBOR at byte 19: unexpected end of data");
    row("map longer than the frame", msgWithCborPayload("bb 0fffffffffffffff 6161 01"), "invalid CBOR at byte 21: unexpected end of data");
    row("reserved additional information", hex("a1 6174 7c"), "invalid CBOR at byte 3: reserved additional information");
    row("indefinite uint", hex("a1 6174 1f"), "invalid CBOR at byte 3: indefinite length not allowed for this type");
    row("indefinite tag", msgWithCborPayload("df 01"), "invalid CBOR at byte 9: indefinite length not allowed for this type");
    row("break outside container", hex("a1 6174 ff"), "invalid CBOR at byte 3: unexpected break");
    row("indefinite map without break", hex("bf 6174 6361636b"), "invalid CBOR at byte 7: unexpected end of data");
    row("invalid UTF-8 in key", hex("a1 62c328 01"), "invalid CBOR at byte 1: invalid UTF-8 in a text string");
    // Known keys skip the UTF-8 check (they are ASCII); an unknown one after them is checked.
    row("invalid UTF-8 in a later key", hex("a2 6174 636d7367 62c328 01"),
        "invalid CBOR at byte 7: invalid UTF-8 in a text string");
    row("invalid UTF-8 in a chunked key", hex("a2 6174 636d7367 7f 61c3 ff 01"),
        "invalid CBOR at byte 8: invalid UTF-8 in a text string");
    row("invalid UTF-8 in value", hex("a1 6174 62c328"), "invalid CBOR at byte 3: invalid UTF-8 in a text string");
    row("UTF-8 surrogate", msgWithCborPayload("63eda080"), "invalid CBOR at byte 9: invalid UTF-8 in a text string");
    row("overlong UTF-8", msgWithCborPayload("62c0af"), "invalid CBOR at byte 9: invalid UTF-8 in a text string");
    row("UTF-8 split across chunks", msgWithCborPayload("7f 61c3 61a9 ff"), "invalid CBOR at byte 10: invalid UTF-8 in a text string");
    row("byte chunk in text", msgWithCborPayload("7f 4161 ff"), "invalid CBOR at byte 10: invalid chunk in an indefinite-length string");
    row("nested indefinite chunk", msgWithCborPayload("7f 7f ff ff"), "invalid CBOR at byte 10: invalid chunk in an indefinite-length string");
    row("simple value below 32 in two bytes", msgWithCborPayload("f8 10"), "invalid CBOR at byte 9: simple value below 32 in two-byte form");
    row("nesting too deep", msgWithCborPayload(nestedCbor(64).constData()).left(9) + nestedCbor(64), "invalid CBOR at byte 72: nesting deeper than kMaxDepth (64) levels");
    row("tags nesting too deep", msgWithCborPayload("").left(9) + QByteArray(64, char(0xc1)) + QByteArray(1, char(0x01)), "invalid CBOR at byte 72: nesting deeper than kMaxDepth (64) levels");
    row("non-text top-level key", hex("a1 01 01"), "frame: top-level keys must be text strings");
    row("byte string top-level key", hex("a1 4174 6361636b"), "frame: top-level keys must be text strings");

    // The rules of docs/protocol.md §2.
    row("empty map", hex("a0"), "frame: missing field 't'");
    row("t not a string", hex("a1 6174 01"), "frame: field 't' must be a string");
    row("t null", hex("a1 6174 f6"), "frame: field 't' must be a string, not null");
    row("t bytes", hex("a1 6174 43 61636b"), "frame: field 't' must be a string");
    row("unknown type", hex("a1 6174 65 626f677573"), "frame: unknown type 'bogus'");
    row("duplicate t", hex("a3 6174 6361636b 6174 6361636b 63736571 01"), "frame: duplicate field 't'");
    row("duplicate field", hex("a3 6174 6361636b 63736571 01 63736571 01"), "ack: duplicate field 'seq'");
    row("duplicate unknown field", hex("a4 6174 6361636b 63736571 01 6178 01 6178 02"), "ack: an unknown field appears twice");
    row("uint negative", hex("a2 6174 6361636b 63736571 20"), "ack: field 'seq' must be an unsigned integer");
    row("uint half float 1.0", hex("a2 6174 6361636b 63736571 f93c00"), "ack: field 'seq' must be an unsigned integer");
    row("uint single float 1.0", hex("a2 6174 6361636b 63736571 fa3f800000"), "ack: field 'seq' must be an unsigned integer");
    row("uint double 1.0", hex("a2 6174 6361636b 63736571 fb3ff0000000000000"), "ack: field 'seq' must be an unsigned integer");
    row("uint 2^53", hex("a2 6174 6361636b 63736571 1b0020000000000000"), "ack: field 'seq' must be at most 2^53-1");
    row("uint 2^64-1", hex("a2 6174 6361636b 63736571 1bffffffffffffffff"), "ack: field 'seq' must be at most 2^53-1");
    row("uint as text", hex("a2 6174 6361636b 63736571 6131"), "ack: field 'seq' must be an unsigned integer");
    row("uint null", hex("a2 6174 6361636b 63736571 f6"), "ack: field 'seq' must be an unsigned integer, not null");
    row("uint undefined", hex("a2 6174 6361636b 63736571 f7"), "ack: field 'seq' must be an unsigned integer");
    row("uint bignum tag", hex("a2 6174 6361636b 63736571 c24101"), "ack: field 'seq' must be an unsigned integer");
    row("uint byte string", hex("a2 6174 6361636b 63736571 4101"), "ack: field 'seq' must be an unsigned integer");
    row("msg without d", hex("a2 6174 636d7367 63736571 01"), "msg: missing field 'd'");
    row("msg seq 0", hex("a3 6174 636d7367 63736571 00 6164 01"), "msg: field 'seq' must not be 0");
    row("msg d tag", msgWithCborPayload("c1 1a514b67b0"), "msg: field 'd' contains a CBOR tag (not allowed in payloads)");
    row("msg d tag inside array", msgWithCborPayload("82 01 d820 6161"), "msg: field 'd' contains a CBOR tag (not allowed in payloads)");
    row("msg d undefined", msgWithCborPayload("f7"), "msg: field 'd' contains undefined (not allowed in payloads)");
    row("msg d simple value", msgWithCborPayload("f0"), "msg: field 'd' contains a CBOR simple value (not allowed in payloads)");
    row("msg d two-byte simple value", msgWithCborPayload("f8 ff"), "msg: field 'd' contains a CBOR simple value (not allowed in payloads)");
    row("msg d NaN", msgWithCborPayload("f97e00"), "msg: field 'd' contains a non-finite number");
    row("msg d infinity in array", msgWithCborPayload("81 fa7f800000"), "msg: field 'd' contains a non-finite number");
    row("msg d integer key", msgWithCborPayload("a1 01 01"), "msg: field 'd' contains a map key that is not a text string");
    row("msg d duplicate key", msgWithCborPayload("a2 6161 01 6161 02"), "msg: field 'd' contains a duplicate map key");
    row("msg d duplicate chunked key", msgWithCborPayload("a2 6161 01 7f6161ff 02"), "msg: field 'd' contains a duplicate map key");
    row("msg d nested duplicate key", msgWithCborPayload("81 a1 6162 a2 6161 01 6161 02"), "msg: field 'd' contains a duplicate map key");
    row("hello v 2", hex("a2 6174 6568656c6c6f 6176 02"), "hello: field 'v' must be 1 (the only protocol version this side speaks)");
    row("hello without v", hex("a1 6174 6568656c6c6f"), "hello: missing field 'v'");
    row("welcome resumed integer", hex("a5 6174 6777656c636f6d65 6176 01 63736964 6173 67726573756d6564 01 627278 00"), "welcome: field 'resumed' must be a boolean");
    row("nack err without msg", hex("a3 6174 646e61636b 63736571 01 63657272 a1 64636f6465 6163"), "nack: missing field 'err.msg'");
    row("res with d and err", hex("a4 6174 63726573 626964 01 6164 01 63657272 a2 64636f6465 6163 636d7367 616d"), "res: fields 'd' and 'err' are mutually exclusive");
    row("res with neither", hex("a2 6174 63726573 626964 01"), "res: missing field 'd' or 'err'");
    row("sub ch bytes", hex("a3 6174 63737562 626964 01 626368 4161"), "sub: field 'ch' must be a string");
    row("error retryAfter negative", hex("a4 6174 656572726f72 64636f6465 6163 636d7367 616d 6a72657472794166746572 20"), "error: field 'retryAfter' must be an unsigned integer");
}

void TestCodec::invalidCbor()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, error);
    const DecodeResult result = cborCodec().decode(input);
    QVERIFY2(!result.ok(), qPrintable(describe(result)));
    QCOMPARE(result.error, error);
}

// ---- accepted inputs that are not in canonical form -------------------------------------

void TestCodec::acceptedJson_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("canonical");
    const auto row = [](const char *name, QByteArray input, QByteArray canonical) {
        QTest::addRow("%s", name) << input << canonical;
    };
    row("whitespace everywhere", " \t\r\n{ \"t\" : \"ack\" ,\n\"seq\" : 5 } \n", "{\"t\":\"ack\",\"seq\":5}");
    row("fields in any order", "{\"seq\":5,\"t\":\"ack\"}", "{\"t\":\"ack\",\"seq\":5}");
    row("unknown fields ignored", "{\"t\":\"ack\",\"x\":{\"a\":[1,{\"b\":null}]},\"seq\":5,\"y\":null}", "{\"t\":\"ack\",\"seq\":5}");
    row("problems inside unknown fields ignored", "{\"t\":\"ack\",\"x\":{\"a\":1,\"a\":2},\"seq\":5}", "{\"t\":\"ack\",\"seq\":5}");
    row("fields of other frame types ignored", "{\"t\":\"ack\",\"seq\":5,\"d\":{\"a\":1,\"a\":2},\"id\":null}", "{\"t\":\"ack\",\"seq\":5}");
    row("escaped field name", "{\"\\u0074\":\"ack\",\"seq\":5}", "{\"t\":\"ack\",\"seq\":5}");
    row("escapes in strings", "{\"t\":\"msg\",\"d\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\u0000\"}",
        "{\"t\":\"msg\",\"d\":\"\\\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\\u0000\"}");
    row("raw UTF-8", "{\"t\":\"msg\",\"ch\":\"caf\xc3\xa9\",\"d\":\"\xe2\x98\x83\"}", "{\"t\":\"msg\",\"ch\":\"caf\xc3\xa9\",\"d\":\"\xe2\x98\x83\"}");
    row("uint max", "{\"t\":\"ack\",\"seq\":9007199254740991}", "{\"t\":\"ack\",\"seq\":9007199254740991}");
    row("numbers in payload", "{\"t\":\"msg\",\"d\":[0,-0,-7,1.0,1e2,1E-2,-2.5e+3,9223372036854775807,-9223372036854775808]}",
        "{\"t\":\"msg\",\"d\":[0,0,-7,1.0,100.0,0.01,-2500.0,9223372036854775807,-9223372036854775808]}");
    row("integer beyond 64 bits becomes double", "{\"t\":\"msg\",\"d\":[18446744073709551616,-9223372036854775809]}",
        "{\"t\":\"msg\",\"d\":[18446744073709552000.0,-9223372036854776000.0]}");
    row("negative zero stays a negative double", "{\"t\":\"msg\",\"d\":[-0.0,-0e2,0.0]}", "{\"t\":\"msg\",\"d\":[-0.0,-0.0,0.0]}");
    row("null payload", "{\"t\":\"msg\",\"d\":null}", "{\"t\":\"msg\",\"d\":null}");
    row("null error data", "{\"t\":\"nack\",\"seq\":1,\"err\":{\"code\":\"c\",\"msg\":\"m\",\"data\":null,\"extra\":1}}",
        "{\"t\":\"nack\",\"seq\":1,\"err\":{\"code\":\"c\",\"msg\":\"m\",\"data\":null}}");
    row("empty containers", "{\"t\":\"msg\",\"d\":{\"a\":[],\"b\":{}}}", "{\"t\":\"msg\",\"d\":{\"a\":[],\"b\":{}}}");
    row("nesting at the limit", "{\"t\":\"msg\",\"d\":" + nested(63) + "}", "{\"t\":\"msg\",\"d\":" + nested(63) + "}");
    row("hello resume", "{\"v\":1,\"t\":\"hello\",\"sid\":\"abc\",\"rx\":10,\"ak\":9}", "{\"t\":\"hello\",\"v\":1,\"sid\":\"abc\",\"rx\":10,\"ak\":9}");
}

void TestCodec::acceptedJson()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, canonical);
    const DecodeResult result = jsonCodec().decode(input);
    QVERIFY2(result.ok(), qPrintable(result.error));
    QByteArray encoded;
    QVERIFY(jsonCodec().encode(*result.frame, encoded));
    QCOMPARE(encoded, canonical);
}

void TestCodec::acceptedCbor_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("canonical");
    const auto row = [](const char *name, QByteArray input, const char *canonical) {
        QTest::addRow("%s", name) << input << hex(canonical);
    };
    const char *ack5 = "a2 6174 6361636b 63736571 05";
    row("canonical ack", hex(ack5), ack5);
    row("fields in any order", hex("a2 63736571 05 6174 6361636b"), ack5);
    row("longer heads than needed", hex("b8 02 7801 74 790003 61636b 7803 736571 1b0000000000000005"), ack5);
    row("indefinite map", hex("bf 6174 6361636b 63736571 05 ff"), ack5);
    row("chunked strings", hex("a2 7f 6174 ff 7f 6161 62636b ff 63736571 05"), ack5);
    row("unknown fields ignored", hex("a4 6174 6361636b 6178 c1 f7 63736571 05 6179 a2 01 01 01 01"), ack5);
    row("fields of other frame types ignored", hex("a3 6174 6361636b 63736571 05 6164 a2 6161 01 6161 02"), ack5);
    row("half and single floats", msgWithCborPayload("83 f93e00 fa3fc00000 f9 8000"), "a2 6174 636d7367 6164 83 fb3ff8000000000000 fb3ff8000000000000 fb8000000000000000");
    row("negative zero and subnormal halves", msgWithCborPayload("82 f98000 f98005"), "a2 6174 636d7367 6164 82 fb8000000000000000 fbbe94000000000000");
    row("integers beyond 64-bit signed become doubles", msgWithCborPayload("82 1bffffffffffffffff 3bffffffffffffffff"), "a2 6174 636d7367 6164 82 fb43f0000000000000 fbc3f0000000000000");
    row("byte strings in payload", msgWithCborPayload("a2 6162 43010203 6163 5f 4101 4102 ff"), "a2 6174 636d7367 6164 a2 6162 43010203 6163 420102");
    row("indefinite containers in payload", msgWithCborPayload("bf 6161 9f 01 02 ff ff"), "a2 6174 636d7367 6164 a1 6161 82 01 02");
    row("nesting at the limit", msgWithCborPayload("").left(9) + nestedCbor(63), "");
}

void TestCodec::acceptedCbor()
{
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, canonical);
    if (canonical.isEmpty())
        canonical = input;
    const DecodeResult result = cborCodec().decode(input);
    QVERIFY2(result.ok(), qPrintable(result.error));
    QByteArray encoded;
    QVERIFY(cborCodec().encode(*result.frame, encoded));
    QCOMPARE(encoded.toHex(' '), canonical.toHex(' '));
}

// ---- the same frame through both codecs -------------------------------------------------

void TestCodec::sameFrameBothCodecs_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("cbor");
    // The CBOR twin comes from Qt's own encoder (QJsonDocument -> QCborValue -> toCbor),
    // an implementation independent of the codec under test, unless given by hand.
    const auto row = [](const char *name, QByteArray json, QByteArray cbor = {}) {
        if (cbor.isEmpty())
            cbor = QCborValue::fromJsonValue(QJsonDocument::fromJson(json).object()).toCbor();
        QTest::addRow("%s", name) << json << cbor;
    };
    row("hello", "{\"t\":\"hello\",\"v\":1,\"sid\":\"s-1\",\"rx\":7,\"ak\":3,\"token\":\"tok\",\"agent\":\"tether-cpp/0.1.0\"}");
    row("welcome", "{\"t\":\"welcome\",\"v\":1,\"sid\":\"s-1\",\"resumed\":true,\"rx\":12,\"hb\":15000,\"maxFrame\":16777216,\"ttl\":120000}");
    row("msg", "{\"t\":\"msg\",\"seq\":1,\"id\":\"m-1\",\"ch\":\"room\",\"d\":{\"n\":[1,-2,1.5,true,false,null,{}],\"text\":\"h\\u00e9\"}}");
    row("msg unreliable", "{\"t\":\"msg\",\"d\":\"hi\"}");
    row("ack", "{\"t\":\"ack\",\"seq\":42}");
    row("nack", "{\"t\":\"nack\",\"seq\":4,\"err\":{\"code\":\"forbidden\",\"msg\":\"no\",\"data\":{\"ch\":\"room\"}}}");
    row("req", "{\"t\":\"req\",\"id\":1,\"m\":\"echo\",\"d\":[1,2,3]}");
    row("res", "{\"t\":\"res\",\"id\":1,\"d\":{\"ok\":true}}");
    row("res error", "{\"t\":\"res\",\"id\":1,\"err\":{\"code\":\"not_found\",\"msg\":\"no such method\"}}");
    row("sub", "{\"t\":\"sub\",\"id\":2,\"ch\":\"room\"}");
    row("unsub", "{\"t\":\"unsub\",\"id\":3,\"ch\":\"room\"}");
    row("error", "{\"t\":\"error\",\"code\":\"overloaded\",\"msg\":\"later\",\"retryAfter\":5000}");
    row("doubles by hand", "{\"t\":\"msg\",\"d\":[1.0,0.5]}", msgWithCborPayload("82 f93c00 fa3f000000"));
}

void TestCodec::sameFrameBothCodecs()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, cbor);
    const DecodeResult fromJson = jsonCodec().decode(json);
    const DecodeResult fromCbor = cborCodec().decode(cbor);
    QVERIFY2(fromJson.ok(), qPrintable(fromJson.error));
    QVERIFY2(fromCbor.ok(), qPrintable(fromCbor.error));
    QVERIFY2(*fromJson.frame == *fromCbor.frame, qPrintable(describe(fromJson) + QLatin1StringView(" != ") + describe(fromCbor)));
}

// ---- encoding -------------------------------------------------------------------------------

void TestCodec::encodeErrors_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<Frame>("frame");
    QTest::addColumn<QString>("error");
    const QCborValue bytes(QByteArray("\x01\x02", 2));
    const QCborValue duplicateKeys = QCborValue::fromCbor(hex("a2 6161 01 6161 02"));
    // 65 levels of arrays. Not QCborArray{ deep }: list-initialising a class from one
    // element of its own type copies it (DR 1467, as clang does); nesting needs append().
    QCborArray deep;
    for (int i = 0; i < 64; ++i) {
        QCborArray outer;
        outer.append(deep);
        deep = outer;
    }
    QCborMap intKey;
    intKey.insert(1, 2);
    const auto both = [](const char *name, const Frame &frame, const char *error) {
        QTest::addRow("json: %s", name) << CodecKind::Json << frame << QString::fromUtf8(error);
        QTest::addRow("cbor: %s", name) << CodecKind::Cbor << frame << QString::fromUtf8(error);
    };
    QTest::addRow("json: byte string payload") << CodecKind::Json << Frame(Msg{ {}, {}, {}, bytes })
        << QStringLiteral("msg: field 'd' contains a byte string, which JSON cannot carry");
    QTest::addRow("json: nested byte string") << CodecKind::Json << Frame(Req{ 1, QStringLiteral("m"), QCborArray{ 1, bytes } })
        << QStringLiteral("req: field 'd' contains a byte string, which JSON cannot carry");
    QTest::addRow("json: byte string in error data") << CodecKind::Json << Frame(Nack{ 1, errorObject("c", "m", bytes) })
        << QStringLiteral("nack: field 'err' contains a byte string, which JSON cannot carry");
    both("undefined payload", Msg{}, "msg: field 'd' contains undefined (not allowed in payloads)");
    both("date-time tag", Msg{ {}, {}, {}, QCborValue(QDateTime::fromSecsSinceEpoch(0, Qt::UTC)) }, "msg: field 'd' contains a CBOR tag (not allowed in payloads)");
    both("tagged value", Res{ 1, QCborValue(QCborTag(1000), 5) }, "res: field 'd' contains a CBOR tag (not allowed in payloads)");
    both("url", Msg{ {}, {}, {}, QCborValue(QUrl(QStringLiteral("https://example.invalid"))) }, "msg: field 'd' contains a CBOR tag (not allowed in payloads)");
    both("simple value", Msg{ {}, {}, {}, QCborValue(QCborSimpleType(99)) }, "msg: field 'd' contains a CBOR simple value (not allowed in payloads)");
    both("NaN", Msg{ {}, {}, {}, QCborValue(qQNaN()) }, "msg: field 'd' contains a non-finite number");
    both("infinity in error data", Res{ 1, errorObject("c", "m", QCborArray{ qInf() }) }, "res: field 'err' contains a non-finite number");
    both("integer map key", Msg{ {}, {}, {}, intKey }, "msg: field 'd' contains a map key that is not a text string");
    both("duplicate map keys", Msg{ {}, {}, {}, duplicateKeys }, "msg: field 'd' contains a duplicate map key");
    both("too deep", Msg{ {}, {}, {}, deep }, "msg: field 'd' nests deeper than kMaxDepth (64) levels");
    both("msg seq 0", Msg{ 0, {}, {}, QCborValue(1) }, "msg: field 'seq' must not be 0");
    both("msg seq 2^53", Msg{ kMaxUInt + 1, {}, {}, QCborValue(1) }, "msg: field 'seq' must be at most 2^53-1");
    both("ack seq 2^64-1", Ack{ ~quint64(0) }, "ack: field 'seq' must be at most 2^53-1");
    both("hello rx 2^53", Hello{ {}, kMaxUInt + 1, {}, {}, {} }, "hello: field 'rx' must be at most 2^53-1");
    both("welcome ttl 2^53", Welcome{ QStringLiteral("s"), false, 0, {}, {}, kMaxUInt + 1 }, "welcome: field 'ttl' must be at most 2^53-1");
    both("req id 2^53", Req{ kMaxUInt + 1, QStringLiteral("m"), {} }, "req: field 'id' must be at most 2^53-1");
    both("error retryAfter 2^53", ErrorFrame{ QStringLiteral("c"), QStringLiteral("m"), kMaxUInt + 1 }, "error: field 'retryAfter' must be at most 2^53-1");
}

void TestCodec::encodeErrors()
{
    QFETCH(CodecKind, kind);
    QFETCH(Frame, frame);
    QFETCH(QString, error);
    QByteArray out;
    QString actual;
    QVERIFY(!codecFor(kind).encode(frame, out, &actual));
    QCOMPARE(actual, error);
    QVERIFY(out.isEmpty());
}

void TestCodec::encodeFailureLeavesOutputAlone()
{
    for (const Codec *codec : { &jsonCodec(), &cborCodec() }) {
        QByteArray out("earlier frame");
        QVERIFY(!codec->encode(Msg{ 1, {}, {}, QCborValue(qInf()) }, out));
        QCOMPARE(out, QByteArray("earlier frame"));
        QVERIFY(!codec->encodeValue(QCborValue(QCborTag(2), 1), out));
        QCOMPARE(out, QByteArray("earlier frame"));
        QVERIFY(codec->encode(Ack{ 1 }, out));
        QVERIFY(out.startsWith("earlier frame"));
        QCOMPARE(codec->decode(QByteArrayView(out).sliced(13)).frame, std::optional<Frame>(Ack{ 1 }));
    }
    QByteArray out;
    QString error;
    QVERIFY(!jsonCodec().encodeValue(QCborValue(QByteArray("x")), out, &error));
    QCOMPARE(error, QStringLiteral("payload contains a byte string, which JSON cannot carry"));
    QVERIFY(cborCodec().encodeValue(QCborValue(QByteArray("x")), out, &error));
    QCOMPARE(out, hex("41 78"));
}

void TestCodec::hotPathMatchesEncode_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<Frame>("frame");
    const auto both = [](const char *name, const Msg &msg) {
        QTest::addRow("json: %s", name) << CodecKind::Json << Frame(msg);
        QTest::addRow("cbor: %s", name) << CodecKind::Cbor << Frame(msg);
    };
    both("reliable with channel", Msg{ 7, QStringLiteral("m-7"), QStringLiteral("room \"1\""), QCborValue(QStringLiteral("hello\n")) });
    both("reliable", Msg{ kMaxUInt, QStringLiteral("m-8"), {}, nestedPayload() });
    both("unreliable", Msg{ {}, {}, QStringLiteral("ticks"), QCborValue(3.25) });
    both("bare", Msg{ {}, {}, {}, QCborValue(nullptr) });
    both("non-ASCII id", Msg{ 1, QStringLiteral("\u00e9\u2603"), {}, QCborArray{} });
    // The envelope's fixed bytes against the room reserved for it.
    both("largest seq, one-character id and channel", Msg{ kMaxUInt, QStringLiteral("a"), QStringLiteral("b"), QCborValue(1) });
    both("control characters in id and channel (6 bytes each)",
         Msg{ kMaxUInt, QString(3, QChar(1)), QString(2, QChar(31)), QCborValue(1) });
}

void TestCodec::hotPathMatchesEncode()
{
    QFETCH(CodecKind, kind);
    QFETCH(Frame, frame);
    const Codec &codec = codecFor(kind);
    const Msg &msg = std::get<Msg>(frame);
    QByteArray expected;
    QVERIFY(codec.encode(frame, expected));
    QByteArray payload;
    QVERIFY(codec.encodeValue(msg.d, payload));
    MsgHeader header;
    header.seq = msg.seq;
    header.id = msg.id ? QStringView(*msg.id) : QStringView();
    header.ch = msg.ch ? QStringView(*msg.ch) : QStringView();
    QByteArray actual("prefix");
    codec.encodeMsg(header, payload, actual);
    QCOMPARE(actual, QByteArray("prefix") + expected);

    // The engine hands its stored id bytes over as they are: Latin-1 (ASCII ids) or UTF-8.
    if (msg.id) {
        const QByteArray utf8 = msg.id->toUtf8();
        header.id = QUtf8StringView(utf8);
        QByteArray fromUtf8;
        codec.encodeMsg(header, payload, fromUtf8);
        QCOMPARE(fromUtf8, expected);
        const QByteArray latin1 = msg.id->toLatin1();
        if (QString::fromLatin1(latin1) == *msg.id) {
            header.id = QLatin1StringView(latin1);
            QByteArray fromLatin1;
            codec.encodeMsg(header, payload, fromLatin1);
            QCOMPARE(fromLatin1, expected);
        }
    }
}

// Client::send(QString) and send(QByteArray) reach the codec without a QCborValue: the
// bytes must be exactly what encodeValue() writes for the same value.
void TestCodec::typedPayloadsMatchEncodeValue_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QCborValue>("value");
    const auto both = [](const QString &name, const QCborValue &value) {
        QTest::addRow("json: %s", qPrintable(name)) << CodecKind::Json << value;
        QTest::addRow("cbor: %s", qPrintable(name)) << CodecKind::Cbor << value;
    };
    // Lengths around the 8- and 16-unit strides of the vector loop.
    for (const int n : {0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 62, 300})
        both(QStringLiteral("ASCII x%1").arg(n), QCborValue(QString(n, u'x')));
    for (const int at : {0, 7, 8, 15, 16, 20}) {
        for (const char16_t unit : {u'"', u'\\', u'\n', char16_t(0x1f), char16_t(0x7f), char16_t(0x80),
                                    char16_t(0xe9), char16_t(0x2603), char16_t(0x8000), char16_t(0xfffd)}) {
            QString text(24, u'a');
            text[at] = QChar(unit);
            both(QStringLiteral("U+%1 at %2").arg(int(unit), 4, 16, QLatin1Char('0')).arg(at), QCborValue(text));
        }
    }
    both(QStringLiteral("surrogate pair"), QCborValue(QStringLiteral("ab\U0001F600cd")));
    both(QStringLiteral("lone surrogate"), QCborValue(QString(QChar(0xd800)) + QStringLiteral("tail")));
    for (const int n : {0, 1, 23, 24, 255, 256, 70000})
        both(QStringLiteral("bytes x%1").arg(n), QCborValue(QByteArray(n, '\xab')));
}

void TestCodec::typedPayloadsMatchEncodeValue()
{
    QFETCH(CodecKind, kind);
    QFETCH(QCborValue, value);
    const Codec &codec = codecFor(kind);
    QByteArray expected("prefix");
    QString expectedError;
    const bool encodable = codec.encodeValue(value, expected, &expectedError);
    QByteArray actual("prefix");
    if (value.isString()) {
        QVERIFY(encodable);
        codec.encodeText(value.toString(), actual);
        QCOMPARE(actual, expected);
        return;
    }
    QString error;
    QCOMPARE(codec.encodeBytes(value.toByteArray(), actual, &error), encodable);
    QCOMPARE(actual, expected);
    QCOMPARE(error, expectedError);
    QCOMPARE(encodable, kind == CodecKind::Cbor);  // JSON has no byte strings
}

// The UTF-8 validator skips ASCII sixteen bytes at a time: every run length from 0 to 40
// before (and after) each kind of sequence, valid and not.
void TestCodec::utf8ValidationAfterAsciiRuns()
{
    const std::pair<QByteArray, bool> tails[] = {
        {QByteArray(), true},
        {QByteArray("\xc3\xa9"), true},            // U+00E9
        {QByteArray("\xf0\x9f\x98\x80"), true},    // U+1F600
        {QByteArray("\xff"), false},
        {QByteArray("\x80"), false},                // a continuation byte first
        {QByteArray("\xc0\xaf"), false},            // overlong
        {QByteArray("\xed\xa0\x80"), false},        // a surrogate
        {QByteArray("\xe2\x82"), false},            // truncated
        {QByteArray("\xf4\x90\x80\x80"), false},    // above U+10FFFF
    };
    for (int run = 0; run <= 40; ++run) {
        for (const auto &[tail, valid] : tails) {
            for (const int after : {0, 1, 17}) {
                const QByteArray text = QByteArray(run, 'a') + tail + QByteArray(after, 'z');
                QVERIFY2(Detail::isValidUtf8(text.constData(), text.size()) == valid,
                         qPrintable(QStringLiteral("%1 ASCII, tail %2, %3 after")
                                        .arg(run).arg(QString::fromLatin1(tail.toHex())).arg(after)));
            }
        }
    }
}

// The JSON string scan (16 bytes at a time) stops at the first '"', '\\', control
// character and, while asked, non-ASCII byte, wherever it lies; the decoder reads the same
// strings either way.
void TestCodec::plainJsonStringRuns()
{
    const char stops[] = {'"', '\\', '\0', '\x1f', '\n', '\x80', '\xff', '\xc3'};
    for (int length = 0; length <= 40; ++length) {
        const QByteArray plain(length, 'a');
        QCOMPARE(Detail::plainJsonStringBytes(plain.constData(), length, true), qsizetype(length));
        QCOMPARE(Detail::plainJsonStringBytes(plain.constData(), length, false), qsizetype(length));
        for (int at = 0; at < length; ++at) {
            for (const char stop : stops) {
                QByteArray text = plain;
                text[at] = stop;
                const bool nonAscii = uchar(stop) >= 0x80;
                QCOMPARE(Detail::plainJsonStringBytes(text.constData(), length, true), qsizetype(at));
                QCOMPARE(Detail::plainJsonStringBytes(text.constData(), length, false),
                         nonAscii ? qsizetype(length) : qsizetype(at));
                // 0x7f and 0x20 are plain.
                text[at] = at % 2 ? '\x7f' : ' ';
                QCOMPARE(Detail::plainJsonStringBytes(text.constData(), length, true), qsizetype(length));
            }
        }
    }
    // Through the decoder: long strings with a non-ASCII character and an escape late in them.
    const QString id = QString(30, u'i') + QChar(0x00e9) + QString(20, u'j');
    const QByteArray json = "{\"t\":\"msg\",\"id\":\"" + id.toUtf8() + "\",\"d\":\"" + QByteArray(40, 'x') + "\\n\"}";
    const DecodeResult r = jsonCodec().decode(json);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const auto &msg = std::get<Msg>(*r.frame);
    QCOMPARE(msg.id, std::optional<QString>(id));
    QCOMPARE(msg.d.toString(), QString(40, u'x') + u'\n');
    const QString error = jsonCodec().decode("{\"t\":\"msg\",\"id\":\"" + QByteArray(33, 'a') + "\xff\",\"d\":1}").error;
    QVERIFY2(error.endsWith(QStringLiteral("invalid UTF-8 in a string")), qPrintable(error));
}

// Each thread decodes into one Envelope, cleared between frames: nothing of a frame (a
// field, a failed frame's half) shows up in the next, with either codec.
void TestCodec::envelopeReusedWithoutStaleFields()
{
    for (const Codec *codec : {&jsonCodec(), &cborCodec()}) {
        QByteArray full, bare;
        codec->encode(Msg{quint64(7), QStringLiteral("id-1"), QStringLiteral("room"), QCborValue(42)}, full);
        codec->encode(Msg{std::nullopt, std::nullopt, std::nullopt, QCborValue(1)}, bare);
        QVERIFY(codec->decode(full).ok());
        const DecodeResult second = codec->decode(bare);
        QVERIFY2(second.ok(), qPrintable(second.error));
        QCOMPARE(std::get<Msg>(*second.frame), (Msg{std::nullopt, std::nullopt, std::nullopt, QCborValue(1)}));
        // A frame that fails halfway (after its seq and id) leaves nothing behind either.
        QByteArray broken = full;
        broken.chop(2);
        QVERIFY(!codec->decode(broken).ok());
        const DecodeResult third = codec->decode(bare);
        QVERIFY2(third.ok(), qPrintable(third.error));
        QCOMPARE(std::get<Msg>(*third.frame), (Msg{std::nullopt, std::nullopt, std::nullopt, QCborValue(1)}));
    }
}

// tether-server's fan-out writes a publication once and each copy around its seq: the same
// bytes as encodeMsg() for every seq length (JSON digits, CBOR head sizes), id and channel.
// MsgHeader::id in any encoding gives the same frame: UTF-16, Latin-1 (ASCII) and valid
// UTF-8, which the outbox passes and the CBOR codec copies unchecked (ASCII and not).
// writeDecimal() (byte_writer_p.h: seqs in JSON frames and fan-out copies) against Qt's
// number formatting at every digit-count boundary, both sides of it, and the extremes.
void TestCodec::decimalDigits()
{
    std::vector<quint64> values = {0, 1, 9, std::numeric_limits<quint64>::max(), 18446744073709551615u - 1};
    for (quint64 p = 10; p <= quint64(1e19); p *= 10) {
        values.insert(values.end(), {p - 1, p, p + 1, p + p / 2});
        if (p == quint64(1e19))
            break;
    }
    for (const quint64 v : values) {
        char buf[21] = {};
        const int n = Detail::writeDecimal(v, buf);
        QCOMPARE(QByteArray(buf, n), QByteArray::number(v));
        QCOMPARE(buf[n], '\0');  // nothing written past the digits
        char viaCodec[Codec::kMaxMsgSeqBytes];
        QCOMPARE(QByteArray(viaCodec, jsonCodec().writeMsgSeq(v, viaCodec)), QByteArray::number(v));
    }
}

void TestCodec::msgIdInAnyEncoding()
{
    const QString ids[] = {QStringLiteral("AbC-_09"), QString(30, u'z'), QStringLiteral("\u00e9t\u00e9-\u2603-\U0001F600")};
    QByteArray value;
    for (const Codec *codec : {&jsonCodec(), &cborCodec()}) {
        value.clear();
        QVERIFY(codec->encodeValue(QCborValue(42), value));
        for (const QString &id : ids) {
            QByteArray fromUtf16, fromUtf8;
            codec->encodeMsg(MsgHeader{7, id, {}}, value, fromUtf16);
            const QByteArray utf8 = id.toUtf8();
            codec->encodeMsg(MsgHeader{7, QUtf8StringView(utf8), {}}, value, fromUtf8);
            QCOMPARE(fromUtf8, fromUtf16);
            if (id.front().unicode() < 0x80 && id.back().unicode() < 0x80) {
                QByteArray fromLatin1;
                codec->encodeMsg(MsgHeader{7, QLatin1StringView(utf8), {}}, value, fromLatin1);
                QCOMPARE(fromLatin1, fromUtf16);
            }
            const DecodeResult decoded = codec->decode(fromUtf8);
            QVERIFY2(decoded.ok(), qPrintable(decoded.error));
            QCOMPARE(std::get<Msg>(*decoded.frame).id, id);
        }
    }
}

void TestCodec::msgAroundSeqIsEncodeMsg()
{
    const quint64 seqs[] = {1, 9, 10, 23, 24, 255, 256, 65535, 65536, 4294967295u, 4294967296u,
                            quint64(9007199254740991)};
    const QString ids[] = {QString(), QStringLiteral("m-1"), QString(40, u'i') + QChar(0x00e9)};
    const QString channels[] = {QString(), QStringLiteral("room/\u00e9\"x")};
    for (const Codec *codec : {&jsonCodec(), &cborCodec()}) {
        for (const QCborValue &d : {QCborValue(QString(64, u'x')), QCborValue(QCborMap{{QStringLiteral("k"), 1}}),
                                    QCborValue(QString(70000, u'y'))}) {
            QByteArray value;
            QVERIFY(codec->encodeValue(d, value));
            for (const QString &id : ids) {
                for (const QString &ch : channels) {
                    QByteArray framed("prefix");
                    const MsgLayout layout = codec->encodeMsgAroundSeq(id, ch, value, framed);
                    QCOMPARE(QByteArrayView(framed).sliced(layout.valueAt, layout.valueSize), QByteArrayView(value));
                    for (const quint64 seq : seqs) {
                        QByteArray expected;
                        codec->encodeMsg(MsgHeader{seq, id, ch}, value, expected);
                        char digits[Codec::kMaxMsgSeqBytes];
                        const int n = codec->writeMsgSeq(seq, digits);
                        const QByteArray copy = framed.mid(6, layout.seqAt - 6) + QByteArray(digits, n) + framed.mid(layout.seqAt);
                        QCOMPARE(copy, expected);
                        const DecodeResult decoded = codec->decode(copy);
                        QVERIFY2(decoded.ok(), qPrintable(decoded.error));
                        QCOMPARE(std::get<Msg>(*decoded.frame).seq, std::optional<quint64>(seq));
                    }
                }
            }
        }
    }
}

// Every key name finds its key; a name differing in any byte but its last, or in its
// length, finds none.
void TestCodec::keyLookup()
{
    for (int i = 0; i < Detail::kKeyCount; ++i) {
        const auto key = Detail::Key(i);
        const QLatin1StringView name = Detail::keyName(key);
        QCOMPARE(Detail::keyFromName(QByteArrayView(name.data(), name.size())), std::optional<Detail::Key>(key));
        QByteArray longer = QByteArray(name.data(), name.size()) + 'x';
        QCOMPARE(Detail::keyFromName(longer), std::nullopt);
        QCOMPARE(Detail::keyFromName(QByteArray(1, 'x') + QByteArray(name.data(), name.size())), std::nullopt);
        for (qsizetype at = 0; at + 1 < name.size(); ++at) {
            QByteArray changed(name.data(), name.size());
            changed[at] = char(changed[at] ^ 0x20);  // the other case
            QCOMPARE(Detail::keyFromName(changed), std::nullopt);
        }
    }
    QCOMPARE(Detail::keyFromName(QByteArrayView()), std::nullopt);
    QCOMPARE(Detail::keyFromName("se\xff"), std::nullopt);
    QCOMPARE(Detail::keyFromName("retryAfter_"), std::nullopt);
}

// The decoders read strings and byte strings as views of the input (no copy until a value
// is kept): every value a Frame keeps must survive the input's buffer being overwritten.
void TestCodec::decodedValuesOwnTheirBytes()
{
    Msg msg;
    msg.seq = 7;
    msg.id = QStringLiteral("id-\u00e9");
    msg.ch = QStringLiteral("room:1");
    QCborMap nested;
    nested.insert(QStringLiteral("k\u00fc"), QStringLiteral("v\u00e4lue"));
    nested.insert(QStringLiteral("plain"), QStringLiteral("ascii text"));
    for (const QCborValue &d : {QCborValue(QStringLiteral("ascii payload")), QCborValue(QStringLiteral("\u00fcber")),
                                QCborValue(QByteArray("\x00\x01" "bytes\xff", 8)), QCborValue(nested)}) {
        for (const Codec *codec : {&jsonCodec(), &cborCodec()}) {
            if (codec == &jsonCodec() && d.isByteArray())
                continue;  // JSON carries bytes as base64url text
            msg.d = d;
            QByteArray wire;
            QVERIFY(codec->encode(Frame(msg), wire));
            QByteArray input(wire.constData(), wire.size());  // a buffer of its own
            DecodeResult decoded = codec->decode(input);
            QVERIFY2(decoded.ok(), qPrintable(decoded.error));
            input.fill('\xee');
            QCOMPARE(std::get<Msg>(*decoded.frame), msg);
        }
    }
}

// DecodeOptions::skipPlainMsgPayload (tether-server): the same verdict and error for every
// input, the same frame but for a msg without a channel (d undefined, payloadSkipped),
// whatever the field order (`d` may come before `t` and `ch`). The fuzzers check the same
// on arbitrary input.
void TestCodec::skipPlainMsgPayload_data()
{
    QTest::addColumn<bool>("cbor");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("skipped");
    const auto cborOf = [](const QCborMap &map) { return map.toCborValue().toCbor(); };
    const QCborValue nested = QCborMap{{QStringLiteral("x"), QCborArray{1, 2, QCborMap{{QStringLiteral("y"), QStringLiteral("z")}}}}};
    QTest::addRow("json plain msg") << false << QByteArray(R"({"t":"msg","seq":1,"id":"a","d":{"x":[1,2,{"y":"z"}]}})") << true;
    QTest::addRow("json d before t") << false << QByteArray(R"({"d":[1,"a\nb"],"t":"msg","seq":2})") << true;
    QTest::addRow("json string d") << false << QByteArray(R"({"t":"msg","d":"café"})") << true;
    QTest::addRow("json channel after d") << false << QByteArray(R"({"t":"msg","d":{"a":1},"ch":"room"})") << false;
    QTest::addRow("json req") << false << QByteArray(R"({"t":"req","id":1,"m":"echo","d":{"a":[true,null]}})") << false;
    QTest::addRow("json res") << false << QByteArray(R"({"d":"x","t":"res","id":1})") << false;
    QTest::addRow("json duplicate key in d") << false << QByteArray(R"({"t":"msg","d":{"a":1,"a":2}})") << false;
    QTest::addRow("json d too deep") << false
        << QByteArray(R"({"t":"msg","d":)") + QByteArray(70, '[') + QByteArray(70, ']') + '}' << false;
    QTest::addRow("json bad d after a good one") << false << QByteArray(R"({"t":"msg","d":1,"d":{"a":1,"a":2}})") << false;
    QTest::addRow("cbor plain msg") << true
        << cborOf({{QStringLiteral("t"), QStringLiteral("msg")}, {QStringLiteral("seq"), 3}, {QStringLiteral("d"), nested}}) << true;
    QTest::addRow("cbor d before t") << true
        << cborOf({{QStringLiteral("d"), QByteArray("", 2)}, {QStringLiteral("t"), QStringLiteral("msg")}}) << true;
    QTest::addRow("cbor channel") << true
        << cborOf({{QStringLiteral("d"), nested}, {QStringLiteral("t"), QStringLiteral("msg")}, {QStringLiteral("ch"), QStringLiteral("c")}}) << false;
    QTest::addRow("cbor req") << true
        << cborOf({{QStringLiteral("t"), QStringLiteral("req")}, {QStringLiteral("id"), 1}, {QStringLiteral("m"), QStringLiteral("echo")}, {QStringLiteral("d"), nested}}) << false;
    QTest::addRow("cbor tag in d") << true << msgWithCborPayload("c1 00") << false;
    QTest::addRow("cbor undefined d") << true << msgWithCborPayload("f7") << false;
    QTest::addRow("cbor duplicate key in d") << true << msgWithCborPayload("a2 6161 01 6161 02") << false;
    QTest::addRow("cbor truncated d") << true << msgWithCborPayload("82 01") << false;
    QTest::addRow("cbor indefinite text d") << true << msgWithCborPayload("7f 6161 6162 ff") << true;
}

void TestCodec::skipPlainMsgPayload()
{
    QFETCH(bool, cbor);
    QFETCH(QByteArray, input);
    QFETCH(bool, skipped);
    const Codec &codec = cbor ? cborCodec() : jsonCodec();
    const DecodeResult whole = codec.decode(input);
    DecodeOptions options;
    options.skipPlainMsgPayload = true;
    const DecodeResult lean = codec.decode(input, options);
    QCOMPARE(lean.ok(), whole.ok());
    QCOMPARE(lean.error, whole.error);
    // The same through a batch reader (tether-server reads v1.1 batches).
    BatchReader reader(codec, input, options);
    const DecodeResult batched = reader.next();
    QCOMPARE(batched.ok(), whole.ok());
    if (!whole.ok()) {
        QVERIFY(!whole.error.isEmpty());
        QVERIFY2(!skipped, qPrintable(whole.error));
        return;
    }
    Frame expected = *whole.frame;
    const Msg *msg = std::get_if<Msg>(&expected);
    QCOMPARE(msg && !msg->ch, skipped);
    if (skipped) {
        QVERIFY(!std::get<Msg>(expected).d.isUndefined());
        std::get<Msg>(expected).d = QCborValue();
        std::get<Msg>(expected).payloadSkipped = true;
    }
    QCOMPARE(*lean.frame, expected);
    QCOMPARE(*batched.frame, expected);
}

// ascii_p.h against the plain rule, unit by unit: every length from 0 to 40 (the vector
// strides and the scalar tails) with one unit that fails the rule at every position.
void TestCodec::asciiNarrowingStopsAtTheFirstMiss_data()
{
    QTest::addColumn<int>("rule");
    QTest::addColumn<int>("miss");
    for (const char16_t unit : {char16_t(0), char16_t(0x1f), u'"', u'\\', char16_t(0x7f), char16_t(0x80),
                                char16_t(0xff), char16_t(0x100), char16_t(0x7fff), char16_t(0x8000), char16_t(0xffff)}) {
        QTest::addRow("ascii U+%04x", unsigned(unit)) << int(Detail::AsciiRule::Ascii) << int(unit);
        QTest::addRow("json U+%04x", unsigned(unit)) << int(Detail::AsciiRule::JsonPlain) << int(unit);
    }
}

void TestCodec::asciiNarrowingStopsAtTheFirstMiss()
{
    QFETCH(int, rule);
    QFETCH(int, miss);
    const auto r = Detail::AsciiRule(rule);
    const char16_t unit = char16_t(miss);
    const bool unitPasses = unit < 0x80
                            && (r == Detail::AsciiRule::Ascii || (unit >= 0x20 && unit != u'"' && unit != u'\\'));
    for (int n = 0; n <= 40; ++n) {
        for (int at = -1; at < n; ++at) {  // -1: nothing to miss
            std::u16string text;
            for (int i = 0; i < n; ++i)
                text.push_back(char16_t(u' ' + (i * 7) % 95));  // every printable but the two
            for (auto &c : text)
                if (c == u'"' || c == u'\\')
                    c = u'x';
            if (at >= 0)
                text[size_t(at)] = unit;
            const qsizetype expected = (at < 0 || unitPasses) ? n : at;
            std::string out(size_t(n), '?');
            const qsizetype got = Detail::narrowAscii(QStringView(text.data(), n), out.data(), r);
            QVERIFY2(got == expected, qPrintable(QStringLiteral("n %1 at %2: %3").arg(n).arg(at).arg(got)));
            for (qsizetype i = 0; i < got; ++i)
                QCOMPARE(uchar(out[size_t(i)]), uchar(text[size_t(i)]));
            // The same through bytes, for the units that are bytes (Latin-1 / UTF-8 ids).
            if (unit <= 0xff) {
                std::string bytes(text.begin(), text.end());
                std::string narrowed(size_t(n), '?');
                const qsizetype gotBytes = Detail::narrowAscii(bytes.data(), n, narrowed.data(), r);
                QVERIFY2(gotBytes == expected, qPrintable(QStringLiteral("bytes n %1 at %2: %3").arg(n).arg(at).arg(gotBytes)));
                QCOMPARE(narrowed.substr(0, size_t(gotBytes)), bytes.substr(0, size_t(gotBytes)));
            }
        }
    }
}

void TestCodec::depthLimit_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<int>("levels");
    QTest::addColumn<bool>("accepted");
    for (CodecKind kind : { CodecKind::Json, CodecKind::Cbor }) {
        const char *name = kind == CodecKind::Json ? "json" : "cbor";
        for (int levels : { 1, 62, 63, 64, 65, 1000 })
            QTest::addRow("%s: %d arrays in d", name, levels) << kind << levels << (levels <= kMaxDepth - 1);
    }
}

void TestCodec::depthLimit()
{
    QFETCH(CodecKind, kind);
    QFETCH(int, levels);
    QFETCH(bool, accepted);
    // Decoding: the frame's object is level 1, so d holds at most kMaxDepth - 1 levels.
    const QByteArray input = kind == CodecKind::Json
        ? "{\"t\":\"msg\",\"d\":" + nested(levels) + "}"
        : msgWithCborPayload("").left(9) + nestedCbor(levels);
    const DecodeResult result = codecFor(kind).decode(input);
    QCOMPARE(result.ok(), accepted);
    if (!accepted)
        QVERIFY2(result.error.endsWith(QLatin1StringView("nesting deeper than kMaxDepth (64) levels")), qPrintable(result.error));
    // Encoding applies the same limit.
    QCborArray value;
    for (int i = 1; i < levels; ++i) {
        // Not QCborArray{ value }: list-initialising a class from one element of its own
        // type copies it ([dcl.init.list], DR 1467), as clang does; nesting needs append().
        QCborArray outer;
        outer.append(value);
        value = outer;
    }
    QByteArray out;
    QCOMPARE(codecFor(kind).encode(Msg{ {}, {}, {}, value }, out), accepted);
}

void TestCodec::largeMapsStayLinear_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<bool>("duplicate");
    QTest::addRow("json unique") << CodecKind::Json << false;
    QTest::addRow("json duplicate last") << CodecKind::Json << true;
    QTest::addRow("cbor unique") << CodecKind::Cbor << false;
    QTest::addRow("cbor duplicate last") << CodecKind::Cbor << true;
}

void TestCodec::largeMapsStayLinear()
{
    // 100 000 keys: quadratic duplicate detection would take minutes here, and the
    // ctest timeout fails it.
    QFETCH(CodecKind, kind);
    QFETCH(bool, duplicate);
    constexpr int n = 100000;
    QByteArray input;
    if (kind == CodecKind::Json) {
        input = "{\"t\":\"msg\",\"d\":{";
        for (int i = 0; i < n; ++i)
            input += "\"k" + QByteArray::number(duplicate && i == n - 1 ? 0 : i) + "\":" + QByteArray::number(i) + ",";
        input.chop(1);
        input += "}}";
    } else {
        input = msgWithCborPayload("").left(9) + hex("ba") ;
        const quint32 count = n;
        input += char(count >> 24);
        input += char(count >> 16);
        input += char(count >> 8);
        input += char(count);
        for (int i = 0; i < n; ++i) {
            const QByteArray key = "k" + QByteArray::number(duplicate && i == n - 1 ? 0 : i);
            input += char(0x60 + key.size());
            input += key;
            input += hex("1a");
            input += char(i >> 24);
            input += char(i >> 16);
            input += char(i >> 8);
            input += char(i);
        }
    }
    const DecodeResult result = codecFor(kind).decode(input);
    if (duplicate) {
        QCOMPARE(result.error, QStringLiteral("msg: field 'd' contains a duplicate map key"));
    } else {
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(std::get<Msg>(*result.frame).d.toMap().size(), n);
    }
}

void TestCodec::subprotocols()
{
    QCOMPARE(codecForSubprotocol("tether.v1.json"), &jsonCodec());
    QCOMPARE(codecForSubprotocol("tether.v1.cbor"), &cborCodec());
    QCOMPARE(codecForSubprotocol("tether.v1.JSON"), nullptr);
    QCOMPARE(codecForSubprotocol("tether.v2.json"), nullptr);
    QCOMPARE(codecForSubprotocol(""), nullptr);
    QCOMPARE(&codecFor(CodecKind::Json), &jsonCodec());
    QCOMPARE(&codecFor(CodecKind::Cbor), &cborCodec());
    QCOMPARE(jsonCodec().kind(), CodecKind::Json);
    QCOMPARE(cborCodec().kind(), CodecKind::Cbor);
    QCOMPARE(jsonCodec().subprotocol(), kJsonSubprotocol);
    QCOMPARE(cborCodec().subprotocol(), kCborSubprotocol);
    QVERIFY(!jsonCodec().usesBinaryFrames());
    QVERIFY(cborCodec().usesBinaryFrames());
}

// ---- the fuzz seed corpus, replayed as unit tests (so also under ASan in the asan preset) --

void TestCodec::fuzzCorpusReplays_data()
{
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("mustDecode");
    const QString root = qEnvironmentVariable("TETHER_SOURCE_DIR", QStringLiteral(QT_TESTCASE_SOURCEDIR "/../.."));
    for (CodecKind kind : { CodecKind::Json, CodecKind::Cbor }) {
        const QString dirName = kind == CodecKind::Json ? QStringLiteral("json") : QStringLiteral("cbor");
        const QDir dir(root + QLatin1StringView("/tests/fuzz/corpus/") + dirName);
        for (const QString &name : dir.entryList(QDir::Files, QDir::Name)) {
            QFile file(dir.filePath(name));
            if (!file.open(QIODevice::ReadOnly))
                continue;
            // Seeds of real frames must decode; "nasty-" and "regression-" ones may not.
            const bool mustDecode = !name.startsWith(QLatin1StringView("nasty-")) && !name.startsWith(QLatin1StringView("regression-"));
            QTest::addRow("%s/%s", qPrintable(dirName), qPrintable(name)) << kind << file.readAll() << mustDecode;
        }
    }
}

void TestCodec::fuzzCorpusReplays()
{
    QFETCH(CodecKind, kind);
    QFETCH(QByteArray, input);
    QFETCH(bool, mustDecode);
    const Codec &codec = codecFor(kind);
    const DecodeResult result = codec.decode(input);
    if (!result.ok()) {
        QVERIFY2(!mustDecode, qPrintable(result.error));
        QVERIFY(!result.error.isEmpty());
        return;
    }
    QByteArray encoded;
    QVERIFY(codec.encode(*result.frame, encoded));
    const DecodeResult again = codec.decode(encoded);
    QVERIFY2(again.ok(), qPrintable(again.error));
    QVERIFY2(*again.frame == *result.frame, qPrintable(describe(again) + QLatin1StringView(" != ") + describe(result)));
}

// ---- the examples of docs/protocol.md, decoded as written -------------------------------

void TestCodec::docsHaveEveryFrameType()
{
    const QList<DocBlock> blocks = docBlocks();
    QVERIFY2(!blocks.isEmpty(), qPrintable(protocolDocPath() + QLatin1StringView(" has no examples or cannot be read")));
    QSet<QString> types;
    for (const DocBlock &block : blocks) {
        if (block.lang != "cbor-hex")
            continue;
        const DecodeResult result = cborCodec().decode(QByteArray::fromHex(joined(block.lines)));
        if (result.ok())
            types.insert(frameTypeName(*result.frame));
    }
    for (const char *type : { "hello", "welcome", "msg", "ack", "nack", "req", "res", "sub", "unsub", "error" })
        QVERIFY2(types.contains(QLatin1StringView(type)), type);
}

void TestCodec::docsFrameExamples_data()
{
    // A frame example is an optional ```json block, a ```cbor-diag block and a
    // ```cbor-hex block, in that order.
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("diag");
    QTest::addColumn<QByteArray>("cbor");
    QByteArray json;
    QByteArray diag;
    for (const DocBlock &block : docBlocks()) {
        if (block.lang == "json") {
            json = joined(block.lines);
        } else if (block.lang == "cbor-diag") {
            diag = joined(block.lines);
        } else if (block.lang == "cbor-hex") {
            QTest::addRow("protocol.md line %d", block.line) << json << diag << QByteArray::fromHex(joined(block.lines));
            json.clear();
            diag.clear();
        }
    }
}

void TestCodec::docsFrameExamples()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, diag);
    QFETCH(QByteArray, cbor);
    const DecodeResult fromCbor = cborCodec().decode(cbor);
    QVERIFY2(fromCbor.ok(), qPrintable(fromCbor.error));
    QByteArray canonicalCbor;
    QVERIFY(cborCodec().encode(*fromCbor.frame, canonicalCbor));
    QCOMPARE(cbor.toHex(' '), canonicalCbor.toHex(' '));
    QVERIFY2(!diag.isEmpty(), "every cbor-hex block follows its cbor-diag block");
    QCOMPARE(QString::fromUtf8(diag), QCborValue::fromCbor(cbor).toDiagnosticNotation());
    if (json.isEmpty()) {
        QByteArray ignored;
        QString error;
        QVERIFY2(!jsonCodec().encode(*fromCbor.frame, ignored, &error), "an example without JSON must be one JSON cannot carry");
        return;
    }
    const DecodeResult fromJson = jsonCodec().decode(json);
    QVERIFY2(fromJson.ok(), qPrintable(fromJson.error));
    QByteArray canonicalJson;
    QVERIFY(jsonCodec().encode(*fromJson.frame, canonicalJson));
    QCOMPARE(json, canonicalJson);
    QVERIFY2(*fromJson.frame == *fromCbor.frame, qPrintable(describe(fromJson) + QLatin1StringView(" != ") + describe(fromCbor)));
}

void TestCodec::docsAcceptedExamples_data()
{
    // ```json-accepted / ```cbor-accepted: the input, then its canonical form.
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("canonical");
    for (const DocBlock &block : docBlocks()) {
        const bool json = block.lang == "json-accepted";
        if ((!json && block.lang != "cbor-accepted") || block.lines.size() != 2)
            continue;
        QTest::addRow("protocol.md line %d", block.line) << (json ? CodecKind::Json : CodecKind::Cbor)
            << (json ? block.lines[0] : QByteArray::fromHex(block.lines[0]))
            << (json ? block.lines[1] : QByteArray::fromHex(block.lines[1]));
    }
}

void TestCodec::docsAcceptedExamples()
{
    QFETCH(CodecKind, kind);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, canonical);
    const DecodeResult result = codecFor(kind).decode(input);
    QVERIFY2(result.ok(), qPrintable(result.error));
    QByteArray encoded;
    QVERIFY(codecFor(kind).encode(*result.frame, encoded));
    QCOMPARE(encoded, canonical);
}

void TestCodec::docsRejectedExamples_data()
{
    // ```json-rejected / ```cbor-rejected: the input, then the exact error.
    QTest::addColumn<CodecKind>("kind");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("error");
    for (const DocBlock &block : docBlocks()) {
        const bool json = block.lang == "json-rejected";
        if (!json && block.lang != "cbor-rejected")
            continue;
        QTest::addRow("protocol.md line %d", block.line) << (json ? CodecKind::Json : CodecKind::Cbor)
            << (json ? block.lines.value(0) : QByteArray::fromHex(block.lines.value(0)))
            << QString::fromUtf8(block.lines.value(1));
    }
}

void TestCodec::docsRejectedExamples()
{
    QFETCH(CodecKind, kind);
    QFETCH(QByteArray, input);
    QFETCH(QString, error);
    const DecodeResult result = codecFor(kind).decode(input);
    QVERIFY2(!result.ok(), qPrintable(describe(result)));
    QCOMPARE(result.error, error);
}

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
