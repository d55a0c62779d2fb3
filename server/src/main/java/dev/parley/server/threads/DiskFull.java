package dev.parley.server.threads;

import java.nio.file.FileSystemException;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Whether a failure means the disk is full, as SQLite, PostgreSQL and the JDK each say it: SQLite's
 * {@code SQLITE_FULL} (result code 13, "database or disk is full"), PostgreSQL's SQLSTATE 53100
 * ({@code disk_full}: "could not extend file", "could not write to file"), the OS's ENOSPC
 * ("No space left on device") and EDQUOT ("Disk quota exceeded"), anywhere in the cause chain.
 */
public final class DiskFull {

    /** SQLite's primary result code for a full disk. */
    static final int SQLITE_FULL = 13;
    /** PostgreSQL's SQLSTATE {@code disk_full}. */
    static final String PG_DISK_FULL = "53100";

    private DiskFull() {
    }

    public static boolean is(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && (PG_DISK_FULL.equals(sql.getSQLState()) || (sql.getErrorCode() & 0xff) == SQLITE_FULL
                    && sql.getClass().getName().startsWith("org.sqlite."))) {
                return true;
            }
            String text = t instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : t.getMessage();
            if (text != null && saysFull(text.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private static boolean saysFull(String text) {
        return text.contains("no space left on device") || text.contains("disk quota exceeded") || text.contains("database or disk is full")
                || text.contains("sqlite_full");
    }
}
