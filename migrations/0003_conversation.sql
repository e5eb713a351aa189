-- Conversation memory lives in our own tables (not the LangGraph checkpointer): a turn's memory is written in
-- the same transaction as the cart/order changes it made, so a failed turn leaves neither behind, and every
-- replica sees the same conversation.
CREATE TABLE conversations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel           text NOT NULL,
    conversation_key  text NOT NULL,
    customer_id       uuid REFERENCES customers (id) ON DELETE SET NULL,
    state             jsonb NOT NULL DEFAULT '{}'::jsonb,  -- shown products, pending confirmation, handoff
    summary           text NOT NULL DEFAULT '',            -- compact summary of trimmed turns
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, conversation_key)
);
CREATE INDEX conversations_customer_idx ON conversations (customer_id);

CREATE TABLE conversation_messages (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('user', 'assistant', 'tool', 'human_agent', 'system')),
    text             text NOT NULL DEFAULT '',
    parts            jsonb NOT NULL DEFAULT '[]'::jsonb,
    tool_calls       jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversation_messages_conv_idx ON conversation_messages (conversation_id, id);

CREATE TABLE store_policies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text NOT NULL UNIQUE,
    body        text NOT NULL,
    embedding   vector(384),
    search_tsv  tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(body, '')), 'B')
    ) STORED
);
CREATE INDEX store_policies_tsv_idx ON store_policies USING gin (search_tsv);
