// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Served from the app's resources; `import Tether` resolves to the static plugin.
import QtQuick
import Tether

Item {
    property Client client: Client {
        url: "ws://127.0.0.1:9/"
    }
    readonly property bool typed: client.url.toString() === "ws://127.0.0.1:9/"
}
