#!/usr/bin/env bash
# TLS on vs off, side by side in one run: for each mode (alternating plain, tls, plain, tls ... over --rounds), a fresh
# gateway started by the launcher (bin/switchboard, JAVA_OPTS -Xmx256m), then
#   1. connections: a 1,000-connection warm-up, the idle baseline, then N connections held (users matched to agents,
#      application pings every 10 s) and the gateway's RSS and live heap measured while they are held; also the
#      gateway's CPU (utime+stime) over the connect-and-hold run, per connection (that is where the handshakes are);
#   2. chat: the load tester's chat scenario on the same gateway (every message answered by its agent), and the
#      gateway's CPU per routed message over the measured window only (from the load tester's first "run" progress
#      line to its first "drain" line; routed = 2 x the achieved user message rate x the window: each message is
#      delivered to its agent and answered), so that connects, matching and warm-up are not charged to messages.
# The tls modes serve a self-signed EC P-256 certificate made here with openssl: "tls" with tls-provider auto
# (OpenSSL where netty-tcnative loads), "tls-jdk" with the JDK's TLS; the load tester trusts exactly that certificate
# (--tls-ca). Traffic goes to 127.0.0.1 only, from 127.0.0.2-127.0.0.40. Only processes this script started are
# stopped.
#
#   bench/tls.sh [--connections 5000] [--users 2000] [--agents 40] [--rate 5000] [--duration 30s] [--warmup 10s]
#                [--hold 20s] [--rounds 1] [--modes "plain tls"] [--port 18080] [--out DIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N=5000; USERS=2000; AGENTS=40; RATE=5000; DURATION=30s; WARMUP=10s; HOLD=20s; ROUNDS=1; PORT=18080; MODES="plain tls"
OUT="$ROOT/bench/results/tls-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) N="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --hold) HOLD="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
command -v openssl > /dev/null || die "openssl is needed to make the test certificate"
mkdir -p "$OUT"
trap stop_gateway EXIT
export GATEWAY_JAVA_OPTS="${GATEWAY_JAVA_OPTS:--Xmx256m}"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2> /dev/null

echo "gateway: JAVA_OPTS=\"$GATEWAY_JAVA_OPTS\" bin/switchboard (config/jvm.options); connections $N, chat" \
     "$USERS users + $AGENTS agents at $RATE msg/s for $DURATION after $WARMUP" | tee "$OUT/summary.txt"
printf '%-7s %10s %10s %10s %9s %10s %9s %9s %9s %9s %10s %12s %10s\n' mode rss0_KiB rss_KiB rss/conn heap/conn \
  cpu_us/conn failed achieved p50_us p99_us routed cpu_us/msg load | tee -a "$OUT/summary.txt"

lt() { java -Xmx1g -jar "$LOADTEST_JAR" "$@"; }

for round in $(seq 1 "$ROUNDS"); do
for MODE in $MODES; do
  if [ "$MODE" != plain ]; then
    URL="wss://127.0.0.1:$PORT/pinter/imserver"; TRUST=(--tls-ca "$OUT/cert.pem")
    TLS_ARGS=(--tls-cert "$OUT/cert.pem" --tls-key "$OUT/key.pem")
    [ "$MODE" = tls-jdk ] && TLS_ARGS+=(--tls-provider jdk)
  else
    URL="ws://127.0.0.1:$PORT/pinter/imserver"; TRUST=(); TLS_ARGS=()
  fi
  RUN="${MODE//-/}_$round"
  GATEWAY_DATA_DIR=none start_gateway "$PORT" none --max-connections 20000 --idle-timeout 10m --api-enabled false \
    --rate-limit 1000000 --rate-burst 1000000 --agent-rate-limit 1000000 --agent-rate-burst 1000000 "${TLS_ARGS[@]}"
  grep -h "TLS on" "$OUT/gateway-$PORT.log" >> "$OUT/summary-providers.txt" || true
  FD0=$(open_fds "$GATEWAY_PID")
  lt connections --url "$URL" "${TRUST[@]}" --agents 20 --users 980 --duration 5s --warmup 0s --connect-rate 2000 \
    --source 127.0.0.2-127.0.0.40 --id-prefix "tlswarm$RUN" > "$OUT/warmup-$RUN.txt" 2>&1 || true
  for _ in $(seq 1 100); do [ "$(open_fds "$GATEWAY_PID")" -le $(( FD0 + 5 )) ] && break; sleep 0.2; done
  sleep 2
  RSS0=$(rss_kib "$GATEWAY_PID"); HEAP0=$(heap_used_kib "$GATEWAY_PID"); FD0=$(open_fds "$GATEWAY_PID")
  LOAD=$(wait_quiet)
  CA=$(( (N + 50) / 51 )); CU=$(( N - CA ))
  T0=$(cpu_ticks "$GATEWAY_PID")
  lt connections --url "$URL" "${TRUST[@]}" --agents "$CA" --users "$CU" --duration "$HOLD" --warmup 0s \
    --ping-interval 10s --connect-rate 1000 --max-inflight-handshakes 500 --source 127.0.0.2-127.0.0.40 \
    --id-prefix "tlscap$RUN" --report-json "$OUT/connections-$RUN.json" \
    > "$OUT/connections-$RUN.txt" 2> "$OUT/connections-$RUN.progress" &
  LT_PID=$!
  for _ in $(seq 1 600); do
    [ $(( $(open_fds "$GATEWAY_PID") - FD0 )) -ge $(( N * 99 / 100 )) ] && break
    kill -0 "$LT_PID" 2>/dev/null || break
    sleep 0.5
  done
  sleep 5
  RSS=$(rss_kib "$GATEWAY_PID"); HEAPU=$(heap_used_kib "$GATEWAY_PID")
  jcmd "$GATEWAY_PID" GC.class_histogram 2>/dev/null | head -60 > "$OUT/histogram-$RUN.txt" || true
  wait "$LT_PID" || echo "connections: load tester exited with $? ($RUN)" >&2
  T1=$(cpu_ticks "$GATEWAY_PID")
  FAILED=$(json_number "$OUT/connections-$RUN.json" connectFailed)
  CPU_CONN=$(echo "($T1 - $T0) * 1000000 / $CLK_TCK / $N" | bc -l)
  sleep 5   # the held connections close
  P="$OUT/chat-$RUN.progress"
  lt chat --url "$URL" "${TRUST[@]}" --agents "$AGENTS" --users "$USERS" --rate "$RATE" --duration "$DURATION" \
    --warmup "$WARMUP" --connect-rate 2000 --source 127.0.0.2-127.0.0.40 --id-prefix "tlschat$RUN" \
    --report-json "$OUT/chat-$RUN.json" > "$OUT/chat-$RUN.txt" 2> "$P" &
  LT_PID=$!
  # The gateway's CPU over the measured window: from the first "run" progress line to the first "drain" line.
  T0=""; T1=""; W0=""; W1=""
  while kill -0 "$LT_PID" 2>/dev/null; do
    if [ -z "$T0" ] && grep -q '\] run ' "$P" 2>/dev/null; then T0=$(cpu_ticks "$GATEWAY_PID"); W0=$(date +%s.%N); fi
    if [ -n "$T0" ] && [ -z "$T1" ] && grep -q '\] drain ' "$P" 2>/dev/null; then
      T1=$(cpu_ticks "$GATEWAY_PID"); W1=$(date +%s.%N)
    fi
    sleep 0.2
  done
  set +e
  wait "$LT_PID"
  RC=$?
  set -e
  [ "$RC" -le 3 ] || echo "chat: load tester exited with $RC ($RUN)" >&2
  J="$OUT/chat-$RUN.json"
  ROUTED=$(( $(json_number "$J" delivered) + $(json_number "$J" repliesReceived) ))
  CPU_MSG=0
  if [ -n "$T1" ]; then
    WIN_ROUTED=$(echo "2 * $(json_number "$J" achievedRate) * ($W1 - $W0)" | bc -l)
    CPU_MSG=$(echo "($T1 - $T0) * 1000000 / $CLK_TCK / $WIN_ROUTED" | bc -l)
  fi
  printf '%-7s %10s %10s %10.2f %9.2f %10.1f %9s %9s %9s %9s %10s %12.1f %10s\n' "$MODE" "$RSS0" "$RSS" \
    "$(echo "($RSS - $RSS0) / $N" | bc -l)" "$(echo "($HEAPU - $HEAP0) / $N" | bc -l)" "$CPU_CONN" "$FAILED" \
    "$(json_number "$J" achievedRate)" "$(json_number "$J" primaryP50)" "$(json_number "$J" primaryP99)" "$ROUTED" \
    "$CPU_MSG" "$LOAD" | tee -a "$OUT/summary.txt"
  stop_gateway
done
done
echo "results in $OUT"
