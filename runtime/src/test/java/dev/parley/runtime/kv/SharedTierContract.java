package dev.parley.runtime.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every shared-tier backend must do, run on each ({@link SharedTierFileTest}, {@link SharedTierRedisTest}):
 * a state written after a turn is found by a longer prompt of the same owner and model and comes back
 * byte for byte; another owner's or another model's identical prompt finds nothing; a damaged entry is
 * deleted; a store that goes away makes lookups miss and writes drop without an exception, and the
 * tier comes back by itself.
 */
abstract class SharedTierContract {

    static final byte[] MODEL = fingerprint(1);
    private SharedTier tier;

    /** The URL of a fresh, empty store. */
    abstract String url() throws Exception;

    /** Damages the one stored entry in place (its length unchanged). */
    abstract void corruptTheEntry() throws Exception;

    /** Makes the store unreachable; {@link #restore()} brings it back with what it held or empty. */
    abstract void takeDown() throws Exception;

    abstract void restore() throws Exception;

    static byte[] fingerprint(int seed) {
        byte[] fp = new byte[Fingerprint.BYTES];
        new Random(seed).nextBytes(fp);
        return fp;
    }

    SharedTier open(byte[] model, Duration ttl) throws Exception {
        return SharedTier.open(new SharedSettings(url(), ttl, null), model, 64L << 20, SharedTier.Listener.NONE);
    }

    SharedTier tier() throws Exception {
        if (tier == null) {
            tier = open(MODEL, Duration.ofHours(1));
        }
        return tier;
    }

    @AfterEach
    void closeTier() {
        if (tier != null) {
            tier.close();
        }
    }

    static int[] tokens(int n, int seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(150_000);
        }
        return t;
    }

    /** A state of {@code bytes} random bytes (seeded), written through the tier's queue. */
    static byte[] put(SharedTier t, String owner, int[] tokens, int bytes, int seed) {
        byte[] state = new byte[bytes];
        new Random(seed).nextBytes(state);
        SharedTier.Upload u = t.prepare(owner, tokens, tokens.length, bytes);
        assertNotNull(u, "the tier takes a state while it is up and its queue empty");
        MemorySegment.copy(state, 0, u.segment(), ValueLayout.JAVA_BYTE, 0, bytes);
        t.commit(u, bytes);
        t.awaitWrites();
        return state;
    }

    static int[] longer(int[] tokens, int extra) {
        int[] p = Arrays.copyOf(tokens, tokens.length + extra);
        for (int i = tokens.length; i < p.length; i++) {
            p[i] = 7 + i;
        }
        return p;
    }

    @Test
    void aStateComesBackWholeForTheNextTurnsLongerPrompt() throws Exception {
        int[] history = tokens(1000, 1);
        byte[] state = put(tier(), "alice", history, 9 << 20, 2); // more than two Redis chunks
        int[] next = longer(history, 40);
        SharedTier.Found f = tier().lookup("alice", next, next.length);
        assertNotNull(f, "the next turn's prompt finds the saved history");
        assertEquals(history.length, f.tokens(), "it shares the whole history");
        assertEquals(state.length, f.stateBytes());
        try (Arena arena = Arena.ofConfined()) {
            SharedTier.Fetched x = tier().fetch(f, "alice", next, next.length, arena);
            assertNotNull(x);
            assertArrayEquals(history, x.tokens());
            assertArrayEquals(state, x.state().toArray(ValueLayout.JAVA_BYTE), "the state byte for byte");
        }
        SharedTierStats s = tier().stats();
        assertEquals(1, s.writes());
        assertEquals(1, s.hits());
        assertTrue(s.bytesRead() > state.length && s.bytesWritten() == s.bytesRead(), "bytes counted both ways: " + s);
    }

    @Test
    void aLongerTurnReplacesTheEntriesItHoldsAllOf() throws Exception {
        int[] turn1 = tokens(200, 15);
        put(tier(), "alice", turn1, 4096, 16);
        put(tier(), "bob", turn1, 4096, 16); // the same tokens, another owner: untouched
        int[] turn2 = longer(turn1, 100);
        put(tier(), "alice", turn2, 8192, 17);
        assertEquals(1, tier().stats().superseded(), "turn 1's entry went when turn 2's was written");
        assertNull(tier().lookup("alice", turn1, turn1.length), "turn 1 alone finds nothing now");
        assertEquals(turn2.length, tier().lookup("alice", longer(turn2, 5), turn2.length + 5).tokens(), "turn 2 serves the next turn");
        assertNotNull(tier().lookup("bob", turn1, turn1.length), "bob's entry stays");
    }

    @Test
    void replicasWritingAndReadingTheSameEntryAtOnceNeverSeeAPartOfOne() throws Exception {
        int[] base = tokens(96, 41); // three full blocks: every state below shares the entry's key
        try (SharedTier a = open(MODEL, Duration.ofHours(1)); SharedTier b = open(MODEL, Duration.ofHours(1))) {
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread[] writers = new Thread[2];
            for (int w = 0; w < 2; w++) {
                SharedTier t = w == 0 ? a : b;
                int seed = w;
                writers[w] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        int[] turn = Arrays.copyOf(base, 96 + (i + seed) % 20); // another tail, the same key
                        SharedTier.Upload u = t.prepare("alice", turn, turn.length, 300_000 + 1000 * (i % 7));
                        if (u != null) {
                            u.segment().fill((byte) (i + seed));
                            t.commit(u, u.segment().byteSize());
                        }
                        t.awaitWrites();
                    }
                });
            }
            int whole = 0;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            int[] prompt = longer(base, 40);
            while (System.nanoTime() < deadline) {
                SharedTier.Found f = tier().lookup("alice", prompt, prompt.length);
                if (f == null) {
                    continue;
                }
                try (Arena arena = Arena.ofConfined()) {
                    SharedTier.Fetched x = tier().fetch(f, "alice", prompt, prompt.length, arena);
                    if (x != null) {
                        byte[] state = x.state().toArray(ValueLayout.JAVA_BYTE);
                        byte first = state[0];
                        for (byte v : state) {
                            assertEquals(first, v, "one writer's state, whole");
                        }
                        whole++;
                    }
                }
            }
            stop.set(true);
            for (Thread w : writers) {
                w.join();
            }
            assertTrue(whole > 0, "the reader got states while they were being replaced");
            assertEquals(0, tier().stats().discarded(), "and never a damaged one");
        }
    }

    @Test
    void aPromptDivergingInsideTheLastBlockSharesUpToThere() throws Exception {
        int[] history = tokens(100, 3); // 3 full blocks and 4 tokens
        put(tier(), "alice", history, 4096, 4);
        int[] prompt = longer(Arrays.copyOf(history, 98), 30);
        SharedTier.Found f = tier().lookup("alice", prompt, prompt.length);
        assertNotNull(f);
        assertEquals(98, f.tokens());
    }

    @Test
    void anotherOwnersOrAnotherModelsIdenticalPromptFindsNothing() throws Exception {
        int[] history = tokens(300, 5);
        put(tier(), "alice", history, 8192, 6);
        int[] next = longer(history, 10);
        assertNull(tier().lookup("bob", next, next.length), "another owner's identical prompt");
        assertNull(tier().lookup(null, next, next.length), "no owner at all");
        try (SharedTier other = open(fingerprint(2), Duration.ofHours(1))) {
            assertNull(other.lookup("alice", next, next.length), "the same owner under another model");
        }
        assertNotNull(tier().lookup("alice", next, next.length), "the owner's own");
    }

    @Test
    void aDamagedEntryIsDroppedAndDeleted() throws Exception {
        int[] history = tokens(200, 7);
        put(tier(), "alice", history, 100_000, 8);
        corruptTheEntry();
        int[] next = longer(history, 5);
        SharedTier.Found f = tier().lookup("alice", next, next.length);
        if (f != null) { // the file store may already refuse it by its header
            try (Arena arena = Arena.ofConfined()) {
                assertNull(tier().fetch(f, "alice", next, next.length, arena), "a damaged state is never handed out");
            }
            assertEquals(1, tier().stats().discarded());
        }
        assertNull(tier().lookup("alice", next, next.length), "and it is gone");
        assertTrue(tier().stats().up(), "damage is not an outage");
    }

    @Test
    void anExpiredEntryIsAMiss() throws Exception {
        try (SharedTier brief = open(MODEL, Duration.ofMillis(300))) {
            int[] history = tokens(64, 9);
            put(brief, "alice", history, 1000, 10);
            assertNotNull(brief.lookup("alice", history, history.length));
            Thread.sleep(700);
            assertNull(brief.lookup("alice", history, history.length));
        }
    }

    @Test
    void aStoreThatGoesAwayNeverFailsAndComesBack() throws Exception {
        int[] history = tokens(128, 11);
        put(tier(), "alice", history, 5000, 12);
        takeDown();
        assertNull(tier().lookup("alice", history, history.length), "a lookup misses");
        assertFalse(tier().up(), "and the tier says it is down");
        assertNull(tier().prepare("alice", history, history.length, 5000), "writes are dropped before any copy");
        assertTrue(tier().stats().dropped() >= 1);
        restore();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!tier().up() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(tier().up(), "the probe finds it again");
        int[] again = tokens(96, 13);
        put(tier(), "alice", again, 3000, 14);
        assertNotNull(tier().lookup("alice", again, again.length), "and it serves again");
    }
}
