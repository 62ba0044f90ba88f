// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Waiting while the event loop runs, and the tether-server they talk to, for the chat's
// scripted programs (the screenshot tour, the stream recorder): they drive real sessions
// and sockets, so time has to pass.
#pragma once

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtCore/QStringList>

#include <functional>
#include <optional>

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

// Starts tether-server (`program` with --port 0 and `arguments`) and reads its port from
// the line it prints when ready; nullopt when it did not start. stopServer() ends it.
inline std::optional<quint16> startServer(QProcess &server, const QString &program,
                                          const QStringList &arguments = {})
{
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(program, QStringList{QStringLiteral("--port"), QStringLiteral("0")} + arguments);
    if (!server.waitForStarted(5000) || !waitFor([&] { return server.canReadLine(); }, 10000))
        return std::nullopt;
    return quint16(QString::fromUtf8(server.readLine()).trimmed().section(u':', -1).toUInt());
}

inline void stopServer(QProcess &server)
{
    server.terminate();
    server.waitForFinished(5000);
}

} // namespace Chat
