// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// tether-server's write path, sans-I/O (demos/server/ws_frame.h): the outbound buffer and
// the frames built in it from pieces, a v1.1 batch extended across the header's 7-, 16-
// and 64-bit length forms; every byte checked against frames built the plain way.
#include "../../demos/server/ws_frame.h"

#include <QtTest/QtTest>

using namespace TetherServer;

namespace {

QByteArray plainFrame(WsOpcode opcode, const QByteArray &payload)
{
    QByteArray frame(1, char(0x80 | int(opcode)));
    const auto size = quint64(payload.size());
    if (size < 126) {
        frame += char(size);
    } else if (size < 65536) {
        frame += char(126);
        frame += char(size >> 8);
        frame += char(size & 0xff);
    } else {
        frame += char(127);
        for (int i = 7; i >= 0; --i)
            frame += char((size >> (8 * i)) & 0xff);
    }
    return frame + payload;
}

QByteArray bytes(const OutBuffer &out)
{
    return QByteArray(out.data(), qsizetype(out.size()));
}

} // namespace

class tst_ServerWsFrame : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void outBufferGrowsKeepsAndErases()
    {
        OutBuffer out;
        QVERIFY(out.empty());
        std::memcpy(out.grow(3), "abc", 3);
        for (int i = 0; i < 1000; ++i)
            std::memcpy(out.grow(4), "wxyz", 4);  // reallocations keep what was there
        QCOMPARE(out.size(), size_t(4003));
        QCOMPARE(bytes(out).left(7), QByteArray("abcwxyz"));
        out.eraseFront(3);
        QCOMPARE(bytes(out), QByteArray("wxyz").repeated(1000));
        out.insertGap(4, 2);
        std::memcpy(&out[4], "--", 2);
        QCOMPARE(bytes(out).left(10), QByteArray("wxyz--wxyz"));
        out.truncate(6);
        QCOMPARE(bytes(out), QByteArray("wxyz--"));
        const char *storage = out.data();
        out.clear();
        QVERIFY(out.empty());
        out.grow(100);
        QCOMPARE(out.data(), storage);  // cleared, not freed
    }

    void framesFromPieces_data()
    {
        QTest::addColumn<int>("size");
        for (const int size : {0, 1, 17, 125, 126, 65535, 65536, 70000})
            QTest::addRow("%d bytes", size) << size;
    }
    void framesFromPieces()
    {
        QFETCH(int, size);
        QByteArray payload(size, Qt::Uninitialized);
        for (int i = 0; i < size; ++i)
            payload[i] = char('a' + i % 26);
        const qsizetype cut1 = size / 3, cut2 = size / 3 + qMin<qsizetype>(5, size - size / 3);
        const QByteArrayView view(payload);
        OutBuffer out;
        std::memcpy(out.grow(2), "..", 2);  // frames start anywhere in the buffer
        appendWsFrame(out, WsOpcode::Binary, {view.first(cut1), view.sliced(cut1, cut2 - cut1), view.sliced(cut2)},
                      size_t(size));
        QCOMPARE(bytes(out), ".." + plainFrame(WsOpcode::Binary, payload));
    }

    // A batch grows frame by frame; its header is rewritten (and moves the payload when it
    // needs more bytes) as the length crosses 125 and 65535.
    void batchExtendedAcrossLengthForms()
    {
        for (const QByteArray &separator : {QByteArray("\n"), QByteArray()}) {
            OutBuffer out;
            std::memcpy(out.grow(3), "old", 3);
            const size_t start = out.size();
            QByteArray first("first"), expected = first;
            appendWsFrame(out, WsOpcode::Text, {QByteArrayView(first)}, size_t(first.size()));
            size_t payloadSize = size_t(first.size());
            for (int i = 0; i < 700; ++i) {
                const QByteArray head = "{\"seq\":", digits = QByteArray::number(i), tail = QByteArray(90 + i % 7, 'x') + '}';
                payloadSize = extendWsFrame(out, start, payloadSize, WsOpcode::Text, separator,
                                            {QByteArrayView(head), QByteArrayView(digits), QByteArrayView(tail)},
                                            size_t(head.size() + digits.size() + tail.size()));
                expected += separator + head + digits + tail;
                QCOMPARE(payloadSize, size_t(expected.size()));
                if (i == 0 || i == 1 || i == 699 || payloadSize < 400 || (payloadSize > 65400 && payloadSize < 65800))
                    QCOMPARE(bytes(out), "old" + plainFrame(WsOpcode::Text, expected));
            }
            QVERIFY(payloadSize > 65536);
            QCOMPARE(bytes(out), "old" + plainFrame(WsOpcode::Text, expected));
        }
    }
};

QTEST_APPLESS_MAIN(tst_ServerWsFrame)
#include "tst_server_ws_frame.moc"
