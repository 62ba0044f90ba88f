// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// NginxProcess: Debian's nginx as a child process of a test, configured from the shipped
// template (packaging/cluster/nginx.conf.in), so the tests prove the config users run.
//
// start() writes the config into a fresh temporary directory (pid, logs and temp files stay
// there), listens on 127.0.0.1 (a free port unless one is given), runs nginx in the
// foreground (`daemon off`, master + one worker) and waits, bounded, until the port accepts
// connections. stop() (and the destructor) sends SIGTERM and waits; if nginx does not exit
// in time, the master and its workers are killed. Never the system service, never root
// paths: it can run beside anything else on the machine.
//
// The binary is `nginx` from PATH, else /usr/sbin/nginx; the environment variable
// TETHER_NGINX_BINARY overrides it. The template path is compiled in (TETHER_SOURCE_DIR's
// packaging/cluster/nginx.conf.in); TETHER_NGINX_TEMPLATE overrides it.
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QPair>
#include <QtCore/QProcess>
#include <QtCore/QString>
#include <QtCore/QTemporaryDir>
#include <QtCore/QUrl>

#include <memory>

namespace Tether::Testing {

class NginxProcess
{
public:
    static constexpr int kStartTimeoutMs = 10000;
    static constexpr int kStopTimeoutMs = 10000;

    NginxProcess();
    ~NginxProcess();  // stop()s a running nginx
    NginxProcess(const NginxProcess &) = delete;
    NginxProcess &operator=(const NginxProcess &) = delete;

    // The nginx binary and the config template this helper uses; empty when not found.
    static QString binaryPath();
    static QString templatePath();

    // The nodes behind nginx (host, port); used by the next start() or reload().
    void setUpstreams(const QList<QPair<QString, quint16>> &upstreams) { m_upstreams = upstreams; }
    // proxy_read_timeout / proxy_send_timeout in milliseconds (default 60 000 each, the
    // shipped setting); used by the next start() or reload().
    void setReadTimeoutMs(int ms) { m_readTimeoutMs = ms; }
    void setSendTimeoutMs(int ms) { m_sendTimeoutMs = ms; }

    // Writes the config and starts nginx on 127.0.0.1:`port` (0 = a free port), then waits
    // until the port accepts. False on failure: errorString() says why (with nginx's error
    // log).
    bool start(quint16 port = 0);
    // Rewrites the config (upstreams, timeouts) and sends SIGHUP; nginx starts new workers
    // with it, old ones finish their open connections. True once the new worker runs.
    bool reload();
    // SIGTERM (fast shutdown: open WebSockets are cut), then waits up to timeoutMs; kills
    // the master and its workers when it does not exit. True for a clean exit 0.
    bool stop(int timeoutMs = kStopTimeoutMs);

    bool isRunning() const;
    qint64 pid() const;
    quint16 port() const { return m_port; }
    // ws://127.0.0.1:port<path>; path must start with '/'.
    QUrl url(const QString &path = QStringLiteral("/")) const;
    QString runtimeDir() const;

    QString errorString() const { return m_error; }
    // nginx's error log so far (the last 64 KiB), for failure messages.
    QByteArray errorLog() const;

private:
    bool writeConfig(quint16 port);
    bool waitAccepting(int timeoutMs);
    void fail(const QString &why);

    QList<QPair<QString, quint16>> m_upstreams;
    int m_readTimeoutMs = 60000;
    int m_sendTimeoutMs = 60000;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    QString m_error;
};

} // namespace Tether::Testing
