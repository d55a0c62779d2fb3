package dev.parley.server.threads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * The store on a full disk, through a seam that fails writes as SQLite and PostgreSQL do (runs
 * everywhere; {@code FullDiskTest} does it on a real full filesystem where one can be mounted).
 */
class FullDiskStoreTest {

    @TempDir
    Path dir;

    private static StoredMessage message(String conversation, int position, String role) {
        return new StoredMessage("msg_" + conversation + "_" + position, conversation, position, role, role + " " + position, null,
                null, null, null, null, role.equals("user") ? null : "stop", System.currentTimeMillis());
    }

    private static void exchange(ThreadStore store, String conversation, int position) {
        store.appendExchange(conversation, position, message(conversation, position, "user"), message(conversation, position + 1, "assistant"));
    }

    @Test
    void sqliteFullRefusesWritesKeepsReadsExactAndRecoversWithoutRestart() {
        try (ThreadStore store = ThreadStore.sqlite(dir)) {
            Conversation c = store.create("owner", "trip", null, "{}");
            for (int p = 0; p < 6; p += 2) {
                exchange(store, c.id(), p);
            }
            FullDiskSeam seam = FullDiskSeam.sqlite();
            store.wrapConnections(seam);
            seam.fill = true;

            StoreFullException create = assertThrows(StoreFullException.class, () -> store.create("owner", "more", null, "{}"));
            assertTrue(create.advice().contains(dir.toAbsolutePath().toString()), create.advice());
            assertThrows(StoreFullException.class, () -> exchange(store, c.id(), 6));
            for (int i = 0; i < 3; i++) {
                // Exact, every time: never an empty history while the disk is full.
                assertEquals(6, store.messages(c.id()).size());
                assertEquals(6, store.get("owner", c.id()).orElseThrow().messageCount());
            }
            assertTrue(store.full());
            assertThrows(StoreFullException.class, store::checkWritable, "a turn is refused before it generates");

            seam.fill = false; // space is back
            store.checkWritable();
            assertFalse(store.full());
            exchange(store, c.id(), 6);
            store.create("owner", "more", null, "{}");
            List<StoredMessage> all = store.messages(c.id());
            assertEquals(8, all.size());
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), all.stream().map(StoredMessage::position).toList());
            assertEquals(2, store.list("owner", null, 10).items().size());
        }
    }

    @Test
    void aTurnOnAFullDiskIsRefusedBeforeAnyWriteFailedOnceTheProbeFails() {
        try (ThreadStore store = ThreadStore.sqlite(dir)) {
            Conversation c = store.create("owner", null, null, "{}");
            FullDiskSeam seam = FullDiskSeam.sqlite();
            store.wrapConnections(seam);
            seam.fill = true;
            store.checkWritable(); // nothing failed yet and the directory has room: no probe, no cost
            assertEquals(0, seam.refusedWrites);
            assertThrows(StoreFullException.class, () -> exchange(store, c.id(), 0));
            assertThrows(StoreFullException.class, store::checkWritable);
            assertEquals(0, store.messages(c.id()).size());
        }
    }

    @Test
    void postgresDiskFullIsAStoreFullWithTheDatabaseNamed() {
        try (ThreadStore store = ThreadStore.sqlite(dir)) {
            Conversation c = store.create("owner", null, null, "{}");
            FullDiskSeam seam = FullDiskSeam.postgres();
            store.wrapConnections(seam);
            seam.fill = true;
            StoreFullException e = assertThrows(StoreFullException.class, () -> exchange(store, c.id(), 0));
            assertTrue(e.getMessage().contains("could not extend file"), e.getMessage());
            assertTrue(store.full());
            seam.fill = false;
            store.checkWritable();
            assertFalse(store.full());
            exchange(store, c.id(), 0);
            assertEquals(2, store.messages(c.id()).size());
        }
    }

    @Test
    void diskFullIsRecognisedAsEachLayerSaysIt() throws Exception {
        assertTrue(DiskFull.is(new org.sqlite.SQLiteException("[SQLITE_FULL] database or disk is full", org.sqlite.SQLiteErrorCode.SQLITE_FULL)));
        assertTrue(DiskFull.is(new PSQLException(new ServerErrorMessage(
                "SERROR\0VERROR\0C53100\0Mcould not extend file \"base/16384/16402\": No space left on device\0"))));
        assertTrue(DiskFull.is(new SQLException("could not write to file \"pg_wal/xlogtemp.42\"", "53100")));
        assertTrue(DiskFull.is(new StoreException("cannot store", new IOException("No space left on device"))));
        assertTrue(DiskFull.is(new FileSystemException("/data/uploads/upload-1.part", null, "No space left on device")));
        assertTrue(DiskFull.is(new IOException("Disk quota exceeded")));

        assertFalse(DiskFull.is(new SQLException("duplicate key value violates unique constraint", "23505")));
        assertFalse(DiskFull.is(new org.sqlite.SQLiteException("[SQLITE_CONSTRAINT_UNIQUE] UNIQUE constraint failed",
                org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE)));
        assertFalse(DiskFull.is(new org.sqlite.SQLiteException("[SQLITE_IOERR] disk I/O error", org.sqlite.SQLiteErrorCode.SQLITE_IOERR)));
        assertFalse(DiskFull.is(new IOException("Connection reset by peer")));
    }
}
