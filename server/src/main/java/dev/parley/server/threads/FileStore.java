package dev.parley.server.threads;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Uploaded files in the thread store's database: their metadata and extracted text, per owner. A file
 * that a thread or a stored message references cannot be deleted: {@link #delete} says which threads hold it.
 */
public final class FileStore {

    private static final String COLUMNS = "id, owner, name, media_type, bytes, sha256, characters, tokens, created_at";

    private final ThreadStore db;

    FileStore(ThreadStore db) {
        this.db = db;
    }

    /** A file's metadata and its text. */
    public record FileText(StoredFile file, String text) {}

    public StoredFile add(String owner, String name, String mediaType, long bytes, String sha256, String text, int tokens) {
        StoredFile f = new StoredFile(ThreadStore.newId("file_"), owner, name, mediaType, bytes, sha256, text.length(), tokens,
                System.currentTimeMillis());
        db.inTransaction("store a file", con -> {
            try (PreparedStatement s = con.prepareStatement("INSERT INTO files (" + COLUMNS + ", text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                s.setString(1, f.id());
                s.setString(2, f.owner());
                s.setString(3, f.name());
                s.setString(4, f.mediaType());
                s.setLong(5, f.bytes());
                s.setString(6, f.sha256());
                s.setInt(7, f.characters());
                s.setInt(8, f.tokens());
                s.setLong(9, f.createdAt());
                s.setString(10, text);
                s.executeUpdate();
            }
            return null;
        });
        return f;
    }

    public Optional<StoredFile> get(String owner, String id) {
        return db.inTransaction("read a file", con -> {
            try (PreparedStatement s = con.prepareStatement("SELECT " + COLUMNS + " FROM files WHERE id = ? AND owner = ?")) {
                s.setString(1, id);
                s.setString(2, owner);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(file(r)) : Optional.<StoredFile>empty();
                }
            }
        });
    }

    /** The owner's files with these ids and their texts, by id; ids the owner has no file for are absent. */
    public Map<String, FileText> texts(String owner, List<String> ids) {
        Set<String> wanted = new LinkedHashSet<>(ids);
        if (wanted.isEmpty()) {
            return Map.of();
        }
        return db.inTransaction("read files", con -> {
            try (PreparedStatement s = byIds(con, COLUMNS + ", text", owner, wanted)) {
                Map<String, FileText> out = new LinkedHashMap<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        StoredFile f = file(r);
                        out.put(f.id(), new FileText(f, r.getString(10)));
                    }
                }
                return out;
            }
        });
    }

    /** Which of these ids are the owner's files. */
    public Set<String> owned(String owner, List<String> ids) {
        Set<String> wanted = new LinkedHashSet<>(ids);
        if (wanted.isEmpty()) {
            return Set.of();
        }
        return db.inTransaction("read files", con -> {
            try (PreparedStatement s = byIds(con, "id", owner, wanted)) {
                Set<String> out = new java.util.HashSet<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getString(1));
                    }
                }
                return out;
            }
        });
    }

    /** SELECT {@code columns} of the owner's files with these ids, the parameters bound. */
    private static PreparedStatement byIds(java.sql.Connection con, String columns, String owner, Set<String> ids) throws SQLException {
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        PreparedStatement s = con.prepareStatement("SELECT " + columns + " FROM files WHERE owner = ? AND id IN (" + marks + ")");
        try {
            s.setString(1, owner);
            int i = 2;
            for (String id : ids) {
                s.setString(i++, id);
            }
            return s;
        } catch (SQLException e) {
            s.close();
            throw e;
        }
    }

    /** A page of files, newest first, and the cursor of the next page (null at the end). */
    public record Page(List<StoredFile> items, String nextCursor) {}

    public Page list(String owner, String cursor, int limit) {
        Cursor after = Cursor.parse(cursor);
        return db.inTransaction("list files", con -> {
            try (PreparedStatement s = con.prepareStatement("SELECT " + COLUMNS + " FROM files WHERE owner = ? AND "
                    + "(created_at < ? OR (created_at = ? AND id < ?)) ORDER BY created_at DESC, id DESC LIMIT ?")) {
                s.setString(1, owner);
                s.setLong(2, after.createdAt());
                s.setLong(3, after.createdAt());
                s.setString(4, after.id());
                s.setInt(5, limit + 1);
                List<StoredFile> items = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        items.add(file(r));
                    }
                }
                String next = null;
                if (items.size() > limit) {
                    items.removeLast();
                    next = new Cursor(items.getLast().createdAt(), items.getLast().id()).token();
                }
                return new Page(items, next);
            }
        });
    }

    /** What deleting a file did. */
    public sealed interface Deletion {
        record Deleted() implements Deletion {}

        record NotFound() implements Deletion {}

        /** Threads whose own files or stored messages reference the file; nothing was deleted. */
        record InUse(List<String> conversationIds) implements Deletion {}
    }

    public Deletion delete(String owner, String id) {
        try {
            return db.inTransaction("delete a file", con -> {
                List<String> holders = holders(con, id);
                if (!holders.isEmpty()) {
                    return new Deletion.InUse(holders);
                }
                try (PreparedStatement s = con.prepareStatement("DELETE FROM files WHERE id = ? AND owner = ?")) {
                    s.setString(1, id);
                    s.setString(2, owner);
                    return s.executeUpdate() == 1 ? new Deletion.Deleted() : new Deletion.NotFound();
                }
            });
        } catch (StoreException e) {
            // A turn stored a reference between the check and the delete: the foreign key refused it.
            if (ThreadStore.isForeignKeyViolation(e.getCause())) {
                return new Deletion.InUse(db.inTransaction("read a file's references", con -> holders(con, id)));
            }
            throw e;
        }
    }

    private static List<String> holders(java.sql.Connection con, String fileId) throws SQLException {
        try (PreparedStatement s = con.prepareStatement("SELECT conversation_id FROM conversation_files WHERE file_id = ? UNION "
                + "SELECT m.conversation_id FROM message_files f JOIN messages m ON m.id = f.message_id WHERE f.file_id = ? ORDER BY 1")) {
            s.setString(1, fileId);
            s.setString(2, fileId);
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        }
    }

    private static StoredFile file(ResultSet r) throws SQLException {
        return new StoredFile(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5), r.getString(6), r.getInt(7),
                r.getInt(8), r.getLong(9));
    }
}
