#!/bin/sh
# Creates the secrets docker/compose.yaml reads, once: nothing is overwritten, nothing real is ever committed
# (docker/secrets/.gitignore keeps everything here but this script and the README out of git).
#
#   docker/secrets/init.sh                                   # random auth secret and API key, local origins
#   SWITCHBOARD_ALLOWED_ORIGINS=https://shop.example.com docker/secrets/init.sh
#
# auth-secret: the HS256 key your backend signs user tokens with (share it with the backend, nobody else).
# api-key:     what backends send to the API as 'Authorization: Bearer <key>'.
# gateway.env: SWITCHBOARD_ALLOWED_ORIGINS, the browser origins allowed to open WebSocket connections.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
umask 022   # readable by the container's user (uid 10001); the directory itself is 0700

chmod 0700 "$dir"
random() { head -c 32 /dev/urandom | base64 | tr -d '\n='; }
for name in auth-secret api-key; do
  if [ ! -s "$dir/$name" ]; then
    random > "$dir/$name"
    echo "created $dir/$name"
  fi
done
if [ ! -s "$dir/gateway.env" ]; then
  printf 'SWITCHBOARD_ALLOWED_ORIGINS=%s\n' \
    "${SWITCHBOARD_ALLOWED_ORIGINS:-http://localhost:8080,http://127.0.0.1:8080}" > "$dir/gateway.env"
  echo "created $dir/gateway.env ($(cat "$dir/gateway.env"))"
fi
