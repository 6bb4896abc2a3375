#!/bin/bash
# Docker HEALTHCHECK for the gateway without curl/wget in the image: a raw
# HTTP/1.1 GET over bash's /dev/tcp. Healthy only on an HTTP 200 status line.
# Port: SWITCHBOARD_HEALTH_PORT, else SWITCHBOARD_PORT, else 8080.
port="${SWITCHBOARD_HEALTH_PORT:-${SWITCHBOARD_PORT:-8080}}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nUser-Agent: docker-healthcheck\r\nConnection: close\r\n\r\n' "$port" >&3
IFS= read -r -t 5 status <&3 || exit 1
exec 3<&- 3>&-
case "$status" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "unhealthy: ${status%$'\r'}" >&2; exit 1 ;;
esac
