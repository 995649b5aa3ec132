#!/usr/bin/env bash
# test-container.sh BIN: the static x86_64 binary in a minimal container made here with
# unshare(1) and chroot, no container engine needed. Run as root.
# test-container.sh --rootfs DIR ENTRYPOINT: the same runs on an image's unpacked root filesystem
# (test-image.py: the amd64 layer of `make image`), starting its ENTRYPOINT.
#
# 1. Empty root: a directory holding only the binary, with /proc and /sys mounted: no libc, no
#    /etc (no hostname, machine-id, os-release, passwd), no CA bundle, no /dev, no /tmp.
#    `--once --exporter stdout` must print valid OTLP/JSON with the cpu, memory and load
#    metrics; host.name comes from the kernel (the namespace's UTS name), host.id is absent,
#    service.instance.id falls back to host.name; an https endpoint still configures (bundled
#    roots); also as uid 65534 and as root without capabilities (`--cap-drop=ALL`).
# 2. Host monitoring: the same root with this machine's / bind-mounted read-only at /host and
#    `--root-path /host`, in new mount, PID and UTS namespaces (a container without
#    `--pid=host` or `--uts=host`): resource and stable values must be this host's, as printed by
#    the binary run directly on the host. Then with a new network namespace too (no
#    `--network=host`): interfaces and TCP states still come from /host/proc/1/net, conntrack
#    (a per-reader-namespace sysctl) does not.
#
# Every mount is made inside a new mount namespace (slave: host mounts propagate in, as with
# docker's rslave, nothing propagates out), so it disappears with the namespace's processes
# even if this script is killed; the EXIT trap checks that nothing is left mounted
# under the scratch directory before removing it (and never crosses a mount point when it does).
# Processes: each run is `timeout 60 unshare ...` in the foreground; nothing is left behind.
set -euo pipefail

[ "$(id -u)" -eq 0 ] || { echo "test-container: run as root (unshare, mount, chroot)" >&2; exit 1; }
usage() { echo "usage: test-container.sh BIN | test-container.sh --rootfs DIR ENTRYPOINT" >&2; exit 2; }
rootfs="" entry=/sysotlp
if [ "${1:-}" = --rootfs ]; then
  [ $# -eq 3 ] || usage
  rootfs="$(realpath "$2")" entry="$3"
  case "$entry" in /*) ;; *) usage ;; esac
else
  [ $# -eq 1 ] || usage
  bin="$(realpath "$1")"
fi
here="$(cd "$(dirname "$0")" && pwd)"

work="$(mktemp -d /tmp/sysotlp-container.XXXXXX)"
root="$work/root"
failed=0
holder=""

mounted_under_work() { awk -v w="$work" '$5 == w || index($5, w "/") == 1 { print $5 }' /proc/self/mountinfo; }
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local left
  left="$(mounted_under_work)"
  if [ -n "$left" ]; then
    echo "test-container: unexpected mounts left under $work, unmounting: $left" >&2
    echo "$left" | sort -r | while read -r m; do umount -l "$m" || true; done
  fi
  if [ -n "$(mounted_under_work)" ]; then
    echo "test-container: $work still has mounts; NOT removing it" >&2
    exit 1
  fi
  if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
  if [ -n "${KEEP:-}" ]; then echo "test-container: kept $work" >&2; return; fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# The root directory itself is 0755, as a runtime makes it (so that uid 65534 can enter it);
# only its contents come from DIR.
mkdir -m 0755 "$root"
if [ -n "$rootfs" ]; then
  find "$rootfs" -mindepth 1 -maxdepth 1 -exec cp -a {} "$root/" \;
  bin="$root$entry"
else
  cp "$bin" "$root$entry"
fi
# The mount points a runtime creates for the container.
mkdir -p "$root/proc" "$root/sys"
echo "test-container: root $root holds: $(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')"
file -b "$bin"

# in_ns NAME UNSHARE_FLAGS SETUP EXEC ARGS...: run `EXEC ARGS...` after SETUP (shell run as
# root inside new mount, PID and UTS namespaces, before the chroot); stdout, stderr and exit code
# go to $work/NAME.{out,err,rc}. EXEC chroots: `chroot $root`, `chroot --userspec=… $root`, or capsh.
in_ns() {
  local name="$1" flags="$2" setup="$3"
  shift 3
  local rc=0
  # shellcheck disable=SC2086 # $flags are separate unshare options
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin timeout 60 \
    unshare --mount --propagation slave --pid --fork --uts $flags \
    sh -euc "$setup"' ; exec "$@"' sh "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  echo "$rc" >"$work/$name.rc"
}

# The namespace's own /proc (its PID namespace) and a fresh sysfs, as a container engine mounts them.
base_setup="hostname sysotlp-ctr; mount -t proc proc $root/proc; mount -t sysfs sysfs $root/sys"
host_setup="$base_setup; mkdir -p $root/host; mount --rbind / $root/host; mount --make-rslave $root/host; mount -o remount,bind,ro $root/host"

# 1. Empty root.
in_ns empty "" "$base_setup" chroot "$root" "$entry" --once --exporter stdout
in_ns empty-nobody "" "$base_setup" chroot --userspec=65534:65534 "$root" "$entry" --once --exporter stdout
in_ns empty-nocaps "" "$base_setup" capsh --chroot="$root" --drop=all --shell="$entry" -- --once --exporter stdout
in_ns https-check "" "$base_setup" chroot "$root" "$entry" --check --endpoint https://otlp.example.net
in_ns https-once "" "$base_setup" chroot "$root" "$entry" --once --endpoint https://127.0.0.1:9 --timeout 2s

# 2. Host monitoring. A TCP connection held open in the host's network namespace for the
# duration, so that "TCP states are the host's" is not 0 = 0 (this script ends it, by PID).
python3 -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
print("ready", flush=True); time.sleep(120)' >"$work/holder.out" &
holder=$!
for _ in $(seq 50); do grep -q ready "$work/holder.out" && break; sleep 0.1; done
# The reference: the same binary on the host itself, with conntrack on.
conntrack=--enable=system.network.conntrack.count,system.network.conntrack.max
"$bin" --once --exporter stdout "$conntrack" >"$work/host.out" 2>"$work/host.err" && echo 0 >"$work/host.rc" || echo $? >"$work/host.rc"
in_ns watch "" "$host_setup" chroot "$root" "$entry" --once --exporter stdout --root-path /host "$conntrack"
in_ns watch-netns "--net" "$host_setup" chroot "$root" "$entry" --once --exporter stdout --root-path /host "$conntrack"
in_ns watch-nocaps "--net" "$host_setup" capsh --chroot="$root" --drop=all --shell="$entry" -- --once --exporter stdout --root-path /host "$conntrack"
in_ns watch-nobody "--net" "$host_setup" chroot --userspec=65534:65534 "$root" "$entry" --once --exporter stdout --root-path /host "$conntrack"

[ -z "$(mounted_under_work)" ] || { echo "test-container: mounts leaked out of the namespaces" >&2; failed=1; }

python3 "$here/check-container.py" "$work" || failed=1
exit "$failed"
