#!/usr/bin/env bash
# Issue 12's check of the process collector run by an unprivileged user: TICKS ticks (60)
# at 1 s with `--enable process` to stdout, as USER (default `sysotlp-check`, created with
# useradd if missing; needs root). USER runs three `sleep`s of its own (ended by PID at
# exit). Passes when the log has no WARN or ERROR line and every tick reports every
# process USER had during the whole run (the sleeps and the agent), with disk.io (its own
# `io` is readable) and no executable path missing.
# Usage: bench/unprivileged.sh target/release/sysotlp [TICKS [AGENT FLAGS…]]
set -euo pipefail
bin=$(realpath "${1:?usage: unprivileged.sh BINARY [TICKS [FLAGS…]]}")
ticks=${2:-60}
shift $(( $# < 2 ? $# : 2 ))
user=${USER_NAME:-sysotlp-check}
id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
dir=$(mktemp -d)
chmod 755 "$dir"
cp "$bin" "$dir/sysotlp"
sleepers=()
for _ in 1 2 3; do runuser -u "$user" -- sleep 3600 & sleepers+=($!); done
runuser -u "$user" -- "$dir/sysotlp" --exporter stdout --interval 1s --enable process "$@" \
  >"$dir/out" 2>"$dir/log" &
agent=$!
trap 'kill $agent "${sleepers[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
# The sleeps' own PIDs (children of runuser, which keeps root's UID).
sleep 1
expected=$(ps -u "$user" -o pid= | tr -d ' ' | sort -n | tr '\n' ' ')
python3 - "$dir/out" "$ticks" <<'EOF'
import json, sys, time
path, want = sys.argv[1], int(sys.argv[2])
deadline = time.time() + want * 3 + 30
while time.time() < deadline:
    times = set()
    with open(path, encoding="utf-8") as out:
        for line in out:
            if line.endswith("\n"):
                times.add(line[line.find('"timeUnixNano":"'):][16:35])
    if len(times) > want:
        break
    time.sleep(1)
EOF
kill -TERM "$agent"; wait "$agent" || true
python3 - "$dir/out" "$dir/log" "$user" "$ticks" "$expected" <<'EOF'
import json, sys
out, log, user, want, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
expected = sorted(int(p) for p in expected.split())
ticks = {}
for line in open(out, encoding="utf-8"):
    if not line.endswith("\n"):
        continue
    request = json.loads(line)
    for rm in request["resourceMetrics"]:
        attrs = {kv["key"]: next(iter(kv["value"].values())) for kv in rm["resource"]["attributes"]}
        metrics = [m for sm in rm["scopeMetrics"] for m in sm["metrics"]]
        time = next(p["timeUnixNano"] for m in metrics for k in ("sum", "gauge") if k in m for p in m[k]["dataPoints"])
        tick = ticks.setdefault(time, {})
        if attrs.get("process.owner") == user:
            names = {m["name"] for m in metrics}
            tick[int(attrs["process.pid"])] = ("process.disk.io" in names, "process.executable.path" in attrs)
bad = [l for l in open(log, encoding="utf-8") if " WARN " in l or " ERROR " in l]
whole = sorted(ticks)[:want]
missing = [(t, sorted(set(expected) - set(ticks[t]))) for t in whole if not set(expected) <= set(ticks[t])]
partial = [(t, pid) for t in whole for pid, (io, exe) in ticks[t].items() if not (io and exe)]
print(f"{len(whole)} ticks; {user}'s processes {expected}; WARN/ERROR lines: {len(bad)}; "
      f"ticks missing one of them: {len(missing)}; reported without io or path: {len(partial)}")
for line in bad[:5]:
    print("  " + line.rstrip())
sys.exit(0 if len(whole) == want and not bad and not missing and not partial else 1)
EOF
