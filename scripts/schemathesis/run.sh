#!/usr/bin/env bash
# make hardening's schemathesis run: a fresh `inbox_hardening` database with
# the demo data, `inbox serve` (sandbox provider) on a free port, an API
# token for ana@demo.test, then schemathesis (pinned in requirements.txt, in
# a virtualenv under target/hardening) with every check, configured by
# schemathesis.toml. Reports land in target/hardening/schemathesis/.
#
#   scripts/schemathesis/run.sh SERVER_URL   (postgres://user@host:port/postgres)
#
# SCHEMATHESIS_MAX_EXAMPLES (default 200) sets the cases per operation and
# phase; SCHEMATHESIS_SEED makes a run repeatable.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/hardening"
venv="$out/venv"
inbox="$root/target/debug/inbox"
server_url="$1"
db_url="${server_url%/*}/inbox_hardening"

log() { printf 'schemathesis: %s\n' "$*" >&2; }

mkdir -p "$out"
if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qxF -f <(grep -v '^#' "$here/requirements.txt"); then
  log "installing schemathesis into $venv"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    sudo=""; [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

# A database of its own, made afresh so every run starts from the same data.
psql -q "$server_url" -c 'DROP DATABASE IF EXISTS inbox_hardening WITH (FORCE)'
export DATABASE_URL="$db_url"
"$inbox" migrate
"$inbox" seed-demo >/dev/null
token="$("$inbox" create-token --email ana@demo.test --label schemathesis)"
failed="$(psql -qtA "$db_url" -c "SELECT id FROM messages WHERE status = 'failed' ORDER BY created_at LIMIT 1")"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
# Sends are not rate limited here, so they reach the rules behind the limit.
INBOX_BIND="127.0.0.1:$port" INBOX_LOG_FORMAT=text INBOX_SENDS_PER_MINUTE=1000000 "$inbox" serve >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fsS "$url/readyz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; log "the server did not start"; exit 1; }
  sleep 0.2
done

log "testing $url with ${SCHEMATHESIS_MAX_EXAMPLES:-200} cases per operation and phase"
rm -rf "$out/schemathesis"
status=0
INBOX_ST_URL="$url" INBOX_ST_TOKEN="$token" INBOX_ST_FAILED_MESSAGE="$failed" "$venv/bin/schemathesis" --no-color \
  --config-file "$here/schemathesis.toml" \
  run "$root/openapi/openapi.json" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-200}" \
  ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} \
  --report junit,ndjson --report-dir "$out/schemathesis" || status=$?
# A server error would be in its log too; a crash would have ended it.
if ! kill -0 "$server" 2>/dev/null; then
  log "the server died during the run; see $out/server.log"
  exit 1
fi
exit "$status"
