// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// A dashboard card: a title row (with an optional right-aligned detail) over content.
import QtQuick

Rectangle {
    id: tile
    property string title
    property string detail
    property color detailColor: Theme.textMuted
    default property alias content: body.data

    color: Theme.surface
    radius: Theme.radius
    border.color: Theme.border
    border.width: 1

    Text {
        id: titleText
        anchors { left: parent.left; top: parent.top; leftMargin: 18; topMargin: 14 }
        text: tile.title.toUpperCase()
        color: Theme.textMuted
        font { family: Theme.fontFamily; pixelSize: 11; letterSpacing: 1.2; weight: Font.DemiBold }
    }
    Text {
        anchors { right: parent.right; baseline: titleText.baseline; rightMargin: 18 }
        text: tile.detail
        textFormat: Text.StyledText
        color: tile.detailColor
        font { family: Theme.fontFamily; pixelSize: 11 }
    }
    Item {
        id: body
        anchors { fill: parent; topMargin: 38; leftMargin: 18; rightMargin: 18; bottomMargin: 14 }
    }
}
