#!/usr/bin/env bash
# check-static.sh BIN: fail unless BIN is a fully static (no interpreter, no dynamic section),
# stripped ELF executable under the size budget (issue 6: < 2 MB each).
set -euo pipefail
bin="$1"
max="${MAX_BYTES:-2000000}"
desc="$(file -b "$bin")"
size="$(stat -c %s "$bin")"
fail() { echo "check-static: $bin: $*" >&2; echo "  file: $desc" >&2; exit 1; }
case "$desc" in *"statically linked"*) ;; *) fail "not statically linked";; esac
case "$desc" in *interpreter*) fail "has an ELF interpreter";; esac
case "$desc" in *", stripped"*) ;; *) fail "not stripped";; esac
[ "$size" -lt "$max" ] || fail "$size bytes, over the $max-byte budget"
echo "check-static: $bin: $size bytes; $desc"
