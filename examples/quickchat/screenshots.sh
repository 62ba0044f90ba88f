#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Takes quickchat's screenshots headless (offscreen platform, software renderer):
#   docs/images/quickchat-online.png   a short conversation, every own message delivered
#   docs/images/quickchat-offline.png  the server gone: offline banner, one message queued
#
# Usage: examples/quickchat/screenshots.sh PREFIX [WORKDIR]
#   PREFIX: an installed Tether (cmake --install BUILD --prefix PREFIX), with tether-server.
# Env: PORT (default 18766), OUT (default docs/images).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(cd "${1:?usage: screenshots.sh PREFIX [WORKDIR]}" && pwd)
work=${2:-$(mktemp -d)}
out=${OUT:-$src/docs/images}
port=${PORT:-18766}
url="ws://127.0.0.1:$port/"

cmake -S "$src/examples/quickchat" -B "$work" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work" >/dev/null
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
  "$prefix/bin/tether-server" --port "$port" >"$log/server.out" 2>"$log/server.err" &
  server=$!
  pids+=("$server")
  for _ in $(seq 50); do
    grep -q "^listening on" "$log/server.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "screenshots.sh: tether-server did not start:" >&2
  cat "$log/server.err" >&2
  exit 1
}

start_server
"$work/quickchat" "$url" --demo --grab "$out/quickchat-online.png" --when online

# Offline: the same conversation, then the server goes away under it.
"$work/quickchat" "$url" --demo --grab "$out/quickchat-offline.png" --when offline &
chat=$!
pids+=("$chat")
sleep 6
kill -TERM "$server"
wait "$chat"
echo "screenshots.sh: done: $out/quickchat-online.png $out/quickchat-offline.png"
