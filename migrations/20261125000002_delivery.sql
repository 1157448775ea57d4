-- Delivery that survives faults: automatic retries of transient provider
-- failures, and statuses that arrive before the message's provider id.

-- A transient failure schedules the next attempt; the retry worker claims
-- due rows with FOR UPDATE SKIP LOCKED, so several processes can run it.
ALTER TABLE messages ADD COLUMN next_attempt_at timestamptz;
CREATE INDEX messages_retry_due ON messages (next_attempt_at)
    WHERE status = 'sending' AND next_attempt_at IS NOT NULL;

-- A webhook can report on a message before the send has recorded the
-- provider's id for it (the provider answers the webhook faster than our
-- own request). Such statuses wait here and are applied when the id is
-- recorded.
CREATE TABLE pending_statuses (
    company_id           uuid NOT NULL REFERENCES companies (id),
    provider_message_id  varchar(255) NOT NULL,
    status               varchar(50) NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error_code           varchar(100),
    error_message        text,
    received_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, provider_message_id, status)
);
CREATE INDEX pending_statuses_received_at ON pending_statuses (received_at);
