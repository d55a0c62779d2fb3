package dev.parley.server.threads;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.flywaydb.core.Flyway;

/**
 * Threads and their messages, in SQLite (a file in the data directory, nothing to install) or
 * PostgreSQL (several Parley instances can share it). One data-access layer for both: portable SQL,
 * schema managed by Flyway, every write in a transaction.
 */
public final class ThreadStore implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final System.Logger LOG = System.getLogger("parley.threads");

    /** How often the status of a full store may probe whether space came back. */
    private static final long STATUS_PROBE_NANOS = 1_000_000_000L;
    /** Below this much free space in an SQLite store's directory, a turn probes before it generates. */
    static final long LOW_SPACE_BYTES = 1 << 20;

    private final HikariDataSource pool;
    private final String description;
    /** Where the data lives, as an operator would look for it: the data directory, or the PostgreSQL database. */
    private final String location;
    /** The SQLite store's directory (its free space is known here), or null for PostgreSQL. */
    private final Path directory;
    /** PostgreSQL, else SQLite: the two differ only in full-text search. */
    private final boolean postgres;
    private final FileStore files = new FileStore(this);
    /** When a write last failed for a full disk (nanoTime), or 0 while writes succeed. */
    private volatile long fullSince;
    private volatile long lastProbe;
    /** Tests: what each transaction's connection is wrapped in (a fault-injecting seam); the identity otherwise. */
    private volatile UnaryOperator<Connection> seam = UnaryOperator.identity();
    private final UsageStore usage = new UsageStore(this);

    private ThreadStore(HikariDataSource pool, String description, String location, Path directory, boolean postgres) {
        this.pool = pool;
        this.description = description;
        this.location = location;
        this.directory = directory;
        this.postgres = postgres;
        // Portable migrations, then each database's own (full-text search is not portable SQL).
        Flyway.configure().dataSource(pool).locations("classpath:db/migration", postgres ? "classpath:db/postgresql" : "classpath:db/sqlite")
                .load().migrate();
    }

    /** An SQLite database file {@code parley.db} in {@code dataDir}, created on first start. */
    public static ThreadStore sqlite(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create the data directory " + dataDir, e);
        }
        Path file = dataDir.resolve("parley.db").toAbsolutePath();
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl("jdbc:sqlite:" + file);
        // SQLite has one writer at a time: one connection avoids "database is locked" entirely.
        c.setMaximumPoolSize(1);
        c.addDataSourceProperty("foreign_keys", "true");
        c.addDataSourceProperty("journal_mode", "WAL");
        c.addDataSourceProperty("busy_timeout", "10000");
        c.setPoolName("parley-sqlite");
        return open(c, "SQLite " + file, "the data directory " + file.getParent(), file.getParent(), false);
    }

    /** A PostgreSQL database at a JDBC URL. */
    public static ThreadStore postgres(String jdbcUrl, String user, String password) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(jdbcUrl);
        if (user != null) {
            c.setUsername(user);
        }
        if (password != null) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(8);
        c.setPoolName("parley-postgres");
        String safe = jdbcUrl.replaceAll("password=[^&]*", "password=***");
        return open(c, "PostgreSQL " + safe, "the PostgreSQL database " + safe, null, true);
    }

    private static ThreadStore open(HikariConfig config, String description, String location, Path directory, boolean postgres) {
        config.setAutoCommit(false);
        config.setInitializationFailTimeout(10_000);
        try {
            return new ThreadStore(new HikariDataSource(config), description, location, directory, postgres);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open the thread database (" + description + ")", e);
        }
    }

    public String description() {
        return description;
    }

    /** Tests: every later transaction runs on {@code seam.apply(connection)}, so a test can make the database fail as a full disk does. */
    void wrapConnections(UnaryOperator<Connection> seam) {
        this.seam = seam;
    }

    /** Where the data lives (the data directory, or the PostgreSQL database), as error messages name it. */
    public String location() {
        return location;
    }

    // ---- a full disk ----

    /**
     * Whether the store's disk is full: its last write failed for that reason and no write has
     * succeeded since. While it is, at most one probe a second checks whether space came back, so a
     * full store recovers by itself.
     */
    public boolean full() {
        if (fullSince == 0) {
            return false;
        }
        long now = System.nanoTime();
        if (now - lastProbe >= STATUS_PROBE_NANOS) {
            lastProbe = now;
            probe();
        }
        return fullSince != 0;
    }

    /**
     * Before a turn generates a reply it will store: throws {@link StoreFullException} when the store
     * cannot write now, so the client gets a 507 before any generation, not after it. Free when the
     * store is healthy: it probes only after a write failed for a full disk, or when the SQLite
     * directory is nearly full.
     */
    public void checkWritable() {
        if (fullSince != 0 || lowSpace(LOW_SPACE_BYTES)) {
            lastProbe = System.nanoTime();
            probe();
            if (fullSince != 0) {
                throw new StoreFullException("store this exchange", location, null);
            }
        }
    }

    /**
     * A write that leaves nothing behind but needs the room a turn needs: a thread and a message of
     * 4 KiB inserted and deleted in one committed transaction. PostgreSQL must find or extend pages of
     * both tables and their indexes for it (an update in place would fit a page's free space and prove
     * nothing); SQLite writes the changed pages to its WAL at commit (a rolled-back write never
     * reaches the disk). No other transaction ever sees the rows.
     */
    private void probe() {
        String id = newId("probe_");
        try {
            inTransaction("check for free space", con -> {
                try (PreparedStatement c = con.prepareStatement("INSERT INTO conversations (id, owner, metadata, created_at, updated_at) "
                        + "VALUES (?, '', '{}', 0, 0)");
                     PreparedStatement m = con.prepareStatement("INSERT INTO messages (id, conversation_id, position, role, content, created_at) "
                             + "VALUES (?, ?, 0, 'user', ?, 0)");
                     PreparedStatement dm = con.prepareStatement("DELETE FROM messages WHERE id = ?");
                     PreparedStatement dc = con.prepareStatement("DELETE FROM conversations WHERE id = ?")) {
                    c.setString(1, id);
                    c.executeUpdate();
                    m.setString(1, id);
                    m.setString(2, id);
                    m.setString(3, "x".repeat(4096));
                    m.executeUpdate();
                    dm.setString(1, id);
                    dm.executeUpdate();
                    dc.setString(1, id);
                    return dc.executeUpdate();
                }
            });
            stored();
        } catch (StoreFullException e) {
            // still full
        } catch (StoreException e) {
            // Failing for another reason (the database unreachable, a constraint a later migration added):
            // the disk is not what this probe shows, so it stops claiming it; the next real write says what is wrong.
            LOG.log(System.Logger.Level.WARNING, "the free-space probe of the thread store failed: " + e.getMessage());
            stored();
        }
    }

    /** A write committed: the disk has room again. */
    private void stored() {
        if (fullSince != 0) {
            fullSince = 0;
            LOG.log(System.Logger.Level.INFO, "the thread store can write again (" + location + ")");
        }
    }

    private boolean lowSpace(long bytes) {
        if (directory == null) {
            return false;
        }
        try {
            return Files.getFileStore(directory).getUsableSpace() < bytes;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Uploaded files, in the same database. */
    public FileStore files() {
        return files;
    }

    /** Per-owner usage (tokens and credits), in the same database. */
    public UsageStore usage() {
        return usage;
    }

    static String newId(String prefix) {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    // ---- threads ----

    public Conversation create(String owner, String title, String systemPrompt, String metadata) {
        return create(owner, title, systemPrompt, metadata, List.of());
    }

    /** A new thread carrying these files (the caller has checked they are the owner's) for all its turns. */
    public Conversation create(String owner, String title, String systemPrompt, String metadata, List<String> fileIds) {
        long now = System.currentTimeMillis();
        Conversation c = new Conversation(newId("conv_"), owner, title, systemPrompt, metadata, now, now, 0);
        insert(c, fileIds);
        return c;
    }

    /**
     * The owner's thread with this id, created empty when there is none yet: for APIs whose clients name
     * their conversations. Two requests creating the same thread at once both get the one stored.
     *
     * @throws ConflictException when the id is taken by another owner's thread
     */
    public Conversation getOrCreate(String owner, String id, String title, String metadata) {
        Optional<Conversation> found = get(owner, id);
        if (found.isPresent()) {
            return found.get();
        }
        long now = System.currentTimeMillis();
        try {
            insert(new Conversation(id, owner, title, null, metadata, now, now, 0), List.of());
        } catch (StoreException e) {
            if (!isUniqueViolation(e.getCause())) {
                throw e;
            }
        }
        return get(owner, id).orElseThrow(() -> new ConflictException("conversation id " + id + " is taken by another owner"));
    }

    private void insert(Conversation c, List<String> fileIds) {
        inTransaction("create a conversation", con -> {
            insertRow(con, c);
            writeThreadFiles(con, c.id(), fileIds);
            return null;
        });
        stored();
    }

    static void insertRow(Connection con, Conversation c) throws SQLException {
        try (PreparedStatement s = con.prepareStatement(
                "INSERT INTO conversations (id, owner, title, system_prompt, metadata, created_at, updated_at, parent_id, forked_at_message_id) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, c.id());
            s.setString(2, c.owner());
            setNullable(s, 3, c.title());
            setNullable(s, 4, c.systemPrompt());
            s.setString(5, c.metadata());
            s.setLong(6, c.createdAt());
            s.setLong(7, c.updatedAt());
            setNullable(s, 8, c.parentId());
            setNullable(s, 9, c.forkedAtMessageId());
            s.executeUpdate();
        }
    }

    /**
     * A new thread of the owner's made from thread {@code id}'s history up to and including message
     * {@code atMessageId} (that message's text replaced by {@code content} when it is not null), with the
     * parent's title, system prompt, metadata and files; written in one transaction. Empty when the owner
     * has no thread {@code id}.
     *
     * @throws NoSuchMessageException when the thread has no message {@code atMessageId}
     */
    public Optional<Conversation> fork(String owner, String id, String atMessageId, String content) {
        Optional<Conversation> made = inTransaction("fork a conversation", con -> Forks.fork(con, owner, id, atMessageId, content));
        made.ifPresent(c -> stored());
        // a fork runs on its parent's model, as it continues the same history
        made.ifPresent(c -> {
            String model = model(id);
            if (model != null) {
                setModel(c.id(), model);
            }
        });
        return made.flatMap(c -> get(owner, c.id()));
    }

    /** The files a thread carries for all its turns, in order. */
    public List<String> threadFiles(String conversationId) {
        return inTransaction("read a conversation's files", con -> {
            try (PreparedStatement s = con.prepareStatement("SELECT file_id FROM conversation_files WHERE conversation_id = ? ORDER BY position")) {
                s.setString(1, conversationId);
                List<String> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(r.getString(1));
                    }
                }
                return out;
            }
        });
    }

    static void writeThreadFiles(Connection con, String conversationId, List<String> fileIds) throws SQLException {
        try (PreparedStatement d = con.prepareStatement("DELETE FROM conversation_files WHERE conversation_id = ?");
             PreparedStatement s = con.prepareStatement("INSERT INTO conversation_files (conversation_id, position, file_id) VALUES (?, ?, ?)")) {
            d.setString(1, conversationId);
            d.executeUpdate();
            int at = 0;
            for (String f : fileIds) {
                s.setString(1, conversationId);
                s.setInt(2, at++);
                s.setString(3, f);
                s.executeUpdate();
            }
        }
    }

    public Optional<Conversation> get(String owner, String id) {
        return inTransaction("read a conversation", con -> {
            try (PreparedStatement s = con.prepareStatement(SELECT + " WHERE c.id = ? AND c.owner = ? GROUP BY " + GROUP)) {
                s.setString(1, id);
                s.setString(2, owner);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(conversation(r)) : Optional.<Conversation>empty();
                }
            }
        });
    }

    /** A page of conversations, newest first, and the cursor of the next page (null at the end). */
    public record Page(List<Conversation> items, String nextCursor) {}

    public Page list(String owner, String cursor, int limit) {
        return list(owner, cursor, limit, null);
    }

    /**
     * As above, only the threads whose title or some message matches {@code search} (all of its words),
     * on the database's own full-text index; null lists them all. Newest first, like every list, so a
     * page's cursor works as it does there.
     */
    public Page list(String owner, String cursor, int limit, SearchQuery search) {
        Cursor after = Cursor.parse(cursor);
        String matching = "";
        List<String> terms = List.of();
        if (search != null && postgres) {
            matching = " AND (c.title_search @@ to_tsquery('simple', ?) OR c.id IN (SELECT sm.conversation_id FROM messages sm "
                    + "WHERE sm.search @@ to_tsquery('simple', ?)))";
            terms = List.of(search.tsquery(), search.tsquery());
        } else if (search != null) {
            matching = " AND c.id IN (SELECT d.conversation_id FROM search_text st JOIN search_docs d ON d.id = st.rowid WHERE search_text MATCH ?)";
            terms = List.of(search.fts5());
        }
        String sql = SELECT + " WHERE c.owner = ? AND (c.created_at < ? OR (c.created_at = ? AND c.id < ?))" + matching + " GROUP BY " + GROUP
                + " ORDER BY c.created_at DESC, c.id DESC LIMIT ?";
        List<String> bound = terms;
        return inTransaction(search == null ? "list conversations" : "search conversations", con -> {
            try (PreparedStatement s = con.prepareStatement(sql)) {
                int i = 1;
                s.setString(i++, owner);
                s.setLong(i++, after.createdAt());
                s.setLong(i++, after.createdAt());
                s.setString(i++, after.id());
                for (String t : bound) {
                    s.setString(i++, t);
                }
                s.setInt(i, limit + 1);
                List<Conversation> items = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        items.add(conversation(r));
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

    /** Updates the given fields (null leaves a field as it is); empty when the thread is not the owner's. */
    public Optional<Conversation> update(String owner, String id, String title, String systemPrompt, String metadata) {
        return update(owner, id, title, systemPrompt, metadata, null);
    }

    /** As above; {@code fileIds} (null: unchanged) replaces the files the thread carries. */
    public Optional<Conversation> update(String owner, String id, String title, String systemPrompt, String metadata, List<String> fileIds) {
        Optional<Conversation> updated = inTransaction("update a conversation", con -> {
            try (PreparedStatement s = con.prepareStatement("UPDATE conversations SET title = COALESCE(?, title), "
                    + "system_prompt = COALESCE(?, system_prompt), metadata = COALESCE(?, metadata), updated_at = ? WHERE id = ? AND owner = ?")) {
                setNullable(s, 1, title);
                setNullable(s, 2, systemPrompt);
                setNullable(s, 3, metadata);
                s.setLong(4, System.currentTimeMillis());
                s.setString(5, id);
                s.setString(6, owner);
                if (s.executeUpdate() != 1) {
                    return Optional.<String>empty();
                }
            }
            if (fileIds != null) {
                writeThreadFiles(con, id, fileIds);
            }
            return Optional.of(id);
        }).flatMap(x -> get(owner, id));
        return updated;
    }

    public boolean delete(String owner, String id) {
        return inTransaction("delete a conversation", con -> {
            try (PreparedStatement x = con.prepareStatement(
                    "DELETE FROM thread_context WHERE conversation_id IN (SELECT id FROM conversations WHERE id = ? AND owner = ?)")) {
                x.setString(1, id);
                x.setString(2, owner);
                x.executeUpdate();
            }
            try (PreparedStatement m = con.prepareStatement(
                    "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE id = ? AND owner = ?)");
                 PreparedStatement c = con.prepareStatement("DELETE FROM conversations WHERE id = ? AND owner = ?")) {
                m.setString(1, id);
                m.setString(2, owner);
                m.executeUpdate();
                c.setString(1, id);
                c.setString(2, owner);
                return c.executeUpdate() == 1;
            }
        });
    }

    // ---- the thread's model (several models in one server) ----

    /** The model the thread's turns run on, or null: the server's default one (or a thread deleted meanwhile). */
    public String model(String conversationId) {
        return inTransaction("read a conversation's model", con -> {
            try (PreparedStatement s = con.prepareStatement("SELECT model FROM conversations WHERE id = ?")) {
                s.setString(1, conversationId);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getString(1) : null;
                }
            }
        });
    }

    /** Sets the thread's model (null: the default one again). */
    public void setModel(String conversationId, String model) {
        writeModel(conversationId, model, false);
    }

    /** Keeps {@code model} as the thread's model unless it already has one: the first turn that names a model. */
    public void rememberModel(String conversationId, String model) {
        writeModel(conversationId, model, true);
    }

    private void writeModel(String conversationId, String model, boolean onlyIfUnset) {
        inTransaction("set a conversation's model", con -> {
            try (PreparedStatement u = con.prepareStatement("UPDATE conversations SET model = ? WHERE id = ?"
                    + (onlyIfUnset ? " AND model IS NULL" : ""))) {
                u.setString(1, model);
                u.setString(2, conversationId);
                u.executeUpdate();
            }
            return null;
        });
    }

    // ---- context: the overflow setting and the summary (context_overflow "summarize") ----

    /** The thread's overflow setting and summary; {@link ThreadContext#NONE} when it has neither. */
    public ThreadContext context(String conversationId) {
        return inTransaction("read a conversation's context", con -> {
            try (PreparedStatement s = con.prepareStatement("SELECT context_overflow, summary, summary_through, summary_message_id, summary_at "
                    + "FROM thread_context WHERE conversation_id = ?")) {
                s.setString(1, conversationId);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return ThreadContext.NONE;
                    }
                    String summary = r.getString(2);
                    return new ThreadContext(r.getString(1), summary, summary == null ? -1 : r.getInt(3), r.getString(4), r.getLong(5));
                }
            }
        });
    }

    /** Sets the thread's overflow policy (null: the route's default again), keeping its summary. */
    public void setOverflow(String conversationId, String overflow) {
        inTransaction("set a conversation's context_overflow", con -> {
            try (PreparedStatement u = con.prepareStatement("UPDATE thread_context SET context_overflow = ? WHERE conversation_id = ?")) {
                u.setString(1, overflow);
                u.setString(2, conversationId);
                if (u.executeUpdate() == 1) {
                    return null;
                }
            }
            try (PreparedStatement i = con.prepareStatement("INSERT INTO thread_context (conversation_id, context_overflow) VALUES (?, ?)")) {
                i.setString(1, conversationId);
                i.setString(2, overflow);
                i.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Replaces the thread's summary: it covers every message up to position {@code through} (the message
     * {@code messageId}). A thread deleted meanwhile stores nothing.
     */
    public void saveSummary(String conversationId, String summary, int through, String messageId) {
        long now = System.currentTimeMillis();
        inTransaction("store a conversation's summary", con -> {
            try (PreparedStatement u = con.prepareStatement("UPDATE thread_context SET summary = ?, summary_through = ?, summary_message_id = ?, "
                    + "summary_at = ? WHERE conversation_id = ?")) {
                u.setString(1, summary);
                u.setInt(2, through);
                u.setString(3, messageId);
                u.setLong(4, now);
                u.setString(5, conversationId);
                if (u.executeUpdate() == 1) {
                    return null;
                }
            }
            try (PreparedStatement i = con.prepareStatement("INSERT INTO thread_context (conversation_id, summary, summary_through, "
                    + "summary_message_id, summary_at) SELECT id, ?, ?, ?, ? FROM conversations WHERE id = ?")) {
                i.setString(1, summary);
                i.setInt(2, through);
                i.setString(3, messageId);
                i.setLong(4, now);
                i.setString(5, conversationId);
                i.executeUpdate();
            }
            return null;
        });
    }

    // ---- messages ----

    static final String MESSAGE_COLUMNS = "m.id, m.conversation_id, m.position, m.role, m.content, m.thinking, m.prompt_tokens, "
            + "m.cached_prompt_tokens, m.completion_tokens, m.reasoning_tokens, m.finish_reason, m.created_at, m.response_id";

    public List<StoredMessage> messages(String conversationId) {
        return readMessages("read messages", "SELECT " + MESSAGE_COLUMNS + " FROM messages m WHERE m.conversation_id = ? ORDER BY m.position",
                conversationId);
    }

    /** The messages a stored response added to one of the owner's threads (its input items, then its reply), in order. */
    public List<StoredMessage> responseMessages(String owner, String responseId) {
        return readMessages("read a response", "SELECT " + MESSAGE_COLUMNS + " FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                + "WHERE m.response_id = ? AND c.owner = ? ORDER BY m.position", responseId, owner);
    }

    /** A row of {@link #MESSAGE_COLUMNS}. */
    static StoredMessage message(ResultSet r) throws SQLException {
        return new StoredMessage(r.getString(1), r.getString(2), r.getInt(3), r.getString(4), r.getString(5), r.getString(6),
                integer(r, 7), integer(r, 8), integer(r, 9), integer(r, 10), r.getString(11), r.getLong(12), r.getString(13));
    }

    private List<StoredMessage> readMessages(String what, String sql, String... params) {
        return inTransaction(what, con -> {
            try (PreparedStatement s = con.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    s.setString(i + 1, params[i]);
                }
                List<StoredMessage> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(message(r));
                    }
                }
                return out;
            }
        });
    }

    /**
     * Forgets a stored response of the owner's: its messages stay in their thread, no longer as that
     * response. False when the owner has no such response.
     */
    public boolean forgetResponse(String owner, String responseId) {
        return inTransaction("delete a response", con -> {
            try (PreparedStatement s = con.prepareStatement("UPDATE messages SET response_id = NULL WHERE response_id = ? "
                    + "AND conversation_id IN (SELECT id FROM conversations WHERE owner = ?)")) {
                s.setString(1, responseId);
                s.setString(2, owner);
                return s.executeUpdate() > 0;
            }
        });
    }

    /** Deletes one message of one of the owner's threads (later messages keep their positions); false when there is none. */
    public boolean deleteMessage(String owner, String conversationId, String messageId) {
        return inTransaction("delete a message", con -> {
            try (PreparedStatement s = con.prepareStatement("DELETE FROM messages WHERE id = ? AND conversation_id = ? "
                    + "AND conversation_id IN (SELECT id FROM conversations WHERE owner = ?)")) {
                s.setString(1, messageId);
                s.setString(2, conversationId);
                s.setString(3, owner);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** The files each stored message of a thread referenced, by message id (messages without files are absent). */
    public Map<String, List<String>> messageFiles(String conversationId) {
        return inTransaction("read messages' files", con -> {
            try (PreparedStatement s = con.prepareStatement("SELECT f.message_id, f.file_id FROM message_files f JOIN messages m ON m.id = f.message_id "
                    + "WHERE m.conversation_id = ? ORDER BY f.message_id, f.position")) {
                s.setString(1, conversationId);
                Map<String, List<String>> out = new HashMap<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(r.getString(2));
                    }
                }
                return out;
            }
        });
    }

    public void appendExchange(String conversationId, int position, StoredMessage user, StoredMessage reply) {
        appendExchange(conversationId, position, user, reply, List.of());
    }

    /**
     * Stores one exchange (the user's message, the files it referenced, and the reply) atomically at {@code position} and
     * {@code position + 1}. If another exchange took those positions first, nothing is stored and
     * {@link ConflictException} says so.
     */
    public void appendExchange(String conversationId, int position, StoredMessage user, StoredMessage reply, List<String> userFiles) {
        appendMessages(conversationId, position, List.of(user, reply), user, userFiles);
    }

    /**
     * Stores messages atomically at {@code position} on ({@code filesOf}, one of them or null, referencing
     * {@code files}); a {@link ConflictException} when another write took one of those positions first,
     * {@link ThreadDeletedException} when the thread is gone.
     */
    public void appendMessages(String conversationId, int position, List<StoredMessage> messages, StoredMessage filesOf, List<String> userFiles) {
        StoredMessage user = filesOf;
        try {
            inTransaction("store an exchange", con -> {
                try (PreparedStatement s = con.prepareStatement("INSERT INTO messages (id, conversation_id, position, role, content, thinking, "
                        + "prompt_tokens, cached_prompt_tokens, completion_tokens, reasoning_tokens, finish_reason, created_at, response_id) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                     PreparedStatement touch = con.prepareStatement("UPDATE conversations SET updated_at = ? WHERE id = ?")) {
                    int at = position;
                    for (StoredMessage m : messages) {
                        s.setString(1, m.id());
                        s.setString(2, conversationId);
                        s.setInt(3, at++);
                        s.setString(4, m.role());
                        s.setString(5, m.content());
                        setNullable(s, 6, m.thinking());
                        setNullable(s, 7, m.promptTokens());
                        setNullable(s, 8, m.cachedPromptTokens());
                        setNullable(s, 9, m.completionTokens());
                        setNullable(s, 10, m.reasoningTokens());
                        setNullable(s, 11, m.finishReason());
                        s.setLong(12, m.createdAt());
                        setNullable(s, 13, m.responseId());
                        s.executeUpdate();
                    }
                    try (PreparedStatement f = con.prepareStatement("INSERT INTO message_files (message_id, position, file_id) VALUES (?, ?, ?)")) {
                        int n = 0;
                        for (String fileId : user == null ? List.<String>of() : userFiles) {
                            f.setString(1, user.id());
                            f.setInt(2, n++);
                            f.setString(3, fileId);
                            f.executeUpdate();
                        }
                    }
                    touch.setLong(1, System.currentTimeMillis());
                    touch.setString(2, conversationId);
                    touch.executeUpdate();
                }
                return null;
            });
            stored();
        } catch (StoreException e) {
            // A deleted thread fails the foreign key, a position taken by another exchange the unique key: tell them apart.
            if (isForeignKeyViolation(e.getCause())) {
                throw new ThreadDeletedException("conversation " + conversationId + (userFiles.isEmpty() ? "" : " (or a file it references)")
                        + " was deleted while this exchange ran; nothing was stored");
            }
            if (isUniqueViolation(e.getCause())) {
                throw new ConflictException("another exchange was stored in conversation " + conversationId + " first");
            }
            throw e;
        }
    }

    private static boolean isUniqueViolation(Throwable t) {
        if (t instanceof SQLException sql) {
            String msg = String.valueOf(sql.getMessage());
            return "23505".equals(sql.getSQLState()) || msg.contains("UNIQUE constraint failed") || msg.contains("SQLITE_CONSTRAINT_PRIMARYKEY")
                    || msg.contains("SQLITE_CONSTRAINT_UNIQUE");
        }
        return false;
    }

    static boolean isForeignKeyViolation(Throwable t) {
        if (t instanceof SQLException sql) {
            String msg = String.valueOf(sql.getMessage());
            return "23503".equals(sql.getSQLState()) || msg.contains("FOREIGN KEY constraint failed") || msg.contains("SQLITE_CONSTRAINT_FOREIGNKEY");
        }
        return false;
    }

    // ---- plumbing ----

    static final String SELECT = "SELECT c.id, c.owner, c.title, c.system_prompt, c.metadata, c.created_at, c.updated_at, "
            + "COUNT(m.id), c.parent_id, c.forked_at_message_id FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id";
    static final String GROUP = "c.id, c.owner, c.title, c.system_prompt, c.metadata, c.created_at, c.updated_at, c.parent_id, "
            + "c.forked_at_message_id";

    static Conversation conversation(ResultSet r) throws SQLException {
        return new Conversation(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getLong(6), r.getLong(7),
                r.getInt(8), r.getString(9), r.getString(10));
    }

    static Integer integer(ResultSet r, int col) throws SQLException {
        int v = r.getInt(col);
        return r.wasNull() ? null : v;
    }

    static void setNullable(PreparedStatement s, int i, String v) throws SQLException {
        if (v == null) {
            s.setNull(i, Types.VARCHAR);
        } else {
            s.setString(i, v);
        }
    }

    static void setNullable(PreparedStatement s, int i, Integer v) throws SQLException {
        if (v == null) {
            s.setNull(i, Types.INTEGER);
        } else {
            s.setInt(i, v);
        }
    }

    interface Work<T> {
        T run(Connection con) throws SQLException;
    }

    <T> T inTransaction(String what, Work<T> work) {
        Connection pooled;
        try {
            pooled = pool.getConnection();
        } catch (SQLException e) {
            throw failure(what, e);
        }
        Connection con = seam.apply(pooled);
        boolean unknownState = false;
        try (con) {
            try {
                T result = work.run(con);
                con.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    con.rollback();
                } catch (SQLException r) {
                    // SQLite rolls a transaction back by itself on SQLITE_FULL (and some I/O errors); the
                    // driver's ROLLBACK then fails and it never begins the next transaction, so the
                    // connection would run every later statement in autocommit and fail every commit,
                    // even once space is back. Such a connection is not reused.
                    unknownState = true;
                    e.addSuppressed(r);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw failure(what, e);
        } finally {
            if (unknownState) {
                pool.evictConnection(pooled);
            }
        }
    }

    private StoreException failure(String what, SQLException e) {
        if (DiskFull.is(e) || sqliteIoError(e) && lowSpace(64 * 1024)) {
            if (fullSince == 0) {
                fullSince = System.nanoTime() | 1;
                LOG.log(System.Logger.Level.WARNING, "the thread store's disk is full (" + location + "): writes answer 507 until space is freed; "
                        + e.getMessage());
            }
            return new StoreFullException(what, location, e);
        }
        return new StoreException("cannot " + what + " (" + description + ")", e);
    }

    /** SQLite's primary result code for an I/O error. */
    private static final int SQLITE_IOERR = 10;

    /**
     * SQLite reports some failures of a full disk as I/O errors (growing its shared-memory index when a
     * connection opens: the pool then wraps it), so with hardly any free space left an I/O error is one.
     */
    private static boolean sqliteIoError(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && t.getClass().getName().startsWith("org.sqlite.") && (sql.getErrorCode() & 0xff) == SQLITE_IOERR) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        pool.close();
    }
}
