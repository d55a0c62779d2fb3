package dev.parley.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
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

    @Test
    void aBudgetIsTheLastFieldWhenItIsANumberAndBelongsToTheOwner(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), String.join("\n",
                "alice:aaaaaaaaaaaa:12.5",
                "alice:aaaaaaaaaaab", // alice's second key: draws on her budget
                "bob:bbbbbbbbbbbb", // OWNER:KEY as before: no budget
                "carol:cccc:cccc:cccc", // a key with colons, its last field no number: all of it is the key
                "dave:dddddddd:123:", // an empty budget field: the key itself ends in ":123"
                "erin:eeeeeeeeeeee:0",
                "ffffffffffff", // KEY alone: no owner, no budget
                "gina : gggggggggggg : 7 "));
        ApiKeys keys = ApiKeys.load(null, file);
        assertEquals(Optional.of("alice"), keys.owner("aaaaaaaaaaaa"), "the budget is not part of the key");
        assertEquals(Optional.empty(), keys.owner("aaaaaaaaaaaa:12.5"));
        assertEquals(Optional.of("alice"), keys.owner("aaaaaaaaaaab"));
        assertEquals(Optional.of("bob"), keys.owner("bbbbbbbbbbbb"));
        assertEquals(Optional.of("carol"), keys.owner("cccc:cccc:cccc"));
        assertEquals(Optional.of("dave"), keys.owner("dddddddd:123"));
        assertEquals(Optional.of("erin"), keys.owner("eeeeeeeeeeee"));
        assertEquals(Optional.of("gina"), keys.owner("gggggggggggg"));
        assertTrue(keys.owner("ffffffffffff").orElseThrow().startsWith("key-"));
        assertEquals(Map.of("alice", 12_500_000L, "erin", 0L, "gina", 7_000_000L), keys.budgets(),
                "millionths of a credit, per owner");
    }

    @Test
    void twoBudgetsForOneOwnerAndMalformedOnesAreRefused(@TempDir Path dir) throws Exception {
        Path two = Files.writeString(dir.resolve("two"), "alice:aaaaaaaaaaaa:10\nalice:aaaaaaaaaaab:20\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ApiKeys.load(null, two)).getMessage().contains("two budgets"));
        Path same = Files.writeString(dir.resolve("same"), "alice:aaaaaaaaaaaa:10\nalice:aaaaaaaaaaab:10.000\n");
        assertEquals(Map.of("alice", 10_000_000L), ApiKeys.load(null, same).budgets(), "the same budget twice is one budget");
        Path huge = Files.writeString(dir.resolve("huge"), "alice:aaaaaaaaaaaa:9999999999999\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ApiKeys.load(null, huge)).getMessage().contains("at most"));
        Path shortKey = Files.writeString(dir.resolve("short"), "alice:abc:5\n");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ApiKeys.load(null, shortKey)).getMessage().contains("at least 8"),
                "the key without its budget is what must be long enough");
        assertEquals(Map.of(), ApiKeys.load("single-key-123", null).budgets());
    }
}
