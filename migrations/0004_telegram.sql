-- Telegram: the updates the webhook accepted, per bot (Telegram retries any non-2xx answer and has no
-- timestamp to check, so a repeated update_id is answered 200 and not processed again).
CREATE TABLE IF NOT EXISTS telegram_updates (
    bot_id       text        NOT NULL,
    update_id    bigint      NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX IF NOT EXISTS telegram_updates_received_at ON telegram_updates (received_at);
