-- Product embeddings in half precision where pgvector has it (0.7 and later): 768 bytes a product
-- instead of 1,536. The row then keeps its embedding inline instead of in the TOAST table (an exact
-- scan over 5,000 filtered products no longer looks each one up there: 10.5 -> 6 ms at 50,000
-- products), and the HNSW index halves (103 -> 56 MB) and builds in 5 s instead of 18. Unit vectors
-- lose nothing that ranking can see at half precision (dev-set nDCG@10 the same to three decimals). On an
-- older pgvector the column stays vector(384); the queries pass the query vector untyped, so they work
-- with either type. The conversion rewrites the table once under an exclusive lock: with 0008 it took
-- 19 s at 50,000 products, during which searches wait.
DO $$
BEGIN
    IF string_to_array((SELECT extversion FROM pg_extension WHERE extname = 'vector'), '.')::int[]
       >= ARRAY[0, 7] THEN
        DROP INDEX IF EXISTS products_embedding_hnsw;
        ALTER TABLE products ALTER COLUMN embedding TYPE halfvec(384) USING embedding::halfvec(384);
        CREATE INDEX products_embedding_hnsw ON products USING hnsw (embedding halfvec_cosine_ops);
    END IF;
END $$;
