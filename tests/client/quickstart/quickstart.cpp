// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether quickstart: connect, publish on a channel, make a request, then quit.
#include <Tether/Client>

#include <QtCore/QCoreApplication>
#include <QtCore/QJsonObject>
#include <QtCore/QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QUrl url(argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("ws://127.0.0.1:8765/"));
    QTextStream out(stdout);

    Tether::Client client(url);  // default options: JSON, reconnects forever, 15 s heartbeat

    QObject::connect(&client, &Tether::Client::connected, [&](bool resumed) {
        out << (resumed ? "session resumed" : "connected, new session") << Qt::endl;
    });
    QObject::connect(&client, &Tether::Client::failed, [&](const Tether::Error &error) {
        out << "failed for good: " << error.toString() << Qt::endl;  // e.g. 4401 Unauthorized
        app.exit(1);
    });

    // 1. A reliable message. send() only queues it (it works offline too) and returns its id;
    //    exactly one of delivered / rejected / dropped will follow for that id.
    Tether::SendOptions options;
    options.channel = QStringLiteral("lobby");
    const Tether::SendResult sent = client.send(QJsonObject{{QStringLiteral("text"), QStringLiteral("hello")}}, options);
    if (!sent) {
        out << "not queued: " << sent.error().toString() << Qt::endl;  // e.g. QueueFull
        return 1;
    }
    bool delivered = false;
    bool answered = false;
    auto quitWhenDone = [&] {
        if (delivered && answered)
            app.quit();
    };
    QObject::connect(&client, &Tether::Client::delivered, [&](const QString &id) {
        if (id != sent.id())
            return;
        out << "delivered " << id << Qt::endl;
        delivered = true;
        quitWhenDone();
    });
    QObject::connect(&client, &Tether::Client::rejected, [&](const QString &id, const Tether::Error &error) {
        out << "rejected " << id << ": " << error.toString() << Qt::endl;
        app.exit(1);
    });

    // 2. A request: the Reply finishes once, with the server's result or an error
    //    (Timeout, ConnectionLost, or the server's own error code).
    Tether::Reply *reply = client.request(QStringLiteral("echo"), QJsonObject{{QStringLiteral("ping"), 1}});
    reply->setAutoDelete(true);
    QObject::connect(reply, &Tether::Reply::finished, [&, reply] {
        if (reply->error())
            out << "request failed: " << reply->error().toString() << Qt::endl;
        else
            out << "echo answered: " << reply->result().toJsonValue().toObject().value(QStringLiteral("ping")).toInt() << Qt::endl;
        answered = true;
        quitWhenDone();
    });

    client.open();
    return app.exec();
}
