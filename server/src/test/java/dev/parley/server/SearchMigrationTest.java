package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.server.threads.Conversation;
import dev.parley.server.threads.SearchQuery;
import dev.parley.server.threads.ThreadStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Upgrading a store that holds threads from before search: the V6 migration indexes what is there, on
 * SQLite (its backfill) and PostgreSQL (its generated columns), and the index then follows new writes.
 */
class SearchMigrationTest {

    /** A database migrated only as far as V5, with one thread of the owner's stored the way V5 stored it. */
    private static void storeBeforeSearch(String url, String vendorFolder) throws Exception {
        Flyway.configure().dataSource(url, null, null).locations("classpath:db/migration", vendorFolder).target("5").load().migrate();
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement t = c.prepareStatement("INSERT INTO conversations (id, owner, title, metadata, created_at, updated_at) "
                     + "VALUES ('conv_old', 'ann', 'Harbour notes', '{}', 1, 1)");
             PreparedStatement m = c.prepareStatement("INSERT INTO messages (id, conversation_id, position, role, content, created_at) "
                     + "VALUES ('msg_old', 'conv_old', 0, 'user', 'When does the ferry leave?', 1)")) {
            t.executeUpdate();
            m.executeUpdate();
        }
    }

    private static List<String> ids(ThreadStore store, String owner, String q) {
        return store.list(owner, null, 10, SearchQuery.parse(q)).items().stream().map(Conversation::id).toList();
    }

    private static void searchesWhatWasThere(ThreadStore store) {
        assertEquals(List.of("conv_old"), ids(store, "ann", "ferry"), "an old message is indexed");
        assertEquals(List.of("conv_old"), ids(store, "ann", "harbour"), "an old title is indexed");
        assertEquals(List.of(), ids(store, "bob", "ferry"), "only the owner's");
        Conversation fresh = store.create("ann", "New", null, "{}");
        store.update("ann", "conv_old", "Renamed", null, null);
        assertEquals(List.of(), ids(store, "ann", "harbour"), "the old title left the index");
        assertEquals(List.of("conv_old"), ids(store, "ann", "renamed"), "the new title is indexed");
        assertEquals(List.of(fresh.id()), ids(store, "ann", "New"), "so is a thread created after the upgrade");
        store.delete("ann", "conv_old");
        assertEquals(List.of(), ids(store, "ann", "ferry"), "a deleted thread left the index");
    }

    @Test
    void sqliteIndexesThreadsStoredBeforeTheUpgrade() throws Exception {
        Path dir = Files.createTempDirectory("parley-search-upgrade");
        storeBeforeSearch("jdbc:sqlite:" + dir.resolve("parley.db").toAbsolutePath(), "classpath:db/sqlite");
        try (ThreadStore store = ThreadStore.sqlite(dir)) {
            searchesWhatWasThere(store);
        }
    }

    @Test
    void postgresIndexesThreadsStoredBeforeTheUpgrade() throws Exception {
        String reason = PostgresServer.unavailableReason();
        Assumptions.assumeTrue(reason == null, () -> "PostgreSQL unavailable: " + reason);
        try (PostgresServer pg = PostgresServer.start()) {
            String url = pg.newDatabase("search_upgrade");
            storeBeforeSearch(url, "classpath:db/postgresql");
            try (ThreadStore store = ThreadStore.postgres(url, null, null)) {
                searchesWhatWasThere(store);
            }
        }
    }
}
