-- Commerce: customers, identities, carts, orders, payments, returns.
CREATE TABLE customers (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name  text,
    email         text,
    role          text NOT NULL DEFAULT 'shopper' CHECK (role IN ('shopper', 'merchant', 'admin')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_identities (
    id           bigserial PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel      text NOT NULL CHECK (channel IN ('web', 'telegram', 'slack', 'email')),
    external_id  text NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, external_id)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE carts (
    id           bigserial PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'checked_out')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX carts_one_open ON carts (customer_id) WHERE status = 'open';

CREATE TABLE cart_lines (
    cart_id   bigint NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    sku       text NOT NULL REFERENCES variants (sku),
    quantity  integer NOT NULL CHECK (quantity > 0),
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, sku)
);

CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number              text NOT NULL UNIQUE,
    customer_id         uuid NOT NULL REFERENCES customers (id),
    status              text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'fulfilled',
                            'delivered', 'cancelled', 'refunded', 'expired')),
    currency            char(3) NOT NULL,
    total_minor         bigint NOT NULL CHECK (total_minor >= 0),
    reserved_until      timestamptz,
    stock_reserved      boolean NOT NULL DEFAULT true,
    tracking            text[] NOT NULL DEFAULT '{}',
    shipping_address    jsonb,
    payment_provider    text,
    payment_session_id  text,
    payment_url         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders (customer_id, created_at DESC);
CREATE INDEX orders_pending ON orders (reserved_until) WHERE status = 'pending_payment';
CREATE INDEX orders_created ON orders (created_at);

CREATE TABLE order_lines (
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    sku               text NOT NULL,
    product_id        text NOT NULL,
    title             text NOT NULL,
    options           jsonb NOT NULL DEFAULT '{}'::jsonb,
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, sku)
);

CREATE TABLE order_events (
    id          bigserial PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status      text NOT NULL,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE payments (
    id            bigserial PRIMARY KEY,
    order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    provider      text NOT NULL,
    session_id    text NOT NULL,
    amount_minor  bigint NOT NULL,
    currency      char(3) NOT NULL,
    status        text NOT NULL DEFAULT 'open',
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, session_id)
);

CREATE TABLE payment_events (
    id                 bigserial PRIMARY KEY,
    provider           text NOT NULL,
    provider_event_id  text NOT NULL UNIQUE,
    order_id           uuid REFERENCES orders (id) ON DELETE CASCADE,
    kind               text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE processed_webhooks (
    provider      text NOT NULL,
    event_id      text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);

CREATE TABLE returns (
    id          bigserial PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    skus        text[] NOT NULL,
    reason      text,
    status      text NOT NULL DEFAULT 'requested',
    created_at  timestamptz NOT NULL DEFAULT now()
);
