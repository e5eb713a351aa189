-- Typo tolerance for product search (issue 14: "spaonges" found playground swings). The catalog's own words
-- (titles, categories, brands, descriptions: lower-case, letters only, 3+ long; a word any product has is
-- never "corrected") in a table with a trigram index; a query
-- word the catalog does not have is matched to its nearest catalog word by pg_trgm similarity and searched
-- as either (retrieval/search.py, `corrections`). Kept by statement triggers with transition tables, so an
-- import of thousands of products adds its words in one statement per insert or update; the words of
-- deleted products stay (a spare correction target finds nothing, which costs nothing).
-- pg_trgm ships with the embedded PostgreSQL and every packaged server; a server without it (the older
-- `pgserver` wheel) keeps the lexicon and searches without corrections (`corrections` checks).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
END $$;

CREATE TABLE search_lexicon (word text PRIMARY KEY);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX search_lexicon_trgm ON search_lexicon USING gin (word gin_trgm_ops);
    END IF;
END $$;

CREATE FUNCTION elara_lexicon_words(doc text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(doc), '[^a-z]+') w WHERE length(w) >= 3
$$;

CREATE FUNCTION elara_lexicon_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_lexicon (word)
    SELECT DISTINCT w
    FROM changed p, elara_lexicon_words(concat_ws(' ', p.title, p.category, p.brand, p.description)) w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

-- an update adds the words of the products whose text changed (not of every option-terms refresh)
CREATE FUNCTION elara_lexicon_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_lexicon (word)
    SELECT DISTINCT w
    FROM changed p JOIN before b USING (id),
         elara_lexicon_words(concat_ws(' ', p.title, p.category, p.brand, p.description)) w
    WHERE (p.title, p.category, p.brand, p.description)
          IS DISTINCT FROM (b.title, b.category, b.brand, b.description)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER products_lexicon_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION elara_lexicon_add();
CREATE TRIGGER products_lexicon_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS before NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION elara_lexicon_update();

INSERT INTO search_lexicon (word)
SELECT DISTINCT w
FROM products p, elara_lexicon_words(concat_ws(' ', p.title, p.category, p.brand, p.description)) w
ON CONFLICT DO NOTHING;
