// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "subscriptionswindow.h"

#include <QtCore/QMetaEnum>
#include <QtCore/QTime>
#include <QtWidgets/QHBoxLayout>
#include <QtWidgets/QHeaderView>
#include <QtWidgets/QLabel>
#include <QtWidgets/QLineEdit>
#include <QtWidgets/QPlainTextEdit>
#include <QtWidgets/QPushButton>
#include <QtWidgets/QTreeWidget>
#include <QtWidgets/QVBoxLayout>

namespace {

template<typename Enum>
QString keyOf(Enum value)
{
    return QString::fromLatin1(QMetaEnum::fromType<Enum>().valueToKey(int(value)));
}

} // namespace

SubscriptionsWindow::SubscriptionsWindow(Tether::Client *client, QWidget *parent)
    : QWidget(parent),
      m_client(client),
      m_state(new QLabel(this)),
      m_channel(new QLineEdit(this)),
      m_text(new QLineEdit(this)),
      m_rows(new QTreeWidget(this)),
      m_log(new QPlainTextEdit(this))
{
    setWindowTitle(tr("Tether subscriptions"));
    m_channel->setPlaceholderText(tr("channel, e.g. metrics"));
    auto *subscribeButton = new QPushButton(tr("Subscribe"), this);
    auto *unsubscribeButton = new QPushButton(tr("Unsubscribe"), this);
    m_text->setPlaceholderText(tr("publish to the selected channel"));
    auto *publishButton = new QPushButton(tr("Publish"), this);
    m_rows->setHeaderLabels({tr("Channel"), tr("Status"), tr("Messages")});
    m_rows->setRootIsDecorated(false);
    m_rows->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(500);

    auto *top = new QHBoxLayout;
    top->addWidget(m_channel, 1);
    top->addWidget(subscribeButton);
    top->addWidget(unsubscribeButton);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_text, 1);
    bottom->addWidget(publishButton);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_state);
    layout->addLayout(top);
    layout->addWidget(m_rows, 1);
    layout->addWidget(m_log, 1);
    layout->addLayout(bottom);

    const auto subscribeTyped = [this] {
        if (!m_channel->text().trimmed().isEmpty())
            subscribe(m_channel->text().trimmed());
        m_channel->clear();
    };
    connect(subscribeButton, &QPushButton::clicked, this, subscribeTyped);
    connect(m_channel, &QLineEdit::returnPressed, this, subscribeTyped);
    connect(unsubscribeButton, &QPushButton::clicked, this, &SubscriptionsWindow::unsubscribeSelected);
    connect(publishButton, &QPushButton::clicked, this, &SubscriptionsWindow::publish);
    connect(m_text, &QLineEdit::returnPressed, this, &SubscriptionsWindow::publish);

    const auto showState = [this] {
        QString text = tr("%1 — %2").arg(m_client->url().toString(), keyOf(m_client->state()));
        if (!m_client->isNetworkReachable())
            text += tr(" (offline)");
        m_state->setText(text);
    };
    connect(m_client, &Tether::Client::stateChanged, this, showState);
    connect(m_client, &Tether::Client::networkReachableChanged, this, showState);
    showState();
}

void SubscriptionsWindow::subscribe(const QString &channel)
{
    // The same object for every call with this name: the client routes its messages to it
    // with one lookup and the engine decides its status.
    Tether::Subscription *subscription = m_client->subscription(channel);
    if (!m_items.contains(subscription)) {
        subscription->retain();  // this window holds it until the row is removed
        auto *item = new QTreeWidgetItem(m_rows, {channel, QString(), QStringLiteral("0")});
        m_items.insert(subscription, item);
        connect(subscription, &Tether::Subscription::statusChanged, this,
                [this, subscription] { updateRow(subscription); });
        connect(subscription, &Tether::Subscription::errorOccurred, this,
                [this, channel](const Tether::Error &error) {
            m_log->appendPlainText(tr("%1: %2").arg(channel, error.message()));
        });
        connect(subscription, &Tether::Subscription::messageReceived, this,
                [this, channel](const Tether::Message &message) {
            const int count = ++m_counts[channel];
            m_log->appendPlainText(QStringLiteral("%1 %2: %3").arg(
                QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), channel,
                QString::fromUtf8(message.toByteArray())));
            if (QTreeWidgetItem *item = m_items.value(m_client->subscription(channel)))
                item->setText(2, QString::number(count));
            Q_EMIT messageShown(channel);
        });
    }
    updateRow(subscription);
}

int SubscriptionsWindow::messageCount(const QString &channel) const
{
    return m_counts.value(channel);
}

void SubscriptionsWindow::updateRow(Tether::Subscription *subscription)
{
    if (QTreeWidgetItem *item = m_items.value(subscription))
        item->setText(1, keyOf(subscription->status()));
}

QTreeWidgetItem *SubscriptionsWindow::selectedRow() const
{
    const QList<QTreeWidgetItem *> selected = m_rows->selectedItems();
    return selected.isEmpty() ? nullptr : selected.first();
}

void SubscriptionsWindow::unsubscribeSelected()
{
    QTreeWidgetItem *item = selectedRow();
    if (!item)
        return;
    Tether::Subscription *subscription = m_items.key(item);
    m_items.remove(subscription);
    subscription->disconnect(this);
    subscription->release();  // the last holder: the client unsubscribes
    m_counts.remove(item->text(0));
    delete item;
}

void SubscriptionsWindow::publish()
{
    QTreeWidgetItem *item = selectedRow();
    if (!item || m_text->text().isEmpty())
        return;
    Tether::SendOptions options;
    options.channel = item->text(0);
    const Tether::SendResult result = m_client->send(m_text->text(), options);
    m_log->appendPlainText(result ? tr("published to %1 (%2)").arg(options.channel, result.id())
                                  : tr("refused: %1").arg(result.error().message()));
    m_text->clear();
}
