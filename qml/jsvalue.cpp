// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// JS values <-> payloads: see jsvalue_p.h for the rules.
#include "jsvalue_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QDateTime>
#include <QtCore/QMetaProperty>
#include <QtQml/QJSValueIterator>

#include <cmath>

namespace Tether::Qml {
namespace {

// 2^53: the largest range in which every integer is exactly representable as a double.
constexpr double kMaxSafeInteger = 9007199254740992.0;

class ToPayload
{
public:
    explicit ToPayload(QJSEngine *engine)
        : m_classify(binaryClassifier(engine))
    {
    }

    std::optional<QCborValue> convert(const QJSValue &v, int depth)
    {
        if (depth > kMaxDepth)
            return std::nullopt;  // deep nesting, or a cycle
        if (v.isNull() || v.isUndefined())
            return QCborValue(QCborValue::Null);
        if (v.isBool())
            return QCborValue(v.toBool());
        if (v.isNumber())
            return number(v.toNumber());
        if (v.isString())
            return QCborValue(v.toString());
        if (v.isQObject() || v.isQMetaObject() || v.isCallable() || v.isError())
            return std::nullopt;
        if (v.isDate())
            return QCborValue(v.toDateTime().toUTC().toString(Qt::ISODateWithMs));
        if (v.isUrl())
            return QCborValue(v.toVariant().toUrl().toString());
        if (std::optional<QByteArray> bytes = this->bytes(v))
            return QCborValue(*bytes);
        if (v.isArray())
            return array(v, depth);
        if (v.isVariant())
            return variant(v.toVariant());
        if (v.isObject())
            return object(v, depth);
        return std::nullopt;
    }

private:
    static QCborValue number(double n)
    {
        if (std::isfinite(n) && std::trunc(n) == n && std::fabs(n) <= kMaxSafeInteger)
            return QCborValue(qint64(n));
        return QCborValue(n);
    }

    // Qt 6.4's QJSValue cannot tell an ArrayBuffer from another object (no instanceOf()):
    // a small JS function, compiled once per engine and kept on it, does.
    static QJSValue binaryClassifier(QJSEngine *engine)
    {
        static const char kProperty[] = "_tether_binaryClassifier";
        const QVariant cached = engine->property(kProperty);
        if (cached.canConvert<QJSValue>())
            return cached.value<QJSValue>();
        const QJSValue f = engine->evaluate(QStringLiteral(
            "(function (v) { return v instanceof ArrayBuffer ? 1 : ArrayBuffer.isView(v) ? 2 : 0; })"));
        engine->setProperty(kProperty, QVariant::fromValue(f));
        return f;
    }

    // ArrayBuffer, or a typed-array / DataView (its window of the underlying buffer).
    std::optional<QByteArray> bytes(const QJSValue &v)
    {
        if (!v.isObject() || !m_classify.isCallable())
            return std::nullopt;
        const int kind = m_classify.call({v}).toInt();
        if (kind == 1)
            return v.toVariant().toByteArray();
        if (kind != 2)
            return std::nullopt;
        const QByteArray all = v.property(QStringLiteral("buffer")).toVariant().toByteArray();
        const qsizetype offset = qsizetype(v.property(QStringLiteral("byteOffset")).toNumber());
        const qsizetype length = qsizetype(v.property(QStringLiteral("byteLength")).toNumber());
        if (offset < 0 || length < 0 || offset + length > all.size())
            return std::nullopt;
        return all.mid(offset, length);
    }

    std::optional<QCborValue> array(const QJSValue &v, int depth)
    {
        const quint32 length = v.property(QStringLiteral("length")).toUInt();
        QCborArray out;
        for (quint32 i = 0; i < length; ++i) {
            std::optional<QCborValue> item = convert(v.property(i), depth + 1);
            if (!item)
                return std::nullopt;
            out.append(*item);
        }
        return QCborValue(out);
    }

    std::optional<QCborValue> object(const QJSValue &v, int depth)
    {
        QCborMap out;
        QJSValueIterator it(v);
        while (it.hasNext()) {
            it.next();
            const QJSValue member = it.value();
            if (member.isUndefined() || member.isCallable())
                continue;  // omitted, as JSON.stringify does
            std::optional<QCborValue> item = convert(member, depth + 1);
            if (!item)
                return std::nullopt;
            out.insert(it.name(), *item);
        }
        return QCborValue(out);
    }

    // A C++ value wrapped in a JS object (e.g. a QVariantMap property passed through).
    static std::optional<QCborValue> variant(const QVariant &value)
    {
        const QCborValue cbor = QCborValue::fromVariant(value);
        if (cbor.isUndefined())
            return std::nullopt;
        return cbor;
    }

    QJSValue m_classify;
};

QJSValue toJsValue(QJSEngine *engine, const QCborValue &value, int depth)
{
    switch (value.type()) {
    case QCborValue::Null:
        return QJSValue(QJSValue::NullValue);
    case QCborValue::Undefined:
    case QCborValue::Invalid:
        return QJSValue(QJSValue::UndefinedValue);
    case QCborValue::False:
        return QJSValue(false);
    case QCborValue::True:
        return QJSValue(true);
    case QCborValue::Integer:
        return QJSValue(double(value.toInteger()));
    case QCborValue::Double:
        return QJSValue(value.toDouble());
    case QCborValue::String:
        return QJSValue(value.toString());
    case QCborValue::ByteArray:
        return engine->toScriptValue(value.toByteArray());  // an ArrayBuffer
    case QCborValue::Array: {
        const QCborArray items = value.toArray();
        QJSValue out = engine->newArray(quint32(items.size()));
        quint32 i = 0;
        for (const QCborValue &item : items)
            out.setProperty(i++, depth < kMaxDepth ? toJsValue(engine, item, depth + 1) : QJSValue());
        return out;
    }
    case QCborValue::Map: {
        const QCborMap map = value.toMap();
        QJSValue out = engine->newObject();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            const QString key = it.key().isString() ? it.key().toString()
                                                    : it.key().toVariant().toString();
            out.setProperty(key, depth < kMaxDepth ? toJsValue(engine, it.value(), depth + 1)
                                                   : QJSValue());
        }
        return out;
    }
    default:
        return engine->toScriptValue(value.toVariant());
    }
}

} // namespace

std::optional<QCborValue> toPayload(QJSEngine *engine, const QJSValue &value)
{
    return ToPayload(engine).convert(value, 0);
}

QJSValue toJs(QJSEngine *engine, const QCborValue &value)
{
    return toJsValue(engine, value, 0);
}

Error invalidPayloadError()
{
    return Error(Error::InvalidPayload,
                 QStringLiteral("the payload cannot be sent: functions, QObjects, cycles or "
                                "nesting deeper than %1 levels have no JSON/CBOR form")
                     .arg(kMaxDepth));
}

} // namespace Tether::Qml
