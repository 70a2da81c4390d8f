# Sourced by container-check.sh and compose-check.sh (inside their one-block bodies): installs
# podman and its tools, finds the base images (the official ones, or local stand-ins where they
# cannot be pulled) and builds the Dockerfile into $IMAGE. Defines step/ok/fail and a podman
# that runs as root with this check's containers.conf. CHECK_NAME names the check in failures.
# One block, read whole before it runs, like the scripts that source it.
{
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ZTP_CONTAINER_CACHE:-/var/cache/ztp-container}
IMAGE=${ZTP_IMAGE:-localhost/ztp:check}
OFFICIAL_SWIFT=docker.io/library/swift:6.3-bookworm
OFFICIAL_RUNTIME=docker.io/library/debian:bookworm-slim
STANDIN_RUNTIME=localhost/ztp-standin/debian:bookworm-slim
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
START=$SECONDS

step() { printf '\n== %s (%ds)\n' "$*" $((SECONDS - START)); }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '\n%s FAILED: %s\n' "${CHECK_NAME:-CONTAINER CHECK}" "$*" >&2; exit 1; }
podman() { $SUDO env CONTAINERS_CONF="$CACHE/containers.conf" podman "$@"; }

# ---------------------------------------------------------------------------------------------
step "tools"
declare -A tool_package=([podman]=podman [buildah]=buildah [debootstrap]=debootstrap [runc]=runc
                         [newuidmap]=uidmap [curl]=curl [setpriv]=util-linux [python3]=python3)
missing=""
for tool in "${!tool_package[@]}"; do
    # `type -P`, not `command -v`: the `podman` function above would count as installed.
    type -P "$tool" >/dev/null 2>&1 || missing="$missing ${tool_package[$tool]}"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends $missing
fi
$SUDO mkdir -p "$CACHE"
# crun fails on this VM kind (setrlimit RLIMIT_NOFILE, then "cgroups in hybrid mode not
# supported"); runc with cgroupfs and explicit ulimits works. Without systemd, no journald and
# no health-check timers: events go to a file and the health check is run by this script.
$SUDO tee "$CACHE/containers.conf" >/dev/null <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
ok "$(podman --version), $(runc --version | head -1), config $CACHE/containers.conf"

# ---------------------------------------------------------------------------------------------
step "base images"
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift || true)")")")
swift_version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)
STANDIN_SWIFT=localhost/ztp-standin/swift:${swift_version:-none}-bookworm

pulled() { timeout 120 $SUDO env CONTAINERS_CONF="$CACHE/containers.conf" podman pull "$1" >/dev/null 2>&1; }

# The Debian mirror apt uses on this machine, for debootstrap and for apt inside the images.
debian_mirror() {
    local uri
    uri=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
          /etc/apt/sources.list.d/*.list | grep -o 'https\?://[^ ]*/debian/\?' | grep -v security | head -1)
    echo "${uri:-http://deb.debian.org/debian}"
}

build_runtime_standin() {
    local mirror rootfs
    mirror=$(debian_mirror)
    rootfs="$CACHE/rootfs-bookworm"
    echo "debootstrap bookworm from $mirror (about 2-3 minutes)"
    $SUDO rm -rf "$rootfs"
    $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log" >&2; fail "debootstrap of bookworm from $mirror failed (log: $CACHE/debootstrap.log)"; }
    # Slim as debian:bookworm-slim is: no docs, man pages or locales, now or when packages are
    # installed later; no package lists or downloaded .debs.
    $SUDO tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    $SUDO tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    $SUDO tee "$rootfs/etc/apt/sources.list" >/dev/null <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
EOF
    $SUDO sh -c "cd '$rootfs' && find usr/share/doc -mindepth 1 ! -name copyright ! -type d -delete \
        && find usr/share/doc -mindepth 1 -type d -empty -delete \
        && rm -rf usr/share/man/* usr/share/groff/* usr/share/info/* usr/share/locale/* usr/share/lintian/* \
                  var/cache/apt/archives/*.deb var/lib/apt/lists/* var/log/*.log var/log/apt/* var/cache/debconf/*-old"
    $SUDO tar --numeric-owner --xattrs -C "$rootfs" -c . \
        | podman import --change 'CMD ["bash"]' - "$STANDIN_RUNTIME" >/dev/null
    $SUDO rm -rf "$rootfs"
}

# The official swift image's build-time packages, on the stand-in Debian, and the host's
# toolchain copied into /usr as the official image has it.
build_swift_standin() {
    [ -x "$toolchain/bin/swift" ] || fail "no Swift toolchain on PATH to build the stand-in $STANDIN_SWIFT from"
    local context
    context=$(mktemp -d)
    cat >"$context/Containerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN export DEBIAN_FRONTEND=noninteractive && apt-get update -q \\
 && apt-get install -y -q --no-install-recommends binutils git libc6-dev libcurl4-openssl-dev \\
      libedit2 libgcc-12-dev libsqlite3-0 libstdc++-12-dev libxml2-dev libncurses-dev pkg-config \\
      tzdata zlib1g-dev \\
 && rm -rf /var/lib/apt/lists/*
RUN cp -a /toolchain/usr/. /usr/ && swift --version
EOF
    echo "stand-in swift image from $toolchain (Swift $swift_version; a few minutes)"
    podman build --network host --format docker -v "$(dirname "$toolchain"):/toolchain:ro" \
        -t "$STANDIN_SWIFT" "$context" >"$CACHE/swift-standin.log" 2>&1 \
        || { tail -20 "$CACHE/swift-standin.log" >&2; rm -rf "$context"; fail "building $STANDIN_SWIFT failed (log: $CACHE/swift-standin.log)"; }
    rm -rf "$context"
}

# use_image VAR LABEL OFFICIAL STANDIN BUILD...: sets VAR to the official image if it is here or
# can be pulled, else to the local stand-in, running BUILD... first if the stand-in is missing
# (or ZTP_STANDIN_REFRESH=1).
use_image() {
    local var=$1 label=$2 official=$3 standin=$4
    shift 4
    if podman image exists "$official" || pulled "$official"; then
        printf -v "$var" '%s' "$official"
        ok "$label: $official (official)"
    else
        if [ "${ZTP_STANDIN_REFRESH:-0}" = 1 ] || ! podman image exists "$standin"; then
            "$@"
        fi
        printf -v "$var" '%s' "$standin"
        ok "$label: $standin (stand-in: $official cannot be pulled here)"
    fi
}
use_image RUNTIME_IMAGE "runtime base" "$OFFICIAL_RUNTIME" "$STANDIN_RUNTIME" build_runtime_standin
use_image SWIFT_IMAGE "build base" "$OFFICIAL_SWIFT" "$STANDIN_SWIFT" build_swift_standin

# ---------------------------------------------------------------------------------------------
step "build the Dockerfile (release build inside: several minutes when cold)"
build_args=(--format docker --network host --build-arg "SWIFT_IMAGE=$SWIFT_IMAGE"
            --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" -t "$IMAGE")
# A machine whose Swift packages come from a local mirror (git `insteadOf`): the build sees the
# mirror read-only at the same path, and only the `url.*` lines of the git configuration.
insteadof=$(git config --get-regexp '^url\..*\.insteadof$' || true)
if [ -n "$insteadof" ]; then
    gitconfig="$CACHE/gitconfig"
    $SUDO rm -f "$gitconfig"
    while read -r key value; do
        $SUDO git config --file "$gitconfig" --add "$key" "$value"
    done <<<"$insteadof"
    build_args+=(-v "$gitconfig:/etc/gitconfig:ro")
    for mirror in $(awk '{print $1}' <<<"$insteadof" | sed -E 's/^url\.(.*)\.insteadof$/\1/I' | sort -u); do
        [ -d "$mirror" ] && build_args+=(-v "$mirror:$mirror:ro")
    done
    ok "package mirror: $(awk '{print $1}' <<<"$insteadof" | sed -E 's/^url\.(.*)\.insteadof$/\1/I' | sort -u | tr '\n' ' ')"
fi
build_log="$CACHE/build.log"
build_start=$SECONDS
podman build "${build_args[@]}" "$ROOT" >"$build_log" 2>&1 \
    || { tail -40 "$build_log" >&2; fail "podman build of the Dockerfile failed (log: $build_log)"; }
ok "built $IMAGE in $((SECONDS - build_start)) s (log: $build_log)"
# Every build leaves its superseded stages untagged; those a day old go, so the disk stays
# bounded while a rerun today still finds its layers cached.
podman image prune -f --filter until=24h >/dev/null 2>&1 || true

# N free loopback ports, separated by spaces.
free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
EOF
}

# The host's ztp-client, built from this repository into directory $1 (world-readable), and
# `client ARGS...`, which runs it as nobody:nogroup, as a user would.
host_client() {
    local work=$1
    (cd "$ROOT" && swift build --product ztp-client >"$work/client-build.log" 2>&1) \
        || { tail -20 "$work/client-build.log" >&2; fail "swift build --product ztp-client failed"; }
    install -m 0755 "$(cd "$ROOT" && swift build --show-bin-path)/ztp-client" "$work/ztp-client"
    CLIENT_HOME=$work
}
client() { $SUDO setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$CLIENT_HOME" "$CLIENT_HOME/ztp-client" "$@"; }

# interactive_client ARGS...: an interactive `client` in the background, its input a FIFO held
# open on fd 9 (close fd 9 to end its input), its output in $CLIENT_HOME/session; returns once
# it says "connected as". Sets CLIENT_PID.
interactive_client() {
    rm -f "$CLIENT_HOME/stdin"
    mkfifo "$CLIENT_HOME/stdin"
    client "$@" <"$CLIENT_HOME/stdin" >"$CLIENT_HOME/session" 2>&1 &
    CLIENT_PID=$!
    exec 9>"$CLIENT_HOME/stdin"
    local deadline=$((SECONDS + 20))
    until grep -qs '^connected as' "$CLIENT_HOME/session"; do
        kill -0 "$CLIENT_PID" 2>/dev/null || fail "interactive ztp-client ended: $(cat "$CLIENT_HOME/session")"
        [ $SECONDS -lt $deadline ] || fail "interactive ztp-client did not connect: $(cat "$CLIENT_HOME/session")"
        sleep 0.2
    done
}
}
