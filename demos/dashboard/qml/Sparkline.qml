// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The last `window` ms of one or two series as filled lines, newest on the right.
// `samples` is an array of objects with a `ts` (unix ms) and the fields named by `field`
// and `field2`; the time axis ends at `now` so a stalled feed visibly stops short.
import QtQuick

Item {
    id: spark
    property var samples: []
    property string field
    property string field2
    property color color: Theme.accentIn
    property color color2: Theme.accentOut
    property real window: 60000
    property real now: samples.length ? samples[samples.length - 1].ts : 0
    property string unit: ""     // "bytes" or "bytes/s" label the scale in bytes
    readonly property real peak: {
        let m = 0
        for (const s of samples) {
            m = Math.max(m, s[field] || 0)
            if (field2) m = Math.max(m, s[field2] || 0)
        }
        return m
    }
    readonly property real scaleMax: Theme.niceCeil(peak * 1.1, 1)

    onSamplesChanged: canvas.requestPaint()
    onNowChanged: canvas.requestPaint()

    // Grid labels: the scale maximum and the time span.
    Text {
        anchors { right: parent.right; top: parent.top }
        text: spark.unit === "bytes" ? Theme.bytes(spark.scaleMax)
              : spark.unit === "bytes/s" ? Theme.bytes(spark.scaleMax) + "/s" : Theme.compact(spark.scaleMax)
        color: Theme.textFaint
        font { family: Theme.fontFamily; pixelSize: 10 }
    }
    Text {
        anchors { left: parent.left; bottom: parent.bottom }
        text: "−" + Math.round(spark.window / 1000) + " s"
        color: Theme.textFaint
        font { family: Theme.fontFamily; pixelSize: 10 }
    }
    Text {
        anchors { right: parent.right; bottom: parent.bottom }
        text: "now"
        color: Theme.textFaint
        font { family: Theme.fontFamily; pixelSize: 10 }
    }

    Canvas {
        id: canvas
        anchors { fill: parent; topMargin: 16; bottomMargin: 16 }
        antialiasing: true
        onWidthChanged: requestPaint()
        onHeightChanged: requestPaint()

        function px(ts) { return width * (1 - (spark.now - ts) / spark.window) }
        function py(v) { return height - 2 - (height - 4) * Math.min(1, (v || 0) / spark.scaleMax) }

        function series(ctx, name, color) {
            const pts = spark.samples.filter(s => spark.now - s.ts <= spark.window)
            if (pts.length < 2)
                return
            const grad = ctx.createLinearGradient(0, 0, 0, height)
            grad.addColorStop(0, Qt.rgba(color.r, color.g, color.b, 0.35))
            grad.addColorStop(1, Qt.rgba(color.r, color.g, color.b, 0.0))
            ctx.beginPath()
            ctx.moveTo(px(pts[0].ts), height)
            for (const p of pts)
                ctx.lineTo(px(p.ts), py(p[name]))
            ctx.lineTo(px(pts[pts.length - 1].ts), height)
            ctx.closePath()
            ctx.fillStyle = grad
            ctx.fill()
            ctx.beginPath()
            pts.forEach((p, i) => i === 0 ? ctx.moveTo(px(p.ts), py(p[name])) : ctx.lineTo(px(p.ts), py(p[name])))
            ctx.lineWidth = 2
            ctx.lineJoin = "round"
            ctx.strokeStyle = color
            ctx.stroke()
            const last = pts[pts.length - 1]
            ctx.beginPath()
            ctx.arc(px(last.ts), py(last[name]), 3.5, 0, 2 * Math.PI)
            ctx.fillStyle = color
            ctx.fill()
        }

        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            ctx.strokeStyle = Theme.border
            ctx.lineWidth = 1
            for (let i = 0; i <= 3; ++i) {
                const gy = Math.round(2 + (height - 4) * i / 3) + 0.5
                ctx.beginPath()
                ctx.moveTo(0, gy)
                ctx.lineTo(width, gy)
                ctx.stroke()
            }
            if (spark.field2)
                series(ctx, spark.field2, spark.color2)
            series(ctx, spark.field, spark.color)
        }
    }
}
