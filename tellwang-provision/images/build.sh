#!/usr/bin/env bash
# Builds, on this machine and without any registry, the two images that
# tellwang-provision's tests, example and benchmark run:
#
#   tellwang/realtime:dev     a static Rust channel server (FROM scratch)
#   tellwang/postgres:15      PostgreSQL 15 from this host's Debian packages
#
# Names can be changed with TELLWANG_REALTIME_IMAGE and TELLWANG_POSTGRES_IMAGE.
# Idempotent: each image carries a hash of its inputs as a label, and is rebuilt
# only when that hash changes, so a second run takes about a second.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$(dirname "$here")"
workspace="$(dirname "$crate")"
realtime_image="${TELLWANG_REALTIME_IMAGE:-tellwang/realtime:dev}"
postgres_image="${TELLWANG_POSTGRES_IMAGE:-tellwang/postgres:15}"
pg_version=15
pg_root="/usr/lib/postgresql/$pg_version"
target_dir="${CARGO_TARGET_DIR:-$workspace/target}/images"

log() { echo "images: $*" >&2; }

# The label an image was built with, or nothing when it is absent.
built_hash() {
    docker image inspect --format '{{ index .Config.Labels "tellwang.build-hash" }}' "$1" 2>/dev/null || true
}

# Removes the image a rebuild replaced, so rebuilds leave no dangling images.
drop_replaced() {
    if [ -n "$2" ] && [ "$2" != "$(docker image inspect --format '{{.Id}}' "$1" 2>/dev/null)" ]; then
        docker rmi "$2" >/dev/null 2>&1 || true
    fi
}

# --- realtime -------------------------------------------------------------
realtime_hash=$( (sed -n '/^# --- realtime/,/^# --- postgres/p' "$0"
    cat "$crate/realtime/Cargo.toml" "$crate/realtime/Cargo.lock" "$crate/realtime/src/"*.rs) | sha256sum | cut -c1-16)
if [ "$(built_hash "$realtime_image")" = "$realtime_hash" ]; then
    log "$realtime_image is up to date"
else
    # A static musl binary needs nothing in the image beside it. Where the musl
    # target cannot be added, a glibc binary with static C runtime is used.
    if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl ||
        rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1; then
        target=x86_64-unknown-linux-musl
        rustflags=""
    else
        target=x86_64-unknown-linux-gnu
        rustflags="-C target-feature=+crt-static"
        log "musl target unavailable: building a static glibc binary"
    fi
    RUSTFLAGS="$rustflags" cargo build --quiet --release --locked \
        --manifest-path "$crate/realtime/Cargo.toml" --target "$target" --target-dir "$target_dir"
    context=$(mktemp -d)
    trap 'rm -rf "$context"' EXIT
    cp "$target_dir/$target/release/realtime" "$context/realtime"
    cat >"$context/Dockerfile" <<DOCKERFILE
FROM scratch
COPY realtime /realtime
USER 65534:65534
EXPOSE 4000
ENTRYPOINT ["/realtime"]
CMD ["serve"]
LABEL tellwang.build-hash="$realtime_hash"
DOCKERFILE
    replaced=$(docker image inspect --format '{{.Id}}' "$realtime_image" 2>/dev/null || true)
    DOCKER_BUILDKIT=0 docker build --quiet --tag "$realtime_image" "$context" >/dev/null 2>&1 ||
        DOCKER_BUILDKIT=0 docker build --tag "$realtime_image" "$context"
    rm -rf "$context"
    trap - EXIT
    drop_replaced "$realtime_image" "$replaced"
    log "built $realtime_image"
fi

# --- postgres -------------------------------------------------------------
if [ ! -x "$pg_root/bin/postgres" ]; then
    log "PostgreSQL $pg_version is not installed; installing Debian's postgresql-$pg_version"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "postgresql-$pg_version" >/dev/null
fi
pg_package=$(dpkg-query -W -f '${Version}' "postgresql-$pg_version")
postgres_hash=$( (sed -n '/^# --- postgres/,$p' "$0"; echo "$pg_package") | sha256sum | cut -c1-16)
if [ "$(built_hash "$postgres_image")" = "$postgres_hash" ]; then
    log "$postgres_image is up to date"
    exit 0
fi

# The root file system: the server's own files, the shared libraries they load
# (found with ldd), a POSIX shell for the entry point, time zones, and a
# `postgres` user (uid 999) that owns the data directory. The JIT (LLVM) is left out.
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,run/postgresql,usr/share,usr/lib/postgresql,var/lib/postgresql/data}
ln -s ../run "$rootfs/var/run"
cp -a "$pg_root" "$rootfs/usr/lib/postgresql/"
rm -f "$rootfs$pg_root"/lib/llvmjit*
rm -rf "$rootfs$pg_root"/lib/bitcode
mkdir -p "$rootfs/usr/share/postgresql"
cp -a "/usr/share/postgresql/$pg_version" "$rootfs/usr/share/postgresql/"
cp -a /usr/share/zoneinfo "$rootfs/usr/share/"
cp /bin/dash "$rootfs/bin/sh"
binaries=("$rootfs/bin/sh" "$rootfs$pg_root"/bin/* "$rootfs$pg_root"/lib/*.so)
ldd "${binaries[@]}" 2>/dev/null | grep -o '/[^ ]*\.so[^ ]*' | sort -u | while read -r lib; do
    case "$lib" in "$rootfs"*) continue ;; esac
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
done
# The dynamic loader's cache is not needed: libraries sit where ldd found them.
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh' >>"$rootfs/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
chown -R 999:999 "$rootfs/var/lib/postgresql" "$rootfs/run/postgresql"

# The entry point takes the same variables as the postgres:16 image
# (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), so one spec runs on both.
# The password travels on a pipe to initdb, never on a command line or in a log.
cat >"$rootfs/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -eu
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "entrypoint: POSTGRES_PASSWORD is not set" >&2
        exit 1
    fi
    printf '%s\n' "$POSTGRES_PASSWORD" |
        initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile=/dev/stdin \
            --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        printf 'CREATE DATABASE "%s";\n' "$POSTGRES_DB" |
            postgres --single -D "$PGDATA" -j postgres >/dev/null
    fi
    echo "entrypoint: initialised a new cluster" >&2
fi
unset POSTGRES_PASSWORD
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
ENTRYPOINT
chmod 755 "$rootfs/docker-entrypoint.sh"

replaced=$(docker image inspect --format '{{.Id}}' "$postgres_image" 2>/dev/null || true)
tar --numeric-owner -C "$rootfs" -c . | docker import \
    --change "ENV PATH=$pg_root/bin:/bin" \
    --change "ENV PGDATA=/var/lib/postgresql/data/pgdata" \
    --change "ENV TZ=UTC" \
    --change "USER 999:999" \
    --change "EXPOSE 5432" \
    --change "VOLUME /var/lib/postgresql/data" \
    --change "LABEL tellwang.build-hash=$postgres_hash" \
    --change 'ENTRYPOINT ["/docker-entrypoint.sh"]' \
    - "$postgres_image" >/dev/null
drop_replaced "$postgres_image" "$replaced"
log "built $postgres_image"
