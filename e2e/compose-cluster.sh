#!/usr/bin/env bash
# CI test of docker/compose.cluster.yaml as a user runs it: bring the cluster up (Redis, three gateway nodes,
# nginx), play the PROTOCOL.md §4 session through nginx with the user and the agent on different nodes
# (e2e/cluster_session.py), and tear everything down (`down -v`, and the gateway image it built), also on failure.
#
# Usage: e2e/compose-cluster.sh        (needs gateway/target/switchboard-gateway.jar: ./mvnw -q -DskipTests package)
# Skips with one line, exit 0, when there is no Docker engine or no compose (v2 plugin or docker-compose v1).
# Images: docker/local.env (the registry-free images of docker/build-local-images.sh) when they all exist,
# else the compose file's defaults (pulled from a registry). SWITCHBOARD_COMPOSE_ENV_FILE overrides the choice.
# Bounded: 240 s for `up`, 60 s for the session, 60 s for `down`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
log() { printf '[compose-cluster] %s\n' "$*" >&2; }

if ! docker info >/dev/null 2>&1; then
  echo "SKIP compose-cluster: no Docker engine reachable (docker info failed; .ci/ensure-docker.sh starts one)"
  exit 0
fi
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
else
  echo "SKIP compose-cluster: neither 'docker compose' nor 'docker-compose' is installed (apt-get install docker-compose)"
  exit 0
fi
JAR=gateway/target/switchboard-gateway.jar
[ -f "$JAR" ] || { log "ERROR: $JAR missing: run ./mvnw -q -DskipTests package first"; exit 1; }

ENV_FILE="${SWITCHBOARD_COMPOSE_ENV_FILE-}"
if [ -z "${SWITCHBOARD_COMPOSE_ENV_FILE+set}" ]; then
  ENV_FILE=docker/local.env
  for img in $(sed -n 's/^\(BASE\|REDIS\|NGINX\)_IMAGE=//p' docker/local.env); do
    docker image inspect "$img" >/dev/null 2>&1 || { ENV_FILE=""; break; }
  done
fi
ENV_ARGS=()
[ -n "$ENV_FILE" ] && ENV_ARGS=(--env-file "$ENV_FILE")

# Its own project, image tag and loopback port: a developer's running cluster is left alone.
PROJECT="sbcluster$$"
export SWITCHBOARD_TAG="e2e-$$"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export SWITCHBOARD_PUBLISH="127.0.0.1:$PORT"
# No more open files than this host grants (the shell's hard limit; `ulimit -Hn` may say "unlimited").
HARD="$(ulimit -Hn)"
if [ -z "${SWITCHBOARD_NOFILE:-}" ] && [ "$HARD" != unlimited ] && [ "$HARD" -lt 1048576 ]; then
  export SWITCHBOARD_NOFILE="$HARD"
fi
C=("${COMPOSE[@]}" "${ENV_ARGS[@]}" -p "$PROJECT" -f docker/compose.cluster.yaml)

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "failed (exit $rc); last log lines of each service:"
    timeout 30 "${C[@]}" logs --no-color --tail 25 >&2 2>&1 || true
  fi
  timeout 60 "${C[@]}" down -v --remove-orphans -t 10 >/dev/null 2>&1 || log "WARNING: compose down failed"
  docker rmi "switchboard/gateway:$SWITCHBOARD_TAG" >/dev/null 2>&1 || true
  log "torn down (total $(( $(date +%s) - START ))s)"
  if [ "$rc" -eq 0 ]; then echo "compose-cluster: 1 passed, 0 failed"; else echo "compose-cluster: 0 passed, 1 failed"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?')), env file: ${ENV_FILE:-none (registry images)}, nginx on $SWITCHBOARD_PUBLISH, nofile ${SWITCHBOARD_NOFILE:-1048576}"
# Both compose files must parse as written (with the same variables). The single-node file reads its secrets from
# docker/secrets/ (created once, never overwritten; git ignores them).
docker/secrets/init.sh >/dev/null
"${COMPOSE[@]}" "${ENV_ARGS[@]}" -f docker/compose.yaml config -q
"${C[@]}" config -q
log "up --build (waits for Redis and the nodes' health checks)"
UP_START=$(date +%s)
timeout 240 "${C[@]}" up -d --build >/tmp/switchboard-compose-up.log 2>&1 || { tail -n 30 /tmp/switchboard-compose-up.log >&2; exit 1; }
log "up in $(( $(date +%s) - UP_START ))s"

NODES=()
for s in gateway-1 gateway-2 gateway-3; do NODES+=("$("${C[@]}" ps -q "$s")"); done
# nginx answers as soon as it runs; wait (up to 30 s) until it proxies /healthz to a node.
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://$SWITCHBOARD_PUBLISH/healthz" 2>/dev/null && break
  sleep 0.5
done
timeout 60 python3 e2e/cluster_session.py "ws://$SWITCHBOARD_PUBLISH/pinter/imserver" "${NODES[@]}"
