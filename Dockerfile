# syntax=docker/dockerfile:1
#
# ZTP server image: build a release binary with the Swift runtime linked statically, then
# run it on a slim Debian with only the shared libraries it needs.
#
#   docker build -t ztp .
#   docker run -d --name ztp -p 9999:9999 -p 127.0.0.1:8080:8080 -v ztp-data:/var/lib/ztp ztp
#
# See docs/OPERATIONS.md for the admin key, volumes and the Prometheus scrape config.

# Swift 6.2 or newer on Debian bookworm; the runtime stage below is bookworm too, so the
# libraries linked here are the ones installed there.
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build

RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends libsodium-dev libssl-dev libmicrohttpd-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src

COPY . .

# The build directory (package checkouts included) lives in a BuildKit cache mount, kept
# between builds and not in any layer, so the binaries are copied out of it into /out, with
# the static crash backtracer (a crash then prints a symbolicated backtrace to the logs).
RUN --mount=type=cache,target=/src/.build \
    swift build -c release --static-swift-stdlib --product ztp-server \
 && swift build -c release --static-swift-stdlib --product ztp-client \
 && bin="$(swift build -c release --static-swift-stdlib --show-bin-path)" \
 && mkdir -p /out \
 && cp "$bin/ztp-server" "$bin/ztp-client" /usr/libexec/swift/linux/swift-backtrace-static /out/

# ---------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

# Only the shared libraries the binary links besides libc/libm/libstdc++/libgcc (already in
# the base image). No ca-certificates: the server makes no outbound TLS connections. No curl:
# the health check below uses bash, which the base image has.
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get update -q \
 && apt-get install -y -q --no-install-recommends libsodium23 libssl3 libmicrohttpd12 libsqlite3-0 \
 && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid: a bind-mounted data directory must be owned by 10001.
RUN groupadd --gid 10001 ztp \
 && useradd --uid 10001 --gid ztp --home-dir /var/lib/ztp --no-create-home --shell /usr/sbin/nologin ztp \
 && install -d -m 0700 -o ztp -g ztp /var/lib/ztp

COPY --from=build /out/ztp-server /out/ztp-client /usr/local/bin/
COPY --from=build /out/swift-backtrace-static /usr/libexec/swift/linux/swift-backtrace-static
# The dashboard and the API description, found through ZTP_RESOURCES.
COPY Public/ /usr/share/ztp/Public/
COPY openapi.yaml /usr/share/ztp/openapi.yaml

# Inside the container both listeners bind every interface; publish the ports you need
# (the management API is best published on 127.0.0.1 only or behind a proxy).
# No demo token in an image meant for deployment: set ZTP_NO_DEMO_TOKEN=0 to get one.
ENV ZTP_LISTEN=0.0.0.0:9999 \
    ZTP_HTTP_LISTEN=0.0.0.0:8080 \
    ZTP_DATA_DIR=/var/lib/ztp \
    ZTP_RESOURCES=/usr/share/ztp \
    ZTP_NO_DEMO_TOKEN=1 \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/libexec/swift/linux/swift-backtrace-static

VOLUME /var/lib/ztp
WORKDIR /var/lib/ztp
EXPOSE 9999 8080

USER ztp:ztp

# GET /healthz over bash's /dev/tcp on the port of ZTP_HTTP_LISTEN: healthy on a 200. (Change
# the API port through ZTP_HTTP_LISTEN, not --http-listen, so that this check follows it.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${ZTP_HTTP_LISTEN##*:}\" && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && IFS= read -r status <&3 && [[ $status == HTTP/1.?' 200 '* ]]"]

# The server stops gracefully on SIGTERM (ServiceGroup: stop accepting, CLOSE(SERVER_SHUTDOWN)
# to every session, flush, exit). Exec form, so the server is PID 1 and gets the signal itself.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/ztp-server"]
