-- Search ignores accents and case: "pablo gomez" finds "Pablo Gómez".
-- `inbox_fold` is lower(unaccent(..)) with the dictionary named, declared
-- IMMUTABLE so the trigram indexes can be built on it (unaccent itself is
-- STABLE because its rules file could change; were it ever edited, these
-- indexes would need a REINDEX). Not inlined by the planner (its body is
-- not immutable), so queries match the indexes' expression as written.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION inbox_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;

DROP INDEX contacts_name_trgm;
CREATE INDEX contacts_name_trgm ON contacts USING gin (company_id, inbox_fold(name) gin_trgm_ops);
DROP INDEX contacts_username_trgm;
CREATE INDEX contacts_username_trgm ON contacts USING gin (company_id, inbox_fold(username) gin_trgm_ops);
