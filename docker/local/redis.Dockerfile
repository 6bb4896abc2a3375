# Redis for docker/compose.cluster.yaml without an image registry: Debian's redis-server on the local
# debootstrap base. Built by docker/build-local-images.sh (context: none, the Dockerfile comes on stdin).
# Stands in for redis:7-alpine: same binary name on PATH, same data dir (/data), runs as user redis.
ARG BASE_IMAGE=switchboard/base-jre17:bookworm
FROM ${BASE_IMAGE}
ARG SECURITY_MIRROR=
RUN set -eu; \
    if [ -n "${SECURITY_MIRROR}" ]; then echo "deb ${SECURITY_MIRROR} bookworm-security main" >> /etc/apt/sources.list; fi; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    mkdir -p /data; chown redis:redis /data
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
# Like the official image: reachable from the other containers (protected mode off), data in the working dir.
CMD ["redis-server", "--protected-mode", "no"]
