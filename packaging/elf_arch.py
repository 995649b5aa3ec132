"""elf_arch.py: reads an ELF file's header and, for 32-bit ARM, its .ARM.attributes section; gives
the machine (e_machine) and the ARM architecture the code was built for (Tag_CPU_arch).

test-cross.py uses it to pick the qemu-user CPU (an ARMv6 build runs on an ARM1176, so an ARMv7
instruction traps), test-image.py to check each image's platform against the binary inside.
Sources: the System V ABI (ELF header and section headers) and Arm's "Addenda to, and Errata in,
the ABI for the Arm Architecture" (IHI 0045: build attributes, Tag_CPU_arch values).
Python standard library only.
"""

import struct

EM_X86_64, EM_AARCH64, EM_ARM = 0x3E, 0xB7, 0x28
SHT_ARM_ATTRIBUTES = 0x70000003
TAG_CPU_ARCH = 6
# Tag_CPU_arch values (IHI 0045, 2.5.3) as the `variant` of an OCI platform (arm/v6, arm/v7, ...).
CPU_ARCH_VARIANT = {6: "v6", 7: "v6", 8: "v6", 9: "v6", 10: "v7", 14: "v8"}


def machine(data):
    """e_machine of the ELF image `data` (bytes), or None if it is not ELF."""
    if data[:4] != b"\x7fELF":
        return None
    order = "<" if data[5] == 1 else ">"
    return struct.unpack_from(order + "H", data, 18)[0]


def _uleb(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _ntbs_end(data, pos):
    return data.index(b"\0", pos) + 1


def _attributes_section(data):
    """The bytes of .ARM.attributes of a little-endian ELF32 file, or None."""
    if data[4] != 1 or data[5] != 1:
        return None
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    for i in range(shnum):
        _, sh_type, _, _, offset, size = struct.unpack_from("<IIIIII", data, shoff + i * shentsize)
        if sh_type == SHT_ARM_ATTRIBUTES:
            return data[offset : offset + size]
    return None


def arm_cpu_arch(data):
    """Tag_CPU_arch of the file-scope "aeabi" attributes of a 32-bit ARM ELF (10 = ARMv7,
    6..9 = ARMv6 flavours), or None when the file has no such attribute."""
    if machine(data) != EM_ARM:
        return None
    section = _attributes_section(data)
    if not section or section[0] != ord("A"):
        return None
    pos = 1
    while pos + 4 <= len(section):
        length, = struct.unpack_from("<I", section, pos)
        end = pos + length
        vendor_end = _ntbs_end(section, pos + 4)
        if section[pos + 4 : vendor_end - 1] == b"aeabi":
            sub = vendor_end
            while sub < end:
                tag, p = _uleb(section, sub)
                sub_len, = struct.unpack_from("<I", section, p)
                if tag == 1:  # Tag_File: attributes of the whole file
                    return _cpu_arch_in(section, p + 4, sub + sub_len)
                sub += sub_len
        if length == 0:
            break
        pos = end
    return None


def _cpu_arch_in(section, pos, end):
    while pos < end:
        tag, pos = _uleb(section, pos)
        if tag == TAG_CPU_ARCH:
            return _uleb(section, pos)[0]
        if tag == 32:  # Tag_compatibility: a flag, then a vendor name
            pos = _ntbs_end(section, _uleb(section, pos)[1])
        elif tag in (4, 5, 67) or (tag > 32 and tag % 2 == 1):  # string-valued tags
            pos = _ntbs_end(section, pos)
        else:
            pos = _uleb(section, pos)[1]
    return None
