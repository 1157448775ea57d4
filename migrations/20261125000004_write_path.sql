-- Cheaper writes (issue 8). A status change rewrites the message row and,
-- because `status` is indexed, adds an entry to every index of `messages`;
-- every insert checks each foreign key by locking the referenced row, and
-- rows that every write references (the company) become hot spots. These
-- indexes and keys cost on every write and served no query of their own.

-- (company_id, status): nothing reads messages by company and status; the
-- sweeper and the retry worker use the partial indexes on `sending`.
DROP INDEX messages_company_status;
-- (provider_message_id): webhooks look a message up within the channel's
-- company, through the unique (company_id, provider_message_id) index.
DROP INDEX messages_provider_id;
-- (conversation_id, is_active): every read and update of a conversation's
-- messages is of its active ones, which messages_page_keyset serves.
DROP INDEX messages_conversation_active;

-- Client keys are given for outbound messages from clients only: the index
-- need not hold the NULLs of every inbound (and API-without-key) message.
ALTER TABLE messages DROP CONSTRAINT messages_client_key_per_company;
CREATE UNIQUE INDEX messages_client_key_per_company ON messages (company_id, client_key)
    WHERE client_key IS NOT NULL;

-- The company is implied by keys that stay: a message's conversation (a
-- composite key with company_id); an event is a short-lived notice; a
-- stored callback names its channel (a composite key with company_id).
ALTER TABLE messages DROP CONSTRAINT messages_company_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_company_id_fkey;
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_company_id_fkey;
