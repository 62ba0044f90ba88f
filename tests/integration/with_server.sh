#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Runs a test against a tether-server this script starts (a foreground child on a free
# loopback port, stopped at the end), for a test process that must not start children
# itself: under ThreadSanitizer, Qt 6.4's QProcess (clone with CLONE_VM | CLONE_VFORK)
# corrupts TSan's view of the parent (tests/tsan.supp). The URL is in TETHER_TEST_SERVER_URL.
#   with_server.sh SERVER_BINARY TEST_BINARY [ARGS...]
set -euo pipefail
server=$1
shift
dir=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
"$server" --port 0 --log-level warn >"$dir/out" 2>"$dir/err" &
server_pid=$!
line=
for _ in $(seq 200); do
    line=$(grep -m1 '^listening on ' "$dir/out" || true)
    [ -n "$line" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$line" ]; then
    echo "tether-server printed no ready line within 10 s; its stderr:"
    cat "$dir/err"
    exit 1
fi
hostport=${line#listening on }
TETHER_TEST_SERVER_URL="ws://$hostport/" "$@"
