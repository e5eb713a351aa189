-- UCP carts (issue 16): a cart is a session of kind 'cart' (line items, buyer, codes; no fulfillment or
-- payment) that a checkout can start from (cart_id: one open checkout per cart).
ALTER TABLE checkout_sessions
    ADD COLUMN kind     text NOT NULL DEFAULT 'checkout' CHECK (kind IN ('checkout', 'cart')),
    ADD COLUMN cart_id  text REFERENCES checkout_sessions (id);
CREATE INDEX checkout_sessions_cart ON checkout_sessions (cart_id) WHERE cart_id IS NOT NULL;
