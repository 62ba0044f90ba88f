// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Internal to sdk/protocol: what the JSON and CBOR codecs share. Not API, not installed.
//
// Theory of operation. Each codec has its own strict reader for its syntax. A reader walks
// the top-level object once and fills an Envelope: one slot per field name docs/protocol.md
// knows (unknown names are checked for syntax and dropped). Scalars land in the slot as
// plain C++ values; `d`, `err` (and anything nested) are rebuilt as a QCborValue. Then
// buildFrame() applies the rules of §2 to the Envelope, the same code for both codecs, so
// both accept exactly the same frames and word their errors the same way.
//
// Nested values are validated while they are read and re-emitted as plain CBOR (the
// writers below: shortest heads, float64 doubles, integers within 64-bit signed range,
// containers of unknown size as indefinite-length so nothing is buffered or copied twice);
// buildTree() then hands those bytes, known to be well formed, to QCborValue::fromCbor().
// Why not build QCborMap directly: QCborMap::insert() is a linear search, so a 1 MB map
// would cost O(n^2); and QCborValue::fromCbor() alone on the peer's bytes neither rejects
// duplicate keys nor reads integers below -2^63 correctly.
//
// Errors come in two kinds:
// - syntax errors (malformed bytes, invalid UTF-8, nesting deeper than kMaxDepth) stop the
//   reader at once: the frame type may not be known yet;
// - value problems inside one field (a duplicate key or a CBOR tag inside `d`) are kept in
//   that field's slot and reported by buildFrame() with the frame type and field name. A
//   problem inside an unknown field is ignored with the field.
#pragma once

#include "codec.h"

#include <QtCore/QByteArray>
#include <QtCore/QCborValue>
#include <QtCore/QString>

#include <array>
#include <optional>
#include <vector>

namespace Tether::Protocol::Detail {

// Every field name of docs/protocol.md §2 (top level only; the error object is read as a tree).
enum class Key : quint8 {
    T, V, Sid, Rx, Ak, Token, Agent, Resumed, Hb, MaxFrame, Ttl,
    Seq, Id, Ch, D, Err, M, Code, Msg, RetryAfter,
    Count
};
inline constexpr int kKeyCount = int(Key::Count);

// Decodes the CBOR frame at the start of `bytes` (a CBOR sequence: more may follow) and
// sets `used` to its length in bytes. Same rules and errors as cborCodec().decode().
DecodeResult decodeLeadingCbor(QByteArrayView bytes, qsizetype &used, const DecodeOptions &options = {});

// The wire name of a key ("maxFrame").
QLatin1StringView keyName(Key key);
// The key whose wire name is exactly `utf8`, if any.
std::optional<Key> keyFromName(QByteArrayView utf8);
// True for the fields whose value is kept whole as a QCborValue (payloads, error object).
inline bool keepsTree(Key key) { return key == Key::D || key == Key::Err; }

// The wire type of a field's value, as read (before any rule of §2 is applied).
enum class Kind : quint8 {
    Absent, Null, Bool, UInt, NegInt, Double, String, Bytes, Array, Map, Other
};

struct Field {
    Kind kind = Kind::Absent;
    bool boolean = false;
    quint64 uint = 0;         // Kind::UInt; saturated at UINT64_MAX (always out of range)
    // Kind::String: its UTF-8 bytes, a raw view of the input (fromRawData: valid until the
    // decode returns, which is all buildFrame() needs) or owned (a JSON string unescaped).
    // A QString is made only for the fields a frame keeps: `t` never becomes one.
    QByteArray utf8;
    QCborValue tree;          // for keepsTree() keys: the whole value
    QLatin1StringView problem; // first value problem found inside the tree (see above)
    // DecodeOptions::skipPlainMsgPayload: the value's bytes (a view of the input), validated,
    // its tree not built; empty otherwise (an encoded value is never empty).
    QByteArrayView skippedBytes;
    bool skipped() const { return !skippedBytes.isEmpty(); }
};

struct Envelope {
    std::array<Field, kKeyCount> fields;
    std::optional<Key> duplicate;    // first known field that appeared twice
    bool unknownDuplicate = false;   // an unknown field name appeared twice
    quint32 written = 0;             // the fields write() handed out: clear() resets those only

    Field &operator[](Key key) { return fields[size_t(key)]; }
    const Field &operator[](Key key) const { return fields[size_t(key)]; }
    // A reader's way to a field it fills.
    Field &write(Key key)
    {
        written |= 1u << unsigned(key);
        return fields[size_t(key)];
    }
    void clear();
};
static_assert(kKeyCount <= 32, "Envelope::written has a bit per key");

// The Envelope one decode reads into: the thread's own, cleared after each use, or a fresh
// one while the thread's is in use. Why: constructing and destroying twenty Fields cost
// ~400 instructions a frame, a seventh of tether-server's work per JSON msg (issue 18).
class EnvelopeLease
{
public:
    EnvelopeLease();
    ~EnvelopeLease();
    EnvelopeLease(const EnvelopeLease &) = delete;
    EnvelopeLease &operator=(const EnvelopeLease &) = delete;
    Envelope &operator*() { return *m_env; }

private:
    Envelope *m_env;
    bool *m_busy = nullptr;          // the thread's envelope, released by the destructor
    std::optional<Envelope> m_own;
};

// Applies the rules of docs/protocol.md §2 (and §4's "seq 0 is invalid") to a complete
// envelope. Consumes the strings and trees in `env`.
DecodeResult buildFrame(Envelope &env);
// DecodeOptions::skipPlainMsgPayload: whether the envelope read is a `msg` without `ch`,
// whose `d` then needs no tree (the readers read `d` first without one, and build it
// afterwards for every other frame).
bool isPlainMsg(const Envelope &env);
// A reader's last step before buildFrame(): the tree of a skipped `d` is built after all
// unless the frame is a plain msg. `Reader` (a codec's, befriending this) reads the
// validated bytes again, which cannot fail; false with `error` set if it did.
template <typename Reader>
bool buildSkippedTree(Envelope &env, QString &error)
{
    Field &d = env[Key::D];
    if (!d.skipped() || isPlainMsg(env))
        return true;
    Reader again(d.skippedBytes);
    if (again.readField(Key::D, d))
        return true;
    error = again.m_error;
    return false;
}

// The syntax side of encoding: a codec writes maps, keys and scalars; encodeFrame() decides
// which fields a frame has (canonical form: optional fields only when set) and checks the
// values a decoder would reject, so encode(decode(x)) always round-trips.
class FieldWriter
{
public:
    virtual ~FieldWriter() = default;
    // `count` is the number of entries (JSON ignores it, CBOR writes it in the head).
    virtual void beginMap(int count) = 0;
    virtual void endMap() = 0;
    virtual void key(QLatin1StringView name) = 0;
    virtual void unsignedInt(quint64 value) = 0;
    virtual void string(QStringView value) = 0;
    virtual void asciiString(QLatin1StringView value) = 0;
    virtual void boolean(bool value) = 0;
    // A payload at nesting level `depth` (of the map holding it). Returns a Problem on
    // failure (see below).
    virtual QLatin1StringView value(const QCborValue &value, int depth) = 0;
};

// Codec::encode() and Codec::encodeValue() on top of a FieldWriter that appends to `out`:
// on failure they set `error` (when given), leave `out` as it was and return false.
bool appendFrame(const Frame &frame, FieldWriter &writer, QByteArray &out, QString *error);
bool appendValue(const QCborValue &value, FieldWriter &writer, QByteArray &out, QString *error);

// A decoded text scalar as a payload value: ASCII (nearly every key and string of a real
// payload) goes into the QCborValue as it is, without a QString in between.
QCborValue textValue(QByteArrayView utf8);
// `bytes` (a view of the input) as a payload value: one copy, into the QCborValue.
QCborValue bytesValue(QByteArrayView bytes);

// True when `data` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, no
// code point above U+10FFFF).
bool isValidUtf8(const char *data, qsizetype size);

// CBOR output: shortest heads and float64 doubles. Encoders write definite lengths (the
// canonical form); readers re-emitting a nested value may use indefinite ones.
namespace Cbor {
enum Major : quint8 { UInt = 0, NegInt = 1, Bytes = 2, Text = 3, Array = 4, Map = 5, Tag = 6, Simple = 7 };
// The shortest head of `major` with `argument` into `buf` (kMaxHeadBytes); its length.
inline constexpr int kMaxHeadBytes = 9;
int headBytes(char *buf, Major major, quint64 argument);
void writeHead(QByteArray &out, Major major, quint64 argument);
void writeText(QByteArray &out, QLatin1StringView ascii);
void writeText(QByteArray &out, QStringView text);
void writeUtf8Text(QByteArray &out, const char *utf8, qsizetype size);
void writeInteger(QByteArray &out, qint64 value);
void writeDouble(QByteArray &out, double value);
inline void writeBool(QByteArray &out, bool b) { out.append(char(b ? 0xf5 : 0xf4)); }
inline void writeNull(QByteArray &out) { out.append(char(0xf6)); }
// Indefinite-length array/map: the head, the items, then writeBreak().
inline void writeIndefinite(QByteArray &out, Major major) { out.append(char((major << 5) | 31)); }
inline void writeBreak(QByteArray &out) { out.append(char(0xff)); }
} // namespace Cbor

// The payload rules shared by both codecs (docs/protocol.md, "Payloads"): a payload is
// null, a bool, an integer (64-bit signed), a finite double, a text string, a byte string
// (CBOR only), an array, or a map with unique text keys; containers nest at most
// kMaxDepth levels counting the frame's own object as level 1.
//
// Writes `value` (found at nesting level `depth`, the level of the container holding
// it) as canonical CBOR. Returns an empty view on success, else what is wrong, worded to
// follow "field 'd' " ("contains a CBOR tag").
QLatin1StringView writeCborPayload(QByteArray &out, const QCborValue &value, int depth);

// Value problems, worded to follow "field 'd' ".
namespace Problem {
inline constexpr QLatin1StringView kDuplicateKey{"contains a duplicate map key"};
inline constexpr QLatin1StringView kNonTextKey{"contains a map key that is not a text string"};
inline constexpr QLatin1StringView kTag{"contains a CBOR tag (not allowed in payloads)"};
inline constexpr QLatin1StringView kUndefined{"contains undefined (not allowed in payloads)"};
inline constexpr QLatin1StringView kSimple{"contains a CBOR simple value (not allowed in payloads)"};
inline constexpr QLatin1StringView kNonFinite{"contains a non-finite number"};
inline constexpr QLatin1StringView kTooDeep{"nests deeper than kMaxDepth (64) levels"};
inline constexpr QLatin1StringView kBytesInJson{"contains a byte string, which JSON cannot carry"};
} // namespace Problem

// True when the keys of `map` (all text) are unique. O(n log n).
bool hasUniqueKeys(const QCborMap &map);
// True when `keys` (UTF-8, as read) are unique. Sorts them. O(n log n).
bool hasUniqueKeys(std::vector<QByteArray> &keys);
// Keeps the first problem found inside a value.
inline void noteProblem(QLatin1StringView &problem, QLatin1StringView what)
{
    if (problem.isEmpty())
        problem = what;
}

// Builds the tree of a value from the CBOR a reader re-emitted (well formed by
// construction, see above).
QCborValue buildTree(const QByteArray &cbor);

// "msg: " / "frame: " error wording shared by the codecs.
QString fieldError(QLatin1StringView frameType, Key key, QLatin1StringView what);

} // namespace Tether::Protocol::Detail
