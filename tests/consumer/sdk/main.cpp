// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-consumer URL: proves an installed Tether works for an application. Connects to a
// running tether-server, sends one reliable message and waits for `delivered`, makes an
// `echo` request and checks its result, and checks that the package, the headers and
// the library agree on the version. Exit 0 on success, 1 with a message otherwise; gives
// up after 20 s.
#include <Tether/Client>
#include <Tether/version.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QTimer>

#include <cstdio>
#include <cstring>

namespace {

int fail(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "tether-consumer: FAIL: %s %s\n", what, qPrintable(detail));
    return 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2)
        return fail("usage: tether-consumer ws://host:port");

    if (std::strcmp(Tether::version(), TETHER_VERSION_STRING) != 0
        || std::strcmp(Tether::version(), CONSUMER_PACKAGE_VERSION) != 0)
        return fail("version mismatch:",
                    QStringLiteral("library %1, headers %2, package %3")
                        .arg(QLatin1StringView(Tether::version()),
                             QLatin1StringView(TETHER_VERSION_STRING),
                             QLatin1StringView(CONSUMER_PACKAGE_VERSION)));
    if (QLatin1StringView(Tether::agent()) != QLatin1StringView("tether-cpp/" TETHER_VERSION_STRING))
        return fail("unexpected agent", QLatin1StringView(Tether::agent()));

    Tether::Client client(QUrl(QString::fromLocal8Bit(argv[1])));
    bool delivered = false;
    bool echoed = false;
    QString session;
    auto finishIfDone = [&] {
        if (delivered && echoed) {
            session = client.sessionId();
            client.close();
            app.exit(0);
        }
    };

    QObject::connect(&client, &Tether::Client::failed, &app, [&](const Tether::Error &error) {
        std::fprintf(stderr, "tether-consumer: FAIL: client failed: %s\n", qPrintable(error.toString()));
        app.exit(1);
    });
    QObject::connect(&client, &Tether::Client::delivered, &app, [&](const QString &) {
        delivered = true;
        finishIfDone();
    });
    QObject::connect(&client, &Tether::Client::connected, &app, [&](bool) {
        const Tether::SendResult sent = client.send(QJsonObject{{QStringLiteral("hello"), 1}});
        if (!sent) {
            std::fprintf(stderr, "tether-consumer: FAIL: send refused: %s\n",
                         qPrintable(sent.error().toString()));
            app.exit(1);
            return;
        }
        Tether::Reply *reply = client.request(QStringLiteral("echo"), QVariant(QStringLiteral("ping")));
        QObject::connect(reply, &Tether::Reply::finished, &app, [&, reply] {
            reply->deleteLater();
            if (reply->error().isError() || reply->resultVariant() != QVariant(QStringLiteral("ping"))) {
                std::fprintf(stderr, "tether-consumer: FAIL: echo: %s / %s\n",
                             qPrintable(reply->error().toString()),
                             qPrintable(reply->resultVariant().toString()));
                app.exit(1);
                return;
            }
            echoed = true;
            finishIfDone();
        });
    });
    QTimer::singleShot(20000, &app, [&] {
        std::fprintf(stderr, "tether-consumer: FAIL: timed out (state %d, delivered %d, echoed %d)\n",
                     int(client.state()), int(delivered), int(echoed));
        app.exit(1);
    });

    client.open();
    const int status = app.exec();
    if (status == 0)
        std::printf("tether-consumer: OK (Tether %s, session %s)\n", Tether::version(),
                    qPrintable(session));
    return status;
}
