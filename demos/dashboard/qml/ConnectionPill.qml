// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The connection state as a coloured pill: a dot (pulsing while not connected) and a label.
import QtQuick
import Tether

Rectangle {
    id: pill
    property Client client
    readonly property color tone: Theme.stateColor(client ? client.state : 0)

    implicitWidth: row.implicitWidth + 28
    implicitHeight: 32
    radius: height / 2
    color: Qt.rgba(tone.r, tone.g, tone.b, 0.12)
    border.color: Qt.rgba(tone.r, tone.g, tone.b, 0.45)

    Row {
        id: row
        anchors.centerIn: parent
        spacing: 8
        Rectangle {
            id: dot
            anchors.verticalCenter: parent.verticalCenter
            width: 9; height: 9; radius: 4.5
            color: pill.tone
            SequentialAnimation on opacity {
                running: pill.client && pill.client.state !== Tether.State.Connected
                loops: Animation.Infinite
                onRunningChanged: if (!running) dot.opacity = 1
                NumberAnimation { to: 0.25; duration: 600 }
                NumberAnimation { to: 1; duration: 600 }
            }
        }
        Text {
            anchors.verticalCenter: parent.verticalCenter
            text: pill.client ? pill.client.stateName : "–"
            color: pill.tone
            font { family: Theme.fontFamily; pixelSize: 13; weight: Font.DemiBold }
        }
    }
}
