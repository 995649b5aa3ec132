#!/usr/bin/env bash
# tests/fuse/setup.sh: prepare a machine for the real hung-mount test (tests/filesystem.rs).
#
# Idempotent; run as root before `make test` (CI: `bash tests/fuse/setup.sh` in .ci/run).
# The test serves the FUSE protocol itself (tests/fuse/hangfs.py, Python standard library
# only) and mounts with mount(2), so it needs no libfuse, fusermount or PyPI package; only:
#   - python3 (with ctypes),
#   - umount (util-linux) to detach the mount afterwards,
#   - the fuse kernel module and /dev/fuse.
# What cannot be provided (not root, no module in a container) is reported; the test then
# skips with the reason when run by hand, and fails naming it under CI=true. The same python3
# runs the sock_diag tests' helpers (tests/netlink/deny_netlink.py, a TCP_DEFER_ACCEPT socket).
set -euo pipefail

missing=()
command -v python3 >/dev/null 2>&1 && python3 -c 'import ctypes' 2>/dev/null || missing+=(python3)
command -v umount >/dev/null 2>&1 || missing+=(util-linux)
if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        echo "tests/fuse/setup.sh: missing ${missing[*]}; run as root to install" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -c /dev/fuse ]]; then
    if [[ $EUID -eq 0 ]] && command -v modprobe >/dev/null 2>&1; then
        modprobe fuse 2>/dev/null || true
    fi
fi
if [[ -c /dev/fuse ]]; then
    echo "tests/fuse/setup.sh: ready (python3, umount, /dev/fuse)"
else
    echo "tests/fuse/setup.sh: no /dev/fuse (no fuse module, or a container without the device); the hung-mount test skips by hand and fails under CI=true" >&2
fi
