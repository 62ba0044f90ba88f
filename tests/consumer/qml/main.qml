// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Imports the installed module and makes one round trip with the server: connected ->
// echo request answered and a reliable message delivered -> Qt.exit(0). Any failure:
// Qt.exit(1) with a message. Nothing but `import Tether`: the root object is a Client.
import Tether

Client {
    id: client
    required property url serverUrl
    property bool echoed: false
    property bool wasDelivered: false
    property string sentId: ""

    function finish(code, message) {
        if (code === 0)
            console.log("tether-consumer-qml: OK", message)
        else
            console.error("tether-consumer-qml: FAIL:", message)
        active = false
        Qt.exit(code)
    }

    function finishIfDone() {
        if (echoed && wasDelivered)
            finish(0, "session " + sessionId)
    }

    url: serverUrl
    active: true
    onConnected: {
        request("echo", { "from": "qml" }, function (error, result) {
            if (error !== null || result.from !== "qml") {
                finish(1, "echo: " + (error ? error.message : "") + " " + JSON.stringify(result))
                return
            }
            echoed = true
            finishIfDone()
        })
        sentId = send({ "hello": "qml" })
        if (sentId === "")
            finish(1, "send refused")
    }
    onDelivered: function (id) {
        if (id === sentId) {
            wasDelivered = true
            finishIfDone()
        }
    }
    onFailed: function (error) { finish(1, "failed: " + error.name + ": " + error.message) }
    onSendRefused: function (error) { finish(1, "send refused: " + error.name + ": " + error.message) }
}
