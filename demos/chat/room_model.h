// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// RoomModel: the messages of one chat room, for the message list (a QListView with
// MessageDelegate). Rows are chat messages (own ones carry a delivery tick), the marks of a
// gap after a lost session, and notices. A message appears once per id: history fetched
// on join or after a lost session merges with what arrived live.
#pragma once

#include <QtCore/QAbstractListModel>
#include <QtCore/QDateTime>
#include <QtCore/QList>
#include <QtCore/QSet>
#include <QtCore/QString>

namespace Chat {

// Where one of my messages stands: queued -> sent -> delivered, or it ended badly.
enum class Tick { None, Queued, Sent, Delivered, Rejected, Dropped };

struct Entry {
    enum Kind { Message, Gap, Notice };
    Kind kind = Message;
    QString id;        // message id (idempotency key), empty for marks
    QString user;      // author
    QString text;
    qint64 ts = 0;     // unix ms
    bool own = false;
    Tick tick = Tick::None;
    QString detail;    // why it was rejected/dropped
};

class RoomModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        KindRole = Qt::UserRole + 1,
        IdRole,
        UserRole,
        TextRole,
        TimeRole,
        OwnRole,
        TickRole,
        DetailRole,
    };

    explicit RoomModel(const QString &room, QObject *parent = nullptr);

    QString room() const { return m_room; }
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    const Entry &entry(int row) const { return m_entries.at(row); }
    bool contains(const QString &id) const { return m_ids.contains(id); }
    int rowOf(const QString &id) const;  // -1 when absent

    // A live message: appended (arrival order). False when its id is already here.
    bool append(const Entry &entry);
    // History: inserted in time order, skipping ids already here. Returns how many were new.
    int merge(const QList<Entry> &entries);
    void setTick(const QString &id, Tick tick, const QString &detail = {});
    // Marks a gap now (after a lost session) and returns the mark's id.
    QString markGap(const QString &text);
    void setGapText(const QString &gapId, const QString &text);
    void addNotice(const QString &text);

private:
    void insertAt(int row, const Entry &entry);

    QString m_room;
    QList<Entry> m_entries;
    QSet<QString> m_ids;
    int m_gaps = 0;
};

QString tickName(Tick tick);

} // namespace Chat
