package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.server.threads.OwnerUsage;
import dev.parley.server.threads.ThreadStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-owner usage in the thread store: charges add up, per owner, across reopening, and under concurrent charges. */
class UsageStoreTest {

    @Test
    void sqliteChargesAddUpPerOwnerAndSurviveReopening(@TempDir Path dir) throws Exception {
        try (ThreadStore store = ThreadStore.sqlite(dir)) {
            chargesAddUpPerOwner(store);
        }
        try (ThreadStore again = ThreadStore.sqlite(dir)) {
            assertEquals(new OwnerUsage("alice", 2, 130, 40, 12, 5_500), again.usage().get("alice"), "kept in the database file");
        }
    }

    @Test
    void sqliteConcurrentChargesAddUpExactly(@TempDir Path dir) throws Exception {
        try (ThreadStore store = ThreadStore.sqlite(dir)) {
            concurrentChargesAddUpExactly(store);
        }
    }

    @Test
    void postgresChargesAddUpAndConcurrentChargesAddUpExactly() throws Exception {
        String reason = PostgresServer.unavailableReason();
        if (reason != null) {
            System.err.println("SKIPPING PostgreSQL usage tests: " + reason);
            Assumptions.abort("PostgreSQL unavailable: " + reason);
        }
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("usage_store");
            Supplier<ThreadStore> open = () -> ThreadStore.postgres(url, null, null);
            try (ThreadStore store = open.get()) {
                chargesAddUpPerOwner(store);
                concurrentChargesAddUpExactly(store);
            }
            // Two instances sharing the database charge one account.
            try (ThreadStore a = open.get(); ThreadStore b = open.get()) {
                a.usage().charge("shared", 1, 0, 1, 10);
                b.usage().charge("shared", 1, 0, 1, 10);
                assertEquals(20, a.usage().get("shared").creditMicros());
                assertEquals(new OwnerUsage("alice", 2, 130, 40, 12, 5_500), b.usage().get("alice"));
            }
        }
    }

    private static void chargesAddUpPerOwner(ThreadStore store) {
        assertEquals(OwnerUsage.none("alice"), store.usage().get("alice"), "no row yet: zeros");
        assertEquals(new OwnerUsage("alice", 1, 100, 40, 10, 5_000), store.usage().charge("alice", 100, 40, 10, 5_000), "the totals after the charge");
        assertEquals(new OwnerUsage("bob", 1, 7, 0, 1, 11), store.usage().charge("bob", 7, 0, 1, 11));
        assertEquals(new OwnerUsage("alice", 2, 130, 40, 12, 5_500), store.usage().charge("alice", 30, 0, 2, 500));
        assertEquals(new OwnerUsage("bob", 1, 7, 0, 1, 11), store.usage().get("bob"), "alice's charges are not bob's");
    }

    /** 8 threads, 40 charges each, started together: no increment is lost. */
    private static void concurrentChargesAddUpExactly(ThreadStore store) throws Exception {
        int threads = 8;
        int each = 40;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        store.usage().charge("racer", 3, 1, 2, 1_234);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        long n = (long) threads * each;
        assertEquals(new OwnerUsage("racer", n, 3 * n, n, 2 * n, 1_234 * n), store.usage().get("racer"));
    }
}
