// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// SubscriptionsWindow: one row per Tether::Subscription (channel, status, messages) and a
// log of what arrives. Everything it shows comes from the SDK's objects and signals: the
// status is the engine's, the routing is the client's.
#pragma once

#include <Tether/Client>

#include <QtCore/QHash>
#include <QtWidgets/QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTreeWidget;
class QTreeWidgetItem;

class SubscriptionsWindow : public QWidget
{
    Q_OBJECT

public:
    explicit SubscriptionsWindow(Tether::Client *client, QWidget *parent = nullptr);

    // Adds a row for `channel` (once) and holds its shared Subscription.
    void subscribe(const QString &channel);
    // Messages shown so far on `channel` (0 when there is no row).
    int messageCount(const QString &channel) const;

Q_SIGNALS:
    // A publication reached the row of `channel`.
    void messageShown(const QString &channel);

private:
    void unsubscribeSelected();
    void publish();
    void updateRow(Tether::Subscription *subscription);
    QTreeWidgetItem *selectedRow() const;

    Tether::Client *m_client;
    QLabel *m_state;
    QLineEdit *m_channel;
    QLineEdit *m_text;
    QTreeWidget *m_rows;
    QPlainTextEdit *m_log;
    QHash<Tether::Subscription *, QTreeWidgetItem *> m_items;
    QHash<QString, int> m_counts;
};
