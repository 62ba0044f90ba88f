#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Runs the tether-server benchmark with a raised file-descriptor limit (the connections
# scenario holds thousands of sockets in the bench process and in the server).
#   tests/bench/server/run.sh [BUILD_DIR] [bench options...]   (default build/release)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
build=${1:-build/release}
shift || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 || true
echo "fd limit: $(ulimit -n)"
exec "$build/tests/bench/server/tether_server_bench" "$@"
