-- Realtime events. Every change of a message's existence or status, and of a
-- conversation a sidebar shows, is written to `events` and announced with
-- pg_notify by triggers, so it happens in the transaction that makes the
-- change: a change that rolls back is never announced, a committed one always
-- is, whichever code path (or server process) made it.
--
-- `events` is a short replay window for clients that reconnect with
-- Last-Event-ID; rows older than the window are purged.

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id  uuid NOT NULL REFERENCES companies (id),
    kind        varchar(40) NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX events_replay ON events (company_id, id);
CREATE INDEX events_created_at ON events (created_at);

-- Stores an event and announces it on channel `inbox_events`. The payload
-- holds ids and small fields only: NOTIFY payloads must stay under 8000
-- bytes, and clients fetch anything larger.
CREATE FUNCTION publish_event(company uuid, event_kind text, payload jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    event_id bigint;
BEGIN
    INSERT INTO events (company_id, kind, data) VALUES (company, event_kind, payload)
    RETURNING id INTO event_id;
    PERFORM pg_notify('inbox_events',
        json_build_object('id', event_id, 'companyId', company, 'kind', event_kind, 'data', payload)::text);
END
$$;

CREATE FUNCTION messages_publish() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.is_active THEN
            PERFORM publish_event(NEW.company_id, 'message.created', jsonb_build_object(
                'id', NEW.id, 'conversationId', NEW.conversation_id,
                'direction', NEW.direction, 'status', NEW.status));
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status
          OR NEW.error_message IS DISTINCT FROM OLD.error_message THEN
        PERFORM publish_event(NEW.company_id, 'message.status', jsonb_build_object(
            'id', NEW.id, 'conversationId', NEW.conversation_id, 'status', NEW.status,
            'errorCode', NEW.error_code, 'errorMessage', left(NEW.error_message, 500)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_publish
    AFTER INSERT OR UPDATE OF status, error_message ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_publish();

CREATE FUNCTION conversations_publish() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.is_active AND NOT NEW.is_active THEN
        PERFORM publish_event(NEW.company_id, 'conversation.deleted', jsonb_build_object('id', NEW.id));
        RETURN NULL;
    END IF;
    IF NOT NEW.is_active THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE'
       AND NEW.last_message_id IS NOT DISTINCT FROM OLD.last_message_id
       AND NEW.last_message_preview IS NOT DISTINCT FROM OLD.last_message_preview
       AND NEW.last_message_time IS NOT DISTINCT FROM OLD.last_message_time
       AND NEW.unread_count = OLD.unread_count
       AND NEW.is_favorite = OLD.is_favorite
       AND NEW.is_archived = OLD.is_archived
       AND NEW.assigned_to_user_id IS NOT DISTINCT FROM OLD.assigned_to_user_id THEN
        RETURN NULL;
    END IF;
    PERFORM publish_event(NEW.company_id, 'conversation.updated', jsonb_build_object(
        'id', NEW.id,
        'lastMessageId', NEW.last_message_id,
        'lastMessagePreview', NEW.last_message_preview,
        'lastMessageTime', NEW.last_message_time,
        'unreadCount', NEW.unread_count,
        'isFavorite', NEW.is_favorite,
        'isArchived', NEW.is_archived,
        'assignedToUserId', NEW.assigned_to_user_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER conversations_publish
    AFTER INSERT OR UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversations_publish();
