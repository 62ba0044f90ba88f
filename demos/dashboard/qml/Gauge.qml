// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// A 270° radial gauge: a track, a value arc in `color`, the value in the middle and the
// scale maximum under it. The arc eases to a new value instead of jumping.
import QtQuick

Item {
    id: gauge
    property real value: 0
    property real maximum: 100
    property string text: Theme.compact(value)
    property string unit
    property color color: Theme.accentIn

    property real shown: Math.max(0, Math.min(value, maximum))
    Behavior on shown { NumberAnimation { duration: 450; easing.type: Easing.OutCubic } }
    onShownChanged: arc.requestPaint()
    onColorChanged: arc.requestPaint()

    Canvas {
        id: arc
        anchors.centerIn: parent
        width: Math.min(parent.width, parent.height * 1.18)
        height: width
        antialiasing: true
        onWidthChanged: requestPaint()
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            const r = width / 2 - 10
            const start = 0.75 * Math.PI
            const sweep = 1.5 * Math.PI
            ctx.lineCap = "round"
            ctx.lineWidth = Math.max(8, width * 0.075)
            ctx.strokeStyle = Theme.track
            ctx.beginPath()
            ctx.arc(width / 2, height / 2, r, start, start + sweep)
            ctx.stroke()
            const f = gauge.maximum > 0 ? gauge.shown / gauge.maximum : 0
            if (f > 0.002) {
                ctx.strokeStyle = gauge.color
                ctx.beginPath()
                ctx.arc(width / 2, height / 2, r, start, start + sweep * f)
                ctx.stroke()
            }
        }
    }
    Column {
        anchors.centerIn: arc
        anchors.verticalCenterOffset: 4
        spacing: 0
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: gauge.text
            color: Theme.text
            font { family: Theme.fontFamily; pixelSize: Math.max(18, arc.width * 0.2); weight: Font.DemiBold }
        }
        Text {
            anchors.horizontalCenter: parent.horizontalCenter
            text: gauge.unit
            color: Theme.textMuted
            font { family: Theme.fontFamily; pixelSize: 12 }
        }
    }
    Text {
        anchors { horizontalCenter: arc.horizontalCenter; bottom: arc.bottom; bottomMargin: arc.height * 0.04 }
        text: "0 – " + Theme.compact(gauge.maximum)
        color: Theme.textFaint
        font { family: Theme.fontFamily; pixelSize: 11 }
    }
}
