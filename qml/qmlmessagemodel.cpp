// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// QML MessageModel: see qmlmessagemodel.h.
#include "qmlmessagemodel.h"

#include "jsvalue_p.h"
#include "qmlchannel.h"
#include "qmlclient.h"

#include <Tether/client.h>

#include <QtCore/QCborArray>
#include <QtCore/QCborMap>
#include <QtCore/QDateTime>
#include <QtCore/QMetaEnum>
#include <QtCore/QSet>
#include <QtQml/QQmlEngine>

namespace Tether::Qml {
namespace {

bool awaitsOutcome(QmlMessageModel::Status status)
{
    return status == QmlMessageModel::Queued || status == QmlMessageModel::Written;
}

} // namespace

QmlMessageModel::QmlMessageModel(QObject *parent)
    : QAbstractListModel(parent)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(50);
    connect(&m_flushTimer, &QTimer::timeout, this, &QmlMessageModel::flush);
}

QmlMessageModel::~QmlMessageModel() = default;

void QmlMessageModel::setChannel(QmlChannel *channel)
{
    if (m_channel == channel)
        return;
    m_channel = channel;
    m_historyWanted = true;
    connectChannel();
    Q_EMIT channelChanged();
}

// Listens to the channel's messages and own publications, and to the outcome signals of
// the client behind it (again whenever the channel's client changes).
void QmlMessageModel::connectChannel()
{
    for (const QMetaObject::Connection &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    if (!m_channel)
        return;
    QmlChannel *ch = m_channel;
    m_connections << connect(ch, &QmlChannel::messageArrived, this, &QmlMessageModel::onMessage)
                  << connect(ch, &QmlChannel::publishing, this, [this] {
                         m_publishing = true;
                         m_early.clear();
                     })
                  << connect(ch, &QmlChannel::published, this, &QmlMessageModel::onPublished)
                  << connect(ch, &QmlChannel::errorOccurred, this, [this] { m_publishing = false; })
                  << connect(ch, &QmlChannel::subscribedChanged, this, &QmlMessageModel::onSubscribedChanged)
                  << connect(ch, &QmlChannel::clientChanged, this, &QmlMessageModel::connectChannel);
    QmlClient *qmlClient = ch->client();
    if (!qmlClient)
        return;
    Tether::Client *c = qmlClient->client();
    m_connections
        << connect(c, &Client::messageStatusChanged, this, &QmlMessageModel::onMessageStatus)
        << connect(c, &Client::rejected, this, [this](const QString &id, const Error &e) {
               setStatus(id, Rejected, e.message());
           })
        << connect(c, &Client::dropped, this, [this](const QString &id, DropReason reason) {
               setStatus(id, Dropped, QString::fromLatin1(QMetaEnum::fromType<DropReason>().valueToKey(int(reason))));
           })
        << connect(c, &Client::restored, this, &QmlMessageModel::adoptRestored)
        << connect(c, &Client::sessionLost, this, [this] { m_historyWanted = true; });
    adoptRestored();  // a client restored before this model was bound to it
    if (ch->isSubscribed())
        onSubscribedChanged();
}

// Own messages of this channel that a store brought back (ClientOptions::storage): shown
// queued, like any own message waiting for its outcome.
void QmlMessageModel::adoptRestored()
{
    if (!m_channel || !m_channel->client())
        return;
    Tether::Client *c = m_channel->client()->client();
    if (c->restoredCount() == 0)
        return;
    const QString name = m_channel->name();
    for (const Tether::Message &m : c->queuedMessages()) {
        if (m.channel() != name || m_own.contains(m.id()))
            continue;
        Entry e;
        e.payload = m.payload();
        e.id = m.id();
        e.channel = name;
        e.time = QDateTime::currentMSecsSinceEpoch();
        e.own = true;
        e.reliable = m.isReliable();
        e.status = Queued;
        enqueue(std::move(e));
    }
}

void QmlMessageModel::setCapacity(int capacity)
{
    capacity = qMax(1, capacity);
    if (m_capacity == capacity)
        return;
    m_capacity = capacity;
    trimToCapacity();
    Q_EMIT capacityChanged();
}

void QmlMessageModel::setUpdateInterval(int ms)
{
    ms = qMax(0, ms);
    if (m_flushTimer.interval() == ms)
        return;
    m_flushTimer.setInterval(ms);
    Q_EMIT updateIntervalChanged();
}

void QmlMessageModel::setFetchHistory(bool fetch)
{
    if (m_fetchHistory == fetch)
        return;
    m_fetchHistory = fetch;
    Q_EMIT fetchHistoryChanged();
    if (fetch && m_channel && m_channel->isSubscribed())
        onSubscribedChanged();
}

void QmlMessageModel::setHistoryLimit(int limit)
{
    limit = qMax(0, limit);
    if (m_historyLimit == limit)
        return;
    m_historyLimit = limit;
    Q_EMIT fetchHistoryChanged();
}

// --- input ---

void QmlMessageModel::onMessage(const Tether::Message &message)
{
    Entry e;
    e.payload = message.payload();
    e.id = message.id();
    e.channel = message.channel();
    e.time = QDateTime::currentMSecsSinceEpoch();
    enqueue(std::move(e));
}

void QmlMessageModel::onPublished(const QString &id, const QCborValue &payload, bool reliable)
{
    Entry e;
    e.payload = payload;
    e.id = id;
    e.channel = m_channel ? m_channel->name() : QString();
    e.time = QDateTime::currentMSecsSinceEpoch();
    e.own = true;
    e.reliable = reliable;
    // Queued (send()'s answer), unless the client already wrote it during the send.
    e.status = m_early.value(id, Queued);
    m_publishing = false;
    m_early.clear();
    const bool ended = e.status != Queued && e.status != Written;
    const bool atMostOnceEnd = !reliable && e.status == Written;
    enqueue(std::move(e));
    if (ended || atMostOnceEnd)
        m_own.remove(id);
}

void QmlMessageModel::enqueue(Entry entry)
{
    entry.serial = m_nextSerial++;
    if (entry.own && !entry.id.isEmpty())
        m_own.insert(entry.id, entry.serial);
    m_pending.push_back(std::move(entry));
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

QmlMessageModel::Entry *QmlMessageModel::entryBySerial(qint64 serial)
{
    if (serial < m_rowsBegin)
        return nullptr;
    size_t index = size_t(serial - m_rowsBegin);
    if (index < m_rows.size())
        return &m_rows[index];
    index -= m_rows.size();
    return index < m_pending.size() ? &m_pending[index] : nullptr;
}

void QmlMessageModel::setStatus(const QString &id, Status status, const QString &error)
{
    const auto it = m_own.constFind(id);
    if (it == m_own.constEnd())
        return;  // not one of ours, or no longer shown
    const qint64 serial = it.value();
    Entry *e = entryBySerial(serial);
    if (!e) {
        m_own.erase(it);
        return;
    }
    e->status = status;
    e->error = error;
    // Queued and Written are progress for reliable messages (Written ends an at-most-once one).
    if (!((status == Written || status == Queued) && e->reliable))
        m_own.erase(it);
    if (serial < m_rowsBegin + qint64(m_rows.size())) {  // a row (pending ones are not shown yet)
        m_dirtyFirst = m_dirtyFirst < 0 ? serial : qMin(m_dirtyFirst, serial);
        m_dirtyLast = qMax(m_dirtyLast, serial);
        if (!m_flushTimer.isActive())
            m_flushTimer.start();
    }
}

void QmlMessageModel::onMessageStatus(const QString &id, Tether::MessageStatus status)
{
    Status shown;
    switch (status) {
    case MessageStatus::Queued: shown = Queued; break;
    case MessageStatus::Written: shown = Written; break;
    case MessageStatus::Delivered: shown = Delivered; break;
    case MessageStatus::Rejected:   // rejected()/dropped() carry the reason: set there
    case MessageStatus::Dropped:
    case MessageStatus::Persisted:  // not shown: the message is still on its way
        return;
    }
    if (m_publishing && !m_own.contains(id)) {
        m_early.insert(id, shown);
        return;
    }
    setStatus(id, shown);
}

// --- history ---

void QmlMessageModel::onSubscribedChanged()
{
    if (!m_fetchHistory || !m_historyWanted || !m_channel || !m_channel->isSubscribed()
        || !m_channel->client()) {
        return;
    }
    m_historyWanted = false;
    requestHistory();
}

void QmlMessageModel::requestHistory()
{
    QCborMap params;
    params.insert(QStringLiteral("ch"), m_channel->name());
    if (m_historyLimit > 0)
        params.insert(QStringLiteral("limit"), m_historyLimit);
    Reply *reply = m_channel->client()->client()->request(QStringLiteral("history"), QCborValue(params));
    reply->setAutoDelete(true);
    connect(reply, &Reply::finished, this, [this, reply] {
        if (reply->error().isError()) {
            m_historyWanted = true;  // try again at the next subscription
            return;
        }
        insertHistory(reply->result());
    });
}

void QmlMessageModel::insertHistory(const QCborValue &result)
{
    flush();  // so every id shown is in m_rows
    QSet<QString> shown;
    for (const Entry &e : m_rows)
        shown.insert(e.id);
    std::vector<Entry> fresh;
    const QCborArray items = result.toArray();
    for (const QCborValue &item : items) {
        const QString id = item[QLatin1StringView("id")].toString();
        if (!id.isEmpty() && shown.contains(id))
            continue;
        Entry e;
        e.payload = item[QLatin1StringView("d")];
        e.id = id;
        e.channel = m_channel ? m_channel->name() : QString();
        e.time = item[QLatin1StringView("ts")].toInteger();
        fresh.push_back(std::move(e));
    }
    const qsizetype room = qsizetype(m_capacity) - qsizetype(m_rows.size());
    const qsizetype take = qMin(room, qsizetype(fresh.size()));
    if (take <= 0)
        return;
    beginInsertRows({}, 0, int(take) - 1);
    // The newest `take` of them, in order, right before the current first row.
    for (qsizetype i = 0; i < take; ++i) {
        Entry e = std::move(fresh[fresh.size() - 1 - size_t(i)]);
        e.serial = --m_rowsBegin;
        m_rows.push_front(std::move(e));
    }
    endInsertRows();
    Q_EMIT countChanged();
}

// --- batching ---

void QmlMessageModel::flush()
{
    m_flushTimer.stop();
    const size_t capacity = size_t(m_capacity);
    if (!m_pending.empty()) {
        if (m_pending.size() >= capacity) {
            // The batch alone fills the model: replace everything in one reset.
            beginResetModel();
            for (const Entry &e : m_rows)
                forget(e);
            m_rows.clear();
            const size_t skip = m_pending.size() - capacity;
            for (size_t i = 0; i < skip; ++i)
                forget(m_pending[i]);
            m_rowsBegin = m_pending[skip].serial;
            m_rows.insert(m_rows.end(), std::make_move_iterator(m_pending.begin() + qsizetype(skip)),
                          std::make_move_iterator(m_pending.end()));
            m_pending.clear();
            m_dirtyFirst = m_dirtyLast = -1;
            endResetModel();
        } else {
            const size_t total = m_rows.size() + m_pending.size();
            if (total > capacity)
                removeFront(total - capacity);
            const int first = int(m_rows.size());
            beginInsertRows({}, first, first + int(m_pending.size()) - 1);
            m_rows.insert(m_rows.end(), std::make_move_iterator(m_pending.begin()),
                          std::make_move_iterator(m_pending.end()));
            m_pending.clear();
            endInsertRows();
        }
        Q_EMIT countChanged();
    }
    if (m_dirtyFirst >= 0) {
        const qint64 first = qMax(m_dirtyFirst, m_rowsBegin) - m_rowsBegin;
        const qint64 last = qMin(m_dirtyLast - m_rowsBegin, qint64(m_rows.size()) - 1);
        m_dirtyFirst = m_dirtyLast = -1;
        if (first <= last)
            Q_EMIT dataChanged(index(int(first)), index(int(last)), {StatusRole, ErrorStringRole});
    }
}

void QmlMessageModel::trimToCapacity()
{
    if (m_rows.size() <= size_t(m_capacity))
        return;
    removeFront(m_rows.size() - size_t(m_capacity));
    Q_EMIT countChanged();
}

void QmlMessageModel::removeFront(size_t count)
{
    beginRemoveRows({}, 0, int(count) - 1);
    for (size_t i = 0; i < count; ++i) {
        forget(m_rows.front());
        m_rows.pop_front();
    }
    m_rowsBegin += qint64(count);
    endRemoveRows();
}

// An entry leaves the model: an outcome arriving later has no row to update.
void QmlMessageModel::forget(const Entry &entry)
{
    if (entry.own && awaitsOutcome(entry.status))
        m_own.remove(entry.id);
}

void QmlMessageModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_pending.clear();
    m_own.clear();
    m_rowsBegin = m_nextSerial;
    m_dirtyFirst = m_dirtyLast = -1;
    m_flushTimer.stop();
    endResetModel();
    Q_EMIT countChanged();
}

// --- model ---

int QmlMessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant QmlMessageModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry &e = m_rows[size_t(index.row())];
    switch (role) {
    case PayloadRole: return e.payload.toVariant();
    case MessageIdRole: return e.id;
    case ChannelRole: return e.channel;
    case TimeRole: return QDateTime::fromMSecsSinceEpoch(e.time);
    case StatusRole: return int(e.status);
    case OwnRole: return e.own;
    case ErrorStringRole: return e.error;
    default: return {};
    }
}

QHash<int, QByteArray> QmlMessageModel::roleNames() const
{
    return {
        {PayloadRole, QByteArrayLiteral("payload")},
        {MessageIdRole, QByteArrayLiteral("messageId")},
        {ChannelRole, QByteArrayLiteral("channel")},
        {TimeRole, QByteArrayLiteral("time")},
        {StatusRole, QByteArrayLiteral("status")},
        {OwnRole, QByteArrayLiteral("own")},
        {ErrorStringRole, QByteArrayLiteral("errorString")},
    };
}

QJSValue QmlMessageModel::get(int row) const
{
    QJSEngine *engine = qmlEngine(this);
    if (!engine || row < 0 || size_t(row) >= m_rows.size())
        return QJSValue();
    const Entry &e = m_rows[size_t(row)];
    QJSValue out = engine->newObject();
    out.setProperty(QStringLiteral("payload"), toJs(engine, e.payload));
    out.setProperty(QStringLiteral("messageId"), e.id);
    out.setProperty(QStringLiteral("channel"), e.channel);
    out.setProperty(QStringLiteral("time"), engine->toScriptValue(QDateTime::fromMSecsSinceEpoch(e.time)));
    out.setProperty(QStringLiteral("status"), int(e.status));
    out.setProperty(QStringLiteral("own"), e.own);
    out.setProperty(QStringLiteral("errorString"), e.error);
    return out;
}

QString QmlMessageModel::publish(const QJSValue &payload, const QJSValue &options)
{
    return m_channel ? m_channel->publish(payload, options) : QString();
}

} // namespace Tether::Qml
