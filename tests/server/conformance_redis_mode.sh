#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Runs the tether-server conformance suites against Redis mode: a real redis-server
# (foreground child, free loopback port, AOF in a temporary directory) and every server
# the suites start gets `--redis` (through a wrapper named by TETHER_SERVER_BINARY).
# Every suite must pass unchanged: Redis mode speaks the same protocol.
#   conformance_redis_mode.sh SERVER_BINARY SUITE_BINARY...
set -euo pipefail
server=$1
shift
# A missing redis-server is a missing install step (packaging/install-deps.sh): a failure, never a skip.
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { echo "redis-server / redis-cli not installed (packaging/install-deps.sh)"; exit 1; }
dir=$(mktemp -d)
redis_pid=
cleanup() {
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly yes --dir "$dir" --daemonize no \
    --loglevel warning >"$dir/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done
cat >"$dir/tether-server" <<WRAP
#!/usr/bin/env bash
if [ "\${1:-}" = token ]; then exec "$server" "\$@"; fi
exec "$server" "\$@" --redis redis://127.0.0.1:$port --node-id "conf\$\$"
WRAP
chmod +x "$dir/tether-server"
status=0
for suite in "$@"; do
    if ! TETHER_SERVER_BINARY="$dir/tether-server" "$suite"; then
        echo "FAILED in Redis mode: $suite"
        status=1
    fi
done
exit $status
