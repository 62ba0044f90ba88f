// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "cli_session.h"

#include "cli_format.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QJsonObject>
#include <QtCore/QMetaEnum>
#include <QtCore/QProcess>
#include <QtCore/QUuid>
#include <QtNetwork/QSslCertificate>

#include <cerrno>
#include <cstdio>
#include <unistd.h>

namespace TetherCli {

namespace {

constexpr int kDefaultMaxQueue = 10000;
constexpr int kReadChunk = 64 * 1024;
constexpr int kCloseWaitMs = 1000;
constexpr int kTokenCommandTimeoutMs = 10000;

template<typename E>
QString enumName(E value)
{
    return QString::fromLatin1(QMetaEnum::fromType<E>().valueToKey(int(value)));
}

QJsonObject errorFields(const Tether::Error &error)
{
    QJsonObject o{{QStringLiteral("code"), enumName(error.code())},
                  {QStringLiteral("message"), error.message()},
                  {QStringLiteral("fatal"), error.isFatal()}};
    if (!error.serverCode().isEmpty())
        o.insert(QStringLiteral("serverCode"), error.serverCode());
    if (error.closeCode() != 0)
        o.insert(QStringLiteral("closeCode"), error.closeCode());
    return o;
}

QString describe(const Tether::Error &error)
{
    QString text = error.message();
    if (!error.serverCode().isEmpty())
        text += QStringLiteral(" [%1]").arg(error.serverCode());
    else
        text += QStringLiteral(" [%1]").arg(enumName(error.code()));
    return text;
}

void writeStdout(const QByteArray &line)
{
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace

CliSession::CliSession(const Options &options, QObject *parent)
    : QObject(parent), m_options(options), m_log(options.events)
{
    m_pumpTimer.setSingleShot(true);
    connect(&m_pumpTimer, &QTimer::timeout, this, &CliSession::pumpLines);
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] { finish(Ending::TimedOut); });
    m_closeWait.setSingleShot(true);
    connect(&m_closeWait, &QTimer::timeout, this, [this] { Q_EMIT finished(exitCode()); });
}

CliSession::~CliSession() = default;

Tether::ClientOptions CliSession::clientOptions(QString *error)
{
    Tether::ClientOptions o;
    o.codec = m_options.codec == WireCodec::Cbor ? Tether::Codec::Cbor : Tether::Codec::Json;
    o.rawMode = m_options.raw;
    o.extraHeaders = m_options.headers;
    o.rawSubprotocols = m_options.subprotocols;
    o.queue.maxMessages = m_options.maxQueue.value_or(kDefaultMaxQueue);
    if (m_options.heartbeatMs)
        o.heartbeat.interval = std::chrono::milliseconds(*m_options.heartbeatMs);
    if (m_options.maxAttempts)
        o.backoff.maxAttempts = *m_options.maxAttempts;
    if (m_options.timeoutMs)
        o.requestTimeout = std::chrono::milliseconds(*m_options.timeoutMs);
    if (!m_options.storePath.isEmpty()) {
        o.storage = m_options.storePath;
        o.durability = m_options.durability == StoreDurability::PowerSafe ? Tether::Durability::PowerSafe
                                                                          : Tether::Durability::CrashSafe;
    }
    if (!m_options.caFile.isEmpty()) {
        o.tls.setCaCertificates(QSslCertificate::fromPath(m_options.caFile, QSsl::Pem));
        if (o.tls.caCertificates().isEmpty())
            *error = QStringLiteral("--ca: no PEM certificate in '%1'").arg(m_options.caFile);
    }
    if (!m_options.pins.isEmpty())
        o.tls.setPinnedPublicKeys(m_options.pins);
    if (!m_options.token.isEmpty()) {
        const QString token = m_options.token;
        o.tokenProvider = [token](Tether::TokenReason, const Tether::TokenReply &reply) {
            reply(token, {});
        };
    } else if (!m_options.tokenCommand.isEmpty()) {
        o.tokenProvider = [this](Tether::TokenReason reason, const Tether::TokenReply &reply) {
            runTokenCommand(reason, reply);
        };
    }
    return o;
}

bool CliSession::start(QString *error)
{
    const Tether::ClientOptions options = clientOptions(error);
    if (!error->isEmpty())
        return false;
    m_client = std::make_unique<Tether::Client>(m_options.url, options);
    connectClientSignals();
    adoptRestored();

    if (m_options.timeoutMs)
        m_deadline.start(*m_options.timeoutMs);
    m_log.write(QStringLiteral("connecting"),
                {{QStringLiteral("url"), m_options.url.toString()}},
                QStringLiteral("connecting to %1%2").arg(m_options.url.toString(),
                    m_options.raw ? QStringLiteral(" (raw mode)") : QString()));
    m_client->open();
    subscribeAll();

    if (m_options.requestMethod) {
        startRequest();
        return true;
    }
    m_stdin = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
    connect(m_stdin.get(), &QSocketNotifier::activated, this, &CliSession::readStdin);
    return true;
}

// Messages a killed earlier run left in --store: they are this run's to deliver, so
// --wait-delivered waits for them too (they have no line number in this run).
void CliSession::adoptRestored()
{
    const QList<Tether::Message> restored = m_client->queuedMessages();
    if (m_options.storePath.isEmpty() || restored.isEmpty())
        return;
    for (const Tether::Message &message : restored)
        m_pending.insert(message.id(), 0);
    m_log.write(QStringLiteral("restored"),
                {{QStringLiteral("count"), qint64(restored.size())},
                 {QStringLiteral("store"), m_options.storePath}},
                QStringLiteral("%1 message(s) from an earlier run restored from %2: sending them first")
                    .arg(restored.size()).arg(m_options.storePath));
}

void CliSession::connectClientSignals()
{
    Tether::Client *c = m_client.get();
    connect(c, &Tether::Client::stateChanged, this, [this](Tether::State state) {
        if (m_options.events == EventFormat::Json)
            m_log.write(QStringLiteral("state"), {{QStringLiteral("state"), enumName(state)}}, {});
        // The server ended the session with 1000: nothing more will happen.
        if (state == Tether::State::Closed && !m_closing) {
            m_endReason = QStringLiteral("closed by the server");
            finish(Ending::Failed);
        }
    });
    connect(c, &Tether::Client::connected, this, [this](bool resumed) {
        const int queued = m_client->queueDepth();
        m_log.write(QStringLiteral("connected"),
                    {{QStringLiteral("resumed"), resumed},
                     {QStringLiteral("session"), m_client->sessionId()},
                     {QStringLiteral("subprotocol"), m_client->subprotocol()},
                     {QStringLiteral("queued"), queued}},
                    QStringLiteral("connected (%1%2)%3")
                        .arg(m_options.raw ? QStringLiteral("raw")
                                           : resumed ? QStringLiteral("session resumed")
                                                     : QStringLiteral("new session"),
                             m_client->subprotocol().isEmpty()
                                 ? QString() : QStringLiteral(", ") + m_client->subprotocol(),
                             queued > 0 ? QStringLiteral(", sending %1 queued").arg(queued) : QString()));
    });
    connect(c, &Tether::Client::disconnected, this, [this](int code, const QString &reason) {
        m_log.write(QStringLiteral("disconnected"),
                    {{QStringLiteral("code"), code}, {QStringLiteral("reason"), reason}},
                    QStringLiteral("disconnected (code %1%2)")
                        .arg(code).arg(reason.isEmpty() ? QString() : QStringLiteral(": ") + reason));
        if (m_closing && m_closeWait.isActive()) {
            m_closeWait.stop();
            Q_EMIT finished(exitCode());
        }
    });
    connect(c, &Tether::Client::reconnecting, this, [this](int attempt, std::chrono::milliseconds delay) {
        const int queued = m_client->queueDepth();
        m_log.write(QStringLiteral("reconnecting"),
                    {{QStringLiteral("attempt"), attempt},
                     {QStringLiteral("delayMs"), qint64(delay.count())},
                     {QStringLiteral("queued"), queued}},
                    QStringLiteral("reconnecting in %1 s (attempt %2)%3")
                        .arg(double(delay.count()) / 1000.0, 0, 'f', 1)
                        .arg(attempt)
                        .arg(queued > 0 ? QStringLiteral(", %1 message(s) queued").arg(queued) : QString()));
    });
    connect(c, &Tether::Client::sessionLost, this, [this] {
        m_log.write(QStringLiteral("sessionLost"), {},
                    QStringLiteral("session lost: the server forgot this client; unacknowledged "
                                   "messages are sent again, channels re-subscribed"));
    });
    connect(c, &Tether::Client::failed, this, [this](const Tether::Error &error) {
        m_log.write(QStringLiteral("failed"), errorFields(error),
                    QStringLiteral("failed: %1").arg(describe(error)));
        m_endReason = QStringLiteral("connection failed");
        finish(Ending::Failed);
    });
    connect(c, &Tether::Client::errorOccurred, this, [this](const Tether::Error &error) {
        if (error.isFatal())
            return;  // failed() reports it
        m_log.write(QStringLiteral("error"), errorFields(error),
                    QStringLiteral("error: %1").arg(describe(error)));
    });
    connect(c, &Tether::Client::heartbeat, this, [this](std::chrono::microseconds rtt) {
        if (m_options.events == EventFormat::Json)
            m_log.write(QStringLiteral("heartbeat"), {{QStringLiteral("rttUs"), qint64(rtt.count())}}, {});
    });
    connect(c, &Tether::Client::messageReceived, this, [this](const Tether::Message &message) {
        if (m_ending != Ending::None)
            return;
        ++m_received;
        writeStdout(receivedLine(message.channel(), message.id(), message.toJson()));
        checkDone();
    });
    connect(c, &Tether::Client::persisted, this, [this](const QString &id) {
        // Scripts (and the crash tests) need every line's durable point; people do not.
        if (m_options.events != EventFormat::Json)
            return;
        const qint64 line = m_pending.value(id, 0);
        QJsonObject fields{{QStringLiteral("id"), id}};
        if (line > 0)
            fields.insert(QStringLiteral("line"), line);
        m_log.write(QStringLiteral("persisted"), fields, {});
    });
    connect(c, &Tether::Client::delivered, this, [this](const QString &id) {
        outcome(id, QStringLiteral("delivered"), true);
    });
    connect(c, &Tether::Client::sent, this, [this](const QString &id) {
        outcome(id, QStringLiteral("sent"), true);
    });
    connect(c, &Tether::Client::rejected, this, [this](const QString &id, const Tether::Error &error) {
        ++m_rejected;
        outcome(id, QStringLiteral("rejected"), false, describe(error));
    });
    connect(c, &Tether::Client::dropped, this, [this](const QString &id, Tether::DropReason reason) {
        ++m_dropped;
        outcome(id, QStringLiteral("dropped"), false, enumName(reason));
    });
    connect(c, &Tether::Client::queueDepthChanged, this, [this](int) {
        // Resume reading on the next event-loop turn, outside the client's own call stack.
        if (m_paused && !m_pumpTimer.isActive())
            m_pumpTimer.start(0);
    });
}

void CliSession::subscribeAll()
{
    for (const QString &channel : std::as_const(m_options.subscriptions)) {
        Tether::Reply *reply = m_client->subscribe(channel);
        reply->setAutoDelete(true);
        connect(reply, &Tether::Reply::finished, this, [this, reply, channel] {
            const Tether::Error error = reply->error();
            if (error.isError()) {
                if (m_ending != Ending::None)
                    return;  // ClientClosed: our own close()
                m_log.write(QStringLiteral("subscribeFailed"),
                            QJsonObject{{QStringLiteral("channel"), channel},
                                        {QStringLiteral("error"), errorFields(error)}},
                            QStringLiteral("subscribe %1 failed: %2").arg(channel, describe(error)));
                m_endReason = QStringLiteral("subscription refused");
                finish(Ending::RequestFailed);
                return;
            }
            m_log.write(QStringLiteral("subscribed"), {{QStringLiteral("channel"), channel}},
                        QStringLiteral("subscribed to %1").arg(channel));
        });
    }
}

void CliSession::startRequest()
{
    Tether::RequestOptions options;
    if (m_options.timeoutMs)
        options.timeout = std::chrono::milliseconds(*m_options.timeoutMs);
    const QString method = *m_options.requestMethod;
    Tether::Reply *reply = m_options.requestParams
        ? m_client->request(method, *m_options.requestParams, options)
        : m_client->request(method, QCborValue(), options);
    reply->setAutoDelete(true);
    const auto fail = [this, method](const Tether::Error &error) {
        if (m_ending != Ending::None)
            return;
        m_log.write(QStringLiteral("requestFailed"),
                    QJsonObject{{QStringLiteral("method"), method}, {QStringLiteral("error"), errorFields(error)}},
                    QStringLiteral("request %1 failed: %2").arg(method, describe(error)));
        m_endReason = QStringLiteral("request failed");
        finish(error.code() == Tether::Error::Timeout ? Ending::TimedOut : Ending::RequestFailed);
    };
    connect(reply, &Tether::Reply::finished, this, [this, reply, method, fail] {
        const Tether::Error error = reply->error();
        if (m_ending != Ending::None)
            return;
        if (error.code() == Tether::Error::ConnectionLost) {
            // A permanent failure fails the pending request first and reports failed()
            // right after: let that decide the exit code (3, not 5).
            QTimer::singleShot(0, this, [fail, error] { fail(error); });
            return;
        }
        if (error.isError()) {
            fail(error);
            return;
        }
        writeStdout(compactJson(reply->result().toJsonValue()));
        m_log.write(QStringLiteral("requestDone"), {{QStringLiteral("method"), method}},
                    QStringLiteral("request %1 answered").arg(method));
        finish(Ending::Done);
    });
}

void CliSession::runTokenCommand(Tether::TokenReason reason, const Tether::TokenReply &reply)
{
    auto *process = new QProcess(this);
    auto answered = std::make_shared<bool>(false);
    const auto answer = [reply, answered, process](const std::optional<QString> &token,
                                                   const QString &failure) {
        if (*answered)
            return;
        *answered = true;
        reply(token, failure);
        process->deleteLater();
    };
    process->setProgram(QStringLiteral("/bin/sh"));
    process->setArguments({QStringLiteral("-c"), m_options.tokenCommand});
    process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TETHER_TOKEN_REASON"),
               reason == Tether::TokenReason::Expired ? QStringLiteral("expired") : QStringLiteral("connect"));
    process->setProcessEnvironment(env);
    connect(process, &QProcess::finished, this, [this, process, answer](int code, QProcess::ExitStatus status) {
        const QString token = QString::fromUtf8(process->readAllStandardOutput()).trimmed();
        if (status != QProcess::NormalExit || code != 0 || token.isEmpty()) {
            const QString why = status != QProcess::NormalExit
                ? QStringLiteral("token command crashed or timed out")
                : code != 0 ? QStringLiteral("token command exited with %1").arg(code)
                            : QStringLiteral("token command printed no token");
            m_log.write(QStringLiteral("tokenFailed"), {{QStringLiteral("reason"), why}}, why);
            answer(std::nullopt, why);
            return;
        }
        // The token itself is never logged.
        m_log.write(QStringLiteral("token"), {}, QStringLiteral("token obtained from --token-cmd"));
        answer(token, {});
    });
    connect(process, &QProcess::errorOccurred, this, [answer](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            answer(std::nullopt, QStringLiteral("token command could not start"));
    });
    QTimer::singleShot(kTokenCommandTimeoutMs, process, [process] { process->kill(); });
    process->start();
}

void CliSession::readStdin()
{
    char chunk[kReadChunk];
    const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        m_stdinEof = true;
        m_stdin->setEnabled(false);
        m_log.write(QStringLiteral("stdinClosed"), {{QStringLiteral("lines"), m_lines}},
                    m_options.waitDelivered
                        ? QStringLiteral("end of input after %1 line(s); waiting for every outcome").arg(m_lines)
                        : QStringLiteral("end of input after %1 line(s)").arg(m_lines));
    } else {
        m_buffer.append(chunk, n);
    }
    pumpLines();
}

void CliSession::pumpLines()
{
    if (m_pumping || m_ending != Ending::None)
        return;
    m_pumping = true;
    m_paused = false;
    qsizetype pos = 0;
    while (pos < m_buffer.size()) {
        qsizetype newline = m_buffer.indexOf('\n', pos);
        if (newline < 0 && !m_stdinEof)
            break;  // an incomplete line: wait for the rest
        if (newline < 0)
            newline = m_buffer.size();  // the last line has no '\n'
        if (!sendLine(m_buffer.mid(pos, newline - pos))) {
            m_paused = true;
            break;
        }
        pos = newline + 1;
        if (m_ending != Ending::None)
            break;
    }
    m_buffer.remove(0, qMin(pos, m_buffer.size()));
    if (m_stdin)
        m_stdin->setEnabled(!m_stdinEof && !m_paused && m_ending == Ending::None);
    m_pumping = false;
    checkDone();
}

bool CliSession::sendLine(const QByteArray &bytes)
{
    QString text = QString::fromUtf8(bytes);
    if (text.endsWith(u'\r'))
        text.chop(1);
    Tether::SendOptions options;
    options.channel = m_options.channel;
    options.delivery = m_options.atMostOnce ? Tether::Delivery::AtMostOnce : Tether::Delivery::AtLeastOnce;
    if (!m_options.storePath.isEmpty()) {
        // With a store the line may be durable (its group commit runs on another thread)
        // before send() returns: say which id it has BEFORE that, so a script killed with
        // us never meets a restored message it did not hear of (and feeds its line again).
        if (m_lineId.isEmpty()) {
            const QByteArray uuid = QUuid::createUuid().toRfc4122();
            m_lineId = QString::fromLatin1(uuid.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
            if (m_options.events == EventFormat::Json)  // for scripts; a person reads `queued`
                m_log.write(QStringLiteral("reading"),
                            {{QStringLiteral("id"), m_lineId}, {QStringLiteral("line"), m_lines + 1}}, {});
        }
        options.id = m_lineId;
    }
    // Raw mode: the line is the frame, as typed. Otherwise: JSON when it is JSON.
    const Tether::SendResult result = m_options.raw ? m_client->send(text, options)
                                                    : m_client->send(linePayload(text), options);
    if (!result.isOk() && result.error().code() == Tether::Error::QueueFull)
        return false;  // the same line, under the same id, once the queue has room
    m_lineId.clear();
    const qint64 line = ++m_lines;
    if (!result.isOk()) {
        ++m_refused;
        m_log.write(QStringLiteral("refused"),
                    {{QStringLiteral("line"), line}, {QStringLiteral("error"), errorFields(result.error())}},
                    QStringLiteral("line %1 refused: %2").arg(line).arg(describe(result.error())));
        return true;
    }
    m_pending.insert(result.id(), line);
    if (!m_options.quiet) {
        const bool online = m_client->state() == Tether::State::Connected;
        m_log.write(QStringLiteral("queued"),
                    {{QStringLiteral("id"), result.id()}, {QStringLiteral("line"), line},
                     {QStringLiteral("online"), online}},
                    QStringLiteral("%1 queued%2").arg(lineLabel(line),
                        online ? QString() : QStringLiteral(" (not connected: sent when connected)")));
    }
    return true;
}

QString CliSession::lineLabel(qint64 line) const
{
    return QStringLiteral("line %1").arg(line);
}

void CliSession::outcome(const QString &id, const QString &what, bool success, const QString &detail)
{
    const auto it = m_pending.constFind(id);
    const qint64 line = it == m_pending.cend() ? 0 : it.value();
    if (it != m_pending.cend())
        m_pending.erase(it);
    if (success)
        ++m_delivered;
    if (success && m_options.quiet) {
        checkDone();
        return;
    }
    QJsonObject fields{{QStringLiteral("id"), id}};
    if (line > 0)
        fields.insert(QStringLiteral("line"), line);
    if (!detail.isEmpty())
        fields.insert(QStringLiteral("detail"), detail);
    m_log.write(what, fields,
                QStringLiteral("%1 %2%3").arg(line > 0 ? lineLabel(line) : QStringLiteral("message ") + id,
                    what, detail.isEmpty() ? QString() : QStringLiteral(": ") + detail));
    checkDone();
}

void CliSession::checkDone()
{
    if (m_ending != Ending::None || m_options.requestMethod || m_pumping)
        return;
    const bool inputDone = m_stdinEof && m_buffer.isEmpty();
    const bool countReached = m_options.count > 0 && m_received >= m_options.count;
    if (m_options.waitDelivered) {
        if (inputDone && m_pending.isEmpty() && (m_options.count == 0 || countReached))
            finish(Ending::Done);
    } else if (m_options.count > 0) {
        if (countReached)
            finish(Ending::Done);
    } else if (inputDone && !m_options.receives()) {
        finish(Ending::Done);
    }
}

void CliSession::interrupt()
{
    m_endReason = QStringLiteral("interrupted");
    finish(Ending::Interrupted);
}

void CliSession::finish(Ending ending)
{
    if (m_ending != Ending::None)
        return;
    m_ending = ending;
    m_deadline.stop();
    m_pumpTimer.stop();
    if (m_stdin)
        m_stdin->setEnabled(false);
    if (ending == Ending::TimedOut)
        m_endReason = QStringLiteral("timed out");

    const bool wasOpen = m_client->state() == Tether::State::Connected;
    m_closing = true;
    if (!m_options.storePath.isEmpty() && !m_pending.isEmpty()) {
        // Kept in the store with the session for the next run, not dropped: suspend()
        // leaves both to the next Client on the same file.
        m_log.write(QStringLiteral("kept"),
                    {{QStringLiteral("count"), qint64(m_pending.size())},
                     {QStringLiteral("store"), m_options.storePath}},
                    QStringLiteral("%1 message(s) without outcome kept in %2 for the next run")
                        .arg(m_pending.size()).arg(m_options.storePath));
        m_client->suspend();
    } else {
        m_client->close();  // still queued: dropped(Closed), counted by outcome()
    }
    m_unfinished = m_pending.size();
    const int code = exitCode();
    summarise(code);
    if (wasOpen)
        m_closeWait.start(kCloseWaitMs);  // finished() when the close handshake is done
    else
        QTimer::singleShot(0, this, [this] { Q_EMIT finished(exitCode()); });
}

int CliSession::exitCode() const
{
    switch (m_ending) {
    case Ending::Failed:
        return ExitConnectionFailed;
    case Ending::RequestFailed:
        return ExitRequestFailed;
    case Ending::TimedOut:
        return ExitTimeout;
    case Ending::Interrupted:
        return ExitInterrupted;
    case Ending::Done:
    case Ending::None:
        break;
    }
    return m_rejected + m_dropped + m_refused + m_unfinished > 0 ? ExitNotDelivered : ExitOk;
}

void CliSession::summarise(int code)
{
    const qint64 failures = m_rejected + m_dropped + m_refused + m_unfinished;
    QString verdict;
    switch (code) {
    case ExitOk:
        verdict = m_options.requestMethod ? QStringLiteral("ok")
                  : m_lines == 0          ? QStringLiteral("ok")
                  : m_options.atMostOnce  ? QStringLiteral("all sent")
                                          : QStringLiteral("all delivered");
        break;
    case ExitNotDelivered:
        verdict = QStringLiteral("%1 message(s) not delivered").arg(failures);
        break;
    default:
        verdict = m_endReason;
        break;
    }
    m_log.write(QStringLiteral("exit"),
                {{QStringLiteral("code"), code},
                 {QStringLiteral("lines"), m_lines},
                 {QStringLiteral("delivered"), m_delivered},
                 {QStringLiteral("rejected"), m_rejected},
                 {QStringLiteral("dropped"), m_dropped},
                 {QStringLiteral("refused"), m_refused},
                 {QStringLiteral("unfinished"), m_unfinished},
                 {QStringLiteral("received"), m_received},
                 {QStringLiteral("reason"), verdict}},
                QStringLiteral("done: %1 line(s) sent: %2 %3, %4 rejected, %5 dropped%6; %7 received; exit %8 (%9)")
                    .arg(m_lines).arg(m_delivered)
                    .arg(m_options.atMostOnce ? QStringLiteral("sent") : QStringLiteral("delivered"))
                    .arg(m_rejected).arg(m_dropped)
                    .arg(m_refused + m_unfinished > 0
                             ? QStringLiteral(", %1 without outcome").arg(m_refused + m_unfinished)
                             : QString())
                    .arg(m_received).arg(code).arg(verdict));
}

} // namespace TetherCli
