#!/usr/bin/env bash
# Make sure a Redis Sentinel setup answers on 127.0.0.1 (for the gateway's cluster ITs against the sentinel topology,
# issue #13): a primary on 6390, its replica on 6391, three sentinels on 26390-26392 monitoring it as "mymaster"
# (quorum 2, down-after-milliseconds 2000). Safe to call repeatedly.
#
#   1. apt-get install redis-server if it is missing (it runs the sentinels too)
#   2. if the sentinels already agree on a primary that answers, with an in-sync replica: done (a failover IT may
#      have promoted 6391; that is fine); if only the other Redis server is down, start it as a replica of that primary
#   3. else stop what this script started before (by its pid files) and start it afresh: primary, replica (once in
#      sync) and the sentinels; wait (up to 60 s) until every sentinel sees the primary, the replica and the two
#      other sentinels
#
# Usage: sb_env="$(bash .ci/ensure-redis-sentinel.sh)" && eval "$sb_env"   (logs to stderr; stdout is the export line)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SB_LOG_TAG=ensure-redis-sentinel
# shellcheck source=../docker/lib.sh
. "$ROOT/docker/lib.sh"

HOST=127.0.0.1
PRIMARY=6390
REPLICA=6391
SENTINELS="26390 26391 26392"
NAME=mymaster
BASE=/var/lib/switchboard-redis-sentinel
START=$(date +%s)

cli() { local port="$1"; shift; redis-cli -h "$HOST" -p "$port" "$@" 2>/dev/null; }
answers() { [ "$(cli "$1" ping)" = "PONG" ]; }
# sentinel_field PORT FIELD: a field of SENTINEL MASTER mymaster (a flat list of names and values)
sentinel_field() { cli "$1" sentinel master "$NAME" | tr -d '\r' | awk -v k="$2" 'prev == k {print; exit} {prev = $0}'; }
announced_port() { cli "$1" sentinel get-master-addr-by-name "$NAME" | tr -d '\r' | sed -n 2p; }

# Every sentinel: the same primary, which answers as a master; one in-sync replica; two other sentinels.
healthy() {
  local s primary="" p replica
  for s in $SENTINELS; do
    p="$(announced_port "$s")"
    [ -n "$p" ] || return 1
    [ -z "$primary" ] || [ "$p" = "$primary" ] || return 1
    primary="$p"
    [ "$(sentinel_field "$s" flags)" = master ] || return 1
    [ "$(sentinel_field "$s" num-other-sentinels)" = 2 ] || return 1
    [ "$(sentinel_field "$s" num-slaves)" = 1 ] || return 1
  done
  cli "$primary" info replication | tr -d '\r' | grep -q '^role:master' || return 1
  replica=$([ "$primary" = "$PRIMARY" ] && echo "$REPLICA" || echo "$PRIMARY")
  cli "$replica" info replication | tr -d '\r' | grep -q '^master_link_status:up'
}

wait_for() { # wait_for SECONDS COMMAND...: true once COMMAND is, false after SECONDS
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do [ "$SECONDS" -lt "$deadline" ] || return 1; sleep 0.5; done
}

stop_ours() {
  local p pid
  for p in $SENTINELS $PRIMARY $REPLICA; do
    pid="$(cat "/tmp/switchboard-redis-$p.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      sb_log "stopping pid $pid ($HOST:$p)"
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    answers "$p" && sb_die "something not started by this script answers on $HOST:$p; stop it and run again"
    rm -rf "${BASE:?}/$p"
  done
}

start_redis() { # start_redis PORT [PRIMARY_PORT]
  local p="$1"
  mkdir -p "$BASE/$p"
  # A config file of its own, so that a sentinel's CONFIG REWRITE after a failover works. No persistence.
  printf 'port %s\nbind %s\ndir %s\nsave ""\nappendonly no\nrepl-diskless-sync-delay 0\ndaemonize yes\npidfile /tmp/switchboard-redis-%s.pid\nlogfile /tmp/redis-%s.log\n' \
    "$p" "$HOST" "$BASE/$p" "$p" "$p" >"$BASE/$p/redis.conf"
  [ -z "${2:-}" ] || printf 'replicaof %s %s\n' "$HOST" "$2" >>"$BASE/$p/redis.conf"
  sb_log "starting redis-server on $HOST:$p${2:+ (replica of $2)}"
  redis-server "$BASE/$p/redis.conf"
  wait_for 20 answers "$p" || { tail -n 20 "/tmp/redis-$p.log" >&2 || true; sb_die "redis did not answer on $HOST:$p"; }
}

start_sentinel() {
  local p="$1"
  mkdir -p "$BASE/$p"
  # The sentinel rewrites this file with what it learns: each has its own.
  cat >"$BASE/$p/sentinel.conf" <<EOF
port $p
bind $HOST
dir $BASE/$p
daemonize yes
pidfile /tmp/switchboard-redis-$p.pid
logfile /tmp/redis-$p.log
sentinel monitor $NAME $HOST $PRIMARY 2
sentinel down-after-milliseconds $NAME 2000
sentinel failover-timeout $NAME 6000
sentinel parallel-syncs $NAME 1
EOF
  sb_log "starting sentinel on $HOST:$p"
  redis-server "$BASE/$p/sentinel.conf" --sentinel
  wait_for 20 answers "$p" || { tail -n 20 "/tmp/redis-$p.log" >&2 || true; sb_die "sentinel did not answer on $HOST:$p"; }
}

replica_in_sync() { cli "$REPLICA" info replication | tr -d '\r' | grep -q '^master_link_status:up'; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  sb_require_root
  sb_apt_install - redis-server   # pulls redis-tools (redis-cli)
fi

# A setup left from an earlier call: its primary (as the sentinels announce it) if that answers as a master.
live_primary() {
  local s p
  for s in $SENTINELS; do answers "$s" || return 1; done
  p="$(announced_port "${SENTINELS%% *}")"
  [ -n "$p" ] && cli "$p" info replication | tr -d '\r' | grep -q '^role:master' && echo "$p"
}

start_afresh() {
  stop_ours
  start_redis "$PRIMARY"
  start_redis "$REPLICA" "$PRIMARY"
  wait_for 30 replica_in_sync || sb_die "the replica $HOST:$REPLICA did not sync with $HOST:$PRIMARY (see /tmp/redis-$REPLICA.log)"
  for s in $SENTINELS; do start_sentinel "$s"; done
  wait_for 60 healthy || sb_die "the sentinels did not see the primary, the replica and each other (see /tmp/redis-26390.log)"
}

if healthy; then
  sb_log "sentinel setup already healthy (primary $HOST:$(announced_port "${SENTINELS%% *}"))"
elif primary="$(live_primary)"; then
  other=$([ "$primary" = "$PRIMARY" ] && echo "$REPLICA" || echo "$PRIMARY")
  answers "$other" || start_redis "$other" "$primary"
  # It may also be settling after a failover.
  if wait_for 30 healthy; then
    sb_log "sentinel setup healthy again (primary $HOST:$primary)"
  else
    sb_log "the sentinel setup (primary $HOST:$primary) is not healthy after 30 s; starting it afresh"
    start_afresh
  fi
else
  start_afresh
fi

sb_log "redis sentinel setup ready in $(( $(date +%s) - START ))s"
echo "export SWITCHBOARD_TEST_REDIS_SENTINEL=redis-sentinel://$(for s in $SENTINELS; do printf '%s:%s,' "$HOST" "$s"; done | sed 's/,$//')#$NAME"
