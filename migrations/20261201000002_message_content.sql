-- Typed message content (`inbox_types::MessageContent`): `kind` is its
-- `type` tag and `payload` the content as JSON, beside `content`, the plain
-- text rendering that previews and search read. A text message's payload
-- is its `content` alone, so it is stored once: `payload` is NULL exactly
-- for kind `text` (every row before this migration but system lines).
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages
    ADD COLUMN payload jsonb,
    -- The provider's id of the message this one replies to (WhatsApp's context.id).
    ADD COLUMN reply_to varchar(255);

UPDATE messages SET payload = jsonb_build_object('type', 'system', 'body', content) WHERE kind = 'system';

-- The kinds are MessageKind's (a test inserts each one).
ALTER TABLE messages
    ADD CONSTRAINT messages_kind_check CHECK (kind IN (
        'text', 'system', 'image', 'video', 'audio', 'document', 'sticker',
        'reaction', 'location', 'contacts', 'choice', 'unsupported')),
    ADD CONSTRAINT messages_payload_is_kind CHECK (
        CASE WHEN kind = 'text' THEN payload IS NULL ELSE payload IS NOT NULL AND payload->>'type' IS NOT DISTINCT FROM kind END);
