#!/usr/bin/env bash
# Chat throughput and latency: one gateway, a sweep of offered rates (default 5k, 10k, 20k msg/s and max), each run
# with the load tester's `chat` scenario. Reports offered vs achieved rate, p50/p99/p99.9 send-to-receipt latency
# and the gateway's CPU per routed message: the delta of utime+stime (/proc/PID/stat, in CLK_TCK ticks) over the
# run divided by the messages it routed (user messages delivered to agents + agent replies delivered to users).
# The CPU figure includes the run's connect and match phase, which is small next to a 30 s run.
#
#   bench/chat.sh [--heap 512m] [--rates "5000 10000 20000 max"] [--agents 40] [--users 2000]
#                 [--duration 30s] [--warmup 20s] [--port 18080] [--modes "plain ack"] [--out DIR]
#
# --modes runs each rate once per mode, alternating, against the same gateway: plain clients, or acknowledging
# ones (the load tester's --ack: ?ack=1, cumulative acks, PROTOCOL.md §5). Default: plain only.
#
# The warm-up is long (20 s) because the load tester is a fresh JVM per rate: with 5 s its own JIT compilation on the
# shared 2 cores showed up as 10-100 ms p99 spikes.
# The gateway runs with its per-sender rate limit raised (agents answer every message): this measures routing,
# not the limiter. Traffic goes to 127.0.0.1 only. Only processes this script started are stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HEAP=512m; RATES="5000 10000 20000 max"; AGENTS=40; USERS=2000; DURATION=30s; WARMUP=20s; PORT=18080
MODES="plain"
OUT="$ROOT/bench/results/chat-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --heap) HEAP="$2"; shift 2 ;;
    --rates) RATES="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
mkdir -p "$OUT"
trap stop_gateway EXIT

start_gateway "$PORT" "$HEAP" --rate-limit 1000000 --rate-burst 1000000 \
  --agent-rate-limit 1000000 --agent-rate-burst 1000000
echo "gateway: JAVA_OPTS=\"$( [ "$HEAP" = none ] || echo "-Xms$HEAP -Xmx$HEAP" ) ${GATEWAY_JAVA_OPTS:-}\" SWITCHBOARD_JAR=$GATEWAY_JAR bin/switchboard ${GATEWAY_ARGS:-}" | tee "$OUT/summary.txt"
# Warm-up pass (not reported): JIT-compiles the gateway's paths so that the first measured rate is not charged for it.
java -Xmx1g -jar "$LOADTEST_JAR" chat --url "ws://127.0.0.1:$PORT/pinter/imserver" --agents "$AGENTS" \
  --users "$USERS" --rate 5000 --duration 15s --warmup 0s --connect-rate 2000 --source 127.0.0.2-127.0.0.40 \
  --id-prefix "chatwarm" > "$OUT/warmup.txt" 2>&1 || true
printf '%-6s %-8s %10s %10s %9s %9s %9s %10s %8s %8s %12s %10s\n' mode offered achieved sent p50_us p99_us p999_us \
  routed lost errors cpu_us/msg load | tee -a "$OUT/summary.txt"
for RATE in $RATES; do
for MODE in $MODES; do
  ACK_FLAG=""
  [ "$MODE" = ack ] && ACK_FLAG="--ack"
  RUN="${MODE}_$RATE"
  sleep 5   # the previous run's connections close
  LOAD=$(wait_quiet)
  T0=$(cpu_ticks "$GATEWAY_PID")
  set +e
  java -Xmx1g -jar "$LOADTEST_JAR" chat --url "ws://127.0.0.1:$PORT/pinter/imserver" \
    --agents "$AGENTS" --users "$USERS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
    --connect-rate 2000 --source 127.0.0.2-127.0.0.40 --id-prefix "chat$RUN" $ACK_FLAG \
    --report-json "$OUT/chat-$RUN.json" --report-html "$OUT/chat-$RUN.html" \
    > "$OUT/chat-$RUN.txt" 2> "$OUT/chat-$RUN.progress"
  RC=$?
  set -e
  T1=$(cpu_ticks "$GATEWAY_PID")
  [ "$RC" -le 3 ] || echo "load tester exited with $RC at rate $RATE" >&2
  J="$OUT/chat-$RUN.json"
  DELIVERED=$(json_number "$J" delivered); REPLIES=$(json_number "$J" repliesReceived)
  ROUTED=$(( DELIVERED + REPLIES ))
  CPU_US=$(echo "($T1 - $T0) * 1000000 / $CLK_TCK" | bc -l)
  P50=$(json_number "$J" primaryP50); P99=$(json_number "$J" primaryP99); P999=$(json_number "$J" primaryP999)
  printf '%-6s %-8s %10s %10s %9s %9s %9s %10s %8s %8s %12.1f %10s\n' "$MODE" "$RATE" "$(json_number "$J" achievedRate)" \
    "$(json_number "$J" sent)" "$P50" "$P99" "$P999" "$ROUTED" "$(json_number "$J" lost)" \
    "$(json_number "$J" errors)" "$(echo "$CPU_US / ($ROUTED + ($ROUTED == 0))" | bc -l)" "$LOAD" | tee -a "$OUT/summary.txt"
done
done
echo "results in $OUT"
