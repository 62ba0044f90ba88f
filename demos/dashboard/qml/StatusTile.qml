// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The client's side of the story: state, heartbeat RTT, outbox depth, the reconnect
// countdown and the session; then the server's uptime and the age of the last sample.
import QtQuick
import Tether

Tile {
    id: status
    property Client client
    property var sample: null
    property real now: Date.now()

    title: "Connection"
    detail: client ? client.subprotocol : ""

    // Pushed by the client (statsChanged, throttled to client.statsInterval): no polling.
    readonly property var stats: client ? client.stats : null
    // The clock only moves the countdown and the sample's age.
    Timer {
        interval: 250
        repeat: true
        running: true
        triggeredOnStart: true
        onTriggered: status.now = Date.now()
    }

    component Row2: Item {
        property string label
        property string value
        property color valueColor: Theme.text
        property bool mono: false
        width: parent ? parent.width : 0
        height: 34
        Text {
            anchors { left: parent.left; verticalCenter: parent.verticalCenter }
            text: parent.label
            color: Theme.textMuted
            font { family: Theme.fontFamily; pixelSize: 13 }
        }
        Text {
            anchors { right: parent.right; verticalCenter: parent.verticalCenter }
            width: Math.min(implicitWidth, parent.width * 0.62)
            horizontalAlignment: Text.AlignRight
            elide: Text.ElideMiddle
            text: parent.value
            color: parent.valueColor
            font { family: parent.mono ? Theme.monoFamily : Theme.fontFamily; pixelSize: 14; weight: Font.DemiBold }
        }
        Rectangle {
            anchors { left: parent.left; right: parent.right; bottom: parent.bottom }
            height: 1
            color: Theme.border
            opacity: 0.6
        }
    }

    Column {
        anchors.fill: parent
        spacing: 2

        Item {
            width: parent.width
            height: 70
            Text {
                id: bigState
                objectName: "statusState"
                anchors { left: parent.left; top: parent.top; topMargin: 2 }
                text: status.client ? status.client.stateName : "–"
                color: Theme.stateColor(status.client ? status.client.state : 0)
                font { family: Theme.fontFamily; pixelSize: 30; weight: Font.DemiBold }
            }
            Text {
                anchors { left: parent.left; top: bigState.bottom; topMargin: 2 }
                width: parent.width
                elide: Text.ElideRight
                color: Theme.textMuted
                font { family: Theme.fontFamily; pixelSize: 12 }
                text: !status.client ? "" : status.client.state === Tether.State.Connected
                      ? (status.client.resumed ? "Session resumed — nothing was lost" : "New session")
                      : status.client.errorString
            }
        }
        Row2 {
            label: "Round trip"
            value: status.client && status.client.state === Tether.State.Connected && status.client.lastRtt >= 0
                   ? status.client.lastRtt.toFixed(2) + " ms" : "–"
        }
        Row2 {
            objectName: "statusQueue"
            label: "Queue depth"
            value: status.client ? status.client.queueDepth.toString() : "–"
            valueColor: status.client && status.client.queueDepth > 0 ? Theme.warn : Theme.text
        }
        Row2 {
            label: "Next attempt"
            value: {
                if (!status.client || status.client.reconnectAt <= 0)
                    return "–"
                const s = Math.max(0, Math.ceil((status.client.reconnectAt - status.now) / 1000))
                return "in " + s + " s · #" + status.client.reconnectAttempt
            }
            valueColor: status.client && status.client.reconnectAt > 0 ? Theme.warn : Theme.text
        }
        Row2 {
            label: "Session"
            value: status.client && status.client.sessionId ? status.client.sessionId : "–"
            mono: true
        }
        Row2 {
            label: "Server uptime"
            value: status.sample ? Theme.duration(status.sample.uptimeMs) : "–"
        }
        Row2 {
            label: "Last sample"
            value: status.sample ? Theme.duration(Math.max(0, status.now - status.sample.ts)) + " ago" : "–"
            valueColor: status.sample && status.now - status.sample.ts > 5000 ? Theme.warn : Theme.text
        }
        Row2 {
            label: "Channels"
            value: status.sample ? status.sample.channels.toString() : "–"
        }

        Text {
            topPadding: 22
            bottomPadding: 4
            text: "THIS CLIENT"
            color: Theme.textMuted
            font { family: Theme.fontFamily; pixelSize: 11; letterSpacing: 1.2; weight: Font.DemiBold }
        }
        Row2 {
            label: "Messages received"
            value: status.stats ? Theme.compact(status.stats.received) : "–"
        }
        Row2 {
            label: "Reconnect attempts"
            value: status.stats ? status.stats.reconnects.toString() : "–"
        }
        Row2 {
            label: "Sessions lost"
            value: status.stats ? status.stats.sessionsLost.toString() : "–"
        }
        Row2 {
            label: "Duplicates suppressed"
            value: status.stats ? status.stats.duplicatesSuppressed.toString() : "–"
        }
    }
}
