// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// MessageDelegate: paints a RoomModel row as a chat bubble (own messages on the right with
// their delivery tick), a gap mark across the list, or a centred notice. Sizes follow the
// view's width, so word wrap reflows when the window is resized.
#pragma once

#include <QtWidgets/QStyledItemDelegate>

class QListView;

namespace Chat {

class MessageDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit MessageDelegate(QListView *view);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    struct Layout;
    Layout layout(const QStyleOptionViewItem &option, const QModelIndex &index) const;
    void paintMessage(QPainter *painter, const Layout &l, const QModelIndex &index) const;
    void paintMark(QPainter *painter, const QRect &rect, const QModelIndex &index, bool gap) const;

    QListView *m_view;
};

} // namespace Chat
