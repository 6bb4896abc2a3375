#!/usr/bin/env bash
# The gateway against a minimal raw-Netty + Jackson relay (bench/relay/Relay.java: upgrade, parse, forward to the
# paired peer, JSON receipt; nothing else), side by side in one run (issue #12's yardstick): for each round, each
# server in turn is started fresh, warmed up, and driven by the load tester's `chat` scenario at --rate; reported are
# the achieved rate, p50/p99 send-to-receipt latency and the server's CPU per routed message (utime+stime delta over
# the run / messages routed), as bench/chat.sh computes it.
#
#   bench/relay.sh [--rate 10000] [--agents 40] [--users 2000] [--duration 30s] [--warmup 15s] [--rounds 2] [--out DIR]
#
# NOT YET A VALID COMPARISON (2026-11-27): at 10k msg/s with 2,000 users the relay's agents received only a third of
# the users' messages (the load tester counts the rest lost: most likely a user's first message reaching its agent
# before the relay's match notice does, which the relay does not order), so its CPU per routed message is overstated
# about threefold. Fix the relay before quoting its figures.
#
# The gateway is started as the README says (bin/switchboard, config/jvm.options) with its rate limits raised and no
# data directory (the relay keeps nothing either); the relay runs on the same JVM flags. Traffic goes to 127.0.0.1
# only; only processes this script started are stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RATE=10000; AGENTS=40; USERS=2000; DURATION=30s; WARMUP=15s; ROUNDS=2; PORT=18090
OUT="$ROOT/bench/results/relay-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
mkdir -p "$OUT"
GATEWAY_DATA_DIR=none
RELAY_PID=""
stop_all() {
  stop_gateway
  if [ -n "$RELAY_PID" ] && kill -0 "$RELAY_PID" 2>/dev/null; then kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true; fi
  RELAY_PID=""
}
trap stop_all EXIT

start_relay() {
  # The launcher's JVM flags, so both servers run with the same GC and heap settings.
  # shellcheck disable=SC2046
  java $(grep -v '^#' "$ROOT/config/jvm.options" | tr '\n' ' ') -cp "$GATEWAY_JAR" "$ROOT/bench/relay/Relay.java" \
    "$PORT" > "$OUT/relay-$1.log" 2>&1 &
  RELAY_PID=$!
  for _ in $(seq 1 200); do
    grep -q "relay listening" "$OUT/relay-$1.log" 2>/dev/null && return 0
    kill -0 "$RELAY_PID" 2>/dev/null || die "relay exited; see $OUT/relay-$1.log"
    sleep 0.1
  done
  die "relay did not start within 20 s"
}

run_chat() { # NAME RATE DURATION WARMUP
  java -Xmx1g -jar "$LOADTEST_JAR" chat --url "ws://127.0.0.1:$PORT/pinter/imserver" --agents "$AGENTS" \
    --users "$USERS" --rate "$2" --duration "$3" --warmup "$4" --connect-rate 2000 --source 127.0.0.2-127.0.0.40 \
    --id-prefix "$1" --report-json "$OUT/$1.json" > "$OUT/$1.txt" 2> "$OUT/$1.progress" || true
}

printf '%-8s %-6s %10s %9s %9s %10s %8s %12s %10s\n' server round achieved p50_us p99_us routed lost cpu_us/msg load \
  | tee "$OUT/summary.txt"
for ROUND in $(seq 1 "$ROUNDS"); do
  for SERVER in gateway relay; do
    if [ "$SERVER" = gateway ]; then
      start_gateway "$PORT" none --rate-limit 1000000 --rate-burst 1000000 --agent-rate-limit 1000000 \
        --agent-rate-burst 1000000 --max-connections 20000
      PID=$GATEWAY_PID
    else
      start_relay "$ROUND"
      PID=$RELAY_PID
    fi
    run_chat "warm_${SERVER}_$ROUND" 5000 10s 0s   # JIT warm-up, not reported
    sleep 3
    LOAD=$(wait_quiet)
    T0=$(cpu_ticks "$PID")
    run_chat "${SERVER}_$ROUND" "$RATE" "$DURATION" "$WARMUP"
    T1=$(cpu_ticks "$PID")
    J="$OUT/${SERVER}_$ROUND.json"
    ROUTED=$(( $(json_number "$J" delivered) + $(json_number "$J" repliesReceived) ))
    CPU_US=$(echo "($T1 - $T0) * 1000000 / $CLK_TCK" | bc -l)
    printf '%-8s %-6s %10s %9s %9s %10s %8s %12.1f %10s\n' "$SERVER" "$ROUND" "$(json_number "$J" achievedRate)" \
      "$(json_number "$J" primaryP50)" "$(json_number "$J" primaryP99)" "$ROUTED" "$(json_number "$J" lost)" \
      "$(echo "$CPU_US / ($ROUTED + ($ROUTED == 0))" | bc -l)" "$LOAD" | tee -a "$OUT/summary.txt"
    stop_all
  done
done
echo "results in $OUT"
