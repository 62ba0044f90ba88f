// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "room_model.h"

#include <algorithm>

namespace Chat {

QString tickName(Tick tick)
{
    switch (tick) {
    case Tick::None: return {};
    case Tick::Queued: return QStringLiteral("queued");
    case Tick::Sent: return QStringLiteral("sent");
    case Tick::Delivered: return QStringLiteral("delivered");
    case Tick::Rejected: return QStringLiteral("rejected");
    case Tick::Dropped: return QStringLiteral("dropped");
    }
    return {};
}

RoomModel::RoomModel(const QString &room, QObject *parent) : QAbstractListModel(parent), m_room(room) {}

int RoomModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant RoomModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const Entry &e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TextRole: return e.text;
    case KindRole: return int(e.kind);
    case IdRole: return e.id;
    case UserRole: return e.user;
    case TimeRole: return e.ts;
    case OwnRole: return e.own;
    case TickRole: return int(e.tick);
    case DetailRole: return e.detail;
    default: return {};
    }
}

QHash<int, QByteArray> RoomModel::roleNames() const
{
    return {{KindRole, "kind"}, {IdRole, "messageId"}, {UserRole, "user"}, {TextRole, "text"},
            {TimeRole, "time"}, {OwnRole, "own"}, {TickRole, "tick"}, {DetailRole, "detail"}};
}

int RoomModel::rowOf(const QString &id) const
{
    if (id.isEmpty() || !m_ids.contains(id))
        return -1;
    for (int row = int(m_entries.size()) - 1; row >= 0; --row) {
        if (m_entries.at(row).id == id)
            return row;
    }
    return -1;
}

void RoomModel::insertAt(int row, const Entry &entry)
{
    beginInsertRows({}, row, row);
    m_entries.insert(row, entry);
    if (!entry.id.isEmpty())
        m_ids.insert(entry.id);
    endInsertRows();
}

bool RoomModel::append(const Entry &entry)
{
    if (!entry.id.isEmpty() && m_ids.contains(entry.id))
        return false;
    insertAt(int(m_entries.size()), entry);
    return true;
}

int RoomModel::merge(const QList<Entry> &entries)
{
    int added = 0;
    for (const Entry &entry : entries) {
        if (!entry.id.isEmpty() && m_ids.contains(entry.id))
            continue;
        // After the last row that is not newer: history keeps its order, and recovered
        // messages land before the gap mark made when the session was found lost.
        const auto after = std::find_if(m_entries.crbegin(), m_entries.crend(),
                                        [&entry](const Entry &e) { return e.ts <= entry.ts; });
        insertAt(int(std::distance(after, m_entries.crend())), entry);
        ++added;
    }
    return added;
}

void RoomModel::setTick(const QString &id, Tick tick, const QString &detail)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Entry &e = m_entries[row];
    // An outcome is final; sent goes back to queued when the connection drops before the ack.
    if (e.tick == Tick::Delivered || e.tick == Tick::Rejected || e.tick == Tick::Dropped)
        return;
    e.tick = tick;
    e.detail = detail;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {TickRole, DetailRole});
}

QString RoomModel::markGap(const QString &text)
{
    Entry gap;
    gap.kind = Entry::Gap;
    gap.id = QStringLiteral("gap:%1").arg(++m_gaps);
    gap.text = text;
    gap.ts = QDateTime::currentMSecsSinceEpoch();
    insertAt(int(m_entries.size()), gap);
    return gap.id;
}

void RoomModel::setGapText(const QString &gapId, const QString &text)
{
    const int row = rowOf(gapId);
    if (row < 0 || m_entries.at(row).kind != Entry::Gap)
        return;
    m_entries[row].text = text;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {TextRole});
}

void RoomModel::addNotice(const QString &text)
{
    Entry notice;
    notice.kind = Entry::Notice;
    notice.text = text;
    notice.ts = QDateTime::currentMSecsSinceEpoch();
    insertAt(int(m_entries.size()), notice);
}

} // namespace Chat
