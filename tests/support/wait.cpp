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

double timeScale()
{
    bool ok = false;
    const double scale = qEnvironmentVariable("TETHER_TEST_TIME_SCALE").toDouble(&ok);
    return ok && scale >= 1.0 ? scale : 1.0;
}

int scaledMs(int ms)
{
    return int(ms * timeScale());
}

} // namespace Tether::Testing
