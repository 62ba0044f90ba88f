#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Takes the dashboard's screenshots headless (offscreen platform, software renderer):
#   docs/images/dashboard-connected.png  live metrics under demo traffic
#   docs/images/dashboard-offline.png    the same dashboard after the server went away
#
# Usage: demos/dashboard/screenshot.sh [build-dir]      (default: build/dev)
# Env:   WARMUP=seconds of traffic before the first shot (default 50, so the one-minute
#        sparklines are mostly filled), PORT (default 18765), OUT (default docs/images).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build/dev}" && pwd)
out=${OUT:-$src/docs/images}
port=${PORT:-18765}
warmup=${WARMUP:-50}
url="ws://127.0.0.1:$port/"

server_bin=$build/demos/server/tether-server
dashboard_bin=$build/demos/dashboard/tether-dashboard
traffic_bin=$build/demos/dashboard/tether-dashboard-traffic
for bin in "$server_bin" "$dashboard_bin" "$traffic_bin"; do
  [ -x "$bin" ] || { echo "screenshot.sh: $bin not built" >&2; exit 2; }
done

# shellcheck source=../../packaging/screenshot-session.sh
source "$src/packaging/screenshot-session.sh"
screenshot_session "$out"

start_server "$server_bin" "$port" --metrics-interval 1000 --heartbeat 2000
"$traffic_bin" --url "$url" --peak 2500 --listeners 4 2>"$log/traffic.err" &
pids+=("$!")
echo "screenshot.sh: $warmup s of demo traffic so the sparklines fill up..."
sleep "$warmup"

"$dashboard_bin" --url "$url" --screenshot "$out/dashboard-connected.png" --when connected --settle 2500

# Offline: a dashboard that has the same history, then the server goes away under it.
"$dashboard_bin" --url "$url" --screenshot "$out/dashboard-offline.png" --when offline --settle 2500 &
dashboard=$!
pids+=("$dashboard")
sleep 5
kill -TERM "$server"
wait "$dashboard"
echo "screenshot.sh: done: $out/dashboard-connected.png $out/dashboard-offline.png"
