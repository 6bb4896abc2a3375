#!/usr/bin/env bash
# Build, WITHOUT any image registry, every image the compose files need, from Debian packages:
#
#   switchboard/base-jre17:bookworm  docker/build-base-image.sh (debootstrap + openjdk-17-jre-headless); the
#                                    gateway image (docker/Dockerfile) is built on it by compose itself
#   switchboard/redis:bookworm       that base + Debian's redis-server   (stands in for redis:7-alpine)
#   switchboard/nginx:bookworm       that base + Debian's nginx-light    (stands in for nginx:1.27-alpine)
#
# Then run the compose files with docker/local.env, which names these images:
#   docker compose --env-file docker/local.env -f docker/compose.cluster.yaml up --build
#
# Usage: docker/build-local-images.sh [--force]     (--force rebuilds all three)
# Needs root (debootstrap) and a Docker engine (.ci/ensure-docker.sh). The Redis and nginx images run
# `apt-get install` in a build container on the host's network (--network host), against the Debian mirror apt
# already uses. About 1 minute for the base image, 10 to 20 s each for the other two; a no-op when they exist.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SB_LOG_TAG=local-images
# shellcheck source=lib.sh
. "$HERE/lib.sh"

BASE="${SWITCHBOARD_BASE_IMAGE:-switchboard/base-jre17:bookworm}"
FORCE=()
for a in "$@"; do
  case "$a" in
    --force) FORCE=(--force) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) sb_die "unknown argument: $a" ;;
  esac
done

sb_require_root
docker info >/dev/null 2>&1 || sb_die "docker engine not reachable (run .ci/ensure-docker.sh)"

bash "$HERE/build-base-image.sh" "${FORCE[@]}"

# Security updates too, when this machine's apt has them (the base image only lists the main suite).
SECURITY_MIRROR="$(sb_debian_mirror bookworm-security || true)"

build_on_base() { # image dockerfile
  local image="$1" dockerfile="$2" start
  if [ "${#FORCE[@]}" -eq 0 ] && sb_image_exists "$image"; then
    sb_log "$image already present, skipping (use --force to rebuild)"
    return 0
  fi
  start=$(date +%s)
  sb_log "building $image from $(basename "$dockerfile")"
  # No build context (Dockerfile on stdin): these images copy nothing from the repository.
  if ! docker build -q --network host --build-arg "BASE_IMAGE=$BASE" --build-arg "SECURITY_MIRROR=$SECURITY_MIRROR" \
        -t "$image" - <"$dockerfile" >/tmp/switchboard-local-image.log 2>&1; then
    tail -n 30 /tmp/switchboard-local-image.log >&2
    sb_die "building $image failed"
  fi
  sb_log "built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')) in $(( $(date +%s) - start ))s"
}

build_on_base switchboard/redis:bookworm "$HERE/local/redis.Dockerfile"
build_on_base switchboard/nginx:bookworm "$HERE/local/nginx.Dockerfile"
