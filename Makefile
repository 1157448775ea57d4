# Inbox: the two commands are `make run` and `make test`. Both work on a fresh
# Debian machine with rustup and git: they install what they need and use the
# PostgreSQL on 127.0.0.1:5432, or start a throwaway one (scripts/db.sh).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
BIND ?= 127.0.0.1:8080

.PHONY: run test build tools fmt lint check-wasm openapi db-url db-stop clean-db

# Build the release binary, prepare the database with demo data, and serve.
run: tools
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
# types, and every test against a real PostgreSQL.
test: tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) --no-print-directory check-wasm
	@server="$$(scripts/db.sh url)"; \
	 trap 'scripts/db.sh stop' EXIT; \
	 export DATABASE_URL="$$server"; \
	 if $(CARGO) nextest --version >/dev/null 2>&1; then \
	   $(CARGO) nextest run --workspace --no-fail-fast; \
	 else \
	   $(CARGO) test --workspace --no-fail-fast; \
	 fi

build:
	$(CARGO) build --workspace

# Toolchain pieces the targets above rely on, installed only when missing.
tools:
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
	@rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$$' || rustup target add wasm32-unknown-unknown

# The shared types must compile for the browser app.
check-wasm:
	$(CARGO) check -p inbox-types --target wasm32-unknown-unknown

# Rewrite the committed OpenAPI document from the code (a test checks they match).
openapi:
	@mkdir -p openapi
	$(CARGO) run --quiet -p inbox-api --bin inbox -- openapi > openapi/openapi.json

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The PostgreSQL server URL the targets use (starting a throwaway one if needed).
db-url:
	@scripts/db.sh url

db-stop:
	@scripts/db.sh stop

clean-db: db-stop
	rm -rf target/pg
