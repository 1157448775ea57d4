-- Inbox schema. Every table carries company_id and every unique key that a
-- tenant's data can collide on includes it, so the schema can be distributed
-- by company_id (Citus) when one PostgreSQL is not enough.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE companies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    company_id     uuid NOT NULL REFERENCES companies (id),
    -- Stored lower-cased; login compares lower-cased input.
    email          text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    display_name   text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    password_hash  text NOT NULL,
    role           text NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent')),
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_per_company UNIQUE (company_id, email),
    -- Lets other tables point at (company_id, id) so a row can never reference
    -- another company's user.
    CONSTRAINT users_company_id_id UNIQUE (company_id, id)
);
CREATE INDEX users_email ON users (email);

-- Browser sessions. Only a SHA-256 of the cookie's random value is stored.
CREATE TABLE sessions (
    token_hash    bytea PRIMARY KEY,
    company_id    uuid NOT NULL REFERENCES companies (id),
    user_id       uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (company_id, user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Integrators' bearer tokens, acting as the user who created them. Only a
-- SHA-256 of the token is stored; it is shown once at creation.
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY,
    company_id    uuid NOT NULL REFERENCES companies (id),
    user_id       uuid NOT NULL,
    label         text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id)
);
CREATE INDEX api_tokens_company ON api_tokens (company_id);

-- A company's WhatsApp number at a provider.
CREATE TABLE channels (
    id               uuid PRIMARY KEY,
    company_id       uuid NOT NULL REFERENCES companies (id),
    provider         text NOT NULL CHECK (provider IN ('meta', 'twilio', 'sandbox')),
    name             text NOT NULL DEFAULT '',
    -- The business number in E.164, shown to agents.
    phone_number     text,
    -- Meta: the phone number id; Twilio: the sender ("whatsapp:+1..."); sandbox: any id.
    -- Webhooks name the channel by it, so it routes to exactly one channel.
    external_id      text NOT NULL,
    -- Provider secrets (access token, auth token, account sid). Never logged,
    -- never returned by the API.
    credentials      jsonb NOT NULL DEFAULT '{}'::jsonb,
    verify_token     text,
    app_secret       text,
    is_default       boolean NOT NULL DEFAULT false,
    is_active        boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT channels_company_id_id UNIQUE (company_id, id),
    -- Channels are a small routing table (a Citus reference table): the webhook
    -- learns the company from this key, so it is unique across companies.
    CONSTRAINT channels_provider_external_id UNIQUE (provider, external_id)
);
-- At most one default channel per company: sends without a channel use it.
CREATE UNIQUE INDEX channels_one_default ON channels (company_id) WHERE is_default AND is_active;

CREATE TABLE contacts (
    id           uuid PRIMARY KEY,
    company_id   uuid NOT NULL REFERENCES companies (id),
    phone        varchar(20) NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{5,14}$'),
    name         varchar(255),
    avatar       varchar(255),
    is_group     boolean NOT NULL DEFAULT false,
    presence     varchar(50) CHECK (presence IN ('online', 'offline', 'away')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid REFERENCES users (id),
    updated_by   uuid REFERENCES users (id),
    is_active    boolean NOT NULL DEFAULT true,
    CONSTRAINT unique_contact_per_company UNIQUE (company_id, phone),
    CONSTRAINT contacts_company_id_id UNIQUE (company_id, id)
);
CREATE INDEX contacts_company_active ON contacts (company_id, is_active);
CREATE INDEX contacts_company_name ON contacts (company_id, name);
-- Search by any fragment of a name or number, always within one company:
-- composite (company_id, trigram) GIN indexes need btree_gin.
CREATE INDEX contacts_name_trgm ON contacts USING gin (company_id, name gin_trgm_ops);
CREATE INDEX contacts_phone_trgm ON contacts USING gin (company_id, phone gin_trgm_ops);

CREATE TABLE conversations (
    id                    uuid PRIMARY KEY,
    company_id            uuid NOT NULL REFERENCES companies (id),
    contact_id            uuid NOT NULL,
    last_message_id       uuid,
    last_message_preview  varchar(255),
    -- When the last message was sent or received; the creation time while
    -- there is none. Never null, so keyset paging needs no NULL handling.
    last_message_time     timestamptz NOT NULL DEFAULT now(),
    unread_count          integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    is_favorite           boolean NOT NULL DEFAULT false,
    is_archived           boolean NOT NULL DEFAULT false,
    assigned_to_user_id   uuid,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    created_by            uuid REFERENCES users (id),
    updated_by            uuid REFERENCES users (id),
    is_active             boolean NOT NULL DEFAULT true,
    CONSTRAINT unique_conversation_per_company UNIQUE (company_id, contact_id),
    CONSTRAINT conversations_company_id_id UNIQUE (company_id, id),
    CONSTRAINT fk_conversations_contact FOREIGN KEY (company_id, contact_id)
        REFERENCES contacts (company_id, id),
    -- The assignee must be a user of the same company.
    CONSTRAINT fk_conversations_assigned_user FOREIGN KEY (company_id, assigned_to_user_id)
        REFERENCES users (company_id, id)
);
CREATE INDEX conversations_company_active_archived ON conversations (company_id, is_active, is_archived);
CREATE INDEX conversations_company_favorite ON conversations (company_id, is_favorite, is_active);
CREATE INDEX conversations_company_unread ON conversations (company_id, unread_count);
CREATE INDEX conversations_assignee ON conversations (assigned_to_user_id, company_id);
-- The conversation list: newest first within (company, archived), walked in
-- index order by the keyset (last_message_time, id).
CREATE INDEX conversations_list_keyset
    ON conversations (company_id, is_archived, last_message_time DESC, id DESC)
    WHERE is_active;

CREATE TABLE messages (
    id                    uuid PRIMARY KEY,
    conversation_id       uuid NOT NULL,
    company_id            uuid NOT NULL REFERENCES companies (id),
    contact_id            uuid NOT NULL,
    channel_id            uuid,
    direction             varchar(20) NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    status                varchar(50) NOT NULL DEFAULT 'sending'
                              CHECK (status IN ('sending', 'sent', 'delivered', 'read', 'failed')),
    content               text NOT NULL,
    media_url             varchar(2048),
    media_type            varchar(50) CHECK (media_type IN ('image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'other')),
    provider_message_id   varchar(255),
    provider_status       varchar(50),
    error_code            varchar(100),
    error_message         text,
    -- Idempotency key of the client that sent it: a repeated key is a duplicate send.
    client_key            varchar(128),
    -- How many times the provider was asked to send it.
    attempts              integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    created_by            uuid REFERENCES users (id),
    updated_by            uuid REFERENCES users (id),
    is_active             boolean NOT NULL DEFAULT true,
    CONSTRAINT fk_messages_conversation FOREIGN KEY (company_id, conversation_id)
        REFERENCES conversations (company_id, id),
    CONSTRAINT fk_messages_contact FOREIGN KEY (company_id, contact_id)
        REFERENCES contacts (company_id, id),
    CONSTRAINT fk_messages_channel FOREIGN KEY (company_id, channel_id)
        REFERENCES channels (company_id, id),
    CONSTRAINT messages_client_key_per_company UNIQUE (company_id, client_key),
    CONSTRAINT messages_provider_id_per_company UNIQUE (company_id, provider_message_id)
);
-- The message page: newest first, keyset (created_at, id), active rows only.
CREATE INDEX messages_page_keyset
    ON messages (conversation_id, created_at DESC, id DESC)
    WHERE is_active;
CREATE INDEX messages_company_status ON messages (company_id, status);
-- Webhooks name a message by the provider's id only.
CREATE INDEX messages_provider_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_conversation_active ON messages (conversation_id, is_active);
-- The sweeper looks for messages stuck in 'sending'.
CREATE INDEX messages_sending ON messages (updated_at) WHERE status = 'sending';

-- The conversation's last message; deferred because the send flow writes the
-- conversation (pointing at the new message) before the message itself.
ALTER TABLE conversations
    ADD CONSTRAINT fk_conversations_last_message FOREIGN KEY (last_message_id)
        REFERENCES messages (id) DEFERRABLE INITIALLY DEFERRED;

-- Raw provider callbacks, kept for audit and to drop duplicates.
CREATE TABLE webhook_events (
    id               uuid PRIMARY KEY,
    -- Null when the payload named no channel we know.
    company_id       uuid REFERENCES companies (id),
    channel_id       uuid,
    provider         text NOT NULL CHECK (provider IN ('meta', 'twilio', 'sandbox')),
    -- A hash of the raw body: the same delivery twice is stored once.
    payload_sha256   bytea NOT NULL,
    payload          jsonb NOT NULL,
    signature_valid  boolean NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    processed_at     timestamptz,
    error            text,
    CONSTRAINT webhook_events_dedupe UNIQUE (provider, payload_sha256),
    FOREIGN KEY (company_id, channel_id) REFERENCES channels (company_id, id)
);
CREATE INDEX webhook_events_company_received ON webhook_events (company_id, received_at DESC);
