// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// simpleclient: connect, subscribe, publish one message, watch its status, ask the server
// the time, print what arrives; exit 0 once the message is delivered and the request
// answered (or 1 after 15 s).
//   simpleclient ws://127.0.0.1:8080/
#include <Tether/Client>

#include <QtCore/QCoreApplication>
#include <QtCore/QMetaEnum>
#include <QtCore/QTimer>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QUrl url(app.arguments().value(1, QStringLiteral("ws://127.0.0.1:8080/")));
    Tether::Client client(url);

    QObject::connect(&client, &Tether::Client::stateChanged, [](Tether::State state) {
        std::printf("state: %s\n", QMetaEnum::fromType<Tether::State>().valueToKey(int(state)));
    });
    QObject::connect(&client, &Tether::Client::messageStatusChanged,
                     [](const QString &id, Tether::MessageStatus status) {
        std::printf("message %s: %s\n", qPrintable(id),
                    QMetaEnum::fromType<Tether::MessageStatus>().valueToKey(int(status)));
    });

    Tether::Subscription *news = client.subscription(QStringLiteral("news"));
    QObject::connect(news, &Tether::Subscription::statusChanged, [](Tether::SubscriptionStatus status) {
        std::printf("news: %s\n", QMetaEnum::fromType<Tether::SubscriptionStatus>().valueToKey(int(status)));
    });
    QObject::connect(news, &Tether::Subscription::messageReceived, [](const Tether::Message &m) {
        std::printf("news says: %s\n", m.toByteArray().constData());
    });

    bool delivered = false;
    bool answered = false;
    const auto maybeQuit = [&] {
        if (delivered && answered)
            app.quit();
    };
    Tether::SendOptions options;
    options.channel = QStringLiteral("news");
    const Tether::SendResult sent = client.send(QStringLiteral("hello from simpleclient"), options);
    QObject::connect(&client, &Tether::Client::delivered, [&](const QString &id) {
        delivered = delivered || id == sent.id();
        maybeQuit();
    });

    client.call(QStringLiteral("time"))
        .then(&app, [&](const QCborValue &time) {
            std::printf("server time: %s\n", qPrintable(time.toDiagnosticNotation()));
            answered = true;
            maybeQuit();
        })
        .onFailed(&app, [&](const Tether::RequestError &e) {
            std::printf("time failed: %s\n", qPrintable(e.error().message()));
            answered = true;
            maybeQuit();
        });

    client.open();
    QTimer::singleShot(15000, &app, [] { QCoreApplication::exit(1); });
    return app.exec();
}
