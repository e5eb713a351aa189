-- Policy probes (issue 13): what a store-policy question is compared with besides the whole passage.
-- 'title': the passage's heading; 'sentence': each of its sentences (a short question matches one
-- sentence better than the whole text); 'topic': an example question of a common policy topic (delivery
-- times, refunds, gift wrapping...), filed under the passage that covers the topic, or under no passage
-- (policy_id NULL) when the store's text covers no such topic: a question nearest those is not covered.
-- Written by `policies.service.import_policies`; passages imported before this migration have no probes
-- and rank on their whole-text embedding and full text until they are imported again.
CREATE TABLE store_policy_probes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    policy_id  bigint REFERENCES store_policies (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('title', 'sentence', 'topic')),
    label      text NOT NULL DEFAULT '',  -- the topic's name ('topic' probes)
    text       text NOT NULL,
    embedding  vector(384) NOT NULL,
    CHECK (policy_id IS NOT NULL OR kind = 'topic')
);
CREATE INDEX store_policy_probes_policy_idx ON store_policy_probes (policy_id);
