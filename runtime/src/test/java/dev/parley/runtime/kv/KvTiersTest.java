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
    void theDiskTierEvictsByRecencyAndPinsOnlyNotByName() {
        // No RAM: every save goes straight to disk, in save order. A file records no name, so disk
        // ranks named entries like the others (after a restart none would have one).
        try (KvTiers t = KvTiers.open(withDisk(0, 2 * DiskFiles.fileBytes(64, STATE)), FP)) {
            assertTrue(save(t, null, tokens(1, 64), 1, true));
            t.awaitWrites();
            assertTrue(save(t, null, tokens(2, 64), 2, false));
            t.awaitWrites();
            assertTrue(save(t, null, tokens(3, 64), 3, false));
            t.awaitWrites();
            assertEquals(2, t.stats().diskEntries());
            assertEquals(1, t.stats().evictedDisk());
            assertFalse(holds(t, 1), "the least recently used file went, named as it was");
            assertTrue(holds(t, 2) && holds(t, 3));
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

    // ---- cache hints ----

    private static final long MINUTE = 60_000;

    /** A clock the test moves by hand. */
    private static final class FakeClock implements java.util.function.LongSupplier {
        long now = 1_000_000;

        @Override
        public long getAsLong() {
            return now;
        }
    }

    @Test
    void aPinnedEntryOutlivesUnpinnedOnesNamedOrNotAndLapsesWhenItsPinExpires() {
        FakeClock clock = new FakeClock();
        try (KvTiers t = KvTiers.open(ramOnly(3 * STATE).withPinMaxShare(1), FP, clock)) {
            int[] pinnedPrompt = tokens(1, 64);
            t.pin(null, pinnedPrompt, 48, 5 * MINUTE); // the prefix: the entry holding it is kept
            assertTrue(save(t, null, pinnedPrompt, 1));
            assertTrue(save(t, null, tokens(2, 64), 2, true));
            assertTrue(save(t, null, tokens(3, 64), 3, false));
            assertTrue(save(t, null, tokens(4, 64), 4, true)); // over budget: the anonymous one goes first
            assertTrue(holds(t, 1) && holds(t, 2) && !holds(t, 3) && holds(t, 4));
            assertTrue(save(t, null, tokens(5, 64), 5, true)); // then the least recently used named one, not the pinned (older) one
            assertTrue(holds(t, 1) && !holds(t, 2), "named 2 went before the pinned entry");
            assertTrue(save(t, null, tokens(6, 64), 6, true));
            assertTrue(holds(t, 1), "still pinned");
            clock.now += 5 * MINUTE;
            assertEquals(0, t.pinCount(), "expired");
            assertTrue(save(t, null, tokens(7, 64), 7, true));
            assertFalse(holds(t, 1), "an expired pin is no pin: the entry went as the least recently used");
        }
    }

    @Test
    void pinnedEntriesGoInOrderOfExpiryAndAnExtendingSaveInheritsThePin() {
        FakeClock clock = new FakeClock();
        try (KvTiers t = KvTiers.open(ramOnly(2 * STATE), FP, clock)) { // each owner may pin one entry's worth
            t.pin("a", tokens(1, 64), 64, 10 * MINUTE);
            t.pin("b", tokens(2, 64), 64, 5 * MINUTE);
            t.pin("c", tokens(3, 64), 64, 20 * MINUTE);
            assertTrue(save(t, "a", tokens(1, 64), 1));
            assertTrue(save(t, "b", tokens(2, 64), 2));
            assertTrue(save(t, "c", tokens(3, 64), 3)); // all pinned, one too many: the earliest expiry goes
            assertTrue(holdsIn(t, "a", 1) && !holdsIn(t, "b", 2) && holdsIn(t, "c", 3));
            assertTrue(save(t, "a", tokens(1, 128), 11)); // conversation a, one turn on: supersedes its entry, keeps its pin
            assertEquals(2, t.stats().ramEntries());
            assertTrue(save(t, null, tokens(4, 64), 4));
            assertFalse(holds(t, 4), "unpinned: it goes before either pinned entry, new as it is");
            assertTrue(holdsIn(t, "a", 1) && holdsIn(t, "c", 3));
        }
    }

    @Test
    void anOwnersPinsKeepAtMostItsShareAndItsOldestPinsLapseFirst() {
        FakeClock clock = new FakeClock();
        try (KvTiers t = KvTiers.open(ramOnly(4 * STATE), FP, clock)) { // default share 0.5: two entries' worth per owner
            for (int i = 1; i <= 3; i++) {
                t.pin("alice", tokens(i, 64), 64, 60 * MINUTE); // 1 is the oldest pin
                assertTrue(save(t, "alice", tokens(i, 64), i));
            }
            t.pin("bob", tokens(9, 64), 64, 60 * MINUTE);
            assertTrue(save(t, "bob", tokens(9, 64), 9));
            assertEquals(3, t.pinCount(), "alice's oldest pin lapsed: three pins would keep more than half the RAM budget");
            assertTrue(save(t, null, tokens(5, 64), 5));
            assertFalse(holdsIn(t, "alice", 1), "its pin lapsed, so it went as an unpinned entry");
            assertTrue(holdsIn(t, "alice", 2) && holdsIn(t, "alice", 3) && holdsIn(t, "bob", 9), "the share of each owner stays pinned");
        }
    }

    @Test
    void aPinnedEntryLeavingRamGoesToDiskAndDiskDeletesUnpinnedFilesFirst() {
        FakeClock clock = new FakeClock();
        try (KvTiers t = KvTiers.open(withDisk(STATE, 3 * DiskFiles.fileBytes(64, STATE)).withPinMaxShare(1), FP, clock)) {
            t.pin("a", tokens(1, 64), 64, 10 * MINUTE);
            t.pin("b", tokens(2, 64), 64, 20 * MINUTE);
            assertTrue(save(t, "a", tokens(1, 64), 1));
            assertTrue(save(t, "b", tokens(2, 64), 2)); // RAM holds one: the earlier pin's entry goes to disk
            for (int i = 3; i <= 6; i++) {
                assertTrue(save(t, null, tokens(i, 64), i)); // unpinned: each goes to disk, the oldest files deleted
                t.awaitWrites();
            }
            KvTiers.Match m = t.lookup("a", tokens(1, 64), 64);
            assertNotNull(m, "the pinned entry stayed on disk while unpinned files were deleted");
            assertEquals(KvTiers.Tier.DISK, m.tier());
            assertEquals(1, load(t, m));
            assertFalse(holds(t, 3), "the oldest unpinned file went");
        }
    }

    @Test
    void aCutThatWouldLoseAPinnedPrefixIsReported() {
        try (KvTiers t = KvTiers.open(ramOnly(4 * STATE), FP, new FakeClock())) {
            int[] slot = tokens(1, 100);
            assertFalse(t.pinnedBeyond(null, slot, 100, 40));
            t.pin(null, slot, 60, MINUTE);
            assertTrue(t.pinnedBeyond(null, slot, 100, 40), "keeping 40 tokens loses the 60 pinned");
            assertFalse(t.pinnedBeyond(null, slot, 100, 60), "keeping 60 keeps them");
            assertFalse(t.pinnedBeyond("bob", slot, 100, 40), "another owner's pin");
            t.pin(null, tokens(2, 20), 20, MINUTE);
            assertEquals(1, t.pinCount(), "less than a block is not pinned");
        }
    }

    private static boolean holdsIn(KvTiers t, String ns, int seed) {
        KvTiers.Match m = t.lookup(ns, tokens(seed, 64), 64);
        if (m != null) {
            t.release(m, false);
        }
        return m != null;
    }

    @Test
    void aStateFromTheSharedTierIsRestoredAsSharedOnceThenAsRam() {
        try (KvTiers t = KvTiers.open(KvSettings.ram(1 << 20), FP)) {
            int[] turn = tokens(7, 80);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment fetched = a.allocate(STATE);
                fetched.fill((byte) 9);
                assertTrue(t.importState("alice", turn, fetched, true));
                assertFalse(t.importState("alice", turn, fetched, true), "held already: not imported twice");
            }
            assertEquals(0, t.longestPrefix("bob", turn, turn.length), "another owner's");
            assertEquals(80, t.longestPrefix("alice", turn, turn.length));
            KvTiers.Match m = t.lookup("alice", turn, turn.length);
            assertEquals(KvTiers.Tier.SHARED, m.tier());
            assertEquals(9, load(t, m), "its bytes, copied");
            KvTiers.Match again = t.lookup("alice", turn, turn.length);
            assertEquals(KvTiers.Tier.RAM, again.tier(), "restored once: a local entry from then on");
            t.release(again, false);
        }
    }
}
