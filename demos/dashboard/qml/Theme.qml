// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// One palette for the whole dashboard: a dark slate background, tiles one step lighter,
// one accent per kind of data (traffic in = cyan, out = violet, health = green/amber/red).
pragma Singleton
import QtQuick

QtObject {
    readonly property color background: "#0b1120"
    readonly property color surface: "#131c2e"
    readonly property color surfaceRaised: "#1a2540"
    readonly property color border: "#23314f"
    readonly property color track: "#22304b"
    readonly property color text: "#e6edf7"
    readonly property color textMuted: "#8a9bb8"
    readonly property color textFaint: "#5b6b88"

    readonly property color accentIn: "#38bdf8"     // traffic into the server
    readonly property color accentOut: "#a78bfa"    // traffic out of the server
    readonly property color accentMemory: "#f472b6"
    readonly property color ok: "#34d399"
    readonly property color warn: "#fbbf24"
    readonly property color bad: "#f87171"

    readonly property int radius: 14
    readonly property int gap: 16
    readonly property string fontFamily: "DejaVu Sans"
    readonly property string monoFamily: "DejaVu Sans Mono"

    function stateColor(state) {
        switch (state) {
        case 2: return ok            // Connected
        case 1: case 3: return warn  // Connecting, Reconnecting
        case 4: return bad           // Failed
        default: return textMuted    // Idle, Closed
        }
    }

    // 1234 -> "1.23k", 5600000 -> "5.6M"
    function compact(n) {
        if (n === undefined || n === null || isNaN(n))
            return "–"
        const a = Math.abs(n)
        if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 1 : 2) + "G"
        if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 1 : 2) + "M"
        if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 1 : 2) + "k"
        return a >= 100 || Number.isInteger(n) ? Math.round(n).toString() : n.toFixed(1)
    }
    function bytes(n) {
        if (n === undefined || n === null || isNaN(n))
            return "–"
        const units = ["B", "KiB", "MiB", "GiB"]
        let i = 0
        while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; ++i }
        return (i === 0 ? Math.round(n) : n.toFixed(n >= 100 ? 0 : 1)) + " " + units[i]
    }
    function duration(ms) {
        const s = Math.floor(ms / 1000)
        if (s < 60) return s + " s"
        const m = Math.floor(s / 60)
        if (m < 60) return m + " min " + (s % 60) + " s"
        const h = Math.floor(m / 60)
        return h + " h " + (m % 60) + " min"
    }
    // A "nice" scale maximum above v: 1, 2, 5 x 10^n.
    function niceCeil(v, floor) {
        v = Math.max(v, floor || 1)
        const p = Math.pow(10, Math.floor(Math.log10(v)))
        for (const m of [1, 2, 5, 10])
            if (m * p >= v) return m * p
        return 10 * p
    }
}
