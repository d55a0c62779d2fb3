package dev.parley.server.threads;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A fault-injecting seam around the store's connections: while {@link #fill} is on, every write
 * statement fails as the database does on a full disk, and reads go through untouched (SQLite reads a
 * full disk's database as ever). For SQLite it does what SQLite does on {@code SQLITE_FULL}: rolls the
 * transaction back by itself (behind the driver's back, as the library does) and throws the driver's
 * own exception, so the JDBC driver ends up in the same state as on a real full disk.
 */
final class FullDiskSeam implements UnaryOperator<Connection> {

    private final Supplier<SQLException> failure;
    private final boolean autoRollback;
    volatile boolean fill;
    volatile int refusedWrites;

    private FullDiskSeam(Supplier<SQLException> failure, boolean autoRollback) {
        this.failure = failure;
        this.autoRollback = autoRollback;
    }

    /** SQLite's SQLITE_FULL, with its automatic rollback. */
    static FullDiskSeam sqlite() {
        return new FullDiskSeam(() -> new org.sqlite.SQLiteException("[SQLITE_FULL] Insertion failed because database is full (database or disk is full)",
                org.sqlite.SQLiteErrorCode.SQLITE_FULL), true);
    }

    /** PostgreSQL's disk_full (SQLSTATE 53100) as it reports a relation it cannot extend. */
    static FullDiskSeam postgres() {
        return new FullDiskSeam(() -> new SQLException("ERROR: could not extend file \"base/16384/16402\": No space left on device", "53100"), false);
    }

    @Override
    public Connection apply(Connection real) {
        return proxy(Connection.class, (p, m, args) -> {
            Object result = call(real, m, args);
            if (m.getName().equals("prepareStatement") && result instanceof PreparedStatement s) {
                String sql = String.valueOf(args[0]).trim().toUpperCase(Locale.ROOT);
                boolean write = sql.startsWith("INSERT") || sql.startsWith("UPDATE") || sql.startsWith("DELETE");
                return proxy(PreparedStatement.class, (sp, sm, sargs) -> {
                    if (write && fill && sm.getName().startsWith("execute")) {
                        refusedWrites++;
                        if (autoRollback) {
                            try (Statement raw = real.createStatement()) {
                                raw.execute("ROLLBACK");
                            }
                        }
                        throw failure.get();
                    }
                    return call(s, sm, sargs);
                });
            }
            return result;
        });
    }

    private static Object call(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(FullDiskSeam.class.getClassLoader(), new Class<?>[] {type}, h);
    }
}
