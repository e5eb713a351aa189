-- Anonymous web sessions (POST /api/v1/sessions) cannot be minted without bound:
-- * customers.anonymous marks them, so the live ones can be counted against a cap and the idle ones swept;
-- * session_rate counts creations per client in fixed one-minute windows, shared by every replica (as
--   chat_rate does for chat turns).
ALTER TABLE customers ADD COLUMN anonymous boolean NOT NULL DEFAULT false;

-- existing sessions: a shopper known only by a minted web identity
UPDATE customers c SET anonymous = true
 WHERE c.role = 'shopper' AND c.email IS NULL AND c.display_name IS NULL
   AND EXISTS (SELECT 1 FROM customer_identities i
                WHERE i.customer_id = c.id AND i.channel = 'web' AND i.external_id LIKE 'web\_%')
   AND NOT EXISTS (SELECT 1 FROM customer_identities i WHERE i.customer_id = c.id AND i.channel <> 'web');

CREATE INDEX customers_anonymous_created ON customers (created_at) WHERE anonymous;
-- deleting a customer cascades to its carts: without this index every delete scans carts
CREATE INDEX IF NOT EXISTS carts_customer ON carts (customer_id);

CREATE TABLE session_rate (
    client        text NOT NULL,
    window_start  timestamptz NOT NULL,
    created       integer NOT NULL,
    PRIMARY KEY (client, window_start)
);
