-- context_overflow "summarize": a thread's overflow policy (its setting; null: the route's default) and the
-- summary the model wrote of its oldest messages, up to and including the message at through_position.
-- One row per thread, replaced when a later turn summarises further. Portable SQL (SQLite and PostgreSQL).
CREATE TABLE thread_context (
    conversation_id    VARCHAR(64) PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    context_overflow   VARCHAR(16),
    summary            TEXT,
    summary_through    INTEGER,
    summary_message_id VARCHAR(64),
    summary_at         BIGINT
);
