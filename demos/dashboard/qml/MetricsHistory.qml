// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The last `window` ms of `metrics` samples, as the sparklines want them. Filled from the
// live Channel and, once connected, from the server's `history` of the channel so the
// charts are not empty after a (re)start. Samples are kept sorted by `ts`, without repeats.
import QtQuick
import Tether

QtObject {
    id: history
    property Client client
    property Channel channel
    property real window: 60000
    property var samples: []
    readonly property var latest: samples.length ? samples[samples.length - 1] : null
    // The server's clock now, estimated from the newest sample and our own clock (no skew
    // between the two machines matters): charts scroll on while the feed is silent.
    property real receivedAt: 0
    property real clock: Date.now()
    readonly property real serverNow: latest ? latest.ts + Math.max(0, clock - receivedAt) : 0
    property Timer ticker: Timer {
        interval: 500
        repeat: true
        running: true
        onTriggered: history.clock = Date.now()
    }

    function add(list) {
        let merged = samples.slice()
        for (const s of list) {
            if (!s || typeof s.ts !== "number")
                continue
            if (merged.length && merged[merged.length - 1].ts >= s.ts) {
                if (merged.some(m => m.ts === s.ts))
                    continue
                merged.push(s)
                merged.sort((a, b) => a.ts - b.ts)
            } else {
                merged.push(s)
            }
        }
        const newest = merged.length ? merged[merged.length - 1].ts : 0
        samples = merged.filter(s => newest - s.ts <= window + 2000)
    }

    function backfill() {
        client.request("history", { ch: channel.name, limit: 100 }, function (error, result) {
            if (!error && Array.isArray(result) && result.length) {
                if (!history.latest)
                    history.receivedAt = history.clock = Date.now()
                history.add(result.map(item => item.d))
            }
        })
    }

    property Connections channelConnections: Connections {
        target: history.channel
        function onMessage(payload) {
            history.receivedAt = Date.now()
            history.clock = history.receivedAt
            history.add([payload])
        }
    }
    property Connections clientConnections: Connections {
        target: history.client
        function onConnected() { history.backfill() }
    }
}
