// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The fenced examples of docs/protocol.md, read as written so tests can decode them
// (tst_codec: the v1 frames; tst_batch: the v1.1 batches).
#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QFile>
#include <QtCore/QList>
#include <QtCore/QRegularExpression>
#include <QtCore/QString>

namespace DocExamples {

struct DocBlock {
    int line = 0;          // of the opening fence
    QByteArray lang;       // "json", "cbor-hex", ...
    QList<QByteArray> lines;
};

inline QString protocolDocPath()
{
    const QString root = qEnvironmentVariable("TETHER_SOURCE_DIR", QStringLiteral(QT_TESTCASE_SOURCEDIR "/../.."));
    return root + QLatin1StringView("/docs/protocol.md");
}

inline QList<DocBlock> docBlocks()
{
    QFile file(protocolDocPath());
    QList<DocBlock> blocks;
    if (!file.open(QIODevice::ReadOnly))
        return blocks;
    const QList<QByteArray> lines = file.readAll().split('\n');
    DocBlock *open = nullptr;
    for (int i = 0; i < lines.size(); ++i) {
        const QByteArray &line = lines[i];
        // A fence is a whole line: "```lang" opens, "```" closes (inline code is not).
        static const QRegularExpression opening(QStringLiteral("^```([a-z-]+)$"));
        const QRegularExpressionMatch match = opening.match(QString::fromUtf8(line));
        if (!open && match.hasMatch()) {
            blocks.append(DocBlock{ i + 1, match.captured(1).toUtf8(), {} });
            open = &blocks.last();
        } else if (open && line == "```") {
            open = nullptr;
        } else if (open) {
            open->lines.append(line);
        }
    }
    return blocks;
}

inline QByteArray joined(const QList<QByteArray> &lines)
{
    return lines.join('\n');
}

} // namespace DocExamples
