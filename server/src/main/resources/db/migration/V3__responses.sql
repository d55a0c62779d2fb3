-- OpenAI's stored responses: the messages a response added to its thread (its input items and its reply)
-- carry its id. A response is those messages, never a copy of them. Portable SQL: SQLite and PostgreSQL.
ALTER TABLE messages ADD COLUMN response_id VARCHAR(64);

CREATE INDEX messages_by_response ON messages (response_id);
