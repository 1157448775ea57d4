-- WhatsApp's own identities of a customer (issue 15).
--
-- A contact is reached through WhatsApp by its `wa_id` (the digits WhatsApp
-- delivers, authoritative even where the phone library knows no such range)
-- or, for a customer who uses a username and shares no number, by its
-- business-scoped user id (BSUID). `phone` is the number people typed or
-- WhatsApp shared, and may now be absent.
--
-- `wa_key` is the canonical form of the number (`inbox_types::identity::
-- equivalence_key`: Mexico's `521`, Brazil's ninth digit, Argentina's `549`)
-- and makes one customer one contact whichever form arrives. It is written
-- by the server, which owns that rule; `inbox migrate` fills it for existing
-- contacts and leaves it empty on a contact whose key another contact of
-- the company already holds (`inbox doctor` lists those to merge).

ALTER TABLE contacts
    ALTER COLUMN phone DROP NOT NULL,
    ADD COLUMN wa_id varchar(15) CHECK (wa_id ~ '^[0-9]{6,15}$'),
    ADD COLUMN wa_key varchar(15) CHECK (wa_key ~ '^[0-9]{6,15}$'),
    ADD COLUMN bsuid varchar(160) CHECK (length(bsuid) BETWEEN 4 AND 160),
    ADD COLUMN parent_bsuid varchar(160) CHECK (length(parent_bsuid) BETWEEN 4 AND 160),
    ADD COLUMN username varchar(100),
    -- Never an active contact nobody can be matched to or answer (a contact
    -- merged into another gives its identities up and is inactive).
    ADD CONSTRAINT contacts_has_identity
        CHECK (NOT is_active OR phone IS NOT NULL OR wa_id IS NOT NULL OR bsuid IS NOT NULL);

-- The number of a contact WhatsApp has written from is WhatsApp's own id
-- for it: inbound senders were stored as `+` and their wa_id's digits.
UPDATE contacts c SET wa_id = substr(c.phone, 2)
 WHERE c.phone IS NOT NULL
   AND EXISTS (SELECT 1 FROM conversations v JOIN messages m
                 ON m.company_id = v.company_id AND m.conversation_id = v.id
               WHERE v.company_id = c.company_id AND v.contact_id = c.id AND m.direction = 'inbound');

CREATE UNIQUE INDEX contacts_wa_key ON contacts (company_id, wa_key) WHERE wa_key IS NOT NULL;
CREATE UNIQUE INDEX contacts_bsuid ON contacts (company_id, bsuid) WHERE bsuid IS NOT NULL;
-- The contacts the key backfill walks, oldest first (after it: duplicates
-- and customers known by BSUID only, a small set; no cost to other writes).
CREATE INDEX contacts_without_key ON contacts (created_at, id) WHERE wa_key IS NULL;
-- Search finds a customer without a number by username.
CREATE INDEX contacts_username_trgm ON contacts USING gin (company_id, username gin_trgm_ops);

-- Numbers agents type: `valid` (in a range the numbering plan assigns) or
-- `possible` (a length the country uses, for ranges newer than the library).
ALTER TABLE companies
    ADD COLUMN number_rule varchar(10) NOT NULL DEFAULT 'valid' CHECK (number_rule IN ('valid', 'possible'));

-- A system line in a chat (e.g. "changed their phone number"), beside the
-- customers' and agents' messages.
ALTER TABLE messages
    ADD COLUMN kind varchar(20) NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'system'));

-- A callback event that could not be applied for a reason of ours is kept
-- with a stable reason, listed for admins and replayed after a fix.
-- `signer_channel_id` is the channel whose secret signed it: a replay may
-- touch only the channels of that secret, as the webhook could. It is not
-- a tenant key (a callback for a number no channel has is kept without a
-- company when the signing secret is shared by several companies).
ALTER TABLE webhook_events
    ADD COLUMN failure_reason varchar(40),
    ADD COLUMN replayed_at timestamptz,
    -- No foreign key: each would lock the channel's row on every callback
    -- (see ..._write_path.sql); a replay treats a missing signer as gone.
    ADD COLUMN signer_channel_id uuid;
UPDATE webhook_events SET failure_reason = 'unapplied' WHERE error IS NOT NULL;
CREATE INDEX webhook_events_failed ON webhook_events (company_id, received_at DESC) WHERE error IS NOT NULL;
