package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiers' policy with token arrays and fake state bytes: no model, no context. */
class KvTiersTest {

    private static final byte[] FP = fingerprint(1);
    private static final long STATE = 1000; // bytes per fake entry

    @TempDir
    Path root;

    private static byte[] fingerprint(int seed) {
        byte[] b = new byte[Fingerprint.BYTES];
        b[0] = (byte) seed;
        return b;
    }

    /** Tokens seed*10000 + i: different seeds share nothing. */
    private static int[] tokens(int seed, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = seed * 10_000 + i;
        }
        return t;
    }

    private static boolean save(KvTiers tiers, String ns, int[] tokens, int fill) {
        return save(tiers, ns, tokens, fill, false);
    }

    private static boolean save(KvTiers tiers, String ns, int[] tokens, int fill, boolean named) {
        KvTiers.Store s = tiers.prepareStore(ns, tokens, tokens.length, STATE, named);
        if (s == null) {
            return false;
        }
        s.segment().fill((byte) fill);
        tiers.completeStore(s, STATE);
        return true;
    }

    /** The first byte of the matched entry's state, or -1 when it cannot be loaded. */
    private static int load(KvTiers tiers, KvTiers.Match m) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = tiers.load(m, a);
            return state == null ? -1 : state.get(ValueLayout.JAVA_BYTE, STATE - 1);
        } finally {
            tiers.release(m, false);
        }
    }

    /** Whether an entry of {@code tokens(seed, 64)} is still held (looked up and released at once). */
    private static boolean holds(KvTiers t, int seed) {
        KvTiers.Match m = t.lookup(null, tokens(seed, 64), 64);
        if (m != null) {
            t.release(m, false);
        }
        return m != null;
    }

    private KvSettings ramOnly(long budget) {
        return new KvSettings(budget, 0, null, Duration.ZERO);
    }

    private KvSettings withDisk(long ram, long disk) {
        return new KvSettings(ram, disk, root, Duration.ZERO);
    }

    @Test
    void aPromptFindsTheLongestSharedPrefixEvenMidBlock() {
        try (KvTiers t = KvTiers.open(ramOnly(1 << 20), FP)) {
            int[] conversation = tokens(1, 1000);
            assertTrue(save(t, null, conversation, 7));
            int[] edited = conversation.clone();
            edited[900] = -5; // shares exactly the first 900 tokens
            KvTiers.Match m = t.lookup(null, edited, edited.length);
            assertNotNull(m);
            assertEquals(900, m.tokens());
            assertEquals(KvTiers.Tier.RAM, m.tier());
            assertArrayEquals(conversation, m.entryTokens());
            assertEquals(7, load(t, m));
            assertNull(t.lookup(null, tokens(2, 500), 500), "nothing shared");
            int[] tooShort = conversation.clone();
            tooShort[20] = -1;
            assertNull(t.lookup(null, tooShort, tooShort.length), "less than a block shared is not worth a restore");
        }
    }

    @Test
    void namespacesNeverShareEntries() {
        try (KvTiers t = KvTiers.open(ramOnly(1 << 20), FP)) {
            int[] prompt = tokens(3, 200);
            assertTrue(save(t, "alice", prompt, 1));
            assertNull(t.lookup("bob", prompt, prompt.length));
            assertNull(t.lookup(null, prompt, prompt.length));
            assertTrue(save(t, "bob", prompt, 2), "the same tokens are a new entry in another namespace");
            KvTiers.Match a = t.lookup("alice", prompt, prompt.length);
            assertEquals(1, load(t, a));
            KvTiers.Match b = t.lookup("bob", prompt, prompt.length);
            assertEquals(2, load(t, b));
        }
    }

    @Test
    void aLongerSaveSupersedesItsPrefixesAndAContainedOneIsNotSaved() {
        try (KvTiers t = KvTiers.open(ramOnly(1 << 20), FP)) {
            int[] turn2 = tokens(4, 300);
            assertTrue(save(t, null, java.util.Arrays.copyOf(turn2, 100), 1));
            assertTrue(save(t, null, java.util.Arrays.copyOf(turn2, 200), 2));
            assertEquals(1, t.stats().ramEntries(), "the 200-token entry holds the 100-token one");
            assertFalse(save(t, null, java.util.Arrays.copyOf(turn2, 150), 3), "already held by the 200-token entry");
            assertTrue(t.holds(null, turn2, 200));
            assertFalse(t.holds(null, turn2, 300));
            assertEquals(STATE, t.stats().ramBytes());
        }
    }

    @Test
    void theRamBudgetHoldsAndTheLeastRecentlyUsedGoFirst() {
        try (KvTiers t = KvTiers.open(ramOnly(3 * STATE), FP)) {
            for (int i = 1; i <= 3; i++) {
                assertTrue(save(t, null, tokens(i, 64), i));
            }
            KvTiers.Match first = t.lookup(null, tokens(1, 64), 64); // used: 2 is now the oldest
            assertEquals(1, load(t, first));
            assertTrue(save(t, null, tokens(4, 64), 4));
            assertEquals(3, t.stats().ramEntries());
            assertTrue(t.stats().ramBytes() <= 3 * STATE);
            assertNull(t.lookup(null, tokens(2, 64), 64), "entry 2 was the least recently used");
            assertEquals(1, t.stats().evictedRam());
            assertNull(t.prepareStore(null, tokens(9, 64), 64, 4 * STATE, false), "larger than every tier");
        }
    }

    @Test
    void aNamedConversationStaysInRamLongerThanAnonymousOnes() {
        try (KvTiers t = KvTiers.open(ramOnly(2 * STATE), FP)) {
            assertTrue(save(t, null, tokens(1, 64), 1, true));
            assertTrue(save(t, null, tokens(2, 64), 2, false));
            assertTrue(save(t, null, tokens(3, 64), 3, false));
            assertTrue(holds(t, 1), "the named one is older but stays");
            assertFalse(holds(t, 2), "the oldest anonymous one went");
            assertTrue(save(t, null, tokens(4, 64), 4, true)); // RAM: 1 (named, least recent), 3, then 4
            assertTrue(holds(t, 1) && !holds(t, 3) && holds(t, 4), "the anonymous one goes before either named one");
            assertTrue(save(t, null, tokens(5, 64), 5, true));
            assertFalse(holds(t, 1), "among named ones, the least recently used goes");
        }
    }

    @Test
    void entriesSpillToDiskWithinItsBudgetAndComeBack() {
        try (KvTiers t = KvTiers.open(withDisk(2 * STATE, 3 * DiskFiles.fileBytes(64, STATE)), FP)) {
            for (int i = 1; i <= 6; i++) {
                assertTrue(save(t, null, tokens(i, 64), i));
                t.awaitWrites();
                KvTierStats s = t.stats();
                assertTrue(s.ramBytes() <= 2 * STATE, s.toString());
                assertTrue(s.diskBytes() <= 3 * DiskFiles.fileBytes(64, STATE), s.toString());
            }
            KvTierStats s = t.stats();
            assertEquals(2, s.ramEntries());
            assertEquals(3, s.diskEntries());
            assertEquals(1, s.evictedDisk());
            assertEquals(3, fileCount());
            assertNull(t.lookup(null, tokens(1, 64), 64), "the oldest left disk to keep its budget");
            KvTiers.Match m = t.lookup(null, tokens(2, 64), 64);
            assertEquals(KvTiers.Tier.DISK, m.tier());
            assertEquals(2, load(t, m));
            assertEquals(KvTiers.Tier.RAM, t.lookup(null, tokens(6, 64), 64).tier());
        }
    }

    @Test
    void theDiskTierSurvivesARestartAndRamIsWrittenOutAtClose() {
        KvTiers t = KvTiers.open(withDisk(10 * STATE, 1 << 20), FP);
        assertTrue(save(t, "alice", tokens(1, 100), 11));
        assertEquals(0, fileCount(), "RAM holds it while there is room");
        t.close();
        assertEquals(1, fileCount());
        try (KvTiers again = KvTiers.open(withDisk(10 * STATE, 1 << 20), FP)) {
            int[] next = java.util.Arrays.copyOf(tokens(1, 100), 150);
            KvTiers.Match m = again.lookup("alice", next, next.length);
            assertNotNull(m);
            assertEquals(100, m.tokens());
            assertEquals(KvTiers.Tier.DISK, m.tier());
            assertEquals(11, load(again, m));
            assertNull(again.lookup("bob", next, next.length));
        }
    }

    @Test
    void anotherModelOrLayoutIsAMiss() throws IOException {
        KvTiers t = KvTiers.open(withDisk(10 * STATE, 1 << 20), FP);
        assertTrue(save(t, null, tokens(1, 100), 1));
        t.close();
        try (KvTiers other = KvTiers.open(withDisk(10 * STATE, 1 << 20), fingerprint(2))) {
            assertNull(other.lookup(null, tokens(1, 100), 100));
            // A file moved into the other fingerprint's directory is refused by its header.
            Path file;
            try (Stream<Path> files = Files.walk(root)) {
                file = files.filter(f -> f.toString().endsWith(DiskFiles.SUFFIX)).findFirst().orElseThrow();
            }
            Files.copy(file, other.directory().resolve("moved" + DiskFiles.SUFFIX));
        }
        try (KvTiers other = KvTiers.open(withDisk(10 * STATE, 1 << 20), fingerprint(2))) {
            assertNull(other.lookup(null, tokens(1, 100), 100));
            assertEquals(1, other.stats().discarded());
            assertFalse(Files.exists(other.directory().resolve("moved" + DiskFiles.SUFFIX)));
        }
    }

    @Test
    void corruptAndTruncatedEntriesAreDiscarded() throws IOException {
        KvTiers t = KvTiers.open(withDisk(10 * STATE, 1 << 20), FP);
        assertTrue(save(t, null, tokens(1, 100), 1));
        assertTrue(save(t, null, tokens(2, 100), 2));
        t.close();
        List<Path> files = files();
        assertEquals(2, files.size());
        try (KvTiers again = KvTiers.open(withDisk(10 * STATE, 1 << 20), FP)) {
            // Flip one state byte of entry 1 and cut entry 2 short after they were indexed.
            Path one = fileHolding(again, 1);
            try (RandomAccessFile f = new RandomAccessFile(one.toFile(), "rw")) {
                f.seek(f.length() - 20);
                int b = f.read();
                f.seek(f.length() - 20);
                f.write(b ^ 0xFF);
            }
            KvTiers.Match m = again.lookup(null, tokens(1, 100), 100);
            assertEquals(-1, load(again, m), "a checksum mismatch is a miss");
            assertNull(again.lookup(null, tokens(1, 100), 100), "and the entry is gone");
            assertFalse(Files.exists(one));
            assertEquals(1, again.stats().discarded());
        }
        Path two = files().getFirst();
        try (RandomAccessFile f = new RandomAccessFile(two.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        Files.writeString(two.resolveSibling("half-written" + DiskFiles.TEMP_SUFFIX), "partial");
        try (KvTiers again = KvTiers.open(withDisk(10 * STATE, 1 << 20), FP)) {
            assertNull(again.lookup(null, tokens(2, 100), 100));
            assertEquals(1, again.stats().discarded());
            assertEquals(0, fileCount(), "the truncated entry and the unfinished write are deleted");
        }
    }

    private static Path fileHolding(KvTiers t, int seed) throws IOException {
        try (Stream<Path> files = Files.list(t.directory())) {
            for (Path f : files.toList()) {
                try {
                    if (DiskFiles.readHeader(f, FP).tokens()[0] == seed * 10_000) {
                        return f;
                    }
                } catch (DiskFiles.Unreadable e) {
                    throw new AssertionError(e);
                }
            }
        }
        throw new AssertionError("no file for " + seed);
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private long fileCount() {
        try {
            return files().size();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
