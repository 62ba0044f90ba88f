// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Channel: latest for bindings, onMessage, publish, shared subscriptions, refused names,
// and re-subscription after the server restarts (a new session).
import QtQuick
import QtTest
import Tether

TestCase {
    id: testCase
    name: "Channel"

    Component {
        id: clientComponent
        Client {
            url: testServer.url
            active: true
            backoff.initialDelay: 100
            backoff.maxDelay: 300
            backoff.initialJitter: 0
        }
    }
    Component {
        id: channelComponent
        Channel {}
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }
    // A binding on latest, as a dashboard would write it.
    Component {
        id: gaugeComponent
        Item {
            property Channel source
            property real connections: source && source.latest ? source.latest.connections : -1
        }
    }

    // Declared together: the Channel completes before the Client has applied its options.
    Component {
        id: declaredComponent
        Item {
            property alias link: link
            property alias feed: feed
            Client { id: link; url: testServer.url; active: true; codec: Tether.Codec.Cbor }
            Channel { id: feed; client: link; name: "metrics" }
        }
    }

    function connectedClient() {
        const client = createTemporaryObject(clientComponent, testCase)
        tryCompare(client, "state", Tether.State.Connected, 5000, "connected to " + testServer.url)
        return client
    }
    function channel(client, name, extra) {
        const props = Object.assign({ client: client, name: name }, extra || {})
        return createTemporaryObject(channelComponent, testCase, props)
    }
    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }
    // The publications a Channel receives, without the server's presence events
    // ({presence: "join"|"leave"}) that subscribing clients cause.
    function publications(ch) {
        const got = []
        ch.message.connect(function (payload, id) {
            if (!(payload && payload.presence))
                got.push({ payload: payload, id: id })
        })
        return got
    }

    function test_latestFollowsMetrics() {
        const client = connectedClient()
        const metrics = channel(client, "metrics", { active: false })
        const gauge = createTemporaryObject(gaugeComponent, testCase, { source: metrics })
        compare(gauge.connections, -1, "nothing before the first publication")
        metrics.active = true
        tryCompare(metrics, "subscribed", true, 5000)
        tryVerify(function () { return metrics.received >= 2 }, 5000, "two metrics samples")
        verify(gauge.connections >= 1, "the binding follows latest: " + gauge.connections)
        verify(metrics.latest.ts > 1.6e12)
        verify(metrics.latestId.length > 0)
        const first = metrics.latest.ts
        tryVerify(function () { return metrics.latest.ts > first }, 5000, "latest moves on")
    }

    function test_declaredWithItsClient() {
        const item = createTemporaryObject(declaredComponent, testCase)
        tryCompare(item.link, "state", Tether.State.Connected, 5000)
        compare(item.link.subprotocol, "tether.v1.1.cbor", "options applied")
        tryCompare(item.feed, "subscribed", true, 5000)
        tryVerify(function () { return item.feed.received >= 1 }, 5000)
    }

    function test_optionsChangedWhileStoppedKeepSubscriptions() {
        const client = createTemporaryObject(clientComponent, testCase, { active: false })
        const metrics = channel(client, "metrics")   // its sub waits, encoded as JSON
        client.heartbeat.timeout = 9000
        client.codec = Tether.Codec.Cbor                    // stopped, nothing queued: at once, sub re-encoded
        client.active = true
        tryCompare(client, "state", Tether.State.Connected, 5000)
        compare(client.subprotocol, "tether.v1.1.cbor")
        tryCompare(metrics, "subscribed", true, 5000)
        tryVerify(function () { return metrics.received >= 1 }, 5000)
    }

    function test_optionsChangedWhileConnectedApplyLive() {
        const client = connectedClient()
        const metrics = channel(client, "metrics")
        tryCompare(metrics, "subscribed", true, 5000)
        const delivered = spy(client, "delivered")
        const refused = spy(client, "sendRefused")
        const disconnects = spy(client, "disconnected")
        const errors = spy(client, "errorOccurred")
        verify(client.send({ before: true }).length > 0)
        tryCompare(delivered, "count", 1, 5000)
        const session = client.sessionId
        // Numbers, not the value type: a property read may be a live reference.
        const ackedBefore = client.stats.acked
        const receivedBefore = client.stats.received

        client.heartbeat.timeout = 9000
        client.backoff.maxDelay = 1000
        client.queue.maxInFlight = 32
        client.queue.maxMessages = 1     // live: the next send beyond it is refused
        compare(client.state, Tether.State.Connected)
        compare(client.sessionId, session)
        compare(metrics.subscribed, true)
        verify(client.send({ first: true }).length > 0)
        compare(client.send({ second: true }), "", "the new bound holds at once")
        compare(refused.count, 1)
        compare(refused.signalArguments[0][0].name, "QueueFull")
        tryCompare(delivered, "count", 2, 5000)

        compare(client.stats.acked, ackedBefore + 1, "counters go on")
        verify(client.stats.received >= receivedBefore)
        const seen = metrics.received
        tryVerify(function () { return metrics.received > seen }, 5000, "the subscription goes on")
        compare(disconnects.count, 0)
        compare(errors.count, 0)
    }

    function test_invalidOptionRefusedWhileConnected() {
        const client = connectedClient()
        const errors = spy(client, "errorOccurred")
        ignoreWarning(/options not applied: invalid options: the max in flight must be at least 1/)
        client.queue.maxInFlight = 0
        compare(errors.count, 1)
        compare(errors.signalArguments[0][0].name, "InvalidArgument")
        compare(errors.signalArguments[0][0].fatal, false)
        compare(client.state, Tether.State.Connected)
        client.queue.maxInFlight = 16      // valid again: applied, no new error
        compare(errors.count, 1)
        const delivered = spy(client, "delivered")
        client.send("still working")
        tryCompare(delivered, "count", 1, 5000)
    }

    function test_codecChangeWhileConnectedWaitsForTheNextConnection() {
        const client = connectedClient()
        const metrics = channel(client, "metrics")
        tryCompare(metrics, "subscribed", true, 5000)
        client.codec = Tether.Codec.Cbor
        compare(client.state, Tether.State.Connected, "no reconnect for a codec change")
        compare(client.subprotocol, "tether.v1.1.json", "never under an open socket")
        client.active = false
        tryCompare(client, "state", Tether.State.Closed, 5000)
        client.active = true
        tryCompare(client, "state", Tether.State.Connected, 5000)
        compare(client.subprotocol, "tether.v1.1.cbor")
        tryCompare(metrics, "subscribed", true, 5000)
        const seen = metrics.received
        tryVerify(function () { return metrics.received > seen }, 5000)
    }

    function test_publishReachesAnotherClient() {
        const alice = connectedClient()
        const bob = connectedClient()
        const bobRoom = channel(bob, "room.publish")
        const aliceRoom = channel(alice, "room.publish")
        const bobGot = publications(bobRoom)
        const aliceGot = publications(aliceRoom)
        tryCompare(bobRoom, "subscribed", true, 5000)
        tryCompare(aliceRoom, "subscribed", true, 5000)
        const id = aliceRoom.publish({ text: "hi bob", n: 7 })
        verify(id.length > 0)
        tryVerify(function () { return bobGot.length === 1 }, 5000)
        compare(bobGot[0].payload, { text: "hi bob", n: 7 })
        compare(bobGot[0].id, id, "the publisher's id is kept")
        compare(bobRoom.latest.text, "hi bob")
        compare(bobRoom.latestId, id)
        wait(100)
        compare(aliceGot.length, 0, "no echo to the publisher")
    }

    function test_twoChannelsShareOneSubscription() {
        const alice = connectedClient()
        const bob = connectedClient()
        const first = channel(bob, "room.shared")
        const second = channel(bob, "room.shared")
        const firstGot = publications(first)
        const secondGot = publications(second)
        tryCompare(first, "subscribed", true, 5000)
        tryCompare(second, "subscribed", true, 5000)
        second.active = false
        compare(second.subscribed, false)
        compare(first.subscribed, true, "the other Channel keeps the subscription")
        channel(alice, "room.shared", { active: false }).publish("still here")
        tryVerify(function () { return firstGot.length === 1 }, 5000)
        compare(first.latest, "still here")
        compare(secondGot.length, 0, "an inactive Channel hears nothing")
    }

    function test_inactiveAndRenamed() {
        const alice = connectedClient()
        const bob = connectedClient()
        const ch = channel(bob, "room.a", { active: false })
        const got = publications(ch)
        wait(100)
        compare(ch.subscribed, false)
        ch.active = true
        tryCompare(ch, "subscribed", true, 5000)
        ch.name = "room.b"
        tryCompare(ch, "subscribed", true, 5000)
        const publisher = channel(alice, "room.a", { active: false })  // publishing needs no subscription
        publisher.publish("to a")
        publisher.name = "room.b"
        publisher.publish("to b")
        tryVerify(function () { return got.length === 1 }, 5000)
        compare(got[0].payload, "to b")
        compare(ch.latest, "to b")
    }

    function test_refusedChannelName() {
        const client = connectedClient()
        let longName = ""
        for (let i = 0; i < 201; ++i)
            longName += "x"
        const ch = channel(client, longName)
        const errors = spy(ch, "errorOccurred")
        tryCompare(errors, "count", 1, 5000)
        compare(errors.signalArguments[0][0].serverCode, "bad_channel")
        verify(ch.errorString.length > 0)
        compare(ch.subscribed, false)
    }

    function test_publishRefusals() {
        const client = connectedClient()
        const unnamed = channel(client, "")
        const errors = spy(unnamed, "errorOccurred")
        compare(unnamed.publish("x"), "")
        compare(errors.count, 1)
        compare(errors.signalArguments[0][0].name, "InvalidArgument")
        const noClient = channel(null, "room.x")
        compare(noClient.publish("x"), "")
    }

    function test_resubscribedAfterServerRestart() {
        const alice = connectedClient()
        const bob = connectedClient()
        const bobRoom = channel(bob, "room.restart")
        const got = publications(bobRoom)
        tryCompare(bobRoom, "subscribed", true, 5000)
        const lost = spy(bob, "sessionLost")
        const reconnecting = spy(bob, "reconnecting")

        verify(testServer.restart(), "server restarted")
        tryCompare(bob, "state", Tether.State.Connected, 10000, "bob back")
        tryCompare(alice, "state", Tether.State.Connected, 10000, "alice back")
        verify(reconnecting.count >= 1, "bob went through Reconnecting")
        tryCompare(lost, "count", 1, 5000, "the restarted server had no session: new one")
        tryCompare(bobRoom, "subscribed", true, 5000)

        // The subscription is live again on the server: a publication reaches bob.
        channel(alice, "room.restart", { active: false }).publish({ after: "restart" })
        tryVerify(function () { return got.length === 1 }, 5000)
        compare(got[0].payload.after, "restart")
        compare(bobRoom.latest.after, "restart")
    }
}
