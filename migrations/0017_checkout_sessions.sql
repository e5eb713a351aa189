-- Checkout sessions (issue 16): a platform's checkout (UCP) before it becomes an order, and the
-- Idempotency-Key records of the protocol's state-changing requests (kept 24 hours).
CREATE TABLE checkout_sessions (
    id                    text PRIMARY KEY,
    status                text NOT NULL CHECK (status IN ('incomplete', 'requires_escalation',
                              'ready_for_complete', 'complete_in_progress', 'completed', 'canceled')),
    currency              char(3) NOT NULL,
    lines                 jsonb NOT NULL,          -- [{"id": "li_1", "sku": ..., "quantity": n}]
    buyer                 jsonb,
    discount_codes        text[] NOT NULL DEFAULT '{}',
    destinations          jsonb NOT NULL DEFAULT '[]'::jsonb,
    selected_destination  text,
    shipping_service      text,
    customer_id           uuid REFERENCES customers (id),
    order_id              uuid REFERENCES orders (id),
    platform_profile      text,
    webhook_url           text,
    expires_at            timestamptz NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkout_sessions_order ON checkout_sessions (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE idempotency_keys (
    key           text NOT NULL,
    operation     text NOT NULL,     -- method and path template: a key is scoped to one operation
    request_hash  text NOT NULL,
    status_code   integer NOT NULL,
    body          jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, operation)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
