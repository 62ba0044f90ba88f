// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Unit tests of the public value types (Error, Message, SendResult, options) and of the
// conversions between them and the engine's types. No sockets, no clock.
#include <Tether/Client>

#include "../../sdk/client/conversion_p.h"

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QJsonArray>
#include <QtCore/QJsonObject>
#include <QtCore/QMetaEnum>
#include <QtCore/QPoint>
#include <QtCore/QUrl>
#include <QtCore/QUuid>
#include <QtTest/QTest>

using namespace Tether;

// send() accepts every common payload type without an ambiguity (a compile-time check).
template<class T>
auto sendCompiles(int) -> decltype(std::declval<Client &>().send(std::declval<T>()), std::true_type{});
template<class T>
std::false_type sendCompiles(...);
static_assert(decltype(sendCompiles<QJsonObject>(0))::value);
static_assert(decltype(sendCompiles<QJsonArray>(0))::value);
static_assert(decltype(sendCompiles<QJsonValue>(0))::value);
static_assert(decltype(sendCompiles<QVariantMap>(0))::value);
static_assert(decltype(sendCompiles<QVariantList>(0))::value);
static_assert(decltype(sendCompiles<QVariant>(0))::value);
static_assert(decltype(sendCompiles<QCborMap>(0))::value);
static_assert(decltype(sendCompiles<QCborArray>(0))::value);
static_assert(decltype(sendCompiles<QCborValue>(0))::value);
static_assert(decltype(sendCompiles<QString>(0))::value);
static_assert(decltype(sendCompiles<QByteArray>(0))::value);
static_assert(decltype(sendCompiles<int>(0))::value);
static_assert(decltype(sendCompiles<qint64>(0))::value);
static_assert(decltype(sendCompiles<double>(0))::value);
static_assert(decltype(sendCompiles<bool>(0))::value);

class tst_ClientTypes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void errorKindByBand_data();
    void errorKindByBand();
    void errorDefaultIsNoError();
    void errorCarriesServerDetails();
    void errorThroughVariant();
    void errorToStringNamesCodeAndDetails();

    void messageConversions_data();
    void messageConversions();
    void messageIsImplicitlyShared();

    void sendResult();

    void variantPayload_data();
    void variantPayload();
    void jsonPayloadUndefinedIsRefused();

    void everyEngineErrorCodeHasAPublicCode();
    void transportErrorRefinesEngineTransportError_data();
    void transportErrorRefinesEngineTransportError();
    void engineErrorDetailsSurvive();

    void defaultsMatchTheEngine();
    void optionsReachTheEngine();
    void requestTimeoutZeroMeansClientDefault();
    void sendOptionsReachTheEngine();
    void statsConversion();
    void enumsMapOneToOne();
};

void tst_ClientTypes::errorKindByBand_data()
{
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<Error::Kind>("kind");
    const QMetaEnum codes = QMetaEnum::fromType<Error::Code>();
    for (int i = 0; i < codes.keyCount(); ++i) {
        const auto code = Error::Code(codes.value(i));
        const int band = int(code) / 100;
        const Error::Kind kind = band == 0 ? Error::None
            : band == 1                    ? Error::Local
            : band == 2                    ? Error::Transport
            : band == 3 || band == 4       ? Error::Remote
                                           : Error::TimedOut;
        QTest::addRow("%s", codes.key(i)) << code << kind;
    }
}

void tst_ClientTypes::errorKindByBand()
{
    QFETCH(Error::Code, code);
    QFETCH(Error::Kind, kind);
    QCOMPARE(Error::kindOf(code), kind);
    QCOMPARE(Error(code, QStringLiteral("x")).kind(), kind);
    QCOMPARE(Error(code, QStringLiteral("x")).isError(), code != Error::NoError);
}

void tst_ClientTypes::errorDefaultIsNoError()
{
    const Error e;
    QCOMPARE(e.code(), Error::NoError);
    QCOMPARE(e.kind(), Error::None);
    QVERIFY(!e.isError());
    QVERIFY(!e);
    QVERIFY(!e.isFatal());
    QCOMPARE(e.closeCode(), 0);
    QVERIFY(e.serverCode().isEmpty());
    QVERIFY(e.data().isUndefined());
}

void tst_ClientTypes::errorCarriesServerDetails()
{
    Error e(Error::Rejected, QStringLiteral("no right to publish"));
    e.setServerCode(QStringLiteral("forbidden")).setCloseCode(4403).setData(QCborValue(42));
    Error copy = e;
    QCOMPARE(copy, e);
    QCOMPARE(copy.serverCode(), QStringLiteral("forbidden"));
    QCOMPARE(copy.closeCode(), 4403);
    QCOMPARE(copy.data(), QCborValue(42));
    copy.setServerCode(QStringLiteral("other"));  // detaches: the original is unchanged
    QCOMPARE(e.serverCode(), QStringLiteral("forbidden"));
    QVERIFY(copy != e);
}

void tst_ClientTypes::errorThroughVariant()
{
    const Error e(Error::Timeout, QStringLiteral("late"));
    const QVariant v = QVariant::fromValue(e);
    QVERIFY(Error::isError(v));
    QCOMPARE(Error::fromVariant(v), e);
    QVERIFY(!Error::isError(QVariant(42)));
    QCOMPARE(Error::fromVariant(QVariant(42)).code(), Error::NoError);
}

void tst_ClientTypes::errorToStringNamesCodeAndDetails()
{
    Error e(Error::Unauthorized, QStringLiteral("token refused"), true);
    e.setCloseCode(4401).setServerCode(QStringLiteral("unauthorized"));
    const QString text = e.toString();
    QVERIFY2(text.startsWith(QStringLiteral("Unauthorized (Remote)")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("fatal")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("close 4401")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("server code unauthorized")), qPrintable(text));
    QVERIFY2(text.endsWith(QStringLiteral(": token refused")), qPrintable(text));
}

void tst_ClientTypes::messageConversions_data()
{
    QTest::addColumn<QCborValue>("payload");
    QTest::addColumn<QJsonValue>("json");
    QTest::addColumn<QVariant>("variant");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("binary");

    QCborMap map;
    map.insert(QStringLiteral("a"), 1);
    QJsonObject object;
    object.insert(QStringLiteral("a"), 1);
    QVariantMap variantMap;
    variantMap.insert(QStringLiteral("a"), qint64(1));
    QTest::addRow("object") << QCborValue(map) << QJsonValue(object) << QVariant(variantMap)
                            << QByteArray(R"({"a":1})") << false;
    QTest::addRow("array") << QCborValue(QCborArray{1, QStringLiteral("x")})
                           << QJsonValue(QJsonArray{1, QStringLiteral("x")})
                           << QVariant(QVariantList{qint64(1), QStringLiteral("x")})
                           << QByteArray(R"([1,"x"])") << false;
    QTest::addRow("string is its UTF-8") << QCborValue(QStringLiteral("h\u00e9")) << QJsonValue(QStringLiteral("h\u00e9"))
                                         << QVariant(QStringLiteral("h\u00e9")) << QByteArray("h\xc3\xa9") << false;
    QTest::addRow("bytes as is, base64url in JSON")
        << QCborValue(QByteArray("\x00\xff", 2)) << QJsonValue(QStringLiteral("AP8"))
        << QVariant(QByteArray("\x00\xff", 2)) << QByteArray("\x00\xff", 2) << true;
    QTest::addRow("integer") << QCborValue(7) << QJsonValue(7) << QVariant(qint64(7)) << QByteArray("7") << false;
    QTest::addRow("double") << QCborValue(1.5) << QJsonValue(1.5) << QVariant(1.5) << QByteArray("1.5") << false;
    QTest::addRow("bool") << QCborValue(true) << QJsonValue(true) << QVariant(true) << QByteArray("true") << false;
    QTest::addRow("null") << QCborValue(QCborValue::Null) << QJsonValue(QJsonValue::Null)
                          << QVariant::fromValue(nullptr) << QByteArray("null") << false;
}

void tst_ClientTypes::messageConversions()
{
    QFETCH(QCborValue, payload);
    QFETCH(QJsonValue, json);
    QFETCH(QVariant, variant);
    QFETCH(QByteArray, bytes);
    QFETCH(bool, binary);
    const Message m(payload, QStringLiteral("room"), QStringLiteral("id-1"), true);
    QCOMPARE(m.payload(), payload);
    QCOMPARE(m.toJson(), json);
    QCOMPARE(m.toVariant(), variant);
    QCOMPARE(m.toByteArray(), bytes);
    QCOMPARE(m.isBinary(), binary);
    QCOMPARE(m.channel(), QStringLiteral("room"));
    QCOMPARE(m.id(), QStringLiteral("id-1"));
    QVERIFY(m.isReliable());
}

void tst_ClientTypes::messageIsImplicitlyShared()
{
    const Message a(QCborValue(1));
    Message b = a;
    QCOMPARE(a, b);
    b = Message(QCborValue(2));
    QVERIFY(a != b);
    QCOMPARE(a.payload(), QCborValue(1));
    const Message empty;
    QVERIFY(empty.payload().isUndefined());
    QVERIFY(!empty.isReliable());
    QVERIFY(empty.channel().isEmpty());
}

void tst_ClientTypes::sendResult()
{
    const SendResult ok = SendResult::accepted(QStringLiteral("abc"));
    QVERIFY(ok.isOk());
    QVERIFY(bool(ok));
    QCOMPARE(ok.id(), QStringLiteral("abc"));
    QCOMPARE(ok.error().code(), Error::NoError);

    const SendResult refused = SendResult::refused(Error(Error::QueueFull, QStringLiteral("full")));
    QVERIFY(!refused.isOk());
    QVERIFY(refused.id().isEmpty());
    QCOMPARE(refused.error().code(), Error::QueueFull);
    QVERIFY(!SendResult().isOk());  // default: neither an id nor an error
}

void tst_ClientTypes::variantPayload_data()
{
    QTest::addColumn<QVariant>("input");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<QCborValue>("expected");

    QTest::addRow("invalid variant is null") << QVariant() << true << QCborValue(QCborValue::Null);
    QTest::addRow("nullptr is null") << QVariant::fromValue(nullptr) << true << QCborValue(QCborValue::Null);
    QTest::addRow("int") << QVariant(3) << true << QCborValue(3);
    QTest::addRow("string") << QVariant(QStringLiteral("s")) << true << QCborValue(QStringLiteral("s"));
    QTest::addRow("bytes") << QVariant(QByteArray("b")) << true << QCborValue(QByteArray("b"));
    QVariantMap m;
    m.insert(QStringLiteral("k"), QVariantList{1, 2});
    QCborMap cm;
    cm.insert(QStringLiteral("k"), QCborArray{1, 2});
    QTest::addRow("nested map and list") << QVariant(m) << true << QCborValue(cm);
    QTest::addRow("json object") << QVariant(QJsonObject{{QStringLiteral("k"), 1}}) << true
                                 << QCborValue(QCborMap{{QStringLiteral("k"), 1}});
    QTest::addRow("QObject pointer refused") << QVariant::fromValue(static_cast<QObject *>(this)) << false
                                             << QCborValue();
    QTest::addRow("QPoint refused") << QVariant(QPoint(1, 2)) << false << QCborValue();
}

void tst_ClientTypes::variantPayload()
{
    QFETCH(QVariant, input);
    QFETCH(bool, accepted);
    QFETCH(QCborValue, expected);
    const std::optional<QCborValue> out = Convert::payload(input);
    QCOMPARE(out.has_value(), accepted);
    if (accepted)
        QCOMPARE(*out, expected);
}

void tst_ClientTypes::jsonPayloadUndefinedIsRefused()
{
    QVERIFY(!Convert::payload(QJsonValue(QJsonValue::Undefined)).has_value());
    QCOMPARE(*Convert::payload(QJsonValue(QJsonValue::Null)), QCborValue(QCborValue::Null));
    QCOMPARE(*Convert::payload(QJsonValue(QStringLiteral("x"))), QCborValue(QStringLiteral("x")));
}

void tst_ClientTypes::everyEngineErrorCodeHasAPublicCode()
{
    using E = Engine::ErrorCode;
    const QList<QPair<E, Error::Code>> table = {
        {E::QueueFull, Error::QueueFull},
        {E::FrameTooLarge, Error::FrameTooLarge},
        {E::NotSupported, Error::NotSupported},
        {E::InvalidArgument, Error::InvalidArgument},
        {E::NotConnected, Error::NotConnected},
        {E::Closed, Error::ClientClosed},
        {E::Timeout, Error::Timeout},
        {E::HandshakeTimeout, Error::HandshakeTimeout},
        {E::HeartbeatTimeout, Error::HeartbeatTimeout},
        {E::ConnectionLost, Error::ConnectionLost},
        {E::TransportError, Error::NetworkError},
        {E::ProtocolError, Error::ProtocolError},
        {E::ProtocolMismatch, Error::ProtocolMismatch},
        {E::Unauthorized, Error::Unauthorized},
        {E::Forbidden, Error::Forbidden},
        {E::TokenExpired, Error::TokenExpired},
        {E::TokenUnavailable, Error::TokenUnavailable},
        {E::SessionTaken, Error::SessionTaken},
        {E::Rejected, Error::Rejected},
        {E::ServerError, Error::ServerError},
        {E::MaxAttempts, Error::MaxAttempts},
        {E::StorageError, Error::StorageError},
    };
    QSet<int> seen;
    for (const auto &[engine, expected] : table) {
        QCOMPARE(Convert::errorCode(engine), expected);
        seen.insert(int(engine));
    }
    // The engine's enum is dense from 0: a new code must be added to the table above.
    QCOMPARE(seen.size(), int(E::StorageError) + 1);
}

void tst_ClientTypes::transportErrorRefinesEngineTransportError_data()
{
    QTest::addColumn<Error::Code>("transport");
    QTest::addColumn<Error::Code>("expected");
    QTest::addRow("refused") << Error::ConnectionRefused << Error::ConnectionRefused;
    QTest::addRow("dns") << Error::HostNotFound << Error::HostNotFound;
    QTest::addRow("tls") << Error::TlsError << Error::TlsError;
    QTest::addRow("none stays generic") << Error::NoError << Error::NetworkError;
    QTest::addRow("non-transport ignored") << Error::Timeout << Error::NetworkError;
}

void tst_ClientTypes::transportErrorRefinesEngineTransportError()
{
    QFETCH(Error::Code, transport);
    QFETCH(Error::Code, expected);
    const auto engineError = Engine::Error::make(Engine::ErrorKind::Transport, Engine::ErrorCode::TransportError,
                                                 QStringLiteral("socket failed"));
    const Error out = Convert::error(engineError, Error(transport, QStringLiteral("detail")));
    QCOMPARE(out.code(), expected);
    QCOMPARE(out.message(), QStringLiteral("socket failed"));
    // Only TransportError is refined.
    const auto lost = Engine::Error::make(Engine::ErrorKind::Transport, Engine::ErrorCode::ConnectionLost,
                                          QStringLiteral("lost"));
    QCOMPARE(Convert::error(lost, Error(transport, QString())).code(), Error::ConnectionLost);
}

void tst_ClientTypes::engineErrorDetailsSurvive()
{
    Engine::Error e = Engine::Error::make(Engine::ErrorKind::Remote, Engine::ErrorCode::Rejected,
                                          QStringLiteral("no"), false);
    e.remoteCode = QStringLiteral("forbidden");
    e.data = QCborValue(QStringLiteral("why"));
    e.closeCode = 0;
    const Error out = Convert::error(e);
    QCOMPARE(out.code(), Error::Rejected);
    QCOMPARE(out.serverCode(), QStringLiteral("forbidden"));
    QCOMPARE(out.data(), QCborValue(QStringLiteral("why")));
    QVERIFY(!out.isFatal());

    const Engine::Error fatal = Engine::Error::make(Engine::ErrorKind::Remote, Engine::ErrorCode::Unauthorized,
                                                    QStringLiteral("4401"), true);
    QVERIFY(Convert::error(fatal).isFatal());
}

// The public defaults (documented in options.h and docs/api.md) are the engine's.
void tst_ClientTypes::defaultsMatchTheEngine()
{
    const ClientOptions pub;
    const Engine::Options def;
    const Engine::Options e = Convert::engineOptions(pub, {});
    QCOMPARE(e.codec, def.codec);
    QCOMPARE(e.rawMode, def.rawMode);
    QCOMPARE(e.handshakeTimeout, def.handshakeTimeout);
    QCOMPARE(e.backoffInitial, def.backoffInitial);
    QCOMPARE(e.backoffMultiplier, def.backoffMultiplier);
    QCOMPARE(e.backoffMax, def.backoffMax);
    QCOMPARE(e.jitter, def.jitter);
    QCOMPARE(e.maxAttempts, def.maxAttempts);
    QCOMPARE(e.stablePeriod, def.stablePeriod);
    QCOMPARE(e.heartbeatInterval, def.heartbeatInterval);
    QCOMPARE(e.heartbeatTimeout, def.heartbeatTimeout);
    QCOMPARE(e.probeTimeout, def.probeTimeout);
    QCOMPARE(e.probeTimeoutFloor, def.probeTimeoutFloor);
    QCOMPARE(e.backgroundCloseDelay, def.backgroundCloseDelay);
    QCOMPARE(e.rawSubprotocols, def.rawSubprotocols);
    QCOMPARE(e.maxQueuedMessages, def.maxQueuedMessages);
    QCOMPARE(e.maxQueuedBytes, def.maxQueuedBytes);
    QCOMPARE(e.overflow, def.overflow);
    QCOMPARE(e.maxInFlight, def.maxInFlight);
    QCOMPARE(e.maxIncomingFrame, def.maxIncomingFrame);
    QCOMPARE(e.requestTimeout, def.requestTimeout);
    QCOMPARE(e.useToken, false);
    QCOMPARE(e.agent, QString::fromLatin1(Tether::agent()));
    // A deliberate difference: the SDK spreads a fleet's first reconnect by default.
    QCOMPARE(e.initialRandomDelay, std::chrono::milliseconds(1000));

    const SendOptions s;
    const Engine::SendOptions es = Convert::engineSendOptions(s);
    const Engine::SendOptions esDef;
    QCOMPARE(es.delivery, esDef.delivery);
    QCOMPARE(es.ttl, esDef.ttl);
}

void tst_ClientTypes::optionsReachTheEngine()
{
    ClientOptions o;
    o.codec = Codec::Cbor;
    o.rawMode = true;
    o.backoff.initialDelay = std::chrono::milliseconds(11);
    o.backoff.multiplier = 3.0;
    o.backoff.maxDelay = std::chrono::milliseconds(12);
    o.backoff.jitter = JitterMode::Equal;
    o.backoff.maxAttempts = 4;
    o.backoff.initialJitter = std::chrono::milliseconds(13);
    o.backoff.stablePeriod = std::chrono::milliseconds(14);
    o.heartbeat.interval = std::chrono::milliseconds(15);
    o.heartbeat.timeout = std::chrono::milliseconds(16);
    o.heartbeat.probeTimeout = std::chrono::milliseconds(17);
    o.queue.maxMessages = 18;
    o.queue.maxBytes = 19;
    o.queue.overflow = OverflowPolicy::DropOldest;
    o.queue.maxInFlight = 20;
    o.handshakeTimeout = std::chrono::milliseconds(21);
    o.requestTimeout = std::chrono::milliseconds(22);
    o.maxIncomingFrameSize = 23;
    o.tokenProvider = [](TokenReason, const TokenReply &) {};
    o.extraHeaders = {{QByteArray("X-A"), QByteArray("b")}};
    const QList<QUrl> urls{QUrl(QStringLiteral("ws://a/")), QUrl(QStringLiteral("ws://b/"))};

    const Engine::Options e = Convert::engineOptions(o, urls);
    QCOMPARE(e.urls, urls);
    QCOMPARE(e.codec, Protocol::CodecKind::Cbor);
    QVERIFY(e.rawMode);
    QCOMPARE(e.backoffInitial.count(), 11);
    QCOMPARE(e.backoffMultiplier, 3.0);
    QCOMPARE(e.backoffMax.count(), 12);
    QCOMPARE(e.jitter, Engine::JitterMode::Equal);
    QCOMPARE(e.maxAttempts, 4);
    QCOMPARE(e.initialRandomDelay.count(), 13);
    QCOMPARE(e.stablePeriod.count(), 14);
    QCOMPARE(e.heartbeatInterval.count(), 15);
    QCOMPARE(e.heartbeatTimeout.count(), 16);
    QCOMPARE(e.probeTimeout.count(), 17);
    QCOMPARE(e.maxQueuedMessages, 18);
    QCOMPARE(e.maxQueuedBytes, 19);
    QCOMPARE(e.overflow, Engine::OverflowPolicy::DropOldest);
    QCOMPARE(e.maxInFlight, 20);
    QCOMPARE(e.handshakeTimeout.count(), 21);
    QCOMPARE(e.requestTimeout.count(), 22);
    QCOMPARE(e.maxIncomingFrame, 23);
    QVERIFY(e.useToken);
    QCOMPARE(e.headers, o.extraHeaders);

    o.backoff.jitter = JitterMode::None;
    QCOMPARE(Convert::engineOptions(o, urls).jitter, Engine::JitterMode::None);
    o.backoff.jitter = JitterMode::Full;
    QCOMPARE(Convert::engineOptions(o, urls).jitter, Engine::JitterMode::Full);
}

void tst_ClientTypes::requestTimeoutZeroMeansClientDefault()
{
    RequestOptions r;
    QVERIFY(Convert::engineRequestOptions(r).timeout.count() < 0);
    r.timeout = std::chrono::milliseconds(250);
    r.retryable = true;
    const Engine::RequestOptions e = Convert::engineRequestOptions(r);
    QCOMPARE(e.timeout.count(), 250);
    QVERIFY(e.retryable);
}

void tst_ClientTypes::sendOptionsReachTheEngine()
{
    SendOptions s;
    s.channel = QStringLiteral("c");
    s.delivery = Delivery::AtMostOnce;
    s.ttl = std::chrono::milliseconds(5);
    s.coalescingKey = QStringLiteral("k");
    s.id = QStringLiteral("own");
    const Engine::SendOptions e = Convert::engineSendOptions(s);
    QCOMPARE(e.channel, s.channel);
    QCOMPARE(e.delivery, Engine::Delivery::AtMostOnce);
    QCOMPARE(e.ttl.count(), 5);
    QCOMPARE(e.coalescingKey, s.coalescingKey);
    QCOMPARE(e.id, s.id);
}

void tst_ClientTypes::statsConversion()
{
    Engine::Stats s;
    s.sent = 1;
    s.received = 2;
    s.acked = 3;
    s.rejected = 4;
    s.retransmitted = 5;
    s.dropped = {6, 7, 8, 9};
    s.duplicatesSuppressed = 10;
    s.reconnects = 11;
    s.queueDepth = 12;
    s.queueBytes = 13;
    s.inFlight = 14;
    s.pendingRequests = 15;
    s.persisted = 16;
    s.storageDegraded = true;
    s.bytesIn = 17;
    s.bytesOut = 18;
    s.resumes = 19;
    s.sessionsLost = 20;
    s.minRtt = std::chrono::microseconds(21);
    s.smoothedRtt = std::chrono::microseconds(22);
    s.offlineTotal = std::chrono::milliseconds(23);
    ClientStats c = Convert::stats(s, -1);
    QCOMPARE(c.bytesIn, 17u);
    QCOMPARE(c.bytesOut, 18u);
    QCOMPARE(c.resumes, 19u);
    QCOMPARE(c.sessionsLost, 20u);
    QCOMPARE(c.minRttUs, 21);
    QCOMPARE(c.avgRttUs, 22);
    QCOMPARE(c.offlineMs, 23);
    QVERIFY(!c.connectedSince.isValid());  // the Client adds the running parts (it has the clocks)
    QCOMPARE(c.sent, 1u);
    QCOMPARE(c.received, 2u);
    QCOMPARE(c.acked, 3u);
    QCOMPARE(c.rejected, 4u);
    QCOMPARE(c.retransmitted, 5u);
    QCOMPARE(c.droppedQueueFull, 6u);
    QCOMPARE(c.droppedSuperseded, 7u);
    QCOMPARE(c.droppedExpired, 8u);
    QCOMPARE(c.droppedClosed, 9u);
    QCOMPARE(c.duplicatesSuppressed, 10u);
    QCOMPARE(c.reconnects, 11u);
    QCOMPARE(c.queueDepth, 12);
    QCOMPARE(c.queueBytes, 13);
    QCOMPARE(c.inFlight, 14);
    QCOMPARE(c.pendingRequests, 15);
    QCOMPARE(c.persisted, 16u);
    QVERIFY(!c.storageActive);  // set by the Client, which knows whether its store is open
    QCOMPARE(c.lastRttUs, -1);  // no pong yet
    QCOMPARE(Convert::stats(s, 77).lastRttUs, 77);
}

void tst_ClientTypes::enumsMapOneToOne()
{
    using ES = Engine::State;
    QCOMPARE(Convert::state(ES::Idle), State::Idle);
    QCOMPARE(Convert::state(ES::Connecting), State::Connecting);
    QCOMPARE(Convert::state(ES::Connected), State::Connected);
    QCOMPARE(Convert::state(ES::Reconnecting), State::Reconnecting);
    QCOMPARE(Convert::state(ES::Failed), State::Failed);
    QCOMPARE(Convert::state(ES::Closed), State::Closed);
    using ED = Engine::DropReason;
    QCOMPARE(Convert::dropReason(ED::QueueFull), DropReason::QueueFull);
    QCOMPARE(Convert::dropReason(ED::Superseded), DropReason::Superseded);
    QCOMPARE(Convert::dropReason(ED::Expired), DropReason::Expired);
    QCOMPARE(Convert::dropReason(ED::Closed), DropReason::Closed);
    QCOMPARE(Convert::tokenReason(Engine::TokenReason::Connect), TokenReason::Connect);
    QCOMPARE(Convert::tokenReason(Engine::TokenReason::Expired), TokenReason::Expired);
}

QTEST_GUILESS_MAIN(tst_ClientTypes)
#include "tst_client_types.moc"
