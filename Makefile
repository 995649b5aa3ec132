# sysotlp developer commands. `make run` and `make test` work on a fresh machine with
# cargo and python3 (the test target installs the official OTLP decoders into .venv).

CARGO   ?= cargo
VENV    := .venv
PYTHON  := $(VENV)/bin/python
# The official OpenTelemetry protobuf classes the interop test decodes our bytes with.
PY_PKGS := opentelemetry-proto==1.45.2 protobuf==7.36.2
BIN     := target/release/sysotlp

.PHONY: run test lint bless fixture bench release clean

## run: build and run the agent on this machine, printing OTLP/JSON every 10 s (no collector needed)
run:
	$(CARGO) build --release
	$(BIN) --exporter stdout --interval 10s

## test: unit, golden, CLI, loopback-export and interop tests
test: $(PYTHON)
	SYSOTLP_INTEROP_PYTHON=$(abspath $(PYTHON)) $(CARGO) test

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

## bless: rewrite fixtures/*/expected*.json from the current output (then review git diff)
bless:
	UPDATE_GOLDEN=1 $(CARGO) test --test main golden; git --no-pager diff --stat -- fixtures

## fixture NAME=x: capture this machine's /proc, /sys and /etc files into fixtures/x (as root)
fixture:
	@test -n "$(NAME)" || { echo "usage: make fixture NAME=name" >&2; exit 2; }
	bash fixtures/capture.sh $(NAME)

## bench: CPU, allocations and bytes per tick in-process; VmHWM of the release binary
bench: release
	$(CARGO) bench --bench tick
	bash bench/vmhwm.sh $(BIN)

release:
	$(CARGO) build --release

$(PYTHON):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(PY_PKGS)

clean:
	$(CARGO) clean
	rm -rf $(VENV)
