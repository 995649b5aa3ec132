#!/usr/bin/env bash
# test-openrc.sh INITD BIN: the init script, as `make install` wrote it, run for real by
# openrc-run and supervise-daemon (Debian's openrc package, beside the machine's own init).
#
# The service runs as `sysotlp-check` (its own name, state and pidfile) with the shipped conf.d
# plus test lines: user nobody:nogroup, a refused endpoint, a 1 s interval. Checks: describe
# and depend (after net, no need net); start creates /var/log/sysotlp and /var/lib/sysotlp for
# the user and runs BIN as that user; the log file gets sysotlp's stderr; the spool fills; a
# restart with a bad flag fails and keeps the running agent; SIGKILL is respawned; stop
# drains within the retry schedule (TERM/20); a bad flag fails `start` with the reason.
#
# OpenRC refuses to run services on a system it did not boot unless /run/openrc/softlevel
# exists: this script creates it and removes it again if it was not there. It refuses to run
# when /var/log/sysotlp or /var/lib/sysotlp already exist (a real installation), and removes
# them, its state and its processes (by PID) at the end.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "test-openrc: run as root" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: test-openrc.sh INITD BIN" >&2; exit 2; }
initd="$1"
bin="$(realpath "$2")"
here="$(cd "$(dirname "$0")" && pwd)"
command -v openrc-run >/dev/null || { echo "test-openrc: openrc-run not installed" >&2; exit 1; }
for d in /var/log/sysotlp /var/lib/sysotlp; do
  [ ! -e "$d" ] || { echo "test-openrc: $d exists (a real installation?); not touching it" >&2; exit 1; }
done

svc=sysotlp-check
work="$(mktemp -d /tmp/sysotlp-openrc.XXXXXX)"
# The service user must be able to execute the binary wherever the checkout lives (a clone
# under a 0700 `mktemp -d` directory is not reachable for `nobody`): run a copy from $work.
chmod 0755 "$work"
install -m 0755 "$bin" "$work/sysotlp"
bin="$work/sysotlp"
script="$work/init.d/$svc"
conf="$work/conf.d/$svc"
made_softlevel=""
failed=0
ok() { echo "  ok   $*"; }
bad() { echo "  FAIL $*"; failed=1; }
# check WHAT CMD...: CMD's status decides; `not CMD` inverts.
check() {
  local what="$1"
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
# shellcheck disable=SC2317 # called through check
not() { ! "$@"; }
rc() { openrc-run "$script" "$@"; }
child() { cat "/run/openrc/options/$svc/child_pid" 2>/dev/null || true; }
supervisor() { awk -v s="$svc" '$0 ~ "supervise-daemon " s { print $1 }' < <(ps -eo pid=,args=) | head -n 1; }

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local pids
  pids="$(child) $(supervisor)"
  rc stop >/dev/null 2>&1 || true
  for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
  rc zap >/dev/null 2>&1 || true
  [ -z "$made_softlevel" ] || rm -f /run/openrc/softlevel
  rm -rf /var/log/sysotlp /var/lib/sysotlp "/run/$svc.pid"
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

mkdir -p "$work/init.d" "$work/conf.d"
# The installed script, pointed at BIN (it names the installed binary, maybe in a scratch prefix).
sed "s|^command=.*|command=\"$bin\"|" "$initd" >"$script"
chmod 0755 "$script"
cp "$here/openrc/sysotlp.confd" "$conf"
cat >>"$conf" <<'EOF'
# test-openrc.sh
command_user="nobody:nogroup"
respawn_delay=1
command_args="--spool-dir /var/lib/sysotlp --endpoint http://127.0.0.1:9 --interval 1s --shutdown-timeout 2s"
EOF
if [ ! -e /run/openrc/softlevel ]; then
  mkdir -p /run/openrc
  touch /run/openrc/softlevel
  made_softlevel=1
fi

echo "test-openrc: $(openrc --version | head -n 1), service $svc running $bin"
deps="$(rc depend 2>/dev/null)"
check "depend: $(echo "$deps" | tr '\n' ';')" grep -qx 'after net firewall ntpd chronyd' <<<"$deps"
check "  ... and no need" not grep -q '^need' <<<"$deps"
check "describe" grep -q "sysotlp host metrics agent" <<<"$(rc describe 2>&1)"

if rc start; then ok "start"; else bad "start"; exit 1; fi
for _ in $(seq 50); do [ -n "$(child)" ] && break; sleep 0.1; done
pid="$(child)"
# supervise-daemon records the child before it drops to command_user and execs: wait for the
# exec (the process image is the binary) before reading its uid; a loaded runner shows the gap.
for _ in $(seq 50); do
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$bin")" ] && break
  sleep 0.1
done
uid="$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
check "sysotlp (pid $pid) runs as nobody (uid $uid)" [ "$uid" = "$(id -u nobody)" ]
check "/var/log/sysotlp is nobody's, 0750" [ "$(stat -c '%U %a' /var/log/sysotlp)" = "nobody 750" ]
check "/var/lib/sysotlp is nobody's, 0700" [ "$(stat -c '%U %a' /var/lib/sysotlp)" = "nobody 700" ]
spooled() { find /var/lib/sysotlp -maxdepth 1 -name '*.otlp' | grep -c . || true; }
for _ in $(seq 50); do [ "$(spooled)" -gt 0 ] && break; sleep 0.1; done
check "undelivered batches spooled ($(spooled))" [ "$(spooled)" -gt 0 ]
check "the log file has the start line" grep -q 'INFO sysotlp .* starting' /var/log/sysotlp/sysotlp.log
check "header values stay out of the log" not grep -q 'REPLACE_ME' /var/log/sysotlp/sysotlp.log

sed -i 's/--interval 1s/--interval 5/' "$conf"
out="$(rc restart 2>&1)" && restarted=1 || restarted=0
check "restart with a bad flag fails naming it" [ "$restarted" = 0 ]
check "  ... $(echo "$out" | grep -o 'invalid value.*' | head -n 1)" grep -q 'invalid value "5" for --interval' <<<"$out"
check "the running agent (pid $pid) is kept" [ "$(child)" = "$pid" ]
check "  ... and alive" kill -0 "$pid"
sed -i 's/--interval 5/--interval 1s/' "$conf"

kill -KILL "$pid"
for _ in $(seq 50); do [ -n "$(child)" ] && [ "$(child)" != "$pid" ] && break; sleep 0.1; done
new="$(child)"
check "SIGKILL is respawned (pid $new)" kill -0 "${new:-0}"
check "  ... as a new process" [ "$new" != "$pid" ]

start="$(date +%s)"
check "stop" rc stop
echo "       (stop took $(($(date +%s) - start)) s with --shutdown-timeout 2s)"
check "no sysotlp left" not kill -0 "$new" 2>/dev/null
check "no supervise-daemon left" [ -z "$(supervisor)" ]
check "stop drained, then spooled the backlog" grep -q 'kept in the spool' /var/log/sysotlp/sysotlp.log

sed -i 's/--interval 1s/--interval 5/' "$conf"
out="$(rc start 2>&1)" && started=1 || started=0
check "start with a bad flag fails" [ "$started" = 0 ]
check "  ... naming it" grep -q 'invalid value "5" for --interval' <<<"$out"
exit "$failed"
