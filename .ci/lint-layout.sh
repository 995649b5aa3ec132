#!/usr/bin/env bash
# `make lint`'s structure checks (issue 9): dependencies point one way (cli → config →
# collect → otlp; telemetry below export), and no file under src/ has more than 500 lines
# of code outside its test module. Prints each offence; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

if grep -rnE 'crate::(config|export)\b' src/collect/; then
  echo "lint: src/collect/ must not use crate::config or crate::export (collectors own their options)" >&2
  status=1
fi
if grep -nE 'crate::export\b' src/telemetry.rs; then
  echo "lint: src/telemetry.rs must not use crate::export (ErrorType lives with telemetry)" >&2
  status=1
fi

# Lines before the test module (`#[cfg(test)]`, other attributes, `mod tests`); a file that
# is itself a test module (tests.rs) is skipped.
while IFS= read -r file; do
  case "$file" in */tests.rs) continue ;; esac
  lines=$(awk '
    /^#\[/ { held[++h] = $0; next }
    /^mod tests/ { for (i = 1; i <= h; i++) if (held[i] == "#[cfg(test)]") { done = 1 } if (done) exit }
    { n += h + 1; h = 0 }
    END { print n + 0 }' "$file")
  if [ "$lines" -gt 500 ]; then
    echo "lint: $file has $lines lines of non-test code (limit 500): split it by concern" >&2
    status=1
  fi
done < <(find src -name '*.rs' | sort)
exit "$status"
