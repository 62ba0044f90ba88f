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
        tryCompare(client, "state", Client.Connected, 5000)
        const changes = spy(client, "statsChanged")
        verify(client.send({ hello: "stats" }).length > 0)
        tryVerify(function () { return changes.count >= 1 }, 3000, "statsChanged without polling")
        tryVerify(function () { return client.stats.acked >= 1 }, 3000)
        verify(client.stats.bytesOut > 0)
        verify(client.stats.bytesIn > 0)
        verify(client.stats.connectedSince.getTime() <= Date.now())
        compare(typeof client.stats.offlineMs, "number")
    }

    function test_wrapsACppClient() {
        const core = testServer.makeCppClient()
        const ui = createTemporaryObject(wrapperComponent, testCase, { client: core })
        compare(ui.client, core)
        compare(ui.url, testServer.url)          // the C++ client's endpoint
        tryCompare(ui, "state", Client.Connected, 5000)
        compare(core.state, ui.state)            // one connection, seen from both sides
        const delivered = spy(ui, "delivered")
        verify(ui.send({ from: "qml" }).length > 0)
        tryCompare(delivered, "count", 1, 5000)
        compare(core.stats.acked, 1)             // the C++ client did the work
    }
}
