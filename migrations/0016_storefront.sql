-- Storefront (issue 16): discount codes, promotions, shipping rates, taxes per destination, buyer details
-- and saved addresses, the shopper's pricing choices for the open cart, and what each order's total is made
-- of. Nothing configured here leaves every total exactly as before (no discount, no shipping, no tax).
CREATE TABLE discount_codes (
    code                text PRIMARY KEY CHECK (code <> '' AND code = upper(code)),
    title               text NOT NULL DEFAULT '',
    kind                text NOT NULL CHECK (kind IN ('percentage', 'fixed')),
    percent_bp          integer CHECK (percent_bp BETWEEN 1 AND 10000),  -- basis points: 15 % = 1500
    amount_minor        bigint CHECK (amount_minor > 0),
    currency            char(3),
    min_subtotal_minor  bigint NOT NULL DEFAULT 0 CHECK (min_subtotal_minor >= 0),
    stackable           boolean NOT NULL DEFAULT false,
    starts_at           timestamptz,
    ends_at             timestamptz,
    max_uses            integer CHECK (max_uses > 0),
    used                integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    active              boolean NOT NULL DEFAULT true,
    CHECK ((kind = 'percentage' AND percent_bp IS NOT NULL AND amount_minor IS NULL)
        OR (kind = 'fixed' AND amount_minor IS NOT NULL AND currency IS NOT NULL AND percent_bp IS NULL)),
    CHECK (max_uses IS NULL OR used <= max_uses)
);

CREATE TABLE promotions (
    id                  text PRIMARY KEY CHECK (id <> ''),
    title               text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('free_shipping')),
    min_subtotal_minor  bigint CHECK (min_subtotal_minor >= 0),
    currency            char(3),
    product_ids         text[] NOT NULL DEFAULT '{}',
    countries           text[] NOT NULL DEFAULT '{}',
    services            text[] NOT NULL DEFAULT '{}',
    starts_at           timestamptz,
    ends_at             timestamptz,
    active              boolean NOT NULL DEFAULT true
);

CREATE TABLE shipping_rates (
    country      text NOT NULL CHECK (country = '*' OR country ~ '^[A-Z]{2}$'),
    service      text NOT NULL CHECK (service ~ '^[a-z0-9_-]+$'),
    title        text NOT NULL,
    price_minor  bigint NOT NULL CHECK (price_minor >= 0),
    currency     char(3) NOT NULL,
    min_days     integer CHECK (min_days >= 0),
    max_days     integer CHECK (max_days >= 0),
    active       boolean NOT NULL DEFAULT true,
    PRIMARY KEY (country, service, currency)
);

CREATE TABLE tax_rates (
    country           text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region            text NOT NULL DEFAULT '',
    rate_bp           integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    shipping_taxable  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (country, region)
);

ALTER TABLE customers
    ADD COLUMN first_name text,
    ADD COLUMN last_name  text,
    ADD COLUMN phone      text;
CREATE INDEX customers_email ON customers (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE customer_addresses (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    label             text NOT NULL DEFAULT 'home',
    first_name        text,
    last_name         text,
    street_address    text NOT NULL,
    extended_address  text,
    address_locality  text NOT NULL,
    address_region    text,
    postal_code       text NOT NULL,
    address_country   text NOT NULL CHECK (address_country ~ '^[A-Z]{2}$'),
    phone             text,
    is_default        boolean NOT NULL DEFAULT false,
    UNIQUE (customer_id, label)
);
CREATE UNIQUE INDEX customer_addresses_one_default ON customer_addresses (customer_id) WHERE is_default;

-- The chat shopper's choices for the open cart (codes, destination, shipping service).
CREATE TABLE cart_choices (
    cart_id           bigint PRIMARY KEY REFERENCES carts (id) ON DELETE CASCADE,
    discount_codes    text[] NOT NULL DEFAULT '{}',
    country           text,
    region            text,
    shipping_service  text,
    address           jsonb
);

-- What an order's total was made of when it was placed (subtotal, discounts, shipping, tax).
CREATE TABLE order_quotes (
    order_id  uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    quote     jsonb NOT NULL
);
