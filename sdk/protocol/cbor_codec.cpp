// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// `tether.v1.cbor`: one CBOR map (RFC 8949) per binary WebSocket frame.
//
// Reading: a strict single-pass reader over the bytes (no QCborStreamReader: it is slower
// for envelopes, and QCborValue::fromCbor() alone misreads integers below -2^63 and keeps
// duplicate keys). Nested values are validated and re-emitted as plain CBOR, then
// built into a QCborValue (codec_p.h explains why). Every length is checked against the
// bytes left before anything is copied, and containers nest at most kMaxDepth levels, so
// no input makes it allocate more than a few times the frame size or recurse deeply.
//
// Writing: canonical CBOR straight into the caller's QByteArray (shortest heads, definite
// lengths, float64 doubles, fields in a fixed order).
#include "byte_writer_p.h"
#include "codec_p.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace Tether::Protocol {

using namespace Detail;

namespace {

struct Head {
    quint8 major = 0;
    quint8 info = 0;     // additional information: 31 = indefinite length / break
    quint64 arg = 0;
};

// One data item as read. Strings point into the input, or into `owned` when they were
// sent in chunks (indefinite length).
struct Scalar {
    Kind kind = Kind::Absent;
    quint64 uint = 0;     // UInt: the value; NegInt: the argument n of -1-n
    double dbl = 0;
    bool boolean = false;
    QByteArrayView text;
    QByteArray owned;
};

double halfToDouble(quint16 half)
{
    const int exponent = (half >> 10) & 0x1f;
    const int mantissa = half & 0x3ff;
    double value;
    if (exponent == 0)
        value = std::ldexp(mantissa, -24);
    else if (exponent != 31)
        value = std::ldexp(mantissa + 1024, exponent - 25);
    else
        value = mantissa == 0 ? HUGE_VAL : std::nan("");
    return (half & 0x8000) ? -value : value;
}

class CborReader
{
    template <typename Reader>
    friend bool Detail::buildSkippedTree(Envelope &env, QString &error);

public:
    explicit CborReader(QByteArrayView bytes, const DecodeOptions &options = {})
        : m_begin(reinterpret_cast<const uchar *>(bytes.data())), m_p(m_begin), m_end(m_begin + bytes.size()),
          m_options(options)
    {
    }

    // One frame at the start of a CBOR sequence (protocol v1.1 batches): bytes after the
    // frame's map are left for the next call, and `used` receives the frame's length.
    DecodeResult decodeLeading(qsizetype &used)
    {
        m_leading = true;
        DecodeResult result = decode();
        used = m_p - m_begin;
        return result;
    }

    DecodeResult decode()
    {
        DecodeResult result;
        EnvelopeLease lease;
        Envelope &env = *lease;
        if (!readFrame(env) || !buildSkippedTree<CborReader>(env, m_error)) {
            result.error = m_error;
            return result;
        }
        return buildFrame(env);
    }

private:
    bool syntax(QLatin1StringView what)
    {
        if (m_error.isEmpty())
            m_error = QStringLiteral("invalid CBOR at byte %1: %2").arg(m_item - m_begin).arg(what);
        return false;
    }
    bool shape(QLatin1StringView what)
    {
        m_error = QLatin1StringView("frame: ") + what;
        return false;
    }
    qsizetype left() const { return m_end - m_p; }

    bool readHead(Head &h)
    {
        m_item = m_p;
        if (m_p == m_end)
            return syntax(QLatin1StringView("unexpected end of data"));
        const uchar initial = *m_p++;
        h.major = initial >> 5;
        h.info = initial & 0x1f;
        if (h.info < 24) {
            h.arg = h.info;
            return true;
        }
        if (h.info <= 27) {
            const int n = 1 << (h.info - 24);
            if (left() < n)
                return syntax(QLatin1StringView("unexpected end of data"));
            h.arg = 0;
            for (int i = 0; i < n; ++i)
                h.arg = (h.arg << 8) | *m_p++;
            return true;
        }
        if (h.info == 31) {
            if (h.major == Cbor::UInt || h.major == Cbor::NegInt || h.major == Cbor::Tag)
                return syntax(QLatin1StringView("indefinite length not allowed for this type"));
            h.arg = 0;
            return true;
        }
        return syntax(QLatin1StringView("reserved additional information"));
    }

    bool takeStringBytes(quint64 length, bool text, QByteArrayView &out)
    {
        if (length > quint64(left()))
            return syntax(QLatin1StringView("unexpected end of data"));
        out = QByteArrayView(m_p, qsizetype(length));
        if (text && !isValidUtf8(out.data(), out.size()))
            return syntax(QLatin1StringView("invalid UTF-8 in a text string"));
        m_p += length;
        return true;
    }

    bool readString(const Head &h, Scalar &s)
    {
        const bool text = h.major == Cbor::Text;
        if (h.info != 31) {
            s.owned = QByteArray();  // `text` points into the input, not into `owned`
            return takeStringBytes(h.arg, text && !m_keyUnchecked, s.text);
        }
        // Indefinite length: definite chunks of the same type, each valid on its own.
        s.owned.clear();
        for (;;) {
            Head chunk;
            if (!readHead(chunk))
                return false;
            if (chunk.major == Cbor::Simple && chunk.info == 31)
                break;
            if (chunk.major != h.major || chunk.info == 31)
                return syntax(QLatin1StringView("invalid chunk in an indefinite-length string"));
            QByteArrayView part;
            if (!takeStringBytes(chunk.arg, text, part))
                return false;
            s.owned.append(part);
        }
        s.text = s.owned;
        return true;
    }

    // Reads one item held by a container at nesting level `depth`. Writes it again as plain
    // CBOR to `out` when given; records the first value problem in `problem`.
    bool readItem(int depth, Scalar &s, QByteArray *out, QLatin1StringView &problem)
    {
        Head h;
        if (!readHead(h))
            return false;
        switch (h.major) {
        case Cbor::UInt:
        case Cbor::NegInt:
            s.kind = h.major == Cbor::UInt ? Kind::UInt : Kind::NegInt;
            s.uint = h.arg;
            if (out) {
                // Beyond the 64-bit signed range a payload integer becomes a double,
                // as a JSON number that large does.
                if (h.arg <= quint64(std::numeric_limits<qint64>::max()))
                    Cbor::writeHead(*out, Cbor::Major(h.major), h.arg);
                else
                    Cbor::writeDouble(*out, h.major == Cbor::UInt ? double(h.arg) : -1.0 - double(h.arg));
            }
            return true;
        case Cbor::Bytes:
        case Cbor::Text:
            if (!readString(h, s))
                return false;
            s.kind = h.major == Cbor::Text ? Kind::String : Kind::Bytes;
            if (out) {
                Cbor::writeHead(*out, Cbor::Major(h.major), quint64(s.text.size()));
                out->append(s.text);
            }
            return true;
        case Cbor::Array:
        case Cbor::Map:
            if (depth + 1 > kMaxDepth)
                return syntax(QLatin1StringView("nesting deeper than kMaxDepth (64) levels"));
            s.kind = h.major == Cbor::Array ? Kind::Array : Kind::Map;
            return readContainer(h, depth + 1, out, problem);
        case Cbor::Tag: {
            if (depth + 1 > kMaxDepth)
                return syntax(QLatin1StringView("nesting deeper than kMaxDepth (64) levels"));
            noteProblem(problem, Problem::kTag);
            Scalar inner;
            if (!readItem(depth + 1, inner, nullptr, problem))
                return false;
            s.kind = Kind::Other;
            return true;
        }
        default:
            return readSimple(h, s, out, problem);
        }
    }

    bool readSimple(const Head &h, Scalar &s, QByteArray *out, QLatin1StringView &problem)
    {
        switch (h.info) {
        case 20:
        case 21:
            s.kind = Kind::Bool;
            s.boolean = h.info == 21;
            if (out)
                Cbor::writeBool(*out, s.boolean);
            return true;
        case 22:
            s.kind = Kind::Null;
            if (out)
                Cbor::writeNull(*out);
            return true;
        case 23:
            s.kind = Kind::Other;
            noteProblem(problem, Problem::kUndefined);
            return true;
        case 24:
            if (h.arg < 32)
                return syntax(QLatin1StringView("simple value below 32 in two-byte form"));
            s.kind = Kind::Other;
            noteProblem(problem, Problem::kSimple);
            return true;
        case 25:
        case 26:
        case 27: {
            if (h.info == 25) {
                s.dbl = halfToDouble(quint16(h.arg));
            } else if (h.info == 26) {
                const quint32 bits = quint32(h.arg);
                float f;
                std::memcpy(&f, &bits, sizeof f);
                s.dbl = f;
            } else {
                std::memcpy(&s.dbl, &h.arg, sizeof s.dbl);
            }
            s.kind = Kind::Double;
            if (!std::isfinite(s.dbl))
                noteProblem(problem, Problem::kNonFinite);
            else if (out)
                Cbor::writeDouble(*out, s.dbl);
            return true;
        }
        case 31:
            return syntax(QLatin1StringView("unexpected break"));
        default:  // 0..19: unassigned simple values
            s.kind = Kind::Other;
            noteProblem(problem, Problem::kSimple);
            return true;
        }
    }

    // Whether the container with head `h` ends before its entry `n`: a count reached, or
    // a break (consumed). False on a syntax error.
    bool atEnd(const Head &h, quint64 n, bool &done)
    {
        if (h.info != 31) {
            done = n == h.arg;
            return true;
        }
        m_item = m_p;
        if (m_p == m_end)
            return syntax(QLatin1StringView("unexpected end of data"));
        done = *m_p == 0xff;
        if (done)
            ++m_p;
        return true;
    }

    // A container at nesting level `level` whose head was read.
    bool readContainer(const Head &h, int level, QByteArray *out, QLatin1StringView &problem)
    {
        const bool isMap = h.major == Cbor::Map;
        const bool indefinite = h.info == 31;
        if (out && indefinite)
            Cbor::writeIndefinite(*out, Cbor::Major(h.major));
        else if (out)
            Cbor::writeHead(*out, Cbor::Major(h.major), h.arg);
        QByteArray *dst = out;
        std::vector<QByteArray> keys;
        Scalar s;
        for (quint64 n = 0;; ++n) {
            bool done = false;
            if (!atEnd(h, n, done))
                return false;
            if (done) {
                if (out && indefinite)
                    Cbor::writeBreak(*out);
                break;
            }
            if (isMap) {
                if (!readItem(level, s, dst, problem))
                    return false;
                if (s.kind != Kind::String)
                    noteProblem(problem, Problem::kNonTextKey);
                else if (problem.isEmpty())
                    keys.push_back(s.owned.isNull() ? QByteArray::fromRawData(s.text.data(), s.text.size()) : s.owned);
            }
            if (!readItem(level, s, dst, problem))
                return false;
        }
        if (isMap && keys.size() > 1 && !hasUniqueKeys(keys))
            noteProblem(problem, Problem::kDuplicateKey);
        return true;
    }

    static QCborValue scalarTree(const Scalar &s)
    {
        constexpr quint64 maxInt = quint64(std::numeric_limits<qint64>::max());
        switch (s.kind) {
        case Kind::UInt:
            return s.uint <= maxInt ? QCborValue(qint64(s.uint)) : QCborValue(double(s.uint));
        case Kind::NegInt:
            return s.uint <= maxInt ? QCborValue(-1 - qint64(s.uint)) : QCborValue(-1.0 - double(s.uint));
        case Kind::Double:
            return QCborValue(s.dbl);
        case Kind::String:
            return textValue(s.text);
        case Kind::Bytes:
            return bytesValue(s.text);
        case Kind::Bool:
            return QCborValue(s.boolean);
        case Kind::Null:
            return QCborValue(nullptr);
        default:
            return QCborValue();
        }
    }

    bool readField(Key key, Field &f)
    {
        Scalar s;
        QLatin1StringView problem;
        const uchar major = m_p < m_end ? uchar(*m_p >> 5) : 0;
        const bool nested = major == Cbor::Array || major == Cbor::Map || major == Cbor::Tag;
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
        Head h;
        if (!readHead(h))
            return false;
        if (h.major != Cbor::Map)
            return shape(QLatin1StringView("top level must be a CBOR map"));
        std::vector<QByteArray> unknownKeys;
        for (quint64 n = 0;; ++n) {
            bool done = false;
            if (!atEnd(h, n, done))
                return false;
            if (done)
                break;
            Scalar name;
            QLatin1StringView ignored;
            // A key that names a field is ASCII, so valid UTF-8: only the others are checked
            // (after the lookup; the error still points at the key).
            m_keyUnchecked = m_p < m_end && uchar(*m_p >> 5) == Cbor::Text;
            const bool read = readItem(1, name, nullptr, ignored);
            m_keyUnchecked = false;
            if (!read)
                return false;
            if (name.kind != Kind::String)
                return shape(QLatin1StringView("top-level keys must be text strings"));
            const std::optional<Key> key = keyFromName(name.text);
            if (!key && !isValidUtf8(name.text.data(), name.text.size()))
                return syntax(QLatin1StringView("invalid UTF-8 in a text string"));
            if (key) {
                Field &f = env.write(*key);
                if (f.kind != Kind::Absent && !env.duplicate)
                    env.duplicate = *key;
                if (!readField(*key, f))
                    return false;
            } else {
                unknownKeys.push_back(name.text.toByteArray());
                Scalar value;
                if (!readItem(1, value, nullptr, ignored))
                    return false;
            }
        }
        m_item = m_p;
        if (m_p != m_end && !m_leading)
            return syntax(QLatin1StringView("trailing bytes after the frame"));
        env.unknownDuplicate = unknownKeys.size() > 1 && !hasUniqueKeys(unknownKeys);
        return true;
    }

    const uchar *m_begin;
    const uchar *m_p;
    const uchar *m_end;
    const uchar *m_item = nullptr;  // where the item being read starts: errors point there
    QString m_error;
    bool m_leading = false;         // bytes may follow the frame (decodeLeading())
    bool m_keyUnchecked = false;    // a top-level key is being read: readFrame() checks its UTF-8
    DecodeOptions m_options;
};

class CborFieldWriter final : public FieldWriter
{
public:
    explicit CborFieldWriter(QByteArray &out) : m_out(out) { }
    void beginMap(int count) override { Cbor::writeHead(m_out, Cbor::Map, quint64(count)); }
    void endMap() override { }
    void key(QLatin1StringView name) override { Cbor::writeText(m_out, name); }
    void unsignedInt(quint64 value) override { Cbor::writeHead(m_out, Cbor::UInt, value); }
    void string(QStringView value) override { Cbor::writeText(m_out, value); }
    void asciiString(QLatin1StringView value) override { Cbor::writeText(m_out, value); }
    void boolean(bool value) override { Cbor::writeBool(m_out, value); }
    QLatin1StringView value(const QCborValue &value, int depth) override
    {
        return writeCborPayload(m_out, value, depth);
    }

private:
    QByteArray &m_out;
};

// Straight into the writer's room (a head through a buffer cost a memcpy call each, four
// per msg frame).
void putHead(ByteWriter &w, Cbor::Major major, quint64 argument)
{
    w.advance(Cbor::headBytes(w.position(), major, argument));
}

// A text string of the envelope (id, channel): UTF-8 as it is (the engine's stored ids,
// valid UTF-8 by MsgHeader's contract), ASCII as is, anything else converted to UTF-8.
void putText(ByteWriter &w, QAnyStringView text)
{
    char *const start = w.position();
    putHead(w, Cbor::Text, quint64(text.size()));
    const bool written = text.visit([&w](auto units) {
        if constexpr (std::is_same_v<decltype(units), q_no_char8_t::QUtf8StringView>) {
            w.put(reinterpret_cast<const char *>(units.data()), units.size());
            return true;
        } else {
            return w.putNarrowed(units, AsciiRule::Ascii);
        }
    });
    if (written)
        return;
    w.rewind(start);
    const QByteArray utf8 = text.toString().toUtf8();
    putHead(w, Cbor::Text, quint64(utf8.size()));
    w.put(utf8);
}

class CborCodec final : public Codec
{
public:
    CodecKind kind() const override { return CodecKind::Cbor; }
    QLatin1StringView subprotocol() const override { return kCborSubprotocol; }
    bool usesBinaryFrames() const override { return true; }

    using Codec::decode;
    DecodeResult decode(QByteArrayView bytes, const DecodeOptions &options) const override
    {
        return CborReader(bytes, options).decode();
    }

    bool encode(const Frame &frame, QByteArray &out, QString *error) const override
    {
        CborFieldWriter writer(out);
        return appendFrame(frame, writer, out, error);
    }

    bool encodeValue(const QCborValue &value, QByteArray &out, QString *error) const override
    {
        CborFieldWriter writer(out);
        return appendValue(value, writer, out, error);
    }

    void encodeText(QStringView text, QByteArray &out) const override { Cbor::writeText(out, text); }

    bool encodeBytes(QByteArrayView bytes, QByteArray &out, QString *) const override
    {
        ByteWriter w(out, Cbor::kMaxHeadBytes + bytes.size());
        w.advance(writeEncodedBytes(bytes, w.position()));
        return true;
    }

    qsizetype encodedBytesSize(qsizetype size) const override
    {
        char head[Cbor::kMaxHeadBytes];
        return Cbor::headBytes(head, Cbor::Bytes, quint64(size)) + size;
    }

    qsizetype writeEncodedBytes(QByteArrayView bytes, char *at) const override
    {
        const int head = Cbor::headBytes(at, Cbor::Bytes, quint64(bytes.size()));
        if (!bytes.isEmpty())
            std::memcpy(at + head, bytes.data(), size_t(bytes.size()));
        return head + bytes.size();
    }

    void encodeMsg(const MsgHeader &header, QByteArrayView encodedValue, QByteArray &out) const override
    {
        ByteWriter w(out, envelopeMost(header) + encodedValue.size());
        writeMsgEnvelope(header, w);
        w.put(encodedValue);
    }

    bool encodeMsgBytes(const MsgHeader &header, QByteArrayView bytes, QByteArray &out, QString *) const override
    {
        ByteWriter w(out, envelopeMost(header) + Cbor::kMaxHeadBytes + bytes.size());
        writeMsgEnvelope(header, w);
        putHead(w, Cbor::Bytes, quint64(bytes.size()));
        w.put(bytes);
        return true;
    }

    MsgLayout encodeMsgAroundSeq(QAnyStringView id, QStringView ch, QByteArrayView encodedValue,
                                 QByteArray &out) const override
    {
        // encodeMsg() with seq 1 (one byte, 0x01), taken out: the seq follows the map's
        // one-byte head (at most 5 entries), "t": "msg" (6 bytes) and "seq" (4).
        constexpr qsizetype kSeqAt = 1 + 6 + 4;
        const qsizetype start = out.size();
        encodeMsg(MsgHeader{quint64(1), id, ch}, encodedValue, out);
        Q_ASSERT(out.at(start + kSeqAt) == '\x01');
        out.remove(start + kSeqAt, 1);
        return {start + kSeqAt, out.size() - encodedValue.size(), encodedValue.size()};
    }

    int writeMsgSeq(quint64 seq, char *out) const override
    {
        static_assert(Cbor::kMaxHeadBytes <= kMaxMsgSeqBytes);
        return Cbor::headBytes(out, Cbor::UInt, seq);
    }

private:
    // The most writeMsgEnvelope() writes: heads of at most 9 bytes, the four keys and
    // "msg", and UTF-8 of at most 3 bytes per UTF-16 unit of the id and the channel.
    static qsizetype envelopeMost(const MsgHeader &header)
    {
        return 64 + 3 * (header.id.size() + header.ch.size());
    }

    // Everything of a `msg` frame up to the value of `d`, written through a pointer
    // (byte_writer_p.h says why).
    static void writeMsgEnvelope(const MsgHeader &header, ByteWriter &w)
    {
        Q_ASSERT(!header.seq || (*header.seq > 0 && *header.seq <= kMaxUInt));
        const int count = 2 + (header.seq ? 1 : 0) + (header.id.isEmpty() ? 0 : 1) + (header.ch.isEmpty() ? 0 : 1);
        putHead(w, Cbor::Map, quint64(count));
        w.putLiteral("\x61t\x63msg");  // "t": "msg"
        if (header.seq) {
            w.putLiteral("\x63seq");
            putHead(w, Cbor::UInt, *header.seq);
        }
        if (!header.id.isEmpty()) {
            w.putLiteral("\x62id");
            putText(w, header.id);
        }
        if (!header.ch.isEmpty()) {
            w.putLiteral("\x62" "ch");
            putText(w, header.ch);
        }
        w.putLiteral("\x61" "d");
    }
};

} // namespace

DecodeResult Detail::decodeLeadingCbor(QByteArrayView bytes, qsizetype &used, const DecodeOptions &options)
{
    return CborReader(bytes, options).decodeLeading(used);
}

const Codec &cborCodec()
{
    static const CborCodec codec;
    return codec;
}

} // namespace Tether::Protocol
