package dev.parley.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {

    @Test
    void keysFromAFileWithAndWithoutOwners(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "# comment\n\nteam-a:aaaaaaaaaaaa\nbbbbbbbbbbbb\n");
        ApiKeys keys = ApiKeys.load(null, file);
        assertTrue(keys.enabled());
        assertEquals(Optional.of("team-a"), keys.owner("aaaaaaaaaaaa"));
        assertTrue(keys.owner("bbbbbbbbbbbb").orElseThrow().startsWith("key-"), "an owner derived from the key's hash");
        assertEquals(Optional.empty(), keys.owner("aaaaaaaaaaab"));
        assertEquals(Optional.empty(), keys.owner(null));
    }

    @Test
    void noKeysMeansOff() {
        assertFalse(ApiKeys.load(null, null).enabled());
        assertFalse(ApiKeys.none().enabled());
    }

    @Test
    void shortKeysAndEmptyFilesAreRefused(@TempDir Path dir) throws Exception {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ApiKeys.load("short", null)).getMessage().contains("at least 8"));
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ApiKeys.load(null, empty)).getMessage().contains("no key"));
    }
}
