// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// EventLog: tether-cli's stderr. One line per event, either for people
// ("[12:00:01.234] delivered line 3") or for machines (`--events json`: one compact JSON
// object per line, always with "event" and "ts" (unix ms)). stdout carries only received
// messages and request results, so a pipeline never mixes the two.
#pragma once

#include "cli_options.h"

#include <QtCore/QJsonObject>
#include <QtCore/QString>

namespace TetherCli {

class EventLog
{
public:
    explicit EventLog(EventFormat format) : m_format(format) {}

    // `fields` go into the JSON form (with "event": name); `human` is the readable form.
    void write(const QString &name, const QJsonObject &fields, const QString &human) const;

private:
    EventFormat m_format;
};

} // namespace TetherCli
