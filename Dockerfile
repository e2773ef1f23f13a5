# Dockerfile - the ace-orchestrator image: built from this source tree in a
# build stage, run as an unprivileged user on a small Debian.
#
#   docker build -t ace-orchestrator .
#   docker run -d --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v "$PWD/config:/etc/ace-orchestrator:ro" ace-orchestrator
#
# BASE_IMAGE is any Debian 12 (bookworm) image: debian:bookworm-slim from a
# registry, or the one scripts/build-image makes locally with debootstrap.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc libc6-dev make autoconf automake pkg-config \
      libyaml-dev libcurl4-openssl-dev libcjson-dev libmicrohttpd-dev libssl-dev check \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
# Out of tree, from a fresh autoreconf: whatever a developer's checkout holds
# in-tree (.dockerignore drops most of it) cannot leak into the build.
# No libsystemd: there is no systemd in a container to notify.
RUN cd /src && autoreconf -fi \
 && mkdir /build && cd /build \
 && /src/configure --prefix=/usr --sysconfdir=/etc --without-libsystemd \
      --with-systemdsystemunitdir=no \
 && make -j"$(nproc)" \
 && make install-strip DESTDIR=/out

FROM ${BASE_IMAGE}
# Runtime libraries only; curl for the HEALTHCHECK.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libyaml-0-2 libcurl4 libcjson1 libmicrohttpd12 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY --from=build /out/usr/bin/ace-orchestrator /usr/bin/ace-orchestrator
COPY --from=build /out/usr/share/ace-orchestrator /usr/share/ace-orchestrator
COPY --from=build /out/usr/share/man /usr/share/man
COPY --from=build /out/usr/share/doc/ace-orchestrator /usr/share/doc/ace-orchestrator
# Not root: Docker access comes from the socket's group, given at run time
# (`group_add:` in compose, `--group-add` with docker run), since its number
# differs from host to host. The config directory is mounted read-only.
RUN groupadd --system --gid 10001 ace-orchestrator \
 && useradd --system --uid 10001 --gid ace-orchestrator --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin ace-orchestrator \
 && mkdir -p /etc/ace-orchestrator
USER ace-orchestrator:ace-orchestrator
# The config must listen beyond loopback (api.listen: 0.0.0.0:8000) to be
# reached from other containers; HEALTH_URL follows a different port.
ENV HEALTH_URL=http://127.0.0.1:8000/healthz
EXPOSE 8000/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null --max-time 2 "$HEALTH_URL" || exit 1
ARG VERSION=unknown
LABEL org.opencontainers.image.title="ace-orchestrator" \
      org.opencontainers.image.description="Keeps AceStream engine containers running behind Gluetun VPN containers, as declared in one YAML file" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="ISC"
ENTRYPOINT ["/usr/bin/ace-orchestrator"]
CMD ["run", "-c", "/etc/ace-orchestrator/orchestrator.yaml"]
