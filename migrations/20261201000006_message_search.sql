-- Message search (issue 17): full-text search over message content that
-- ignores case and accents ("cafe" finds "Café"), each query word a prefix.
-- `inbox_search` is the `simple` configuration (no stemming, no stop words:
-- customers write in many languages) with unaccent before it for words
-- with non-ASCII letters. The GIN index leads with company_id (btree_gin)
-- so one company's search never reads another's postings; partial on
-- is_active so cleared and deleted messages are neither indexed nor found.
-- Why not a trigram index: docs/architecture.md ("Messages").
CREATE TEXT SEARCH CONFIGURATION inbox_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION inbox_search
    ALTER MAPPING FOR word, hword, hword_part WITH public.unaccent, pg_catalog.simple;

CREATE INDEX messages_search ON messages
    USING gin (company_id, to_tsvector('inbox_search', content))
    WHERE is_active;
