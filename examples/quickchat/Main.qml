// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// quickchat: one room, phone-sized. What it shows comes from the SDK: the connection state
// and reachability (offline banner), each own message's delivery status as the engine
// reports it (MessageModel: queued, sent, delivered, rejected, dropped).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Tether

ApplicationWindow {
    id: window
    width: 390
    height: 720
    visible: true
    title: qsTr("Quick chat")

    required property url serverUrl
    required property string userName
    property bool demo: false
    property bool check: false
    // For screenshots (main.cpp --grab): the chat has settled online / offline.
    property bool settledOnline: false
    property bool settledOffline: false
    readonly property bool online: chat.state === Tether.State.Connected
    signal checkPassed()

    Client {
        id: chat
        url: window.serverUrl
        active: true
    }
    Channel { id: room; client: chat; name: "room.quickchat" }
    MessageModel { id: messages; channel: room; capacity: 200 }

    function send(text) {
        if (text.trim().length === 0)
            return ""
        return messages.publish({ from: window.userName, text: text.trim() })
    }

    function statusText(status, errorString) {
        switch (status) {
        case MessageModel.Queued: return qsTr("queued")
        case MessageModel.Written: return qsTr("sent ✓")
        case MessageModel.Delivered: return qsTr("delivered ✓✓")
        case MessageModel.Rejected: return qsTr("not accepted: %1").arg(errorString)
        case MessageModel.Dropped: return qsTr("not sent: %1").arg(errorString)
        }
        return ""
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 12
            anchors.rightMargin: 12
            Label { text: "#" + room.name.split(".").pop(); font.bold: true; font.pixelSize: 18 }
            Item { Layout.fillWidth: true }
            Rectangle {
                width: 10; height: 10; radius: 5
                color: window.online ? "#2e7d32" : "#c62828"
            }
            Label { text: window.online ? qsTr("online") : qsTr("offline") }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // The offline banner: the client's own state and the platform's reachability.
        Rectangle {
            Layout.fillWidth: true
            visible: !window.online
            implicitHeight: bannerText.implicitHeight + 16
            color: "#fff3e0"
            Label {
                id: bannerText
                anchors.fill: parent
                anchors.margins: 8
                wrapMode: Text.WordWrap
                color: "#8a4b00"
                text: (!chat.networkReachable ? qsTr("No network.")
                       : chat.state === Tether.State.Reconnecting ? qsTr("Offline, reconnecting.")
                       : qsTr("Connecting…"))
                      + " " + (chat.queueDepth === 1
                               ? qsTr("1 message waits and will be sent when the connection is back.")
                               : chat.queueDepth > 1
                               ? qsTr("%1 messages wait and will be sent when the connection is back.").arg(chat.queueDepth)
                               : qsTr("Messages you write wait and are sent when the connection is back."))
            }
        }

        ListView {
            id: list
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            spacing: 6
            topMargin: 8
            bottomMargin: 8
            model: messages
            onCountChanged: positionViewAtEnd()
            delegate: Item {
                id: row
                width: ListView.view.width
                height: bubble.height
                readonly property real maxTextWidth: width * 0.75 - 20
                Rectangle {
                    id: bubble
                    x: own ? row.width - width - 10 : 10
                    width: column.width + 20
                    height: column.height + 12
                    radius: 10
                    color: own ? "#dcf1ff" : "#ffffff"
                    border.color: own ? "#b3dcf7" : "#d6d6d6"
                    Column {
                        id: column
                        x: 10
                        y: 6
                        spacing: 2
                        Label {
                            visible: !own
                            text: payload.from || qsTr("someone")
                            font.bold: true
                            font.pixelSize: 12
                            color: "#5c6bc0"
                        }
                        Label {
                            text: payload.text || JSON.stringify(payload)
                            wrapMode: Text.Wrap
                            width: Math.min(implicitWidth, row.maxTextWidth)
                        }
                        Label {
                            text: Qt.formatTime(time, "hh:mm") + (own ? "  " + window.statusText(status, errorString) : "")
                            font.pixelSize: 11
                            color: own && (status === MessageModel.Rejected || status === MessageModel.Dropped)
                                   ? "#c62828" : "#757575"
                        }
                    }
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            TextField {
                id: input
                Layout.fillWidth: true
                placeholderText: qsTr("Message")
                onAccepted: { window.send(text); clear() }
            }
            Button {
                text: qsTr("Send")
                onClicked: { window.send(input.text); input.clear() }
            }
        }
    }

    // --check (CI): one message, delivered.
    property string checkId: ""
    Connections {
        target: chat
        enabled: window.check
        function onConnected() {
            if (window.checkId === "")
                window.checkId = window.send("hello from quickchat")
        }
        function onDelivered(id) {
            if (id === window.checkId && window.online && !bannerText.visible) {
                console.log("quickchat: OK, delivered", id)
                window.checkPassed()
            }
        }
    }

    // --demo: Alice chats along from a second client; then, once the server is gone, one
    // more message of ours waits in the outbox.
    Client { id: alice; url: window.serverUrl; active: window.demo }
    property int demoStep: 0
    property string offlineId: ""
    function say(who, text) {
        if (who === "Alice")
            alice.send({ from: "Alice", text: text }, { channel: room.name })
        else
            window.send(text)
    }
    Timer {
        interval: 700
        repeat: true
        running: window.demo
        onTriggered: {
            const script = [
                ["Alice", "Hi! Are you on the train already?"],
                ["Me", "Yes, we are about to go into the tunnel."],
                ["Alice", "No problem, what you write waits and goes out when you are back."],
                ["Me", "Good, see you on the other side!"]
            ]
            if (window.online && alice.state === Tether.State.Connected && room.subscribed
                    && window.demoStep < script.length) {
                window.say(script[window.demoStep][0], script[window.demoStep][1])
                window.demoStep += 1
            }
            if (!window.online && window.demoStep >= script.length && window.offlineId === "")
                window.offlineId = window.send("In the tunnel now, this one waits.")
            let ownDone = messages.count > 0
            let offlineQueued = false
            for (let i = 0; i < messages.count; ++i) {
                const m = messages.get(i)
                if (m.own && m.messageId !== window.offlineId && m.status !== MessageModel.Delivered)
                    ownDone = false
                if (m.messageId === window.offlineId && m.status === MessageModel.Queued)
                    offlineQueued = true
            }
            window.settledOnline = window.online && window.demoStep >= script.length && ownDone
                                   && messages.count >= script.length
            window.settledOffline = !window.online && offlineQueued
        }
    }
}
