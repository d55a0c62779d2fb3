-- Full-text search over threads (GET /api/v1/conversations?q=...), SQLite's own: FTS5. One document per
-- message (its content) and one per thread (its title). search_docs gives each document a stable integer
-- id, the FTS row's rowid: messages have text keys, and their implicit rowids may change on VACUUM.
-- Triggers keep the index in the transaction that writes the messages, so a search never sees a message
-- the thread does not have, nor misses one it has. Only the first 200,000 characters of a message are
-- indexed (PostgreSQL's tsvector has a size limit; both stores index the same text).
CREATE TABLE search_docs (
    id              INTEGER     PRIMARY KEY,
    doc             VARCHAR(80) NOT NULL UNIQUE,
    conversation_id VARCHAR(64) NOT NULL
);

CREATE INDEX search_docs_by_conversation ON search_docs (conversation_id);

CREATE VIRTUAL TABLE search_text USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');

-- What was stored before this migration.
INSERT INTO search_docs (doc, conversation_id) SELECT 't:' || id, id FROM conversations;
INSERT INTO search_docs (doc, conversation_id) SELECT 'm:' || id, conversation_id FROM messages;
INSERT INTO search_text (rowid, body) SELECT d.id, COALESCE(c.title, '') FROM search_docs d JOIN conversations c ON d.doc = 't:' || c.id;
INSERT INTO search_text (rowid, body) SELECT d.id, substr(m.content, 1, 200000) FROM search_docs d JOIN messages m ON d.doc = 'm:' || m.id;

CREATE TRIGGER conversations_search_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO search_docs (doc, conversation_id) VALUES ('t:' || new.id, new.id);
    INSERT INTO search_text (rowid, body) VALUES ((SELECT id FROM search_docs WHERE doc = 't:' || new.id), COALESCE(new.title, ''));
END;

CREATE TRIGGER conversations_search_title AFTER UPDATE OF title ON conversations BEGIN
    UPDATE search_text SET body = COALESCE(new.title, '') WHERE rowid = (SELECT id FROM search_docs WHERE doc = 't:' || new.id);
END;

-- The thread's documents, its messages' too: however its messages go (the store deletes them first; the
-- foreign key's cascade may too), none stays behind.
CREATE TRIGGER conversations_search_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM search_text WHERE rowid IN (SELECT id FROM search_docs WHERE conversation_id = old.id);
    DELETE FROM search_docs WHERE conversation_id = old.id;
END;

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search_docs (doc, conversation_id) VALUES ('m:' || new.id, new.conversation_id);
    INSERT INTO search_text (rowid, body) VALUES ((SELECT id FROM search_docs WHERE doc = 'm:' || new.id), substr(new.content, 1, 200000));
END;

CREATE TRIGGER messages_search_content AFTER UPDATE OF content ON messages BEGIN
    UPDATE search_text SET body = substr(new.content, 1, 200000) WHERE rowid = (SELECT id FROM search_docs WHERE doc = 'm:' || new.id);
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search_text WHERE rowid = (SELECT id FROM search_docs WHERE doc = 'm:' || old.id);
    DELETE FROM search_docs WHERE doc = 'm:' || old.id;
END;
