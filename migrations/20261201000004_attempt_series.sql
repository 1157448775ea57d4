-- An agent's retry starts a new series of automatic attempts (issue 17): a
-- transient failure after it is retried again even when the first series
-- used all of its attempts.
COMMENT ON COLUMN messages.attempts IS
    'Provider calls in the current series (the first send, or an agent''s retry, and the automatic retries after it)';
