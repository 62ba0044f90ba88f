// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// `tether.v1.json`: one UTF-8 JSON object (RFC 8259) per text WebSocket frame.
//
// Reading: a strict single-pass reader, not QJsonDocument, because the protocol needs what
// QJsonDocument hides: it turns `1.0` into the integer 1, keeps only one of two duplicate
// keys, and builds a whole DOM per frame (3.6 us for a small `msg` on the reference
// machine, over the budget). The reader rejects everything RFC 8259 rejects (trailing
// commas, comments, single quotes, NaN, leading zeros, control characters in strings,
// invalid UTF-8, unpaired \u surrogates), bounds nesting at kMaxDepth and turns nested
// values into validated CBOR so that a payload decodes to the same QCborValue as
// its CBOR twin (codec_p.h).
//
// Numbers: a literal without fraction or exponent is an integer (a 64-bit one inside a
// payload; beyond that range it becomes a double, as in CBOR); anything else is a double.
// So `1.0` is not an unsigned integer: fields like `seq` reject it, as the CBOR codec
// rejects a float 1.0 (docs/protocol.md §2.1).
//
// Writing: straight into the caller's QByteArray, no DOM; doubles in their shortest
// round-trip form with a `.0` added when that form looks like an integer, so they
// decode as doubles again.
#include "ascii_p.h"
#include "byte_writer_p.h"
#include "codec_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>

#include <charconv>
#include <cstring>
#include <cmath>
#include <limits>

namespace Tether::Protocol {

using namespace Detail;

namespace {

constexpr QLatin1StringView kEndOfData("unexpected end of data");
constexpr QLatin1StringView kTooDeep("nesting deeper than kMaxDepth (64) levels");

struct Scalar {
    Kind kind = Kind::Absent;
    quint64 uint = 0;        // UInt (saturated at UINT64_MAX)
    bool fitsInt64 = false;  // UInt/NegInt: `integer` holds the value, else `dbl` does
    qint64 integer = 0;
    double dbl = 0;
    bool boolean = false;
    QByteArrayView text;     // String: UTF-8, into the input or into `owned`
    QByteArray owned;        // strings with escapes, unescaped
};

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void appendUtf8(QByteArray &out, char32_t cp)
{
    if (cp < 0x80) {
        out.append(char(cp));
    } else if (cp < 0x800) {
        out.append(char(0xc0 | (cp >> 6)));
        out.append(char(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.append(char(0xe0 | (cp >> 12)));
        out.append(char(0x80 | ((cp >> 6) & 0x3f)));
        out.append(char(0x80 | (cp & 0x3f)));
    } else {
        out.append(char(0xf0 | (cp >> 18)));
        out.append(char(0x80 | ((cp >> 12) & 0x3f)));
        out.append(char(0x80 | ((cp >> 6) & 0x3f)));
        out.append(char(0x80 | (cp & 0x3f)));
    }
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

class JsonReader
{
    template <typename Reader>
    friend bool Detail::buildSkippedTree(Envelope &env, QString &error);

public:
    explicit JsonReader(QByteArrayView bytes, const DecodeOptions &options = {})
        : m_begin(bytes.data()), m_p(m_begin), m_end(m_begin + bytes.size()), m_options(options)
    {
    }

    DecodeResult decode()
    {
        DecodeResult result;
        EnvelopeLease lease;
        Envelope &env = *lease;
        if (!readFrame(env) || !buildSkippedTree<JsonReader>(env, m_error)) {
            result.error = m_error;
            return result;
        }
        return buildFrame(env);
    }

private:
    bool syntax(QLatin1StringView what)
    {
        if (m_error.isEmpty())
            m_error = QStringLiteral("invalid JSON at byte %1: %2").arg(m_p - m_begin).arg(what);
        return false;
    }

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }

    // At the opening quote.
    bool readString(Scalar &s)
    {
        const char *start = ++m_p;
        bool ascii = true;
        while (m_p < m_end) {
            m_p += plainJsonStringBytes(m_p, m_end - m_p, ascii);
            if (m_p == m_end)
                break;
            const uchar c = uchar(*m_p);
            if (c == '"') {
                s.text = QByteArrayView(start, m_p - start);
                s.owned = QByteArray();
                if (!ascii && !isValidUtf8(start, m_p - start))
                    return syntax(QLatin1StringView("invalid UTF-8 in a string"));
                ++m_p;
                return true;
            }
            if (c == '\\')
                return readEscapedString(start, s);
            if (c < 0x20)
                return syntax(QLatin1StringView("control character in a string"));
            ascii = ascii && c < 0x80;
            ++m_p;
        }
        return syntax(kEndOfData);
    }

    // The slow path, from the first backslash.
    bool readEscapedString(const char *start, Scalar &s)
    {
        QByteArray out(start, m_p - start);
        while (m_p < m_end) {
            const char c = *m_p;
            if (c == '"') {
                ++m_p;
                if (!isValidUtf8(out.constData(), out.size()))
                    return syntax(QLatin1StringView("invalid UTF-8 in a string"));
                s.owned = std::move(out);
                s.text = s.owned;
                return true;
            }
            if (uchar(c) < 0x20)
                return syntax(QLatin1StringView("control character in a string"));
            if (c != '\\') {
                out.append(c);
                ++m_p;
                continue;
            }
            if (m_end - m_p < 2)
                return syntax(kEndOfData);
            const char e = m_p[1];
            m_p += 2;
            switch (e) {
            case '"': out.append('"'); break;
            case '\\': out.append('\\'); break;
            case '/': out.append('/'); break;
            case 'b': out.append('\b'); break;
            case 'f': out.append('\f'); break;
            case 'n': out.append('\n'); break;
            case 'r': out.append('\r'); break;
            case 't': out.append('\t'); break;
            case 'u': {
                char32_t cp = 0;
                if (!readHex4(cp))
                    return false;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    char32_t low = 0;
                    if (m_end - m_p < 2 || m_p[0] != '\\' || m_p[1] != 'u')
                        return syntax(QLatin1StringView("unpaired surrogate in a \\u escape"));
                    m_p += 2;
                    if (!readHex4(low))
                        return false;
                    if (low < 0xdc00 || low > 0xdfff)
                        return syntax(QLatin1StringView("unpaired surrogate in a \\u escape"));
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return syntax(QLatin1StringView("unpaired surrogate in a \\u escape"));
                }
                appendUtf8(out, cp);
                break;
            }
            default:
                m_p -= 1;
                return syntax(QLatin1StringView("invalid escape in a string"));
            }
        }
        return syntax(kEndOfData);
    }

    bool readHex4(char32_t &cp)
    {
        if (m_end - m_p < 4)
            return syntax(kEndOfData);
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const int v = hexValue(m_p[i]);
            if (v < 0)
                return syntax(QLatin1StringView("invalid \\u escape"));
            cp = (cp << 4) | char32_t(v);
        }
        m_p += 4;
        return true;
    }

    bool readNumber(Scalar &s)
    {
        const char *start = m_p;
        const bool negative = *m_p == '-';
        if (negative)
            ++m_p;
        if (m_p < m_end && *m_p == '0') {
            ++m_p;
        } else if (m_p < m_end && isDigit(*m_p)) {
            while (m_p < m_end && isDigit(*m_p))
                ++m_p;
        } else {
            return syntax(QLatin1StringView("invalid number"));
        }
        bool integral = true;
        if (m_p < m_end && *m_p == '.') {
            integral = false;
            ++m_p;
            if (m_p == m_end || !isDigit(*m_p))
                return syntax(QLatin1StringView("invalid number"));
            while (m_p < m_end && isDigit(*m_p))
                ++m_p;
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            integral = false;
            ++m_p;
            if (m_p < m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            if (m_p == m_end || !isDigit(*m_p))
                return syntax(QLatin1StringView("invalid number"));
            while (m_p < m_end && isDigit(*m_p))
                ++m_p;
        }
        s.kind = integral ? (negative ? Kind::NegInt : Kind::UInt) : Kind::Double;
        s.fitsInt64 = false;
        if (integral && !negative) {
            const auto r = std::from_chars(start, m_p, s.uint);
            if (r.ec != std::errc())
                s.uint = std::numeric_limits<quint64>::max();
            s.fitsInt64 = s.uint <= quint64(std::numeric_limits<qint64>::max());
            s.integer = qint64(s.uint);
        } else if (integral) {
            s.fitsInt64 = std::from_chars(start, m_p, s.integer).ec == std::errc();
        }
        if (!s.fitsInt64) {
            const auto r = std::from_chars(start, m_p, s.dbl);
            if (r.ec != std::errc() || !std::isfinite(s.dbl))
                return syntax(QLatin1StringView("number out of range"));
        }
        return true;
    }

    bool readLiteral(QLatin1StringView word)
    {
        if (m_end - m_p < word.size() || memcmp(m_p, word.data(), size_t(word.size())) != 0)
            return syntax(QLatin1StringView("expected a value"));
        m_p += word.size();
        return true;
    }

    // Reads one value held by a container at nesting level `depth`. Writes it as CBOR to
    // `out` when given; records the first value problem in `problem`.
    bool readItem(int depth, Scalar &s, QByteArray *out, QLatin1StringView &problem)
    {
        skipSpace();
        if (m_p == m_end)
            return syntax(kEndOfData);
        switch (*m_p) {
        case '{':
        case '[':
            if (depth + 1 > kMaxDepth)
                return syntax(kTooDeep);
            s.kind = *m_p == '{' ? Kind::Map : Kind::Array;
            return readContainer(depth + 1, out, problem);
        case '"':
            if (!readString(s))
                return false;
            s.kind = Kind::String;
            if (out)
                Cbor::writeUtf8Text(*out, s.text.data(), s.text.size());
            return true;
        case 't':
        case 'f':
            if (!readLiteral(QLatin1StringView(*m_p == 't' ? "true" : "false")))
                return false;
            s.kind = Kind::Bool;
            s.boolean = m_p[-1] == 'e' && m_p[-2] == 'u';
            if (out)
                Cbor::writeBool(*out, s.boolean);
            return true;
        case 'n':
            if (!readLiteral(QLatin1StringView("null")))
                return false;
            s.kind = Kind::Null;
            if (out)
                Cbor::writeNull(*out);
            return true;
        default:
            if (*m_p != '-' && !isDigit(*m_p))
                return syntax(QLatin1StringView("expected a value"));
            if (!readNumber(s))
                return false;
            if (out) {
                if (s.fitsInt64)
                    Cbor::writeInteger(*out, s.integer);
                else
                    Cbor::writeDouble(*out, s.dbl);
            }
            return true;
        }
    }

    // At '{' or '['; the container is at nesting level `level`.
    bool readContainer(int level, QByteArray *out, QLatin1StringView &problem)
    {
        const bool isMap = *m_p == '{';
        const char close = isMap ? '}' : ']';
        ++m_p;
        // The count is known only at the end: write an indefinite-length container.
        if (out)
            Cbor::writeIndefinite(*out, isMap ? Cbor::Map : Cbor::Array);
        QByteArray *dst = out;
        std::vector<QByteArray> keys;
        Scalar s;
        skipSpace();
        if (m_p < m_end && *m_p == close) {
            ++m_p;
        } else {
            for (;;) {
                if (isMap) {
                    skipSpace();
                    if (m_p == m_end)
                        return syntax(kEndOfData);
                    if (*m_p != '"')
                        return syntax(QLatin1StringView("expected a string key"));
                    if (!readString(s))
                        return false;
                    if (dst)
                        Cbor::writeUtf8Text(*dst, s.text.data(), s.text.size());
                    if (problem.isEmpty())
                        keys.push_back(s.owned.isNull() ? QByteArray::fromRawData(s.text.data(), s.text.size()) : s.owned);
                    skipSpace();
                    if (m_p == m_end)
                        return syntax(kEndOfData);
                    if (*m_p != ':')
                        return syntax(QLatin1StringView("expected ':'"));
                    ++m_p;
                }
                if (!readItem(level, s, dst, problem))
                    return false;
                skipSpace();
                if (m_p == m_end)
                    return syntax(kEndOfData);
                if (*m_p == close) {
                    ++m_p;
                    break;
                }
                if (*m_p != ',')
                    return syntax(isMap ? QLatin1StringView("expected ',' or '}'") : QLatin1StringView("expected ',' or ']'"));
                ++m_p;
            }
        }
        if (isMap && keys.size() > 1 && !hasUniqueKeys(keys))
            noteProblem(problem, Problem::kDuplicateKey);
        if (out)
            Cbor::writeBreak(*out);
        return true;
    }

    static QCborValue scalarTree(const Scalar &s)
    {
        switch (s.kind) {
        case Kind::UInt:
        case Kind::NegInt:
            return s.fitsInt64 ? QCborValue(s.integer) : QCborValue(s.dbl);
        case Kind::Double:
            return QCborValue(s.dbl);
        case Kind::String:
            return textValue(s.text);
        case Kind::Bool:
            return QCborValue(s.boolean);
        default:
            return QCborValue(nullptr);
        }
    }

    bool readField(Key key, Field &f)
    {
        Scalar s;
        QLatin1StringView problem;
        skipSpace();
        const bool nested = m_p < m_end && (*m_p == '{' || *m_p == '[');
        f.skippedBytes = QByteArrayView();
        if (key == Key::D && m_options.skipPlainMsgPayload) {
            // Validated only; buildSkippedTree() builds the tree unless the frame is a plain msg.
            const auto *start = m_p;
            if (!readItem(1, s, nullptr, problem))
                return false;
            f.skippedBytes = QByteArrayView(start, m_p - start);
        } else if (keepsTree(key) && nested) {
            QByteArray cbor;
            if (!readItem(1, s, &cbor, problem))
                return false;
            if (problem.isEmpty())
                f.tree = buildTree(cbor);
        } else {
            if (!readItem(1, s, nullptr, problem))
                return false;
            if (keepsTree(key))
                f.tree = scalarTree(s);
            else if (s.kind == Kind::String)
                f.utf8 = s.owned.isNull() ? QByteArray::fromRawData(s.text.data(), s.text.size()) : s.owned;
        }
        f.kind = s.kind;
        f.uint = s.uint;
        f.boolean = s.boolean;
        f.problem = problem;
        return true;
    }

    bool readFrame(Envelope &env)
    {
        skipSpace();
        if (m_p == m_end)
            return syntax(kEndOfData);
        if (*m_p != '{') {
            m_error = QStringLiteral("frame: top level must be a JSON object");
            return false;
        }
        ++m_p;
        std::vector<QByteArray> unknownKeys;
        skipSpace();
        if (m_p < m_end && *m_p == '}') {
            ++m_p;
        } else {
            for (;;) {
                skipSpace();
                if (m_p == m_end)
                    return syntax(kEndOfData);
                if (*m_p != '"')
                    return syntax(QLatin1StringView("expected a string key"));
                Scalar name;
                if (!readString(name))
                    return false;
                skipSpace();
                if (m_p == m_end)
                    return syntax(kEndOfData);
                if (*m_p != ':')
                    return syntax(QLatin1StringView("expected ':'"));
                ++m_p;
                if (const std::optional<Key> key = keyFromName(name.text)) {
                    Field &f = env.write(*key);
                    if (f.kind != Kind::Absent && !env.duplicate)
                        env.duplicate = *key;
                    if (!readField(*key, f))
                        return false;
                } else {
                    unknownKeys.push_back(name.text.toByteArray());
                    Scalar value;
                    QLatin1StringView ignored;
                    if (!readItem(1, value, nullptr, ignored))
                        return false;
                }
                skipSpace();
                if (m_p == m_end)
                    return syntax(kEndOfData);
                if (*m_p == '}') {
                    ++m_p;
                    break;
                }
                if (*m_p != ',')
                    return syntax(QLatin1StringView("expected ',' or '}'"));
                ++m_p;
            }
        }
        skipSpace();
        if (m_p != m_end)
            return syntax(QLatin1StringView("trailing data after the object"));
        env.unknownDuplicate = unknownKeys.size() > 1 && !hasUniqueKeys(unknownKeys);
        return true;
    }

    const char *m_begin;
    const char *m_p;
    const char *m_end;
    QString m_error;
    DecodeOptions m_options;
};

// ---- writing ----------------------------------------------------------------------------

void appendUInt(QByteArray &out, quint64 value)
{
    char buf[20];
    out.append(buf, writeDecimal(value, buf));
}

void appendInteger(QByteArray &out, qint64 value)
{
    if (value < 0) {
        out.append('-');
        appendUInt(out, quint64(0) - quint64(value));
    } else {
        appendUInt(out, quint64(value));
    }
}

void appendDouble(QByteArray &out, double value)
{
    if (value == 0 && std::signbit(value)) {  // Qt writes -0.0 as "0": keep the sign
        out.append("-0.0");
        return;
    }
    const QByteArray text = QByteArray::number(value, 'g', QLocale::FloatingPointShortest);
    out.append(text);
    // "1" would read back as an integer: keep it a double.
    if (!text.contains('.') && !text.contains('e'))
        out.append(".0");
}

void appendEscaped(QByteArray &out, const char *p, qsizetype size)
{
    static const char hex[] = "0123456789abcdef";
    out.append('"');
    const char *run = p;
    const char *end = p + size;
    for (; p < end; ++p) {
        const uchar c = uchar(*p);
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(run, p - run);
        run = p + 1;
        switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default: {
            const char u[] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
            out.append(u, sizeof u);
        }
        }
    }
    out.append(run, end - run);
    out.append('"');
}

void appendString(QByteArray &out, QStringView value)
{
    // Fast path, no temporary: printable ASCII needing no escape (ids, channels, most text).
    const qsizetype start = out.size();
    reserveMore(out, value.size() + 2);
    out.resize(start + value.size() + 2);
    char *dst = out.data() + start;
    *dst = '"';
    if (narrowAscii(value, dst + 1, AsciiRule::JsonPlain) == value.size()) {
        dst[value.size() + 1] = '"';
        return;
    }
    out.truncate(start);
    const QByteArray utf8 = value.toUtf8();
    appendEscaped(out, utf8.constData(), utf8.size());
}

QLatin1StringView appendPayload(QByteArray &out, const QCborValue &value, int depth)
{
    switch (value.type()) {
    case QCborValue::Integer:
        appendInteger(out, value.toInteger());
        return {};
    case QCborValue::Double:
        if (!std::isfinite(value.toDouble()))
            return Problem::kNonFinite;
        appendDouble(out, value.toDouble());
        return {};
    case QCborValue::String:
        appendString(out, value.toString());
        return {};
    case QCborValue::False:
    case QCborValue::True:
        out.append(value.isTrue() ? "true" : "false");
        return {};
    case QCborValue::Null:
        out.append("null");
        return {};
    case QCborValue::Array: {
        if (depth + 1 > kMaxDepth)
            return Problem::kTooDeep;
        out.append('[');
        const QCborArray array = value.toArray();
        for (auto i = array.constBegin(); i != array.constEnd(); ++i) {
            if (i != array.constBegin())
                out.append(',');
            const QLatin1StringView problem = appendPayload(out, *i, depth + 1);
            if (!problem.isEmpty())
                return problem;
        }
        out.append(']');
        return {};
    }
    case QCborValue::Map: {
        if (depth + 1 > kMaxDepth)
            return Problem::kTooDeep;
        out.append('{');
        const QCborMap map = value.toMap();
        for (auto i = map.constBegin(); i != map.constEnd(); ++i) {
            if (!i.key().isString())
                return Problem::kNonTextKey;
            if (i != map.constBegin())
                out.append(',');
            appendString(out, i.key().toString());
            out.append(':');
            const QLatin1StringView problem = appendPayload(out, i.value(), depth + 1);
            if (!problem.isEmpty())
                return problem;
        }
        out.append('}');
        if (!hasUniqueKeys(map))
            return Problem::kDuplicateKey;
        return {};
    }
    case QCborValue::ByteArray:
        return Problem::kBytesInJson;
    case QCborValue::Undefined:
        return Problem::kUndefined;
    default:
        if (value.isSimpleType())
            return Problem::kSimple;
        return Problem::kTag;
    }
}

// appendString() through a ByteWriter: ASCII needing no escape as is (ids, channels; the
// engine's stored ids are Latin-1 bytes), anything else escaped by appendString() itself.
void putString(ByteWriter &w, QAnyStringView value)
{
    char *const start = w.position();
    w.put('"');
    if (value.visit([&w](auto text) { return w.putNarrowed(text, AsciiRule::JsonPlain); })) {
        w.put('"');
        return;
    }
    w.rewind(start);
    QByteArray escaped;
    appendString(escaped, value.toString());
    w.put(escaped);
}

class JsonFieldWriter final : public FieldWriter
{
public:
    explicit JsonFieldWriter(QByteArray &out) : m_out(out) { }
    void beginMap(int) override
    {
        m_out.append('{');
        m_first[++m_level] = true;
    }
    void endMap() override
    {
        m_out.append('}');
        --m_level;
    }
    void key(QLatin1StringView name) override
    {
        if (!m_first[m_level])
            m_out.append(',');
        m_first[m_level] = false;
        m_out.append('"');
        m_out.append(name.data(), name.size());
        m_out.append("\":");
    }
    void unsignedInt(quint64 value) override { appendUInt(m_out, value); }
    void string(QStringView value) override { appendString(m_out, value); }
    void asciiString(QLatin1StringView value) override { appendEscaped(m_out, value.data(), value.size()); }
    void boolean(bool value) override { m_out.append(value ? "true" : "false"); }
    QLatin1StringView value(const QCborValue &value, int depth) override
    {
        return appendPayload(m_out, value, depth);
    }

private:
    QByteArray &m_out;
    bool m_first[4] = {};  // frames nest maps two deep (the frame, an error object)
    int m_level = 0;
};

class JsonCodec final : public Codec
{
public:
    CodecKind kind() const override { return CodecKind::Json; }
    QLatin1StringView subprotocol() const override { return kJsonSubprotocol; }
    bool usesBinaryFrames() const override { return false; }

    using Codec::decode;
    DecodeResult decode(QByteArrayView bytes, const DecodeOptions &options) const override
    {
        return JsonReader(bytes, options).decode();
    }

    bool encode(const Frame &frame, QByteArray &out, QString *error) const override
    {
        JsonFieldWriter writer(out);
        return appendFrame(frame, writer, out, error);
    }

    bool encodeValue(const QCborValue &value, QByteArray &out, QString *error) const override
    {
        JsonFieldWriter writer(out);
        return appendValue(value, writer, out, error);
    }

    void encodeText(QStringView text, QByteArray &out) const override { appendString(out, text); }

    bool encodeBytes(QByteArrayView, QByteArray &, QString *error) const override
    {
        return refuseBytes(error);
    }
    qsizetype encodedBytesSize(qsizetype) const override { return 0; }
    qsizetype writeEncodedBytes(QByteArrayView, char *) const override
    {
        Q_UNREACHABLE();
        return 0;
    }

    void encodeMsg(const MsgHeader &header, QByteArrayView encodedValue, QByteArray &out) const override
    {
        Q_ASSERT(!header.seq || (*header.seq > 0 && *header.seq <= kMaxUInt));
        // Written through a pointer (byte_writer_p.h says why). The envelope's fixed bytes
        // (names, punctuation, quotes, a 20-digit seq) total 59; a string escapes to at most
        // 6 bytes per UTF-16 unit (\u00XX).
        constexpr qsizetype kEnvelopeMost = 64;
        ByteWriter w(out, kEnvelopeMost + 6 * (header.id.size() + header.ch.size()) + encodedValue.size());
        w.putLiteral("{\"t\":\"msg\"");
        if (header.seq) {
            w.putLiteral(",\"seq\":");
            w.putDecimal(*header.seq);
        }
        if (!header.id.isEmpty()) {
            w.putLiteral(",\"id\":");
            putString(w, header.id);
        }
        if (!header.ch.isEmpty()) {
            w.putLiteral(",\"ch\":");
            putString(w, header.ch);
        }
        w.putLiteral(",\"d\":");
        w.put(encodedValue);
        w.put('}');
    }

    bool encodeMsgBytes(const MsgHeader &, QByteArrayView, QByteArray &, QString *error) const override
    {
        return refuseBytes(error);
    }

    MsgLayout encodeMsgAroundSeq(QAnyStringView id, QStringView ch, QByteArrayView encodedValue,
                                 QByteArray &out) const override
    {
        // encodeMsg() with seq 1, its one digit taken out: the seq always follows `t`.
        constexpr qsizetype kSeqAt = sizeof("{\"t\":\"msg\",\"seq\":") - 1;
        const qsizetype start = out.size();
        encodeMsg(MsgHeader{quint64(1), id, ch}, encodedValue, out);
        Q_ASSERT(out.at(start + kSeqAt) == '1');
        out.remove(start + kSeqAt, 1);
        return {start + kSeqAt, out.size() - 1 - encodedValue.size(), encodedValue.size()};  // then '}'
    }

    int writeMsgSeq(quint64 seq, char *out) const override
    {
        static_assert(kMaxMsgSeqBytes >= 20);
        return writeDecimal(seq, out);
    }

private:
    // What encodeValue() says of a byte string.
    static bool refuseBytes(QString *error)
    {
        if (error)
            *error = QLatin1StringView("payload ") + Problem::kBytesInJson;
        return false;
    }
};

} // namespace

const Codec &jsonCodec()
{
    static const JsonCodec codec;
    return codec;
}

} // namespace Tether::Protocol
