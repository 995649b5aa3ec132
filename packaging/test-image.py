#!/usr/bin/env python3
"""test-image.py ARCHIVE BIN=PLATFORM...: checks the OCI archive `make image` wrote, as a registry or
a runtime would read it, then runs the image built for this machine in an empty root.

1. Structure, with every blob's size and sha256 checked against the descriptor that names it:
   oci-layout, index.json -> the image index (manifest list) -> one manifest per PLATFORM, exactly
   the PLATFORMs given -> its config (os, architecture, variant; Entrypoint ["/sysotlp"], no Cmd,
   User 65534:65534) -> its one gzip layer (uncompressed digest = the config's diff_id), which
   holds /sysotlp alone (regular file, 0755, root-owned), byte for byte the BIN given for that
   platform, whose ELF machine (and ARM architecture, v6 or v7) is that platform's.
2. Size: manifest + config + layer of each platform (what a pull downloads) under 3 MB
   (3,000,000 bytes; issue 13), printed with the archive's total.
3. Run: the layer of this machine's platform (amd64 here) unpacked into an empty directory and
   its entrypoint run by test-container.sh --rootfs (the empty-root and host-watcher runs of
   `make test-container`; check-container.py decodes each output and checks its metrics; the
   image's user 65534 is its *-nobody runs). podman cannot run containers on this machine kind's
   hybrid cgroups; the harness needs none of a container engine.

Exit 0 when all checks pass, 1 otherwise. Run as root (the harness mounts and chroots). Python
standard library only.
"""

import gzip
import hashlib
import io
import json
import platform
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import elf_arch

HERE = Path(__file__).resolve().parent
MAX_BYTES = 3_000_000
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
# OCI architecture -> ELF e_machine, and the platform a machine (uname -m) runs natively.
ELF_MACHINE = {"amd64": elf_arch.EM_X86_64, "arm64": elf_arch.EM_AARCH64, "arm": elf_arch.EM_ARM}
NATIVE = {"x86_64": "linux/amd64", "aarch64": "linux/arm64"}
failures = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)
    return ok


class Archive:
    """An OCI image layout inside a tar, its blobs read by descriptor."""

    def __init__(self, path):
        self.tar = tarfile.open(path)
        self.names = set(self.tar.getnames())

    def file(self, name):
        return self.tar.extractfile(name).read()

    def blob(self, descriptor, media_type):
        """The blob's bytes, after checking its media type, size and digest."""
        algorithm, _, hexdigest = descriptor["digest"].partition(":")
        name = f"blobs/{algorithm}/{hexdigest}"
        if not check(descriptor.get("mediaType") == media_type and name in self.names,
                     f"{descriptor['digest'][:19]}: {media_type.rsplit('.', 1)[-1]} present"):
            return None
        data = self.file(name)
        check(len(data) == descriptor["size"] and hashlib.sha256(data).hexdigest() == hexdigest,
              f"{descriptor['digest'][:19]}: size {len(data)} and sha256 match its descriptor")
        return data


def platform_name(p):
    return "/".join(x for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x)


def layer_members(layer):
    """[(TarInfo, bytes or None)] of an uncompressed layer."""
    with tarfile.open(fileobj=io.BytesIO(layer)) as t:
        return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def check_binary(where, data, arch, variant):
    check(elf_arch.machine(data) == ELF_MACHINE.get(arch), f"{where}: ELF machine is {arch}'s")
    if arch == "arm":
        found = elf_arch.CPU_ARCH_VARIANT.get(elf_arch.arm_cpu_arch(data))
        check(found == variant, f"{where}: built for ARM {found} (Tag_CPU_arch), the platform's {variant}")


def check_image(archive, descriptor, binary):
    """Checks one platform's manifest, config and layer; returns (pulled bytes, the layer when it
    holds the one expected file, else None, the entrypoint) or None."""
    name = platform_name(descriptor["platform"])
    print(f"test-image: {name}")
    manifest_bytes = archive.blob(descriptor, MANIFEST)
    if manifest_bytes is None:
        return None
    manifest = json.loads(manifest_bytes)
    config_bytes = archive.blob(manifest["config"], CONFIG)
    if config_bytes is None:
        return None
    config = json.loads(config_bytes)
    check(platform_name(config) == name, f"{name}: config says {platform_name(config)}")
    run = config.get("config", {})
    check(run.get("Entrypoint") == ["/sysotlp"], f"{name}: entrypoint {run.get('Entrypoint')}")
    check(not run.get("Cmd"), f"{name}: no Cmd (arguments follow the image name)")
    check(run.get("User") == "65534:65534", f"{name}: user {run.get('User')!r} is nobody")
    layers = manifest["layers"]
    if not check(len(layers) == 1, f"{name}: one layer ({len(layers)})"):
        return None
    compressed = archive.blob(layers[0], LAYER)
    if compressed is None:
        return None
    layer = gzip.decompress(compressed)
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    check(diff_ids == ["sha256:" + hashlib.sha256(layer).hexdigest()], f"{name}: layer matches the config's diff_id")
    members = layer_members(layer)
    listing = [(m.name, m.type, oct(m.mode & 0o7777), m.uid, m.gid) for m, _ in members]
    alone = check(listing == [("sysotlp", tarfile.REGTYPE, "0o755", 0, 0)],
                  f"{name}: the layer is /sysotlp alone, 0755, root-owned ({listing})")
    if alone:
        data = members[0][1]
        check(data == binary.read_bytes(), f"{name}: /sysotlp is {binary.name}")
        check_binary(name, data, config.get("architecture"), config.get("variant"))
    entrypoint = (run.get("Entrypoint") or [""])[0]
    return len(manifest_bytes) + len(config_bytes) + len(compressed), layer if alone else None, entrypoint


def run_in_empty_root(layer, entrypoint):
    """The layer unpacked into a new directory (members checked above: one regular file), then
    the harness's empty-root and host-watcher runs of its entrypoint."""
    with tempfile.TemporaryDirectory(prefix="sysotlp-image-root.") as root:
        with tarfile.open(fileobj=io.BytesIO(layer)) as t:
            for member in t.getmembers():
                target = Path(root, member.name)
                target.write_bytes(t.extractfile(member).read())
                target.chmod(member.mode)
        done = subprocess.run(["bash", str(HERE / "test-container.sh"), "--rootfs", root, entrypoint], check=False)
        check(done.returncode == 0, f"the entrypoint {entrypoint} in an empty root and as a host watcher (test-container.sh)")


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: test-image.py ARCHIVE BIN=PLATFORM...")
    path = Path(sys.argv[1])
    wanted = {}
    for spec in sys.argv[2:]:
        binary, _, name = spec.rpartition("=")
        wanted[name] = Path(binary)
    archive = Archive(path)
    print(f"test-image: {path}")
    check(json.loads(archive.file("oci-layout")) == {"imageLayoutVersion": "1.0.0"}, "oci-layout 1.0.0")
    top = json.loads(archive.file("index.json"))["manifests"]
    if not check(len(top) == 1, f"index.json names one image index ({len(top)})"):
        sys.exit(1)
    ref = top[0].get("annotations", {}).get("org.opencontainers.image.ref.name", "")
    check(ref.startswith("sysotlp:"), f"its name {ref!r} is sysotlp:VERSION (what podman load calls it)")
    index_bytes = archive.blob(top[0], INDEX)
    if index_bytes is None:
        sys.exit(1)
    descriptors = json.loads(index_bytes)["manifests"]
    names = [platform_name(d.get("platform", {})) for d in descriptors]
    check(sorted(names) == sorted(wanted), f"the index lists {names}, expected {list(wanted)}")
    sizes, runnable = {}, {}
    for descriptor, name in zip(descriptors, names):
        if name not in wanted:
            continue
        result = check_image(archive, descriptor, wanted[name])
        if result is not None:
            sizes[name], layer, entrypoint = result
            if layer is not None:
                runnable[name] = (layer, entrypoint)

    print("test-image: compressed size of each platform (manifest + config + layer, as pulled)")
    for name, size in sizes.items():
        check(size < MAX_BYTES, f"{name}: {size} bytes ({size / 1e6:.2f} MB) < {MAX_BYTES / 1e6:.0f} MB;"
              f" binary {wanted[name].stat().st_size} bytes")
    print(f"       archive: {path.stat().st_size} bytes ({path.stat().st_size / 1e6:.2f} MB), {len(sizes)} platforms")

    native = NATIVE.get(platform.machine())
    if check(native in runnable, f"this machine's platform {native} is in the image, its layer checked"):
        layer, entrypoint = runnable[native]
        print(f"test-image: {native} layer, entrypoint {entrypoint} run in an empty root")
        run_in_empty_root(layer, entrypoint)

    if failures:
        print(f"test-image: {len(failures)} check(s) FAILED")
        sys.exit(1)
    print("test-image: all checks passed")


if __name__ == "__main__":
    main()
