#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# The README's main job: see Tether work in one step.
#   1. installs the Debian packages (packaging/install-deps.sh) and builds tether-server and
#      tether-cli (preset "dev", build/dev; or TETHER_DEMO_BUILD_DIR, a configured tree);
#   2. starts tether-server on a free port and runs a headless exchange with tether-cli:
#      a subscriber and a publisher on a channel, a rejected publication, requests, and a
#      publisher whose lines wait offline until the server comes back; every step prints
#      what happened and checks it;
#   3. when a display is available (DISPLAY set, TETHER_DEMO_CHAT not 0) it then opens the
#      chat demo on the same server and waits until its window is closed;
#   4. stops the server and exits 0 (non-zero when a step did not do what it should).
# Headless by default: needs no stdin and finishes by itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash packaging/install-deps.sh

chat=0
if [ -n "${DISPLAY:-}" ] && [ "${TETHER_DEMO_CHAT:-1}" != 0 ]; then
    chat=1
fi
targets=(tether-server tether-cli)
[ "$chat" = 1 ] && targets+=(tether-chat)
# TETHER_DEMO_BUILD_DIR: an already configured build tree to use instead of the preset's.
build=${TETHER_DEMO_BUILD_DIR:-build/dev}
echo "== building ${targets[*]} in $build"
if [ -z "${TETHER_DEMO_BUILD_DIR:-}" ]; then
    cmake --preset dev >/dev/null
fi
cmake --build "$build" --target "${targets[@]}" -j "$(nproc)"

bin=$build/demos
server_bin=$bin/server/tether-server
cli=$bin/cli/tether-cli
work=$(mktemp -d)
server_pid=""
sub_pid=""

cleanup() {
    [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

bold="" red="" plain=""
if [ -t 1 ]; then bold=$'\033[1m' red=$'\033[31m' plain=$'\033[0m'; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
show() { sed 's/^/    /' "$@"; }
fail() { printf '\n%srun-demo: %s%s\n' "$red" "$*" "$plain" >&2; exit 1; }
# Waits up to $2 seconds for file $1 to contain $3.
wait_for() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        grep -q -- "$3" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

start_server() {  # [port]
    : >"$work/server.out"
    "$server_bin" --port "${1:-0}" --readonly announcements >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    wait_for "$work/server.out" 10 "listening on" || fail "tether-server did not start: $(cat "$work/server.err")"
}
stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
}

step "Starting tether-server on a free port (channel 'announcements' is read-only)"
start_server 0
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/server.out")
url="ws://127.0.0.1:$port/"
echo "    tether-server is listening on $url"

step "1. alice subscribes to channel 'demo' and waits for 4 messages"
echo "    \$ tether-cli $url --sub demo --count 4"
"$cli" "$url" --sub demo --count 4 --timeout 30000 >"$work/alice.out" 2>"$work/alice.err" </dev/null &
sub_pid=$!
wait_for "$work/alice.err" 15 "subscribed to demo" || fail "alice could not subscribe: $(cat "$work/alice.err")"
show "$work/alice.err"

step "2. bob publishes three lines on 'demo' and waits until each one is delivered"
echo "    \$ printf 'hello from bob\\n{\"temperature\":21.5}\\n42\\n' | tether-cli $url --channel demo --wait-delivered"
printf 'hello from bob\n{"temperature":21.5}\n42\n' |
    "$cli" "$url" --channel demo --wait-delivered --timeout 30000 2>"$work/bob.err" >/dev/null ||
    fail "bob's lines were not all delivered: $(cat "$work/bob.err")"
show "$work/bob.err"
echo "    -> exit code 0: every line delivered (acknowledged by the server)"

wait "$sub_pid" || fail "alice did not receive her 4 messages: $(cat "$work/alice.err")"
sub_pid=""
echo
echo "    alice's stdout (one JSON object per message; bob joining the channel is a presence event):"
show "$work/alice.out"
grep -q '"d":"hello from bob"' "$work/alice.out" && grep -q '"d":42' "$work/alice.out" ||
    fail "alice's output misses bob's lines"

step "3. A publication on the read-only channel 'announcements' is rejected, not lost"
echo "    \$ echo 'may I post here?' | tether-cli $url --channel announcements --wait-delivered"
rc=0
echo 'may I post here?' | "$cli" "$url" --channel announcements --wait-delivered --timeout 30000 \
    2>"$work/reject.err" >/dev/null || rc=$?
show "$work/reject.err"
[ "$rc" = 4 ] || fail "expected exit code 4 (not delivered), got $rc"
echo "    -> exit code 4: a message was rejected (the server said why)"

step "4. Requests: echo, and the channel's history"
echo "    \$ tether-cli $url --request echo --params '{\"ping\":1}'"
"$cli" "$url" --request echo --params '{"ping":1}' 2>/dev/null | sed 's/^/    /'
echo "    \$ tether-cli $url --request history --params '{\"ch\":\"demo\",\"limit\":3}'"
"$cli" "$url" --request history --params '{"ch":"demo","limit":3}' 2>/dev/null | sed 's/^/    /'

step "5. The server goes down; carol publishes 2000 lines anyway: they wait in the outbox"
stop_server
echo "    tether-server stopped"
echo "    \$ seq 1 2000 | tether-cli $url --channel load --wait-delivered --quiet"
seq 1 2000 | "$cli" "$url" --channel load --wait-delivered --quiet --timeout 60000 \
    2>"$work/carol.err" >/dev/null &
carol_pid=$!
wait_for "$work/carol.err" 15 "reconnecting in" || fail "carol never tried to reconnect: $(cat "$work/carol.err")"
sleep 1
echo "    ... while the server is away:"
show "$work/carol.err"
start_server "$port"
echo "    tether-server is back on the same port"
rc=0
wait "$carol_pid" || rc=$?
echo "    carol's events since then:"
tail -n 4 "$work/carol.err" | sed 's/^/    /'
[ "$rc" = 0 ] || fail "carol's lines were not all delivered (exit $rc)"
grep -q "2000 line(s) sent: 2000 delivered" "$work/carol.err" || fail "carol's summary is not 2000 delivered"
echo "    -> exit code 0: all 2000 lines delivered after the server came back"

if [ "$chat" = 1 ]; then
    step "6. The chat demo: close its window to finish"
    echo "    \$ tether-chat --url $url --name ${USER:-you}"
    "$bin/chat/tether-chat" --url "$url" --name "${USER:-you}" || true
fi

step "Stopping tether-server"
stop_server
echo
echo "Tether works: messages delivered and acknowledged, a rejection reported, requests answered,"
echo "and 2000 lines queued while the server was down all delivered when it came back."
echo "Next: docs/demos.md (tether-cli, the chat demo, the dashboard)."
