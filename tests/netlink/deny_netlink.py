"""Runs a command with socket(AF_NETLINK, ...) refused, as systemd's
RestrictAddressFamilies= without AF_NETLINK does: a seccomp filter returning EAFNOSUPPORT.
With --family=N, socket(N, ...) is refused instead (10: AF_INET6).

Usage: python3 deny_netlink.py [--family=N] PROGRAM [ARGS...]   (then execs PROGRAM; stdlib only)
Exit 77 with the reason on stderr when the filter cannot be installed here (another
architecture, seccomp unavailable).
"""

import ctypes
import os
import platform
import struct
import sys

AF_NETLINK = 16
EAFNOSUPPORT = 97
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
# BPF opcodes (linux/bpf_common.h): ld word absolute, jump if equal to k, return k.
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
# struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (low word on little-endian).
# (AUDIT_ARCH_*, __NR_socket) per machine.
ARCHES = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}


def main():
    machine = platform.machine()
    if machine not in ARCHES:
        print(f"deny_netlink: no syscall table for {machine}", file=sys.stderr)
        sys.exit(77)
    arch, nr_socket = ARCHES[machine]
    args = sys.argv[1:]
    family = AF_NETLINK
    if args and args[0].startswith("--family="):
        family = int(args.pop(0).split("=", 1)[1])
    program = [
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, arch),
        (RET_K, 0, 0, SECCOMP_RET_ALLOW),  # another ABI: leave it alone
        (LD_W_ABS, 0, 0, 0),
        (JEQ_K, 0, 3, nr_socket),
        (LD_W_ABS, 0, 0, 16),
        (JEQ_K, 0, 1, family),
        (RET_K, 0, 0, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
        (RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    filters = b"".join(struct.pack("HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(filters, len(filters))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Fprog(len(program), ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        print(f"deny_netlink: no_new_privs: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        sys.exit(77)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        print(f"deny_netlink: seccomp: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        sys.exit(77)
    os.execv(args[0], args)


if __name__ == "__main__":
    main()
