#!/usr/bin/env bash
# install.sh install BIN | install.sh uninstall: what `make install` / `make uninstall` do.
#
# Environment (the Makefile passes them): PREFIX (/usr/local), DESTDIR (staging root, empty),
# SYSCONFDIR (/etc for PREFIX /usr or /usr/local, else PREFIX/etc), INIT (all, systemd,
# openrc or none: which service files).
#
# Installs: PREFIX/bin/sysotlp, PREFIX/share/man/man1/sysotlp.1 (made from `sysotlp --help`),
# PREFIX/lib/systemd/system/sysotlp.service + SYSCONFDIR/default/sysotlp (0600),
# SYSCONFDIR/init.d/sysotlp + SYSCONFDIR/conf.d/sysotlp (0600), SYSCONFDIR/logrotate.d/sysotlp.
# Service files name the installed binary and environment file (the shipped ones say
# /usr/bin/sysotlp and /etc). Configuration files already present are never overwritten;
# uninstall removes them only when unchanged from what install wrote.
set -euo pipefail

PREFIX="${PREFIX:-/usr/local}"
DESTDIR="${DESTDIR:-}"
case "$PREFIX" in /usr | /usr/local) default_etc=/etc ;; *) default_etc="$PREFIX/etc" ;; esac
SYSCONFDIR="${SYSCONFDIR:-$default_etc}"
INIT="${INIT:-all}"
here="$(cd "$(dirname "$0")" && pwd)"

bindir="$PREFIX/bin"
mandir="$PREFIX/share/man/man1"
unitdir="$PREFIX/lib/systemd/system"
case "$INIT" in all | systemd | openrc | none) ;; *) echo "install: INIT must be all, systemd, openrc or none" >&2; exit 2 ;; esac
want() { [ "$INIT" = all ] || [ "$INIT" = "$1" ]; }

# The shipped files with the installed paths in place of /usr/bin/sysotlp and /etc/...
rewrite() {
  sed -e "s|/usr/bin/sysotlp|$bindir/sysotlp|g" -e "s|/etc/default/sysotlp|$SYSCONFDIR/default/sysotlp|g" \
    -e "s|/etc/conf.d/sysotlp|$SYSCONFDIR/conf.d/sysotlp|g" -e "s|/etc/logrotate.d/sysotlp|$SYSCONFDIR/logrotate.d/sysotlp|g" "$1"
}

# man page from --help: the options text stays verbatim (.nf); roff escapes for \ and leading . '
manpage() {
  local bin="$1" version help
  version="$("$bin" --version | awk '{print $2}')"
  # As `sysotlp`: argh's usage line shows the name it was run as.
  help="$(exec -a sysotlp "$bin" --help)"
  cat <<EOF
.TH SYSOTLP 1 "" "sysotlp $version" "User Commands"
.SH NAME
sysotlp \- Linux host metrics (/proc, /sys) pushed as OpenTelemetry metrics over OTLP/HTTP
.SH SYNOPSIS
.B sysotlp
[\fIOPTIONS\fR]
.SH DESCRIPTION
sysotlp reads /proc and /sys (under \fB\-\-root\-path\fR) and sends the OpenTelemetry
hostmetrics names over OTLP/HTTP every interval. Flags beat OTEL_EXPORTER_OTLP_METRICS_*
variables, which beat OTEL_EXPORTER_OTLP_* variables. Exit status: 0 normal stop, 1
\fB\-\-once\fR not delivered, 2 configuration error.
.SH OPTIONS
The text of \fBsysotlp \-\-help\fR:
.PP
.nf
EOF
  printf '%s\n' "$help" | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
  cat <<'EOF'
.fi
.SH ENVIRONMENT
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT,
OTEL_METRIC_EXPORT_INTERVAL, OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, OTEL_LOG_LEVEL,
RUST_LOG and the proxy variables; the README lists them all.
.SH FILES
/etc/conf.d/sysotlp (OpenRC), /etc/default/sysotlp (systemd), /var/lib/sysotlp (spool),
/var/log/sysotlp/sysotlp.log (OpenRC log file).
EOF
}

do_install() {
  local bin="$1" d="$DESTDIR"
  [ -x "$bin" ] || { echo "install: $bin is not an executable (make release first)" >&2; exit 1; }
  install -D -m 0755 "$bin" "$d$bindir/sysotlp"
  if "$bin" --version >/dev/null 2>&1; then
    install -d "$d$mandir"
    manpage "$bin" >"$d$mandir/sysotlp.1"
    chmod 0644 "$d$mandir/sysotlp.1"
  else
    echo "install: $bin does not run on this machine: no man page (sysotlp --help on the target)" >&2
  fi
  if want systemd; then
    install -d "$d$unitdir" "$d$SYSCONFDIR/default"
    rewrite "$here/systemd/sysotlp.service" >"$d$unitdir/sysotlp.service"
    chmod 0644 "$d$unitdir/sysotlp.service"
    config "$here/systemd/sysotlp.default" "$d$SYSCONFDIR/default/sysotlp"
  fi
  if want openrc; then
    install -d "$d$SYSCONFDIR/init.d" "$d$SYSCONFDIR/conf.d" "$d$SYSCONFDIR/logrotate.d"
    rewrite "$here/openrc/sysotlp.initd" >"$d$SYSCONFDIR/init.d/sysotlp"
    chmod 0755 "$d$SYSCONFDIR/init.d/sysotlp"
    config "$here/openrc/sysotlp.confd" "$d$SYSCONFDIR/conf.d/sysotlp"
    install -m 0644 "$here/openrc/sysotlp.logrotate" "$d$SYSCONFDIR/logrotate.d/sysotlp"
  fi
  echo "install: sysotlp $("$bin" --version 2>/dev/null | awk '{print $2}') into ${d}${PREFIX} (config in ${d}${SYSCONFDIR}, INIT=$INIT)"
}

# config SRC DEST: a 0600 configuration file, never overwriting one already there.
config() {
  if [ -e "$2" ]; then
    echo "install: keeping existing $2 (new default: $1)"
  else
    install -m 0600 "$1" "$2"
  fi
}

# unconfig SRC DEST: remove DEST if it is still what install wrote.
unconfig() {
  [ -e "$2" ] || return 0
  if cmp -s "$1" "$2"; then rm -f "$2"; else echo "uninstall: keeping edited $2"; fi
}

do_uninstall() {
  local d="$DESTDIR"
  rm -f "$d$bindir/sysotlp" "$d$mandir/sysotlp.1" "$d$unitdir/sysotlp.service" \
    "$d$SYSCONFDIR/init.d/sysotlp" "$d$SYSCONFDIR/logrotate.d/sysotlp"
  unconfig "$here/systemd/sysotlp.default" "$d$SYSCONFDIR/default/sysotlp"
  unconfig "$here/openrc/sysotlp.confd" "$d$SYSCONFDIR/conf.d/sysotlp"
  echo "uninstall: removed sysotlp from ${d}${PREFIX} and ${d}${SYSCONFDIR} (the spool /var/lib/sysotlp and logs stay)"
}

case "${1:-}" in
  install) do_install "${2:?install.sh install BIN}" ;;
  uninstall) do_uninstall ;;
  *) echo "usage: install.sh install BIN | uninstall" >&2; exit 2 ;;
esac
