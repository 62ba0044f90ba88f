// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Tether live dashboard: the reference server's `metrics` channel as gauges, one-minute
// sparklines and a connection tile, with an offline banner while the link is down.
// Everything here is plain QML over the Tether module: no C++ glue.
import QtQuick
import QtQuick.Window
import Tether

Window {
    id: window
    property string serverUrl: "ws://127.0.0.1:8765/"

    width: 1280
    height: 800
    minimumWidth: 1100
    minimumHeight: 720
    visible: true
    color: Theme.background
    title: "Tether · Server metrics"

    // Not `id: client`: inside `Channel { client: client }` the name would find the
    // Channel's own `client` property first.
    Client {
        id: tetherClient
        objectName: "client"
        url: window.serverUrl
        active: true
        backoff.maxDelay: 8000
    }
    Channel {
        id: metrics
        objectName: "metricsChannel"
        client: tetherClient
        name: "metrics"
    }
    MetricsHistory {
        id: history
        client: tetherClient
        channel: metrics
    }

    // Scale maxima that follow the last minute's peaks (1-2-5 steps), so a gauge is never
    // pinned at 100 % nor stuck near 0.
    function peak(field) {
        let m = 0
        for (const s of history.samples)
            m = Math.max(m, s[field] || 0)
        return m
    }
    readonly property var sample: metrics.latest ? metrics.latest : null

    Item {
        anchors { fill: parent; margins: 24 }

        // --- header ---
        Item {
            id: header
            anchors { left: parent.left; right: parent.right; top: parent.top }
            height: 48
            Rectangle {
                id: logo
                anchors.verticalCenter: parent.verticalCenter
                width: 40; height: 40; radius: 12
                gradient: Gradient {
                    orientation: Gradient.Horizontal
                    GradientStop { position: 0; color: Theme.accentIn }
                    GradientStop { position: 1; color: Theme.accentOut }
                }
                Text {
                    anchors.centerIn: parent
                    text: "T"
                    color: Theme.background
                    font { family: Theme.fontFamily; pixelSize: 22; weight: Font.Black }
                }
            }
            Column {
                anchors { left: logo.right; leftMargin: 14; verticalCenter: parent.verticalCenter }
                Text {
                    text: "Server metrics"
                    color: Theme.text
                    font { family: Theme.fontFamily; pixelSize: 20; weight: Font.DemiBold }
                }
                Text {
                    text: "tether-server · " + window.serverUrl
                    color: Theme.textMuted
                    font { family: Theme.fontFamily; pixelSize: 12 }
                }
            }
            ConnectionPill {
                anchors { right: parent.right; verticalCenter: parent.verticalCenter }
                client: tetherClient
            }
        }

        OfflineBanner {
            id: banner
            anchors { left: parent.left; right: parent.right; top: header.bottom; topMargin: 14 }
            client: tetherClient
        }

        // --- tiles ---
        Item {
            id: grid
            // While offline the numbers are the last ones received: say so by dimming them.
            readonly property bool stale: tetherClient.state !== Tether.State.Connected
            readonly property real dataOpacity: stale ? 0.45 : 1

            anchors { left: parent.left; right: parent.right; top: banner.bottom; bottom: parent.bottom; topMargin: 14 }
            readonly property real sideWidth: 340
            readonly property real mainWidth: width - sideWidth - Theme.gap
            readonly property real gaugeWidth: (mainWidth - 3 * Theme.gap) / 4
            readonly property real gaugeHeight: Math.round(height * 0.36)
            readonly property real lowerHeight: (height - gaugeHeight - 2 * Theme.gap) / 2

            Row {
                id: gauges
                spacing: Theme.gap
                opacity: grid.dataOpacity
                Behavior on opacity { NumberAnimation { duration: 300 } }
                Tile {
                    width: grid.gaugeWidth; height: grid.gaugeHeight
                    title: "Connections"
                    Gauge {
                        anchors.fill: parent
                        value: window.sample ? window.sample.connections : 0
                        maximum: Theme.niceCeil(window.peak("connections") * 1.2, 10)
                        unit: "open sockets"
                        color: Theme.ok
                    }
                }
                Tile {
                    width: grid.gaugeWidth; height: grid.gaugeHeight
                    title: "Sessions"
                    detail: window.sample ? window.sample.sessionsDetached + " detached" : ""
                    Gauge {
                        anchors.fill: parent
                        value: window.sample ? window.sample.sessionsAttached : 0
                        maximum: Theme.niceCeil(window.peak("sessions") * 1.2, 10)
                        unit: "attached"
                        color: Theme.accentIn
                    }
                }
                Tile {
                    width: grid.gaugeWidth; height: grid.gaugeHeight
                    title: "Frames in"
                    Gauge {
                        anchors.fill: parent
                        value: window.sample ? window.sample.msgsInPerSec : 0
                        maximum: Theme.niceCeil(window.peak("msgsInPerSec") * 1.2, 100)
                        unit: "per second"
                        color: Theme.accentIn
                    }
                }
                Tile {
                    width: grid.gaugeWidth; height: grid.gaugeHeight
                    title: "Frames out"
                    Gauge {
                        anchors.fill: parent
                        value: window.sample ? window.sample.msgsOutPerSec : 0
                        maximum: Theme.niceCeil(window.peak("msgsOutPerSec") * 1.2, 100)
                        unit: "per second"
                        color: Theme.accentOut
                    }
                }
            }

            Tile {
                id: framesTile
                opacity: grid.dataOpacity
                anchors { left: parent.left; top: gauges.bottom; topMargin: Theme.gap }
                width: grid.mainWidth
                height: grid.lowerHeight
                title: "Frames per second · last minute"
                detail: window.sample
                        ? "<font color='" + Theme.accentIn + "'>●</font> in " + Theme.compact(window.sample.msgsInPerSec)
                          + "&nbsp;&nbsp;&nbsp;<font color='" + Theme.accentOut + "'>●</font> out " + Theme.compact(window.sample.msgsOutPerSec)
                        : ""
                Sparkline {
                    anchors.fill: parent
                    samples: history.samples
                    now: history.serverNow
                    field: "msgsInPerSec"
                    field2: "msgsOutPerSec"
                }
            }
            Tile {
                id: bytesTile
                opacity: grid.dataOpacity
                anchors { left: parent.left; top: framesTile.bottom; topMargin: Theme.gap }
                width: (grid.mainWidth - Theme.gap) / 2
                height: grid.lowerHeight
                title: "Bandwidth"
                detail: window.sample
                        ? "<font color='" + Theme.accentIn + "'>●</font> in " + Theme.bytes(window.sample.bytesInPerSec) + "/s"
                          + "&nbsp;&nbsp;&nbsp;<font color='" + Theme.accentOut + "'>●</font> out " + Theme.bytes(window.sample.bytesOutPerSec) + "/s"
                        : ""
                Sparkline {
                    anchors.fill: parent
                    samples: history.samples
                    now: history.serverNow
                    field: "bytesInPerSec"
                    field2: "bytesOutPerSec"
                    unit: "bytes/s"
                }
            }
            Tile {
                anchors { left: bytesTile.right; leftMargin: Theme.gap; top: bytesTile.top }
                width: bytesTile.width
                height: grid.lowerHeight
                opacity: grid.dataOpacity
                title: "Server memory"
                detail: window.sample ? "RSS " + Theme.bytes(window.sample.rssBytes) : ""
                Sparkline {
                    anchors.fill: parent
                    samples: history.samples
                    now: history.serverNow
                    field: "rssBytes"
                    color: Theme.accentMemory
                    unit: "bytes"
                }
            }

            StatusTile {
                anchors { right: parent.right; top: parent.top; bottom: parent.bottom }
                width: grid.sideWidth
                client: tetherClient
                sample: window.sample
            }
        }
    }
}
