#!/usr/bin/env bash
# Make sure a Redis Cluster of 3 masters and 3 replicas answers on 127.0.0.1:7000-7005 (for the gateway's cluster ITs
# against the cluster topology, issue #13). Safe to call repeatedly.
#
#   1. apt-get install redis-server (with redis-cli) if either is missing (via ensure-redis.sh's helpers)
#   2. start every node that does not answer, daemonized, cluster-enabled, cluster-node-timeout 2000, no persistence
#   3. if the nodes are not a cluster yet: redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes
#   4. wait (up to 60 s) until every node reports cluster_state:ok with all 16384 slots served; if a cluster left
#      from an earlier run does not get there, stop its nodes (by their pid files) and create it afresh
#
# A failover IT may have promoted replicas: any healthy 3+3 layout is fine.
#
# Usage: sb_env="$(bash .ci/ensure-redis-cluster.sh)" && eval "$sb_env"   (logs to stderr; stdout is the export line)
# Env: SWITCHBOARD_REDIS_CLUSTER_PORT (first port, default 7000; the nodes use it and the next five)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SB_LOG_TAG=ensure-redis-cluster
# shellcheck source=../docker/lib.sh
. "$ROOT/docker/lib.sh"

FIRST="${SWITCHBOARD_REDIS_CLUSTER_PORT:-7000}"
PORTS=$(seq "$FIRST" $((FIRST + 5)))
HOST=127.0.0.1
BASE=/var/lib/switchboard-redis-cluster
START=$(date +%s)

cli() { local port="$1"; shift; redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null; }
answers() { [ "$(cli "$1" ping)" = "PONG" ]; }
info_field() { cli "$1" cluster info | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }

# Every node: cluster_state:ok, all slots served, six nodes known; every replica in sync.
healthy() {
  local p
  for p in $PORTS; do
    [ "$(info_field "$p" cluster_state)" = ok ] || return 1
    [ "$(info_field "$p" cluster_slots_ok)" = 16384 ] || return 1
    [ "$(info_field "$p" cluster_known_nodes)" = 6 ] || return 1
    if cli "$p" info replication | tr -d '\r' | grep -q '^role:slave'; then
      cli "$p" info replication | tr -d '\r' | grep -q '^master_link_status:up' || return 1
    fi
  done
}

wait_healthy() { # wait_healthy SECONDS: true once healthy, false after SECONDS
  local deadline=$((SECONDS + $1))
  until healthy; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.5; done
}

start_node() {
  local p="$1"
  mkdir -p "$BASE/$p"
  sb_log "starting cluster node on $HOST:$p"
  # No persistence (a test fixture); nodes.conf in its directory keeps its cluster identity across restarts.
  redis-server --bind "$HOST" --port "$p" --daemonize yes --dir "$BASE/$p" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
    --cluster-replica-validity-factor 0 --repl-diskless-sync-delay 0 --save '' --appendonly no \
    --pidfile "/tmp/switchboard-redis-$p.pid" --logfile "/tmp/redis-$p.log"
}

# Stops the nodes this script started (by the PIDs in their pid files) and forgets the cluster.
reset_cluster() {
  local p pid
  for p in $PORTS; do
    pid="$(cat "/tmp/switchboard-redis-$p.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      sb_log "stopping cluster node pid $pid ($HOST:$p)"
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    answers "$p" && sb_die "something not started by this script answers on $HOST:$p; stop it and run again"
    rm -rf "${BASE:?}/$p"
  done
}

start_missing_and_create() {
  local p
  for p in $PORTS; do
    answers "$p" && continue
    start_node "$p"
    for _ in $(seq 1 40); do answers "$p" && break; sleep 0.25; done
    answers "$p" || { tail -n 20 "/tmp/redis-$p.log" >&2 || true; sb_die "node did not answer on $HOST:$p"; }
  done
  # Fresh nodes know only themselves and serve no slot: create the cluster. Otherwise they rejoin by nodes.conf.
  if [ "$(info_field "$FIRST" cluster_known_nodes)" = 1 ] && [ "$(info_field "$FIRST" cluster_slots_assigned)" = 0 ]; then
    sb_log "redis-cli --cluster create (3 masters, 3 replicas)"
    # shellcheck disable=SC2046
    redis-cli --cluster create $(for p in $PORTS; do printf '%s:%s ' "$HOST" "$p"; done) \
      --cluster-replicas 1 --cluster-yes >&2
  fi
}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  sb_require_root
  sb_apt_install - redis-server   # pulls redis-tools (redis-cli)
fi

if healthy; then
  sb_log "redis cluster already healthy on $HOST:$FIRST-$((FIRST + 5))"
else
  start_missing_and_create
  if ! wait_healthy 60; then
    sb_log "the cluster on $HOST:$FIRST-$((FIRST + 5)) is not healthy after 60 s; creating it afresh"
    reset_cluster
    start_missing_and_create
    wait_healthy 60 || sb_die "the redis cluster on $HOST:$FIRST-$((FIRST + 5)) did not get healthy (see /tmp/redis-$FIRST.log)"
  fi
fi

sb_log "redis cluster ready in $(( $(date +%s) - START ))s: masters $(cli "$FIRST" cluster nodes | awk '$3 ~ /master/ && NF > 8 {split($2, a, "@"); printf "%s ", a[1]}')"
echo "export SWITCHBOARD_TEST_REDIS_CLUSTER=$(for p in $PORTS; do printf 'redis://%s:%s,' "$HOST" "$p"; done | sed 's/,$//')"
