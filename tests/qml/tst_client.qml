// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Client: state transitions, send/delivered, request callbacks, JS <-> payload conversion.
import QtQuick
import QtTest
import Tether

TestCase {
    id: testCase
    name: "Client"

    // Small delays so every wait below stays well inside its bound.
    Component {
        id: clientComponent
        Client {
            url: testServer.url
            backoff.initialDelay: 100
            backoff.initialJitter: 0
        }
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }

    function makeClient(props) {
        const client = createTemporaryObject(clientComponent, testCase, props || {})
        verify(client, "client created")
        return client
    }
    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }
    function connectedClient(props) {
        const client = makeClient(Object.assign({ active: true }, props || {}))
        tryCompare(client, "state", Tether.State.Connected, 5000, "connected to " + testServer.url)
        return client
    }
    // request() as a value: waits (bounded) for the one callback and returns its arguments.
    function call(client, method, params) {
        const out = { calls: 0 }
        client.request(method, params, function (error, result) {
            out.calls += 1
            out.error = error
            out.result = result
        })
        compare(out.calls, 0, "the callback never runs inside request()")
        tryVerify(function () { return out.calls > 0 }, 5000, method + " answered")
        wait(20)  // a second call would land here
        compare(out.calls, 1, "the callback runs exactly once")
        return out
    }

    function test_stateTransitions() {
        const client = makeClient({ active: false })
        compare(client.state, Tether.State.Idle)
        compare(client.stateName, "Idle")
        const states = []
        client.stateChanged.connect(function () { states.push(client.stateName) })
        const connectedSpy = spy(client, "connected")

        client.active = true
        tryCompare(client, "state", Tether.State.Connected, 5000)
        compare(states[0], "Connecting")
        compare(connectedSpy.count, 1)
        compare(connectedSpy.signalArguments[0][0], false, "a new session is not resumed")
        compare(client.resumed, false)
        verify(client.sessionId.length > 0, "session id after welcome")
        compare(client.subprotocol, "tether.v1.1.json")

        client.active = false
        tryCompare(client, "state", Tether.State.Closed, 5000)
        compare(states[states.length - 1], "Closed")

        client.open()
        compare(client.active, true, "open() sets active")
        tryCompare(client, "state", Tether.State.Connected, 5000)
    }

    function test_activeAppliedAtCompletion() {
        // Declared active: connects without any call, once the component is complete.
        const client = makeClient({ active: true })
        tryCompare(client, "state", Tether.State.Connected, 5000)
    }

    function test_noUrlFails() {
        const client = makeClient({ url: "", active: false })
        const errors = spy(client, "errorOccurred")
        client.active = true
        tryCompare(errors, "count", 1, 2000)
        compare(errors.signalArguments[0][0].name, "NoUrl")
        verify(client.errorString.length > 0)
        compare(client.error.name, "NoUrl")
    }

    function test_sendDelivered() {
        const client = connectedClient()
        const delivered = spy(client, "delivered")
        const id = client.send({ text: "hello", n: 1 })
        verify(id.length > 0, "send returns the id")
        tryCompare(delivered, "count", 1, 5000)
        compare(delivered.signalArguments[0][0], id)
        tryCompare(client, "queueDepth", 0, 2000)
    }

    function test_sendAtMostOnceIsSent() {
        const client = connectedClient()
        const sent = spy(client, "sent")
        const id = client.send("ephemeral", { delivery: Tether.Delivery.AtMostOnce })
        verify(id.length > 0)
        tryCompare(sent, "count", 1, 5000)
        compare(sent.signalArguments[0][0], id)
    }

    function test_sendOwnIdAndRejected() {
        const client = connectedClient()
        const rejected = spy(client, "rejected")
        const id = client.send({ x: 1 }, { channel: "readonly.news", id: "my-id-1" })
        compare(id, "my-id-1")
        tryCompare(rejected, "count", 1, 5000)
        compare(rejected.signalArguments[0][0], "my-id-1")
        compare(rejected.signalArguments[0][1].serverCode, "forbidden")
        compare(rejected.signalArguments[0][1].name, "Rejected")
    }

    function test_sendRefusedPayloads_data() {
        return [
            { tag: "a function", payload: function () {} },
            { tag: "a QObject", payload: testCase },
            { tag: "an object holding a QObject", payload: { o: testCase } },
        ]
    }
    function test_sendRefusedPayloads(data) {
        const client = makeClient({ active: false })
        const refused = spy(client, "sendRefused")
        compare(client.send(data.payload), "")
        compare(refused.count, 1)
        compare(refused.signalArguments[0][0].name, "InvalidPayload")
        compare(client.queueDepth, 0)
    }

    function test_sendRefusesCycles() {
        const client = makeClient({ active: false })
        const cyclic = { name: "loop" }
        cyclic.self = cyclic
        compare(client.send(cyclic), "")
    }

    function test_requestResult() {
        const client = connectedClient()
        const out = call(client, "echo", { a: 1, list: [1, "two", null, true] })
        compare(out.error, null)
        compare(out.result.a, 1)
        compare(out.result.list, [1, "two", null, true])
    }

    function test_requestWithoutParams() {
        const client = connectedClient()
        const out = { calls: 0 }
        client.request("time", function (error, result) { out.calls += 1; out.error = error; out.result = result })
        tryVerify(function () { return out.calls === 1 }, 5000)
        compare(out.error, null)
        verify(out.result.ms > 1.6e12, "unix ms from the server")
    }

    function test_requestError() {
        const client = connectedClient()
        const out = call(client, "fail", { code: "nope", msg: "not today", data: { retry: false } })
        verify(out.error !== null, "an error")
        compare(out.error.serverCode, "nope")
        compare(out.error.message.indexOf("not today") >= 0, true, out.error.message)
        compare(out.error.data.retry, false)
        compare(out.error.kind, Error.Remote)
        compare(out.result, undefined)
    }

    function test_requestUnknownMethod() {
        const client = connectedClient()
        const out = call(client, "no.such.method", null)
        compare(out.error.serverCode, "unknown_method")
    }

    function test_requestTimeout() {
        const client = connectedClient()
        const out = { calls: 0 }
        client.request("sleep", { ms: 3000 }, function (error, result) { out.calls += 1; out.error = error },
                       { timeout: 200 })
        tryVerify(function () { return out.calls === 1 }, 2500)
        compare(out.error.name, "Timeout")
    }

    function test_requestInvalidParamsFailsAsynchronously() {
        const client = connectedClient()
        const out = call(client, "echo", { f: testCase })
        compare(out.error.name, "InvalidPayload")
    }

    // Every JS value kind survives a round trip through the server unchanged.
    function test_echoRoundTrip_data() {
        return [
            { tag: "null", value: null },
            { tag: "true", value: true },
            { tag: "false", value: false },
            { tag: "zero", value: 0 },
            { tag: "negative integer", value: -42 },
            { tag: "2^40 stays exact", value: 1099511627776 },
            { tag: "fraction", value: 1.25 },
            { tag: "empty string", value: "" },
            { tag: "unicode string", value: "héllo ✓ 𝄞" },
            { tag: "empty array", value: [] },
            { tag: "mixed array", value: [1, "a", null, false, [2], { k: "v" }] },
            { tag: "empty object", value: {} },
            { tag: "nested object", value: { a: { b: { c: [1, 2, 3] } }, s: "x", n: null } },
        ]
    }
    function test_echoRoundTrip(data) {
        const client = connectedClient()
        const out = call(client, "echo", data.value)
        compare(out.error, null)
        compare(out.result, data.value)
        compare(typeof out.result, typeof data.value)
    }

    function test_integersGoAsIntegers() {
        // The server's `push` wants an unsigned integer `count`: 3.0 would be refused.
        const client = connectedClient()
        const out = call(client, "push", { count: 3, ch: "ints" })
        compare(out.error, null)
        compare(out.result.count, 3)
    }

    function test_undefinedMembersAreOmitted() {
        const client = connectedClient()
        const out = call(client, "echo", { a: 1, gone: undefined, f: function () {}, arr: [undefined] })
        compare(out.result, { a: 1, arr: [null] })
    }

    function test_dateBecomesIsoString() {
        const client = connectedClient()
        const out = call(client, "echo", { when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) })
        compare(out.result.when, "2024-01-02T03:04:05.006Z")
    }

    function test_bytesRoundTripWithCbor_data() {
        return [
            { tag: "ArrayBuffer", make: function () { const b = new Uint8Array([0, 1, 254, 255]); return b.buffer } },
            { tag: "Uint8Array", make: function () { return new Uint8Array([0, 1, 254, 255]) } },
            { tag: "Uint8Array window", make: function () { return new Uint8Array([9, 0, 1, 254, 255, 9]).subarray(1, 5) } },
        ]
    }
    function test_bytesRoundTripWithCbor(data) {
        const client = connectedClient({ codec: Tether.Codec.Cbor })
        compare(client.subprotocol, "tether.v1.1.cbor")
        const out = call(client, "echo", { bytes: data.make() })
        compare(out.error, null)
        verify(out.result.bytes instanceof ArrayBuffer, "bytes come back as an ArrayBuffer")
        compare(Array.from(new Uint8Array(out.result.bytes)), [0, 1, 254, 255])
    }

    function test_bytesWithJsonAreRefused() {
        const client = connectedClient()
        const refused = spy(client, "sendRefused")
        compare(client.send(new Uint8Array([1, 2]).buffer), "")
        compare(refused.count, 1)
        verify(refused.signalArguments[0][0].message.length > 0)
    }

    function test_messageReceivedAndStats() {
        const client = connectedClient()
        const received = spy(client, "messageReceived")
        const out = call(client, "push", { count: 5, ch: "direct.test", d: { hello: "there" } })
        compare(out.error, null)
        tryCompare(received, "count", 5, 5000)
        compare(received.signalArguments[4][0], { hello: "there" })
        compare(received.signalArguments[4][1], "direct.test")
        verify(received.signalArguments[4][2].length > 0, "server messages carry an id")
        const stats = client.stats
        verify(stats.received >= 5, "stats.received " + stats.received)
        compare(typeof stats.queueDepth, "number")
    }

    function test_heartbeatRtt() {
        // The test server asks for a 500 ms heartbeat (welcome.hb).
        const client = connectedClient()
        const beats = spy(client, "heartbeat")
        tryVerify(function () { return client.lastRtt >= 0 }, 3000, "an RTT after the first pong")
        tryVerify(function () { return beats.count >= 1 }, 1000)
        verify(beats.signalArguments[0][0] >= 0)
    }

    function test_optionGroupsMirrorDefaults() {
        const client = makeClient({ active: false })
        compare(client.heartbeat.interval, 15000)
        compare(client.heartbeat.timeout, 10000)
        compare(client.queue.maxMessages, 10000)
        compare(client.queue.maxInFlight, 256)
        compare(client.queue.overflow, Tether.OverflowPolicy.RejectNew)
        compare(client.backoff.multiplier, 2)
        compare(client.backoff.jitter, Tether.JitterMode.Full)
        compare(client.backoff.initialDelay, 100, "set by the test component")
        compare(client.codec, Tether.Codec.Json)
        compare(client.requestTimeout, 30000)
        compare(client.tls.verifyPeer, true)
    }
}
