#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379 (for the gateway's
# Redis-backed tests). Safe to call repeatedly.
#
#   1. apt-get install redis-server if redis-server is missing
#   2. start it daemonized on 127.0.0.1:6379 if `redis-cli ping` fails
#   3. wait (up to 30 s) until it answers PONG
#
# Usage: sb_env="$(bash .ci/ensure-redis.sh)" && eval "$sb_env"   (logs to stderr; stdout is the export line)
# Env: SWITCHBOARD_REDIS_PORT (default 6379)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SB_LOG_TAG=ensure-redis
# shellcheck source=../docker/lib.sh
. "$ROOT/docker/lib.sh"

PORT="${SWITCHBOARD_REDIS_PORT:-6379}"
HOST=127.0.0.1
START=$(date +%s)

ping_redis() { [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  sb_require_root
  sb_apt_install - redis-server   # pulls redis-tools (redis-cli)
fi

if ping_redis; then
  sb_log "redis already answering on $HOST:$PORT"
else
  mkdir -p /var/lib/switchboard-redis
  sb_log "starting redis-server on $HOST:$PORT"
  # No persistence: this is a test fixture. protected-mode stays on (loopback only).
  redis-server --bind "$HOST" --port "$PORT" --daemonize yes \
    --dir /var/lib/switchboard-redis --save '' --appendonly no \
    --pidfile "/tmp/switchboard-redis-$PORT.pid" --logfile "/tmp/redis-$PORT.log"
  for _ in $(seq 1 60); do ping_redis && break; sleep 0.5; done
  ping_redis || { tail -n 20 "/tmp/redis-$PORT.log" >&2 || true; sb_die "redis did not answer on $HOST:$PORT"; }
fi

sb_log "redis $(redis-cli -h "$HOST" -p "$PORT" info server | awk -F: '/^redis_version/ {print $2}' | tr -d '\r') ready in $(( $(date +%s) - START ))s"
echo "export SWITCHBOARD_TEST_REDIS=redis://$HOST:$PORT"
