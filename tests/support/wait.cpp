// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "wait.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QDeadlineTimer>
#include <QtCore/QEvent>
#include <QtCore/QTimer>

namespace Tether::Testing {

bool waitUntil(const std::function<bool()> &predicate, int timeoutMs)
{
    if (predicate())
        return true;
    const QDeadlineTimer deadline(timeoutMs, Qt::PreciseTimer);
    // Guarantees that the blocking processEvents() below wakes up at the deadline even when
    // nothing else happens.
    QTimer wakeUp;
    wakeUp.setSingleShot(true);
    wakeUp.setTimerType(Qt::PreciseTimer);
    wakeUp.start(timeoutMs);
    while (!deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        if (predicate())
            return true;
        if (!wakeUp.isActive() && !deadline.hasExpired())
            wakeUp.start(qMax(qint64(1), deadline.remainingTime()));
    }
    return predicate();
}

void spin(int ms)
{
    waitUntil([] { return false; }, ms);
}

} // namespace Tether::Testing
