// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// What both codecs share below the frame level: UTF-8 validation, the CBOR
// writer, and the payload rules (codec_p.h, "payload rules").
#include "byte_writer_p.h"
#include "codec_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace Tether::Protocol::Detail {

QCborValue textValue(QByteArrayView utf8)
{
    if (asciiPrefixLength(utf8.data(), utf8.size()) == utf8.size())
        return QCborValue(QLatin1StringView(utf8.data(), utf8.size()));
    return QCborValue(QString::fromUtf8(utf8));
}

QCborValue bytesValue(QByteArrayView bytes)
{
    // QCborValue copies a byte array's contents into its own storage: no QByteArray copy first.
    return QCborValue(QByteArray::fromRawData(bytes.data(), bytes.size()));
}

bool isValidUtf8(const char *data, qsizetype size)
{
    const auto *p = reinterpret_cast<const uchar *>(data);
    const uchar *end = p + size;
    while (p < end) {
        const uchar c = *p;
        if (c < 0x80) {
            p += asciiPrefixLength(reinterpret_cast<const char *>(p), end - p);
            continue;
        }
        int extra;
        uint min;
        uint cp;
        if ((c & 0xe0) == 0xc0) {
            extra = 1; min = 0x80; cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2; min = 0x800; cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3; min = 0x10000; cp = c & 0x07;
        } else {
            return false;  // a continuation byte first, or 0xf8..0xff
        }
        if (end - p <= extra)
            return false;
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;  // overlong, beyond Unicode, or a surrogate
        p += extra + 1;
    }
    return true;
}

namespace Cbor {

int headBytes(char *buf, Major major, quint64 argument)
{
    const char type = char(major << 5);
    if (argument < 24) {
        buf[0] = char(type | char(argument));
        return 1;
    }
    int n;
    if (argument <= 0xff) {
        buf[0] = char(type | 24);
        n = 1;
    } else if (argument <= 0xffff) {
        buf[0] = char(type | 25);
        n = 2;
    } else if (argument <= 0xffffffffu) {
        buf[0] = char(type | 26);
        n = 4;
    } else {
        buf[0] = char(type | 27);
        n = 8;
    }
    for (int i = n; i >= 1; --i) {
        buf[i] = char(argument & 0xff);
        argument >>= 8;
    }
    return n + 1;
}

void writeHead(QByteArray &out, Major major, quint64 argument)
{
    char buf[kMaxHeadBytes];
    out.append(buf, headBytes(buf, major, argument));
}

void writeUtf8Text(QByteArray &out, const char *utf8, qsizetype size)
{
    writeHead(out, Text, quint64(size));
    out.append(utf8, size);
}

void writeText(QByteArray &out, QLatin1StringView ascii)
{
    writeUtf8Text(out, ascii.data(), ascii.size());
}

void writeText(QByteArray &out, QStringView text)
{
    // Fast path, no temporary: ASCII text, where UTF-16 length = UTF-8 length.
    const qsizetype start = out.size();
    writeHead(out, Text, quint64(text.size()));
    const qsizetype body = out.size();
    reserveMore(out, text.size());
    out.resize(body + text.size());
    if (narrowAscii(text, out.data() + body, AsciiRule::Ascii) == text.size())
        return;
    out.truncate(start);
    const QByteArray utf8 = text.toUtf8();
    writeUtf8Text(out, utf8.constData(), utf8.size());
}

void writeInteger(QByteArray &out, qint64 value)
{
    if (value >= 0)
        writeHead(out, UInt, quint64(value));
    else
        writeHead(out, NegInt, quint64(-1 - value));
}

void writeDouble(QByteArray &out, double value)
{
    quint64 bits;
    static_assert(sizeof bits == sizeof value);
    std::memcpy(&bits, &value, sizeof bits);
    char buf[9];
    buf[0] = char(0xfb);
    for (int i = 8; i >= 1; --i) {
        buf[i] = char(bits & 0xff);
        bits >>= 8;
    }
    out.append(buf, 9);
}

} // namespace Cbor

bool hasUniqueKeys(const QCborMap &map)
{
    const qsizetype n = map.size();
    if (n < 2)
        return true;
    if (n <= 8) {  // small maps, the usual case: no allocation
        for (auto i = map.constBegin(); i != map.constEnd(); ++i) {
            for (auto j = i + 1; j != map.constEnd(); ++j) {
                if (i.key() == j.key())
                    return false;
            }
        }
        return true;
    }
    std::vector<QString> keys;
    keys.reserve(size_t(n));
    for (auto i = map.constBegin(); i != map.constEnd(); ++i)
        keys.push_back(i.key().toString());
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
}

bool hasUniqueKeys(std::vector<QByteArray> &keys)
{
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
}

QLatin1StringView writeCborPayload(QByteArray &out, const QCborValue &value, int depth)
{
    switch (value.type()) {
    case QCborValue::Integer:
        Cbor::writeInteger(out, value.toInteger());
        return {};
    case QCborValue::Double: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            return Problem::kNonFinite;
        Cbor::writeDouble(out, d);
        return {};
    }
    case QCborValue::String:
        Cbor::writeText(out, value.toString());
        return {};
    case QCborValue::ByteArray: {
        const QByteArray bytes = value.toByteArray();
        Cbor::writeHead(out, Cbor::Bytes, quint64(bytes.size()));
        out.append(bytes);
        return {};
    }
    case QCborValue::False:
    case QCborValue::True:
        Cbor::writeBool(out, value.isTrue());
        return {};
    case QCborValue::Null:
        Cbor::writeNull(out);
        return {};
    case QCborValue::Array: {
        if (depth + 1 > kMaxDepth)
            return Problem::kTooDeep;
        const QCborArray array = value.toArray();
        Cbor::writeHead(out, Cbor::Array, quint64(array.size()));
        for (const QCborValue &item : array) {
            const QLatin1StringView problem = writeCborPayload(out, item, depth + 1);
            if (!problem.isEmpty())
                return problem;
        }
        return {};
    }
    case QCborValue::Map: {
        if (depth + 1 > kMaxDepth)
            return Problem::kTooDeep;
        const QCborMap map = value.toMap();
        Cbor::writeHead(out, Cbor::Map, quint64(map.size()));
        for (auto i = map.constBegin(); i != map.constEnd(); ++i) {
            if (!i.key().isString())
                return Problem::kNonTextKey;
            Cbor::writeText(out, i.key().toString());
            const QLatin1StringView problem = writeCborPayload(out, i.value(), depth + 1);
            if (!problem.isEmpty())
                return problem;
        }
        if (!hasUniqueKeys(map))
            return Problem::kDuplicateKey;
        return {};
    }
    case QCborValue::Undefined:
        return Problem::kUndefined;
    default:
        if (value.isSimpleType())
            return Problem::kSimple;
        return Problem::kTag;  // Tag, DateTime, Url, RegularExpression, Uuid
    }
}

QCborValue buildTree(const QByteArray &cbor)
{
    return QCborValue::fromCbor(cbor);
}

} // namespace Tether::Protocol::Detail
