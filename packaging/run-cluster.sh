#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# A local tether-server cluster in one command (docs/cluster.md):
#   redis-server (packaging/cluster/redis.conf, data in a temp dir) + N tether-server nodes
#   (--redis redis://127.0.0.1:R --node-id node-i, each on a free loopback port) + nginx in
#   front (packaging/cluster/nginx.conf.in) on one public loopback port.
# Prints the public URL, the pids and the log directory, then stays in the foreground until
# SIGINT/SIGTERM, and then stops everything it started. Nothing daemonizes; on exit no
# process it started is left and its temp directory is removed (--keep keeps the logs).
#
#   packaging/run-cluster.sh [--nodes N] [--port P] [--redis-port R] [--memory] [--keep]
#                            [--read-timeout S] [-- tether-server options...]
#
#   --nodes N         tether-server nodes (default 3)
#   --port P          nginx's port, the cluster's public one (default: a free one)
#   --redis-port R    Redis's port (default: a free one)
#   --memory          no Redis: nodes in memory mode (a session then resumes only on the
#                     node that holds it; for trying nginx and the nodes alone)
#   --keep            keep the runtime directory (logs, configs, AOF) after exit
#   --read-timeout S  nginx proxy_read_timeout/proxy_send_timeout in seconds (default 60;
#                     keep it above the heartbeat interval + timeout, see nginx.conf.in)
#   -- ...            passed to every node (e.g. -- --log-level info --session-ttl 60000)
#
# Uses the build tree in TETHER_DEMO_BUILD_DIR (already configured) like run-demo.sh, else
# configures and builds preset "dev" (build/dev). Only loopback addresses are used.
# A node that dies (e.g. `kill -9` to watch clients move) is reported and restarted on
# its port after a second (node-2 comes back as node-2.2: a node id names one incarnation);
# redis-server or nginx dying ends the run (exit 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

nodes=3
public_port=0
redis_port=0
memory=0
keep=0
read_timeout=60
node_args=()
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
    --nodes) nodes=${2:?--nodes needs a number}; shift 2 ;;
    --port) public_port=${2:?--port needs a number}; shift 2 ;;
    --redis-port) redis_port=${2:?--redis-port needs a number}; shift 2 ;;
    --memory) memory=1; shift ;;
    --keep) keep=1; shift ;;
    --read-timeout) read_timeout=${2:?--read-timeout needs seconds}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; node_args=("$@"); break ;;
    *) echo "run-cluster: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for n in "$nodes" "$public_port" "$redis_port" "$read_timeout"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "run-cluster: '$n' is not a number" >&2; exit 2; }
done
[ "$nodes" -ge 1 ] || { echo "run-cluster: --nodes must be at least 1" >&2; exit 2; }

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
redis_bin=$(command -v redis-server || echo /usr/bin/redis-server)
if [ ! -x "$nginx_bin" ] || { [ "$memory" = 0 ] && [ ! -x "$redis_bin" ]; }; then
    bash packaging/install-deps.sh
    nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
    redis_bin=$(command -v redis-server || echo /usr/bin/redis-server)
fi

build=${TETHER_DEMO_BUILD_DIR:-build/dev}
if [ -z "${TETHER_DEMO_BUILD_DIR:-}" ]; then
    echo "== building tether-server in $build" >&2
    cmake --preset dev >/dev/null
    cmake --build "$build" --target tether-server -j "$(nproc)" >&2
fi
server_bin=$build/demos/server/tether-server
[ -x "$server_bin" ] || { echo "run-cluster: no $server_bin (build target tether-server)" >&2; exit 1; }
server_bin=$(cd "$(dirname "$server_bin")" && pwd)/tether-server

if [ "$memory" = 0 ] && ! "$server_bin" --help | grep -q -- '--redis'; then
    echo "run-cluster: this tether-server has no Redis mode (--redis is not in its --help)." >&2
    echo "             Run with --memory to try nginx and the nodes without Redis." >&2
    exit 1
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/tether-cluster.XXXXXX")
logs=$run/logs
mkdir -p "$logs" "$run/redis" "$run/nginx/tmp"
# nginx started by root runs its worker as nobody, which must reach its temp directories.
chmod 755 "$run" "$run/nginx"

redis_pid=""
nginx_pid=""
declare -a node_pid node_port
stopping=0

# Sends SIGTERM to $1 and waits up to $2 seconds, then SIGKILLs it.
stop_pid() {
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < $2 * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stopping=1
    echo "== stopping the cluster" >&2
    # Nodes first (their clients get a 1001 through nginx and they finish their Redis
    # writes), then nginx, then Redis (it fsyncs its AOF on SIGTERM).
    local i
    for i in "${!node_pid[@]}"; do kill -TERM "${node_pid[$i]}" 2>/dev/null || true; done
    for i in "${!node_pid[@]}"; do stop_pid "${node_pid[$i]}" 5; done
    stop_pid "$nginx_pid" 5
    stop_pid "$redis_pid" 10
    if [ "$keep" = 1 ]; then
        echo "== kept $run" >&2
    else
        rm -rf "$run"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# A loopback port nothing listens on now (a race with other programs is possible: the
# callers notice a failed bind and say so).
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "run-cluster: no free port found" >&2
    return 1
}
# Fails when something already listens on 127.0.0.1:$1 (a port given with --port or
# --redis-port): waiting for "accepts" would otherwise be fooled by that other program.
require_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        echo "run-cluster: port $1 is already in use" >&2
        exit 1
    fi
}
# Waits up to $2 seconds for a TCP listener on 127.0.0.1:$1 while process $3 lives.
wait_port() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
# Waits up to $2 seconds for file $1 to contain $3.
wait_for() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        grep -q -- "$3" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# Ports given on the command line: refuse before starting anything.
[ "$public_port" = 0 ] || require_free "$public_port"
[ "$memory" = 1 ] || [ "$redis_port" = 0 ] || require_free "$redis_port"

if [ "$memory" = 0 ]; then
    [ "$redis_port" != 0 ] || redis_port=$(free_port)
    cp packaging/cluster/redis.conf "$run/redis/redis.conf"
    (cd "$run/redis" && exec "$redis_bin" ./redis.conf --port "$redis_port") >"$logs/redis.log" 2>&1 &
    redis_pid=$!
    wait_port "$redis_port" 10 "$redis_pid" ||
        { echo "run-cluster: redis-server did not start on port $redis_port:" >&2; tail -n 5 "$logs/redis.log" >&2; exit 1; }
fi

# Starts node $1 on port $2 (0: a free one) and records its pid and port. A node id names
# one incarnation (demos/server/README.md, Redis mode: a restarted node reusing its
# predecessor's id would keep the dead one's presence alive), so restarts of node-2 are
# node-2.2, node-2.3, ...
declare -a node_incarnation
start_node() {
    local i=$1 port=$2 args=(--host 127.0.0.1 --port "$2") id="node-$1"
    node_incarnation[$i]=$((${node_incarnation[$i]:-0} + 1))
    [ "${node_incarnation[$i]}" = 1 ] || id+=".${node_incarnation[$i]}"
    [ "$memory" = 1 ] || args+=(--redis "redis://127.0.0.1:$redis_port" --node-id "$id")
    : >"$logs/node-$i.out"
    "$server_bin" "${args[@]}" "${node_args[@]}" >"$logs/node-$i.out" 2>>"$logs/node-$i.log" &
    node_pid[$i]=$!
    if ! wait_for "$logs/node-$i.out" 10 "^listening on"; then
        stop_pid "${node_pid[$i]}" 2
        echo "run-cluster: node-$i did not start:" >&2
        tail -n 5 "$logs/node-$i.log" >&2
        return 1
    fi
    node_port[$i]=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$logs/node-$i.out")
}
upstreams=""
for ((i = 1; i <= nodes; i++)); do
    start_node "$i" 0 || exit 1
    # max_fails=0: never marked failed (docs/cluster.md, "nginx"): a dead node refuses the
    # connect and the handshake goes to the next one.
    upstreams+="        server 127.0.0.1:${node_port[$i]} max_fails=0;"$'\n'
done

[ "$public_port" != 0 ] || public_port=$(free_port)
nginx_run=$run/nginx
template=$(<packaging/cluster/nginx.conf.in)
template=${template//@RUNTIME_DIR@/$nginx_run}
template=${template//@LISTEN@/127.0.0.1:$public_port}
template=${template//@UPSTREAMS@/${upstreams%$'\n'}}
template=${template//@READ_TIMEOUT@/${read_timeout}s}
template=${template//@SEND_TIMEOUT@/${read_timeout}s}
printf '%s\n' "$template" >"$nginx_run/nginx.conf"
ln -s "$nginx_run/error.log" "$logs/nginx-error.log"
ln -s "$nginx_run/access.log" "$logs/nginx-access.log"
"$nginx_bin" -p "$nginx_run" -e "$nginx_run/error.log" -c "$nginx_run/nginx.conf" >"$logs/nginx.out" 2>&1 &
nginx_pid=$!
wait_port "$public_port" 10 "$nginx_pid" ||
    { echo "run-cluster: nginx did not start on port $public_port:" >&2; tail -n 5 "$nginx_run/error.log" "$logs/nginx.out" >&2; exit 1; }

{
    echo "tether cluster: ${nodes} node(s)$([ "$memory" = 1 ] && echo ' in memory mode (no Redis)')"
    echo "  public URL   ws://127.0.0.1:$public_port/"
    for ((i = 1; i <= nodes; i++)); do
        echo "  node-$i       pid ${node_pid[$i]}  ws://127.0.0.1:${node_port[$i]}/  metrics http://127.0.0.1:${node_port[$i]}/metrics"
    done
    echo "  nginx        pid $nginx_pid"
    [ "$memory" = 1 ] || echo "  redis        pid $redis_pid  redis://127.0.0.1:$redis_port  (AOF in $run/redis)"
    echo "  logs         $logs"
    echo "  pids         $run/pids"
    echo "Ctrl-C (or SIGTERM to $$) stops everything."
} | tee "$run/summary"
{
    for ((i = 1; i <= nodes; i++)); do echo "node-$i ${node_pid[$i]}"; done
    echo "nginx $nginx_pid"
    [ "$memory" = 1 ] || echo "redis $redis_pid"
} >"$run/pids"

# Foreground until a signal. `wait -n` returns when any child ends (or a trapped signal
# arrives, which exits through cleanup).
while :; do
    ended=""
    wait -n -p ended || true
    [ "$stopping" = 0 ] || break
    if [ "$ended" = "$nginx_pid" ] || { [ -n "$redis_pid" ] && [ "$ended" = "$redis_pid" ]; }; then
        echo "run-cluster: $([ "$ended" = "$nginx_pid" ] && echo nginx || echo redis-server) (pid $ended) ended; stopping" >&2
        exit 1
    fi
    for ((i = 1; i <= nodes; i++)); do
        if [ "$ended" = "${node_pid[$i]}" ]; then
            echo "run-cluster: node-$i (pid $ended) ended; restarting it on port ${node_port[$i]} in 1 s" >&2
            sleep 1
            if start_node "$i" "${node_port[$i]}"; then
                echo "run-cluster: node-$i is back, pid ${node_pid[$i]}" >&2
                sed -i "s/^node-$i .*/node-$i ${node_pid[$i]}/" "$run/pids"
            fi
        fi
    done
done
