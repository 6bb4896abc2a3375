#!/usr/bin/env bash
# Browser end-to-end tests of the gateway's web pages. Builds nothing: expects gateway/target/switchboard-gateway.jar
# (./mvnw -q -pl gateway -am -DskipTests package) and Debian's chromium at /usr/bin/chromium (or CHROMIUM_PATH).
# Screenshots land in e2e/artifacts/. Exits non-zero when a test fails.
set -euo pipefail
cd "$(dirname "$0")"

jar="${SWITCHBOARD_JAR:-../gateway/target/switchboard-gateway.jar}"
if [ ! -f "$jar" ]; then
  echo "e2e: $jar not found; build the gateway first" >&2
  exit 1
fi
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "e2e: chromium not found (apt-get install -y chromium)" >&2
  exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
  # The lock file pins playwright-core; its browsers are never downloaded (Debian's chromium is used).
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline
fi
mkdir -p artifacts
exec node --test --test-concurrency=1 --test-reporter=spec tests/
