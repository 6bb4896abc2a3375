#!/usr/bin/env bash
# Holds many connections across several gateway nodes in cluster mode (one Redis), to show the cluster scales past
# the ~19,900 sockets one process may hold here. Per node: RSS per held connection; Redis: memory per connection.
#
#   bench/cluster-capacity.sh [--nodes 6] [--per-node 16700] [--rate 100] [--stagger 15] [--hold 420s] [--heap 256m]
#                             [--redis redis://127.0.0.1:6379]
#
# Each node gets its own load-tester process (users matched to agents on that node, pinging; 16,700 sockets stay under
# the 20,000 open files of one process) with its own block of source addresses, connecting at --rate per second.
# --hold is the load tester's whole run, ramp included: it must outlast the ramp (per-node / rate seconds). Everything targets 127.0.0.x; only processes this script started are stopped.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

NODES=6
PER_NODE=16700
HOLD=420s
RATE=100
STAGGER=15
HEAP=256m
REDIS="${SWITCHBOARD_TEST_REDIS:-redis://127.0.0.1:6379}"
BASE_PORT=18100
OUT="$ROOT/bench/results/cluster-capacity-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES="$2"; shift 2 ;;
    --per-node) PER_NODE="$2"; shift 2 ;;
    --hold) HOLD="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --stagger) STAGGER="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    --redis) REDIS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
mkdir -p "$OUT"
redis_host=$(echo "$REDIS" | sed -E 's#redis://([^:/]+).*#\1#')
redis_port=$(echo "$REDIS" | sed -E 's#redis://[^:/]+:?([0-9]*).*#\1#')
redis_port=${redis_port:-6379}
rcli() { redis-cli -h "$redis_host" -p "$redis_port" "$@"; }
rcli ping > /dev/null || die "no Redis at $REDIS"
PREFIX="bench$(date +%s):"

declare -a GW_PIDS=() LT_PIDS=()
cleanup() {
  for p in "${LT_PIDS[@]}" "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

redis_used() { rcli info memory | awk -F: '/^used_memory:/ {print int($2 / 1024)}'; }
node_connections() { curl -s "127.0.0.1:$1/healthz" | sed -n 's/.*"connections":\([0-9]*\).*/\1/p'; }

echo "nodes=$NODES per-node=$PER_NODE rate=$RATE/s hold=$HOLD heap=$HEAP redis=$REDIS prefix=$PREFIX load=$(load_avg)"
REDIS_BEFORE=$(redis_used)
for i in $(seq 1 "$NODES"); do
  port=$((BASE_PORT + i))
  JAVA_OPTS="-Xmx$HEAP" SWITCHBOARD_JAR="$GATEWAY_JAR" "$LAUNCHER" \
    --host 127.0.0.1 --port "$port" --api-enabled false --cluster-mode redis --redis-url "$REDIS" \
    --redis-key-prefix "$PREFIX" --node-id "node$i" > "$OUT/gateway-$port.log" 2>&1 &
  GW_PIDS+=($!)
done
for i in $(seq 1 "$NODES"); do
  port=$((BASE_PORT + i))
  for _ in $(seq 1 200); do curl -sf "127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done
  curl -sf "127.0.0.1:$port/readyz" > /dev/null || die "node $i did not get ready; see $OUT/gateway-$port.log"
done
declare -a RSS_IDLE=()
for i in $(seq 1 "$NODES"); do RSS_IDLE+=("$(rss_kib "${GW_PIDS[$((i - 1))]}")"); done

agents=$(( (PER_NODE + 50) / 51 ))
users=$(( PER_NODE - agents ))
start=$(date +%s)
for i in $(seq 1 "$NODES"); do
  port=$((BASE_PORT + i))
  first=$(( 2 + (i - 1) * 6 )); last=$(( first + 5 ))
  java -Xmx768m -XX:+UseSerialGC -jar "$LOADTEST_JAR" connections --url "ws://127.0.0.1:$port/pinter/imserver" \
    --agents "$agents" --users "$users" --workers 1 --source "127.0.0.$first-127.0.0.$last" \
    --connect-rate "$RATE" --max-inflight-handshakes 100 --ping-interval 30s --duration "$HOLD" \
    --id-prefix "n$i" --report-json "$OUT/loadtest-node$i.json" > "$OUT/loadtest-node$i.txt" 2> "$OUT/loadtest-node$i.err" &
  LT_PIDS+=($!)
  # Staggered starts: six JVMs starting and JIT-compiling at once on 2 cores make handshakes time out.
  sleep "$STAGGER"
done

# Measure once every connection is up, or once the count has stopped growing for 10 s (connects that time out
# under load are not retried by the load tester), while the load testers still hold them.
target=$(( NODES * PER_NODE ))
last=-1; still=0
while :; do
  total=0
  for i in $(seq 1 "$NODES"); do total=$(( total + $(node_connections $((BASE_PORT + i))) )); done
  [ "$total" -ge "$target" ] && break
  if [ "$total" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
  last=$total
  [ "$still" -ge 5 ] && [ "$total" -gt 0 ] && { echo "connections stopped growing at $total of $target"; break; }
  [ $(( $(date +%s) - start )) -gt 600 ] && { echo "only $total of $target connected after 600 s"; break; }
  sleep 2
done
ramp=$(( $(date +%s) - start ))
echo "held $total connections across $NODES nodes after ${ramp}s"

echo "| node | connections | RSS idle (KiB) | RSS held (KiB) | RSS per connection (KiB) | heap used (KiB) |"
echo "|---:|---:|---:|---:|---:|---:|"
for i in $(seq 1 "$NODES"); do
  pid=${GW_PIDS[$((i - 1))]}
  port=$((BASE_PORT + i))
  n=$(node_connections "$port")
  held=$(rss_kib "$pid")
  heap=$(heap_used_kib "$pid")
  per=$(awk -v a="$held" -v b="${RSS_IDLE[$((i - 1))]}" -v n="$n" 'BEGIN { printf "%.2f", (a - b) / n }')
  echo "| $i | $n | ${RSS_IDLE[$((i - 1))]} | $held | $per | $heap |"
done
REDIS_AFTER=$(redis_used)
awk -v a="$REDIS_AFTER" -v b="$REDIS_BEFORE" -v n="$total" \
  'BEGIN { printf "Redis used_memory: %d -> %d KiB, %.2f KiB (%.0f bytes) per connection\n", b, a, (a - b) / n, (a - b) * 1024 / n }'

for p in "${LT_PIDS[@]}"; do wait "$p" || echo "a load-tester run exited non-zero (see $OUT)"; done
LT_PIDS=()
echo "load-tester failures by node:"
for i in $(seq 1 "$NODES"); do
  echo "  node $i: $(grep -iE 'failed|failures' "$OUT/loadtest-node$i.txt" | head -3 | tr '\n' ' ')"
done
rcli --scan --pattern "${PREFIX}*" | head -100000 | xargs -r -n 500 redis-cli -h "$redis_host" -p "$redis_port" del > /dev/null
echo "results in $OUT"
