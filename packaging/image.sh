#!/usr/bin/env bash
# image.sh VERSION OUT BIN=PLATFORM...: the FROM-scratch OCI image of the static binaries, one
# image per PLATFORM (linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6) under one manifest
# list (an OCI image index), written to OUT as an OCI archive (`oci-archive:`: index.json and
# blobs/ in a tar) with OUT.sha256 beside it. `make image` calls it with the dist binaries.
#
# Each image is one layer holding /sysotlp (root-owned, 0755) and nothing else: no libc, /etc,
# shell or CA bundle (the Mozilla roots are built in). Entrypoint ["/sysotlp"], no Cmd (arguments
# go after the image name), user 65534:65534 (nobody: the agent reads /proc and /sys as any
# user; a host watcher adds capabilities only for other users' process details), created time 0
# so that the same binaries give the same image digests.
#
# buildah from Debian's apt (installed here when missing, as root), offline: FROM scratch, no
# RUN step (so no runtime, isolation or network namespace is needed), a private vfs store under
# a scratch directory that is removed at exit (nothing lands in the machine's own image store).
set -euo pipefail

say() { echo "image: $*" >&2; }
die() { say "$*"; exit 1; }

[ $# -ge 3 ] || die "usage: image.sh VERSION OUT BIN=os/arch[/variant]..."
version="$1" out="$2"
shift 2

if ! command -v buildah >/dev/null; then
  [ "$(id -u)" -eq 0 ] || die "buildah is missing: run as root to apt-get install it"
  say "apt-get install buildah"
  apt-get update -qq
  if DEBIAN_FRONTEND=noninteractive apt-get install -s --no-install-recommends buildah | grep -q '^Remv '; then
    die "apt would remove packages to install buildah; not doing it"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah >/dev/null
fi

work="$(mktemp -d /tmp/sysotlp-image.XXXXXX)"
trap 'rm -rf --one-file-system "$work"' EXIT
b() { buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"; }

list="localhost/sysotlp:$version"
b manifest create "$list" >/dev/null
for spec in "$@"; do
  bin="${spec%=*}" platform="${spec#*=}"
  [ -f "$bin" ] || die "$bin: no such binary (make dist builds it)"
  IFS=/ read -r os arch variant <<<"$platform"
  if [ "$os" != linux ] || [ -z "$arch" ]; then die "$spec: the platform must be linux/ARCH[/VARIANT]"; fi
  ctr="$(b from --quiet --pull=never --os "$os" --arch "$arch" ${variant:+--variant "$variant"} scratch)"
  b copy --quiet --chown 0:0 --chmod 0755 "$ctr" "$bin" /sysotlp
  b config --os "$os" --arch "$arch" --variant "$variant" \
    --entrypoint '["/sysotlp"]' --user 65534:65534 \
    --created-by "COPY $(basename "$bin") /sysotlp" \
    --label org.opencontainers.image.title=sysotlp \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.description="A tiny Linux host-metrics agent that pushes OpenTelemetry metrics over OTLP/HTTP" \
    --label org.opencontainers.image.licenses=Apache-2.0 \
    "$ctr"
  tag="$list-$os-$arch${variant:+-$variant}"
  b commit --quiet --rm --format oci --timestamp 0 --identity-label=false "$ctr" "$tag" >/dev/null
  b manifest add "$list" "containers-storage:$tag" >/dev/null
  say "$platform: $bin"
done

# Written next to OUT and renamed, so a failed run never leaves a partial archive in dist/.
# The reference after the path becomes the index's org.opencontainers.image.ref.name, which
# `podman load` (and `buildah pull oci-archive:`) name the image by: localhost/sysotlp:VERSION.
mkdir -p "$(dirname "$out")"
b manifest push --quiet --all --format oci "$list" "oci-archive:$out.tmp:sysotlp:$version"
mv "$out.tmp" "$out"
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
say "$out: $(stat -c %s "$out") bytes, $# platforms"
