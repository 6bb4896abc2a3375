# Shared helpers of the bench scripts (sourced, not run). Everything here targets 127.0.0.x only and touches only
# processes whose PIDs the calling script recorded itself.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GATEWAY_JAR="${GATEWAY_JAR:-$ROOT/gateway/target/switchboard-gateway.jar}"
LOADTEST_JAR="${LOADTEST_JAR:-$ROOT/loadtest/target/switchboard-loadtest.jar}"
CLK_TCK="$(getconf CLK_TCK)"
GATEWAY_PID=""

die() { echo "error: $*" >&2; exit 1; }

require_jars() {
  [ -f "$GATEWAY_JAR" ] || die "$GATEWAY_JAR missing: run 'mvn -q install -DskipTests' first"
  [ -f "$LOADTEST_JAR" ] || die "$LOADTEST_JAR missing: run 'mvn -q install -DskipTests' first"
}

# start_gateway PORT HEAP [gateway flags...]: starts the gateway jar on 127.0.0.1:PORT, waits until it accepts.
start_gateway() {
  local port="$1" heap="$2"; shift 2
  # shellcheck disable=SC2086
  java -Xms"$heap" -Xmx"$heap" ${GATEWAY_JAVA_OPTS:-} -jar "$GATEWAY_JAR" --host 127.0.0.1 --port "$port" "$@" \
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
  jcmd "$1" GC.heap_info 2>/dev/null | awk '
    /used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); print v; exit } }'
}

# cpu_ticks PID: utime + stime of the process, in clock ticks (/proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# open_fds PID
open_fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# json_number FILE KEY: a number from the load tester's pretty-printed JSON report (first match).
json_number() { sed -n "s/.*\"$2\" : \\([0-9-][0-9.eE+-]*\\).*/\\1/p" "$1" | head -1; }
