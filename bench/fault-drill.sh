#!/usr/bin/env bash
# Fault drill: live chat (bench/drill/drill.mjs: users and agents on an independent WebSocket client, reconnecting
# and re-matching by themselves) while gateways are killed and restarted, then a reconciliation of every message:
# sent, promised (receipt code "0"), delivered, lost (promised but never delivered), duplicated, and the users who
# were given another agent after reconnecting. Besides the gateway kills, the clients destroy some of their own
# sockets every few seconds (no close frame, as a device losing its network) and resume.
#
#   bench/fault-drill.sh cluster   3 nodes + a private Redis (AOF on): kill -9 of a node and its restart, a rolling
#                                  restart (SIGTERM, start) of the other two, a Redis restart
#   bench/fault-drill.sh single    1 node: SIGTERM and start, then kill -9 and start
#   options: [--ack] [--users 40] [--agents 6] [--rate 800] [--kill-every 3] [--out DIR]
#     --ack           every client uses acknowledged delivery (PROTOCOL.md §5: ack=1, acks, since=, resends with the
#                     same msgId); the reconciliation adds seq duplicates suppressed, gaps, resends, delivered notices
#     --kill-every S  every S seconds one agent's and two users' sockets are destroyed (0: no client kills, the drill
#                     of 2026-11-27's first table)
#
# A single node keeps its data directory (held messages, pairings, sequences) in DIR/data across its restarts;
# cluster nodes keep that state in the drill's Redis.
#
# Every process it starts listens on 127.0.0.1 only, and only those processes (by PID) are stopped. Bounded: about
# 90 s per scenario. Needs node (npm install in bench/drill once) and, for cluster, redis-server on PATH.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SCENARIO="${1:-cluster}"; shift || true
[ "$SCENARIO" = cluster ] || [ "$SCENARIO" = single ] || die "scenario must be cluster or single, not $SCENARIO"
USERS=40; AGENTS=6; RATE=800; DURATION=60; SETTLE=20; ACK=0; KILL_EVERY=3
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ack) ACK=1; shift ;;
    --kill-every) KILL_EVERY="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
MODE=plain; [ "$ACK" = 1 ] && MODE=ack
[ -n "$OUT" ] || OUT="$ROOT/bench/results/drill-$SCENARIO-$MODE-$(date +%Y%m%d-%H%M%S)"
require_jars
command -v node > /dev/null || die "node is required"
[ -d "$ROOT/bench/drill/node_modules/ws" ] || (cd "$ROOT/bench/drill" && npm install --no-audit --no-fund --silent)
mkdir -p "$OUT"

REDIS_PORT=16390
REDIS_PID=""
declare -A NODE_PID
PORTS=(18100 18110 18120)

start_redis() {
  mkdir -p "$OUT/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$OUT/redis" --appendonly yes --appendfsync everysec \
    --save '' --daemonize no --logfile "$OUT/redis.log" &
  REDIS_PID=$!
  for _ in $(seq 1 50); do
    [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  die "redis did not start"
}

stop_pid() { # stop_pid PID SIGNAL: signal it, wait (bounded) for it to exit
  local pid="$1" sig="$2"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

start_node() { # start_node INDEX
  local i="$1" port="${PORTS[$1]}" state=()
  if [ "$SCENARIO" = cluster ]; then
    state=(--cluster-mode redis --redis-url "redis://127.0.0.1:$REDIS_PORT" --node-id "drill-n$i"
           --redis-key-prefix "drill:")
  else
    # One data directory per node, kept across its restarts (never the default ./data of the working directory).
    state=(--data-dir "$OUT/data-$port")
  fi
  # shellcheck disable=SC2086
  JAVA_OPTS="-Xms64m -Xmx256m ${GATEWAY_JAVA_OPTS:-}" SWITCHBOARD_JAR="$GATEWAY_JAR" "$LAUNCHER" \
    --host 127.0.0.1 --port "$port" \
    --api-host 127.0.0.1 "${state[@]}" >> "$OUT/gateway-$port.log" 2>&1 &
  NODE_PID[$i]=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "${NODE_PID[$i]}" 2>/dev/null || die "node $i exited; see $OUT/gateway-$port.log"
    sleep 0.1
  done
  die "node $i did not listen within 30 s"
}

cleanup() {
  for i in "${!NODE_PID[@]}"; do stop_pid "${NODE_PID[$i]}" TERM; done
  stop_pid "$REDIS_PID" TERM
}
trap cleanup EXIT

log() { echo "[$(date +%T.%3N)] $*" | tee -a "$OUT/timeline.txt"; }

if [ "$SCENARIO" = cluster ]; then
  start_redis
  NODES=(0 1 2)
else
  NODES=(0)
fi
for i in "${NODES[@]}"; do start_node "$i"; done
URLS=$(for i in "${NODES[@]}"; do printf 'ws://127.0.0.1:%s,' "${PORTS[$i]}"; done); URLS="${URLS%,}"
log "started ${#NODES[@]} node(s): $URLS; $MODE clients, client kills every ${KILL_EVERY}s"

node "$ROOT/bench/drill/drill.mjs" --urls "$URLS" --users "$USERS" --agents "$AGENTS" --rate "$RATE" \
  --duration "$DURATION" --settle "$SETTLE" --ack "$ACK" --kill-every "$KILL_EVERY" --out "$OUT/result.json" \
  > "$OUT/drill.out" 2> "$OUT/drill.progress" &
DRILL_PID=$!

# The timeline is anchored to the drill's start (at T: sleep until T seconds after it), so that a node that is slow
# to start on a loaded machine delays only the steps that have to wait for it.
DRILL_START=$SECONDS
at() { local wait=$(( DRILL_START + $1 - SECONDS )); [ "$wait" -le 0 ] || sleep "$wait"; }
if [ "$SCENARIO" = cluster ]; then
  at 10; log "kill -9 node 1"; stop_pid "${NODE_PID[1]}" KILL
  at 14; log "start node 1"; start_node 1; log "node 1 up"
  at 20; log "SIGTERM node 0"; stop_pid "${NODE_PID[0]}" TERM; log "start node 0"; start_node 0; log "node 0 up"
  at 23; log "SIGTERM node 2"; stop_pid "${NODE_PID[2]}" TERM; log "start node 2"; start_node 2; log "node 2 up"
  at 32; log "restart redis"; stop_pid "$REDIS_PID" TERM; start_redis; log "redis back"
else
  at 10; log "SIGTERM node 0"; stop_pid "${NODE_PID[0]}" TERM; log "start node 0"; start_node 0; log "node 0 up"
  at 25; log "kill -9 node 0"; stop_pid "${NODE_PID[0]}" KILL; log "start node 0"; start_node 0; log "node 0 up"
fi

wait "$DRILL_PID"
log "drill done"
cat "$OUT/drill.out"
node -e '
  const r = require(process.argv[1]);
  const lines = [
    `${r.mode} clients: sent ${r.sent}, promised (code "0") ${r.promised} (stored offline ${r.storedOffline}), ` +
    `unanswered ${r.unanswered}, failures ${JSON.stringify(r.failures)}`,
    `delivered ${r.deliveredUnique} (once ${r.deliveredOnce}), LOST ${r.lost} (within 1 s of a kill of the recipient ` +
    `socket ${r.lostNearClientKill}, other ${r.lostOther}), duplicated ${r.duplicated}`,
    `client kills ${r.clientKills}, reconnects ${r.reconnects}, users given another agent ` +
    `${r.usersGivenAnotherAgent} of ${r.users}, errors ${r.errors}`,
  ];
  if (r.mode === "ack") lines.push(
    `duplicates suppressed by seq ${r.seqDuplicatesSuppressed}, gaps ${r.gapEvents} (${r.seqsMissing} seqs), ` +
    `resends ${r.resends} (answered from dedup ${r.resendsAnsweredFromDedup}, delivered by the resend ` +
    `${r.resendsAnsweredFresh}, failed ${r.resendsFailed}), delivered notices ${r.deliveredNotices} ` +
    `(promised messages with one ${r.promisedWithNotice})`);
  console.log(lines.join("\n"));
' "$OUT/result.json" | tee "$OUT/summary.txt"
echo "results in $OUT"
