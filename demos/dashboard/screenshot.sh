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

export QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software
mkdir -p "$out"
log=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$log"
}
trap cleanup EXIT

start_server() {
  "$server_bin" --port "$port" --metrics-interval 1000 --heartbeat 2000 >"$log/server.out" 2>"$log/server.err" &
  server=$!
  pids+=("$server")
  for _ in $(seq 50); do
    grep -q "^listening on" "$log/server.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "screenshot.sh: tether-server did not start:" >&2
  cat "$log/server.err" >&2
  exit 1
}

start_server
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
