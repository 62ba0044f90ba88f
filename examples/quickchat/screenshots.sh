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
# shellcheck source=../../packaging/screenshot-session.sh
source "$src/packaging/screenshot-session.sh"
screenshot_session "$out"

start_server "$prefix/bin/tether-server" "$port"
"$work/quickchat" "$url" --demo --grab "$out/quickchat-online.png" --when online

# Offline: the same conversation, then the server goes away under it.
"$work/quickchat" "$url" --demo --grab "$out/quickchat-offline.png" --when offline &
chat=$!
pids+=("$chat")
sleep 6
kill -TERM "$server"
wait "$chat"
echo "screenshots.sh: done: $out/quickchat-online.png $out/quickchat-offline.png"
