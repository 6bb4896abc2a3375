#!/usr/bin/env bash
# Gateway memory per held connection: starts the gateway jar with a given heap, holds 5k, 10k and 19k connections
# (users and agents, users matched) with the load tester's `connections` scenario, and measures the gateway's RSS
# (/proc/PID/status VmRSS) and live heap (jcmd GC.heap_info after a full GC) before and while holding them.
#
# The baseline (rss0, heap0) is taken after a warm-up of 1,000 connections that have come and gone. --heap none
# leaves the heap to GATEWAY_JAVA_OPTS; GATEWAY_JAVA_OPTS and GATEWAY_ARGS add JVM and gateway flags.
#
#   [GATEWAY_JAVA_OPTS=...] bench/capacity.sh [--heap 512m] [--counts "5000 10000 19000"] [--hold 30s] [--port 18080] [--out DIR]
#
# This machine caps every process at 20,000 open files (ulimit -Hn), so the gateway holds at most ~19,900
# sockets and the load tester forks --workers so that each of its processes stays far below the cap. Traffic goes
# to 127.0.0.1 only, from source addresses 127.0.0.2-127.0.0.40. Only processes this script started are stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HEAP=512m; COUNTS="5000 10000 19000"; HOLD=30s; PORT=18080
OUT="$ROOT/bench/results/capacity-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --heap) HEAP="$2"; shift 2 ;;
    --counts) COUNTS="$2"; shift 2 ;;
    --hold) HOLD="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
mkdir -p "$OUT"
trap stop_gateway EXIT

echo "ulimit -n: soft $(ulimit -Sn), hard $(ulimit -Hn); somaxconn $(cat /proc/sys/net/core/somaxconn)" | tee "$OUT/summary.txt"
echo "gateway: JAVA_OPTS=\"$( [ "$HEAP" = none ] || echo "-Xms$HEAP -Xmx$HEAP" ) ${GATEWAY_JAVA_OPTS:-}\" SWITCHBOARD_JAR=$GATEWAY_JAR bin/switchboard ${GATEWAY_ARGS:-}" | tee -a "$OUT/summary.txt"
printf '%-8s %-6s %10s %10s %12s %10s %10s %12s %10s %8s %10s\n' connections heap rss0_KiB rss_KiB rss_KiB/conn \
  heap0_KiB heap_KiB heap_KiB/conn conn/s failed load | tee -a "$OUT/summary.txt"

for N in $COUNTS; do
  [ "$N" -lt 19950 ] || die "$N connections exceed one gateway process's file limit here (~19,900)"
  start_gateway "$PORT" "$HEAP" --max-connections 20000 --idle-timeout 10m
  # Warm-up (not counted): 1,000 connections for 5 s load the classes and JIT-compile the handshake path, so that the
  # baseline is an idle gateway that has served before, and the per-connection figure is the connections' own.
  FD0=$(open_fds "$GATEWAY_PID")
  java -Xmx1g -jar "$LOADTEST_JAR" connections --url "ws://127.0.0.1:$PORT/pinter/imserver" --agents 20 --users 980 \
    --duration 5s --warmup 0s --connect-rate 2000 --source 127.0.0.2-127.0.0.40 --id-prefix "capwarm$N" \
    > "$OUT/warmup-$N.txt" 2>&1 || true
  for _ in $(seq 1 100); do [ "$(open_fds "$GATEWAY_PID")" -le $(( FD0 + 5 )) ] && break; sleep 0.2; done
  sleep 2
  RSS0=$(rss_kib "$GATEWAY_PID"); HEAP0=$(heap_used_kib "$GATEWAY_PID"); FD0=$(open_fds "$GATEWAY_PID")
  LOAD=$(wait_quiet)
  AGENTS=$(( (N + 50) / 51 )); USERS=$(( N - AGENTS ))
  WORKERS=$(( (N + 8999) / 9000 ))
  java -Xmx1g -jar "$LOADTEST_JAR" connections --url "ws://127.0.0.1:$PORT/pinter/imserver" \
    --agents "$AGENTS" --users "$USERS" --duration "$HOLD" --warmup 0s --ping-interval 10s \
    --connect-rate 2000 --max-inflight-handshakes 500 --source 127.0.0.2-127.0.0.40 --workers "$WORKERS" \
    --id-prefix "cap$N" --report-json "$OUT/connections-$N.json" --report-html "$OUT/connections-$N.html" \
    > "$OUT/connections-$N.txt" 2> "$OUT/connections-$N.progress" &
  LT_PID=$!
  # Wait until the gateway holds (nearly) all of them, then measure in the middle of the hold.
  for _ in $(seq 1 600); do
    [ $(( $(open_fds "$GATEWAY_PID") - FD0 )) -ge $(( N * 99 / 100 )) ] && break
    kill -0 "$LT_PID" 2>/dev/null || break
    sleep 0.5
  done
  sleep 5
  RSS=$(rss_kib "$GATEWAY_PID"); HEAPU=$(heap_used_kib "$GATEWAY_PID")
  jcmd "$GATEWAY_PID" GC.class_histogram 2>/dev/null | head -60 > "$OUT/histogram-$N.txt" || true
  wait "$LT_PID" || echo "load tester exited with $? for $N (see $OUT/connections-$N.txt)" >&2
  RATE=$(json_number "$OUT/connections-$N.json" connectRate)
  FAILED=$(json_number "$OUT/connections-$N.json" connectFailed)
  printf '%-8s %-6s %10s %10s %12.2f %10s %10s %12.2f %10s %8s %10s\n' "$N" "$HEAP" "$RSS0" "$RSS" \
    "$(echo "($RSS - $RSS0) / $N" | bc -l)" "$HEAP0" "$HEAPU" "$(echo "($HEAPU - $HEAP0) / $N" | bc -l)" \
    "$RATE" "$FAILED" "$LOAD" | tee -a "$OUT/summary.txt"
  stop_gateway
done
echo "results in $OUT"
