# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Sourced by the screenshot scripts (demos/dashboard/screenshot.sh,
# examples/quickchat/screenshots.sh): a headless session (offscreen platform, software
# Qt Quick), a log directory, every started process stopped on exit, and start_server.
#   screenshot_session OUT              sets up the session; OUT is created
#   start_server BIN PORT [ARGS...]     starts tether-server, waits until it listens;
#                                       sets $server (its pid)
#   pids+=("$pid")                      any other process to stop on exit

screenshot_session() {
  export QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software
  mkdir -p "$1"
  log=$(mktemp -d)
  pids=()
  trap screenshot_cleanup EXIT
}

screenshot_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$log"
}

start_server() {
  local bin=$1 port=$2
  shift 2
  "$bin" --port "$port" "$@" >"$log/server.out" 2>"$log/server.err" &
  server=$!
  pids+=("$server")
  for _ in $(seq 50); do
    grep -q "^listening on" "$log/server.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$(basename "$0"): tether-server did not start:" >&2
  cat "$log/server.err" >&2
  exit 1
}
