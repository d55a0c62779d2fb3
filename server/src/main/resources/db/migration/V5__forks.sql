-- Forks: a thread made from another one's history up to a message (POST /api/v1/conversations/{id}/fork)
-- names that thread and message. No foreign key: a fork outlives its parent (its messages are copies),
-- and then still says where it came from. Portable SQL: the same migration runs on SQLite and PostgreSQL.
ALTER TABLE conversations ADD COLUMN parent_id VARCHAR(64);
ALTER TABLE conversations ADD COLUMN forked_at_message_id VARCHAR(64);

CREATE INDEX conversations_by_parent ON conversations (parent_id);
