#!/usr/bin/env bash
# Provide the small helper image Testcontainers uses for tiny helper containers
# (alpine:3.17, its TINY_IMAGE: `sh -c ...`, `df -P`, `test`, `echo`; e.g. the
# disk-space start-up check of older versions) WITHOUT any registry: a
# busybox-only rootfs built from Debian's busybox-static .deb and
# `docker import`ed under that tag. Also tagged switchboard/busybox:bookworm for
# our own smoke tests (httpd, nc, wget).
#
# NOTE: this is NOT Alpine. It only has to satisfy Testcontainers' checks.
# Testcontainers' Ryuk (testcontainers/ryuk) is not provided: run tests with
# TESTCONTAINERS_RYUK_DISABLED=true.
#
# Usage: docker/build-test-images.sh [--force]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SB_LOG_TAG=test-images
# shellcheck source=lib.sh
. "$HERE/lib.sh"

TAGS=(alpine:3.17 switchboard/busybox:bookworm)
FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) sb_die "unknown argument: $a" ;;
  esac
done

sb_require_root
docker info >/dev/null 2>&1 || sb_die "docker engine not reachable (run .ci/ensure-docker.sh)"

missing=0
for t in "${TAGS[@]}"; do sb_image_exists "$t" || missing=1; done
if [ "$FORCE" -eq 0 ] && [ "$missing" -eq 0 ]; then
  sb_log "${TAGS[*]} already present, skipping (use --force to rebuild)"
  exit 0
fi

START=$(date +%s)
WORK="$(mktemp -d /var/tmp/switchboard-busybox.XXXXXX)"
trap 'rm -rf --one-file-system "$WORK"' EXIT

# Download (not install) the .deb with the machine's own apt sources.
sb_apt_update_once
# (Sandbox::User=root: the mktemp dir is 0700, so apt's _apt user can't write it.)
bb_download() { ( cd "$WORK" && apt-get download -qq -o APT::Sandbox::User=root busybox-static >/dev/null ); }
# package lists may be stale on a reused machine: refresh once and retry
bb_download || { apt-get update -qq >&2 && bb_download; }
DEB="$(ls "$WORK"/busybox-static_*.deb)"
dpkg-deb -x "$DEB" "$WORK/x"
BB="$WORK/x/bin/busybox"
[ -x "$BB" ] || sb_die "no /bin/busybox in $DEB"

R="$WORK/rootfs"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,proc,sys,dev}
chmod 1777 "$R/tmp" "$R/var/tmp"
chmod 0700 "$R/root"
cp "$BB" "$R/bin/busybox"
# Equivalent of `busybox --install -s`, but into $R instead of the host's /:
# one symlink per applet at its canonical path.
"$BB" --list-full | while read -r applet; do
  [ "$applet" = "bin/busybox" ] && continue
  ln -sf /bin/busybox "$R/$applet"
done
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
: > "$R/etc/hostname"

VERSION="$(dpkg-deb -f "$DEB" Version)"
tar --numeric-owner -C "$R" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "LABEL io.switchboard.note=\"busybox-static $VERSION from Debian; stand-in for Testcontainers, not Alpine\"" \
  --change 'CMD ["/bin/sh"]' \
  - "${TAGS[0]}" >/dev/null
for t in "${TAGS[@]:1}"; do docker tag "${TAGS[0]}" "$t"; done

sb_log "built ${TAGS[*]} (busybox-static $VERSION) in $(( $(date +%s) - START ))s"
