package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.StoreFullException;
import dev.parley.server.threads.StoredMessage;
import dev.parley.server.threads.ThreadStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL with its data directory on a real 64 MiB tmpfs, filled: writes fail with SQLSTATE 53100
 * ("could not extend file"), which the store reports as full (the 507 path), reads stay exact, and it
 * writes again once space is freed. Needs root, mount and PostgreSQL's binaries; otherwise it says why
 * and stops ({@code threads.FullDiskStoreTest} maps 53100 through a seam everywhere).
 */
class PostgresFullDiskTest {

    private static StoredMessage message(String conversation, int position, String role) {
        return new StoredMessage("msg_" + conversation + "_" + position, conversation, position, role, role + " " + position, null,
                null, null, null, null, null, System.currentTimeMillis());
    }

    private static void exchange(ThreadStore store, String conversation, int position) {
        store.appendExchange(conversation, position, message(conversation, position, "user"), message(conversation, position + 1, "assistant"));
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : "`" + String.join(" ", cmd) + "` failed: " + out.strip();
    }

    @Test
    void aFullPostgresDiskIsReportedFullReadsStayExactAndItRecovers() throws Exception {
        String unavailable = PostgresServer.unavailableReason();
        assumeTrue(unavailable == null, () -> "no PostgreSQL server here: " + unavailable);
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a small filesystem for PostgreSQL needs root");
        Path mount = Files.createTempDirectory("parley-pg-full");
        String mountFailed = run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString());
        assumeTrue(mountFailed == null, () -> "cannot mount a tmpfs here: " + mountFailed);
        try {
            Path cluster = mount.resolve("pg");
            Files.createDirectories(cluster);
            try (PostgresServer pg = PostgresServer.start(cluster);
                 ThreadStore store = ThreadStore.postgres(pg.newDatabase("parley_full"), null, null)) {
                Conversation c = store.create("owner", "trip", null, "{}");
                for (int p = 0; p < 6; p += 2) {
                    exchange(store, c.id(), p);
                }
                Path filler = mount.resolve("filler");
                try (OutputStream out = Files.newOutputStream(filler)) {
                    byte[] block = new byte[8192];
                    while (true) {
                        out.write(block);
                    }
                } catch (IOException e) {
                    assertTrue(String.valueOf(e.getMessage()).contains("No space left"), e.toString());
                }
                // PostgreSQL may still place a few rows in pages it had already extended: write until it refuses three times running.
                int refusedInARow = 0;
                StoreFullException last = null;
                for (int i = 0; i < 10_000 && refusedInARow < 3; i++) {
                    try {
                        store.create("owner", "x".repeat(2000), "y".repeat(2000), "{}");
                        refusedInARow = 0;
                    } catch (StoreFullException e) {
                        last = e;
                        refusedInARow++;
                    }
                }
                assertEquals(3, refusedInARow, "a full disk refuses writes");
                assertTrue(last.getMessage().contains("could not extend file") || last.getMessage().contains("No space left"), last.getMessage());
                assertTrue(last.advice().contains("PostgreSQL database"), last.advice());
                assertTrue(store.full());
                assertThrows(StoreFullException.class, store::checkWritable, "a turn is refused before it generates");
                assertEquals(6, store.messages(c.id()).size(), "reads stay exact");
                assertEquals(6, store.get("owner", c.id()).orElseThrow().messageCount());

                Files.delete(filler);
                store.checkWritable();
                assertFalse(store.full());
                exchange(store, c.id(), 6);
                assertEquals(8, store.messages(c.id()).size());
            }
        } finally {
            run("umount", mount.toString());
            Files.deleteIfExists(mount);
        }
    }
}
