# Shared helpers of the bench scripts (sourced, not run). Everything here targets 127.0.0.x only and touches only
# processes whose PIDs the calling script recorded itself.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GATEWAY_JAR="${GATEWAY_JAR:-$ROOT/gateway/target/switchboard-gateway.jar}"
# The gateway starts as users start it: through the launcher, with config/jvm.options' defaults (Serial GC, -Xms32m,
# leak detector off); the scripts' heap and GATEWAY_JAVA_OPTS go to its JAVA_OPTS and win.
LAUNCHER="$ROOT/bin/switchboard"
LOADTEST_JAR="${LOADTEST_JAR:-$ROOT/loadtest/target/switchboard-loadtest.jar}"
CLK_TCK="$(getconf CLK_TCK)"
GATEWAY_PID=""

die() { echo "error: $*" >&2; exit 1; }

require_jars() {
  [ -f "$GATEWAY_JAR" ] || die "$GATEWAY_JAR missing: run './mvnw -q -DskipTests package' first"
  [ -f "$LOADTEST_JAR" ] || die "$LOADTEST_JAR missing: run './mvnw -q -DskipTests package' first"
}

# start_gateway PORT HEAP [gateway flags...]: starts the gateway (bin/switchboard) on 127.0.0.1:PORT, waits until it
# accepts. HEAP sets -Xms and -Xmx ("none": the launcher's defaults); GATEWAY_JAVA_OPTS adds JVM flags (a GC named
# there replaces the default Serial GC) and GATEWAY_ARGS gateway flags.
start_gateway() {
  local port="$1" heap="$2"; shift 2
  # shellcheck disable=SC2086
  local heapflags="-Xms$heap -Xmx$heap"
  [ "$heap" = "none" ] && heapflags=""
  # shellcheck disable=SC2086
  # Its data directory lives with the run's results, never in the working directory (GATEWAY_DATA_DIR=none: memory
  # only; GATEWAY_DATA_DIR=omit: no flag at all, for jars that predate it).
  local data=(--data-dir "${GATEWAY_DATA_DIR:-$OUT/data-$port}")
  [ "${GATEWAY_DATA_DIR:-}" = omit ] && data=()
  JAVA_OPTS="$heapflags ${GATEWAY_JAVA_OPTS:-}" SWITCHBOARD_JAR="$GATEWAY_JAR" "$LAUNCHER" --host 127.0.0.1 --port "$port" \
    "${data[@]}" "$@" ${GATEWAY_ARGS:-} \
    > "$OUT/gateway-$port.log" 2>&1 &
  GATEWAY_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || die "gateway exited; see $OUT/gateway-$port.log"
    sleep 0.1
  done
  die "gateway did not listen on 127.0.0.1:$port within 10 s"
}

stop_gateway() {
  if [ -n "$GATEWAY_PID" ] && kill -0 "$GATEWAY_PID" 2>/dev/null; then
    kill "$GATEWAY_PID"
    for _ in $(seq 1 150); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$GATEWAY_PID" 2>/dev/null && kill -9 "$GATEWAY_PID"
  fi
  GATEWAY_PID=""
}

# rss_kib PID: resident set size in KiB (VmRSS of /proc/PID/status).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# heap_used_kib PID: live heap after a full GC, in KiB (jcmd GC.heap_info's "used" of the whole heap).
heap_used_kib() {
  jcmd "$1" GC.run > /dev/null 2>&1 || true
  # G1 prints one "garbage-first heap ... used NK" line, Serial and Parallel one line per generation: sum them all,
  # leaving out Metaspace and class space.
  jcmd "$1" GC.heap_info 2>/dev/null | awk '
    /Metaspace|class space/ { next }
    /used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); sum += v } }
    END { print sum + 0 }'
}

# cpu_ticks PID: utime + stime of the process, in clock ticks (/proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# open_fds PID
open_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# json_number FILE KEY: a number from the load tester's pretty-printed JSON report (first match).
json_number() { sed -n "s/.*\"$2\" : \\([0-9-][0-9.eE+-]*\\).*/\\1/p" "$1" | head -1; }

# load_avg: the 1-minute load average (/proc/loadavg).
load_avg() { cut -d' ' -f1 /proc/loadavg; }

# busy_pct: how busy the whole machine's CPUs are over the next 2 s, in percent (/proc/stat), all processes included.
busy_pct() {
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
  sleep 2
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
  echo "$a $b" | awk '{ printf "%.0f", 100 * ($3 - $1) / ($4 - $2 + ($4 == $2)) }'
}

# wait_quiet [MAX_PCT]: waits (up to 60 s) until the machine is less than MAX_PCT (default 15) percent busy over 2 s,
# so that a run does not start on a machine loaded by someone else's work (the 1-minute load average still remembers
# the previous run of this script, so it is reported but not waited on); prints "load/busy%" at the start.
wait_quiet() {
  local max="${1:-15}" busy
  for _ in $(seq 1 30); do
    busy=$(busy_pct)
    [ "$busy" -lt "$max" ] && break
  done
  echo "$(load_avg)/$busy%"
}

# io_cpu_ticks PID: utime+stime of the gateway's event-loop threads (sb-io-*) only, in clock ticks.
io_cpu_ticks() {
  local t sum=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in sb-io-*) sum=$(( sum + $(awk '{ print $14 + $15 }' "$t/stat") )) ;; esac
  done
  echo "$sum"
}
