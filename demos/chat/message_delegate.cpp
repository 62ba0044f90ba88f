// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "message_delegate.h"

#include "room_model.h"

#include <QtCore/QDateTime>
#include <QtGui/QPainter>
#include <QtGui/QPainterPath>
#include <QtWidgets/QListView>

namespace Chat {

namespace {

constexpr int kOuterMargin = 16;   // between the list's edge and a bubble
constexpr int kPadX = 12;
constexpr int kPadY = 8;
constexpr int kRadius = 14;
constexpr int kGroupGap = 10;      // above the first bubble of an author's run
constexpr int kRunGap = 3;         // between bubbles of the same run
constexpr int kTickWidth = 18;
constexpr double kMaxBubbleShare = 0.68;

const QColor kOwnBubble(0x2f, 0x6f, 0xed);
const QColor kOwnText(Qt::white);
const QColor kOwnMeta(0xd6, 0xe4, 0xff);
const QColor kOtherBubble(0xf0, 0xf2, 0xf5);
const QColor kOtherText(0x1d, 0x21, 0x29);
const QColor kOtherMeta(0x6b, 0x72, 0x80);
const QColor kDeliveredTick(0xa5, 0xf3, 0xfc);
const QColor kFailed(0xc6, 0x28, 0x28);

// A stable colour per author name, for the name above their bubbles.
QColor authorColor(const QString &user)
{
    static const QColor palette[] = {QColor(0xc2, 0x41, 0x0c), QColor(0x04, 0x78, 0x57),
                                     QColor(0x6d, 0x28, 0xd9), QColor(0xb4, 0x53, 0x09),
                                     QColor(0x0e, 0x74, 0x90), QColor(0xbe, 0x12, 0x3c)};
    return palette[qHash(user) % (sizeof palette / sizeof palette[0])];
}

QFont smaller(QFont font, double factor)
{
    font.setPointSizeF(font.pointSizeF() * factor);
    return font;
}

// The delivery tick, drawn (no emoji font needed): a clock while queued, one check when
// sent, two when delivered, a "!" when it failed.
void drawTick(QPainter *p, const QRectF &r, Tick tick, const QColor &color)
{
    p->save();
    p->setRenderHint(QPainter::Antialiasing);
    QPen pen(color, 1.5, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    p->setPen(pen);
    p->setBrush(Qt::NoBrush);
    const QPointF c = r.center();
    const auto check = [&](double dx, const QColor &col) {
        QPen checkPen = pen;
        checkPen.setColor(col);
        p->setPen(checkPen);
        QPainterPath path;
        path.moveTo(c.x() - 6 + dx, c.y());
        path.lineTo(c.x() - 3 + dx, c.y() + 3);
        path.lineTo(c.x() + 3 + dx, c.y() - 4);
        p->drawPath(path);
    };
    switch (tick) {
    case Tick::Queued:
        p->drawEllipse(c, 5.0, 5.0);
        p->drawLine(c, c + QPointF(0, -3));
        p->drawLine(c, c + QPointF(2.5, 1));
        break;
    case Tick::Sent:
        check(0, color);
        break;
    case Tick::Delivered:
        check(-2, kDeliveredTick);
        check(3, kDeliveredTick);
        break;
    case Tick::Rejected:
    case Tick::Dropped:
        p->setPen(Qt::NoPen);
        p->setBrush(kFailed);
        p->drawEllipse(c, 6.0, 6.0);
        p->setPen(QPen(Qt::white, 1.8, Qt::SolidLine, Qt::RoundCap));
        p->drawLine(c + QPointF(0, -3), c + QPointF(0, 1));
        p->drawPoint(c + QPointF(0, 3.2));
        break;
    case Tick::None:
        break;
    }
    p->restore();
}

bool sameRunAsPrevious(const QModelIndex &index)
{
    if (index.row() == 0)
        return false;
    const QModelIndex prev = index.siblingAtRow(index.row() - 1);
    return prev.data(RoomModel::KindRole).toInt() == Entry::Message
        && prev.data(RoomModel::UserRole) == index.data(RoomModel::UserRole)
        && prev.data(RoomModel::OwnRole) == index.data(RoomModel::OwnRole);
}

QString metaText(const QModelIndex &index)
{
    const QString time = QDateTime::fromMSecsSinceEpoch(index.data(RoomModel::TimeRole).toLongLong())
                             .toString(QStringLiteral("HH:mm"));
    const Tick tick = Tick(index.data(RoomModel::TickRole).toInt());
    if (tick == Tick::Queued)
        return time + QStringLiteral("  queued");
    return time;
}

} // namespace

struct MessageDelegate::Layout {
    QRect row;
    QRect bubble;
    QRect name;      // empty when the author is not shown (own, or same run)
    QRect text;
    QRect meta;      // time (+ tick)
    QRect failure;   // under the bubble: why it was not delivered
    bool own = false;
    int top = 0;
};

MessageDelegate::MessageDelegate(QListView *view) : QStyledItemDelegate(view), m_view(view) {}

MessageDelegate::Layout MessageDelegate::layout(const QStyleOptionViewItem &option,
                                                const QModelIndex &index) const
{
    Layout l;
    const int viewWidth = m_view->viewport()->width();
    l.own = index.data(RoomModel::OwnRole).toBool();
    const bool showName = !l.own && !sameRunAsPrevious(index);
    const int maxText = qMax(120, int(viewWidth * kMaxBubbleShare) - 2 * kPadX);

    const QFontMetrics fm(option.font);
    const QFontMetrics small(smaller(option.font, 0.85));
    const QString text = index.data(RoomModel::TextRole).toString();
    const QRect textBounds = fm.boundingRect(QRect(0, 0, maxText, 100000),
                                             Qt::TextWordWrap, text);
    const int metaWidth = small.horizontalAdvance(metaText(index)) + (l.own ? kTickWidth + 4 : 0);
    QFont nameFont = smaller(option.font, 0.85);
    nameFont.setBold(true);  // painted bold: measured bold, or the name gets clipped
    const int nameWidth = showName
        ? QFontMetrics(nameFont).horizontalAdvance(index.data(RoomModel::UserRole).toString()) + 2 : 0;
    const int innerWidth = qMax(textBounds.width(), qMax(metaWidth, nameWidth));

    l.top = sameRunAsPrevious(index) ? kRunGap : kGroupGap;
    int y = l.top + kPadY;
    const int bubbleWidth = innerWidth + 2 * kPadX;
    const int x = l.own ? viewWidth - kOuterMargin - bubbleWidth : kOuterMargin;
    if (showName) {
        l.name = QRect(x + kPadX, y, nameWidth, small.height());
        y += small.height() + 2;
    }
    l.text = QRect(x + kPadX, y, innerWidth, textBounds.height());
    y += textBounds.height() + 2;
    l.meta = QRect(x + kPadX, y, innerWidth, small.height());
    y += small.height() + kPadY;
    l.bubble = QRect(x, l.top, bubbleWidth, y - l.top);

    const Tick tick = Tick(index.data(RoomModel::TickRole).toInt());
    if (tick == Tick::Rejected || tick == Tick::Dropped) {
        const QString detail = index.data(RoomModel::DetailRole).toString();
        const QString why = (tick == Tick::Rejected ? tr("Not delivered: rejected") : tr("Not delivered: dropped"))
            + (detail.isEmpty() ? QString() : QStringLiteral(" — ") + detail);
        const int w = small.horizontalAdvance(why);
        l.failure = QRect(viewWidth - kOuterMargin - w, y + 3, w, small.height());
        y += small.height() + 4;
    }
    l.row = QRect(0, 0, viewWidth, y + 2);
    return l;
}

QSize MessageDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const int kind = index.data(RoomModel::KindRole).toInt();
    const QFontMetrics fm(option.font);
    if (kind != Entry::Message)
        return QSize(m_view->viewport()->width(), fm.height() * 2 + 16);
    return layout(option, index).row.size();
}

void MessageDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                            const QModelIndex &index) const
{
    const int kind = index.data(RoomModel::KindRole).toInt();
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setFont(option.font);
    if (kind == Entry::Message) {
        Layout l = layout(option, index);
        painter->translate(option.rect.topLeft());
        paintMessage(painter, l, index);
    } else {
        paintMark(painter, option.rect, index, kind == Entry::Gap);
    }
    painter->restore();
}

void MessageDelegate::paintMessage(QPainter *p, const Layout &l, const QModelIndex &index) const
{
    const Tick tick = Tick(index.data(RoomModel::TickRole).toInt());
    const bool failed = tick == Tick::Rejected || tick == Tick::Dropped;
    QColor bubble = l.own ? kOwnBubble : kOtherBubble;
    if (l.own && tick == Tick::Queued)
        bubble = bubble.lighter(125);  // not on the wire yet: visibly pending
    if (failed)
        bubble = QColor(0xfd, 0xec, 0xec);
    p->setPen(failed ? QPen(kFailed, 1) : Qt::NoPen);
    p->setBrush(bubble);
    p->drawRoundedRect(QRectF(l.bubble).adjusted(0.5, 0.5, -0.5, -0.5), kRadius, kRadius);

    const QFont base = p->font();
    const QFont small = smaller(base, 0.85);
    if (!l.name.isEmpty()) {
        QFont bold = small;
        bold.setBold(true);
        p->setFont(bold);
        p->setPen(authorColor(index.data(RoomModel::UserRole).toString()));
        p->drawText(l.name, Qt::AlignLeft | Qt::AlignVCenter, index.data(RoomModel::UserRole).toString());
        p->setFont(base);
    }
    p->setPen(l.own && !failed ? kOwnText : kOtherText);
    p->drawText(l.text, Qt::TextWordWrap | Qt::AlignLeft | Qt::AlignTop, index.data(RoomModel::TextRole).toString());

    p->setFont(small);
    const QColor meta = l.own && !failed ? kOwnMeta : kOtherMeta;
    p->setPen(meta);
    QRect metaRect = l.meta;
    if (l.own) {
        drawTick(p, QRectF(metaRect.right() - kTickWidth, metaRect.top(), kTickWidth, metaRect.height()),
                 tick, meta);
        metaRect.setRight(metaRect.right() - kTickWidth - 4);
    }
    p->setPen(meta);
    p->drawText(metaRect, Qt::AlignRight | Qt::AlignVCenter, metaText(index));

    if (failed) {
        const QString detail = index.data(RoomModel::DetailRole).toString();
        p->setPen(kFailed);
        p->drawText(l.failure, Qt::AlignRight | Qt::AlignVCenter,
                    (tick == Tick::Rejected ? tr("Not delivered: rejected") : tr("Not delivered: dropped"))
                        + (detail.isEmpty() ? QString() : QStringLiteral(" — ") + detail));
    }
}

void MessageDelegate::paintMark(QPainter *p, const QRect &rect, const QModelIndex &index, bool gap) const
{
    const QString text = index.data(RoomModel::TextRole).toString();
    QFont font = smaller(p->font(), 0.9);
    font.setItalic(!gap);
    p->setFont(font);
    const QFontMetrics fm(font);
    const int w = qMin(rect.width() - 2 * kOuterMargin, fm.horizontalAdvance(text) + 28);
    const QRect pill(rect.center().x() - w / 2, rect.center().y() - fm.height() / 2 - 5, w, fm.height() + 10);
    if (gap) {
        p->setPen(QPen(QColor(0xe0, 0xa1, 0x00), 1, Qt::DashLine));
        p->drawLine(rect.left() + kOuterMargin, rect.center().y(), rect.right() - kOuterMargin, rect.center().y());
        p->setPen(QPen(QColor(0xe0, 0xa1, 0x00), 1));
        p->setBrush(QColor(0xff, 0xf4, 0xce));
        p->drawRoundedRect(QRectF(pill), pill.height() / 2.0, pill.height() / 2.0);
        p->setPen(QColor(0x5c, 0x44, 0x00));
    } else {
        p->setPen(kOtherMeta);
    }
    p->drawText(pill, Qt::AlignCenter, fm.elidedText(text, Qt::ElideRight, pill.width() - 16));
}

} // namespace Chat
