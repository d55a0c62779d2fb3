-- Saved conversations. Portable SQL: the same migration runs on SQLite and PostgreSQL.
CREATE TABLE conversations (
    id            VARCHAR(64)  PRIMARY KEY,
    owner         VARCHAR(128) NOT NULL,
    title         TEXT,
    system_prompt TEXT,
    metadata      TEXT         NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);

CREATE INDEX conversations_by_owner ON conversations (owner, created_at, id);

CREATE TABLE messages (
    id                   VARCHAR(64) PRIMARY KEY,
    conversation_id      VARCHAR(64) NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position             INTEGER     NOT NULL,
    role                 VARCHAR(16) NOT NULL,
    content              TEXT        NOT NULL,
    thinking             TEXT,
    prompt_tokens        INTEGER,
    cached_prompt_tokens INTEGER,
    completion_tokens    INTEGER,
    reasoning_tokens     INTEGER,
    finish_reason        VARCHAR(16),
    created_at           BIGINT      NOT NULL,
    -- Two exchanges racing for the same thread cannot both append at one position.
    CONSTRAINT messages_position UNIQUE (conversation_id, position)
);
