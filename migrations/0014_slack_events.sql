-- Slack: the event ids already handled (Slack retries an event it thinks went unanswered, with
-- X-Slack-Retry-Num). Kept in the database, not in one process's memory, so a retry that lands on another
-- replica is recognised too; pruned after a day (Slack gives up retrying after about an hour).
CREATE TABLE IF NOT EXISTS slack_events (
    event_id     text        PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS slack_events_received_at ON slack_events (received_at);
