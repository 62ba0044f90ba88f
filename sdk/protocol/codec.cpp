// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The codec registry and the rules of docs/protocol.md §2 shared by both codecs: buildFrame()
// turns what a reader found (an Envelope) into a Frame, or into an error naming the frame
// type and the field. See codec_p.h for the theory of operation.
#include "codec_p.h"

#include <QtCore/QCborMap>

#include <array>

namespace Tether::Protocol {

using namespace Detail;

const Codec &codecFor(CodecKind kind)
{
    return kind == CodecKind::Json ? jsonCodec() : cborCodec();
}

const Codec *codecForSubprotocol(QByteArrayView subprotocol)
{
    if (subprotocol == QByteArrayView(kJsonSubprotocol.data(), kJsonSubprotocol.size()))
        return &jsonCodec();
    if (subprotocol == QByteArrayView(kCborSubprotocol.data(), kCborSubprotocol.size()))
        return &cborCodec();
    return nullptr;
}

namespace Detail {

namespace {
// Indexed by Key.
constexpr std::array<QLatin1StringView, kKeyCount> kKeyNames = {
    QLatin1StringView("t"), QLatin1StringView("v"), QLatin1StringView("sid"),
    QLatin1StringView("rx"), QLatin1StringView("ak"), QLatin1StringView("token"),
    QLatin1StringView("agent"), QLatin1StringView("resumed"), QLatin1StringView("hb"),
    QLatin1StringView("maxFrame"), QLatin1StringView("ttl"), QLatin1StringView("seq"),
    QLatin1StringView("id"), QLatin1StringView("ch"), QLatin1StringView("d"),
    QLatin1StringView("err"), QLatin1StringView("m"), QLatin1StringView("code"),
    QLatin1StringView("msg"), QLatin1StringView("retryAfter"),
};

// The decoder looks a key up by its length and last byte, which name at most one key
// (checked here, at compile time): one table read and one compare per field, where a
// scan of every name cost ~200 instructions (issue 18's server profile).
constexpr qsizetype kLongestKey = 10;
constexpr auto kKeyByShape = [] {
    std::array<std::array<qint8, 128>, kLongestKey + 1> table{};
    for (auto &row : table)
        for (auto &cell : row)
            cell = -1;
    for (int i = 0; i < kKeyCount; ++i) {
        const QLatin1StringView name = kKeyNames[size_t(i)];
        if (name.isEmpty() || name.size() > kLongestKey)
            throw "a key name is empty or longer than kLongestKey";
        qint8 &cell = table[size_t(name.size())][size_t(uchar(name.data()[name.size() - 1]))];
        if (cell != -1)
            throw "two key names share a length and a last byte: look keys up another way";
        cell = qint8(i);
    }
    return table;
}();
} // namespace

QLatin1StringView keyName(Key key)
{
    return kKeyNames[size_t(key)];
}

std::optional<Key> keyFromName(QByteArrayView utf8)
{
    const qsizetype size = utf8.size();
    if (size < 1 || size > kLongestKey)
        return std::nullopt;
    const uchar last = uchar(utf8[size - 1]);
    if (last >= 128)
        return std::nullopt;
    const int index = kKeyByShape[size_t(size)][last];
    if (index < 0)
        return std::nullopt;
    const char *name = kKeyNames[size_t(index)].data();
    for (qsizetype i = 0; i + 1 < size; ++i) {
        if (name[i] != utf8[i])
            return std::nullopt;
    }
    return Key(index);
}

QString fieldError(QLatin1StringView frameType, Key key, QLatin1StringView what)
{
    return frameType + QLatin1StringView(": field '") + keyName(key) + QLatin1StringView("' ") + what;
}

namespace {

constexpr QLatin1StringView kUnknownType("frame");

// Reads the fields of one frame type out of an Envelope, stopping at the first error.
class Rules
{
public:
    Rules(Envelope &env, QLatin1StringView type) : m_env(env), m_type(type) { }

    QString error;
    bool ok() const { return error.isEmpty(); }

    void unsignedInt(Key key, quint64 &out) { readUInt(key, true, out); }
    void optionalUnsignedInt(Key key, std::optional<quint64> &out)
    {
        quint64 value = 0;
        if (readUInt(key, false, value))
            out = value;
    }
    void string(Key key, QString &out) { readString(key, true, out); }
    void optionalString(Key key, std::optional<QString> &out)
    {
        QString value;
        if (readString(key, false, value))
            out = std::move(value);
    }
    void boolean(Key key, bool &out)
    {
        Field *f = present(key, true);
        if (!f)
            return;
        if (f->kind != Kind::Bool)
            return typeError(key, *f, QLatin1StringView("must be a boolean"));
        out = f->boolean;
    }
    void version(Key key)
    {
        quint64 v = 0;
        if (readUInt(key, true, v) && v != kVersion)
            fail(key, QLatin1StringView("must be 1 (the only protocol version this side speaks)"));
    }
    void nonZero(Key key, const std::optional<quint64> &value)
    {
        if (ok() && value && *value == 0)
            fail(key, QLatin1StringView("must not be 0"));
    }
    // Any payload value, null included.
    bool anyValue(Key key, bool required, QCborValue &out)
    {
        Field *f = present(key, required);
        if (!f)
            return false;
        if (!f->problem.isEmpty()) {
            error = fieldError(m_type, key, f->problem);
            return false;
        }
        out = std::move(f->tree);
        return true;
    }
    void errorObject(Key key, ErrorObject &out)
    {
        Field *f = present(key, true);
        if (!f)
            return;
        if (f->kind != Kind::Map)
            return typeError(key, *f, QLatin1StringView("must be an error object"));
        if (!f->problem.isEmpty()) {
            error = fieldError(m_type, key, f->problem);
            return;
        }
        const QCborMap map = f->tree.toMap();
        const QCborValue code = map.value(QLatin1StringView("code"));
        const QCborValue msg = map.value(QLatin1StringView("msg"));
        const QCborValue data = map.value(QLatin1StringView("data"));
        if (!errorObjectString(code, QLatin1StringView("code"), out.code)
            || !errorObjectString(msg, QLatin1StringView("msg"), out.msg))
            return;
        if (!data.isUndefined())
            out.data = data;
    }

    // `res`: exactly one of `d` and `err`.
    void result(std::variant<QCborValue, ErrorObject> &out)
    {
        const bool hasD = m_env[Key::D].kind != Kind::Absent;
        const bool hasErr = m_env[Key::Err].kind != Kind::Absent;
        if (hasD && hasErr) {
            error = m_type + QLatin1StringView(": fields 'd' and 'err' are mutually exclusive");
        } else if (!hasD && !hasErr) {
            error = m_type + QLatin1StringView(": missing field 'd' or 'err'");
        } else if (hasD) {
            QCborValue d;
            if (anyValue(Key::D, true, d))
                out = std::move(d);
        } else {
            ErrorObject err;
            errorObject(Key::Err, err);
            if (ok())
                out = std::move(err);
        }
    }

private:
    Field *present(Key key, bool required)
    {
        if (!ok())
            return nullptr;
        Field &f = m_env[key];
        if (f.kind == Kind::Absent) {
            if (required)
                error = m_type + QLatin1StringView(": missing field '") + keyName(key) + QLatin1Char('\'');
            return nullptr;
        }
        return &f;
    }
    void fail(Key key, QLatin1StringView what) { error = fieldError(m_type, key, what); }
    void typeError(Key key, const Field &f, QLatin1StringView what)
    {
        fail(key, what);
        if (f.kind == Kind::Null)
            error += QLatin1StringView(", not null");
    }
    bool readUInt(Key key, bool required, quint64 &out)
    {
        Field *f = present(key, required);
        if (!f)
            return false;
        if (f->kind != Kind::UInt) {
            typeError(key, *f, QLatin1StringView("must be an unsigned integer"));
            return false;
        }
        if (f->uint > kMaxUInt) {
            fail(key, QLatin1StringView("must be at most 2^53-1"));
            return false;
        }
        out = f->uint;
        return true;
    }
    bool readString(Key key, bool required, QString &out)
    {
        Field *f = present(key, required);
        if (!f)
            return false;
        if (f->kind != Kind::String) {
            typeError(key, *f, QLatin1StringView("must be a string"));
            return false;
        }
        out = QString::fromUtf8(f->utf8);
        return true;
    }
    bool errorObjectString(const QCborValue &value, QLatin1StringView name, QString &out)
    {
        if (value.isString()) {
            out = value.toString();
            return true;
        }
        if (value.isUndefined()) {
            error = m_type + QLatin1StringView(": missing field 'err.") + name + QLatin1Char('\'');
        } else {
            error = m_type + QLatin1StringView(": field 'err.") + name
                + QLatin1StringView("' must be a string");
            if (value.isNull())
                error += QLatin1StringView(", not null");
        }
        return false;
    }

    Envelope &m_env;
    QLatin1StringView m_type;
};

template<typename T>
DecodeResult finish(const Rules &rules, T &&frame)
{
    DecodeResult result;
    if (rules.ok())
        result.frame = Frame(std::forward<T>(frame));
    else
        result.error = rules.error;
    return result;
}

DecodeResult failure(QString error)
{
    DecodeResult result;
    result.error = std::move(error);
    return result;
}

} // namespace

void Envelope::clear()
{
    for (quint32 bits = written; bits; bits &= bits - 1)
        fields[qCountTrailingZeroBits(bits)] = Field();
    written = 0;
    duplicate.reset();
    unknownDuplicate = false;
}

namespace {
struct ThreadEnvelope {
    Envelope envelope;
    bool busy = false;
};
thread_local ThreadEnvelope t_envelope;
} // namespace

EnvelopeLease::EnvelopeLease()
{
    ThreadEnvelope &mine = t_envelope;
    if (!mine.busy) {
        mine.busy = true;
        m_busy = &mine.busy;
        m_env = &mine.envelope;
    } else {
        m_env = &m_own.emplace();
    }
}

EnvelopeLease::~EnvelopeLease()
{
    if (m_busy) {
        m_env->clear();  // nothing of this frame (a payload tree) stays until the next one
        *m_busy = false;
    }
}

bool isPlainMsg(const Envelope &env)
{
    const Field &t = env[Key::T];
    return t.kind == Kind::String && QLatin1StringView(t.utf8) == QLatin1StringView("msg")
        && env[Key::Ch].kind == Kind::Absent;
}

DecodeResult buildFrame(Envelope &env)
{
    Field &t = env[Key::T];
    if (env.duplicate == Key::T)
        return failure(kUnknownType + QLatin1StringView(": duplicate field 't'"));
    if (t.kind == Kind::Absent)
        return failure(kUnknownType + QLatin1StringView(": missing field 't'"));
    if (t.kind != Kind::String) {
        QString error = fieldError(kUnknownType, Key::T, QLatin1StringView("must be a string"));
        if (t.kind == Kind::Null)
            error += QLatin1StringView(", not null");
        return failure(error);
    }

    static constexpr std::array<QLatin1StringView, 10> kTypes = {
        QLatin1StringView("hello"), QLatin1StringView("welcome"), QLatin1StringView("msg"),
        QLatin1StringView("ack"), QLatin1StringView("nack"), QLatin1StringView("req"),
        QLatin1StringView("res"), QLatin1StringView("sub"), QLatin1StringView("unsub"),
        QLatin1StringView("error"),
    };
    size_t index = 0;
    while (index < kTypes.size() && QLatin1StringView(t.utf8) != kTypes[index])
        ++index;
    if (index == kTypes.size())
        return failure(kUnknownType + QLatin1StringView(": unknown type '") + QString::fromUtf8(t.utf8).left(32) + QLatin1Char('\''));
    const QLatin1StringView type = kTypes[index];

    if (env.duplicate)
        return failure(type + QLatin1StringView(": duplicate field '") + keyName(*env.duplicate) + QLatin1Char('\''));
    if (env.unknownDuplicate)
        return failure(type + QLatin1StringView(": an unknown field appears twice"));

    Rules r(env, type);
    switch (index) {
    case 0: {
        Hello f;
        r.version(Key::V);
        r.optionalString(Key::Sid, f.sid);
        r.optionalUnsignedInt(Key::Rx, f.rx);
        r.optionalUnsignedInt(Key::Ak, f.ak);
        r.optionalString(Key::Token, f.token);
        r.optionalString(Key::Agent, f.agent);
        return finish(r, std::move(f));
    }
    case 1: {
        Welcome f;
        r.version(Key::V);
        r.string(Key::Sid, f.sid);
        r.boolean(Key::Resumed, f.resumed);
        r.unsignedInt(Key::Rx, f.rx);
        r.optionalUnsignedInt(Key::Hb, f.hb);
        r.optionalUnsignedInt(Key::MaxFrame, f.maxFrame);
        r.optionalUnsignedInt(Key::Ttl, f.ttl);
        return finish(r, std::move(f));
    }
    case 2: {
        Msg f;
        r.optionalUnsignedInt(Key::Seq, f.seq);
        r.nonZero(Key::Seq, f.seq);
        r.optionalString(Key::Id, f.id);
        r.optionalString(Key::Ch, f.ch);
        r.anyValue(Key::D, true, f.d);
        f.payloadSkipped = env[Key::D].skipped();
        return finish(r, std::move(f));
    }
    case 3: {
        Ack f;
        r.unsignedInt(Key::Seq, f.seq);
        return finish(r, f);
    }
    case 4: {
        Nack f;
        r.unsignedInt(Key::Seq, f.seq);
        r.errorObject(Key::Err, f.err);
        return finish(r, std::move(f));
    }
    case 5: {
        Req f;
        r.unsignedInt(Key::Id, f.id);
        r.string(Key::M, f.m);
        QCborValue d;
        if (r.anyValue(Key::D, false, d))
            f.d = std::move(d);
        return finish(r, std::move(f));
    }
    case 6: {
        Res f;
        r.unsignedInt(Key::Id, f.id);
        if (r.ok())
            r.result(f.result);
        return finish(r, std::move(f));
    }
    case 7: {
        Sub f;
        r.unsignedInt(Key::Id, f.id);
        r.string(Key::Ch, f.ch);
        return finish(r, std::move(f));
    }
    case 8: {
        Unsub f;
        r.unsignedInt(Key::Id, f.id);
        r.string(Key::Ch, f.ch);
        return finish(r, std::move(f));
    }
    default: {
        ErrorFrame f;
        r.string(Key::Code, f.code);
        r.string(Key::Msg, f.msg);
        r.optionalUnsignedInt(Key::RetryAfter, f.retryAfter);
        return finish(r, std::move(f));
    }
    }
}

} // namespace Detail
} // namespace Tether::Protocol

// ---- encoding -------------------------------------------------------------------------

namespace Tether::Protocol::Detail {

namespace {

// Counts and writes the fields of one frame; the first failure wins.
class Encoder
{
public:
    Encoder(FieldWriter &w, QLatin1StringView type) : m_w(w), m_type(type) { }

    QString error;

    void begin(int count)
    {
        m_w.beginMap(count + 1);
        m_w.key(keyName(Key::T));
        m_w.asciiString(m_type);
    }
    void end() { m_w.endMap(); }

    void unsignedInt(Key key, quint64 value)
    {
        if (!error.isEmpty())
            return;
        if (value > kMaxUInt) {
            error = fieldError(m_type, key, QLatin1StringView("must be at most 2^53-1"));
            return;
        }
        m_w.key(keyName(key));
        m_w.unsignedInt(value);
    }
    void optionalUnsignedInt(Key key, const std::optional<quint64> &value)
    {
        if (value)
            unsignedInt(key, *value);
    }
    void string(Key key, QStringView value)
    {
        m_w.key(keyName(key));
        m_w.string(value);
    }
    void optionalString(Key key, const std::optional<QString> &value)
    {
        if (value)
            string(key, *value);
    }
    void boolean(Key key, bool value)
    {
        m_w.key(keyName(key));
        m_w.boolean(value);
    }
    void value(Key key, const QCborValue &value)
    {
        if (!error.isEmpty())
            return;
        m_w.key(keyName(key));
        const QLatin1StringView problem = m_w.value(value, 1);
        if (!problem.isEmpty())
            error = fieldError(m_type, key, problem);
    }
    void errorObject(Key key, const ErrorObject &err)
    {
        if (!error.isEmpty())
            return;
        m_w.key(keyName(key));
        m_w.beginMap(2 + (err.data ? 1 : 0));
        m_w.key(QLatin1StringView("code"));
        m_w.string(err.code);
        m_w.key(QLatin1StringView("msg"));
        m_w.string(err.msg);
        if (err.data) {
            m_w.key(QLatin1StringView("data"));
            const QLatin1StringView problem = m_w.value(*err.data, 2);
            if (!problem.isEmpty())
                error = fieldError(m_type, key, problem);
        }
        m_w.endMap();
    }

private:
    FieldWriter &m_w;
    QLatin1StringView m_type;
};

int count(std::initializer_list<bool> present)
{
    int n = 0;
    for (bool p : present)
        n += p ? 1 : 0;
    return n;
}

} // namespace

namespace {

// Appends `frame` through `writer`; on failure sets `error` (when given).
bool encodeFrame(const Frame &frame, FieldWriter &writer, QString *error)
{
    Encoder e(writer, frameTypeName(frame));
    if (const auto *f = std::get_if<Hello>(&frame)) {
        e.begin(1 + count({ bool(f->sid), bool(f->rx), bool(f->ak), bool(f->token), bool(f->agent) }));
        e.unsignedInt(Key::V, kVersion);
        e.optionalString(Key::Sid, f->sid);
        e.optionalUnsignedInt(Key::Rx, f->rx);
        e.optionalUnsignedInt(Key::Ak, f->ak);
        e.optionalString(Key::Token, f->token);
        e.optionalString(Key::Agent, f->agent);
    } else if (const auto *f = std::get_if<Welcome>(&frame)) {
        e.begin(4 + count({ bool(f->hb), bool(f->maxFrame), bool(f->ttl) }));
        e.unsignedInt(Key::V, kVersion);
        e.string(Key::Sid, f->sid);
        e.boolean(Key::Resumed, f->resumed);
        e.unsignedInt(Key::Rx, f->rx);
        e.optionalUnsignedInt(Key::Hb, f->hb);
        e.optionalUnsignedInt(Key::MaxFrame, f->maxFrame);
        e.optionalUnsignedInt(Key::Ttl, f->ttl);
    } else if (const auto *f = std::get_if<Msg>(&frame)) {
        if (f->seq == quint64(0))
            e.error = fieldError(QLatin1StringView("msg"), Key::Seq, QLatin1StringView("must not be 0"));
        e.begin(1 + count({ bool(f->seq), bool(f->id), bool(f->ch) }));
        e.optionalUnsignedInt(Key::Seq, f->seq);
        e.optionalString(Key::Id, f->id);
        e.optionalString(Key::Ch, f->ch);
        e.value(Key::D, f->d);
    } else if (const auto *f = std::get_if<Ack>(&frame)) {
        e.begin(1);
        e.unsignedInt(Key::Seq, f->seq);
    } else if (const auto *f = std::get_if<Nack>(&frame)) {
        e.begin(2);
        e.unsignedInt(Key::Seq, f->seq);
        e.errorObject(Key::Err, f->err);
    } else if (const auto *f = std::get_if<Req>(&frame)) {
        e.begin(2 + count({ bool(f->d) }));
        e.unsignedInt(Key::Id, f->id);
        e.string(Key::M, f->m);
        if (f->d)
            e.value(Key::D, *f->d);
    } else if (const auto *f = std::get_if<Res>(&frame)) {
        e.begin(2);
        e.unsignedInt(Key::Id, f->id);
        if (const auto *err = std::get_if<ErrorObject>(&f->result))
            e.errorObject(Key::Err, *err);
        else
            e.value(Key::D, std::get<QCborValue>(f->result));
    } else if (const auto *f = std::get_if<Sub>(&frame)) {
        e.begin(2);
        e.unsignedInt(Key::Id, f->id);
        e.string(Key::Ch, f->ch);
    } else if (const auto *f = std::get_if<Unsub>(&frame)) {
        e.begin(2);
        e.unsignedInt(Key::Id, f->id);
        e.string(Key::Ch, f->ch);
    } else if (const auto *f = std::get_if<ErrorFrame>(&frame)) {
        e.begin(2 + count({ bool(f->retryAfter) }));
        e.string(Key::Code, f->code);
        e.string(Key::Msg, f->msg);
        e.optionalUnsignedInt(Key::RetryAfter, f->retryAfter);
    }
    e.end();
    if (!e.error.isEmpty()) {
        if (error)
            *error = e.error;
        return false;
    }
    return true;
}

} // namespace

bool appendFrame(const Frame &frame, FieldWriter &writer, QByteArray &out, QString *error)
{
    const qsizetype start = out.size();
    out.reserve(start + 128);  // most frames fit: one allocation instead of several
    if (encodeFrame(frame, writer, error))
        return true;
    out.truncate(start);
    return false;
}

bool appendValue(const QCborValue &value, FieldWriter &writer, QByteArray &out, QString *error)
{
    const qsizetype start = out.size();
    const QLatin1StringView problem = writer.value(value, 1);  // where `d` sits in a frame
    if (problem.isEmpty())
        return true;
    out.truncate(start);
    if (error)
        *error = QLatin1StringView("payload ") + problem;
    return false;
}

} // namespace Tether::Protocol::Detail
