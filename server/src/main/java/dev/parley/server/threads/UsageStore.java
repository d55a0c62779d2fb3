package dev.parley.server.threads;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Per-owner usage in the thread store's database, so that it survives restarts and several instances
 * sharing PostgreSQL charge one account. A charge is one transaction: the owner's row is made if it is
 * missing ({@code ON CONFLICT DO NOTHING}), then incremented in place ({@code SET x = x + ?}), which the
 * database serializes per row: concurrent charges add up exactly, with no read-modify-write in Java.
 */
public final class UsageStore {

    private static final String COLUMNS = "owner, requests, prompt_tokens, cached_prompt_tokens, completion_tokens, credit_micros";

    private final ThreadStore db;

    UsageStore(ThreadStore db) {
        this.db = db;
    }

    /** Adds one request with these tokens and credits to the owner's usage; the totals after it. */
    public OwnerUsage charge(String owner, long promptTokens, long cachedPromptTokens, long completionTokens, long creditMicros) {
        return db.inTransaction("charge an owner's usage", con -> {
            long now = System.currentTimeMillis();
            try (PreparedStatement make = con.prepareStatement("INSERT INTO owner_usage (" + COLUMNS + ", updated_at) "
                    + "VALUES (?, 0, 0, 0, 0, 0, ?) ON CONFLICT (owner) DO NOTHING");
                 PreparedStatement add = con.prepareStatement("UPDATE owner_usage SET requests = requests + 1, "
                         + "prompt_tokens = prompt_tokens + ?, cached_prompt_tokens = cached_prompt_tokens + ?, "
                         + "completion_tokens = completion_tokens + ?, credit_micros = credit_micros + ?, updated_at = ? WHERE owner = ?")) {
                make.setString(1, owner);
                make.setLong(2, now);
                make.executeUpdate();
                add.setLong(1, promptTokens);
                add.setLong(2, cachedPromptTokens);
                add.setLong(3, completionTokens);
                add.setLong(4, creditMicros);
                add.setLong(5, now);
                add.setString(6, owner);
                add.executeUpdate();
            }
            // The row is locked by this transaction's update: this reads the totals this charge made.
            return read(con, owner);
        });
    }

    /** The owner's usage so far (zeros when it has none). */
    public OwnerUsage get(String owner) {
        return db.inTransaction("read an owner's usage", con -> read(con, owner));
    }

    private static OwnerUsage read(Connection con, String owner) throws SQLException {
        try (PreparedStatement s = con.prepareStatement("SELECT " + COLUMNS + " FROM owner_usage WHERE owner = ?")) {
            s.setString(1, owner);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new OwnerUsage(r.getString(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getLong(5), r.getLong(6))
                        : OwnerUsage.none(owner);
            }
        }
    }
}
