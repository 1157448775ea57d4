# Inbox: the two commands are `make run` and `make test`. Both work on a fresh
# Debian machine with rustup and git: they install what they need and use the
# PostgreSQL on 127.0.0.1:5432, or start a throwaway one (scripts/db.sh).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
BIND ?= 127.0.0.1:8080
NODE_BIN := $(CURDIR)/node_modules/.bin
TRUNK_VERSION := 0.21.14
# The wasm-bindgen CLI must match the library in the app's lock file exactly.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' frontend/Cargo.lock)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

# cargo-nextest when installed (parallel, one process per test), else cargo test.
TEST_RUNNER = $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo 'nextest run' || echo test)

# The benchmark's own arguments, e.g. BENCH_ARGS='--seconds 5 --only send,status'.
BENCH_ARGS ?=

.PHONY: run test bench hardening build tools node-tools web-tools browser-tools web web-dev e2e screenshots fmt lint check-wasm openapi db-url db-stop clean-db

# Build the app and the release binary, prepare the database with demo data, and serve.
run: tools web
	$(CARGO) build --release -p inbox-api --bin inbox
	@server="$$(scripts/db.sh url)"; \
	 app="$${DATABASE_URL:-$${server%/*}/inbox}"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 export DATABASE_URL="$$app" INBOX_BIND="$(BIND)"; \
	 target/release/inbox migrate; \
	 target/release/inbox seed-demo; \
	 echo; \
	 echo "  Inbox is starting at http://$(BIND)"; \
	 echo "  API docs: http://$(BIND)/api/docs/"; \
	 echo "  Log in as ana@demo.test or ben@demo.test, password demo-password"; \
	 echo "  Stop with Ctrl+C"; \
	 echo; \
	 target/release/inbox serve

# Everything CI checks: formatting, lints, the wasm build of the shared
# types, every test against a real PostgreSQL, the app's own tests, and the
# browser tests in Chromium against the real server.
test: tools web browser-tools
	$(CARGO) fmt --all -- --check
	cd frontend && $(CARGO) fmt -- --check
	cd fuzz && $(CARGO) fmt -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd frontend && $(CARGO) clippy --all-targets -- -D warnings
	$(MAKE) --no-print-directory check-wasm
	$(CARGO) build -p inbox-api --bin inbox
	@server="$$(scripts/db.sh url)"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 export DATABASE_URL="$$server"; \
	 if $(CARGO) nextest --version >/dev/null 2>&1; then \
	   $(CARGO) nextest run --workspace --no-fail-fast; \
	 else \
	   $(CARGO) test --workspace --no-fail-fast; \
	 fi; \
	 (cd frontend && $(CARGO) test); \
	 $(NODE_BIN)/playwright test --config e2e/playwright.config.ts

# The browser tests alone (the server and app are built first).
e2e: tools web browser-tools
	$(CARGO) build -p inbox-api --bin inbox
	@server="$$(scripts/db.sh url)"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 DATABASE_URL="$$server" $(NODE_BIN)/playwright test --config e2e/playwright.config.ts $(E2E_ARGS)

# Issue 8's benchmark (about 8 minutes): seeds a fresh database
# (inbox_bench: 10 companies, 100,000 conversations, 1,000,000 messages),
# loads the release server over HTTP and the same SQL through pgbench, then
# appends the table to docs/performance.md and redraws docs/bench-sends.svg.
bench: tools
	$(CARGO) build --release -p inbox-api -p inbox-bench
	@command -v pgbench >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) postgresql-client; }
	@server="$$(scripts/db.sh url)"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 BENCH_COMMAND="make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" target/release/inbox-bench \
	   --database-url "$$server" --report docs/performance.md --plot docs/bench-sends.svg $(BENCH_ARGS)

# Issue 9's longer checks (results in docs/reliability.md): the property
# tests of the phone, text and cursor rules and of the webhook parsers and
# signature checks with 100,000 cases each instead of make test's 256;
# cargo-fuzz on the same parsers, FUZZ_SECONDS (30) per target;
# cargo audit of the lock files (CARGO_AUDIT_DB=<advisory-db checkout>
# where GitHub is out of reach); then schemathesis against a live server
# with the demo data (a virtualenv under target/hardening;
# SCHEMATHESIS_MAX_EXAMPLES cases per operation and phase).
hardening: tools
	$(CARGO) build -p inbox-api --bin inbox
	@command -v psql >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) postgresql-client; }
	PROPTEST_CASES=$${PROPTEST_CASES:-100000} $(CARGO) $(TEST_RUNNER) -p inbox-types -p inbox-whatsapp --no-fail-fast
	scripts/fuzz.sh
	scripts/audit.sh
	@server="$$(scripts/db.sh url)"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 scripts/schemathesis/run.sh "$$server"

# Rewrite docs/screenshots/ from the demo data (shown in the README).
screenshots: tools web browser-tools
	$(CARGO) build -p inbox-api --bin inbox
	@server="$$(scripts/db.sh url)"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 DATABASE_URL="$$server" SCREENSHOT_DIR=docs/screenshots $(NODE_BIN)/playwright test --config e2e/playwright.config.ts screenshots

# The browser app, release build, into frontend/dist (served by `inbox serve`).
web: web-tools
	cd frontend && PATH="$(NODE_BIN):$$PATH" TRUNK_SKIP_VERSION_CHECK=true trunk build --release

# Development: rebuilds on change at http://127.0.0.1:8081, /api proxied to a
# server started with `make run` (or `inbox serve`) on port 8080.
web-dev: web-tools
	cd frontend && PATH="$(NODE_BIN):$$PATH" TRUNK_SKIP_VERSION_CHECK=true trunk serve

build:
	$(CARGO) build --workspace

# Toolchain pieces the targets above rely on, installed only when missing.
tools:
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
	@rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$$' || rustup target add wasm32-unknown-unknown

# Node, and the npm packages of package-lock.json (Playwright, and binaryen's
# wasm-opt: Debian's binaryen builds wasm that crashes). No browser download.
node-tools:
	@command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) nodejs npm; }
	@if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	   PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; \
	 fi

# Trunk and the wasm-bindgen CLI, built from crates.io (nothing from GitHub).
web-tools: tools node-tools
	@trunk --version 2>/dev/null | grep -qx 'trunk $(TRUNK_VERSION)' || $(CARGO) install --locked trunk --version $(TRUNK_VERSION)
	@wasm-bindgen --version 2>/dev/null | grep -qx 'wasm-bindgen $(WASM_BINDGEN_VERSION)' || \
	  $(CARGO) install wasm-bindgen-cli --version '=$(WASM_BINDGEN_VERSION)'

# Debian's Chromium for the browser tests, and an emoji font for screenshots.
browser-tools:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Color Emoji'; then \
	   $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium fonts-noto-color-emoji; \
	 fi

# The shared types must compile for the browser app.
check-wasm:
	$(CARGO) check -p inbox-types --target wasm32-unknown-unknown

# Rewrite the committed OpenAPI document from the code (a test checks they match).
openapi:
	@mkdir -p openapi
	$(CARGO) run --quiet -p inbox-api --bin inbox -- openapi > openapi/openapi.json

fmt:
	$(CARGO) fmt --all
	cd frontend && $(CARGO) fmt
	cd fuzz && $(CARGO) fmt

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The PostgreSQL server URL the targets use (starting a throwaway one if needed).
db-url:
	@scripts/db.sh url

db-stop:
	@scripts/db.sh stop

clean-db: db-stop
	rm -rf target/pg
