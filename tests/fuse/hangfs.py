#!/usr/bin/env python3
"""A FUSE file system whose statfs hangs until SIGUSR1: a real hung mount for tests/filesystem.rs.

usage: hangfs.py MOUNTPOINT

Speaks the raw FUSE protocol on /dev/fuse (include/uapi/linux/fuse.h), standard library only:
no libfuse, no fusermount, no fusepy. Mounts with mount(2) as type `fuse.sysotlphang` (so the
agent sees the subtype, spec/metrics.md §3.5), then serves requests:

- FUSE_INIT: answered (protocol 7.31 is enough for what we do);
- FUSE_GETATTR: the root directory (so `stat MOUNTPOINT` works);
- FUSE_STATFS: held, unanswered, until SIGUSR1; then every held and later statfs is answered
  with blocks 1000, bfree 400, bavail 300, files 100, ffree 90, bsize = frsize = 4096;
- FORGET, BATCH_FORGET, INTERRUPT: no answer (the protocol has none);
- anything else: ENOSYS.

Prints `READY` once mounted, or `SKIP: <reason>` and exits 77 when the machine cannot do it
(no /dev/fuse, no permission to mount). Exits when the connection ends (unmount) or on SIGTERM;
closing /dev/fuse aborts the connection, so a held statfs then fails with ENOTCONN.
"""

import ctypes
import errno
import os
import signal
import struct
import sys

FUSE_GETATTR = 3
FUSE_FORGET = 2
FUSE_STATFS = 17
FUSE_INIT = 26
FUSE_INTERRUPT = 36
FUSE_BATCH_FORGET = 42

IN_HEADER = struct.Struct("<IIQQIIIHH")  # len opcode unique nodeid uid gid pid total_extlen padding
OUT_HEADER = struct.Struct("<IiQ")  # len error unique
INIT_IN = struct.Struct("<IIII")  # major minor max_readahead flags (the start of fuse_init_in)
# fuse_init_out: major minor max_readahead flags max_background congestion_threshold max_write
# time_gran max_pages map_alignment flags2 max_stack_depth unused[6] (64 bytes)
INIT_OUT = struct.Struct("<IIIIHHIIHHII24x")
# fuse_attr_out: attr_valid attr_valid_nsec dummy, then fuse_attr: ino size blocks atime mtime
# ctime atimensec mtimensec ctimensec mode nlink uid gid rdev blksize flags (104 bytes)
ATTR_OUT = struct.Struct("<QII" + "QQQQQQ" + "IIIIIIIIII")
# fuse_statfs_out: blocks bfree bavail files ffree bsize namelen frsize padding spare[6] (80 bytes)
STATFS_OUT = struct.Struct("<QQQQQIIII24x")

STATS = STATFS_OUT.pack(1000, 400, 300, 100, 90, 4096, 255, 4096, 0)

released = False
held = []
fd = -1


def skip(reason):
    print(f"SKIP: {reason}", flush=True)
    sys.exit(77)


def reply(unique, payload=b"", error=0):
    try:
        os.write(fd, OUT_HEADER.pack(OUT_HEADER.size + len(payload), -error, unique) + payload)
    except OSError as e:
        # ENOENT: the request was interrupted meanwhile; the kernel forgot it.
        if e.errno != errno.ENOENT:
            raise


def on_release(_signum, _frame):
    global released
    released = True
    while held:
        reply(held.pop(0), STATS)


def on_term(_signum, _frame):
    sys.exit(0)


def mount(target):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    ms_nosuid, ms_nodev = 2, 4
    data = f"fd={fd},rootmode=40000,user_id={os.getuid()},group_id={os.getgid()}"
    if libc.mount(b"sysotlp-hangfs", os.fsencode(target), b"fuse.sysotlphang",
                  ms_nosuid | ms_nodev, data.encode()) != 0:
        e = ctypes.get_errno()
        skip(f"mount(2) of a FUSE file system on {target} failed: {os.strerror(e)}")


def serve():
    while True:
        try:
            request = os.read(fd, 1 << 17)
        except OSError as e:
            if e.errno == errno.ENODEV:  # unmounted
                return
            raise
        if len(request) < IN_HEADER.size:
            continue
        _, opcode, unique, nodeid, *_ = IN_HEADER.unpack_from(request)
        body = request[IN_HEADER.size:]
        if opcode == FUSE_INIT:
            major, minor, max_readahead, _ = INIT_IN.unpack_from(body)
            reply(unique, INIT_OUT.pack(7, min(minor, 31), max_readahead, 0, 0, 0, 4096, 1, 0, 0, 0, 0))
        elif opcode == FUSE_GETATTR:
            # Root directory, mode 040755, valid for 1 s.
            reply(unique, ATTR_OUT.pack(1, 0, 0, nodeid, 0, 0, 0, 0, 0, 0, 0, 0,
                                        0o040755, 2, os.getuid(), os.getgid(), 0, 4096, 0))
        elif opcode == FUSE_STATFS:
            if released:
                reply(unique, STATS)
            else:
                held.append(unique)
        elif opcode in (FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT):
            pass
        else:
            reply(unique, error=errno.ENOSYS)


def main():
    global fd
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
    except OSError as e:
        skip(f"cannot open /dev/fuse: {e.strerror}")
    signal.signal(signal.SIGUSR1, on_release)
    signal.signal(signal.SIGTERM, on_term)
    mount(sys.argv[1])
    print("READY", flush=True)
    serve()


if __name__ == "__main__":
    main()
