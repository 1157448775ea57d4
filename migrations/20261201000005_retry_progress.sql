-- A message that failed transiently shows its automatic retries (issue 17):
-- "Retrying (attempt 2 of 5)…". `message.status` events carry the attempt
-- and when the next one is due, and are also announced when only those
-- change (a retry scheduled, or started), not just the status or error.
--
-- `attempt` is the attempt scheduled or running: `attempts` counts the
-- provider calls begun in the current series, and a scheduled one is not
-- begun yet (the API computes it the same way, in `messages::message_columns`).
--
-- The write path stays as cheap: a send that succeeds at once never sets
-- `next_attempt_at`, so it fires this trigger exactly as often as before,
-- and the two new fields are read from the row at hand.
CREATE OR REPLACE FUNCTION messages_publish() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.is_active THEN
            PERFORM publish_event(NEW.company_id, 'message.created', jsonb_build_object(
                'id', NEW.id, 'conversationId', NEW.conversation_id,
                'direction', NEW.direction, 'status', NEW.status));
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status
          OR NEW.error_message IS DISTINCT FROM OLD.error_message
          OR NEW.next_attempt_at IS DISTINCT FROM OLD.next_attempt_at THEN
        PERFORM publish_event(NEW.company_id, 'message.status', jsonb_build_object(
            'id', NEW.id, 'conversationId', NEW.conversation_id, 'status', NEW.status,
            'errorCode', NEW.error_code, 'errorMessage', left(NEW.error_message, 500),
            'attempt', NEW.attempts + (NEW.next_attempt_at IS NOT NULL)::int,
            'nextAttemptAt', NEW.next_attempt_at));
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER messages_publish ON messages;
CREATE TRIGGER messages_publish
    AFTER INSERT OR UPDATE OF status, error_message, next_attempt_at ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_publish();
