// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// Channels (docs/protocol.md §6): subscribers, the history ring and read-only patterns.
//
// Pure bookkeeping; the fan-out itself (who gets which seq) is the Hub's job. A channel
// exists while it has a subscriber or a remembered publication; their number is capped
// (--max-channels) so that publishing to random names cannot grow the server unboundedly.
#pragma once

#include "publication.h"

#include <QtCore/QCborMap>
#include <QtCore/QString>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace TetherServer {

struct Session;

struct HistoryEntry {
    PublicationPtr body;
    std::int64_t unixMs;
    QString peer;   // publisher's public name, empty for the server
};

// One element of the `history` method's result: {"id", "d", "ts", "peer"?} (README.md).
QCborMap historyValue(const HistoryEntry &entry);

struct Channel {
    QString name;
    bool readonly = false;
    int aclRule = -1;                     // index of the first matching --acl rule, -1 none
    std::vector<Session *> subscribers;   // in subscription order
    std::deque<HistoryEntry> history;     // oldest first, at most --history entries
};

// `*` matches any run of characters (including none); everything else matches itself.
bool globMatch(const std::string &pattern, const std::string &text);

enum class Access { Allowed, BadName, ReadOnly, Forbidden };

struct AclRule {
    std::string pattern;
    std::vector<QString> users;
};

class ChannelRegistry {
public:
    ChannelRegistry(std::vector<std::string> readonlyPatterns, std::vector<AclRule> acl, int historyLimit,
                    int maxChannels);

    static bool isValidName(const QString &name) { return !name.isEmpty() && name.size() <= 200; }

    // May `user` ("" without auth) subscribe to / publish on `name`? Uses the channel's
    // cached rules when it exists, the patterns otherwise.
    Access subscribeAccess(const QString &name, const QString &user) const;
    Access publishAccess(const QString &name, const QString &user) const;
    Channel *find(const QString &name);
    // nullptr when the channel does not exist and the cap is reached.
    Channel *findOrCreate(const QString &name);

    // Returns false if the session was already subscribed. The channel must exist.
    bool subscribe(Channel &channel, Session &session);
    bool unsubscribe(Channel &channel, Session &session);
    void remember(Channel &channel, HistoryEntry entry);
    // Forgets the channel if nothing keeps it alive any more.
    void collect(Channel &channel);

    size_t size() const { return m_channels.size(); }
    int historyLimit() const { return m_historyLimit; }

    // Told when a channel gets its first local subscriber (true) or loses its last (false):
    // Redis mode follows the channel's fan-out between nodes only meanwhile.
    void setFollowHandler(std::function<void(const QString &, bool)> handler) { m_onFollow = std::move(handler); }

private:
    bool isReadonly(const QString &name) const;
    int aclRuleFor(const QString &name) const;
    bool aclAllows(int rule, const QString &user) const;

    std::vector<std::string> m_readonly;
    std::vector<AclRule> m_acl;
    int m_historyLimit;
    size_t m_maxChannels;
    std::unordered_map<QString, std::unique_ptr<Channel>> m_channels;
    std::function<void(const QString &, bool)> m_onFollow;
};

} // namespace TetherServer
