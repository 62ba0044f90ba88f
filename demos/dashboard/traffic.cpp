// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-dashboard-traffic: demo load for the dashboard, over the C++ API.
//
//   tether-dashboard-traffic [--url ws://host:port/] [--peak N] [--listeners N]
//
// One publisher sends reliable messages on `demo.traffic` at a rate that swings between
// peak/8 and `peak` per second over a 40 s cycle; `listeners` clients subscribe to it, so
// the server's frames in and out both move. Runs until interrupted.
#include <Tether/Client>

#include <QtCore/QCommandLineParser>
#include <QtCore/QCoreApplication>
#include <QtCore/QElapsedTimer>
#include <QtCore/QJsonObject>
#include <QtCore/QTimer>

#include <cmath>
#include <memory>
#include <vector>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Demo traffic for tether-dashboard."));
    parser.addHelpOption();
    const QCommandLineOption urlOption(QStringLiteral("url"), QStringLiteral("Server URL."),
                                       QStringLiteral("url"), QStringLiteral("ws://127.0.0.1:8765/"));
    const QCommandLineOption peakOption(QStringLiteral("peak"), QStringLiteral("Peak messages/s."),
                                        QStringLiteral("n"), QStringLiteral("2000"));
    const QCommandLineOption listenersOption(QStringLiteral("listeners"),
                                             QStringLiteral("Subscribed clients."),
                                             QStringLiteral("n"), QStringLiteral("3"));
    parser.addOptions({urlOption, peakOption, listenersOption});
    parser.process(app);

    const QUrl url(parser.value(urlOption));
    const double peak = qMax(1.0, parser.value(peakOption).toDouble());
    const QString channel = QStringLiteral("demo.traffic");

    Tether::Client publisher(url);
    std::vector<std::unique_ptr<Tether::Client>> listeners;
    for (int i = 0; i < parser.value(listenersOption).toInt(); ++i) {
        listeners.push_back(std::make_unique<Tether::Client>(url));
        listeners.back()->subscribe(channel)->setAutoDelete(true);
        listeners.back()->open();
    }
    publisher.open();

    // Every 20 ms, send what the current rate owes (fractional messages carry over).
    QElapsedTimer clock;
    clock.start();
    double owed = 0;
    quint64 n = 0;
    QTimer tick;
    tick.setInterval(20);
    QObject::connect(&tick, &QTimer::timeout, &app, [&] {
        if (publisher.state() != Tether::State::Connected || publisher.queueDepth() > 5000)
            return;  // let the outbox drain rather than grow without bound
        const double t = double(clock.elapsed()) / 1000.0;
        const double rate = peak * (0.5625 + 0.4375 * std::sin(2 * M_PI * t / 40.0));
        owed += rate * 0.02;
        Tether::SendOptions options;
        options.channel = channel;
        for (; owed >= 1; owed -= 1) {
            publisher.send(QJsonObject{{QStringLiteral("n"), double(++n)},
                                       {QStringLiteral("text"), QStringLiteral("demo payload for the dashboard")}},
                           options);
        }
    });
    tick.start();
    return app.exec();
}
