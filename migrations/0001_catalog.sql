-- Catalog: products, variants, search log. Embeddings are all-MiniLM-L6-v2 (384 dimensions).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE products (
    id            text PRIMARY KEY,
    title         text NOT NULL CHECK (length(title) > 0),
    description   text NOT NULL DEFAULT '',
    brand         text,
    category      text NOT NULL DEFAULT '',          -- a path: "Outdoor > Footwear"
    attributes    jsonb NOT NULL DEFAULT '{}'::jsonb,
    image_url     text,
    option_text   text NOT NULL DEFAULT '',          -- every variant option value, for search
    content_hash  text NOT NULL DEFAULT '',          -- hash of the embedded text; re-embed when it changes
    embedding     vector(384),
    search_tsv    tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(category, '') || ' ' || coalesce(brand, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(option_text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(description, '')), 'C')
    ) STORED,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_embedding_hnsw ON products USING hnsw (embedding vector_cosine_ops);
CREATE INDEX products_search_tsv ON products USING gin (search_tsv);
CREATE INDEX products_category ON products (lower(category) text_pattern_ops);

CREATE TABLE variants (
    sku          text PRIMARY KEY,
    product_id   text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    options      jsonb NOT NULL DEFAULT '{}'::jsonb,   -- {"size": "10", "color": "black"}
    price_minor  bigint NOT NULL CHECK (price_minor >= 0),
    currency     char(3) NOT NULL DEFAULT 'USD',
    stock        integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    active       boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX variants_product ON variants (product_id);
CREATE INDEX variants_price ON variants (price_minor);
CREATE INDEX variants_options ON variants USING gin (options jsonb_path_ops);

-- What shoppers searched for (feeds "most asked-for products that are out of stock").
CREATE TABLE search_log (
    id           bigserial PRIMARY KEY,
    query        text NOT NULL,
    filters      jsonb NOT NULL DEFAULT '{}'::jsonb,
    result_ids   text[] NOT NULL DEFAULT '{}',
    in_stock_ids text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX search_log_created ON search_log (created_at);
