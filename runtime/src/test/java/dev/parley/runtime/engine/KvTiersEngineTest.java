package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.done;
import static dev.parley.runtime.engine.Generations.raw;
import static dev.parley.runtime.engine.Generations.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bindings.KvCacheType;
import dev.parley.runtime.kv.KvSettings;
import dev.parley.runtime.kv.KvTierStats;
import dev.parley.runtime.testmodel.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KV tiers on the tiny model with one slot, so that every other conversation takes the slot: a
 * conversation must come back from RAM or disk with exactly its shared prefix reused and the same
 * greedy output as if it had kept its slot.
 */
class KvTiersEngineTest {

    @TempDir
    Path dataDir;

    private static EngineConfig config(KvSettings kv) {
        return EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2).withSlots(1, 2048).withKvTiers(kv);
    }

    private static int[] conversation(Engine engine, String topic) {
        StringBuilder b = new StringBuilder("<|im_start|>user\n");
        for (int i = 0; i < 12; i++) {
            b.append("Sentence ").append(i).append(" of the conversation about ").append(topic).append(". ");
        }
        return engine.tokenize(new Prompt.Raw(b.append("<|im_end|>\n<|im_start|>assistant\n").toString()));
    }

    /** The first turn's tokens followed by a new turn of {@code extra} tokens. */
    private static int[] nextTurn(int[] first, int... extra) {
        int[] out = Arrays.copyOf(first, first.length + extra.length);
        System.arraycopy(extra, 0, out, first.length, extra.length);
        return out;
    }

    private static List<GenerationEvent> run(Engine engine, GenerationRequest r) throws InterruptedException {
        return engine.submit(r).drain(60_000);
    }

    private static GenerationRequest greedy(String id, int[] tokens, String namespace) {
        return GenerationRequest.greedy(id, new Prompt.Tokens(tokens), 12).withCacheNamespace(namespace);
    }

    private static final AtomicInteger REFERENCE = new AtomicInteger();

    /**
     * The output {@code prompt} gets when the conversation never left its slot: {@code before} then
     * {@code prompt} back to back, in a namespace nobody else uses (so no tier entry can serve it).
     * This is the right reference for a restore: llama.cpp's CPU kernels round differently for
     * different batch shapes, so even the plain slot reuse of {@code before} differs from one cold
     * prefill of the whole prompt after a few tokens of the tiny model's near-tied logits; a restore
     * must reproduce the slot bit for bit, which this compares.
     */
    private static String kept(Engine engine, int[] before, int[] prompt, int expectCached) throws InterruptedException {
        String ns = "reference-" + REFERENCE.incrementAndGet();
        assertEquals(0, started(run(engine, greedy("ref1", before, ns))).cachedTokens());
        List<GenerationEvent> events = run(engine, greedy("ref2", prompt, ns));
        assertEquals(expectCached, started(events).cachedTokens(), "the reference reuses its slot");
        return raw(events);
    }

    private static final int[] NEW_TURN = {151645, 198, 151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198};

    @Test
    void aConversationWhoseSlotWasTakenResumesFromRam() throws Exception {
        try (Engine engine = Engine.start(config(KvSettings.ram(256L << 20)))) {
            int[] first = conversation(engine, "ships");
            run(engine, greedy("a1", first, null));
            run(engine, greedy("b1", conversation(engine, "trains"), null)); // takes the only slot
            int[] second = nextTurn(first, NEW_TURN);
            List<GenerationEvent> resumed = run(engine, greedy("a2", second, null));
            assertEquals(first.length, started(resumed).cachedTokens(), "the whole first turn comes back from RAM");
            assertEquals(first.length, done(resumed).usage().cachedPromptTokens());
            assertEquals(kept(engine, first, second, first.length), raw(resumed));
            assertTrue(engine.kvStats().ramEntries() >= 1);
        }
    }

    @Test
    void aPartialPrefixRestoresOnlyTheSharedPart() throws Exception {
        try (Engine engine = Engine.start(config(KvSettings.ram(256L << 20)))) {
            int[] first = conversation(engine, "rivers");
            run(engine, greedy("a1", first, null));
            run(engine, greedy("b1", conversation(engine, "mountains"), null));
            int shared = first.length - 7; // not on a block boundary
            int[] edited = first.clone();
            edited[shared] = 9707;
            List<GenerationEvent> resumed = run(engine, greedy("a2", edited, null));
            assertEquals(shared, started(resumed).cachedTokens());
            assertEquals(kept(engine, first, edited, shared), raw(resumed));
        }
    }

    @Test
    void twoOwnersSendingTheSamePromptNeverShare() throws Exception {
        try (Engine engine = Engine.start(config(KvSettings.ram(256L << 20)))) {
            int[] prompt = conversation(engine, "secrets");
            run(engine, greedy("alice1", prompt, "alice"));
            run(engine, greedy("other", conversation(engine, "weather"), "alice"));
            int[] longer = nextTurn(prompt, NEW_TURN);
            assertEquals(0, started(run(engine, greedy("bob", longer, "bob"))).cachedTokens(), "bob finds nothing of alice's");
            assertEquals(0, started(run(engine, greedy("anon", longer, null))).cachedTokens(), "nor does the common namespace");
            assertEquals(prompt.length, started(run(engine, greedy("alice2", longer, "alice"))).cachedTokens());
        }
    }

    @Test
    void aConversationResumesFromDiskAndAfterARestart() throws Exception {
        KvSettings diskOnly = new KvSettings(0, 256L << 20, dataDir, Duration.ZERO);
        int[] first;
        int[] second;
        try (Engine engine = Engine.start(config(diskOnly))) {
            first = conversation(engine, "gardens");
            second = nextTurn(first, NEW_TURN);
            run(engine, greedy("a1", first, null));
            run(engine, greedy("b1", conversation(engine, "deserts"), null));
            engine.awaitKvWrites();
            KvTierStats s = engine.kvStats();
            assertEquals(0, s.ramBytes());
            assertTrue(s.diskEntries() >= 1, s.toString());
            List<GenerationEvent> resumed = run(engine, greedy("a2", second, null));
            assertEquals(first.length, started(resumed).cachedTokens());
            assertEquals(kept(engine, first, second, first.length), raw(resumed));
        } // at shutdown the slot's conversation (the second turn and its answer) goes to disk
        try (Engine restarted = Engine.start(config(diskOnly))) {
            assertTrue(restarted.kvStats().diskEntries() >= 1, "the disk tier is still there after the restart");
            int[] third = nextTurn(second, NEW_TURN);
            List<GenerationEvent> resumed = run(restarted, greedy("a3", third, null));
            assertEquals(second.length, started(resumed).cachedTokens());
            assertEquals(kept(restarted, second, third, second.length), raw(resumed));
        }
        // Every file damaged while the server was down: each is discarded with a warning, the turn is a miss.
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dataDir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".kv")).toList()) {
                try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
                    long at = raf.length() - 100; // in the state, before the checksum
                    raf.seek(at);
                    int b = raf.read();
                    raf.seek(at);
                    raf.write(b ^ 0xFF);
                }
            }
        }
        try (Engine damaged = Engine.start(config(diskOnly))) {
            int[] third = nextTurn(second, NEW_TURN);
            List<GenerationEvent> events = run(damaged, greedy("a3-damaged", third, null));
            assertEquals(0, started(events).cachedTokens(), "a corrupt entry is never restored");
            assertTrue(done(events).usage().generatedTokens() > 0, "and the engine serves it from a cold prefill");
            assertTrue(damaged.kvStats().discarded() >= 1, damaged.kvStats().toString());
        }
        // Another KV layout must not restore what this one wrote.
        try (Engine other = Engine.start(config(diskOnly).withKv(KvCacheType.F16, false))) {
            assertEquals(0, other.kvStats().diskEntries());
            assertEquals(0, started(run(other, greedy("a2-q8", second, null))).cachedTokens());
        }
    }

    @Test
    void ramAndDiskBudgetsHoldUnderManyConversations() throws Exception {
        long ram;
        try (Engine probe = Engine.start(config(KvSettings.ram(256L << 20)))) {
            run(probe, greedy("p1", conversation(probe, "topic number 98"), null));
            run(probe, greedy("p2", conversation(probe, "topic number 99"), null));
            ram = probe.kvStats().ramBytes(); // one saved conversation
        }
        assertTrue(ram > 0);
        long ramBudget = 2 * ram + ram / 2;
        long diskBudget = 3 * ram + ram / 2;
        try (Engine engine = Engine.start(config(new KvSettings(ramBudget, diskBudget, dataDir, Duration.ZERO)))) {
            for (int i = 0; i < 10; i++) {
                run(engine, greedy("c" + i, conversation(engine, "topic number " + i), null));
                engine.awaitKvWrites();
                KvTierStats s = engine.kvStats();
                assertTrue(s.ramBytes() <= ramBudget, s.toString());
                assertTrue(s.diskBytes() <= diskBudget, s.toString());
            }
            KvTierStats s = engine.kvStats();
            assertTrue(s.ramEntries() >= 1 && s.diskEntries() >= 2, s.toString());
            assertTrue(s.spilled() > 0 && s.evictedDisk() > 0, s.toString());
            assertFalse(engine.slots().isEmpty());
        }
    }
}
