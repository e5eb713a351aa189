-- How many active variants a product has, kept by the same deferred trigger as its option terms (it
-- fires on exactly the changes that alter the count: variants added, removed, (de)activated or moved).
-- A search without variant filters then tests the product row instead of probing the variants of each
-- candidate (1,000 probes per full-text tier at 50,000 products).
ALTER TABLE products ADD COLUMN active_variants integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION elara_refresh_option_terms(product text) RETURNS void
LANGUAGE sql
BEGIN ATOMIC
    WITH fresh AS (
        SELECT coalesce(array_agg(DISTINCT t ORDER BY t) FILTER (WHERE t IS NOT NULL), '{}') AS terms,
               count(DISTINCT v.sku)::integer AS active
        FROM variants v LEFT JOIN LATERAL unnest(v.option_terms) t ON true
        WHERE v.product_id = product AND v.active
    )
    UPDATE products p SET option_terms = fresh.terms, active_variants = fresh.active FROM fresh
    WHERE p.id = product
      AND (p.option_terms, p.active_variants) IS DISTINCT FROM (fresh.terms, fresh.active);
END;

UPDATE products p SET active_variants = (
    SELECT count(*) FROM variants v WHERE v.product_id = p.id AND v.active
);
