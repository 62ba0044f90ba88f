// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// App lifecycle and network hooks: returning to the foreground (or a network change)
// reconnects at once instead of waiting out the backoff; the background policy closes the
// socket after a delay, keeps the outbox, and reconnects on activation.
import QtQuick
import QtTest
import Tether

TestCase {
    id: testCase
    name: "Lifecycle"

    Component {
        id: clientComponent
        Client {
            url: testServer.url
            active: true
            // A backoff far longer than any wait below: only a hook can bring it back fast.
            backoff.initialDelay: 60000
            backoff.maxDelay: 60000
            backoff.initialJitter: 1   // the first retry after a drop: at once
            backoff.jitter: Tether.JitterMode.None
        }
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }

    function connectedClient(props) {
        const c = createTemporaryObject(clientComponent, testCase, props || {})
        tryCompare(c, "state", Tether.State.Connected, 5000, "connected to " + testServer.url)
        return c
    }
    function spy(target, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: target, signalName: signalName })
    }
    function cleanup() {
        testServer.setApplicationState(Qt.ApplicationActive)
        if (!testServer.isRunning())
            verify(testServer.start(), "server back for the next test")
    }

    // Server down, first retry failed, the next one 60 s away.
    function waitForLongBackoff(c) {
        verify(testServer.stop(), "server stopped")
        tryVerify(function () { return c.reconnectAttempt >= 2 }, 5000, "a long backoff is scheduled")
        compare(c.state, Tether.State.Reconnecting)
        verify(c.reconnectAt - Date.now() > 30000, "next attempt in " + (c.reconnectAt - Date.now()) + " ms")
        verify(testServer.start(), "server started again")
        wait(300)
        compare(c.state, Tether.State.Reconnecting, "still waiting out the backoff")
    }

    function test_returningToForegroundReconnectsAtOnce() {
        const c = connectedClient()
        waitForLongBackoff(c)
        testServer.setApplicationState(Qt.ApplicationInactive)
        testServer.setApplicationState(Qt.ApplicationActive)
        tryCompare(c, "state", Tether.State.Connected, 3000, "reconnected right after activation")
        compare(c.reconnectAttempt, 0)
        compare(c.reconnectAt, 0)
    }

    function test_networkChangeReconnectsAtOnce() {
        const c = connectedClient()
        waitForLongBackoff(c)
        c.notifyNetworkChanged()
        tryCompare(c, "state", Tether.State.Connected, 3000)
    }

    function test_followAppStateOff() {
        const c = connectedClient({ followAppState: false })
        waitForLongBackoff(c)
        testServer.setApplicationState(Qt.ApplicationInactive)
        testServer.setApplicationState(Qt.ApplicationActive)
        wait(500)
        compare(c.state, Tether.State.Reconnecting, "ignores the app state when told to")
        c.notifyAppStateChanged(Qt.ApplicationActive)
        tryCompare(c, "state", Tether.State.Connected, 3000, "the explicit hook still works")
    }

    function test_backgroundPolicyClosesAndResumes() {
        const c = connectedClient({ backgroundCloseDelay: 200 })
        const delivered = spy(c, "delivered")
        testServer.setApplicationState(Qt.ApplicationSuspended)
        compare(c.suspended, false, "not before the delay")
        tryCompare(c, "suspended", true, 3000)
        tryCompare(c, "state", Tether.State.Closed, 3000)
        compare(c.active, true, "still wanted: it reopens on activation")

        const id = c.send({ written: "in the background" })
        verify(id.length > 0)
        compare(c.queueDepth, 1, "kept in the outbox")
        wait(100)
        compare(delivered.count, 0)

        const sessionBefore = c.sessionId
        const lost = spy(c, "sessionLost")
        testServer.setApplicationState(Qt.ApplicationActive)
        compare(c.suspended, false)
        tryCompare(c, "state", Tether.State.Connected, 5000)
        tryCompare(delivered, "count", 1, 5000)
        compare(delivered.signalArguments[0][0], id)
        compare(c.resumed, true, "the server kept the session (closed with 1001, not 1000)")
        compare(c.sessionId, sessionBefore)
        compare(lost.count, 0)
    }

    function test_backgroundPolicyCancelledByQuickReturn() {
        const c = connectedClient({ backgroundCloseDelay: 400 })
        testServer.setApplicationState(Qt.ApplicationSuspended)
        wait(100)
        testServer.setApplicationState(Qt.ApplicationActive)
        wait(600)
        compare(c.suspended, false)
        compare(c.state, Tether.State.Connected)
    }

    function test_backgroundPolicyOffByDefaultOnDesktop() {
        const c = connectedClient()
        compare(c.backgroundCloseDelay, -1)
        testServer.setApplicationState(Qt.ApplicationSuspended)
        wait(300)
        compare(c.state, Tether.State.Connected)
    }

    function test_networkInformationDegradesGracefully() {
        const c = connectedClient()
        // With or without a QNetworkInformation backend the client works; without one the
        // network is assumed reachable.
        compare(typeof c.networkBackend, "string")
        if (c.networkBackend === "")
            compare(c.networkReachable, true)
    }
}
