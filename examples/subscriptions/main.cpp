// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// subscriptions: a Widgets window over Tether::Subscription.
//   subscriptions [ws://127.0.0.1:8080/] [channel...]
//   subscriptions ws://127.0.0.1:8080/ --check   (CI: subscribe to `metrics`, exit 0 once a
//                                                 message is shown, 1 after 20 s)
#include "subscriptionswindow.h"

#include <QtCore/QTimer>
#include <QtWidgets/QApplication>

#include <cstdio>
#include <utility>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    const bool check = args.removeAll(QStringLiteral("--check")) > 0;
    const QUrl url(args.isEmpty() ? QStringLiteral("ws://127.0.0.1:8080/") : args.takeFirst());

    Tether::Client client(url);
    client.setFollowNetwork(true);  // follow the platform's network: the window says when it is offline
    SubscriptionsWindow window(&client);
    window.resize(560, 480);
    window.show();
    for (const QString &channel : std::as_const(args))
        window.subscribe(channel);
    if (check) {
        // The server's `metrics` channel publishes every second.
        window.subscribe(QStringLiteral("metrics"));
        QObject::connect(&window, &SubscriptionsWindow::messageShown, &app, [&](const QString &channel) {
            if (channel == QLatin1String("metrics") && window.messageCount(channel) >= 1) {
                std::printf("subscriptions: OK, a metrics message was shown\n");
                app.quit();
            }
        });
        QTimer::singleShot(20000, &app, [] {
            std::fprintf(stderr, "subscriptions: FAIL: no metrics message within 20 s\n");
            QCoreApplication::exit(1);
        });
    }
    client.open();
    return app.exec();
}
