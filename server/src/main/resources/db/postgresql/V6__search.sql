-- Full-text search over threads (GET /api/v1/conversations?q=...), PostgreSQL's own: a tsvector per
-- message (its content) and per thread (its title), each with a GIN index. Generated columns: PostgreSQL
-- computes them in the statement that writes the row, so the index is always in the messages' transaction.
-- The 'simple' configuration (lower-cased words, no stemming, no stop words) suits threads in any language
-- and matches what SQLite's FTS5 tokenizer does. Only the first 200,000 characters of a message are
-- indexed: a tsvector has a size limit, and a message beyond it must still be stored.
ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, left(content, 200000))) STORED;

CREATE INDEX messages_search ON messages USING GIN (search);

ALTER TABLE conversations ADD COLUMN title_search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(title, ''))) STORED;

CREATE INDEX conversations_title_search ON conversations USING GIN (title_search);
