-- What each owner (an API key's owner in the keys file) has used: tokens, requests, and credits in
-- millionths (whole numbers, so that concurrent charges add up exactly: UPDATE ... SET x = x + ?).
-- Portable SQL: the same migration runs on SQLite and PostgreSQL.
CREATE TABLE owner_usage (
    owner                VARCHAR(128) PRIMARY KEY,
    requests             BIGINT       NOT NULL,
    prompt_tokens        BIGINT       NOT NULL,
    cached_prompt_tokens BIGINT       NOT NULL,
    completion_tokens    BIGINT       NOT NULL,
    credit_micros        BIGINT       NOT NULL,
    updated_at           BIGINT       NOT NULL
);
