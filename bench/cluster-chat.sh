#!/usr/bin/env bash
# Cross-node chat through one Redis vs a Redis Cluster (issue #13, issue #12 item 6), side by side in one run.
#
#   bench/cluster-chat.sh [--modes "single node1 cross cluster0 cluster1"] [--rates "1000 2000"] [--ack-rates 1000]
#                         [--ack-modes "cross cluster0 cluster1"] [--queue-modes "cross cluster1"]
#                         [--rounds 2] [--users 2000] [--agents 40]
#                         [--duration 20s] [--warmup 10s] [--heap 512m] [--out DIR]
#
# Modes (each gets fresh gateways; the Redis deployments live for the whole run and are flushed between modes):
#   single    one gateway, no cluster mode (the baseline)
#   node1     one gateway in cluster mode on the standalone Redis, users and agents on it (the same-node path)
#   cross     two gateways on the standalone Redis: users on node A, agents on node B (--agent-url)
#   cluster0  as cross, through a Redis Cluster of 3 masters + 3 replicas, --redis-wait-replicas 0
#   cluster1  as cluster0 with the default WAIT (auto: 1 replica)
# Per mode: a warm-up pass (not reported), then the chat load at each of --rates (plain clients) and --ack-rates
# (acknowledging clients, ?ack=1, in --ack-modes), and in --queue-modes a match/leave churn (the load tester's queue
# scenario: --users users, --agents agents of capacity 50, one message per conversation, 20 ms think time).
# Rounds repeat the whole sequence, so the modes are interleaved in time.
#
# Figures are taken over the measured window only: the script snapshots /proc/PID/stat of the gateways and of every
# redis-server, and INFO commandstats/clients/keyspace of every Redis, when the load tester's progress line turns to
# "run" and again when it turns to "drain". Messages routed in that window = 2 x achieved user msg/s x window (each
# user message is delivered to its agent, which answers it).
#
# Redis: its own processes on 127.0.0.1: standalone on $SOLO_PORT (7210), the cluster on 7200-7205 (bus 17200-17205),
# no persistence, started in the foreground of this script and stopped by their PIDs at the end. Gateways on 18310
# and 18320 (their API ports 18311, 18321). Everything targets 127.0.0.x; only processes this script started are
# stopped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODES="single node1 cross cluster0 cluster1"; RATES="1000 2000"; ACK_RATES="1000"
ACK_MODES="cross cluster0 cluster1"
QUEUE_MODES="cross cluster1"
ROUNDS=2; USERS=2000; AGENTS=40; DURATION=20s; WARMUP=10s; HEAP=512m
CLUSTER_BASE=7200; SOLO_PORT=7210; PORT_A=18310; PORT_B=18320
OUT="$ROOT/bench/results/cluster-chat-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) MODES="$2"; shift 2 ;;
    --rates) RATES="$2"; shift 2 ;;
    --ack-rates) ACK_RATES="$2"; shift 2 ;;
    --ack-modes) ACK_MODES="$2"; shift 2 ;;
    --queue-modes) QUEUE_MODES="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --users) USERS="$2"; shift 2 ;;
    --agents) AGENTS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --heap) HEAP="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
command -v redis-server > /dev/null && command -v redis-cli > /dev/null || die "redis-server and redis-cli needed"
mkdir -p "$OUT"
CLUSTER_PORTS=$(seq "$CLUSTER_BASE" $((CLUSTER_BASE + 5)))
CLUSTER_URL=$(for p in $CLUSTER_PORTS; do printf 'redis://127.0.0.1:%s,' "$p"; done | sed 's/,$//')

declare -A REDIS_PID=()     # port -> pid of the redis-server this script started
declare -a GW_PIDS=()
LT_PID=""
stop_gateways() {
  local p
  for p in "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${GW_PIDS[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then kill -9 "$p"; fi
  done
  GW_PIDS=()
}

cleanup() {
  set +e
  [ -n "$LT_PID" ] && kill "$LT_PID" 2>/dev/null || true
  stop_gateways
  local p
  for p in "${!REDIS_PID[@]}"; do kill "${REDIS_PID[$p]}" 2>/dev/null || true; done
  for p in "${!REDIS_PID[@]}"; do
    for _ in $(seq 1 50); do kill -0 "${REDIS_PID[$p]}" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$OUT/redis"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rcli() { local port="$1"; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }

# start_redis PORT [args...]: a redis-server of this script's own, in the foreground of a background job.
start_redis() {
  local port="$1"; shift
  rcli "$port" ping > /dev/null 2>&1 && die "something already answers on 127.0.0.1:$port (not ours: not touched)"
  mkdir -p "$OUT/redis/$port"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$OUT/redis/$port" --save '' --appendonly no \
    --logfile "$OUT/redis-$port.log" "$@" &
  REDIS_PID[$port]=$!
  for _ in $(seq 1 50); do rcli "$port" ping > /dev/null 2>&1 && return 0; sleep 0.1; done
  die "redis-server did not answer on $port (see $OUT/redis-$port.log)"
}

start_redis "$SOLO_PORT"
for p in $CLUSTER_PORTS; do
  start_redis "$p" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
    --repl-diskless-sync-delay 0
done
# shellcheck disable=SC2046
redis-cli --cluster create $(for p in $CLUSTER_PORTS; do printf '127.0.0.1:%s ' "$p"; done) --cluster-replicas 1 \
  --cluster-yes > "$OUT/cluster-create.txt" 2>&1 || die "cluster create failed (see $OUT/cluster-create.txt)"
# (Outputs are read into variables first: with pipefail, `... | grep -q` fails when grep stops reading early.)
field() { rcli "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }
for _ in $(seq 1 60); do
  ok=1
  for p in $CLUSTER_PORTS; do
    [ "$(rcli "$p" cluster info | tr -d '\r' | sed -n 's/^cluster_state://p')" = ok ] || ok=0
    if [ "$(field "$p" replication role)" = slave ]; then
      [ "$(field "$p" replication master_link_status)" = up ] || ok=0
    fi
  done
  [ "$ok" = 1 ] && break
  sleep 0.5
done
[ "$ok" = 1 ] || die "the Redis Cluster on $CLUSTER_BASE.. did not get healthy"
MASTERS=$(for p in $CLUSTER_PORTS; do
  if [ "$(field "$p" replication role)" = master ]; then echo "$p"; fi
done | tr '\n' ' ')
# The master serving the matching slot {m} (CLUSTER KEYSLOT), and each master's slot ranges.
M_SLOT=$(rcli "$CLUSTER_BASE" cluster keyslot '{m}')
M_MASTER=""
for p in $MASTERS; do
  mine=$(rcli "$p" cluster nodes | tr -d '\r' | awk -v s="$M_SLOT" '$3 ~ /myself/ { for (i = 9; i <= NF; i++) {
      split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s + 0 >= r[1] + 0 && s + 0 <= r[2] + 0) print "yes" } }')
  if [ "$mine" = yes ]; then M_MASTER=$p; fi
done
{
  echo "redis: standalone 127.0.0.1:$SOLO_PORT pid ${REDIS_PID[$SOLO_PORT]}; cluster masters $MASTERS" \
       "(slot of {m} = $M_SLOT, on $M_MASTER);" \
       "pids $(for p in $CLUSTER_PORTS; do printf '%s:%s ' "$p" "${REDIS_PID[$p]}"; done)"
  echo "gateway: JAVA_OPTS=\"-Xms$HEAP -Xmx$HEAP ${GATEWAY_JAVA_OPTS:-}\" bin/switchboard (config/jvm.options)" \
       "--rate-limit 1000000 --rate-burst 1000000 --agent-rate-limit 1000000 --agent-rate-burst 1000000" \
       "--reconnect-grace 1s [mode flags]"
  echo "load: $USERS users, $AGENTS agents, rates $RATES (plain) $ACK_RATES (ack, in $ACK_MODES)," \
       "warmup $WARMUP, duration $DURATION," \
       "$ROUNDS rounds; modes $MODES; queue churn in $QUEUE_MODES; machine $(nproc) cores, load $(load_avg)"
} | tee "$OUT/summary.txt"

# Redis ports of a mode, and the masters among them (whose commands count).
redis_ports() { case "$1" in single) echo "" ;; node1|cross) echo "$SOLO_PORT" ;; *) echo "$CLUSTER_PORTS" ;; esac; }
master_ports() { case "$1" in single) echo "" ;; node1|cross) echo "$SOLO_PORT" ;; *) echo "$MASTERS" ;; esac; }

# start_gateways MODE: one or two gateways with the mode's flags.
start_gateways() {
  # A short reconnect grace: the previous run's 2,000 users are released (their pairings ended, in Redis: the {m}
  # slot) during the pause between runs instead of in the middle of the next run.
  local mode="$1" common=(--rate-limit 1000000 --rate-burst 1000000 --agent-rate-limit 1000000
                          --agent-rate-burst 1000000 --reconnect-grace 1s)
  local redis=()
  case "$mode" in
    node1|cross) redis=(--cluster-mode redis --redis-url "redis://127.0.0.1:$SOLO_PORT" --redis-key-prefix cc:) ;;
    cluster0) redis=(--cluster-mode redis --redis-topology cluster --redis-url "$CLUSTER_URL" --redis-key-prefix cc:
                     --redis-wait-replicas 0) ;;
    cluster1) redis=(--cluster-mode redis --redis-topology cluster --redis-url "$CLUSTER_URL" --redis-key-prefix cc:) ;;
  esac
  GW_PIDS=()
  start_gateway "$PORT_A" "$HEAP" "${common[@]}" "${redis[@]}" $( [ ${#redis[@]} -gt 0 ] && echo --node-id a )
  GW_PIDS+=("$GATEWAY_PID")
  if [ "$mode" != single ] && [ "$mode" != node1 ]; then
    start_gateway "$PORT_B" "$HEAP" "${common[@]}" "${redis[@]}" --node-id b
    GW_PIDS+=("$GATEWAY_PID")
  fi
  GATEWAY_PID=""
  if [ "$mode" != single ]; then
    for port in "$PORT_A" $( [ ${#GW_PIDS[@]} -gt 1 ] && echo "$PORT_B" ); do
      for _ in $(seq 1 100); do curl -sf "127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done
    done
  fi
}

# flush MODE: empties the mode's Redis (ours) so the next mode starts from nothing.
flush() {
  local p
  for p in $(master_ports "$1"); do rcli "$p" flushall > /dev/null; done
}

# snap FILE MODE: the window's end points: time, CPU ticks per process, and per Redis its commandstats, clients, keys.
snap() {
  local f="$1" mode="$2" p
  {
    echo "time $(date +%s.%N)"
    for p in "${GW_PIDS[@]}"; do echo "gwcpu $p $(cpu_ticks "$p")"; done
    for p in "$PORT_A" $( [ ${#GW_PIDS[@]} -gt 1 ] && echo "$PORT_B" ); do
      curl -s "127.0.0.1:$p/metrics" | awk -v p="$p" '/^switchboard_(pairings_matched|messages_routed)_total / {
        print "metric", p, $1, $2 }'
    done
    for p in $(redis_ports "$mode"); do
      echo "rcpu $p $(cpu_ticks "${REDIS_PID[$p]}")"
    done
    for p in $(master_ports "$mode"); do
      rcli "$p" info commandstats | tr -d '\r' | sed -n "s/^cmdstat_\([^:]*\):calls=\([0-9]*\).*/cmd $p \1 \2/p"
      echo "clients $p $(rcli "$p" info clients | tr -d '\r' | sed -n 's/^connected_clients://p')"
      echo "keys $p $(rcli "$p" dbsize | tr -d '\r')"
    done
  } > "$f"
}

# run_load MODE TEST RUN: runs the load tester in the background, snapshots at "run" and "drain".
run_load() {
  local mode="$1" test="$2" run="$3" agent_url=() args=()
  [ "$mode" = single ] || [ "$mode" = node1 ] || agent_url=(--agent-url "ws://127.0.0.1:$PORT_B/pinter/imserver")
  case "$test" in
    plain_*) args=(chat --rate "${test#plain_}") ;;
    ack_*) args=(chat --rate "${test#ack_}" --ack) ;;
    queue) args=(queue --messages 1 --think-time 20ms --agent-capacity 50) ;;
    warm) args=(chat --rate 2000) ;;
  esac
  local dur="$DURATION" warm="$WARMUP"
  [ "$test" = warm ] && { dur=10s; warm=0s; }
  java -Xmx1g -jar "$LOADTEST_JAR" "${args[@]}" --url "ws://127.0.0.1:$PORT_A/pinter/imserver" "${agent_url[@]}" \
    --agents "$AGENTS" --users "$USERS" --duration "$dur" --warmup "$warm" --connect-rate 2000 \
    --source 127.0.0.2-127.0.0.40 --id-prefix "$run" \
    --report-json "$OUT/$run.json" > "$OUT/$run.txt" 2> "$OUT/$run.progress" &
  LT_PID=$!
  [ "$test" = warm ] && { wait "$LT_PID" || true; LT_PID=""; return 0; }
  local state=wait
  while kill -0 "$LT_PID" 2>/dev/null; do
    if [ "$state" = wait ] && grep -q '\] run ' "$OUT/$run.progress"; then
      snap "$OUT/$run.s1" "$mode"; state=run
    elif [ "$state" = run ] && grep -q '\] drain ' "$OUT/$run.progress"; then
      snap "$OUT/$run.s2" "$mode"; state=done
    fi
    sleep 0.2
  done
  if [ "$state" = run ]; then snap "$OUT/$run.s2" "$mode"; fi
  wait "$LT_PID" || echo "load tester exited non-zero in $run (see $OUT/$run.txt)" >&2
  LT_PID=""
}

# report RUN MODE TEST LOAD: one line of the table from the JSON report and the two snapshots.
report() {
  local run="$1" mode="$2" test="$3" load="$4" j="$OUT/$1.json"
  if ! [ -f "$OUT/$run.s1" ] || ! [ -f "$OUT/$run.s2" ] || ! [ -f "$j" ]; then
    echo "$run: incomplete" | tee -a "$OUT/table.txt"
    return
  fi
  local achieved p50 p99 p999 lost errors
  achieved=$(json_number "$j" achievedRate); p50=$(json_number "$j" primaryP50)
  p99=$(json_number "$j" primaryP99); p999=$(json_number "$j" primaryP999)
  lost=$(json_number "$j" lost); errors=$(json_number "$j" errors)
  awk -v run="$run" -v mode="$mode" -v test="$test" -v load="$load" -v ach="${achieved:-0}" -v p50="$p50" \
      -v p99="$p99" -v p999="$p999" -v lost="$lost" -v err="$errors" -v tck="$CLK_TCK" -v mm="$M_MASTER" '
    FNR == 1 { f++ }
    $1 == "time" { t[f] = $2 }
    $1 == "gwcpu" { g[f] += $3 }
    $1 == "rcpu" { r[f] += $3; rp[f, $2] = $3; ports[$2] = 1 }
    $1 == "cmd" { c[f] += $4; cp[f, $2] += $4; cn[f, $3] += $4; names[$3] = 1 }
    $1 == "clients" { cl[$2] = $3; mports[$2] = 1 }
    $1 == "keys" { k[$2] = $3 }
    $1 == "metric" && $3 ~ /matched/ { mt[f] += $4 }
    END {
      win = t[2] - t[1]; routed = (test == "queue") ? 0 : 2 * ach * win
      gw = (g[2] - g[1]) * 1e6 / tck; rc = (r[2] - r[1]) * 1e6 / tck; cmds = c[2] - c[1]
      if (test == "queue") {
        m = mt[2] - mt[1]
        printf "%-8s %-10s matches/s %.0f gw_us/match %.0f redis_us/match %.0f cmds/match %.1f gwcpu %.0f%% " \
          "rediscpu %.0f%% window %.1fs  %s", mode, test, m / win, gw / (m + (m == 0)), rc / (m + (m == 0)),
          cmds / (m + (m == 0)), 100 * gw / 1e6 / win, 100 * rc / 1e6 / win, win, load
      } else {
        printf "%-8s %-10s %8.0f %8s %8s %9s %5s %5s %7.1f %7.1f %6.2f  %s", mode, test, ach, p50, p99, p999, lost,
          err, gw / routed, rc / routed, cmds / routed, load
      }
      if (length(mports) > 1) {
        printf "  per master [port: cmds%% cpu%%core clients keys]"
        for (p in mports) printf " %s%s: %.0f%% %.0f%% %d %d", p, (p == mm ? "{m}" : ""),
          100 * (cp[2, p] - cp[1, p]) / (cmds + (cmds == 0)), 100 * (rp[2, p] - rp[1, p]) / tck / win, cl[p], k[p]
        for (p in ports) if (!(p in mports)) printf " replica %s: %.0f%%", p, 100 * (rp[2, p] - rp[1, p]) / tck / win
      }
      printf "\n"
      for (n in names) { d = cn[2, n] - cn[1, n]; if (d > 0) printf "  %s %.3f/msg %.0f/s\n", n,
        (routed > 0 ? d / routed : 0), d / win > "/dev/stderr" }
    }' "$OUT/$run.s1" "$OUT/$run.s2" 2> "$OUT/$run.cmds" | tee -a "$OUT/table.txt"
  sort -k3 -g -r "$OUT/$run.cmds" | head -12 | tr '\n' ';' | sed 's/^/    top commands:/; s/$/\n/' >> "$OUT/table.txt"
}

printf '%-8s %-10s %8s %8s %8s %9s %5s %5s %7s %7s %6s  %s\n' mode test achieved p50_us p99_us p999_us lost err \
  gw_us rd_us cmds load | tee -a "$OUT/table.txt"
for ROUND in $(seq 1 "$ROUNDS"); do
  for MODE in $MODES; do
    start_gateways "$MODE"
    run_load "$MODE" warm "r${ROUND}${MODE}warm"
    TESTS=""
    for R in $RATES; do TESTS="$TESTS plain_$R"; done
    case " $ACK_MODES " in *" $MODE "*) for R in $ACK_RATES; do TESTS="$TESTS ack_$R"; done ;; esac
    case " $QUEUE_MODES " in *" $MODE "*) TESTS="$TESTS queue" ;; esac
    for TEST in $TESTS; do
      RUN="r${ROUND}${MODE}${TEST//_/}"
      sleep 6   # the previous run's connections close and their pairings are released (grace 1 s)
      LOAD="$(load_avg)/$(busy_pct)%"
      run_load "$MODE" "$TEST" "$RUN"
      report "$RUN" "$MODE" "$TEST" "$LOAD"
    done
    stop_gateways
    for port in "$PORT_A" "$PORT_B"; do
      [ -f "$OUT/gateway-$port.log" ] && mv "$OUT/gateway-$port.log" "$OUT/r${ROUND}${MODE}-gateway-$port.log"
    done
    flush "$MODE"
  done
done
echo "results in $OUT"
