#!/usr/bin/env python3
"""check-container.py WORK: judges the runs test-container.sh left in WORK as NAME.{out,err,rc}.

Exits 1 if any check fails; prints what each run showed (the WARN lines of the empty root, and
what a container loses without the host's namespaces) for the record.
"""

import json
import sys
from pathlib import Path

WORK = Path(sys.argv[1])
UTS_NAME = "sysotlp-ctr"  # the hostname test-container.sh gives each new UTS namespace
FOUNDATION = [
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
failures = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def run(name):
    """(exit code, the one request or None, stderr) of a run."""
    rc = int((WORK / f"{name}.rc").read_text())
    out = (WORK / f"{name}.out").read_text()
    err = (WORK / f"{name}.err").read_text()
    request = None
    lines = out.splitlines()
    if len(lines) == 1 and lines[0].startswith("{"):
        try:
            request = json.loads(lines[0])
        except json.JSONDecodeError:
            pass
    return rc, request, err


def resource(request):
    return {a["key"]: a["value"].get("stringValue") for a in request["resourceMetrics"][0]["resource"]["attributes"]}


def points(request, metric=None):
    """[(name, {attr: value}, value)] in output order."""
    out = []
    for sm in request["resourceMetrics"][0]["scopeMetrics"]:
        for m in sm["metrics"]:
            if metric is not None and m["name"] != metric:
                continue
            data = m.get("sum") or m.get("gauge") or {}
            for p in data.get("dataPoints", []):
                attrs = {a["key"]: next(iter(a["value"].values())) for a in p.get("attributes", [])}
                v = p.get("asDouble", p.get("asInt"))
                out.append((m["name"], attrs, float(v) if v is not None else None))
    return out


def names(request):
    return list(dict.fromkeys(n for n, _, _ in points(request)))


def devices(request, metric):
    return sorted({a.get("device") for _, a, _ in points(request, metric)})


def one(request, metric, **attrs):
    found = [v for _, a, v in points(request, metric) if all(a.get(k) == w for k, w in attrs.items())]
    return found[0] if len(found) == 1 else None


def clean_stderr(name, err):
    check("panicked" not in err and " ERROR " not in err, f"{name}: no panic, no ERROR on stderr")
    for line in err.splitlines():
        if " WARN " in line:
            print(f"       {name} stderr: {line.split(' ', 1)[1]}")


def valid_empty_root(name):
    rc, req, err = run(name)
    check(rc == 0 and req is not None, f"{name}: exit 0 and one OTLP/JSON request (exit {rc})")
    if req is None:
        print(err)
        return None
    res = resource(req)
    check(res.get("host.name") == UTS_NAME, f"{name}: host.name {res.get('host.name')!r} is the kernel's (UTS) name")
    check("host.id" not in res, f"{name}: no host.id without /etc/machine-id")
    check(res.get("service.instance.id") == UTS_NAME, f"{name}: service.instance.id falls back to host.name")
    check(res.get("os.type") == "linux", f"{name}: os.type linux")
    got = names(req)
    check(all(n in got for n in FOUNDATION), f"{name}: cpu, memory, load and uptime metrics present")
    usage = sum(v for _, _, v in points(req, "system.memory.usage"))
    check([usage] == [v for _, _, v in points(req, "system.memory.limit")], f"{name}: memory states sum to the limit")
    clean_stderr(name, err)
    if name == "empty":
        print(f"       {name}: resource {res}")
    return req


print("test-container: 1. empty root (only the binary, /proc, /sys)")
empty = valid_empty_root("empty")
for variant in ("empty-nobody", "empty-nocaps"):
    req = valid_empty_root(variant)
    if empty is not None and req is not None:
        check(names(req) == names(empty), f"{variant}: the same metrics as root with capabilities")
rc, _, err = run("https-check")
check(rc == 0 and "https://otlp.example.net" in (WORK / "https-check.out").read_text(),
      f"https-check: --check with an https endpoint and no CA bundle exits 0 (exit {rc})")
rc, _, err = run("https-once")
check(rc == 1 and "panicked" not in err, f"https-once: an unreachable https endpoint is exit 1, not a crash (exit {rc})")

print("test-container: 2. host monitoring (--root-path /host, own mount, PID and UTS namespaces)")
rc, host, err = run("host")
check(rc == 0 and host is not None, "host: the binary on the host itself")
if host is None:
    print(err)
    sys.exit(1)
for name, own_net in (("watch", False), ("watch-netns", True), ("watch-nocaps", True), ("watch-nobody", True)):
    rc, req, err = run(name)
    check(rc == 0 and req is not None, f"{name}: exit 0 and one request (exit {rc})")
    if req is None:
        print(err)
        continue
    check(resource(req) == resource(host), f"{name}: resource is the host's ({resource(req).get('host.name')}, host.id, os.*)")
    for metric in ("system.memory.limit", "system.cpu.logical.count"):
        check(one(req, metric) == one(host, metric), f"{name}: {metric} {one(req, metric)} is the host's")
    up_host, up = one(host, "system.uptime"), one(req, "system.uptime")
    check(up is not None and 0 <= up - up_host < 30, f"{name}: system.uptime {up} follows the host's {up_host}")
    user_host, user = one(host, "system.cpu.time", state="user"), one(req, "system.cpu.time", state="user")
    check(user is not None and 0 <= user - user_host < 60, f"{name}: cpu user time {user} s follows the host's {user_host} s")
    check(devices(req, "system.disk.io") == devices(host, "system.disk.io"), f"{name}: disks {devices(req, 'system.disk.io')}")
    check(devices(req, "system.network.io") == devices(host, "system.network.io"),
          f"{name}: interfaces are the host's {devices(req, 'system.network.io')} (from /host/proc/1/net)")
    procs_host = sum(v for _, _, v in points(host, "system.processes.count"))
    procs = sum(v for _, _, v in points(req, "system.processes.count"))
    check(abs(procs - procs_host) <= max(20, procs_host // 5), f"{name}: {procs:.0f} processes, the host's ({procs_host:.0f})")
    estab_host = one(host, "system.network.connections", protocol="tcp", state="ESTABLISHED")
    estab = one(req, "system.network.connections", protocol="tcp", state="ESTABLISHED")
    # The host's count moves (other programs); the 2 ends of the held connection are the proof.
    check(estab is not None and estab_host is not None and estab >= 2 and estab_host >= 2,
          f"{name}: {estab:.0f} ESTABLISHED TCP sockets, the host's (host {estab_host:.0f}; the test holds 2)")
    count_host, count = one(host, "system.network.conntrack.count"), one(req, "system.network.conntrack.count")
    max_host, cmax = one(host, "system.network.conntrack.max"), one(req, "system.network.conntrack.max")
    seen = f"conntrack count {count} max {cmax} (host {count_host}, {max_host})"
    if own_net:
        # The sysctl answers for the reader's namespace: not the host's table.
        print(f"       {name}: {seen}: the reader's network namespace")
    else:
        check(count is not None and count_host is not None and abs(count - count_host) <= 50 and cmax == max_host,
              f"{name}: {seen}, the host's with the host's network namespace")
    clean_stderr(name, err)

if failures:
    print(f"test-container: {len(failures)} check(s) FAILED")
    sys.exit(1)
print("test-container: all checks passed")
