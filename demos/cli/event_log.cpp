// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "event_log.h"

#include "cli_format.h"

#include <QtCore/QDateTime>

#include <cstdio>

namespace TetherCli {

void EventLog::write(const QString &name, const QJsonObject &fields, const QString &human) const
{
    QByteArray line;
    if (m_format == EventFormat::Json) {
        QJsonObject object = fields;
        object.insert(QStringLiteral("event"), name);
        object.insert(QStringLiteral("ts"), QDateTime::currentMSecsSinceEpoch());
        line = compactJson(object);
    } else {
        const QString time = QTime::currentTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        line = QByteArray("[") + time.toLatin1() + QByteArray("] ") + human.toUtf8();
    }
    line += '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
    std::fflush(stderr);
}

} // namespace TetherCli
