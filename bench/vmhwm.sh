#!/usr/bin/env bash
# VmHWM, CPU per tick and bytes per request of the release binary: TICKS ticks at 1 s
# against a loopback OTLP/HTTP sink (bench/receiver.py), all default collectors, live /.
# A tick may be several requests (64 KiB parts): requests less than half a second apart
# are one tick.
# Usage: bench/vmhwm.sh target/release/sysotlp [TICKS [AGENT FLAGS…]]
# SLEEPERS=N first starts N sleeping processes (ended by PID at exit), e.g. with
# `--enable process` for the per-process collector's cost at 1,000 processes (issue 12).
set -euo pipefail
bin=${1:?usage: vmhwm.sh BINARY [TICKS [FLAGS…]]}
ticks=${2:-60}
shift $(( $# < 2 ? $# : 2 ))
sleepers=()
for _ in $(seq "${SLEEPERS:-0}"); do sleep 3600 & sleepers+=($!); done
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

python3 "$(dirname "$0")/receiver.py" "$port" "$dir/requests" &
sink=$!
# The agent starts once the sink listens: requests refused at start-up would wait in its
# queue and count in VmHWM.
for _ in $(seq 100); do
  python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.1)" 2>/dev/null && break
  sleep 0.05
done
"$bin" --interval 1s --endpoint "http://127.0.0.1:$port" "$@" 2>"$dir/stderr" &
agent=$!
trap 'kill $agent $sink "${sleepers[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT

# Ticks so far: groups of requests separated by more than half a second.
count_ticks() { awk '$2 - last > 0.5 { n++ } { last = $2 } END { print n + 0 }' "$dir/requests" 2>/dev/null || echo 0; }
while [ "$(count_ticks)" -lt "$ticks" ]; do sleep 0.2; done
hwm=$(awk '/^VmHWM/ {print $2, $3}' "/proc/$agent/status")
rss=$(awk '/^VmRSS/ {print $2, $3}' "/proc/$agent/status")
read -r utime stime < <(awk '{print $14, $15}' "/proc/$agent/stat")
hz=$(getconf CLK_TCK)
kill -TERM "$agent"; wait "$agent" || true

size=$(stat -c %s "$bin")
awk -v label="${SLEEPERS:++$SLEEPERS processes }$*" -v hwm="$hwm" -v rss="$rss" -v cpu=$((utime + stime)) -v hz="$hz" -v size="$size" '
  $2 - last > 0.5 { ticks++ }
  { n++; bytes += $1; if ($1 > max) max = $1; last = $2 }
  END {
    printf "%s binary %d bytes | %d ticks, %d requests, %.0f B/request (max %d) | VmHWM %s, VmRSS %s | CPU %.2f ms/tick (incl. start-up)\n",
      label, size, ticks, n, bytes / n, max, hwm, rss, cpu * 1000 / hz / ticks
  }' "$dir/requests"
