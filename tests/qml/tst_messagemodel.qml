// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// MessageModel: bounded, batched (a flood does not freeze a ListView), own-message status
// (queued -> sent -> delivered, rejected, dropped), history on subscribe.
import QtQuick
import QtTest
import Tether

TestCase {
    id: testCase
    name: "MessageModel"
    when: windowShown
    width: 400
    height: 400

    Component {
        id: clientComponent
        Client {
            url: testServer.url
            backoff.initialDelay: 100
            backoff.initialJitter: 0
        }
    }
    Component {
        id: channelComponent
        Channel {}
    }
    Component {
        id: modelComponent
        MessageModel {}
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }
    Component {
        id: listComponent
        ListView {
            width: 400
            height: 400
            delegate: Text {
                required property var payload
                required property int status
                text: (payload && payload.n !== undefined ? payload.n : "") + " " + status
            }
        }
    }

    function client(active) {
        const c = createTemporaryObject(clientComponent, testCase, { active: active })
        if (active)
            tryCompare(c, "state", Tether.State.Connected, 5000, "connected to " + testServer.url)
        return c
    }
    function channel(c, name) {
        const ch = createTemporaryObject(channelComponent, testCase, { client: c, name: name })
        return ch
    }
    function model(ch, extra) {
        return createTemporaryObject(modelComponent, testCase, Object.assign({ channel: ch }, extra || {}))
    }
    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }
    function push(c, props) {
        const out = { done: false }
        c.request("push", props, function (error, result) { out.error = error; out.done = true })
        tryVerify(function () { return out.done }, 10000, "push answered")
        compare(out.error, null)
    }

    function test_boundedAndBatched() {
        const c = client(true)
        const ch = channel(c, "flood.bounded")
        const m = model(ch, { capacity: 100 })
        const inserted = spy(m, "rowsInserted")
        push(c, { count: 3000, ch: "flood.bounded" })
        tryCompare(ch, "received", 3000, 10000)
        m.flush()
        compare(m.count, 100, "capacity holds")
        compare(m.get(99).payload.n, 3000, "the newest is last")
        compare(m.get(0).payload.n, 2901, "the oldest kept")
        compare(m.get(0).channel, "flood.bounded")
        compare(m.get(0).status, MessageModel.Received)
        compare(m.get(0).own, false)
        verify(m.get(0).messageId.length > 0)
        verify(m.get(0).time instanceof Date)
        verify(inserted.count < 300, "batched: " + inserted.count + " inserts for 3000 messages")
        compare(m.get(100), undefined)
    }

    function test_capacityShrinks() {
        const c = client(true)
        const ch = channel(c, "flood.shrink")
        const m = model(ch, { capacity: 50 })
        push(c, { count: 40, ch: "flood.shrink" })
        tryCompare(ch, "received", 40, 5000)
        m.flush()
        compare(m.count, 40)
        m.capacity = 10
        compare(m.count, 10)
        compare(m.get(0).payload.n, 31)
        m.clear()
        compare(m.count, 0)
    }

    // 20 000 messages into a ListView: the event loop keeps turning (no long freeze) and
    // the view ends on the newest rows.
    function test_floodDoesNotFreezeListView() {
        const c = client(true)
        const ch = channel(c, "flood.view")
        const m = model(ch, { capacity: 500 })
        const view = createTemporaryObject(listComponent, testCase, { model: m })
        let last = Date.now()
        let worstGap = 0
        const ticker = Qt.createQmlObject("import QtQuick; Timer { interval: 10; repeat: true; running: true }", testCase)
        ticker.triggered.connect(function () {
            const now = Date.now()
            worstGap = Math.max(worstGap, now - last)
            last = now
        })
        const started = Date.now()
        push(c, { count: 20000, ch: "flood.view", reliable: false })
        tryCompare(ch, "received", 20000, 20000)
        const elapsed = Date.now() - started
        m.flush()
        view.positionViewAtEnd()
        ticker.destroy()
        compare(m.count, 500)
        compare(view.count, 500)
        console.log("20000 messages in " + elapsed + " ms, longest event-loop gap " + worstGap + " ms")
        verify(worstGap < 1500, "the loop kept turning: longest gap " + worstGap + " ms")
    }

    function test_ownStatusDelivered() {
        const c = client(false)
        const ch = channel(c, "room.status")
        const m = model(ch, { updateInterval: 0 })
        const id = m.publish({ text: "queued first" })
        verify(id.length > 0)
        m.flush()
        compare(m.count, 1)
        compare(m.get(0).own, true)
        compare(m.get(0).messageId, id)
        compare(m.get(0).status, MessageModel.Queued, "queued while not connected")
        const changed = spy(m, "dataChanged")
        c.active = true
        tryCompare(c, "state", Tether.State.Connected, 5000)
        tryVerify(function () { m.flush(); return m.get(0).status === MessageModel.Delivered }, 5000,
                  "delivered after connecting")
        verify(changed.count >= 1, "the view was told")

        const second = ch.publish("published through the channel")
        m.flush()
        compare(m.get(1).messageId, second, "the model shows the channel's own publications too")
        // Written during the publish (v1), or when the event-loop turn ends (v1.1 batches).
        tryVerify(function () {
            m.flush()
            return m.get(1).status === MessageModel.Written || m.get(1).status === MessageModel.Delivered
        }, 5000, "written while connected")
        tryVerify(function () { m.flush(); return m.get(1).status === MessageModel.Delivered }, 5000)
    }

    function test_restoredMessagesShownQueued() {
        const path = testServer.tempPath("model-store.db")
        const a = createTemporaryObject(clientComponent, testCase, { active: false, storage: path })
        compare(a.durability, Tether.Durability.CrashSafe, "the default with a store")
        const ma = model(channel(a, "room.stored"), { updateInterval: 0 })
        const persisted = spy(a, "persisted")
        const first = ma.publish({ text: "kept 1" })
        const second = ma.publish({ text: "kept 2" })
        tryCompare(persisted, "count", 2, 5000, "both written to the store")
        a.destroy()   // as if the app quit while offline
        wait(0)

        const b = createTemporaryObject(clientComponent, testCase, { active: false, storage: path })
        compare(b.restoredCount, 2)
        compare(b.queueDepth, 2)
        const mb = model(channel(b, "room.stored"), { updateInterval: 0 })
        mb.flush()
        compare(mb.count, 2, "restored messages are in the model")
        compare(mb.get(0).messageId, first)
        compare(mb.get(1).messageId, second)
        compare(mb.get(0).own, true)
        compare(mb.get(0).status, MessageModel.Queued)
        compare(mb.get(1).payload.text, "kept 2")
        b.active = true
        tryVerify(function () {
            mb.flush()
            return mb.get(0).status === MessageModel.Delivered && mb.get(1).status === MessageModel.Delivered
        }, 5000, "the restored messages are delivered")
    }

    function test_ownStatusRejected() {
        const c = client(true)
        const ch = channel(c, "readonly.model")
        const m = model(ch, { updateInterval: 0 })
        m.publish({ text: "not allowed" })
        tryVerify(function () { m.flush(); return m.count === 1 && m.get(0).status === MessageModel.Rejected }, 5000)
        verify(m.get(0).errorString.length > 0)
    }

    function test_ownStatusDroppedAndAtMostOnceSent() {
        const c = client(false)
        c.queue.maxMessages = 1
        c.queue.overflow = Tether.OverflowPolicy.DropOldest
        const ch = channel(c, "room.drop")
        const m = model(ch, { updateInterval: 0 })
        m.publish("pushed out")
        m.publish({ kept: true }, { delivery: Tether.Delivery.AtMostOnce })
        tryVerify(function () { m.flush(); return m.count === 2 && m.get(0).status === MessageModel.Dropped }, 3000)
        compare(m.get(0).errorString, "QueueFull")
        compare(m.get(1).status, MessageModel.Queued)
        c.active = true
        tryVerify(function () { m.flush(); return m.get(1).status === MessageModel.Sent }, 5000,
                  "an at-most-once message ends as Sent")
    }

    function test_historyOnSubscribe() {
        const alice = client(true)
        const publisher = channel(alice, "room.history")
        const delivered = spy(alice, "delivered")
        for (let i = 1; i <= 3; ++i)
            publisher.publish({ n: i })
        tryCompare(delivered, "count", 3, 5000)

        const bob = client(true)
        const ch = channel(bob, "room.history")
        const m = model(ch, { fetchHistory: true, historyLimit: 10 })
        tryCompare(m, "count", 3, 5000)
        compare(m.get(0).payload.n, 1)
        compare(m.get(2).payload.n, 3)
        compare(m.get(2).status, MessageModel.Received)

        // Live messages follow the history, and a message already shown is not repeated.
        publisher.publish({ n: 4 })
        tryVerify(function () { m.flush(); return m.count === 4 }, 5000)
        compare(m.get(3).payload.n, 4)
    }
}
