# shellcheck shell=bash
# Shared helpers for docker/*.sh and .ci/ensure-*.sh. Source it; do not run it.

sb_log() { printf '[%s] %s\n' "${SB_LOG_TAG:-switchboard}" "$*" >&2; }
sb_die() { sb_log "ERROR: $*"; exit 1; }

sb_require_root() {
  [ "$(id -u)" -eq 0 ] || sb_die "must run as root (needs apt-get/debootstrap/dockerd)"
}

# apt-get update at most once per boot (stamp in /tmp), or when the package
# lists are missing entirely (fresh machine).
sb_apt_update_once() {
  local stamp=/tmp/.switchboard-apt-updated
  if [ ! -e "$stamp" ] || ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
    sb_log "apt-get update"
    apt-get update -qq >&2
    touch "$stamp"
  fi
}

# sb_apt_install CMD PKG... : install PKGs unless CMD is already on PATH
# (pass CMD as "-" to test with dpkg -s on the first package instead).
sb_apt_install() {
  local probe="$1"; shift
  if [ "$probe" = "-" ]; then
    dpkg -s "$1" >/dev/null 2>&1 && return 0
  else
    command -v "$probe" >/dev/null 2>&1 && return 0
  fi
  sb_apt_update_once
  sb_log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

sb_image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror this machine's apt already uses for the main bookworm suite
# (no host is hard-coded). Override with SWITCHBOARD_DEBIAN_MIRROR.
sb_debian_mirror() {
  local suite="${1:-bookworm}"
  if [ -n "${SWITCHBOARD_DEBIAN_MIRROR:-}" ]; then echo "$SWITCHBOARD_DEBIAN_MIRROR"; return 0; fi
  local f url=""
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    # one-line format: deb [opts] URL SUITE COMPONENTS...
    url=$(awk -v s="$suite" '
      $1=="deb" { i=2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                  if ($(i+1)==s) { print $i; exit } }' "$f")
    [ -n "$url" ] && { echo "$url"; return 0; }
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    # deb822 format: stanzas separated by blank lines
    url=$(awk -v s="$suite" '
      function flush() { if (isdeb && hit && uri != "") { print uri; found=1; exit } isdeb=0; hit=0; uri="" }
      /^[[:space:]]*$/ { flush(); next }
      /^#/ { next }
      /^Types:/  { for (i=2;i<=NF;i++) if ($i=="deb") isdeb=1 }
      /^URIs:/   { uri=$2 }
      /^Suites:/ { for (i=2;i<=NF;i++) if ($i==s) hit=1 }
      /^Enabled:[[:space:]]*no/ { isdeb=0 }
      END { if (!found) flush() }' "$f")
    [ -n "$url" ] && { echo "$url"; return 0; }
  done
  return 1
}
