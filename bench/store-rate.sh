#!/usr/bin/env bash
# The data file's promise rate (docs/DELIVERY.md): closed loops that hold a message and wait for the store's commit,
# as a "stored offline" receipt does, for each fsync policy, side by side; then the same with what one acknowledged
# message writes (its delivery sequenced and the sender's receipt remembered; then the ack and the receipt forgotten).
#
#   bench/store-rate.sh [--producers 64] [--seconds 10]
#
# Needs the gateway jar and the gateway's test classes (./mvnw -q -B -ntp -pl gateway -am test-compile package
# -DskipTests). Writes only under bench/results/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PRODUCERS=64; SECONDS_EACH=10
while [ $# -gt 0 ]; do
  case "$1" in
    --producers) PRODUCERS="$2"; shift 2 ;;
    --seconds) SECONDS_EACH="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
require_jars
CLASSES="$ROOT/gateway/target/test-classes"
[ -f "$CLASSES/io/switchboard/gateway/store/StoreWriteRate.class" ] || die "build the gateway's test classes first"
OUT="$ROOT/bench/results/store-rate-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
for pattern in held ack; do
  for sync in periodic always periodic always; do
    rm -rf "$OUT/data"
    java -Xmx512m -Dpattern="$pattern" -cp "$CLASSES:$GATEWAY_JAR" io.switchboard.gateway.store.StoreWriteRate \
         "$OUT/data" "$sync" "$PRODUCERS" "$SECONDS_EACH" | tee -a "$OUT/results.txt"
  done
done
rm -rf "$OUT/data"
