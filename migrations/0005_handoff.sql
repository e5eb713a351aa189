-- Human handoff: the Slack thread a shopper's conversation was handed to.
CREATE TABLE IF NOT EXISTS slack_handoffs (
    conversation_id  uuid PRIMARY KEY,
    channel          text NOT NULL,
    thread_ts        text NOT NULL,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    UNIQUE (channel, thread_ts)
);
