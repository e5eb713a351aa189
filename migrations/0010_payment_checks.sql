-- Payment checks (issue 11): an order whose payment does not match it waits for the merchant
-- ('payment_review'), and each payment event keeps what was paid, on which session, and what we did.
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending_payment', 'paid',
    'fulfilled', 'delivered', 'cancelled', 'refunded', 'expired', 'payment_review'));

ALTER TABLE payment_events
    ADD COLUMN session_id    text,
    ADD COLUMN amount_minor  bigint,
    ADD COLUMN currency      text,
    ADD COLUMN outcome       text;
