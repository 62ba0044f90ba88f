// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-cli used by a person at a terminal (driven through tmux): a line typed while the
// server is down is queued, shown as such, and delivered once the server is back; Ctrl-D
// then ends the session with exit code 0.
#include "cli_process.h"
#include "server_process.h"
#include "wait.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QProcess>
#include <QtTest/QTest>

using Tether::Testing::ServerProcess;
using TetherDemosTest::CliProcess;

namespace {

// A private tmux server (its own socket), so the test never touches anyone's sessions.
class Tmux
{
public:
    Tmux() : m_socket(QStringLiteral("tether-demos-%1").arg(QCoreApplication::applicationPid())) {}
    ~Tmux() { run({QStringLiteral("kill-server")}); }

    bool run(const QStringList &args, QByteArray *out = nullptr) const
    {
        QProcess tmux;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TERM"), QStringLiteral("xterm-256color"));
        tmux.setProcessEnvironment(env);
        tmux.start(QStringLiteral("tmux"), QStringList{QStringLiteral("-L"), m_socket} + args);
        if (!tmux.waitForFinished(10000))
            return false;
        if (out)
            *out = tmux.readAllStandardOutput();
        return tmux.exitStatus() == QProcess::NormalExit && tmux.exitCode() == 0;
    }
    QByteArray screen() const
    {
        QByteArray out;
        run({QStringLiteral("capture-pane"), QStringLiteral("-p"), QStringLiteral("-J"), QStringLiteral("-t"),
             QStringLiteral("demo"), QStringLiteral("-S"), QStringLiteral("-500")}, &out);
        return out;
    }
    bool waitForScreen(const QByteArray &text, int timeoutMs) const
    {
        // Polled: the pane's content changes without any event in this process.
        QElapsedTimer timer;
        timer.start();
        while (!screen().contains(text)) {
            if (timer.elapsed() > timeoutMs)
                return false;
            Tether::Testing::spin(150);
        }
        return true;
    }
    bool type(const QString &text) const
    {
        return run({QStringLiteral("send-keys"), QStringLiteral("-t"), QStringLiteral("demo"), QStringLiteral("-l"), text})
            && run({QStringLiteral("send-keys"), QStringLiteral("-t"), QStringLiteral("demo"), QStringLiteral("Enter")});
    }
    bool key(const QString &key) const
    {
        return run({QStringLiteral("send-keys"), QStringLiteral("-t"), QStringLiteral("demo"), key});
    }

private:
    QString m_socket;
};

} // namespace

class tst_CliInteractive : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void typingWhileServerIsDownThenDelivered();
};

void tst_CliInteractive::typingWhileServerIsDownThenDelivered()
{
    // A port of our own, then the server goes away: the CLI starts against nothing.
    ServerProcess server({QStringLiteral("--log-level"), QStringLiteral("error")});
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const quint16 port = server.port();
    const QString url = server.url().toString();
    QVERIFY(server.stop());

    Tmux tmux;
    const QString command = QStringLiteral("'%1' %2 --channel room --wait-delivered; echo CLI-EXIT=$?; sleep 600")
                                .arg(CliProcess::binaryPath(), url);
    QVERIFY(tmux.run({QStringLiteral("new-session"), QStringLiteral("-d"), QStringLiteral("-s"), QStringLiteral("demo"),
                      QStringLiteral("-x"), QStringLiteral("200"), QStringLiteral("-y"), QStringLiteral("50"), command}));
    QVERIFY2(tmux.waitForScreen("reconnecting in", 20000), tmux.screen().constData());

    QVERIFY(tmux.type(QStringLiteral("typed while the server was down")));
    QVERIFY2(tmux.waitForScreen("line 1 queued (not connected", 20000), tmux.screen().constData());

    QVERIFY2(server.start(port), qPrintable(server.errorString()));
    // The backoff is still short (the server was away for a few seconds): bounded by its cap.
    QVERIFY2(tmux.waitForScreen("line 1 delivered", 45000), tmux.screen().constData());
    QVERIFY2(tmux.screen().contains("connected (new session"), tmux.screen().constData());

    QVERIFY(tmux.key(QStringLiteral("C-d")));  // end of input: every line has its outcome
    QVERIFY2(tmux.waitForScreen("CLI-EXIT=0", 20000), tmux.screen().constData());
    QVERIFY2(tmux.screen().contains("1 line(s) sent: 1 delivered"), tmux.screen().constData());

    // The server has it: the channel's history holds the typed line.
    CliProcess history;
    QVERIFY(history.start({url, QStringLiteral("--request"), QStringLiteral("history"),
                           QStringLiteral("--params"), QStringLiteral("{\"ch\":\"room\"}")}));
    QVERIFY(history.waitFinished(20000));
    QCOMPARE(history.exitCode(), 0);
    QVERIFY2(history.stdoutLines().value(0).contains("\"d\":\"typed while the server was down\""),
             history.stdoutLines().value(0).constData());
}

QTEST_GUILESS_MAIN(tst_CliInteractive)
#include "tst_cli_interactive.moc"
