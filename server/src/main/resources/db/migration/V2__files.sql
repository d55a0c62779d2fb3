-- Files uploaded as conversation context. The extracted text is kept (extracted once, at upload); the
-- original bytes are not. Portable SQL: the same migration runs on SQLite and PostgreSQL.
CREATE TABLE files (
    id         VARCHAR(64)  PRIMARY KEY,
    owner      VARCHAR(128) NOT NULL,
    name       VARCHAR(255) NOT NULL,
    media_type VARCHAR(128) NOT NULL,
    bytes      BIGINT       NOT NULL,
    sha256     VARCHAR(64)  NOT NULL,
    text       TEXT         NOT NULL,
    characters INTEGER      NOT NULL,
    tokens     INTEGER      NOT NULL,
    created_at BIGINT       NOT NULL
);

CREATE INDEX files_by_owner ON files (owner, created_at, id);

-- Which files a stored message referenced, in order: references, never copies of the text. A file
-- referenced here cannot be deleted (the foreign key refuses it; the API answers 409).
CREATE TABLE message_files (
    message_id VARCHAR(64) NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position   INTEGER     NOT NULL,
    file_id    VARCHAR(64) NOT NULL REFERENCES files (id),
    PRIMARY KEY (message_id, position)
);

CREATE INDEX message_files_by_file ON message_files (file_id);

-- Files a thread carries for all its turns, in order.
CREATE TABLE conversation_files (
    conversation_id VARCHAR(64) NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position        INTEGER     NOT NULL,
    file_id         VARCHAR(64) NOT NULL REFERENCES files (id),
    PRIMARY KEY (conversation_id, position)
);

CREATE INDEX conversation_files_by_file ON conversation_files (file_id);
