"""`make bench-peers`: sysotlp side by side with node_exporter and collectd on this host.

Reads: /proc/<pid>/status (VmHWM, VmRSS, RssAnon, Threads) and /proc/<pid>/task/*/schedstat
(whole-process CPU: the first field, ns on CPU, summed over every thread) of each agent it
starts; the data each agent sends or serves over loopback.
Emits: one table on stdout, the ratios sysotlp / node_exporter-comparable and sysotlp /
collectd, and bench/results.json.

Agents, all at a 1 s interval, started one by one (exec -> first data measured alone), then run
side by side for the window; repetitions interleaved (the start order rotates each one):
- sysotlp static musl and glibc release builds, default collectors, gzip, to a loopback OTLP/HTTP
  receiver (bench/receiver.py); points decoded with the official OTLP classes (.venv).
- node_exporter with 8 collectors, with those + tcpstat + processes (the data sysotlp's
  defaults carry), and with its defaults; each scraped here with `Accept-Encoding: gzip`.
- collectd with cpu memory load disk df interface swap processes, write_http (JSON) to a
  loopback receiver; config, pid file and base dir in a temporary directory.
node_exporter and collectd come from Debian (apt-get, services kept from starting).

Environment: BENCH_SECONDS (window, default 60), BENCH_REPS (default 2), BENCH_RESULTS
(output path, default bench/results.json). Every process started here is ended by its PID at
exit, also on Ctrl-C, SIGTERM, SIGHUP or an error."""

import gzip
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import receiver  # noqa: E402  (bench/receiver.py, beside this file)

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 1.0
WARMUP = 3.0  # seconds after the last agent's first data before the window opens
FIRST_DATA_TIMEOUT = 30.0
SAMPLE_PERIOD = 0.25  # VmRSS/RssAnon sampling, for the medians

STATIC = ROOT / "target/cross/x86_64-unknown-linux-musl/release/sysotlp"
GLIBC = ROOT / "target/release/sysotlp"
NODE_EXPORTER = Path("/usr/bin/prometheus-node-exporter")
COLLECTD = Path("/usr/sbin/collectd")
COLLECTD_PLUGIN_DIR = Path("/usr/lib/collectd")
COLLECTD_TYPES = Path("/usr/share/collectd/types.db")
# collectd-core only suggests the libraries of its plugins: write_http's JSON needs yajl, its
# HTTP libcurl (Debian 12: libcurl-gnutls.so.4, libyajl.so.2).
PACKAGES = ["prometheus-node-exporter", "collectd-core", "libyajl2", "libcurl3-gnutls"]

NE_EIGHT = ["cpu", "diskstats", "filesystem", "loadavg", "meminfo", "netdev", "stat", "vmstat"]
NE_COMPARABLE = NE_EIGHT + ["tcpstat", "processes"]
COLLECTD_PLUGINS = ["cpu", "memory", "load", "disk", "df", "interface", "swap", "processes"]


def die(message):
    print(f"bench-peers: {message}", file=sys.stderr)
    sys.exit(1)


# ---- installing the peers ------------------------------------------------------------------

def ensure_packages():
    """apt-get installs whichever peer is missing; a policy-rc.d answering 101 keeps their
    services from starting (ours only if the machine has none, removed afterwards)."""
    if shutil.which("dpkg-query") is None:
        if all(os.access(path, os.X_OK) for path in (NODE_EXPORTER, COLLECTD)):
            return
        die(f"no dpkg-query: install {' '.join(PACKAGES)} (Debian's names) by hand")
    missing = [pkg for pkg in PACKAGES if not installed(pkg)]
    if not missing:
        return
    if os.geteuid() != 0:
        die(f"{' '.join(missing)} missing and not root: apt-get install {' '.join(missing)} first")
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\n# bench/peers.py: no service starts while it installs\nexit 101\n")
        policy.chmod(0o755)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]

    def apt(argv):
        print(f"bench-peers: {' '.join(argv)}", file=sys.stderr)
        try:
            done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        except OSError as err:
            die(f"{' '.join(argv)}: {err}")
        if done.returncode != 0:
            lines = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()
            die(f"{' '.join(argv)} failed (exit {done.returncode}): {lines[-1]}")
        return done.stdout

    try:
        apt(["apt-get", "update", "-qq"])
        # Refuse an install that would remove a package (the machine's init system, say).
        if any(line.startswith("Remv ") for line in apt(install[:2] + ["-s"] + install[2:]).splitlines()):
            die(f"apt-get would remove packages to install {' '.join(missing)}; not doing it")
        apt(install)
    finally:
        if ours:
            policy.unlink(missing_ok=True)
    for path in (NODE_EXPORTER, COLLECTD):
        if not os.access(path, os.X_OK):
            die(f"apt-get installed {' '.join(missing)} but {path} is missing")


def installed(pkg):
    return output(["dpkg-query", "-W", "-f", "${Status}", pkg]).endswith("install ok installed")


# ---- processes ------------------------------------------------------------------------------

class Processes:
    """Every process this script starts, ended by PID (SIGTERM, then SIGKILL after 5 s)."""

    def __init__(self):
        self.running = []

    def spawn(self, argv, log):
        # No preexec_fn: Python then starts the child with vfork, so the spawn costs the exec
        # itself, not a fork of this process (a fork took 4-23 ms on a loaded host).
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.running.append(process)
        return process

    def end_all(self):
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self.running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()


def proc_status(pid):
    """VmHWM, VmRSS, RssAnon (kB) and Threads from /proc/<pid>/status."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "Threads"):
                fields[key] = int(value.split()[0])
    return fields


def rss_by_mapping(pid):
    """Resident kB per mapped object at the window's end, from /proc/<pid>/smaps: the binary,
    each shared library, [heap], [stack], and [anon] (malloc arenas and mmaps, thread stacks)."""
    rss, name = {}, None
    with open(f"/proc/{pid}/smaps", encoding="ascii", errors="replace") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header line
                name = os.path.basename(fields[5]) if len(fields) > 5 else "[anon]"
            elif fields[0] == "Rss:" and int(fields[1]):
                rss[name] = rss.get(name, 0) + int(fields[1])
    return dict(sorted(rss.items(), key=lambda item: -item[1]))


def cpu_ns(pid):
    """Nanoseconds on CPU of every live thread of pid (schedstat's first field)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as schedstat:
                total += int(schedstat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended between listdir and open
    return total


def process_count():
    return sum(1 for name in os.listdir("/proc") if name.isdigit())


def host_load():
    """What the collectors' cost depends on besides themselves: load, processes, TCP sockets."""
    sockstat = Path("/proc/net/sockstat").read_text().split()
    tcp = int(sockstat[sockstat.index("TCP:") + 2]) if "TCP:" in sockstat else None
    ehash = Path("/proc/sys/net/ipv4/tcp_ehash_entries")
    return {"load1": os.getloadavg()[0],
            "processes": process_count(),
            "tcp_inuse": tcp,
            "tcp_ehash_entries": int(ehash.read_text()) if ehash.exists() else None}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- what each agent delivers ---------------------------------------------------------------

def otlp_points(body):
    """Data points in one gzip OTLP/HTTP protobuf request."""
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    request = ExportMetricsServiceRequest.FromString(gzip.decompress(body))
    points = 0
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                points += len(getattr(metric, kind).data_points) if kind else 0
    return points


def collectd_points(body):
    """Values in one write_http JSON request (a list of value lists)."""
    return sum(len(entry.get("values", ())) for entry in json.loads(body))


def exposition_samples(text):
    """Samples in a Prometheus text exposition: the lines that are neither comments nor blank."""
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


class Agent:
    """One agent of the table: how to start it and how its data reaches us."""

    def __init__(self, key, label, binary, kind, binary_bytes=None):
        self.key, self.label, self.binary, self.kind = key, label, binary, kind
        self.binary_bytes = binary_bytes if binary_bytes is not None else binary.stat().st_size

    def argv(self, port, workdir):
        """The command line for a run whose data goes to or comes from loopback `port`."""
        raise NotImplementedError

    def count(self, body):
        """Points in one pushed request body."""
        raise NotImplementedError


class Sysotlp(Agent):
    def __init__(self, key, label, binary):
        super().__init__(key, label, binary, "push")

    def count(self, body):
        return otlp_points(body)

    def argv(self, port, workdir):
        return [str(self.binary), "--interval", "1s", "--compression", "gzip",
                "--endpoint", f"http://127.0.0.1:{port}"]


class NodeExporter(Agent):
    def __init__(self, key, label, collectors):
        super().__init__(key, label, NODE_EXPORTER, "scrape")
        self.collectors = collectors

    def argv(self, port, workdir):
        argv = [str(self.binary), f"--web.listen-address=127.0.0.1:{port}"]
        if self.collectors is not None:
            argv += ["--collector.disable-defaults"] + [f"--collector.{c}" for c in self.collectors]
        return argv


class Collectd(Agent):
    def __init__(self):
        plugins = sum((COLLECTD_PLUGIN_DIR / f"{p}.so").stat().st_size
                      for p in COLLECTD_PLUGINS + ["write_http"])
        super().__init__("collectd", "collectd, " + " ".join(COLLECTD_PLUGINS) + ", write_http",
                         COLLECTD, "push", COLLECTD.stat().st_size + plugins)

    def count(self, body):
        return collectd_points(body)

    def argv(self, port, workdir):
        base = workdir / "collectd"
        base.mkdir(exist_ok=True)
        conf = workdir / "collectd.conf"
        loads = "\n".join(f"LoadPlugin {p}" for p in COLLECTD_PLUGINS)
        conf.write_text(f"""Hostname "bench"
FQDNLookup false
BaseDir "{base}"
PIDFile "{workdir}/collectd.pid"
PluginDir "{COLLECTD_PLUGIN_DIR}"
TypesDB "{COLLECTD_TYPES}"
Interval {INTERVAL:g}
{loads}
<LoadPlugin write_http>
  FlushInterval {INTERVAL:g}
</LoadPlugin>
<Plugin write_http>
  <Node "bench">
    URL "http://127.0.0.1:{port}/"
    Format "JSON"
  </Node>
</Plugin>
""")
        return [str(self.binary), "-f", "-C", str(conf), "-P", str(workdir / "collectd.pid")]


class Run:
    """One agent in one repetition: its process, its data (time, wire bytes, points)."""

    def __init__(self, agent, processes, workdir):
        self.agent = agent
        self.events = []  # (monotonic time, wire bytes, points or raw body)
        self.first_data = threading.Event()
        self.stop = threading.Event()
        self.server = None
        self.log_path = workdir / f"{agent.key}.log"
        self.log = open(self.log_path, "wb")
        if agent.kind == "push":
            self.server = receiver.start(self._received)
            port = self.server.server_address[1]
        else:
            port = free_port()
        self.port = port
        self.argv = agent.argv(port, workdir)
        self.spawned = time.monotonic()
        self.process = processes.spawn(self.argv, self.log)
        self.spawn_ms = (time.monotonic() - self.spawned) * 1000  # fork + exec, in the figure below
        if agent.kind == "scrape":
            threading.Thread(target=self._scrape, daemon=True).start()

    def _received(self, body):
        self.events.append((time.monotonic(), len(body), body))
        self.first_data.set()

    def _scrape(self):
        """Scrapes every INTERVAL (fixed rate) from the first success on; polls until then."""
        conn = None
        next_at = time.monotonic()
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", "/metrics", headers={
                    "Accept": "text/plain;version=0.0.4", "Accept-Encoding": "gzip"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    raise OSError(f"HTTP {response.status}")
                text = gzip.decompress(body) if response.getheader("content-encoding") == "gzip" else body
                self.events.append((time.monotonic(), len(body), exposition_samples(text.decode())))
                if not self.first_data.is_set():
                    next_at = time.monotonic()
                    self.first_data.set()
                next_at += INTERVAL
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                    conn = None
                next_at = time.monotonic() + (0.001 if not self.first_data.is_set() else INTERVAL)
            self.stop.wait(max(0.0, next_at - time.monotonic()))
        if conn is not None:
            conn.close()

    def alive(self):
        return self.process.poll() is None

    def log_tail(self):
        self.log.flush()
        lines = self.log_path.read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"

    def close(self):
        self.stop.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.log.close()


def measure(runs, seconds):
    """Runs the window over every started agent; returns one result dict per run."""
    pids = [run.process.pid for run in runs]
    samples = {pid: [] for pid in pids}
    host_processes = []  # the process walks' cost follows it: another job's burst shows here
    start_cpu = {pid: cpu_ns(pid) for pid in pids}
    opened = time.monotonic()
    closes = opened + seconds
    while time.monotonic() < closes:
        for run in runs:
            if not run.alive():
                die(f"{run.agent.key} exited during the window: {run.log_tail()}")
            samples[run.process.pid].append(proc_status(run.process.pid))
        host_processes.append(process_count())
        time.sleep(min(SAMPLE_PERIOD, max(0.0, closes - time.monotonic())))
    end_cpu = {pid: cpu_ns(pid) for pid in pids}
    closed = time.monotonic()
    collections = (closed - opened) / INTERVAL
    results = []
    for run in runs:
        pid = run.process.pid
        status = proc_status(pid)
        window = [e for e in run.events if opened <= e[0] < closed]
        points = sum(run.agent.count(e[2]) if run.agent.kind == "push" else e[2] for e in window)
        results.append({
            "vmhwm_kb": status["VmHWM"],
            "vmrss_kb_median": statistics.median(s["VmRSS"] for s in samples[pid]),
            "rssanon_kb_median": statistics.median(s["RssAnon"] for s in samples[pid]),
            "threads": max(s["Threads"] for s in samples[pid]),
            "cpu_ms_per_collection": (end_cpu[pid] - start_cpu[pid]) / 1e6 / collections,
            "first_data_ms": (run.events[0][0] - run.spawned) * 1000,
            "spawn_ms": run.spawn_ms,
            "points_per_collection": points / collections,
            "wire_bytes_per_collection": sum(e[1] for e in window) / collections,
            "requests_in_window": len(window),
            "window_s": closed - opened,
            "rss_by_mapping_kb": rss_by_mapping(pid),
        })
    return results, (min(host_processes), max(host_processes))


def repetition(agents, seconds, processes):
    """Starts each agent alone until its first data, then measures them all side by side."""
    with tempfile.TemporaryDirectory(prefix="bench-peers.") as tmp:
        runs = []
        try:
            for agent in agents:
                run = Run(agent, processes, Path(tmp))
                runs.append(run)
                deadline = time.monotonic() + FIRST_DATA_TIMEOUT
                while not run.first_data.wait(0.05):
                    if not run.alive():
                        die(f"{agent.key} exited ({run.process.returncode}) before sending data: {run.log_tail()}")
                    if time.monotonic() > deadline:
                        die(f"{agent.key} sent no data within {FIRST_DATA_TIMEOUT:g} s: {run.log_tail()}")
            time.sleep(WARMUP)
            load = host_load()
            results, load["processes_in_window"] = measure(runs, seconds)
            argvs = {run.agent.key: run.argv for run in runs}
            return dict(zip((a.key for a in agents), results)), load, argvs
        finally:
            processes.end_all()
            for run in runs:
                run.close()


# ---- the report -----------------------------------------------------------------------------

def spread(values, digits):
    low, high, mid = min(values), max(values), statistics.median(values)
    text = f"{mid:,.{digits}f}"
    if round(low, digits) != round(high, digits):
        text += f" ({low:,.{digits}f}–{high:,.{digits}f})"
    return text


def summarize(agents, reps):
    summary = {}
    for agent in agents:
        per_rep = [rep[agent.key] for rep in reps]
        summary[agent.key] = {key: statistics.median(r[key] for r in per_rep)
                              for key, value in per_rep[0].items() if not isinstance(value, dict)}
    return summary


def table(agents, reps):
    mb = lambda kb: kb * 1024 / 1e6  # noqa: E731  (kB in /proc are KiB; MB are 10^6 bytes)
    header = ["agent", "VmHWM MB", "VmRSS MB", "RssAnon MB", "CPU ms / collection",
              "exec → data ms", "threads", "points", "wire B / collection", "binary MB"]
    rows = []
    for agent in agents:
        per_rep = [rep[agent.key] for rep in reps]
        col = lambda key, digits, f=lambda v: v: spread([f(r[key]) for r in per_rep], digits)  # noqa: E731
        rows.append([agent.label, col("vmhwm_kb", 2, mb), col("vmrss_kb_median", 2, mb),
                     col("rssanon_kb_median", 2, mb), col("cpu_ms_per_collection", 2),
                     col("first_data_ms", 0), col("threads", 0), col("points_per_collection", 0),
                     col("wire_bytes_per_collection", 0), f"{agent.binary_bytes / 1e6:.2f}"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def ratios(summary):
    out = {}
    for ours in ("sysotlp-static", "sysotlp-glibc"):
        for peer in ("node_exporter-comparable", "collectd"):
            out[f"{ours} / {peer}"] = {
                "cpu": summary[ours]["cpu_ms_per_collection"] / summary[peer]["cpu_ms_per_collection"],
                "vmhwm": summary[ours]["vmhwm_kb"] / summary[peer]["vmhwm_kb"],
            }
    return out


def output(argv):
    """A command's stdout, stripped; "unknown" if it cannot run or prints nothing."""
    try:
        return subprocess.run(argv, capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def versions():
    return {"sysotlp": output(["git", "-C", str(ROOT), "describe", "--always", "--dirty"]),
            **{pkg: output(["dpkg-query", "-W", "-f", "${Version}", pkg]) for pkg in PACKAGES}}


def main():
    seconds = float(os.environ.get("BENCH_SECONDS", "60"))
    reps_wanted = int(os.environ.get("BENCH_REPS", "2"))
    out_path = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench/results.json"))
    for binary in (STATIC, GLIBC):
        if not os.access(binary, os.X_OK):
            die(f"{binary} missing: make release; make static TARGET=x86_64-unknown-linux-musl")
    try:
        otlp_points(gzip.compress(b""))
    except ImportError:
        die("the official OTLP decoders are missing: run through `make bench-peers` (.venv)")
    ensure_packages()

    agents = [
        Sysotlp("sysotlp-static", "sysotlp, static musl", STATIC),
        Sysotlp("sysotlp-glibc", "sysotlp, glibc release build", GLIBC),
        NodeExporter("node_exporter-8", "node_exporter, 8 collectors", NE_EIGHT),
        NodeExporter("node_exporter-comparable", "node_exporter, 8 + tcpstat + processes", NE_COMPARABLE),
        NodeExporter("node_exporter-defaults", "node_exporter, its defaults", None),
        Collectd(),
    ]
    processes = Processes()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _: sys.exit(128 + signum))
    reps, loads = [], []
    started = time.time()
    try:
        for rep in range(reps_wanted):
            order = agents[rep % len(agents):] + agents[:rep % len(agents)]
            print(f"bench-peers: repetition {rep + 1}/{reps_wanted}, {seconds:g} s window, "
                  f"start order {' '.join(a.key for a in order)}; load {os.getloadavg()[0]:.2f}",
                  file=sys.stderr)
            result, load, argvs = repetition(order, seconds, processes)
            reps.append(result)
            loads.append(load)
    except KeyboardInterrupt:
        processes.end_all()
        die("interrupted; every agent it started has ended")
    finally:
        processes.end_all()

    summary = summarize(agents, reps)
    ratio = ratios(summary)
    print(table(agents, reps))
    print(f"\n{reps_wanted} repetitions × {seconds:g} s at a {INTERVAL:g} s interval; median (range). "
          "Per window: " + "; ".join(
              f"load {l['load1']:.2f} at its start, {l['tcp_inuse']} TCP sockets, "
              f"{'–'.join(str(n) for n in sorted(set(l['processes_in_window'])))} processes" for l in loads))
    for agent in agents[:2]:
        last = reps[-1][agent.key]["rss_by_mapping_kb"]
        print(f"{agent.label}, VmRSS by mapping (MB): "
              + ", ".join(f"{name} {kb * 1024 / 1e6:.2f}" for name, kb in last.items()))
    print("ratios (CPU per collection, VmHWM):")
    for name, r in ratio.items():
        print(f"  {name}: CPU {r['cpu']:.2f}×, VmHWM {r['vmhwm']:.2f}×")

    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                 "mem_kb": int(Path("/proc/meminfo").read_text().split()[1]),
                 "windows": loads},
        "versions": versions(),
        "window_s": seconds, "interval_s": INTERVAL, "repetitions": reps_wanted,
        "agents": {a.key: {"label": a.label, "binary_bytes": a.binary_bytes,
                           "argv": argvs[a.key],
                           "median": summary[a.key], "repetitions": [rep[a.key] for rep in reps]}
                   for a in agents},
        "ratios": ratio,
    }
    out_path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
