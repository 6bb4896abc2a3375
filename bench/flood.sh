#!/usr/bin/env bash
# Flood fairness (issue #12): starts a gateway on 127.0.0.1 with one I/O thread (so the flooder and the bystander
# share an event loop: the worst case), runs bench/drill/flood.mjs (an independent `ws` client: a bystander pings
# every 20 ms for a baseline, then one paired user writes --messages `normal` messages back to back), and records
# the bystander's ping round trip before and during the flood, and what the flooder got back.
#
#   bench/flood.sh [--messages 100000] [--baseline 10] [--io-threads 1] [--port 18300] [--out DIR]
#
# GATEWAY_JAR=... runs another build of the gateway (e.g. one from before a change) for a side-by-side comparison.
# Traffic goes to 127.0.0.1 only; only the gateway this script started is stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MESSAGES=100000; BASELINE=10; IO_THREADS=1; PORT=18300
OUT="$ROOT/bench/results/flood-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) MESSAGES="$2"; shift 2 ;;
    --baseline) BASELINE="$2"; shift 2 ;;
    --io-threads) IO_THREADS="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -f "$GATEWAY_JAR" ] || die "$GATEWAY_JAR missing: run './mvnw -q -DskipTests package' first"
[ -d "$ROOT/bench/drill/node_modules/ws" ] || (cd "$ROOT/bench/drill" && npm ci --silent --no-audit --no-fund)
mkdir -p "$OUT"
trap stop_gateway EXIT

echo "gateway: $GATEWAY_JAR --io-threads $IO_THREADS; flood of $MESSAGES messages after a ${BASELINE}s baseline" \
  | tee "$OUT/summary.txt"
start_gateway "$PORT" 512m --io-threads "$IO_THREADS"
node "$ROOT/bench/drill/flood.mjs" --url "ws://127.0.0.1:$PORT" --messages "$MESSAGES" --baseline "$BASELINE" \
  --out "$OUT/result.json" | tee -a "$OUT/summary.txt"
echo "results in $OUT"
