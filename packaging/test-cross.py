#!/usr/bin/env python3
"""test-cross.py BIN...: run each static binary (ARM ones under qemu-user) against the golden
fixtures and on this machine's own /proc and /sys.

1. Goldens, as tests/golden.rs discovers them: every fixtures/<name>/ with a sysotlp-fixture.json,
   one case per line of its golden.txt (`<expected file> [flags...]`, default expected.json), run as
   `--root-path fixtures/<name> --once --exporter stdout <flags>` with an empty environment. The
   printed request, scope version normalised, must equal the expected file as parsed JSON: the
   same bytes of truth as the native `cargo test`, now from a 32-bit ARM or aarch64 build.
2. Live `--once` (structure only: values belong to the fixtures). Every binary must print the
   same metric names with the same attribute keys as the first binary given (x86_64, native), the
   foundation series (`--collectors cpu,memory,load,system`) must be the same series, memory states
   must sum to the limit, and times must be now (a 32-bit time_t or a truncated u64 would show).
3. https (tls_sink.py): `--once` to a loopback https sink whose CA is given with --tls-ca, once
   over TLS 1.3 (AES-GCM) and once over TLS 1.2 with ChaCha20-Poly1305: ring's key exchange,
   signature check and both AEADs as compiled for each target. The ARMv6 build runs on an ARM1176
   (no NEON, no ARMv7 instructions), so ring's fallbacks for the Pi 1 and Zero are what runs.

Exit 0 when every case of every binary passes, 1 otherwise. Python standard library and openssl(1).
"""

import difflib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import elf_arch
import tls_sink

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FOUNDATION = "--collectors=cpu,memory,load,system"
# ELF e_machine -> (uname -m of a machine that runs it natively, qemu-user runner).
MACHINES = {
    elf_arch.EM_X86_64: ("x86_64", ["qemu-x86_64-static"]),
    elf_arch.EM_AARCH64: ("aarch64", ["qemu-aarch64-static"]),
    elf_arch.EM_ARM: ("armv7l", ["qemu-arm-static"]),
}
# An ARMv6 build (arm-unknown-linux-musleabihf: Raspberry Pi 1 and Zero) runs on qemu's ARM1176,
# the Pi's own core (ARMv6KZ with VFPv2): an ARMv7 instruction in it (movw, dmb, NEON without the
# runtime check) traps with SIGILL instead of passing as it would on qemu's default CPU.
ARMV6_CPU = ["-cpu", "arm1176"]


def runner_for(binary):
    """The command prefix that runs `binary` here: nothing when native, else qemu-user."""
    data = Path(binary).read_bytes()
    machine = elf_arch.machine(data)
    if machine is None:
        sys.exit(f"test-cross: {binary} is not an ELF file")
    if machine not in MACHINES:
        sys.exit(f"test-cross: {binary}: unknown ELF machine {machine:#x}")
    native, qemu = MACHINES[machine]
    armv6 = machine == elf_arch.EM_ARM and elf_arch.CPU_ARCH_VARIANT.get(elf_arch.arm_cpu_arch(data)) == "v6"
    here = platform.machine()
    if here == native or (machine == elf_arch.EM_ARM and here.startswith("armv")):
        return []
    return qemu + (ARMV6_CPU if armv6 else [])


def run(prefix, binary, args):
    """Runs the binary with an empty environment (no OTEL_*, RUST_LOG of this shell)."""
    return subprocess.run(prefix + [str(binary)] + args, env={}, capture_output=True, text=True, timeout=120)


def golden_cases():
    cases = []
    for d in sorted(p for p in FIXTURES.iterdir() if (p / "sysotlp-fixture.json").is_file()):
        spec = d / "golden.txt"
        lines = spec.read_text().splitlines() if spec.exists() else ["expected.json"]
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                words = line.split()
                cases.append((d.name, words[0], words[1:]))
    return cases


def normalise(request):
    """The crate version is not part of the golden (tests/golden.rs does the same)."""
    for rm in request.get("resourceMetrics", []):
        for sm in rm.get("scopeMetrics", []):
            sm.setdefault("scope", {})["version"] = "<version>"
    return request


def same(actual, expected):
    """Parsed-JSON equality, but doubles within 2 ULP: the expected files were written by
    serde_json, whose default float parser (no `float_roundtrip`) can be 1 ULP off what the binary
    printed (offline-cpu --load-cpu-average: prints 0.19666666666666666, file holds ...663)."""
    if isinstance(actual, float) or isinstance(expected, float):
        if isinstance(actual, bool) or isinstance(expected, bool):
            return False
        a, e = float(actual), float(expected)
        return a == e or abs(a - e) <= 2 * math.ulp(max(abs(a), abs(e)))
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in actual)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))
    return type(actual) is type(expected) and actual == expected


def one_request(out, what):
    """The single JSON line of a --once run, or an error string."""
    if out.returncode != 0:
        return None, f"{what}: exit {out.returncode}: {out.stderr.strip()[-600:]}"
    if "panicked" in out.stderr:
        return None, f"{what}: panic: {out.stderr.strip()[-600:]}"
    lines = out.stdout.splitlines()
    if len(lines) != 1:
        return None, f"{what}: {len(lines)} lines on stdout, expected one request"
    try:
        return json.loads(lines[0]), None
    except json.JSONDecodeError as e:
        return None, f"{what}: stdout is not JSON: {e}"


def check_goldens(prefix, binary):
    failures = []
    cases = golden_cases()
    for name, file, flags in cases:
        what = f"{name} {' '.join(flags)} -> {file}"
        out = run(prefix, binary, ["--once", "--exporter", "stdout", "--root-path", str(FIXTURES / name)] + flags)
        request, error = one_request(out, what)
        if error:
            failures.append(error)
            continue
        actual = normalise(request)
        expected = json.loads((FIXTURES / name / file).read_text())
        if not same(actual, expected):
            diff = difflib.unified_diff(
                json.dumps(expected, indent=2, sort_keys=True).splitlines(),
                json.dumps(actual, indent=2, sort_keys=True).splitlines(),
                f"{name}/{file}",
                "actual",
                lineterm="",
                n=2,
            )
            failures.append(f"{what}: differs\n" + "\n".join(list(diff)[:40]))
    return len(cases), failures


def points(request):
    """(metric name, ((key, value), ...), data point) of every point."""
    for rm in request["resourceMetrics"]:
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                data = m.get("sum") or m.get("gauge") or {}
                for p in data.get("dataPoints", []):
                    attrs = tuple((a["key"], json.dumps(a["value"], sort_keys=True)) for a in p.get("attributes", []))
                    yield m["name"], attrs, p


def shape(request):
    """Metric names in output order, each with its sorted attribute keys."""
    seen = {}
    for name, attrs, _ in points(request):
        seen.setdefault(name, set()).update(k for k, _ in attrs)
    return [(name, sorted(keys)) for name, keys in seen.items()]


def check_live(prefix, binary, reference):
    """Live --once on this machine; `reference` is the first binary's (shape, foundation series)."""
    failures = []
    started = time.time_ns()
    full, error = one_request(run(prefix, binary, ["--once", "--exporter", "stdout"]), "live all collectors")
    if error:
        return None, [error]
    found, error = one_request(run(prefix, binary, ["--once", "--exporter", "stdout", FOUNDATION]), "live foundation")
    if error:
        return None, [error]
    finished = time.time_ns()
    series = [(n, a) for n, a, _ in points(found)]
    names = list(dict.fromkeys(n for n, _ in series))
    want = [
        "system.cpu.time",
        "system.cpu.logical.count",
        "system.memory.usage",
        "system.memory.linux.slab.usage",
        "system.memory.limit",
        "system.cpu.load_average.1m",
        "system.cpu.load_average.5m",
        "system.cpu.load_average.15m",
        "system.uptime",
    ]
    missing = [n for n in want if n not in names]
    if missing:
        failures.append(f"live: foundation metrics missing: {missing}")
    usage = sum(int(p["asInt"]) for n, _, p in points(found) if n == "system.memory.usage")
    limit = [int(p["asInt"]) for n, _, p in points(found) if n == "system.memory.limit"]
    if limit != [usage]:
        failures.append(f"live: memory states sum to {usage}, limit {limit}")
    for request in (full, found):
        for n, _, p in points(request):
            t = int(p["timeUnixNano"])
            if not started - 5 * 10**9 <= t <= finished + 5 * 10**9:
                failures.append(f"live: {n} timeUnixNano {t} is not now ({started})")
                break
            start = int(p.get("startTimeUnixNano", "0"))
            if start > t:
                failures.append(f"live: {n} starts after its time ({start} > {t})")
                break
            for key in ("asInt", "asDouble"):
                v = p.get(key)
                if v is not None and float(v) < 0:
                    failures.append(f"live: {n} {key} {v} is negative")
    uptime = [p.get("asDouble", p.get("asInt")) for n, _, p in points(found) if n == "system.uptime"]
    if not uptime or float(uptime[0]) <= 0:
        failures.append(f"live: system.uptime {uptime}")
    # Values that do not move between two runs: MemTotal (above 4 GiB on a 64-bit host, so a
    # 32-bit truncation shows) and the CPU count.
    stable = [p.get("asInt") for n, _, p in points(found) if n in ("system.memory.limit", "system.cpu.logical.count")]
    mine = (shape(full), sorted(series), stable)
    if reference is not None:
        ref_shape, ref_series, ref_stable = reference
        if stable != ref_stable:
            failures.append(f"live: memory limit and CPU count {stable} differ from the first binary's {ref_stable}")
        if mine[0] != ref_shape:
            diff = difflib.unified_diff(
                [f"{n} {k}" for n, k in ref_shape], [f"{n} {k}" for n, k in mine[0]], "first binary", "this one", lineterm=""
            )
            failures.append("live: metric names or attribute keys differ from the first binary\n" + "\n".join(diff))
        if mine[1] != ref_series:
            failures.append("live: foundation series differ from the first binary")
    return mine, failures


def check_https(prefix, binary, ca, sinks):
    """One --once export to each sink; returns failures."""
    failures = []
    for sink in sinks:
        before = len(sink.requests)
        args = ["--once", "--collectors", "cpu,memory", "--endpoint", sink.url, "--tls-ca", str(ca)]
        out = run(prefix, binary, args)
        got = sink.requests[before:]
        if out.returncode != 0 or len(got) != 1:
            failures.append(f"https {sink.url}: exit {out.returncode}, {len(got)} requests: {out.stderr.strip()[-600:]}")
            continue
        path, content_type, length, _, _ = got[0]
        if path != "/v1/metrics" or content_type != "application/x-protobuf" or length == 0:
            failures.append(f"https: {path} {content_type} {length} bytes")
    return failures


def main():
    binaries = [Path(b) for b in sys.argv[1:]]
    if not binaries:
        sys.exit("usage: test-cross.py BIN...")
    os.chdir(ROOT)
    reference = None
    failed = False
    certs = tempfile.TemporaryDirectory(prefix="sysotlp-tls.")
    ca = tls_sink.make_ca_and_leaf(certs.name)
    sinks = [tls_sink.Sink(certs.name), tls_sink.Sink(certs.name, "ECDHE-ECDSA-CHACHA20-POLY1305")]
    for binary in binaries:
        prefix = runner_for(binary)
        how = f"under {' '.join(prefix)}" if prefix else "natively"
        begin = time.monotonic()
        total, golden_failures = check_goldens(prefix, binary)
        live, live_failures = check_live(prefix, binary, reference)
        if reference is None and live is not None:
            reference = live
        https_failures = check_https(prefix, binary, ca, sinks)
        failures = golden_failures + live_failures + https_failures
        took = time.monotonic() - begin
        print(
            f"test-cross: {binary.name} {how}: {total - len(golden_failures)}/{total} goldens match,"
            f" live --once {'FAILED' if live_failures else 'ok'},"
            f" https {'FAILED' if https_failures else 'ok'} ({took:.1f} s)"
        )
        for f in failures:
            print("  " + f.replace("\n", "\n    "))
        failed |= bool(failures)
    for sink in sinks:
        sink.close()
    print(f"test-cross: https sessions: {sorted({f'{r[3]} {r[4]}' for s in sinks for r in s.requests})}")
    certs.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
