// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QML `MessageModel`: the last `capacity` messages of a Channel, for a ListView.
//
// Theory of operation: messages (received, and own publications through the Channel) go
// to a pending batch; a timer (`updateInterval`, default 50 ms) moves the batch into the
// rows with one insert (and one front removal when over capacity), so a ListView sees at
// most 20 model changes per second however fast messages arrive (10 000/s and more).
// Own messages carry the status the client reports (messageStatusChanged()), also batched
// (one dataChanged per flush). Each entry has a serial number; rows hold consecutive
// serials, so finding the row of an own message is a subtraction, not a search.
// With `fetchHistory`, the server's `history` of the channel is put in front of the rows
// (skipping ids already shown) once subscribed, and again after a lost session.
#pragma once

#include "qmlchannel.h"

#include <QtCore/QAbstractListModel>
#include <QtCore/QCborValue>
#include <QtCore/QHash>
#include <QtCore/QPointer>
#include <QtCore/QTimer>
#include <QtQml/QJSValue>
#include <QtQml/qqmlregistration.h>

#include <deque>
#include <vector>

namespace Tether::Qml {

class TETHER_QML_EXPORT QmlMessageModel : public QAbstractListModel
{
    Q_OBJECT
    QML_NAMED_ELEMENT(MessageModel)
    Q_PROPERTY(Tether::Qml::QmlChannel *channel READ channel WRITE setChannel NOTIFY channelChanged)
    Q_PROPERTY(int capacity READ capacity WRITE setCapacity NOTIFY capacityChanged)
    Q_PROPERTY(int updateInterval READ updateInterval WRITE setUpdateInterval NOTIFY updateIntervalChanged)
    Q_PROPERTY(bool fetchHistory READ fetchHistory WRITE setFetchHistory NOTIFY fetchHistoryChanged)
    Q_PROPERTY(int historyLimit READ historyLimit WRITE setHistoryLimit NOTIFY fetchHistoryChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    // Own messages: Client::messageStatusChanged()'s progress (Queued, Written) and outcome.
    // Sent is the former name of Written.
    enum Status { Received, Queued, Written, Delivered, Rejected, Dropped, Sent = Written };
    Q_ENUM(Status)
    enum Role {
        PayloadRole = Qt::UserRole + 1,
        MessageIdRole,
        ChannelRole,
        TimeRole,
        StatusRole,
        OwnRole,
        ErrorStringRole,
    };

    explicit QmlMessageModel(QObject *parent = nullptr);
    ~QmlMessageModel() override;

    QmlChannel *channel() const { return m_channel; }
    void setChannel(QmlChannel *channel);
    int capacity() const { return m_capacity; }
    void setCapacity(int capacity);
    int updateInterval() const { return m_flushTimer.interval(); }
    void setUpdateInterval(int ms);
    bool fetchHistory() const { return m_fetchHistory; }
    void setFetchHistory(bool fetch);
    int historyLimit() const { return m_historyLimit; }
    void setHistoryLimit(int limit);
    int count() const { return int(m_rows.size()); }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Publishes through the channel (Channel.publish) and shows the message at once.
    Q_INVOKABLE QString publish(const QJSValue &payload, const QJSValue &options = QJSValue());
    // The row as an object with the role names as properties (undefined when out of range).
    Q_INVOKABLE QJSValue get(int row) const;
    Q_INVOKABLE void clear();
    // Applies the pending batch now (tests; an app never needs it).
    Q_INVOKABLE void flush();

Q_SIGNALS:
    void channelChanged();
    void capacityChanged();
    void updateIntervalChanged();
    void fetchHistoryChanged();
    void countChanged();

private:
    struct Entry {
        qint64 serial = 0;
        QCborValue payload;
        QString id;
        QString channel;
        qint64 time = 0;  // ms since the epoch
        Status status = Received;
        QString error;
        bool own = false;
        bool reliable = true;
    };

    void connectChannel();
    void onMessage(const Tether::Message &message);
    void onPublished(const QString &id, const QCborValue &payload, bool reliable);
    void onSubscribedChanged();
    void setStatus(const QString &id, Status status, const QString &error = {});
    void onMessageStatus(const QString &id, Tether::MessageStatus status);
    void adoptRestored();
    void requestHistory();
    void insertHistory(const QCborValue &result);
    void enqueue(Entry entry);
    Entry *entryBySerial(qint64 serial);
    void trimToCapacity();
    void removeFront(size_t count);
    void forget(const Entry &entry);

    QPointer<QmlChannel> m_channel;
    QList<QMetaObject::Connection> m_connections;
    int m_capacity = 1000;
    bool m_fetchHistory = false;
    int m_historyLimit = 50;
    bool m_historyWanted = true;  // fetch at the next subscription

    std::deque<Entry> m_rows;       // serials m_rowsBegin, m_rowsBegin + 1, ...
    std::vector<Entry> m_pending;   // serials continuing after the rows
    qint64 m_rowsBegin = qint64(1) << 40;  // room below for history put in front
    qint64 m_nextSerial = qint64(1) << 40;
    QHash<QString, qint64> m_own;   // own messages awaiting an outcome: id -> serial
    // Between publishing() and published(): the progress of ids not known yet.
    bool m_publishing = false;
    QHash<QString, Status> m_early;
    qint64 m_dirtyFirst = -1;       // serial range whose status changed since the flush
    qint64 m_dirtyLast = -1;
    QTimer m_flushTimer;
};

} // namespace Tether::Qml
