// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

#include "ledger.h"

#include <QtCore/QJsonArray>
#include <QtCore/QJsonDocument>

#include <cerrno>
#include <cstring>

namespace TetherServer {

Ledger::~Ledger()
{
    if (m_file)
        std::fclose(m_file);
}

bool Ledger::open(const std::string &path, std::string &error)
{
    m_file = std::fopen(path.c_str(), "a");
    if (!m_file) {
        error = "--ledger: cannot append to '" + path + "': " + std::strerror(errno);
        return false;
    }
    return true;
}

void Ledger::record(const QString &sid, std::uint64_t seq, const Tether::Protocol::Msg &msg)
{
    if (!m_file)
        return;
    // The payload inside a one-element array: compact JSON of any value, bytes included
    // (QCborValue's JSON form), without a second encoder.
    QByteArray d = QJsonDocument(QJsonArray{msg.d.toJsonValue()}).toJson(QJsonDocument::Compact);
    d = d.mid(1, d.size() - 2);
    const QByteArray line = (msg.id.value_or(QString()) + QLatin1Char('\t') + sid + QLatin1Char('\t')
                             + QString::number(seq) + QLatin1Char('\t') + msg.ch.value_or(QString())
                             + QLatin1Char('\t')).toUtf8()
                            + d + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), m_file);
    std::fflush(m_file);  // a SIGKILLed server keeps what it accepted
}

} // namespace TetherServer
