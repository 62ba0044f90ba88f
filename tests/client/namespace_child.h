// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Runs this test binary again as root of a new user + mount namespace (`unshare -rm`,
// unprivileged), where it can mount a tmpfs of its own: a full disk or a read-only mount
// without root on the real machine. Shared by tst_store and tst_client_storage.
//
// No namespace is a failure, never a skip: util-linux's unshare is installed on every
// Debian machine, and a skipped case would be counted as passed by ctest.
#pragma once

#include <QtCore/QCoreApplication>
#include <QtCore/QProcess>
#include <QtTest/QTest>

namespace NamespaceChild {

// `unshare -rm <this binary> --child <mode> <dir>`: checks (QTest) that the child ran and
// exited 0, and prints its one line of figures.
inline void run(const QString &mode, const QString &dir, int startTimeoutMs)
{
    QProcess child;
    child.start(QStringLiteral("unshare"), {QStringLiteral("-rm"), QCoreApplication::applicationFilePath(),
                                            QStringLiteral("--child"), mode, dir});
    QVERIFY2(child.waitForStarted(startTimeoutMs), "unshare(1) cannot be started (util-linux)");
    QVERIFY(child.waitForFinished(60000));
    const QByteArray err = child.readAllStandardError();
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0, err.constData());
    qInfo("%s", child.readAllStandardOutput().trimmed().constData());
}

} // namespace NamespaceChild
