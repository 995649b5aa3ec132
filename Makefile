# sysotlp developer commands. `make run` and `make test` work on a fresh machine with
# cargo and python3 (the test target installs the official OTLP decoders into .venv).

CARGO   ?= cargo
VENV    := .venv
PYTHON  := $(VENV)/bin/python
# The official OpenTelemetry protobuf classes the interop test decodes our bytes with.
PY_PKGS := opentelemetry-proto==1.45.2 protobuf==7.36.2 opentelemetry-semantic-conventions==0.66b2 opentelemetry-api==1.45.2
BIN     := target/release/sysotlp

.PHONY: run test lint bless fixture bench bench-tcp bench-peers release clean fuzz

## run: build and run the agent on this machine, showing what it sees every 10 s as text (no collector needed)
run:
	$(CARGO) build --release
	$(BIN) --exporter text --interval 10s

## test: unit, golden, CLI, loopback-export and interop tests
test: $(VENV)/installed
	SYSOTLP_INTEROP_PYTHON=$(abspath $(PYTHON)) $(CARGO) test

## fuzz: the randomized garbage-in harness, long (make test runs 200 inputs per target);
## FUZZ_ITERATIONS=… FUZZ_SEED=… to change or replay a run
FUZZ_ITERATIONS ?= 10000
FUZZ_SEED       ?= $(shell date +%s)
fuzz:
	SYSOTLP_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) SYSOTLP_FUZZ_SEED=$(FUZZ_SEED) $(CARGO) test --release --test fuzz

## lint: formatting, clippy, one-way module dependencies and file sizes, as CI runs them
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	bash .ci/lint-layout.sh

## bless: rewrite fixtures/*/expected*.json and README's names table from the current output (then review git diff)
bless:
	UPDATE_GOLDEN=1 $(CARGO) test --test main golden; UPDATE_GOLDEN=1 $(CARGO) test --lib names_table_in_readme; git --no-pager diff --stat -- fixtures README.md

## fixture NAME=x: capture this machine's /proc, /sys and /etc files into fixtures/x (as root)
fixture:
	@test -n "$(NAME)" || { echo "usage: make fixture NAME=name" >&2; exit 2; }
	bash fixtures/capture.sh $(NAME)

## bench: CPU, allocations and bytes per tick in-process; TCP-state counting cost; heap
## growth over 100,000 ticks of the VM fixture; VmHWM of the release binary
bench: release
	$(CARGO) bench --bench tick
	$(CARGO) bench --bench tcp_states
	SYSOTLP_GROWTH_TICKS=100000 SYSOTLP_GROWTH_EVERY=1000 SYSOTLP_STEADY_ONLY=x86_64-vm \
	  $(CARGO) test --release --test steady_state
	bash bench/vmhwm.sh $(BIN)
	SLEEPERS=1000 bash bench/vmhwm.sh $(BIN) 60 --enable process

## bench-tcp: TCP-state counting cost against the kernel's hash size (root, Linux >= 6.1: one
## network namespace per size; net.ipv4.tcp_child_ehash_entries is restored after each)
bench-tcp:
	$(CARGO) bench --bench tcp_states -- --ehash-curve

## bench-peers: the static and glibc builds side by side with node_exporter (3 configs) and
## collectd (both apt-installed if missing): memory, CPU per collection, exec -> first data,
## points and bytes; a table, ratios and bench/results.json. BENCH_SECONDS=60 BENCH_REPS=2
bench-peers: release $(VENV)/installed
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	$(PYTHON) bench/peers.py

release:
	$(CARGO) build --release

# Reinstalled when PY_PKGS (this Makefile) changes.
$(VENV)/installed: Makefile
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PY_PKGS)
	touch $@

clean:
	$(CARGO) clean
	rm -rf $(VENV)

## Packaging and cross builds #################################################
# Fully static, stripped musl binaries for four targets, emulated and empty-root tests, an image,
# service files and install. Everything comes from packaging/cross-setup.sh (apt: Debian's
# rustc-web + rust-web-src for -Zbuild-std, qemu-user-static; PyPI into .cross/venv: zig and
# cargo-zigbuild; buildah for the image). Cross builds use their own target dir and Debian's
# rustc (`debweb`), so they never touch target/release.

CROSS_TARGETS := x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf arm-unknown-linux-musleabihf
TARGET        ?= x86_64-unknown-linux-musl
CROSS_DIR     := .cross
CROSS_OUT     := target/cross
VERSION       := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
DIST          := dist
DIST_FILES    := $(addprefix sysotlp-$(VERSION)-,$(CROSS_TARGETS))
# ring's C code is compiled by zig (cargo-zigbuild); musl, crt objects and the linker come from
# zig too, hence link-self-contained=no (Debian ships no musl rust-std to be self-contained).
# With panic=abort nothing unwinds: no unwind tables (.eh_frame + .eh_frame_hdr were 175 KB
# of 2092864 bytes on x86_64), and panic messages without file:line (location-detail).
CROSS_ENV     := PATH="$(abspath $(CROSS_DIR))/venv/bin:$$PATH" RUSTUP_TOOLCHAIN=debweb \
                 RUSTC_BOOTSTRAP=1 RUSTFLAGS="-C link-self-contained=no -Zlocation-detail=none -C force-unwind-tables=no" CARGO_TARGET_DIR=$(CROSS_OUT)
# std is rebuilt with the release profile. An explicit feature list drops cargo's default
# `backtrace` (addr2line/gimli symbolisation, useless in a stripped binary; panic messages stay)
# and picks std's smaller algorithms: 2094560 -> 1858376 bytes on x86_64.
BUILD_STD     := -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
static_bin     = $(CROSS_OUT)/$(1)/release/sysotlp
# The image: each dist binary's OCI platform (arm/v7 and arm/v6 are the two 32-bit ARM builds).
IMAGE_PLATFORMS := x86_64-unknown-linux-musl=linux/amd64 aarch64-unknown-linux-musl=linux/arm64 \
                   armv7-unknown-linux-musleabihf=linux/arm/v7 arm-unknown-linux-musleabihf=linux/arm/v6
IMAGE         := $(DIST)/sysotlp-$(VERSION)-image.tar
IMAGE_SPECS   := $(addprefix $(DIST)/sysotlp-$(VERSION)-,$(IMAGE_PLATFORMS))

# install: PREFIX, DESTDIR; SYSCONFDIR defaults to /etc for PREFIX /usr or /usr/local, else
# PREFIX/etc (a scratch install stays in one tree); INIT=all|systemd|openrc|none.
PREFIX        ?= /usr/local
INSTALL_ENV    = PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) $(if $(SYSCONFDIR),SYSCONFDIR=$(SYSCONFDIR)) $(if $(INIT),INIT=$(INIT))
# The binary `make install` copies: the native release build unless given
# (e.g. INSTALL_BIN=dist/sysotlp-$(VERSION)-x86_64-unknown-linux-musl).
INSTALL_BIN   ?= $(BIN)

.PHONY: cross-setup static dist image test-cross test-cross-unit test-image test-container check-packaging install uninstall

## cross-setup: install the cross toolchain (apt, PyPI into .cross/venv); idempotent
cross-setup:
	CROSS_DIR=$(CROSS_DIR) bash packaging/cross-setup.sh

## static TARGET=x86_64-unknown-linux-musl|aarch64-unknown-linux-musl|armv7-unknown-linux-musleabihf|arm-unknown-linux-musleabihf
static: cross-setup
	@case " $(CROSS_TARGETS) " in *" $(TARGET) "*) ;; \
	  *) echo "make static: TARGET must be one of $(CROSS_TARGETS)" >&2; exit 2;; esac
	$(CROSS_ENV) cargo zigbuild --locked --release $(BUILD_STD) --target $(TARGET)
	bash packaging/check-static.sh $(call static_bin,$(TARGET))

## dist: the four static binaries as dist/sysotlp-VERSION-TARGET, each with a .sha256
dist: cross-setup
	@mkdir -p $(DIST)
	@set -e; for t in $(CROSS_TARGETS); do \
	  $(MAKE) --no-print-directory static TARGET=$$t; \
	  cp $(call static_bin,$$t) $(DIST)/sysotlp-$(VERSION)-$$t; \
	  (cd $(DIST) && sha256sum sysotlp-$(VERSION)-$$t > sysotlp-$(VERSION)-$$t.sha256); \
	done
	cd $(DIST) && sha256sum -c $(addsuffix .sha256,$(DIST_FILES)) && ls -l $(DIST_FILES) && file $(DIST_FILES)

## image: the dist binaries as one FROM-scratch OCI image per platform under a manifest list,
## dist/sysotlp-VERSION-image.tar (oci-archive; buildah from apt, offline, as root)
image: dist
	bash packaging/image.sh $(VERSION) $(IMAGE) $(IMAGE_SPECS)

## test-cross: goldens and a live --once of every dist binary, ARM ones under qemu-user (ARMv6 on an ARM1176)
test-cross: dist
	python3 packaging/test-cross.py $(addprefix $(DIST)/,$(DIST_FILES))

## test-image: the image archive read blob by blob (platforms, entrypoint, user, < 3 MB each), and
## this machine's layer run in an empty root and as a host watcher (test-container.sh)
test-image: image
	python3 packaging/test-image.py $(IMAGE) $(IMAGE_SPECS)

## test-cross-unit TARGET=…: cargo test built for TARGET, run under qemu-user (src/ unit tests, in-process tests/)
test-cross-unit: cross-setup
	$(CROSS_ENV) bash packaging/test-cross-unit.sh $(TARGET)

## test-container: the static x86_64 binary in an empty root (no libc, /etc, CA bundle) and as a host watcher
test-container:
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	bash packaging/test-container.sh $(call static_bin,x86_64-unknown-linux-musl)

## check-packaging: shellcheck, systemd-analyze verify/security, logrotate -d, OpenRC run for real, install/uninstall
check-packaging:
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	bash packaging/check-packaging.sh $(call static_bin,x86_64-unknown-linux-musl)

## install PREFIX=/usr/local [DESTDIR=] [INSTALL_BIN=]: binary, man page, systemd, OpenRC, logrotate
install: $(if $(filter $(BIN),$(INSTALL_BIN)),release)
	$(INSTALL_ENV) bash packaging/install.sh install $(INSTALL_BIN)

## uninstall PREFIX=…: removes what install put there (edited config files are kept)
uninstall:
	$(INSTALL_ENV) bash packaging/install.sh uninstall
