#!/usr/bin/env bash
# make hardening's dependency audit: cargo audit of the server's, the
# app's and the fuzz targets' Cargo.lock against the RustSec advisory database.
#
# cargo-audit fetches that database from GitHub. Where GitHub cannot be
# reached (this project's build machines), point CARGO_AUDIT_DB at a
# checkout of https://github.com/rustsec/advisory-db and it runs offline;
# without either the audit is reported as skipped, never as passed.
# Accepted advisories, each with its reason, are in .cargo/audit.toml.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf 'audit: %s\n' "$*" >&2; }

cargo audit --version >/dev/null 2>&1 || cargo install --locked cargo-audit

args=()
if [[ -n "${CARGO_AUDIT_DB:-}" ]]; then
  args=(--db "$CARGO_AUDIT_DB" --no-fetch)
  log "advisory database: $CARGO_AUDIT_DB ($(git -C "$CARGO_AUDIT_DB" log -1 --format='%h of %cs' 2>/dev/null || echo 'not a git checkout'))"
elif ! timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  log "SKIPPED: the advisory database (github.com/rustsec/advisory-db) cannot be fetched from here;"
  log "set CARGO_AUDIT_DB to a checkout of it to audit offline"
  exit 0
fi

status=0
for lock in Cargo.lock frontend/Cargo.lock fuzz/Cargo.lock; do
  log "$lock"
  cargo audit "${args[@]}" --file "$lock" || status=1
done
exit "$status"
