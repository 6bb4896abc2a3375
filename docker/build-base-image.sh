#!/usr/bin/env bash
# Build the local base image switchboard/base-jre17:bookworm WITHOUT any image
# registry: debootstrap a minimal Debian bookworm rootfs with the OpenJDK 17
# JRE from the Debian mirror apt already uses, trim it, and `docker import` it.
#
# Usage: docker/build-base-image.sh [--force]
#   --force   rebuild even if the image already exists
# Env:
#   SWITCHBOARD_BASE_IMAGE     image name (default switchboard/base-jre17:bookworm)
#   SWITCHBOARD_DEBIAN_MIRROR  override the mirror read from /etc/apt/sources.list*
#   SWITCHBOARD_APT_CACHE      dir to keep downloaded .debs between runs
#                              (default /var/cache/switchboard/debootstrap)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SB_LOG_TAG=base-image
# shellcheck source=lib.sh
. "$HERE/lib.sh"

IMAGE="${SWITCHBOARD_BASE_IMAGE:-switchboard/base-jre17:bookworm}"
SUITE=bookworm
FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) sb_die "unknown argument: $a" ;;
  esac
done

sb_require_root
command -v docker >/dev/null || sb_die "docker CLI not found (run .ci/ensure-docker.sh)"
docker info >/dev/null 2>&1 || sb_die "docker engine not reachable (run .ci/ensure-docker.sh)"

if [ "$FORCE" -eq 0 ] && sb_image_exists "$IMAGE"; then
  sb_log "$IMAGE already present, skipping (use --force to rebuild)"
  exit 0
fi

START=$(date +%s)
sb_apt_install debootstrap debootstrap
MIRROR="$(sb_debian_mirror "$SUITE")" || sb_die "no '$SUITE' mirror found in /etc/apt/sources.list*; set SWITCHBOARD_DEBIAN_MIRROR"
ARCH="$(dpkg --print-architecture)"
CACHE="${SWITCHBOARD_APT_CACHE:-/var/cache/switchboard/debootstrap}"
mkdir -p "$CACHE"

ROOTFS="$(mktemp -d /var/tmp/switchboard-rootfs.XXXXXX)"
cleanup() {
  # debootstrap mounts /proc and /sys in the target; never rm -rf through a mount.
  local m
  for m in $(awk -v r="$ROOTFS" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
  if [ -n "${SWITCHBOARD_KEEP_ROOTFS:-}" ]; then sb_log "keeping $ROOTFS"; else rm -rf --one-file-system "$ROOTFS"; fi
}
trap cleanup EXIT

sb_log "debootstrap $SUITE ($ARCH) from $MIRROR into $ROOTFS"
# --cache-dir keeps the .debs so a rebuild on the same machine downloads nothing.
if ! debootstrap --variant=minbase --arch="$ARCH" \
      --include=openjdk-17-jre-headless,ca-certificates \
      --cache-dir="$CACHE" \
      "$SUITE" "$ROOTFS" "$MIRROR" >/tmp/switchboard-debootstrap.log 2>&1; then
  tail -n 40 /tmp/switchboard-debootstrap.log >&2
  [ -f "$ROOTFS/debootstrap/debootstrap.log" ] && tail -n 40 "$ROOTFS/debootstrap/debootstrap.log" >&2
  sb_die "debootstrap failed (full log: /tmp/switchboard-debootstrap.log)"
fi
T_BOOTSTRAP=$(( $(date +%s) - START ))

JAVA_HOME_DIR="/usr/lib/jvm/java-17-openjdk-$ARCH"
[ -x "$ROOTFS$JAVA_HOME_DIR/bin/java" ] || sb_die "java not found at $JAVA_HOME_DIR in rootfs"

sb_log "trimming rootfs (size before: $(du -sh --one-file-system "$ROOTFS" | cut -f1))"
# Keep it trimmed for future apt-get installs in derived images as well.
mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d" "$ROOTFS/etc/apt/apt.conf.d"
cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/01-switchboard-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
cat > "$ROOTFS/etc/apt/apt.conf.d/01-switchboard-slim" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CFG
# Docs/man/info/translations (keep license files), apt lists/caches, logs,
# debootstrap leftovers. C.UTF-8 is built into glibc >= 2.35 (and lives in
# /usr/lib/locale/C.utf8), so /usr/share/locale translations are safe to drop.
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/* \
       "$ROOTFS"/usr/share/lintian "$ROOTFS"/usr/share/linda \
       "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
       "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/var/lib/dpkg/*-old \
       "$ROOTFS"/var/log/* "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/* \
       "$ROOTFS"/debootstrap "$ROOTFS"/root/.cache
find "$ROOTFS/usr/lib" "$ROOTFS/usr/share" -name '__pycache__' -type d -prune -exec rm -rf {} + 2>/dev/null || true
# JRE-only: ct.sym is javac's --release data; classes_nocoops.jsa is the CDS
# archive for -XX:-UseCompressedOops heaps (>32 GB), without it the JVM just
# starts without CDS in that mode.
rm -f "$ROOTFS$JAVA_HOME_DIR/lib/ct.sym" "$ROOTFS$JAVA_HOME_DIR/lib/server/classes_nocoops.jsa"
# Docker provides these at run time.
: > "$ROOTFS/etc/hostname"
rm -f "$ROOTFS/etc/resolv.conf"
# Mark the image like the official ones do (policy-rc.d: never start services).
printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"
chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
# Unmount anything debootstrap left mounted before tarring.
for m in $(awk -v r="$ROOTFS" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
SIZE_AFTER="$(du -sh --one-file-system "$ROOTFS" | cut -f1)"
sb_log "rootfs size after trim: $SIZE_AFTER"

OLD_ID="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
sb_log "docker import -> $IMAGE"
BASE_PATH="$JAVA_HOME_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
tar --numeric-owner --xattrs -C "$ROOTFS" -c . | docker import \
  --change "ENV PATH=$BASE_PATH" \
  --change "ENV LANG=C.UTF-8" \
  --change "ENV JAVA_HOME=$JAVA_HOME_DIR" \
  --change "LABEL org.opencontainers.image.title=switchboard-base-jre17" \
  --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase + openjdk-17-jre-headless (debootstrap, no registry)\"" \
  --change "LABEL io.switchboard.debian-mirror=$MIRROR" \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >/dev/null

# --force: drop the previous, now untagged, image (skipped if still in use).
if [ -n "$OLD_ID" ] && [ "$OLD_ID" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
  docker rmi "$OLD_ID" >/dev/null 2>&1 || true
fi
END=$(date +%s)
sb_log "built $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')) in $((END - START))s (debootstrap ${T_BOOTSTRAP}s)"
