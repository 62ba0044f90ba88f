// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "secrets_p.h"

#include <QtCore/QRegularExpression>
#include <QtCore/QSet>
#include <QtCore/QUrlQuery>

namespace Tether::Secrets {

bool looksSecret(QStringView name)
{
    static const QSet<QString> words = {
        QStringLiteral("token"), QStringLiteral("jwt"), QStringLiteral("auth"), QStringLiteral("authorization"),
        QStringLiteral("key"), QStringLiteral("apikey"), QStringLiteral("password"), QStringLiteral("passwd"),
        QStringLiteral("pwd"), QStringLiteral("secret"), QStringLiteral("sig"), QStringLiteral("signature"),
        QStringLiteral("credential"), QStringLiteral("credentials"), QStringLiteral("bearer"),
        QStringLiteral("session")};
    const QString lower = name.toString().toLower();
    if (lower.contains(QLatin1StringView("token")) || lower.contains(QLatin1StringView("secret"))
        || lower.contains(QLatin1StringView("password")))
        return true;
    static const QRegularExpression separators(QStringLiteral("[-_.]"));
    const QStringList parts = lower.split(separators, Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        if (words.contains(part))
            return true;
    }
    return false;
}

QStringList secretQueryKeys(const QUrl &url)
{
    QStringList keys;
    const QUrlQuery query(url);
    for (const auto &item : query.queryItems(QUrl::FullyDecoded)) {
        if (looksSecret(item.first))
            keys << item.first;
    }
    return keys;
}

QString redactedUrl(const QUrl &url)
{
    const QUrl base = url.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment);
    if (!url.hasQuery())
        return base.toDisplayString();
    // Built by hand: QUrl would percent-encode the marker.
    QStringList items;
    const QUrlQuery query(url);
    for (const auto &item : query.queryItems(QUrl::PrettyDecoded))
        items << item.first + u'=' + (looksSecret(item.first) ? QString(kRedacted) : item.second);
    return base.toDisplayString() + u'?' + items.join(u'&');
}

QString redactText(const QString &text)
{
    static const QRegularExpression bearer(QStringLiteral("(\\bbearer\\s+)[^\\s\"',;]+"),
                                           QRegularExpression::CaseInsensitiveOption);
    // name=value, and "name": "value" (JSON). Not "name: value": that is prose too often.
    static const QRegularExpression pair(
        QStringLiteral("\"?([A-Za-z][A-Za-z0-9_.-]*)\"?(=|\"\\s*:\\s*)(\"[^\"]*\"|[^\\s&,;\"]+)"));
    QString out = text;
    out.replace(bearer, QStringLiteral("\\1") + kRedacted);
    QString result;
    qsizetype last = 0;
    for (auto it = pair.globalMatch(out); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        if (!looksSecret(m.captured(1)) || m.captured(3) == kRedacted)
            continue;
        result += QStringView(out).mid(last, m.capturedStart(3) - last);
        result += kRedacted;
        last = m.capturedEnd(3);
    }
    result += QStringView(out).mid(last);
    return result;
}

} // namespace Tether::Secrets
