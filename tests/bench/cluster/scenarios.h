// SPDX-FileCopyrightText: 2026 The Tether authors
// SPDX-License-Identifier: MIT

// The cluster benchmark's scenarios; each prints its own table.
#pragma once

#include <QtCore/QString>

namespace ClusterBench {

// part: empty (all), "reliable", "fanout" or "latency"
void runLoad(const QString &part);   // 1. reliable msgs memory vs Redis; 2. fan-out over 1-3 nodes, latency
void runResume();   // 3. resume on another node after SIGKILL, 100 SDK clients via nginx

} // namespace ClusterBench
