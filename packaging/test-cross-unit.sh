#!/usr/bin/env bash
# test-cross-unit.sh TARGET: `cargo test` built for TARGET and run under qemu-user (make
# test-cross-unit). The unit tests (src/) must all pass: parsers, counters (wrap at the word
# size), encoders and schedule run on the 32-bit or aarch64 build itself. In tests/, the
# in-process tests (two-tick fixtures, wraps) must pass; the ones that spawn the sysotlp binary
# cannot run here (no binfmt_misc: exec of an ARM binary is ENOEXEC) and are accepted only when
# that is their failure: `make test-cross` runs that binary on the same fixtures instead.
# Run from the crate root with the environment of the Makefile's CROSS_ENV.
set -euo pipefail
target="$1"
case "$target" in
  aarch64-*) runner=qemu-aarch64-static ;;
  armv7-*) runner=qemu-arm-static ;;
  # ARMv6 (Raspberry Pi 1, Zero) on the Pi's own core: an ARMv7 instruction traps (test-cross.py).
  arm-*) runner="qemu-arm-static -cpu arm1176" ;;
  x86_64-*) runner="" ;;
  *) echo "test-cross-unit: unknown target $target" >&2; exit 2 ;;
esac
var="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUNNER"
export "$var=$runner"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "test-cross-unit: $target, unit tests (src/) under ${runner:-no runner}"
cargo-zigbuild test --locked -Zbuild-std --target "$target" --lib

echo "test-cross-unit: $target, tests/ (binary-spawning tests may only fail with ENOEXEC)"
set +e
cargo-zigbuild test --locked -Zbuild-std --target "$target" --test main -- --test-threads 2 >"$log" 2>&1
set -e
python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
summary = re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", text)
if not summary:
    sys.exit("test-cross-unit: no test summary:\n" + text[-3000:])
passed, failed = map(int, summary[-1])
blocks = dict(re.findall(r"---- (\S+) stdout ----\n(.*?)(?=\n---- |\nfailures:\n)", text, re.S))
names = re.findall(r"^test (\S+) \.\.\. FAILED", text, re.M)
other = [n for n in names if "Exec format error" not in blocks.get(n, "")]
print(f"test-cross-unit: {passed} passed; {failed - len(other)} not runnable without binfmt_misc (ENOEXEC); {len(other)} real failures")
for n in other:
    print(f"---- {n}\n{blocks.get(n, '(no output)')[:2000]}")
sys.exit(1 if other or failed != len(names) else 0)
PY
