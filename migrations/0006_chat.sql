-- Per-session chat rate limit: a fixed one-minute window counter shared by every replica.
CREATE TABLE chat_rate (
    rate_key      text NOT NULL,
    window_start  timestamptz NOT NULL,
    turns         integer NOT NULL,
    PRIMARY KEY (rate_key, window_start)
);

-- `elara chat` in a terminal is a channel of its own (the shopper is named on the command line).
ALTER TABLE customer_identities DROP CONSTRAINT customer_identities_channel_check;
ALTER TABLE customer_identities ADD CONSTRAINT customer_identities_channel_check
    CHECK (channel IN ('web', 'telegram', 'slack', 'email', 'cli'));
