#!/usr/bin/env bash
# Make sure a Docker engine runs on this machine and the registry-free local
# images exist. Safe to call repeatedly: every step is skipped when done.
#
#   1. apt-get install docker.io (dockerd, containerd, runc, iptables) if dockerd is missing, and Debian's
#      docker-compose (v1.29) if neither `docker compose` nor `docker-compose` works
#   2. start dockerd in the background if `docker info` fails (log: /tmp/dockerd.log)
#   3. docker/build-test-images.sh  (alpine:3.17 stand-in for Testcontainers)
#   4. docker/build-local-images.sh (switchboard/base-jre17:bookworm via debootstrap; switchboard/redis and
#      switchboard/nginx on it, for the compose files; --no-base-image skips all three)
#
# Usage: sb_env="$(bash .ci/ensure-docker.sh [--no-images] [--no-base-image])" && eval "$sb_env"
#        (not a bare eval "$(...)": that would hide a failure)
#        (logs go to stderr; stdout is only `export ...` lines for Testcontainers)
# Env:   SWITCHBOARD_DOCKERD_FLAGS  extra dockerd flags, used verbatim for the first attempt
#
# Engine notes for this sandbox (Firecracker VM, Debian bookworm, cgroup v1,
# ext4 root, full capabilities, no init system): plain `dockerd` with its
# defaults (overlay2, iptables on, userland-proxy on) works, and -p port
# publishing on 127.0.0.1 works. The fallbacks below only kick in on hosts
# where that is not true:
#   - overlay2 unsupported (e.g. / is itself overlayfs/no d_type): --storage-driver=vfs
#   - no usable iptables/netfilter: --iptables=false --ip-masq=false
#     (published ports are then served by docker-proxy, the userland proxy, only)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SB_LOG_TAG=ensure-docker
# shellcheck source=../docker/lib.sh
. "$ROOT/docker/lib.sh"

IMAGES=1; BASE=1
for a in "$@"; do
  case "$a" in
    --no-images) IMAGES=0 ;;
    --no-base-image) BASE=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) sb_die "unknown argument: $a" ;;
  esac
done

START=$(date +%s)
sb_require_root
LOG=/tmp/dockerd.log
PIDFILE=/var/run/switchboard-dockerd.pid

# --- 1. install -------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
  # --no-install-recommends: skips apparmor/git/needrestart etc.; iptables,
  # containerd, runc and tini are hard dependencies and still come along.
  sb_apt_install - docker.io
fi
command -v docker >/dev/null 2>&1 || sb_die "docker CLI missing after installing docker.io"
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  sb_apt_install - docker-compose   # e2e/compose-cluster.sh; bookworm has no compose v2 plugin
fi

# --- 2. start ---------------------------------------------------------------
wait_for_docker() { # $1 = pid of dockerd, $2 = seconds
  local pid="$1" i
  for ((i = 0; i < $2; i++)); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1   # dockerd died: no point waiting
    sleep 1
  done
  return 1
}

start_dockerd() { # flags...
  sb_log "starting dockerd $*"
  {
    echo "=== $(date -u +%FT%TZ) dockerd $*"
  } >>"$LOG"
  # setsid+nohup: the daemon must outlive this script (and the CI step).
  # tini -s (a docker.io dependency) makes itself a child subreaper: containerd
  # shims daemonize and get re-parented; this sandbox's PID 1 does not reap
  # them, so without tini every finished container leaves a zombie shim.
  local reaper=()
  command -v tini >/dev/null 2>&1 && reaper=(tini -s -g --)
  setsid nohup "${reaper[@]}" dockerd "$@" >>"$LOG" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDFILE"
  if wait_for_docker "$pid" 60; then
    return 0
  fi
  sb_log "dockerd $* did not come up; last log lines:"
  tail -n 15 "$LOG" >&2 || true
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f /var/run/docker.pid "$PIDFILE"
  return 1
}

if docker info >/dev/null 2>&1; then
  sb_log "docker engine already running"
else
  # A stale pid file from a killed daemon makes dockerd refuse to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  # shellcheck disable=SC2206
  attempts=(
    "${SWITCHBOARD_DOCKERD_FLAGS:-}"              # defaults: overlay2 + iptables (works here)
    "--storage-driver=vfs"                        # overlay2 not supported by the backing fs
    "--storage-driver=vfs --iptables=false --ip-masq=false"  # no netfilter in the kernel/sandbox
  )
  started=0
  for flags in "${attempts[@]}"; do
    # shellcheck disable=SC2086
    if start_dockerd $flags; then started=1; break; fi
  done
  [ "$started" -eq 1 ] || sb_die "could not start dockerd (see $LOG)"
fi
sb_log "engine: $(docker info --format 'server {{.ServerVersion}}, storage {{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}' 2>/dev/null)"
T_ENGINE=$(( $(date +%s) - START ))

# --- 3./4. local images ------------------------------------------------------
if [ "$IMAGES" -eq 1 ]; then
  bash "$ROOT/docker/build-test-images.sh"
  [ "$BASE" -eq 1 ] && bash "$ROOT/docker/build-local-images.sh"
fi

sb_log "docker ready in $(( $(date +%s) - START ))s (engine ${T_ENGINE}s)"
# stdout carries only these lines, so `eval "$(.ci/ensure-docker.sh)"` works.
# RYUK_DISABLED: testcontainers/ryuk cannot be pulled (no image registry).
# HOST_OVERRIDE: /.dockerenv exists on these machines, so Testcontainers would
# otherwise think it runs inside a container and dial the docker0 gateway
# (172.17.0.1) instead of the ports published on localhost.
echo "export TESTCONTAINERS_RYUK_DISABLED=true"
echo "export TESTCONTAINERS_HOST_OVERRIDE=localhost"
