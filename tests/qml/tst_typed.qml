// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The C++ SDK's own types in QML (issue 15): Tether.* enums, Channel.status, the stats
// value type pushed by statsChanged, and a QML Client wrapping a C++ Tether::Client.
import QtQuick
import QtTest
import Tether

TestCase {
    id: testCase
    name: "Typed"

    Component {
        id: clientComponent
        Client {
            url: testServer.url
            active: true
            statsInterval: 50
            backoff.initialDelay: 100
            backoff.initialJitter: 0
        }
    }
    Component {
        id: wrapperComponent
        Client {}
    }
    Component {
        id: channelComponent
        Channel {}
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }

    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }

    function test_enumsAreTheSdks() {
        // One vocabulary: the values are Tether::'s own (types.h), not copies.
        compare(Tether.SubscriptionStatus.Unsubscribed, 0)
        compare(Tether.SubscriptionStatus.Subscribed, 2)
        compare(Tether.MessageStatus.Written, 1)
        compare(Tether.MessageStatus.Persisted, 5)
    }

    function test_channelStatusFollowsTheSubscription() {
        const client = createTemporaryObject(clientComponent, testCase)
        const metrics = createTemporaryObject(channelComponent, testCase, { client: client, name: "metrics" })
        verify(metrics.status === Tether.SubscriptionStatus.Pending
               || metrics.status === Tether.SubscriptionStatus.Subscribed)
        tryCompare(metrics, "status", Tether.SubscriptionStatus.Subscribed, 5000)
        compare(metrics.subscribed, true)
        metrics.active = false
        compare(metrics.status, Tether.SubscriptionStatus.Unsubscribed)
        compare(metrics.subscribed, false)
    }

    function test_refusedChannelIsAnError() {
        const client = createTemporaryObject(clientComponent, testCase)
        const bad = createTemporaryObject(channelComponent, testCase, { client: client, name: "x".repeat(201) })
        tryCompare(bad, "status", Tether.SubscriptionStatus.Error, 5000)
        verify(bad.errorString.length > 0)
    }

    function test_statsArePushed() {
        const client = createTemporaryObject(clientComponent, testCase)
        tryCompare(client, "state", Tether.State.Connected, 5000)
        const changes = spy(client, "statsChanged")
        verify(client.send({ hello: "stats" }).length > 0)
        tryVerify(function () { return changes.count >= 1 }, 3000, "statsChanged without polling")
        tryVerify(function () { return client.stats.acked >= 1 }, 3000)
        verify(client.stats.bytesOut > 0)
        verify(client.stats.bytesIn > 0)
        verify(client.stats.connectedSince.getTime() <= Date.now())
        compare(typeof client.stats.offlineMs, "number")
    }

    function test_enumPropertiesAreTyped() {
        const client = createTemporaryObject(clientComponent, testCase, {
            active: false, codec: Tether.Codec.Cbor, durability: Tether.Durability.PowerSafe,
            "backoff.jitter": Tether.JitterMode.Equal, "queue.overflow": Tether.OverflowPolicy.DropOldest })
        compare(client.state, Tether.State.Idle)
        compare(client.stateName, "Idle")
        compare(client.codec, Tether.Codec.Cbor)
        compare(client.durability, Tether.Durability.PowerSafe)
        compare(client.backoff.jitter, Tether.JitterMode.Equal)
        compare(client.queue.overflow, Tether.OverflowPolicy.DropOldest)
        client.active = true  // the options reach the C++ client
        const applied = testServer.optionsOf(client.client)
        compare(applied.codec, Tether.Codec.Cbor)
        compare(applied.durability, Tether.Durability.PowerSafe)
        compare(applied.jitter, Tether.JitterMode.Equal)
        compare(applied.overflow, Tether.OverflowPolicy.DropOldest)
        compare(applied.followNetwork, true)  // QML follows the network by default
        tryCompare(client, "state", Tether.State.Connected, 5000)
        compare(client.networkReachable, true)
    }

    function test_errorIsAValueType() {
        const client = createTemporaryObject(clientComponent, testCase, { url: "", active: false })
        compare(client.error.isError, false)
        compare(client.error.code, Error.NoError)
        const errors = spy(client, "errorOccurred")
        client.active = true
        tryCompare(errors, "count", 1, 2000)
        const e = errors.signalArguments[0][0]
        compare(e.code, Error.NoUrl)
        compare(e.name, "NoUrl")
        compare(e.kind, Error.Local)
        compare(e.fatal, true)
        compare(client.error.code, Error.NoUrl)
        compare(client.error.isError, true)
        verify(client.error.message.length > 0)
    }

    // Two Channels of one name hold one Tether::Subscription (its holders); when one goes,
    // the other keeps receiving; when the last goes, the channel is unsubscribed.
    function test_channelsShareOneSubscription() {
        const client = createTemporaryObject(clientComponent, testCase)
        tryCompare(client, "state", Tether.State.Connected, 5000)
        const first = createTemporaryObject(channelComponent, testCase, { client: client, name: "metrics" })
        const second = createTemporaryObject(channelComponent, testCase, { client: client, name: "metrics" })
        tryCompare(second, "status", Tether.SubscriptionStatus.Subscribed, 5000)
        compare(testServer.holdersOf(client.client, "metrics"), 2)
        first.destroy()
        tryVerify(function () { return testServer.holdersOf(client.client, "metrics") === 1 }, 2000)
        compare(second.status, Tether.SubscriptionStatus.Subscribed)  // the other keeps it
        const seen = second.received
        tryVerify(function () { return second.received > seen }, 5000, "still receiving")
        compare(testServer.channelsOf(client.client), ["metrics"])
        second.destroy()
        tryVerify(function () { return testServer.channelsOf(client.client).length === 0 }, 2000)
        compare(testServer.holdersOf(client.client, "metrics"), 0)
    }

    function test_wrapsACppClient() {
        const core = testServer.makeCppClient()
        const ui = createTemporaryObject(wrapperComponent, testCase, { client: core })
        compare(ui.client, core)
        compare(ui.url, testServer.url)          // the C++ client's endpoint
        tryCompare(ui, "state", Tether.State.Connected, 5000)
        compare(core.state, ui.state)            // one connection, seen from both sides
        compare(ui.state, Tether.State.Connected)
        compare(ui.followNetwork, false)         // the C++ owner's choice, not QML's default
        compare(ui.codec, Tether.Codec.Json)
        const delivered = spy(ui, "delivered")
        verify(ui.send({ from: "qml" }).length > 0)
        tryCompare(delivered, "count", 1, 5000)
        compare(core.stats.acked, 1)             // the C++ client did the work
    }
}
