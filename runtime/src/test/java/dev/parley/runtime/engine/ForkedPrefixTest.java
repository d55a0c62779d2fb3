package dev.parley.runtime.engine;

import static dev.parley.runtime.engine.Generations.started;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.runtime.kv.KvSettings;
import dev.parley.runtime.testmodel.TestModels;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A new conversation key whose prompt starts with another conversation's history (a forked thread's
 * first turn) reuses that history with several slots, whichever slot or tier holds it, while the
 * slot the history lives in stays the other conversation's; another owner never shares it.
 */
class ForkedPrefixTest {

    private static final int[] NEW_TURN = {151645, 198, 151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198};

    /** Two slots, a RAM tier and a hold long enough that no slot's reservation runs out during a test. */
    private static Engine engine() {
        return Engine.start(EngineConfig.defaults(TestModels.tinyQwen3()).withThreads(2, 2).withSlots(2, 4096)
                .withKvTiers(KvSettings.ram(256L << 20).withHold(Duration.ofMinutes(5))));
    }

    private static int[] history(Engine engine, String topic) {
        StringBuilder b = new StringBuilder("<|im_start|>user\n");
        for (int i = 0; i < 12; i++) {
            b.append("Sentence ").append(i).append(" about ").append(topic).append(". ");
        }
        return engine.tokenize(new Prompt.Raw(b.append("<|im_end|>\n<|im_start|>assistant\n").toString()));
    }

    private static int[] then(int[] first, int... extra) {
        int[] out = Arrays.copyOf(first, first.length + extra.length);
        System.arraycopy(extra, 0, out, first.length, extra.length);
        return out;
    }

    private static GenerationEvent.Started turn(Engine engine, String id, int[] tokens, String owner, String conversation)
            throws InterruptedException {
        GenerationRequest r = GenerationRequest.greedy(id, new Prompt.Tokens(tokens), 4).withCacheNamespace(owner)
                .withConversation(conversation);
        List<GenerationEvent> events = engine.submit(r).drain(60_000);
        return started(events);
    }

    @Test
    void aForkReusesItsParentsHeldSlotWhileAnotherSlotIsFree() throws Exception {
        try (Engine engine = engine()) {
            int[] parent = history(engine, "ferries");
            GenerationEvent.Started p1 = turn(engine, "p1", parent, "alice", "conv_parent");
            int[] forked = then(parent, NEW_TURN);
            GenerationEvent.Started f1 = turn(engine, "f1", forked, "alice", "conv_fork");
            assertEquals(parent.length, f1.cachedTokens(), "the fork's first turn reuses the parent's history");
            assertNotEquals(p1.slot(), f1.slot(), "the parent's slot stays held for the parent");
            GenerationEvent.Started p2 = turn(engine, "p2", then(parent, 9707, 1879), "alice", "conv_parent");
            assertEquals(p1.slot(), p2.slot());
            assertTrue(p2.cachedTokens() >= parent.length, "the parent kept its own slot: " + p2);
            assertEquals(0, turn(engine, "bob", forked, "bob", "conv_bob").cachedTokens(), "another owner's identical prompt never hits");
        }
    }

    @Test
    void aForkReusesItsParentsHistoryFromRamOnceTheSlotWasTaken() throws Exception {
        try (Engine engine = engine()) {
            int[] parent = history(engine, "rivers");
            turn(engine, "p1", parent, "alice", "conv_parent");
            turn(engine, "o1", history(engine, "mountains"), "alice", "conv_other1");
            turn(engine, "o2", history(engine, "deserts"), "alice", "conv_other2"); // takes the parent's slot
            assertTrue(engine.kvStats().ramEntries() >= 1, "the parent's KV went to RAM");
            GenerationEvent.Started f1 = turn(engine, "f1", then(parent, NEW_TURN), "alice", "conv_fork");
            assertEquals(parent.length, f1.cachedTokens(), "the fork's first turn restores the parent's history");
        }
    }
}
