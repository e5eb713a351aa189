-- The charge journal (issue 16, Stripe handler): each PaymentIntent charge attempt of a checkout session,
-- written and committed BEFORE Stripe is called. 'settled' is set in the order's own transaction; a row
-- still 'pending' after the grace period is reconciled against Stripe: a charge without its order is
-- refunded ('refunded'), one that never took money is 'failed'.
CREATE TABLE charge_journal (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    checkout_session_id  text NOT NULL,         -- no foreign key: the completion holds that row FOR UPDATE
    idempotency_key      text NOT NULL UNIQUE,  -- Stripe's: one row per charge (a retried charge reuses it)
    amount_minor         bigint NOT NULL CHECK (amount_minor >= 0),
    currency             char(3) NOT NULL,
    status               text NOT NULL DEFAULT 'pending'
                             CHECK (status IN ('pending', 'settled', 'refunded', 'failed')),
    intent_id            text,                  -- the PaymentIntent, once Stripe answered
    order_id             uuid REFERENCES orders (id),
    detail               text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charge_journal_pending ON charge_journal (created_at) WHERE status = 'pending';
CREATE INDEX charge_journal_session ON charge_journal (checkout_session_id);
CREATE INDEX charge_journal_intent ON charge_journal (intent_id) WHERE intent_id IS NOT NULL;
