# nginx for docker/compose.cluster.yaml without an image registry: Debian's nginx-light on the local debootstrap
# base. Built by docker/build-local-images.sh (context: none, the Dockerfile comes on stdin).
# Stands in for nginx:1.27-alpine: config at /etc/nginx/nginx.conf, logs to the container's stdout/stderr,
# a user named nginx for the workers (as in the official image), `nginx -g 'daemon off;'`.
ARG BASE_IMAGE=switchboard/base-jre17:bookworm
FROM ${BASE_IMAGE}
ARG SECURITY_MIRROR=
RUN set -eu; \
    if [ -n "${SECURITY_MIRROR}" ]; then echo "deb ${SECURITY_MIRROR} bookworm-security main" >> /etc/apt/sources.list; fi; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    groupadd --system nginx; \
    useradd --system --gid nginx --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin nginx; \
    ln -sf /dev/stdout /var/log/nginx/access.log; \
    ln -sf /dev/stderr /var/log/nginx/error.log; \
    rm -f /etc/nginx/sites-enabled/default
EXPOSE 8080
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
