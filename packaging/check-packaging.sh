#!/usr/bin/env bash
# check-packaging.sh BIN: checks the service files and `make install`/`uninstall`, with BIN as
# the installed binary (the static x86_64 one from `make static`).
#
#  1. sh -n and shellcheck: the OpenRC init script and conf.d, and packaging/*.sh.
#  2. install.sh into a scratch PREFIX; systemd-analyze verify of the installed unit (it names
#     the installed binary, and its man page); systemd-analyze security --offline (exposure);
#     logrotate -d on the logrotate file; uninstall leaves no file behind.
#  3. packaging/test-openrc.sh: the installed init script run by Debian's openrc-run.
#
# Tools (shellcheck, systemd for systemd-analyze, logrotate, openrc) are apt-installed when
# missing, and only when apt would remove nothing: Debian's openrc installs beside systemd here
# (it does not become the init system; /run/openrc is made by test-openrc.sh).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "check-packaging: run as root" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: check-packaging.sh BIN" >&2; exit 2; }
bin="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
say() { echo "check-packaging: $*"; }

need=()
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v logrotate >/dev/null || need+=(logrotate)
command -v openrc-run >/dev/null || need+=(openrc)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  if DEBIAN_FRONTEND=noninteractive apt-get install -s --no-install-recommends "${need[@]}" | grep '^Remv '; then
    echo "check-packaging: apt would remove the packages above to install ${need[*]}; not doing it" >&2
    exit 1
  fi
  say "apt-get install ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

say "1. sh -n and shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
for f in "$here/openrc/sysotlp.initd" "$here/openrc/sysotlp.confd"; do sh -n "$f"; done
shellcheck -s sh "$here/openrc/sysotlp.initd" "$here/openrc/sysotlp.confd"
shellcheck "$here"/*.sh
say "   clean"

scratch="$(mktemp -d /tmp/sysotlp-install.XXXXXX)"
trap 'rm -rf --one-file-system "$scratch"' EXIT
prefix="$scratch/prefix"
say "2. install.sh install into $prefix"
PREFIX="$prefix" bash "$here/install.sh" install "$bin"
(cd "$prefix" && find . -type f -printf '   %m %p\n' | sort -k2)
unit="$prefix/lib/systemd/system/sysotlp.service"
diff <(sed "s|$prefix/bin/|/usr/bin/|; s|$prefix/etc/|/etc/|" "$unit") "$here/systemd/sysotlp.service" >/dev/null \
  || { echo "check-packaging: installed unit differs from the shipped one beyond its paths" >&2; exit 1; }
say "   systemd-analyze verify (systemd $(systemd-analyze --version | sed -n '1s/systemd \([0-9]*\).*/\1/p'))"
MANPATH="$prefix/share/man" systemd-analyze verify "$unit"
exposure="$(systemd-analyze security --offline=true "$unit" | sed -n 's/.*Overall exposure level for sysotlp.service: \([0-9.]*\).*/\1/p')"
say "   systemd-analyze security --offline=true: exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 2.0) }' \
  || { echo "check-packaging: exposure '$exposure' is above 2.0" >&2; exit 1; }
say "   logrotate -d"
logrotate -d "$prefix/etc/logrotate.d/sysotlp" 2>&1 | grep -E 'rotating pattern|copytruncate|error' | sed 's/^/   /'
if logrotate -d "$prefix/etc/logrotate.d/sysotlp" 2>&1 | grep -qi '^error'; then exit 1; fi
man -M "$prefix/share/man" -P cat sysotlp 2>/dev/null | grep -q -- '--root-path' \
  || { echo "check-packaging: the man page lacks the options" >&2; exit 1; }

say "3. OpenRC: $(openrc --version 2>/dev/null | head -n 1)"
bash "$here/test-openrc.sh" "$prefix/etc/init.d/sysotlp" "$bin"

say "4. uninstall"
PREFIX="$prefix" bash "$here/install.sh" uninstall
left="$(find "$prefix" -type f)"
[ -z "$left" ] || { echo "check-packaging: uninstall left files: $left" >&2; exit 1; }
say "all checks passed"
