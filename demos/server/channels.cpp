// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "channels.h"

#include <algorithm>

namespace TetherServer {

bool globMatch(const std::string &pattern, const std::string &text)
{
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    size_t p = 0, t = 0, starP = std::string::npos, starT = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            starP = p++;
            starT = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (starP != std::string::npos) {
            p = starP + 1;
            t = ++starT;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

ChannelRegistry::ChannelRegistry(std::vector<std::string> readonlyPatterns, std::vector<AclRule> acl,
                                 int historyLimit, int maxChannels)
    : m_readonly(std::move(readonlyPatterns)),
      m_acl(std::move(acl)),
      m_historyLimit(historyLimit),
      m_maxChannels(size_t(maxChannels))
{
    // The server publishes `metrics` itself; nobody else may.
    m_readonly.emplace_back("metrics");
}

bool ChannelRegistry::isReadonly(const QString &name) const
{
    const std::string text = name.toStdString();
    return std::any_of(m_readonly.begin(), m_readonly.end(),
                       [&text](const std::string &pattern) { return globMatch(pattern, text); });
}

int ChannelRegistry::aclRuleFor(const QString &name) const
{
    if (m_acl.empty())
        return -1;
    const std::string text = name.toStdString();
    for (size_t i = 0; i < m_acl.size(); ++i) {
        if (globMatch(m_acl[i].pattern, text))
            return int(i);
    }
    return -1;
}

bool ChannelRegistry::aclAllows(int rule, const QString &user) const
{
    if (rule < 0)
        return true;
    const auto &users = m_acl[size_t(rule)].users;
    return !user.isEmpty() && std::find(users.begin(), users.end(), user) != users.end();
}

Access ChannelRegistry::subscribeAccess(const QString &name, const QString &user) const
{
    if (!isValidName(name))
        return Access::BadName;
    const auto it = m_channels.find(name);
    const int rule = it != m_channels.end() ? it->second->aclRule : aclRuleFor(name);
    return aclAllows(rule, user) ? Access::Allowed : Access::Forbidden;
}

Access ChannelRegistry::publishAccess(const QString &name, const QString &user) const
{
    if (!isValidName(name))
        return Access::BadName;
    const auto it = m_channels.find(name);
    const bool readonly = it != m_channels.end() ? it->second->readonly : isReadonly(name);
    if (readonly)
        return Access::ReadOnly;
    const int rule = it != m_channels.end() ? it->second->aclRule : aclRuleFor(name);
    return aclAllows(rule, user) ? Access::Allowed : Access::Forbidden;
}

Channel *ChannelRegistry::find(const QString &name)
{
    const auto it = m_channels.find(name);
    return it == m_channels.end() ? nullptr : it->second.get();
}

Channel *ChannelRegistry::findOrCreate(const QString &name)
{
    if (Channel *existing = find(name))
        return existing;
    if (m_channels.size() >= m_maxChannels)
        return nullptr;
    auto channel = std::make_unique<Channel>();
    channel->name = name;
    channel->readonly = isReadonly(name);
    channel->aclRule = aclRuleFor(name);
    Channel *ref = channel.get();
    m_channels.emplace(name, std::move(channel));
    return ref;
}

bool ChannelRegistry::subscribe(Channel &channel, Session &session)
{
    auto &subs = channel.subscribers;
    if (std::find(subs.begin(), subs.end(), &session) != subs.end())
        return false;
    subs.push_back(&session);
    if (subs.size() == 1 && m_onFollow)
        m_onFollow(channel.name, true);
    return true;
}

bool ChannelRegistry::unsubscribe(Channel &channel, Session &session)
{
    auto &subs = channel.subscribers;
    const auto it = std::find(subs.begin(), subs.end(), &session);
    if (it == subs.end())
        return false;
    subs.erase(it);   // keeps subscription order (presence lists read it)
    if (subs.empty() && m_onFollow)
        m_onFollow(channel.name, false);
    return true;
}

QCborMap historyValue(const HistoryEntry &entry)
{
    QCborMap value;
    value.insert(QStringLiteral("id"), entry.body->id);
    value.insert(QStringLiteral("d"), entry.body->d);
    value.insert(QStringLiteral("ts"), qint64(entry.unixMs));
    if (!entry.peer.isEmpty())
        value.insert(QStringLiteral("peer"), entry.peer);
    return value;
}

void ChannelRegistry::remember(Channel &channel, HistoryEntry entry)
{
    if (m_historyLimit <= 0)
        return;
    channel.history.push_back(std::move(entry));
    while (channel.history.size() > size_t(m_historyLimit))
        channel.history.pop_front();
}

void ChannelRegistry::collect(Channel &channel)
{
    if (channel.subscribers.empty() && channel.history.empty())
    {
        const QString name = channel.name;   // a copy: the key must outlive the erase
        m_channels.erase(name);              // `channel` is gone after this line
    }
}

} // namespace TetherServer
