#!/usr/bin/env bash
# cross-setup.sh: install what `make static`, `make dist` and `make test-cross` need, and
# nothing else. Adapted from /work/shared/tools/cross-setup.sh. Idempotent: a second run only
# checks (no network). Run as root (apt).
#
# The route (rustup cannot download a musl rust-std on these machines; only package
# registries are reachable):
#   - Debian's rustc-web + cargo-web + rust-web-src: a rustc with the matching std source, so
#     `-Zbuild-std` (RUSTC_BOOTSTRAP=1 on a stable compiler) builds std for the musl targets.
#     rustup names it `debweb` (a link to /usr); plain `cargo` stays rustup's stable.
#   - cargo-zigbuild + ziglang from PyPI, in a venv of this checkout ($CROSS_DIR, not the
#     system Python): zig is the C cross compiler ring needs and the linker, and brings musl
#     libc and crt objects for every target.
#   - qemu-user-static runs the aarch64, armv7 and armv6 binaries here (test-cross); file(1)
#     checks that they are static; openssl(1) makes test-cross's throwaway CA for its https sink.
set -euo pipefail

ZIG_VERSION="${ZIG_VERSION:-0.17.1}"
ZIGBUILD_VERSION="${ZIGBUILD_VERSION:-0.24.1}"
CROSS_DIR="${CROSS_DIR:-.cross}"
TC=debweb
APT_PKGS=(rustc-web cargo-web rust-web-src qemu-user-static file openssl)

say() { echo "cross-setup: $*" >&2; }
die() { say "$*"; exit 1; }

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "run as root to apt-get install ${missing[*]}"
  say "apt-get install ${missing[*]}"
  apt-get update -qq
  # Refuse anything that would remove a package (the machine's init system, say).
  if DEBIAN_FRONTEND=noninteractive apt-get install -s --no-install-recommends "${missing[@]}" \
      | grep -q '^Remv '; then
    die "apt would remove packages to install ${missing[*]}; not doing it"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# zig and cargo-zigbuild in our own venv, pinned.
venv="$CROSS_DIR/venv"
if [ ! -x "$venv/bin/python" ]; then
  say "python3 -m venv $venv"
  python3 -m venv "$venv"
fi
if [ "$("$venv/bin/python" -m ziglang version 2>/dev/null)" != "$ZIG_VERSION" ] \
   || [ "$("$venv/bin/cargo-zigbuild" --version 2>/dev/null)" != "cargo-zigbuild $ZIGBUILD_VERSION" ]; then
  say "pip install ziglang==$ZIG_VERSION cargo-zigbuild==$ZIGBUILD_VERSION into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "ziglang==$ZIG_VERSION" "cargo-zigbuild==$ZIGBUILD_VERSION"
fi

# Debian's toolchain addressable as RUSTUP_TOOLCHAIN=debweb (rustup's proxies stay first on PATH).
if command -v rustup >/dev/null; then
  rustup toolchain list | grep -q "^$TC" || rustup toolchain link "$TC" /usr
  rv="$(rustc "+$TC" -V | awk '{print $2}')"
else
  rv="$(/usr/bin/rustc -V | awk '{print $2}')"
fi

# -Zbuild-std only works when rustc and the std source are the same release.
sv="$(dpkg-query -W -f='${Version}' rust-web-src | sed 's/+.*//')"
[ "$rv" = "$sv" ] || die "rustc-web $rv != rust-web-src $sv"
[ -f /usr/lib/rustlib/src/rust/library/Cargo.lock ] || die "std source missing (rust-web-src)"

say "ready: rustc $rv (debweb), zig $("$venv/bin/python" -m ziglang version)," \
  "$("$venv/bin/cargo-zigbuild" --version), $(qemu-aarch64-static --version | head -1)"
