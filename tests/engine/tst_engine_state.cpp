// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The connection state machine: every (state, input) pair of the transition table driven
// through the real engine, docs/protocol.md §8's close-code table row by row, the handshake
// timeout, ProtocolMismatch, close() and suspend() from every state, and the state diagram of
// docs/architecture.md checked against the table.
#include "engine_harness.h"

#include <engine/state_table_p.h>

#include <QtCore/QFile>
#include <QtTest/QTest>

using namespace EngineTest;

namespace {

const State kStates[] = {State::Idle, State::Connecting, State::Connected,
                         State::Reconnecting, State::Failed, State::Closed};
const Input kInputs[] = {Input::Open, Input::Close, Input::TokenReady, Input::TokenFailed,
                         Input::SocketOpened, Input::Welcome, Input::LinkLost, Input::TokenExpired,
                         Input::Permanent, Input::ServerClosed, Input::RetryDue, Input::Suspend};
static_assert(std::size(kInputs) == kInputCount, "walk every input of the table");

Options walkOptions()
{
    Options o = baseOptions();
    o.useToken = true;
    o.maxTokenAttempts = 100;
    return o;
}

// Brings a fresh engine into `state`. Connecting has phases; the one where `input` means
// something is chosen (waiting for a token, socket opening, waiting for welcome).
void reach(Harness &h, State state, Input input)
{
    auto connectTo = [&](bool welcome) {
        h->open(h.now);
        h.pump();
        if (input == Input::TokenReady || input == Input::TokenFailed) {
            if (!welcome)
                return;
        }
        h->provideToken(h.now, QStringLiteral("t"));
        h.pump();
        if (input == Input::SocketOpened && !welcome)
            return;
        h.opened();
        if (welcome)
            h.serverFrame(h.welcome());
    };
    switch (state) {
    case State::Idle:
        break;
    case State::Connecting:
        connectTo(false);
        break;
    case State::Connected:
        connectTo(true);
        break;
    case State::Reconnecting:
        connectTo(true);
        h.closed(1006);
        break;
    case State::Failed:
        connectTo(true);
        h.closed(4401);
        break;
    case State::Closed:
        h->open(h.now);
        h->close(h.now);
        h.pump();
        break;
    }
}

// Applies the real stimulus for `input`.
void drive(Harness &h, Input input)
{
    switch (input) {
    case Input::Open: h->open(h.now); break;
    case Input::Close: h->close(h.now); break;
    case Input::Suspend: h->suspend(h.now); break;
    case Input::TokenReady: h->provideToken(h.now, QStringLiteral("t")); break;
    case Input::TokenFailed: h->tokenFailed(h.now, u"provider down"); break;
    case Input::SocketOpened: h.opened(); break;
    case Input::Welcome: h.serverFrame(h.welcome()); break;
    case Input::LinkLost: h.closed(1006); break;
    case Input::TokenExpired: h.closed(4001); break;
    case Input::Permanent: h.closed(4401); break;
    case Input::ServerClosed: h.closed(1000); break;
    case Input::RetryDue:
        if (auto due = h->pollTimeout(); due && h->state() == State::Reconnecting)
            h.advanceTo(*due);
        else
            h->handleTimeout(h.now);
        break;
    }
    h.pump();
}

QString diagramFromTable()
{
    // One edge per (from, to) pair, labelled with the inputs that take it (self-loops and
    // ignored inputs are not drawn).
    QString out = QStringLiteral("stateDiagram-v2\n    [*] --> Idle\n");
    for (State from : kStates) {
        for (State to : kStates) {
            QStringList labels;
            for (Input input : kInputs) {
                const auto next = transition(from, input);
                if (next && *next == to && to != from)
                    labels.append(inputName(input));
            }
            if (!labels.isEmpty())
                out += QStringLiteral("    %1 --> %2 : %3\n").arg(stateName(from), stateName(to), labels.join(QStringLiteral(", ")));
        }
    }
    return out;
}

} // namespace

class tst_EngineState : public QObject {
    Q_OBJECT
private slots:
    void everyStateInputPair_data();
    void everyStateInputPair();
    void closeCodeTable_data();
    void closeCodeTable();
    void closeCodeFromConnected_data();
    void closeCodeFromConnected();
    void handshakeTimeout_data();
    void handshakeTimeout();
    void protocolMismatchIsPermanent_data();
    void protocolMismatchIsPermanent();
    void closeFromEveryState_data();
    void closeFromEveryState();
    void openStartsOverFromFailedAndClosed();
    void noUrlFailsLocally();
    void endpointsTriedInTurn();
    void permanentTransportErrorFails_data();
    void permanentTransportErrorFails();
    void lateTransportEventsIgnored();
    void diagramMatchesArchitectureDoc();
};

void tst_EngineState::everyStateInputPair_data()
{
    QTest::addColumn<int>("state");
    QTest::addColumn<int>("input");
    for (State s : kStates)
        for (Input i : kInputs)
            QTest::addRow("%s x %s", stateName(s).data(), inputName(i).data()) << int(s) << int(i);
}

void tst_EngineState::everyStateInputPair()
{
    QFETCH(int, state);
    QFETCH(int, input);
    const State s = State(state);
    const Input in = Input(input);
    Harness h(walkOptions());
    reach(h, s, in);
    QCOMPARE(h->state(), s);
    // The stimulus of a welcome frame on an established connection is a protocol error:
    // the engine classifies it as LinkLost before consulting the table.
    const Input effective = (s == State::Connected && in == Input::Welcome) ? Input::LinkLost : in;
    const State expected = transition(s, effective).value_or(s);
    h.clearEvents();
    drive(h, in);
    QCOMPARE(stateName(h->state()), stateName(expected));
    // A state change is always announced, exactly once, with the right endpoints.
    const auto changes = h.eventsOf<StateChanged>();
    if (expected == s) {
        QVERIFY(changes.empty());
    } else {
        QCOMPARE(int(changes.size()), 1);
        QCOMPARE(changes.front().from, s);
        QCOMPARE(changes.front().to, expected);
    }
}

void tst_EngineState::closeCodeTable_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("expected");
    const auto row = [](int code, CloseClass cls) {
        QTest::addRow("%d is %s", code, closeClassName(cls).data()) << code << int(cls);
    };
    row(1000, CloseClass::Normal);
    for (int code : {1001, 1006, 1011, 1012, 1013, 1014, 4000, 4002, 4200, 4399})
        row(code, CloseClass::Temporary);
    row(4001, CloseClass::TokenExpired);
    for (int code : {1002, 1003, 1007, 1009})
        row(code, CloseClass::ProtocolError);
    for (int code : {1008, 4400, 4401, 4403, 4409, 4413, 4999})
        row(code, CloseClass::Permanent);
    // Not listed in §8: temporary.
    for (int code : {1004, 1005, 1010, 1015, 3000, 5000})
        row(code, CloseClass::Temporary);
}

void tst_EngineState::closeCodeTable()
{
    QFETCH(int, code);
    QFETCH(int, expected);
    QCOMPARE(closeClassName(classifyClose(code)), closeClassName(CloseClass(expected)));
}

void tst_EngineState::closeCodeFromConnected_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("state");
    QTest::addColumn<int>("errorCode");  // -1: no error reported
    QTest::addRow("1000 closes") << 1000 << int(State::Closed) << -1;
    QTest::addRow("1001 reconnects") << 1001 << int(State::Reconnecting) << -1;
    QTest::addRow("1012 reconnects") << 1012 << int(State::Reconnecting) << -1;
    QTest::addRow("4100 reconnects") << 4100 << int(State::Reconnecting) << -1;
    QTest::addRow("1002 reports protocol error") << 1002 << int(State::Reconnecting) << int(ErrorCode::ProtocolError);
    QTest::addRow("1009 reports protocol error") << 1009 << int(State::Reconnecting) << int(ErrorCode::ProtocolError);
    QTest::addRow("4001 without provider fails") << 4001 << int(State::Failed) << int(ErrorCode::TokenExpired);
    QTest::addRow("4401 unauthorized") << 4401 << int(State::Failed) << int(ErrorCode::Unauthorized);
    QTest::addRow("4403 forbidden") << 4403 << int(State::Failed) << int(ErrorCode::Forbidden);
    QTest::addRow("4409 session taken") << 4409 << int(State::Failed) << int(ErrorCode::SessionTaken);
    QTest::addRow("1008 policy") << 1008 << int(State::Failed) << int(ErrorCode::ProtocolError);
    QTest::addRow("4450 other permanent") << 4450 << int(State::Failed) << int(ErrorCode::ServerError);
}

void tst_EngineState::closeCodeFromConnected()
{
    QFETCH(int, code);
    QFETCH(int, state);
    QFETCH(int, errorCode);
    Harness h;
    h.connect();
    h.clearEvents();
    h.closed(code, QStringLiteral("bye"));
    QCOMPARE(stateName(h->state()), stateName(State(state)));
    const auto disconnected = h.eventsOf<Disconnected>();
    QCOMPARE(int(disconnected.size()), 1);
    QCOMPARE(disconnected.front().code, code);
    std::optional<Error> reported;
    for (const auto &f : h.eventsOf<Failed>())
        reported = f.error;
    for (const auto &e : h.eventsOf<ErrorOccurred>())
        reported = e.error;
    if (errorCode < 0) {
        QVERIFY(!reported);
    } else {
        QVERIFY(reported);
        QCOMPARE(errorCodeName(reported->code), errorCodeName(ErrorCode(errorCode)));
        QCOMPARE(reported->fatal, State(state) == State::Failed);
    }
    // Failed and Closed never retry on their own.
    h.advance(milliseconds(600'000));
    if (State(state) != State::Reconnecting)
        QCOMPARE(h.countActions<OpenSocket>(), 1);
    else
        QVERIFY(h.countActions<OpenSocket>() > 1);
}

void tst_EngineState::handshakeTimeout_data()
{
    QTest::addColumn<bool>("socketOpens");
    QTest::addRow("socket never opens") << false;
    QTest::addRow("welcome never comes") << true;
}

void tst_EngineState::handshakeTimeout()
{
    QFETCH(bool, socketOpens);
    Harness h;
    h->open(h.now);
    h.pump();
    if (socketOpens)
        h.opened();
    h.advance(milliseconds(9'999));
    QCOMPARE(h->state(), State::Connecting);
    QCOMPARE(h.countActions<AbortSocket>(), 0);
    h.advance(milliseconds(1));
    QCOMPARE(h->state(), State::Reconnecting);
    QCOMPARE(h.countActions<AbortSocket>(), 1);
    const auto errors = h.eventsOf<ErrorOccurred>();
    QCOMPARE(int(errors.size()), 1);
    QCOMPARE(errors.front().error.code, ErrorCode::HandshakeTimeout);
    QCOMPARE(errors.front().error.kind, ErrorKind::Timeout);
}

void tst_EngineState::protocolMismatchIsPermanent_data()
{
    QTest::addColumn<QByteArray>("subprotocol");
    QTest::addRow("none picked") << QByteArray();
    QTest::addRow("foreign") << QByteArray("mqtt");
    QTest::addRow("other tether codec") << QByteArray("tether.v1.cbor");
    QTest::addRow("other tether codec, v1.1") << QByteArray("tether.v1.1.cbor");
    QTest::addRow("unknown tether version") << QByteArray("tether.v1.2.json");
}

void tst_EngineState::protocolMismatchIsPermanent()
{
    QFETCH(QByteArray, subprotocol);
    Harness h;
    h->open(h.now);
    h->handleOpened(h.now, subprotocol);
    h.pump();
    QCOMPARE(h->state(), State::Failed);
    const auto failed = h.eventsOf<Failed>();
    QCOMPARE(int(failed.size()), 1);
    QCOMPARE(failed.front().error.code, ErrorCode::ProtocolMismatch);
    QVERIFY(failed.front().error.fatal);
    QCOMPARE(h.countActions<CloseSocket>(), 1);
    QVERIFY(h.takeSentOf<P::Hello>().empty());
    h.advance(milliseconds(600'000));
    QCOMPARE(h.countActions<OpenSocket>(), 1);  // no retry loop
}

void tst_EngineState::closeFromEveryState_data()
{
    QTest::addColumn<int>("state");
    QTest::addColumn<int>("closeAction");  // 0 none, 1 CloseSocket 1000, 2 AbortSocket
    QTest::addRow("Idle") << int(State::Idle) << 0;
    QTest::addRow("Connecting") << int(State::Connecting) << 2;
    QTest::addRow("Connected") << int(State::Connected) << 1;
    QTest::addRow("Reconnecting") << int(State::Reconnecting) << 0;
    QTest::addRow("Failed") << int(State::Failed) << 0;
}

void tst_EngineState::closeFromEveryState()
{
    QFETCH(int, state);
    QFETCH(int, closeAction);
    Harness h(walkOptions());
    reach(h, State(state), Input::SocketOpened);
    const int closesBefore = h.countActions<CloseSocket>();
    const int abortsBefore = h.countActions<AbortSocket>();
    h->close(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Closed);
    QCOMPARE(h.countActions<CloseSocket>() - closesBefore, closeAction == 1 ? 1 : 0);
    QCOMPARE(h.countActions<AbortSocket>() - abortsBefore, closeAction == 2 ? 1 : 0);
    if (closeAction == 1)
        QCOMPARE(h.actionsOf<CloseSocket>().back().code, 1000);
    QVERIFY(!h->pollTimeout());  // nothing left to wake up for
}

void tst_EngineState::openStartsOverFromFailedAndClosed()
{
    Harness h;
    h.connect();
    h.closed(4401);
    QCOMPARE(h->state(), State::Failed);
    h->open(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Connecting);
    QCOMPARE(h.countActions<OpenSocket>(), 2);
    h->close(h.now);
    h->open(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Connecting);
    QCOMPARE(h.countActions<OpenSocket>(), 3);
}

void tst_EngineState::noUrlFailsLocally()
{
    Options o = baseOptions();
    o.urls.clear();
    Harness h(o);
    h->open(h.now);
    h.pump();
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.eventsOf<Failed>().front().error.kind, ErrorKind::Local);
    QCOMPARE(h.countActions<OpenSocket>(), 0);
}

void tst_EngineState::endpointsTriedInTurn()
{
    Harness h;
    h->open(h.now);
    h.pump();
    for (int i = 0; i < 4; ++i) {
        h->handleTransportError(h.now, u"refused");
        h.pump();
        h.advanceTo(*h->pollTimeout());
    }
    const auto opens = h.actionsOf<OpenSocket>();
    QCOMPARE(int(opens.size()), 5);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(opens[size_t(i)].url, baseOptions().urls.at(i % 2));
    QCOMPARE(opens[0].subprotocols, (QList<QByteArray>{"tether.v1.1.json", "tether.v1.json"}));
}

void tst_EngineState::permanentTransportErrorFails_data()
{
    QTest::addColumn<bool>("whileConnected");
    QTest::addRow("opening") << false;
    QTest::addRow("connected") << true;
}

// A transport error the Qt layer marks permanent (a refused certificate, a pin mismatch)
// ends in Failed with a fatal TransportError: no Reconnecting, no retry timer, no second
// OpenSocket however long we wait; open() starts over.
void tst_EngineState::permanentTransportErrorFails()
{
    QFETCH(bool, whileConnected);
    Harness h;
    if (whileConnected) {
        h.connect();
    } else {
        h->open(h.now);
        h.pump();
    }
    h->handleTransportError(h.now, u"TLS certificate rejected", true);
    h.pump();
    QCOMPARE(h->state(), State::Failed);
    QCOMPARE(h.countEvents<Reconnecting>(), 0);
    QCOMPARE(h.countEvents<Failed>(), 1);
    const Error error = h.eventsOf<Failed>().front().error;
    QCOMPARE(error.code, ErrorCode::TransportError);
    QCOMPARE(error.kind, ErrorKind::Transport);
    QVERIFY(error.fatal);
    QCOMPARE(error.message, QStringLiteral("TLS certificate rejected"));
    QCOMPARE(h.countEvents<Disconnected>(), whileConnected ? 1 : 0);
    h.advance(std::chrono::hours(1));
    QCOMPARE(h.countActions<OpenSocket>(), 1);
    h->open(h.now);
    h.pump();
    QCOMPARE(h.countActions<OpenSocket>(), 2);
}

void tst_EngineState::lateTransportEventsIgnored()
{
    Harness h;
    h.connect();
    h->close(h.now);
    h.pump();
    // The old socket's signals arriving after close() change nothing.
    h.closed(1006);
    h.serverFrame(serverMsg(1, QStringLiteral("x"), text("late")));
    h->handlePong(h.now);
    h->handleTransportError(h.now, u"reset");
    h.pump();
    QCOMPARE(h->state(), State::Closed);
    QCOMPARE(h.countEvents<MessageReceived>(), 0);
}

void tst_EngineState::diagramMatchesArchitectureDoc()
{
    const QString expected = diagramFromTable();
    if (qEnvironmentVariableIsSet("TETHER_PRINT_DIAGRAM"))
        qInfo().noquote() << expected;
    QFile doc(qEnvironmentVariable("TETHER_SOURCE_DIR") + QStringLiteral("/docs/architecture.md"));
    QVERIFY2(doc.open(QIODevice::ReadOnly), "docs/architecture.md not found (TETHER_SOURCE_DIR)");
    const QString text = QString::fromUtf8(doc.readAll());
    const QString begin = QStringLiteral("```mermaid\n");
    const qsizetype start = text.indexOf(begin + QStringLiteral("stateDiagram-v2"));
    QVERIFY2(start >= 0, "no mermaid stateDiagram-v2 block in docs/architecture.md");
    const qsizetype end = text.indexOf(QStringLiteral("```"), start + begin.size());
    const QString inDoc = text.mid(start + begin.size(), end - start - begin.size());
    QCOMPARE(inDoc, expected);
}

QTEST_GUILESS_MAIN(tst_EngineState)
#include "tst_engine_state.moc"
