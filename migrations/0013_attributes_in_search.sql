-- Product attributes become searchable (issue 14): their values (strings and numbers: a model number, a
-- gauge, "stainless steel") join the full-text vector at weight B, beside the category, brand and options;
-- the title stays A and the description C. Before, a model number or a spec kept only in `attributes` could
-- not be found by text at all. The generated column is redefined, which rewrites the table once (seconds at
-- 50,000 products), and its GIN index is rebuilt.
ALTER TABLE products DROP COLUMN search_tsv;
ALTER TABLE products ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(category, '') || ' ' || coalesce(brand, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(option_text, '')), 'B') ||
    setweight(jsonb_to_tsvector('english', attributes, '["string", "numeric"]'), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C')
) STORED;
CREATE INDEX products_search_tsv ON products USING gin (search_tsv);
