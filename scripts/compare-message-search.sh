#!/usr/bin/env bash
# Message search, full-text against trigram, on the bench database (issue 17):
# the same first page (20 newest hits of one company, the words of the
# bench's `find` scenario) through the `messages_search` GIN index on
# to_tsvector('inbox_search', content), and through a trigram GIN index on
# inbox_fold(content) made for the comparison and dropped afterwards.
# pgbench, 8 clients, prepared statements; prints p50/p99 per form.
#
#   make bench BENCH_ARGS='--only find --clients 8'   # seeds inbox_bench once (or: inbox migrate; inbox seed-bench)
#   scripts/compare-message-search.sh postgres://postgres@127.0.0.1:5432/inbox_bench 20
set -euo pipefail
db="${1:?usage: $0 DATABASE_URL [seconds]}"
seconds="${2:-20}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"; psql "$db" -qc "DROP INDEX IF EXISTS messages_content_trgm_probe; DROP TABLE IF EXISTS search_probe_company" >/dev/null' EXIT
# The bench's companies, numbered for pgbench to draw from.
psql "$db" -qc "CREATE TABLE IF NOT EXISTS search_probe_company AS
  SELECT row_number() OVER (ORDER BY id) AS n, id AS company_id FROM companies WHERE name LIKE 'Bench %'"

words=("order" "warehouse" "delivery address" "thank" "anything else" "refund")
pick='\set n random(1, 10)
SELECT company_id AS company FROM search_probe_company WHERE n = :n \gset
\set w random(0, 5)
'
tail_sql="ORDER BY created_at DESC, id DESC LIMIT 21) h JOIN conversations c ON c.id = h.conversation_id AND c.is_active JOIN contacts ct ON ct.id = c.contact_id ORDER BY h.created_at DESC, h.id DESC;"
head_sql="SELECT h.id, h.content, COALESCE(ct.name, ct.phone) FROM (SELECT id, conversation_id, content, created_at FROM messages WHERE company_id = :company AND is_active AND kind <> 'reaction' AND"

{
  printf '%s' "$pick"
  for i in "${!words[@]}"; do
    tsq="$(sed 's/ /:* \& /g; s/$/:*/' <<<"${words[$i]}")"
    [ "$i" = 0 ] && printf '\\if :w = %s\n' "$i" || printf '\\elif :w = %s\n' "$i"
    printf "%s to_tsvector('inbox_search', content) @@ to_tsquery('inbox_search', '%s') %s\n" "$head_sql" "$tsq" "$tail_sql"
  done
  printf '\\endif\n'
} >"$dir/fulltext.sql"
{
  printf '%s' "$pick"
  for i in "${!words[@]}"; do
    like="$(sed "s/\([^ ]*\)/inbox_fold(content) LIKE '%\1%'/g; s/' inbox/' AND inbox/g" <<<"${words[$i]}")"
    [ "$i" = 0 ] && printf '\\if :w = %s\n' "$i" || printf '\\elif :w = %s\n' "$i"
    printf "%s %s %s\n" "$head_sql" "$like" "$tail_sql"
  done
  printf '\\endif\n'
} >"$dir/trigram.sql"

run() {
  local name="$1"
  rm -f "$dir"/log.*
  (cd "$dir" && pgbench -n -M prepared -c 8 -j 1 -T "$seconds" --log --log-prefix=log -f "$dir/$name.sql" "$db" >/dev/null)
  cat "$dir"/log.* | awk '{print $3}' | sort -n | awk -v name="$name" '
    { v[NR] = $1 }
    END { printf "%-9s %6d searches  %6.0f/s  p50 %6.1f ms  p99 %6.1f ms\n", name, NR, NR / '"$seconds"', v[int(NR*0.5)]/1000, v[int(NR*0.99)]/1000 }'
}

echo "trigram index (made for this run):"
time psql "$db" -qc "CREATE INDEX IF NOT EXISTS messages_content_trgm_probe ON messages USING gin (company_id, inbox_fold(content) gin_trgm_ops) WHERE is_active"
psql "$db" -qAtc "SELECT 'sizes: messages_search ' || pg_size_pretty(pg_relation_size('messages_search')) || ', trigram ' || pg_size_pretty(pg_relation_size('messages_content_trgm_probe'))"
psql "$db" -qc "ANALYZE messages"
run fulltext
run trigram
