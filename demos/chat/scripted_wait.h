// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Waiting while the event loop runs, for the chat's scripted programs (the screenshot tour,
// the stream recorder): they drive real sessions and sockets, so time has to pass.
#pragma once

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>

#include <functional>

namespace Chat {

// Runs the event loop until `done()` or `timeoutMs`; false on timeout.
inline bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return true;
}

// Runs the event loop for `ms`.
inline void settle(int ms)
{
    (void)waitFor([] { return false; }, ms);
}

} // namespace Chat
