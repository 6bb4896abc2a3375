#!/bin/sh
# Container entrypoint for the Switchboard gateway.
# `exec` replaces this shell, so java runs as PID 1 and receives SIGTERM from
# `docker stop` directly (graceful shutdown). JAVA_OPTS is split on spaces on
# purpose; extra container arguments are passed through to the gateway.
set -eu
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -jar /opt/switchboard/switchboard-gateway.jar "$@"
