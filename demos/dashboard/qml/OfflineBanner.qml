// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Slides in under the header while the link is down (after the first connection), says
// when the next attempt is due and how much waits in the outbox, and offers "Retry now".
import QtQuick
import Tether

Item {
    id: banner
    property Client client
    property real now: Date.now()
    property bool everConnected: false
    readonly property bool offline: everConnected && client && client.state !== Tether.State.Connected
    readonly property int countdown: client && client.reconnectAt > 0
                                     ? Math.max(0, Math.ceil((client.reconnectAt - now) / 1000)) : 0

    objectName: "offlineBanner"
    visible: height > 0.5
    clip: true
    height: offline ? 52 : 0
    Behavior on height { NumberAnimation { duration: 220; easing.type: Easing.OutCubic } }

    Connections {
        target: banner.client
        function onConnected() { banner.everConnected = true }
    }
    Timer {
        interval: 250
        repeat: true
        running: banner.offline
        triggeredOnStart: true
        onTriggered: banner.now = Date.now()
    }

    Rectangle {
        anchors { fill: parent; bottomMargin: 8 }
        radius: 10
        color: Qt.rgba(Theme.warn.r, Theme.warn.g, Theme.warn.b, 0.12)
        border.color: Qt.rgba(Theme.warn.r, Theme.warn.g, Theme.warn.b, 0.5)

        Text {
            id: icon
            anchors { left: parent.left; leftMargin: 16; verticalCenter: parent.verticalCenter }
            text: "⚠"
            color: Theme.warn
            font { family: Theme.fontFamily; pixelSize: 18 }
        }
        Text {
            id: message
            objectName: "offlineMessage"
            anchors { left: icon.right; leftMargin: 12; right: retry.left; rightMargin: 12; verticalCenter: parent.verticalCenter }
            elide: Text.ElideRight
            color: Theme.text
            textFormat: Text.StyledText
            font { family: Theme.fontFamily; pixelSize: 14 }
            text: {
                if (!banner.client)
                    return ""
                let s = "<b>Offline</b> — the link to the server is down. "
                if (banner.client.state === Tether.State.Failed)
                    s += "Gave up: " + banner.client.errorString + "."
                else if (banner.countdown > 0)
                    s += "Reconnecting in " + banner.countdown + " s (attempt " + banner.client.reconnectAttempt + ")."
                else
                    s += "Reconnecting…"
                const q = banner.client.queueDepth
                return s + "  " + q + (q === 1 ? " message" : " messages") + " waiting."
            }
        }
        Rectangle {
            id: retry
            anchors { right: parent.right; rightMargin: 10; verticalCenter: parent.verticalCenter }
            width: retryText.implicitWidth + 28
            height: 30
            radius: 8
            color: retryArea.containsMouse ? Qt.lighter(Theme.warn, 1.1) : Theme.warn
            Text {
                id: retryText
                anchors.centerIn: parent
                text: "Retry now"
                color: Theme.background
                font { family: Theme.fontFamily; pixelSize: 13; weight: Font.DemiBold }
            }
            MouseArea {
                id: retryArea
                anchors.fill: parent
                hoverEnabled: true
                cursorShape: Qt.PointingHandCursor
                // Same path as a network change: try now instead of waiting out the backoff.
                onClicked: banner.client.state === Tether.State.Failed ? banner.client.open()
                                                                 : banner.client.notifyNetworkChanged()
            }
        }
    }
}
